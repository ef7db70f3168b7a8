"""Where a run's logs go while it runs: kept in memory, or streamed to parquet.

The kernels append offending attempts and GPS pings to fixed buffers
(:class:`~hotspot_sim.sim.state.Logs`); :class:`LogBook` moves them out whenever a
buffer fills and at each midnight.  A small interactive run keeps the chunks in memory
(``stream_dir=None``, the default); a long run streams them, one parquet row group per
flush, to ``attempts.parquet`` and ``gps.parquet`` in ``stream_dir`` (pyarrow's
``ParquetWriter``), so its memory does not grow with the simulated days.  Either way
the tables read back are the same (:mod:`hotspot_sim.sim.tables`).

Officer status minutes are kept as one small array per day (:class:`StatusLog`), not
as a dict per officer-day.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..io import arrow_pool
from .state import ATTEMPT_FIELDS, GPS_FIELDS, Logs

LOG_FIELDS = {"attempts": ATTEMPT_FIELDS, "gps": GPS_FIELDS}


class LogStream:
    """One log written to parquet as it comes, one row group per chunk.

    The file gets its footer (and becomes readable) when the stream is closed: on
    :meth:`close`, before reading it back, when the stream is garbage-collected and at
    interpreter exit, so an interrupted run loses at most the chunk not yet flushed.
    Writing after a read-back starts a new file (``gps.1.parquet``, ...): the log is
    the files in order.

    Parameters
    ----------
    folder : Path
        Where the files go (created if missing).
    name : str
        The log's name, ``attempts`` or ``gps``: the first file is ``<name>.parquet``.
    """

    def __init__(self, folder: Path, name: str):
        self.folder, self.name = Path(folder), name
        self.files: list[Path] = []
        self.rows = 0
        self._writer = None
        self._close_writer = None

    def write(self, chunk: dict) -> None:
        """Append ``chunk`` (one array per field) as a row group.

        Parameters
        ----------
        chunk : dict
            Arrays of equal length by field name.
        """
        import pyarrow as pa

        table = pa.table(chunk)  # the chunk's numbers are not copied (no nulls)
        if self._writer is None:
            self._open(table.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def _open(self, schema) -> None:
        import pyarrow.parquet as pq

        arrow_pool()  # the writer's pages: memory the system allocator gives back
        self.folder.mkdir(parents=True, exist_ok=True)
        suffix = f".{len(self.files)}" if self.files else ""
        path = self.folder / f"{self.name}{suffix}.parquet"
        # no dictionary encoding: on float coordinates it costs 2.5x the write time
        # (measured: a year's pings 2.7 s -> 1.1 s) for a file ~2% smaller
        self._writer = pq.ParquetWriter(path, schema, use_dictionary=False)
        # closes the file (writes its footer) even if the run is interrupted
        self._close_writer = weakref.finalize(self, self._writer.close)
        self.files.append(path)

    def close(self) -> None:
        """Finish the current file (nothing if none is open)."""
        if self._close_writer is not None:
            self._close_writer()
        self._writer = self._close_writer = None

    def chunks(self, fields: tuple[str, ...]) -> Iterator[dict]:
        """The log read back one row group at a time (only ``fields``).

        Parameters
        ----------
        fields : tuple of str
            Columns to read.

        Yields
        ------
        dict
            One array per field.
        """
        import pyarrow.parquet as pq

        arrow_pool()
        self.close()
        for path in self.files:
            with pq.ParquetFile(path) as pf:
                for i in range(pf.num_row_groups):
                    table = pf.read_row_group(i, columns=list(fields))
                    yield {f: table.column(f).to_numpy() for f in fields}


class LogBook:
    """Attempts and GPS pings moved out of the kernels' buffers, kept or streamed.

    Parameters
    ----------
    stream_dir : Path, optional
        Stream the logs to ``attempts.parquet`` and ``gps.parquet`` in this folder as
        the model runs (see :class:`LogStream`); None keeps them in memory.  The
        caller owns the folder: it is neither emptied nor deleted here.
    keep_gps : bool
        Keep the GPS pings; False drops them (for runs measured on crimes only).
    """

    def __init__(self, stream_dir: Path | str | None = None, keep_gps: bool = True):
        self.stream_dir = None if stream_dir is None else Path(stream_dir)
        self.keep_gps = keep_gps
        self.attempts: list[dict] = []  # chunks kept in memory (not when streaming)
        self.gps: list[dict] = []
        self._today: list[dict] = []  # attempt chunks since the last midnight, for its totals
        self._streams = {} if self.stream_dir is None else {
            name: LogStream(self.stream_dir, name) for name in LOG_FIELDS}

    @property
    def streaming(self) -> bool:
        """Whether the logs go to parquet files rather than memory."""
        return self.stream_dir is not None

    def flush(self, logs: Logs) -> None:
        """Move what the kernels logged out of ``logs`` and empty its buffers.

        Parameters
        ----------
        logs : Logs
            The kernels' log buffers.
        """
        n, g = int(logs.counts[0]), int(logs.counts[1])
        if n:
            chunk = {f: getattr(logs, f)[:n].copy() for f in ATTEMPT_FIELDS}
            self._today.append(chunk)
            self._keep("attempts", chunk)
        if g and self.keep_gps:
            self._keep("gps", {f: getattr(logs, f)[:g].copy() for f in GPS_FIELDS})
        logs.counts[:] = 0

    def _keep(self, name: str, chunk: dict) -> None:
        if self.streaming:
            self._streams[name].write(chunk)
        else:
            getattr(self, name).append(chunk)

    def chunks(self, name: str, fields: tuple[str, ...] | None = None) -> Iterator[dict]:
        """A log chunk by chunk, from memory or read back from its files.

        Parameters
        ----------
        name : str
            ``attempts`` or ``gps``.
        fields : tuple of str, optional
            The fields wanted (default: all of the log's).

        Yields
        ------
        dict
            One array per field.
        """
        fields = LOG_FIELDS[name] if fields is None else fields
        if self.streaming:
            yield from self._streams[name].chunks(fields)
        else:
            for chunk in getattr(self, name):
                yield {f: chunk[f] for f in fields}

    def columns(self, name: str, fields: tuple[str, ...] | None = None) -> dict:
        """Every row of a log so far: one array per field (see :meth:`chunks`)."""
        fields = LOG_FIELDS[name] if fields is None else fields
        return concat_chunks(list(self.chunks(name, fields)), fields)

    def attempt_columns(self, fields: tuple[str, ...] = ATTEMPT_FIELDS) -> dict:
        """Every attempt so far: one array per field."""
        return self.columns("attempts", fields)

    def gps_columns(self) -> dict:
        """Every GPS ping so far: one array per field."""
        return self.columns("gps", GPS_FIELDS)

    def attempts_since_last_day(self, fields: tuple[str, ...]) -> dict:
        """Attempts flushed since the previous call (one call per midnight).

        Only these chunks are held for the day's totals, streaming or not.

        Parameters
        ----------
        fields : tuple of str
            Which :data:`~hotspot_sim.sim.state.ATTEMPT_FIELDS` to return.

        Returns
        -------
        dict
            One array per field.
        """
        cols = concat_chunks(self._today, fields)
        self._today = []
        return cols

    def kept_bytes(self) -> dict[str, int]:
        """Bytes of log arrays held in memory, by log (today's attempts counted apart).

        Returns
        -------
        dict
            ``attempts, gps, today``: in memory these grow with the run; streaming,
            ``attempts`` and ``gps`` stay 0 and ``today`` holds one day at most.
        """
        size = lambda chunks: sum(a.nbytes for c in chunks for a in c.values())  # noqa: E731
        today = 0 if not self.streaming else size(self._today)  # else shared with attempts
        return {"attempts": size(self.attempts), "gps": size(self.gps), "today": today}

    def kept_chunks(self) -> int:
        """Chunks held in memory (today's attempts included when streaming)."""
        return len(self.attempts) + len(self.gps) + (len(self._today) if self.streaming else 0)

    def close(self) -> None:
        """Finish the streamed files (they are reopened as new files if the run goes on)."""
        for stream in self._streams.values():
            stream.close()


def concat_chunks(chunks: list[dict], fields: tuple[str, ...]) -> dict:
    """The chunks' arrays joined, one per field.

    Parameters
    ----------
    chunks : list of dict
        Arrays by field name.
    fields : tuple of str
        The fields to join.

    Returns
    -------
    dict
        One array per field (empty int64 arrays when there is no chunk).
    """
    if not chunks:
        return {f: np.zeros(0, np.int64) for f in fields}
    return {f: np.concatenate([c[f] for c in chunks]) for f in fields}


class StatusLog:
    """Minutes per officer in each status, one ``(officers, statuses)`` array per day."""

    def __init__(self):
        self.days: list[int] = []
        self.minutes: list[np.ndarray] = []

    def record(self, day: int, status_min: np.ndarray) -> None:
        """Keep a copy of the officers' status minutes for calendar day ``day``.

        Parameters
        ----------
        day : int
            The calendar day.
        status_min : numpy.ndarray
            ``(officers, statuses)`` minutes.
        """
        self.days.append(int(day))
        self.minutes.append(np.array(status_min, dtype=np.int64, copy=True))

    def __len__(self) -> int:
        """Officer-day rows kept."""
        return sum(m.shape[0] for m in self.minutes)
