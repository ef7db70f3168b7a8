"""Argument parsing shared by the commands: value types, --scenario, KEY=VALUE lists.

A bad value on the command line is an argparse usage error naming the option and
the value (exit status 2), e.g. ``argument --days: 'nan': must be a finite number``;
the rule for numbers is :func:`hotspot_sim.checks.number_problem`.
"""

from __future__ import annotations

import argparse
import re

from ..checks import MAX_DAYS, MAX_SEED, MIN_DAYS, number_problem, parse_range
from ..errors import ConfigError


DEFAULT_SCENARIO = "welwyn_hatfield"


def number_arg(lo: float | None = None, hi: float | None = None, *, integer: bool = False,
               lo_open: bool = False):
    """An argparse ``type=`` that accepts a finite number in range
    (:func:`hotspot_sim.checks.number_problem`).

    A bad value becomes a usage error naming the option and the value, e.g.
    ``argument --days: 'nan': must be a finite number``.
    """

    def parse(text: str):
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            value = text  # not a number: number_problem says what was expected
        problem = number_problem(value, lo, hi, integer=integer, lo_open=lo_open)
        if problem:
            raise argparse.ArgumentTypeError(f"{text!r}: {problem}")
        return value

    return parse


def positive_int(hi: float | None = None):
    """argparse type: a whole number >= 1 (and <= ``hi``)."""
    return number_arg(1, hi, integer=True)


def finite_float(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False):
    """argparse type: a finite number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``)."""
    return number_arg(lo, hi, lo_open=lo_open)
#: argparse type for simulated days: MIN_DAYS to MAX_DAYS.
days_arg = finite_float(MIN_DAYS, MAX_DAYS)
#: argparse type for a seed: a whole number 0..MAX_SEED (a float seed is refused).
seed_arg = number_arg(0, MAX_SEED, integer=True)


def range_arg(hi: int):
    """argparse type for a ``START:STOP[:STEP]`` or ``a,b,c`` range of whole numbers <= ``hi``.

    Checked with :func:`parse_range` (the text is returned unchanged); a huge
    bound is refused before the range is built.
    """

    def parse(text: str) -> str:
        if any(int(n) > hi for n in re.findall(r"\d+", text)):
            raise argparse.ArgumentTypeError(f"{text!r}: values must be <= {hi:g}")
        try:
            parse_range(text, "value")
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix("value=")) from None
        return text

    return parse


def add_scenario_arg(p: argparse.ArgumentParser) -> None:
    """Add ``--scenario/-s`` (a shipped scenario's name or a TOML file) to ``p``."""
    p.add_argument("--scenario", "-s", default=DEFAULT_SCENARIO, metavar="NAME|TOML",
                   help="a shipped scenario's name or a scenario file "
                        f"(default: {DEFAULT_SCENARIO}; 'hotspot-sim params' lists the keys)")


def add_parallel_args(p: argparse.ArgumentParser, workers_help: str) -> None:
    """Add ``--workers/-j``, ``--backend`` and ``--scheduler`` (where a command's runs go).

    ``workers_help`` says what the workers run for this command.
    """
    p.add_argument("--workers", "-j", type=positive_int(1024), default=1, help=workers_help)
    p.add_argument("--backend", choices=("local", "dask"), default="local",
                   help="local processes, or Dask (a LocalCluster unless --scheduler is given)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="address of a running Dask scheduler (implies --backend dask)")


def add_fresh_arg(p: argparse.ArgumentParser, kept: str) -> None:
    """Add ``--fresh``: move the output folder's old ``kept`` (e.g. "results") aside first."""
    p.add_argument("--fresh", action="store_true",
                   help=f"move the folder's old {kept} aside to <folder>.old-<date-time> "
                        "(nothing is deleted) and start again")


def parse_assignments(items: list[str], what: str) -> dict:
    """``["a.b=3", "c=x"]`` -> ``{"a.b": 3, "c": "x"}`` with TOML-like values."""
    import tomllib

    from ..errors import ConfigError

    out = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{what} {item!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = text
    return out
