"""Inputs: read a force's CSV exports (GPS, crimes, hot spots, dose plan) into frames.

The readers give the same frames a run folder holds, so a real trial's files and a
simulated run go through the same code.  Every frame read from a CSV remembers its
file (``attrs["source"]``) and each row's line (column ``file_line``), so later
checks (:mod:`hotspot_sim.track.input_checks`) can name the lines they mean.

Times: every frame has ``time`` (naive local date-times) and ``tick`` (minutes since
an origin).  Days are counted from ``origin``, a midnight: for a run folder the run
start's date, for external files the first midnight on or before the earliest time.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError

DAY_MIN = 1440.0
LINE = "file_line"
"""Column of the frames read from CSV: each row's line in its file (header = line 1)."""
N_EXAMPLES = 5
"""Rows quoted as examples in a message."""
UK_LON = (-11.0, 3.0)
UK_LAT = (49.0, 61.5)
"""Longitude and latitude (degrees) of the British Isles, to recognise degrees anywhere."""
READ_HOTSPOT_COLUMNS = ("hotspot_id", "node", "x", "y", "lon", "lat", "radius_m", LINE)
"""Columns of a hot spot file the reader interprets or sets itself (not kept as they are)."""
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


# --------------------------------------------------------------------------- times


def day_origin(times) -> pd.Timestamp:
    """The first midnight on or before the earliest of ``times``.

    Parameters
    ----------
    times : array-like of datetime
        Date-times (naive local).

    Returns
    -------
    pandas.Timestamp
        Midnight of day 0.
    """
    return pd.Timestamp(pd.Series(times).min()).normalize()


def ticks_from(times, origin: pd.Timestamp) -> np.ndarray:
    """Minutes since ``origin``, as whole ticks when they can be.

    Parameters
    ----------
    times : array-like of datetime
        Date-times (naive local).
    origin : Timestamp
        Tick 0.

    Returns
    -------
    numpy.ndarray
        int64 when every time is a whole minute from ``origin``, else float.
    """
    m = minutes_since(times, origin)
    return m.astype(np.int64) if np.all(m == np.round(m)) else m


def minutes_since(times, origin: pd.Timestamp) -> np.ndarray:
    """Minutes from ``origin`` to each of ``times``.

    Parameters
    ----------
    times : array-like of datetime
        Date-times (naive local).
    origin : Timestamp
        The reference time.

    Returns
    -------
    numpy.ndarray
        Float minutes (negative before ``origin``).
    """
    t = pd.to_datetime(pd.Series(times)).astype("datetime64[us]")
    return ((t - pd.Timestamp(origin)) / pd.Timedelta(minutes=1)).to_numpy(float)


def _plan_origin(plan: pd.DataFrame) -> pd.Timestamp | None:
    """Midnight of day 0 from a plan's ``date`` and ``day`` columns (None without dates)."""
    if "date" in plan and len(plan):
        first = plan.iloc[0]
        return pd.Timestamp(first["date"]).normalize() - pd.Timedelta(days=int(first["day"]))
    return None


# --------------------------------------------------------------------------- reading files


def _read_csv(path, what: str) -> tuple[pd.DataFrame, Path]:
    """A tracking CSV as text columns (lower-case names); empty, binary, header-only,
    non-UTF-8 and malformed files are named as such (see :func:`hotspot_sim.io.read_csv_text`)."""
    from ..io import read_csv_text

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} file not found: {path}")
    text = read_csv_text(path, what)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                         skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot read as a CSV file ({exc})") from None
    if not len(df):
        raise DataError(f"{path}: no rows: the {what} file has a header (line 1) but no data "
                        "lines; export the data again")
    df.columns = [str(c).strip().lower() for c in df.columns]
    return df, path


def _require(df: pd.DataFrame, path: Path, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{path}, line 1 (header): missing column(s) "
                        f"{', '.join(repr(c) for c in missing)} in a {what} file; found "
                        f"{', '.join(repr(c) for c in df.columns) or 'no columns'}")


def _fail_at(df: pd.DataFrame, bad: np.ndarray, path: Path, col: str, problem: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = df[col].iloc[i]
        what = "missing value" if str(value).strip() == "" else f"{value!r} {problem}"
        raise DataError(f"{path}, line {i + 2}, column {col!r}: {what}"
                        + (f" ({int(bad.sum())} bad rows in all)" if bad.sum() > 1 else ""))


def _parse_times(df: pd.DataFrame, path: Path, col: str = "time") -> pd.Series:
    """ISO date-times -> naive local times (aware ones are converted to Europe/London)."""
    text = df[col].str.strip()
    try:
        t = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except (ValueError, TypeError):  # mixed UTC offsets
        t = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    if getattr(t.dt, "tz", None) is not None:
        t = t.dt.tz_convert("Europe/London").dt.tz_localize(None)
    _fail_at(df, t.isna().to_numpy(), path, col,
             "is not an ISO date-time (e.g. 2021-11-05T18:30:00)")
    return t.astype("datetime64[us]")


def _parse_numbers(df: pd.DataFrame, path: Path, col: str, lo=-math.inf, hi=math.inf
                   ) -> np.ndarray:
    v = pd.to_numeric(df[col].str.strip(), errors="coerce").to_numpy(float)
    _fail_at(df, ~np.isfinite(v), path, col, "is not a number")
    _fail_at(df, (v < lo) | (v > hi), path, col, f"is outside [{lo:g}, {hi:g}]")
    return v


def _coordinates(df: pd.DataFrame, path: Path, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``x, y`` (EPSG:27700 m) or ``lon, lat`` (degrees, converted)."""
    if {"x", "y"} <= set(df.columns):
        x, y = _parse_numbers(df, path, "x"), _parse_numbers(df, path, "y")
        _check_metres(path, x, y)
        return x, y
    if {"lon", "lat"} <= set(df.columns):
        from ..projection import to_bng

        lon, lat = _parse_numbers(df, path, "lon"), _parse_numbers(df, path, "lat")
        _check_degrees(path, lon, lat)
        return to_bng(lon, lat)
    have = set(df.columns)
    need = ["x", "y"] if have & {"x", "y"} or not have & {"lon", "lat"} else ["lon", "lat"]
    _require(df, path, need, f"{what} (coordinates: x, y in EPSG:27700 metres or lon, lat)")
    raise AssertionError  # pragma: no cover


def _ids(values: pd.Series) -> pd.Series:
    """Identifiers as int64 when they are all whole numbers, else text."""
    text = values.str.strip()
    num = pd.to_numeric(text, errors="coerce")
    if num.notna().all() and (num == num.round()).all():
        return num.astype(np.int64)
    return text


def read_gps_csv(path: str | Path, origin: pd.Timestamp | None = None) -> pd.DataFrame:
    """Read a force's GPS export into the run folder's ``gps`` frame.

    Columns (case-insensitive): ``officer`` (any identifier), ``time`` (ISO
    date-time, e.g. ``2021-11-05T18:30:00``; ones with a UTC offset are
    converted to Europe/London local time), ``x, y`` (EPSG:27700 metres) or
    ``lon, lat`` (WGS84 degrees, converted), optional ``status`` (a ping with
    status ``answering_call`` counts as time lost to calls).

    Parameters
    ----------
    path : str or Path
        The CSV file.
    origin : Timestamp, optional
        Midnight of tick 0 (default: the first midnight on or before the
        earliest ping).

    Returns
    -------
    pandas.DataFrame
        ``tick, time, officer, node (-1: not snapped), x, y`` and ``status``
        if given, sorted by time and officer.

    Raises
    ------
    DataError
        Naming the file, line (header = line 1) and column of the first
        missing column, unparseable time or bad coordinate.
    """
    df, path = _read_csv(path, "GPS")
    _require(df, path, ["officer", "time"], "GPS")
    time = _parse_times(df, path)
    x, y = _coordinates(df, path, "GPS")
    _fail_at(df, (df["officer"].str.strip() == "").to_numpy(), path, "officer", "")
    origin = day_origin(time) if origin is None else pd.Timestamp(origin)
    out = pd.DataFrame({"tick": ticks_from(time, origin), "time": time,
                        "officer": _ids(df["officer"]), "node": np.int32(-1), "x": x, "y": y})
    if "status" in df.columns:
        out["status"] = df["status"].str.strip().str.lower()
    out = _mark_rows(out, path)
    return out.sort_values(["tick", "officer"], kind="stable").reset_index(drop=True)


def read_crimes_csv(path: str | Path, origin: pd.Timestamp | None = None) -> pd.DataFrame:
    """Read recorded crimes (with exact times) into the run folder's ``crimes`` frame.

    Columns (case-insensitive): ``time`` (ISO date-time), ``x, y`` (EPSG:27700
    metres) or ``lon, lat``, optional ``crime_type`` and ``harm`` (Cambridge
    Crime Harm Index days).  Without ``harm`` the weight of a police.uk
    ``crime_type`` is looked up in the package's harm table
    (``hotspot_sim/data/chi_police_uk.csv``); otherwise it is NaN (harm totals skip it).

    Parameters
    ----------
    path : str or Path
        The CSV file.
    origin : Timestamp, optional
        Midnight of tick 0 (default: the first midnight on or before the
        earliest crime).

    Returns
    -------
    pandas.DataFrame
        ``tick, time, node (-1), x, y, crime_type, harm, outcome ('committed')``.

    Raises
    ------
    DataError
        Naming the file, line and column of the first bad value.
    """
    df, path = _read_csv(path, "crimes")
    _require(df, path, ["time"], "crimes")
    time = _parse_times(df, path)
    x, y = _coordinates(df, path, "crimes")
    ctype = df["crime_type"].str.strip() if "crime_type" in df.columns else \
        pd.Series("", index=df.index)
    if "harm" in df.columns:
        harm = _parse_numbers(df, path, "harm", 0)
    else:
        from ..data import load_harm_weights

        harm = ctype.map(load_harm_weights()["chi_days"]).to_numpy(float)
    origin = day_origin(time) if origin is None else pd.Timestamp(origin)
    out = pd.DataFrame({"tick": ticks_from(time, origin), "time": time, "node": np.int64(-1),
                        "x": x, "y": y, "crime_type": ctype.to_numpy(str), "harm": harm,
                        "outcome": "committed"})
    out = _mark_rows(out, path)
    return out.sort_values("tick", kind="stable").reset_index(drop=True)


def read_hotspots_csv(path: str | Path) -> pd.DataFrame:
    """Read a hot spot list: ``hotspot_id, x, y`` (or ``lon, lat``), optional ``radius_m``.

    Other columns (``location``, ``lsoa``, ...) are kept, except a file's own ``node``
    (a trial pack's ``hotspots.csv`` has the street node its design used): the hot
    spots are placed by their coordinates, so ``node`` is -1 (not snapped) and the
    frame has one column of that name.

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id, node (-1), x, y`` [, ``radius_m``] and the other columns.

    Raises
    ------
    DataError
        A missing column, a bad coordinate or radius, or a duplicate hot spot id.
    """
    df, path = _read_csv(path, "hot spots")
    _require(df, path, ["hotspot_id"], "hot spots")
    x, y = _coordinates(df, path, "hot spots")
    _fail_at(df, (df["hotspot_id"].str.strip() == "").to_numpy(), path, "hotspot_id", "")
    ids = _ids(df["hotspot_id"])
    dup = ids.duplicated().to_numpy()
    _fail_at(df, dup, path, "hotspot_id", "is a duplicate hot spot id")
    out = pd.DataFrame({"hotspot_id": ids, "node": np.int64(-1), "x": x, "y": y})
    if "radius_m" in df.columns:
        out["radius_m"] = _parse_numbers(df, path, "radius_m", 0)
    rest = [c for c in df.columns if c not in READ_HOTSPOT_COLUMNS]
    return _mark_rows(pd.concat([out, df[rest]], axis=1), path)


def read_plan_csv(path: str | Path, origin: pd.Timestamp | None = None) -> pd.DataFrame:
    """Read a planned dose: ``hotspot_id, planned_minutes`` and ``day`` or ``date``.

    ``day`` is a day index from ``origin``; ``date`` (YYYY-MM-DD) is converted
    to one (default origin: the earliest date).  Optional ``treated``
    (true/false, 1/0; default: ``planned_minutes > 0``).

    Parameters
    ----------
    path : str or Path
        The CSV file.
    origin : Timestamp, optional
        Midnight of day 0 (default with ``date``: the earliest date; with
        ``day``: none, and the result has no ``date``).

    Returns
    -------
    pandas.DataFrame
        ``day, date, hotspot_id, planned_minutes, treated`` (as ``dose_plan.parquet``).

    Raises
    ------
    DataError
        Naming the file, line and column of the first bad value.
    """
    df, path = _read_csv(path, "dose plan")
    _require(df, path, ["hotspot_id", "planned_minutes"], "dose plan")
    planned = _parse_numbers(df, path, "planned_minutes", 0)
    if "date" in df.columns:
        date = _parse_times(df, path, "date").dt.normalize()
        origin = date.min() if origin is None else pd.Timestamp(origin).normalize()
        day = ((date - origin) / pd.Timedelta(days=1)).to_numpy().astype(np.int64)
    elif "day" in df.columns:
        day = _parse_numbers(df, path, "day")
        _fail_at(df, day != np.round(day), path, "day", "is not a whole number")
        day = day.astype(np.int64)
        origin = pd.Timestamp(origin) if origin is not None else None
    else:
        _require(df, path, ["date"], "dose plan (give 'date' or 'day')")
    out = pd.DataFrame({"day": day, "hotspot_id": _ids(df["hotspot_id"]),
                        "planned_minutes": planned})
    if origin is not None:
        out.insert(1, "date", (origin + pd.to_timedelta(out["day"], unit="D")).dt.date)
    if "treated" in df.columns:
        text = df["treated"].str.strip().str.lower()
        _fail_at(df, ~text.isin(_TRUE | _FALSE).to_numpy(), path, "treated",
                 "is not true/false")
        out["treated"] = text.isin(_TRUE).to_numpy()
    else:
        out["treated"] = planned > 0
    return _mark_rows(out, path)


# --------------------------------------------------------------------------- lines and units


def _mark_rows(out: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Note each row's line in ``path`` (header = line 1) before the rows are sorted, so
    the checks made after loading can name the lines."""
    out[LINE] = np.arange(len(out), dtype=np.int64) + 2
    out.attrs["source"] = str(path)
    return out


def _short(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.6g}"
    if isinstance(v, pd.Timestamp):
        return v.isoformat(sep=" ")
    return str(v)


def _rows(frame: pd.DataFrame, mask, cols: Sequence[str] = (), numbers=None,
          count: int | None = None) -> str:
    """The first rows of ``mask`` as 'line 2 (x=-0.2, y=51.7), ... and 3 more'.

    ``numbers`` (row numbers of ``frame``'s rows) and ``count`` (rows the mask stands
    for) describe a few example rows kept from a larger table read in parts.
    """
    idx = np.flatnonzero(np.asarray(mask, bool))
    count = len(idx) if count is None else count
    parts = []
    for i in idx[:N_EXAMPLES]:
        where = f"line {int(frame[LINE].iloc[i])}" if LINE in frame else \
            f"row {i + 1 if numbers is None else numbers[i]}"
        values = ", ".join(f"{c}={_short(frame[c].iloc[i])}" for c in cols)
        parts.append(f"{where} ({values})" if values else where)
    more = f" and {count - N_EXAMPLES:,} more" if count > N_EXAMPLES else ""
    return ", ".join(parts) + more


def _between(v: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return (v >= bounds[0]) & (v <= bounds[1])


def _check_metres(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    """``x, y`` must be metres: a British Isles longitude/latitude pair there is degrees.

    Such a point read as metres would lie within 15 m of the grid's origin, in the sea off
    the Isles of Scilly, so no real row is mistaken.
    """
    degrees = (_between(x, UK_LON) & _between(y, UK_LAT)) | (_between(x, UK_LAT)
                                                              & _between(y, UK_LON))
    if degrees.any():
        rows = _rows(pd.DataFrame({"x": x, "y": y}).assign(**{LINE: np.arange(len(x)) + 2}),
                     degrees, ["x", "y"])
        raise DataError(
            f"{path}, columns 'x', 'y': {int(degrees.sum()):,} row(s) hold longitude/latitude "
            f"degrees, not British National Grid metres: {rows}. Name the columns lon, lat "
            "(WGS84 degrees), or give x, y as EPSG:27700 eastings and northings in metres")


def _check_degrees(path: Path, lon: np.ndarray, lat: np.ndarray) -> None:
    """``lon, lat`` must be degrees, and not swapped (a British latitude as longitude)."""
    table = pd.DataFrame({"lon": lon, "lat": lat, LINE: np.arange(len(lon)) + 2})
    metres = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if metres.any():
        raise DataError(
            f"{path}, columns 'lon', 'lat': {int(metres.sum()):,} row(s) are not degrees "
            f"(longitude must be within [-180, 180], latitude within [-90, 90]): "
            f"{_rows(table, metres, ['lon', 'lat'])}. Values this large are metres: if they "
            "are British National Grid eastings and northings, name the columns x, y")
    swapped = _between(lon, UK_LAT) & _between(lat, UK_LON)
    if swapped.any():
        raise DataError(
            f"{path}, columns 'lon', 'lat': longitude and latitude look swapped in "
            f"{int(swapped.sum()):,} row(s) (a British latitude in 'lon', a longitude in "
            f"'lat'): {_rows(table, swapped, ['lon', 'lat'])}. Swap the two column names in "
            "the header (lon runs east-west, e.g. -0.2; lat north-south, e.g. 51.7)")
