"""Progress for long commands, and warnings from worker processes summarised once.

Library functions report progress through a plain callback,
``progress(step, done, total)``, and know nothing about terminals;
:class:`StepProgress` is the callback the command line passes.  On a terminal
each step gets a tqdm bar on stderr; when stderr is a file or a pipe (a batch
job's log) each step prints one line when it starts and one when it ends, so
a log shows where a long command is without thousands of bar updates.

Worker processes (a process pool or Dask) each load the study and log the
same warnings ("dropped 1390 crime rows: no coordinates" once per worker).
:func:`call_capturing_warnings` runs a task in the worker and returns its
warnings with the result; :class:`WarningTally` prints each distinct one once,
with how many runs repeated it.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections import Counter
from contextlib import contextmanager


class StepProgress:
    """``progress(step, done, total)`` callback drawing one bar (or two log lines) per step.

    Parameters
    ----------
    quiet : bool
        Show nothing.
    unit : str
        What ``done`` counts (``"run"``, ``"cell"``...).
    stream : file, optional
        Where to write (default ``sys.stderr``).
    """

    def __init__(self, quiet: bool = False, unit: str = "run", stream=None):
        self.quiet, self.unit, self.stream = quiet, unit, stream or sys.stderr
        self.step, self.bar, self.total, self.started = None, None, 0, 0.0
        self.ended = None  # the last step closed: late reports for it (done > total) are ignored

    def __call__(self, step: str, done: int, total: int, note: str = "") -> None:
        """At ``done`` of ``total`` in ``step``; ``note`` (e.g. the current loss) shows on the bar."""
        if self.quiet or step == self.ended:
            return
        if step != self.step:
            self.close()
            self.step, self.total, self.started = step, total, time.perf_counter()
            if self.stream.isatty():
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=step, unit=self.unit, file=self.stream,
                                leave=False, dynamic_ncols=True)
            else:
                print(f"{step}: {total} {self.unit}{'s' if total != 1 else ''}...",
                      file=self.stream, flush=True)
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
            if note:
                self.bar.set_postfix_str(note)
        if done >= total:
            self.close()

    def close(self) -> None:
        """End the current step (prints its time when not on a terminal)."""
        if self.step is None:
            return
        if self.bar is not None:
            self.bar.close()
        else:
            print(f"{self.step}: done in {time.perf_counter() - self.started:.0f} s",
                  file=self.stream, flush=True)
        self.step, self.bar, self.ended = None, None, self.step

    def __enter__(self) -> StepProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Recorder(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def call_capturing_warnings(func, *args):
    """``(func(*args), warnings)``: run a task, keeping its log warnings and Python warnings.

    Meant to run inside a worker process: what the task would have printed on
    the worker's stderr comes back as a list of one-line messages instead.
    """
    recorder = _Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    try:
        with warnings.catch_warnings(record=True) as caught:
            result = func(*args)
    finally:
        root.removeHandler(recorder)
    messages = recorder.messages + [f"{w.category.__name__}: {w.message}" for w in caught]
    return result, messages


class WarningTally:
    """Warnings collected from many runs, printed once each with how many runs gave them."""

    def __init__(self):
        self.counts: Counter[str] = Counter()

    def add(self, messages: list[str]) -> None:
        """Count each distinct message once per run."""
        self.counts.update(dict.fromkeys(messages, 1))  # once per run, in first-seen order

    def lines(self) -> list[str]:
        """One line per distinct message, ``"... (repeated in N runs)"`` when N > 1."""
        return [m + (f" (repeated in {n} runs)" if n > 1 else "") for m, n in self.counts.items()]

    def report(self, stream=None) -> None:
        """Print the summary lines to ``stream`` (default stderr), above any progress bar.

        Inside :func:`each_warning_once`, a message already printed there is not printed
        again.
        """
        from tqdm import tqdm

        for message, line in zip(self.counts, self.lines()):
            if _reported is None or message not in _reported:
                tqdm.write(line, file=stream or sys.stderr)
                if _reported is not None:
                    _reported.add(message)


_reported: set[str] | None = None
"""Messages printed inside :func:`each_warning_once` (None: outside it)."""


@contextmanager
def each_warning_once():
    """Within the block, :meth:`WarningTally.report` prints each distinct message once.

    A plan search runs the runner batch after batch; its workers load the data again each
    time and would repeat the data's warnings after every batch.
    """
    global _reported
    outer, _reported = _reported, set() if _reported is None else _reported
    try:
        yield
    finally:
        _reported = outer
