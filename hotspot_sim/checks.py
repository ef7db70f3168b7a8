"""Number checks shared by scenario, experiment and command-line inputs.

One rule everywhere: a number is finite (``nan`` and ``inf`` never pass, since
``nan < lo`` is false and would slip through a plain comparison), of the right
kind (a bool is not a number; a float such as ``1.5`` is not a whole number)
and inside its range.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

from .errors import ConfigError

#: Longest simulation accepted anywhere (about 10 years); longer runs are almost
#: certainly a typo and would run for days.
MAX_DAYS = 3660.0
#: Shortest simulation accepted (about a minute and a half; the model steps in minutes).
MIN_DAYS = 0.001
#: Largest seed numpy's SeedSequence and the model's generators accept.
MAX_SEED = 2**63 - 1


def number_problem(value: Any, lo: float | None = None, hi: float | None = None, *,
                   integer: bool = False, lo_open: bool = False) -> str | None:
    """What is wrong with ``value`` as a number in ``[lo, hi]``, or None if nothing.

    Parameters
    ----------
    value
        The value to check.
    lo, hi : float, optional
        Inclusive bounds (``lo`` exclusive with ``lo_open``).
    integer : bool
        Require a whole number (an int, or a float with no fraction part is *not*
        accepted: a seed of 1.0 in a file is a sign of a mistake).
    lo_open : bool
        ``value`` must be strictly greater than ``lo``.

    Returns
    -------
    str or None
        A short reason such as ``"must be a finite number"``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return "expected a whole number" if integer else "expected a number"
    if integer and not isinstance(value, numbers.Integral):
        return "expected a whole number"
    if not math.isfinite(value):
        return "must be a finite number"
    if lo is not None and (value <= lo if lo_open else value < lo):
        return f"must be {'>' if lo_open else '>='} {bound(lo)}"
    if hi is not None and value > hi:
        return f"must be <= {bound(hi)}"
    return None


def bound(limit: float) -> str:
    """A range limit as written in messages: whole numbers in full (a seed limit is
    9223372036854775807, not 9.22337e+18), others short (0.001, 3660)."""
    return str(limit) if isinstance(limit, int) else f"{limit:g}"


def check_number(value: Any, where: str, lo: float | None = None, hi: float | None = None, *,
                 integer: bool = False, lo_open: bool = False) -> Any:
    """``value`` if it is a finite number in range, else a ConfigError naming ``where``.

    ``where`` names the file and key, e.g. ``"exp.toml [experiment] days"``; the
    message reads ``"exp.toml [experiment] days = nan: must be a finite number"``.
    """
    problem = number_problem(value, lo, hi, integer=integer, lo_open=lo_open)
    if problem:
        raise ConfigError(f"{where} = {value!r}: {problem}")
    return value


def check_name(name: Any, where: str) -> None:
    """A name that names folders and files (scenario, experiment, arm): a non-empty string
    with no path separator or control character, so results stay under ``results/``."""
    if not isinstance(name, str) or not name.strip() or name in (".", "..") \
            or any(c in name for c in "/\\") or not name.isprintable():
        raise ConfigError(f"{where} = {name!r}: expected a name without '/' or '\\' "
                          "(it names folders and files)")


_INT = r"\s*(\d+)\s*"
_RANGE_RE = re.compile(rf"^{_INT}:{_INT}(?::{_INT})?$")
_LIST_RE = re.compile(rf"^{_INT}(?:,{_INT})*$")


def parse_range(text: str, name: str = "range") -> list[int]:
    """Parse ``"start:stop[:step]"`` (inclusive), ``"30"`` or ``"10,20,35"``.

    Parameters
    ----------
    text : str
        The specification.
    name : str
        Argument name used in error messages (e.g. ``"--hotspots"``).

    Returns
    -------
    list of int
        Sorted, without duplicates, every value >= 1.

    Raises
    ------
    ConfigError
        Text that is not a range or list of whole numbers, or a value below 1.

    Examples
    --------
    >>> parse_range("10:40:10")
    [10, 20, 30, 40]
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{name}={text!r}: expected 'start:stop[:step]', 'n' or 'a,b,c'")
    m = _RANGE_RE.match(text)
    if m:
        start, stop = int(m.group(1)), int(m.group(2))
        step = int(m.group(3)) if m.group(3) else 1
        if step < 1 or stop < start:
            raise ConfigError(f"{name}={text!r}: need stop >= start and step >= 1")
        values = list(range(start, stop + 1, step))
    elif _LIST_RE.match(text):
        values = [int(v) for v in text.split(",")]
    else:
        raise ConfigError(f"{name}={text!r}: expected 'start:stop[:step]', 'n' or 'a,b,c' "
                          "with whole numbers")
    if any(v < 1 for v in values):
        raise ConfigError(f"{name}={text!r}: values must be >= 1")
    return sorted(set(values))


