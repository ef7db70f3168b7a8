"""Track: measure the patrol dose officers actually delivered, from GPS pings.

The third of Sherman's (2013) three Ts: *track* whether officers did what was
decided, from the GPS of their mobile devices, and report it back.  Everything
here works from the ping log alone (officer, time, x, y and, if the force
records it, a status), so the same code reads a simulated run folder or a real
trial's exports:

* :func:`read_gps_csv`, :func:`read_crimes_csv`, :func:`read_hotspots_csv`
  read external files into the run folder's frames;
* :func:`presence` finds the hot spot each ping is in and the minutes it
  stands for; :func:`visits` joins consecutive pings into visits;
* :func:`dose_by_day` and :func:`compliance` compare the delivered dose with
  the plan (Basford et al. 2021 report 98% compliance; Ariel et al. 2016
  measured 37 vs 16 minutes a day at treatment vs control hot spots, so
  control places get background patrol too);
* :func:`residual_deterrence` follows each visit to the next crime at the hot
  spot (Koper 1995: about 15% chance of crime within 30 minutes after a
  drive-through, about 4% after a 10-16 minute stop), with a Kaplan-Meier
  curve per visit-length bin (:func:`kaplan_meier`, :func:`plot_survival`);
* :func:`displacement` counts crime in treated and control hot spots, their
  catchment rings and elsewhere, with the weighted displacement quotient
  (Bowers & Johnson 2003);
* :func:`track_run` / :func:`track_frames` do all of it for a run folder or a
  set of frames.

Times: every frame has ``time`` (naive local date-times) and ``tick``
(minutes since an origin).  Days are counted from ``origin``, a midnight: for a
run folder the run start's date (the ``day`` of ``dose_plan.parquet``), for
external files the first midnight on or before the earliest GPS time.
Durations and day boundaries are computed from ``time``, so frames read with
different tick origins still line up.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..errors import DataError
from ..io import write_csv
from .presence import DEFAULT_RADIUS_M, hotspot_radii, nearest_hotspot
from .zones import (MIN_CRIMES, DisplacementQuotient, Zoning, displacement_quotient, ring_labels,
                    wdq_reading, zone_columns, zone_crimes, zone_names)

DEFAULT_MAX_GAP_MIN = 2.0
"""Longest gap between pings inside one visit (one missed 1-minute ping)."""
LENGTH_BINS = (0.0, 5.0, 10.0, 15.0, 20.0, math.inf)
"""Visit-length bins in minutes, [lo, hi): Koper (1995) found stops need about 10
minutes, best 11-15, with diminishing returns after about 15."""
FOLLOW_UP_MIN = (30, 60, 120)
"""Follow-up windows for 'crime within t minutes' (Koper 1995 reports 30)."""
DEFAULT_HORIZON_MIN = 1440.0
"""Follow-up after a visit ends at the next visit, this horizon or the end of data."""
COMPLIANT_SHARE = 0.8
"""A planned spot-day is delivered when it got at least this share of the plan."""
CALL_STATUS = "answering_call"
OFF_STATUS = "off_duty"
DAY_MIN = 1440.0


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


def day_origin(times) -> pd.Timestamp:
    """The first midnight on or before the earliest of ``times``."""
    return pd.Timestamp(pd.Series(times).min()).normalize()


def ticks_from(times, origin) -> np.ndarray:
    """Minutes since ``origin``: int64 when all are whole minutes, else float."""
    m = minutes_since(times, origin)
    return m.astype(np.int64) if np.all(m == np.round(m)) else m


def minutes_since(times, origin) -> np.ndarray:
    """Float minutes from ``origin`` to each of ``times``."""
    t = pd.to_datetime(pd.Series(times)).astype("datetime64[us]")
    return ((t - pd.Timestamp(origin)) / pd.Timedelta(minutes=1)).to_numpy(float)


def read_gps_csv(path, origin=None) -> pd.DataFrame:
    """Read a force's GPS export into the run folder's ``gps`` frame.

    Columns (case-insensitive): ``officer`` (any identifier), ``time`` (ISO
    date-time, e.g. ``2021-11-05T18:30:00``; ones with a UTC offset are
    converted to Europe/London local time), ``x, y`` (EPSG:27700 metres) or
    ``lon, lat`` (WGS84 degrees, converted), optional ``status`` (a ping with
    status ``answering_call`` counts as time lost to calls).

    Parameters
    ----------
    path : str or Path
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


def read_crimes_csv(path, origin=None) -> pd.DataFrame:
    """Read recorded crimes (with exact times) into the run folder's ``crimes`` frame.

    Columns (case-insensitive): ``time`` (ISO date-time), ``x, y`` (EPSG:27700
    metres) or ``lon, lat``, optional ``crime_type`` and ``harm`` (Cambridge
    Crime Harm Index days).  Without ``harm`` the weight of a police.uk
    ``crime_type`` is looked up in the package's harm table
    (``hotspot_sim/data/chi_police_uk.csv``); otherwise it is NaN (harm totals skip it).

    Returns
    -------
    pandas.DataFrame
        ``tick, time, node (-1), x, y, crime_type, harm, outcome ('committed')``.
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


def read_hotspots_csv(path) -> pd.DataFrame:
    """Read a hot spot list: ``hotspot_id, x, y`` (or ``lon, lat``), optional ``radius_m``.

    Other columns (``location``, ``lsoa``, ...) are kept.  Duplicate ids are an
    error.

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id, node (-1), x, y`` [, ``radius_m``] and the other columns.
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
    rest = [c for c in df.columns if c not in ("hotspot_id", "x", "y", "lon", "lat", "radius_m")]
    return _mark_rows(pd.concat([out, df[rest]], axis=1), path)


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def read_plan_csv(path, origin=None) -> pd.DataFrame:
    """Read a planned dose: ``hotspot_id, planned_minutes`` and ``day`` or ``date``.

    ``day`` is a day index from ``origin``; ``date`` (YYYY-MM-DD) is converted
    to one (default origin: the earliest date).  Optional ``treated``
    (true/false, 1/0; default: ``planned_minutes > 0``).

    Returns
    -------
    pandas.DataFrame
        ``day, date, hotspot_id, planned_minutes, treated`` (as ``dose_plan.parquet``).
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


# --------------------------------------------------------------------------- presence


def ping_minutes(gps: pd.DataFrame, interval_min: float | None = None) -> np.ndarray:
    """Minutes each ping stands for: ``interval_min``, or the officer's median gap.

    An officer with a single ping gets the median over all officers (1 if
    there is none).  Gaps are taken from ``time``.
    """
    if interval_min is not None:
        if not interval_min > 0:
            raise DataError(f"interval_min must be > 0, got {interval_min!r}")
        return np.full(len(gps), float(interval_min))
    g = pd.DataFrame({"officer": gps["officer"].to_numpy(),
                      "m": minutes_since(gps["time"], pd.Timestamp(0))})
    g = g.sort_values(["officer", "m"], kind="stable")
    gap = g.groupby("officer", sort=False)["m"].diff()
    gap = gap.where(gap > 0)
    per = gap.groupby(g["officer"]).median()
    overall = float(gap.median()) if gap.notna().any() else 1.0
    return gps["officer"].map(per.fillna(overall)).fillna(overall).to_numpy(float)


def _id_series(hotspots: pd.DataFrame, pos: np.ndarray) -> pd.Series:
    ids = hotspots["hotspot_id"].reset_index(drop=True)
    out = ids.reindex(pos).reset_index(drop=True)
    return out.astype("Int64") if pd.api.types.is_integer_dtype(ids) else out


def presence(gps: pd.DataFrame, hotspots: pd.DataFrame, radius_m: float | None = DEFAULT_RADIUS_M,
             interval_min: float | None = None) -> pd.DataFrame:
    """Which hot spot (if any) each GPS ping is in, and the minutes it stands for.

    Parameters
    ----------
    gps : pandas.DataFrame
        ``officer, time, x, y`` (and anything else, kept).
    hotspots : pandas.DataFrame
        ``hotspot_id, x, y`` [, ``radius_m``].
    radius_m : float or None
        Catchment radius; None uses each hot spot's ``radius_m`` column.  A
        ping covered by several hot spots goes to the nearest.
    interval_min : float, optional
        Minutes between pings; default: the median gap of each officer.

    Returns
    -------
    pandas.DataFrame
        ``gps`` sorted by officer and time, with ``hotspot_id`` (<NA> outside
        every hot spot), ``distance_m`` and ``minutes``.
    """
    g = gps.copy()
    g["minutes"] = ping_minutes(g, interval_min)
    g = g.sort_values(["officer", "time"], kind="stable").reset_index(drop=True)
    pos, dist = nearest_hotspot(g["x"], g["y"], hotspots, radius_m)
    g["hotspot_id"] = _id_series(hotspots, pos)
    g["distance_m"] = dist
    return g


def visits(gps: pd.DataFrame, hotspots: pd.DataFrame, radius_m: float | None = DEFAULT_RADIUS_M,
           max_gap_min: float = DEFAULT_MAX_GAP_MIN, interval_min: float | None = None
           ) -> pd.DataFrame:
    """Join consecutive pings of one officer inside one hot spot into visits.

    A visit ends when the officer's next ping is outside the hot spot (or in
    another), or after a gap longer than ``max(max_gap_min, 1.5 x the ping
    interval)`` (so a lost ping does not split a visit, and 5-minute pings
    still join up).

    Returns
    -------
    pandas.DataFrame
        One row per visit, by start: ``visit`` (0..), ``officer``,
        ``hotspot_id``, ``start`` (tick of the first ping), ``end`` (tick of the
        last ping + the ping interval), ``minutes`` (end - start), ``pings``,
        ``start_time``, ``end_time``.
    """
    p = presence(gps, hotspots, radius_m, interval_min)
    pos = pd.Series(pd.Index(hotspots["hotspot_id"]).get_indexer(p["hotspot_id"].astype(object)
                                                                 .where(p["hotspot_id"].notna())))
    pos = pos.where(p["hotspot_id"].notna(), -1).to_numpy(np.int64)
    m = minutes_since(p["time"], pd.Timestamp(0))
    officer = pd.factorize(p["officer"])[0]
    same_officer = np.r_[False, officer[1:] == officer[:-1]]
    gap = np.r_[np.inf, np.diff(m)]
    limit = np.maximum(max_gap_min, 1.5 * p["minutes"].to_numpy(float))
    cont = same_officer & np.r_[False, pos[1:] == pos[:-1]] & (gap <= limit)
    present = pos >= 0
    p["visit"] = np.cumsum(present & ~cont) - 1
    v = p[present].groupby("visit", sort=True).agg(
        officer=("officer", "first"), hotspot_id=("hotspot_id", "first"),
        start=("tick", "first"), last=("tick", "last"), interval=("minutes", "first"),
        pings=("tick", "size"), start_time=("time", "first"), last_time=("time", "last"))
    v["end"] = v["last"] + v["interval"]
    v["end_time"] = v["last_time"] + pd.to_timedelta(v["interval"], unit="min")
    v["minutes"] = (v["end_time"] - v["start_time"]) / pd.Timedelta(minutes=1)
    if pd.api.types.is_integer_dtype(p["tick"]) and (v["interval"] == v["interval"].round()).all():
        v["end"] = v["end"].astype(np.int64)
    v = v.sort_values(["start_time", "officer"], kind="stable").reset_index(drop=True)
    v["visit"] = np.arange(len(v))
    return v[["visit", "officer", "hotspot_id", "start", "end", "minutes", "pings",
              "start_time", "end_time"]]


# --------------------------------------------------------------------------- dose


def _days(days, lo: int, hi: int) -> np.ndarray:
    if days is None:
        return np.arange(lo, hi + 1)
    if isinstance(days, (int, np.integer)):
        return np.arange(int(days))
    return np.asarray(list(days), np.int64)


def dose_by_day(visits: pd.DataFrame, hotspots: pd.DataFrame, days=None, origin=None
                ) -> pd.DataFrame:
    """Minutes present, visits, mean and longest visit per hot spot per day.

    A visit across midnight gives its minutes to both days; it is counted
    (and its length averaged) on the day it started.

    Parameters
    ----------
    visits : pandas.DataFrame
        From :func:`visits`.
    hotspots : pandas.DataFrame
        Every hot spot gets a row per day, zero if unvisited.
    days : int or iterable of int, optional
        Day indices to report: an int n means 0..n-1; default: the days the
        visits span.
    origin : Timestamp, optional
        Midnight of day 0 (default: the first midnight on or before the first visit).

    Returns
    -------
    pandas.DataFrame
        ``day, date, hotspot_id, minutes, visits, mean_visit_min, max_visit_min``
        (the last two NaN without visits).
    """
    if origin is None:
        origin = day_origin(visits["start_time"]) if len(visits) else pd.Timestamp("1970-01-01")
    origin = pd.Timestamp(origin)
    s = minutes_since(visits["start_time"], origin)
    e = s + visits["minutes"].to_numpy(float)
    d0 = np.floor(s / DAY_MIN).astype(np.int64)
    d1 = np.maximum(np.floor((e - 1e-9) / DAY_MIN).astype(np.int64), d0)
    n = d1 - d0 + 1
    rep = np.repeat(np.arange(len(visits)), n)
    day = d0[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(n) - n, n))
    overlap = np.minimum(e[rep], (day + 1) * DAY_MIN) - np.maximum(s[rep], day * DAY_MIN)
    ids = visits["hotspot_id"].to_numpy(object)
    mins = pd.DataFrame({"day": day, "hotspot_id": ids[rep], "minutes": overlap}) \
        .groupby(["day", "hotspot_id"])["minutes"].sum()
    per = pd.DataFrame({"day": d0, "hotspot_id": ids, "len": visits["minutes"].to_numpy(float)}) \
        .groupby(["day", "hotspot_id"])["len"].agg(["size", "mean", "max"])
    all_days = _days(days, int(d0.min()) if len(d0) else 0, int(d1.max()) if len(d1) else -1)
    grid = pd.MultiIndex.from_product([all_days, hotspots["hotspot_id"].to_numpy(object)],
                                      names=["day", "hotspot_id"])
    out = pd.DataFrame(index=grid)
    out["minutes"] = mins.reindex(grid).fillna(0.0).to_numpy(float)
    out["visits"] = per["size"].reindex(grid).fillna(0).to_numpy(np.int64)
    out["mean_visit_min"] = per["mean"].reindex(grid).to_numpy(float)
    out["max_visit_min"] = per["max"].reindex(grid).to_numpy(float)
    out = out.reset_index()
    out["hotspot_id"] = out["hotspot_id"].astype(hotspots["hotspot_id"].dtype)
    out.insert(1, "date", (origin + pd.to_timedelta(out["day"], unit="D")).dt.date)
    return out


def _plan_origin(plan: pd.DataFrame):
    if "date" in plan and len(plan):
        first = plan.iloc[0]
        return pd.Timestamp(first["date"]).normalize() - pd.Timedelta(days=int(first["day"]))
    return None


def call_minutes_by_day(gps: pd.DataFrame, origin=None, interval_min: float | None = None
                        ) -> pd.DataFrame:
    """Minutes on duty and answering calls per day, from the GPS ``status``.

    Returns
    -------
    pandas.DataFrame
        ``day, date, on_duty_minutes, call_minutes, call_share`` (empty if the
        GPS has no ``status``).
    """
    cols = ["day", "date", "on_duty_minutes", "call_minutes", "call_share"]
    if "status" not in gps or not len(gps):
        return pd.DataFrame(columns=cols)
    origin = day_origin(gps["time"]) if origin is None else pd.Timestamp(origin)
    minutes = ping_minutes(gps, interval_min)
    status = gps["status"].astype(str).to_numpy()
    day = np.floor(minutes_since(gps["time"], origin) / DAY_MIN).astype(np.int64)
    df = pd.DataFrame({"day": day, "on": np.where(status != OFF_STATUS, minutes, 0.0),
                       "call": np.where(status == CALL_STATUS, minutes, 0.0)})
    out = df.groupby("day").sum().reset_index()
    out.columns = ["day", "on_duty_minutes", "call_minutes"]
    out["call_share"] = out["call_minutes"] / out["on_duty_minutes"].where(
        out["on_duty_minutes"] > 0)
    out.insert(1, "date", (origin + pd.to_timedelta(out["day"], unit="D")).dt.date)
    return out[cols]


def compliance(dose: pd.DataFrame, plan: pd.DataFrame, gps: pd.DataFrame | None = None,
               threshold: float = COMPLIANT_SHARE, origin=None) -> dict[str, pd.DataFrame]:
    """Planned against delivered minutes, per spot-day, per hot spot and overall.

    Parameters
    ----------
    dose : pandas.DataFrame
        From :func:`dose_by_day`.
    plan : pandas.DataFrame
        ``day, hotspot_id, planned_minutes`` [, ``treated``, ``date``]: one row per
        spot-day of the trial (``dose_plan.parquet``).  ``treated`` defaults to
        ``planned_minutes > 0``.
    gps : pandas.DataFrame, optional
        With a ``status`` column, minutes answering calls per day are added.
    threshold : float
        A planned spot-day is "delivered" with at least this share of its plan
        (0.8).
    origin : Timestamp, optional
        Midnight of day 0 for the call minutes (default: from the plan's
        ``date`` and ``day``).

    Returns
    -------
    dict of pandas.DataFrame
        ``spot_days`` (plan rows with ``delivered_minutes``, ``visits``,
        ``mean_visit_min``, ``ratio`` and ``met``), ``by_hotspot`` (per day
        averages: planned and delivered minutes, visits, mean visit length,
        minutes on treated and control days, delivered/planned, share of
        planned days met), ``overall`` (one row) and ``calls``
        (:func:`call_minutes_by_day`; empty without ``status``).
    """
    missing = {"day", "hotspot_id", "planned_minutes"} - set(plan.columns)
    if missing:
        raise DataError(f"dose plan lacks column(s) {sorted(missing)}")
    sd = plan.copy()
    if "treated" not in sd:
        sd["treated"] = sd["planned_minutes"] > 0
    d = dose[["day", "hotspot_id", "minutes", "visits", "mean_visit_min"]].rename(
        columns={"minutes": "delivered_minutes"})
    sd = sd.merge(d, on=["day", "hotspot_id"], how="left")
    sd["delivered_minutes"] = sd["delivered_minutes"].fillna(0.0)
    sd["visits"] = sd["visits"].fillna(0).astype(np.int64)
    planned = sd["planned_minutes"].to_numpy(float)
    sd["ratio"] = sd["delivered_minutes"] / sd["planned_minutes"].where(planned > 0)
    sd["met"] = (planned > 0) & (sd["delivered_minutes"] >= threshold * planned)
    sd["_vmin"] = sd["visits"] * sd["mean_visit_min"].fillna(0.0)
    sd["_planned_day"] = planned > 0
    sd["_treated_min"] = sd["delivered_minutes"].where(sd["treated"])
    sd["_control_min"] = sd["delivered_minutes"].where(~sd["treated"].astype(bool))
    g = sd.groupby("hotspot_id", sort=True)
    by = pd.DataFrame({
        "days": g.size(), "planned_days": g["_planned_day"].sum(),
        "planned_min_per_day": g["planned_minutes"].mean(),
        "delivered_min_per_day": g["delivered_minutes"].mean(),
        "visits_per_day": g["visits"].mean(),
        "mean_visit_min": g["_vmin"].sum() / g["visits"].sum().where(g["visits"].sum() > 0),
        "treated_day_min": g["_treated_min"].mean(), "control_day_min": g["_control_min"].mean(),
        "delivered_over_planned": _ratio(sd, g), "share_planned_days_met":
            g["met"].sum() / g["_planned_day"].sum().where(g["_planned_day"].sum() > 0)})
    calls = call_minutes_by_day(gps, origin if origin is not None else _plan_origin(plan)) \
        if gps is not None else call_minutes_by_day(pd.DataFrame())
    days = sd["day"].nunique()
    on_plan = sd["_planned_day"]
    total_planned = float(sd["planned_minutes"].sum())
    overall = pd.DataFrame([{
        "spot_days": len(sd), "planned_spot_days": int(on_plan.sum()), "days": days,
        "planned_minutes": total_planned,
        "delivered_minutes": float(sd["delivered_minutes"].sum()),
        "delivered_on_planned_minutes": float(sd.loc[on_plan, "delivered_minutes"].sum()),
        "delivered_over_planned": (float(sd.loc[on_plan, "delivered_minutes"].sum())
                                   / total_planned if total_planned > 0 else math.nan),
        "share_planned_days_met": float(sd.loc[on_plan, "met"].mean()) if on_plan.any()
        else math.nan,
        "treated_day_min": float(sd["_treated_min"].mean()),
        "control_day_min": float(sd["_control_min"].mean()),
        "call_minutes": float(calls["call_minutes"].sum()) if len(calls) else math.nan,
        "call_minutes_per_day": float(calls["call_minutes"].mean()) if len(calls) else math.nan,
        "threshold": threshold}])
    sd = sd.drop(columns=[c for c in sd.columns if c.startswith("_")])
    return {"spot_days": sd, "by_hotspot": by.reset_index(), "overall": overall, "calls": calls}


def _ratio(sd: pd.DataFrame, g) -> pd.Series:
    p = sd.assign(_dp=sd["delivered_minutes"].where(sd["_planned_day"], 0.0)).groupby(
        "hotspot_id", sort=True)
    planned = p["planned_minutes"].sum()
    return p["_dp"].sum() / planned.where(planned > 0)


# --------------------------------------------------------------------------- residual deterrence


def kaplan_meier(durations, observed) -> pd.DataFrame:
    """Kaplan-Meier survival estimate with Greenwood standard errors.

    Parameters
    ----------
    durations : array_like
        Follow-up time of each subject (minutes to the event or censoring).
    observed : array_like of bool
        True if the event (a crime) happened at that time, False if censored.

    Returns
    -------
    pandas.DataFrame
        One row per distinct time: ``time, at_risk, events, censored,
        survival, se``.  ``survival`` is S(t) just after ``time``:
        the product over event times t_i <= t of (1 - d_i / n_i).
    """
    t = np.asarray(durations, float)
    e = np.asarray(observed, bool)
    times, inv = np.unique(t, return_inverse=True)
    events = np.bincount(inv, weights=e, minlength=times.size)
    total = np.bincount(inv, minlength=times.size)
    at_risk = t.size - np.r_[0, np.cumsum(total)][:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - events / at_risk)
        var = np.cumsum(np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0))
    return pd.DataFrame({"time": times, "at_risk": at_risk.astype(np.int64),
                         "events": events.astype(np.int64),
                         "censored": (total - events).astype(np.int64),
                         "survival": surv, "se": surv * np.sqrt(var)})


def survival_at(curve: pd.DataFrame, t: float) -> float:
    """S(t) of a :func:`kaplan_meier` curve; NaN beyond the longest follow-up (unless S hit 0)."""
    if not len(curve):
        return math.nan
    if t > curve["time"].iloc[-1]:
        return 0.0 if curve["survival"].iloc[-1] <= 0 else math.nan
    i = np.searchsorted(curve["time"].to_numpy(float), t, side="right")
    return 1.0 if i == 0 else float(curve["survival"].iloc[i - 1])


def median_survival(curve: pd.DataFrame) -> float:
    """First time the survival curve reaches 0.5 or below (NaN if it never does)."""
    hit = curve["survival"].to_numpy(float) <= 0.5
    return float(curve["time"].iloc[int(hit.argmax())]) if hit.any() else math.nan


def bin_labels(bins: Sequence[float] = LENGTH_BINS) -> list[str]:
    """``(0, 5, 10, inf)`` -> ``["0-5", "5-10", "10+"]``."""
    return [f"{lo:g}+" if math.isinf(hi) else f"{lo:g}-{hi:g}" for lo, hi in zip(bins, bins[1:])]


def presence_spells(visits: pd.DataFrame) -> pd.DataFrame:
    """Merge overlapping or touching visits at one hot spot into spells of police presence.

    Two officers there together are one spell: the place is unpoliced only
    when the last one leaves.

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id, start_time, end_time, minutes, visits, officers``.
    """
    v = visits.sort_values(["hotspot_id", "start_time"], kind="stable").reset_index(drop=True)
    prev_end = v.groupby("hotspot_id")["end_time"].cummax().groupby(v["hotspot_id"]).shift()
    v["spell"] = np.cumsum((prev_end.isna() | (v["start_time"] > prev_end)).to_numpy())
    s = v.groupby("spell").agg(hotspot_id=("hotspot_id", "first"),
                               start_time=("start_time", "min"), end_time=("end_time", "max"),
                               visits=("visit", "size"), officers=("officer", "nunique"))
    s["minutes"] = (s["end_time"] - s["start_time"]) / pd.Timedelta(minutes=1)
    return s.reset_index(drop=True)[["hotspot_id", "start_time", "end_time", "minutes",
                                     "visits", "officers"]]


def follow_up(visits: pd.DataFrame, crimes: pd.DataFrame, hotspots: pd.DataFrame,
              radius_m: float | None = DEFAULT_RADIUS_M, horizon_min: float = DEFAULT_HORIZON_MIN,
              end_time=None, bins: Sequence[float] = LENGTH_BINS) -> pd.DataFrame:
    """Minutes from each presence spell's end to the next crime in its hot spot.

    Follow-up is censored at the next spell at the same hot spot, after
    ``horizon_min`` or at ``end_time`` (default: the last visit end or crime).
    A crime exactly at the next spell's start counts as during that spell.
    Spells ending at or after the end of data are dropped.

    Returns
    -------
    pandas.DataFrame
        :func:`presence_spells` with ``bin`` (visit-length bin), ``duration``
        (minutes followed) and ``crime`` (True: a crime ended the follow-up).
    """
    s = presence_spells(visits)
    ends = [s["end_time"].max(), crimes["time"].max() if len(crimes) else pd.NaT]
    end_time = pd.Timestamp(max(t for t in ends if pd.notna(t))) if end_time is None \
        else pd.Timestamp(end_time)
    ref = min(t for t in [s["start_time"].min(), crimes["time"].min() if len(crimes) else pd.NaT]
              if pd.notna(t))
    leave = minutes_since(s["end_time"], ref)
    h = pd.Index(hotspots["hotspot_id"]).get_indexer(s["hotspot_id"])
    nxt = s.groupby("hotspot_id")["start_time"].shift(-1)
    next_start = np.where(nxt.isna(), np.inf, minutes_since(nxt.fillna(ref), ref))
    stop = np.minimum.reduce([next_start, leave + horizon_min,
                              np.full(len(s), minutes_since([end_time], ref)[0])])
    c_pos, _ = nearest_hotspot(crimes["x"], crimes["y"], hotspots, radius_m)
    c_min = minutes_since(crimes["time"], ref)[c_pos >= 0]
    c_pos = c_pos[c_pos >= 0]
    width = float(max(stop.max(initial=0), c_min.max(initial=0), leave.max(initial=0))) + 1.0
    key = c_pos * width + c_min
    order = np.argsort(key, kind="stable")
    key, c_pos, c_min = key[order], c_pos[order], c_min[order]
    crime_at = np.full(len(s), np.inf)  # next crime at the spell's hot spot after it ends
    if key.size:
        i = np.searchsorted(key, h * width + leave, side="left")
        j = np.minimum(i, key.size - 1)
        crime_at = np.where((i < key.size) & (c_pos[j] == h), c_min[j], np.inf)
    crime = (crime_at <= stop) & (crime_at < next_start)
    s["bin"] = pd.cut(s["minutes"], list(bins), right=False, labels=bin_labels(bins))
    s["duration"] = np.where(crime, crime_at, stop) - leave
    s["crime"] = crime
    return s[(s["duration"] > 0) | s["crime"]].reset_index(drop=True)


def residual_deterrence(visits: pd.DataFrame, crimes: pd.DataFrame, hotspots: pd.DataFrame,
                        radius_m: float | None = DEFAULT_RADIUS_M,
                        horizon_min: float = DEFAULT_HORIZON_MIN, end_time=None,
                        bins: Sequence[float] = LENGTH_BINS,
                        windows: Sequence[int] = FOLLOW_UP_MIN) -> dict[str, pd.DataFrame]:
    """Crime-free time after police leave a hot spot, by visit length (Koper 1995).

    Each spell of presence (:func:`presence_spells`; overlapping visits by
    several officers merged) is followed from the moment the last officer
    leaves to the next crime within the hot spot radius, censored at the next
    spell, ``horizon_min`` or the end of data (:func:`follow_up`).  Koper
    (1995) found about a 15% chance of crime within 30 minutes after a
    drive-through and about 4% after a 10-16 minute stop, best 11-15 minutes.

    Parameters
    ----------
    visits, crimes, hotspots : pandas.DataFrame
        From :func:`visits`, the crimes (``time, x, y``) and the hot spots.
    radius_m : float or None
        Hot spot radius for crimes (None: the table's ``radius_m``).
    horizon_min : float
        Longest follow-up (1440 minutes).
    end_time : Timestamp, optional
        End of the data (for a run: start + minutes run).
    bins : sequence of float
        Visit-length bin edges in minutes, [lo, hi).
    windows : sequence of int
        Follow-up windows for the table (30, 60, 120 minutes).

    Returns
    -------
    dict of pandas.DataFrame
        ``spells`` (:func:`follow_up`), ``survival`` (Kaplan-Meier curve per
        bin: ``bin`` plus the :func:`kaplan_meier` columns) and ``table`` (per
        bin: ``spells``, ``mean_minutes``, ``crimes_within_<t>`` (observed) and
        ``p_crime_<t>`` = 1 - S(t) for each window, ``median_crime_free_min``
        (NaN: the curve never reached 0.5 within follow-up)).
    """
    s = follow_up(visits, crimes, hotspots, radius_m, horizon_min, end_time, bins)
    curves, rows = [], []
    for label in bin_labels(bins):
        b = s[s["bin"] == label]
        curve = kaplan_meier(b["duration"], b["crime"]) if len(b) else \
            kaplan_meier(np.zeros(0), np.zeros(0, bool))
        curves.append(curve.assign(bin=label))
        row = {"bin": label, "spells": len(b), "mean_minutes": float(b["minutes"].mean())
               if len(b) else math.nan}
        for t in windows:
            row[f"crimes_within_{t}"] = int((b["crime"] & (b["duration"] <= t)).sum())
            row[f"p_crime_{t}"] = 1.0 - survival_at(curve, t)
        row["median_crime_free_min"] = median_survival(curve)
        rows.append(row)
    survival = pd.concat(curves, ignore_index=True)
    survival = survival[["bin"] + [c for c in survival.columns if c != "bin"]]
    return {"spells": s, "survival": survival, "table": pd.DataFrame(rows)}


KOPER_30_MIN = {"drive-by": 0.85, "10-16 min stop": 0.96}
"""Koper (1995): share of visits with no crime within 30 minutes after police leave."""


def survival_floor(lowest: float) -> float:
    """Lower y limit of the survival plot: below the lowest curve and Koper's 85%, in 5% steps."""
    return max(0.0, math.floor((min(lowest, min(KOPER_30_MIN.values())) - 0.01) * 20) / 20)


def _koper_references(ax) -> None:
    """Koper's 30-minute window and his two reference points, labelled on the plot."""
    ax.axvline(30, color="grey", ls=":", lw=1)
    ax.annotate("30 min after leaving", (30, 0), xycoords=("data", "axes fraction"),
                xytext=(3, 3), textcoords="offset points", fontsize=8, color="grey")
    for name, value in KOPER_30_MIN.items():
        ax.plot(30, value, marker="D", color="black", ms=5, zorder=5)
        ax.annotate(f"Koper 1995, {name}: {100 * value:.0f}% crime-free", (30, value),
                    xytext=(6, 0), textcoords="offset points", fontsize=8, va="center")


def plot_survival(table: pd.DataFrame, path, xmax: float = 240.0, title: str | None = None
                  ) -> Path:
    """Plot Kaplan-Meier crime-free curves by visit length and save a PNG.

    Parameters
    ----------
    table : pandas.DataFrame
        The ``survival`` frame of :func:`residual_deterrence` (``bin, time,
        survival``, ...).
    path : str or Path
        PNG to write (folders created).
    xmax : float
        Minutes shown after police leave.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    drawn, lowest = 0, 1.0
    for label, c in table.groupby("bin", sort=False):
        if not len(c):
            continue
        n = int(c["at_risk"].iloc[0])
        t = np.r_[0.0, c["time"].to_numpy(float)]
        s = np.r_[1.0, c["survival"].to_numpy(float)]
        ax.step(t, s, where="post", label=f"{label} min visit (n={n})")
        lowest = min(lowest, float(np.nanmin(s[t <= xmax])))
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, "no visits with follow-up", ha="center", va="center",
                transform=ax.transAxes)
    _koper_references(ax)
    ax.set_xlim(0, xmax)
    # crime after a visit is rare, so the curves stay near 1: show only the range they and
    # Koper's reference points use, or they cannot be told apart
    ax.set_ylim(survival_floor(lowest), 1.005)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("minutes since police left the hot spot")
    ax.set_ylabel("share of visits with no crime yet (Kaplan-Meier)")
    ax.set_title(title or "Residual deterrence: crime-free time after a visit, by visit length\n"
                 "(Koper 1995: ~15% crime within 30 min after a drive-by, ~4% after 10-16 min)",
                 fontsize=10)
    if drawn:
        ax.legend(title="visit length", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- displacement


def _zones(crimes: pd.DataFrame, hotspots: pd.DataFrame, treated, rings, radius_m, origin
           ) -> pd.DataFrame:
    """Group (treated/control/unplanned) and zone of each crime, by its nearest hot spot."""
    zoning = zone_crimes(crimes["x"], crimes["y"], hotspots, rings, radius_m)
    pos, k = zoning.nearest, zoning.zone
    names = np.array(zone_names(rings), dtype=object)
    ids = hotspots["hotspot_id"].to_numpy(object)[pos] if len(pos) else np.zeros(0, object)
    if isinstance(treated, pd.DataFrame):
        origin = _plan_origin(treated) if origin is None else origin
        if origin is None:
            origin = day_origin(crimes["time"])
        day = np.floor(minutes_since(crimes["time"], origin) / DAY_MIN).astype(np.int64)
        key = pd.MultiIndex.from_arrays([day, ids])
        t = treated.set_index(["day", "hotspot_id"])["treated"].astype(object)
        flag = t.reindex(key)
        known = flag.notna().to_numpy()
        on = flag.where(flag.notna(), False).astype(bool).to_numpy()
        group = np.where(~known, "unplanned", np.where(on, "treated", "control"))
    else:
        group = np.where(np.isin(ids, np.asarray(list(treated), object)), "treated", "control")
    group = np.where(k == len(names) - 1, "all", group)
    return pd.DataFrame({"group": group, "zone": names[k],
                         "harm": crimes["harm"].to_numpy(float) if "harm" in crimes
                         else np.full(len(crimes), np.nan)})


def _places(hotspots, treated) -> dict:
    if isinstance(treated, pd.DataFrame):
        t = treated["treated"].astype(bool)
        return {"treated": int(t.sum()), "control": int((~t).sum())}
    n_t = int(np.isin(hotspots["hotspot_id"].to_numpy(object), list(treated)).sum())
    return {"treated": n_t, "control": len(hotspots) - n_t}


def displacement(crimes: pd.DataFrame, hotspots: pd.DataFrame, treated_ids,
                 rings: Sequence[float] = (100, 200), radius_m: float | None = DEFAULT_RADIUS_M,
                 before: pd.DataFrame | None = None, origin=None) -> dict[str, pd.DataFrame]:
    """Crime in treated and control hot spots, their catchment rings and elsewhere.

    Each crime belongs to its nearest hot spot and falls in its core (within
    the radius), in a ring ``rings[i-1]..rings[i]`` metres beyond the radius,
    or elsewhere.  Bland et al. (2021) found no displacement into 100 m
    buffers; Braga et al. (2019): diffusion of benefits is more common than
    displacement.

    Parameters
    ----------
    crimes : pandas.DataFrame
        ``time, x, y`` [, ``harm``]: the crimes of the (after) period.
    hotspots : pandas.DataFrame
    treated_ids : iterable or pandas.DataFrame
        Ids of the treated hot spots, or a spot-day assignment (``day,
        hotspot_id, treated``, e.g. ``dose_plan.parquet``) for daily
        randomised trials: then a crime takes the treatment of its hot spot on
        its day, and a crime on a day outside the plan is ``unplanned``.
    rings : sequence of float
        Outer edges of the rings, in metres beyond the radius.
    radius_m : float or None
        Hot spot radius (None: the table's ``radius_m``).
    before : pandas.DataFrame, optional
        Crimes of a before period (same columns).  With a spot-day
        assignment, a hot spot counts as treated in the before period if it
        was treated on any day.
    origin : Timestamp, optional
        Midnight of day 0 for spot-day assignments (default: from the plan's
        ``date``).

    Returns
    -------
    dict of pandas.DataFrame
        ``zones``: ``group, zone, places`` (hot spots or spot-days),
        ``crimes, harm, crimes_per_place`` [, ``crimes_before, harm_before``].
        ``wdq``: empty without ``before``; else one row per buffer (all rings
        together, then each ring) with the counts ``A_b, A_a`` (treated hot
        spots), ``B_b, B_a`` (treated buffer), ``C_b, C_a`` (control hot
        spots), ``success = A_a/C_a - A_b/C_b`` (negative: crime fell in the
        treated area relative to control), ``buffer = B_a/C_a - B_b/C_b`` and
        the weighted displacement quotient (Bowers & Johnson 2003)
        ``wdq = buffer / success``: > 0 diffusion of benefits (> 1: larger
        than the direct effect), < 0 displacement (< -1: more displaced than
        prevented), NaN when not defined (:func:`zones.displacement_quotient`:
        no control crime, fewer than ``MIN_CRIMES`` before at the treated hot
        spots, or no relative fall there); ``reading`` says which.
    """
    rows = [(g, z) for g in ("treated", "control") for z in ["hot spot", *ring_labels(rings)]]
    rows.append(("all", "elsewhere"))
    places = _places(hotspots, treated_ids)

    def count(frame, assignment):
        z = _zones(frame, hotspots, assignment, rings, radius_m, origin)
        return z.groupby(["group", "zone"]).agg(crimes=("harm", "size"),
                                                harm=("harm", "sum"))

    after = count(crimes, treated_ids)
    extra = [r for r in after.index if r not in rows]
    index = pd.MultiIndex.from_tuples(rows + extra, names=["group", "zone"])
    out = after.reindex(index).fillna(0.0)
    out["crimes"] = out["crimes"].astype(np.int64)
    out.insert(0, "places", [places.get(g, 0) for g, _ in index])
    # with a daily plan the unit of treatment is the spot-day, not the hot spot
    out["unit"] = "spot-days" if isinstance(treated_ids, pd.DataFrame) else "hot spots"
    out["crimes_per_place"] = out["crimes"] / out["places"].where(out["places"] > 0)
    wdq = pd.DataFrame()
    if before is not None:
        ever = treated_ids
        if isinstance(treated_ids, pd.DataFrame):
            ever = treated_ids.loc[treated_ids["treated"].astype(bool), "hotspot_id"].unique()
        b = count(before, ever).reindex(index).fillna(0.0)
        out["crimes_before"] = b["crimes"].astype(np.int64)
        out["harm_before"] = b["harm"]
        wdq = weighted_displacement(out, rings)
    return {"zones": out.reset_index(), "wdq": wdq}


def weighted_displacement(zones: pd.DataFrame, rings: Sequence[float]) -> pd.DataFrame:
    """WDQ rows (all rings, then each ring) from a ``zones`` frame with before counts."""
    z = zones if "group" not in zones.columns else zones.set_index(["group", "zone"])
    labels = ring_labels(rings)

    def n(col, group, zone_list):
        return float(sum(z.loc[(group, zl), col] for zl in zone_list))

    out = []
    for name, zl in [("all rings", labels)] + [(lab, [lab]) for lab in labels]:
        c = dict(A_b=n("crimes_before", "treated", ["hot spot"]),
                 A_a=n("crimes", "treated", ["hot spot"]),
                 B_b=n("crimes_before", "treated", zl), B_a=n("crimes", "treated", zl),
                 C_b=n("crimes_before", "control", ["hot spot"]),
                 C_a=n("crimes", "control", ["hot spot"]))
        q = displacement_quotient((c["A_b"], c["A_a"]), (c["B_b"], c["B_a"]), (c["C_b"], c["C_a"]),
                                  control_area="at the control hot spots")
        out.append({"buffer_zone": name, **c, "success": q.success, "buffer": q.buffer,
                    "wdq": q.wdq, "reading": q.reading})
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- inputs belong together

AREA_MARGIN_M = 5000.0
"""Pings or crimes farther than this from the hot spots' bounding box are far outside the
trial's area: one force's hot spots lie within a few km of each other, and 5 km leaves room
for officers' travel between them and to the station."""
STRAY_GAP_DAYS = 30.0
"""Sorted times more than this far apart split into separate runs of dates."""
STRAY_RATIO = 20
"""A run of dates with at most 1/20 as many rows as the largest run is stray (a typed
year, a device clock reset) and is left out of the period."""
UK_LON = (-11.0, 3.0)
UK_LAT = (49.0, 61.5)
"""Longitude and latitude (degrees) of the British Isles, to recognise degrees anywhere."""
N_EXAMPLES = 5
"""Rows quoted as examples in a message."""
WARNING_COLUMNS = ["check", "file", "rows", "message"]
LINE = "file_line"
"""Column of the frames read from CSV: each row's line in its file (header = line 1)."""


def _mark_rows(out: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Note each row's line in ``path`` (header = line 1) before the rows are sorted, so
    the checks made after loading can name the lines."""
    out[LINE] = np.arange(len(out), dtype=np.int64) + 2
    out.attrs["source"] = str(path)
    return out


def _warner(notes: list[dict]):
    """``warn(check, file, rows, message)``, appending to ``notes``."""
    return lambda *note: notes.append(dict(zip(WARNING_COLUMNS, note)))


def _source(frame: pd.DataFrame, default: str) -> str:
    return frame.attrs.get("source", default)


def _short(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.6g}"
    if isinstance(v, pd.Timestamp):
        return v.isoformat(sep=" ")
    return str(v)


def _rows(frame: pd.DataFrame, mask, cols: Sequence[str] = ()) -> str:
    """The first rows of ``mask`` as 'line 2 (x=-0.2, y=51.7), ... and 3 more'."""
    idx = np.flatnonzero(np.asarray(mask, bool))
    parts = []
    for i in idx[:N_EXAMPLES]:
        where = f"line {int(frame[LINE].iloc[i])}" if LINE in frame else f"row {i + 1}"
        values = ", ".join(f"{c}={_short(frame[c].iloc[i])}" for c in cols)
        parts.append(f"{where} ({values})" if values else where)
    more = f" and {len(idx) - N_EXAMPLES:,} more" if len(idx) > N_EXAMPLES else ""
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


def stray_times(times, gap_days: float = STRAY_GAP_DAYS, ratio: float = STRAY_RATIO
                ) -> np.ndarray:
    """Which of ``times`` lie apart from the bulk of the dates (True: stray).

    The sorted times are split where consecutive ones are more than ``gap_days``
    apart; the run with most rows is the bulk, and every run with at most
    ``1/ratio`` as many rows is stray (a mistyped year, a device whose clock
    reset), e.g. one ping dated 2019 among a month of 2021 pings.  Runs of
    comparable size (two phases of one trial) are all kept.
    """
    t = pd.to_datetime(pd.Series(times)).to_numpy("datetime64[us]")
    out = np.zeros(t.size, bool)
    if t.size < 2:
        return out
    order = np.argsort(t, kind="stable")
    split = np.diff(t[order]) > np.timedelta64(int(gap_days * 86400e6), "us")
    run = np.r_[0, np.cumsum(split)]
    size = np.bincount(run)
    out[order] = (size * ratio <= size.max())[run]
    return out


def _distance_to_area(frame: pd.DataFrame, hotspots: pd.DataFrame) -> np.ndarray:
    """Metres from each point of ``frame`` to the hot spots' bounding box (0 inside)."""
    x, y = frame["x"].to_numpy(float), frame["y"].to_numpy(float)
    hx, hy = hotspots["x"].to_numpy(float), hotspots["y"].to_numpy(float)
    dx = np.maximum(np.maximum(hx.min() - x, x - hx.max()), 0.0)
    dy = np.maximum(np.maximum(hy.min() - y, y - hy.max()), 0.0)
    return np.hypot(dx, dy)


def _check_area(frame: pd.DataFrame, hotspots: pd.DataFrame, what: str, src: str, kept: str,
                warn, margin_m: float) -> None:
    """Error if no point of ``frame`` is near the hot spots; a warning for those far away."""
    far = _distance_to_area(frame, hotspots) > margin_m
    km = f"{margin_m / 1000:g} km"
    if far.all():
        box = (f"x {hotspots['x'].min():,.0f} to {hotspots['x'].max():,.0f}, "
               f"y {hotspots['y'].min():,.0f} to {hotspots['y'].max():,.0f}")
        raise DataError(
            f"{src}: none of the {len(frame):,} {what} is within {km} of the hot spots "
            f"(which span {box} in British National Grid metres), e.g. "
            f"{_rows(frame, far, ['x', 'y'])}. Check that both files cover the same place and "
            "give coordinates as x, y (EPSG:27700 metres) or lon, lat (WGS84 degrees)")
    if far.any():
        warn("far from hot spots", src, int(far.sum()),
             f"{src}: {int(far.sum()):,} of {len(frame):,} {what} are more than {km} from "
             f"the hot spots' area: {_rows(frame, far, ['x', 'y'])}; kept ({kept})")


def _resolve_radius(hotspots: pd.DataFrame, radius_m: float | None, warn) -> pd.DataFrame:
    """Hot spots with ``radius_m`` set to the radius used: ``radius_m`` if given (it wins over
    the table's own column, with a warning where they differ), else the column, else 100 m."""
    hs = hotspots.drop(columns=LINE, errors="ignore").reset_index(drop=True)
    src = _source(hotspots, "the hot spots")
    own = hs["radius_m"].to_numpy(float) if "radius_m" in hs else None
    if radius_m is None:
        hs["radius_m"] = own if own is not None else DEFAULT_RADIUS_M
    else:
        differ = own is not None and not np.allclose(own, float(radius_m))
        if differ:
            n = int((~np.isclose(own, float(radius_m))).sum())
            warn("radius conflict", src, n,
                 f"{src}: the radius given ({float(radius_m):g} m, --radius) differs from the "
                 f"file's own radius_m for {n:,} of {len(hs):,} hot spots (radius_m "
                 f"{np.nanmin(own):g} to {np.nanmax(own):g} m); {float(radius_m):g} m wins for "
                 "every hot spot. Leave out --radius to use each hot spot's radius_m")
        hs["radius_m"] = float(radius_m)
    bad = ~(hs["radius_m"].to_numpy(float) > 0)
    if bad.any():
        raise DataError(f"{src}: radius_m must be > 0 metres (a hot spot with no area gets no "
                        f"dose): {_rows(hotspots, bad, ['hotspot_id', 'radius_m'])}")
    return hs


def _check_visited(gps: pd.DataFrame, hotspots: pd.DataFrame, src: str) -> None:
    """Error if no ping is within any hot spot's radius: a dose of 0 would not be measured."""
    pos, _ = nearest_hotspot(gps["x"], gps["y"], hotspots, None)
    if (pos >= 0).any():
        return
    near, dist = nearest_hotspot(gps["x"], gps["y"], hotspots, None, within=False)
    i = int(np.argmin(dist))
    r = hotspots["radius_m"].to_numpy(float)
    raise DataError(
        f"{src}: none of the {len(gps):,} GPS pings is within the radius of any hot spot "
        f"(radius {r.min():g}{'' if r.min() == r.max() else f' to {r.max():g}'} m); the "
        f"closest, {_rows(gps, np.arange(len(gps)) == i, ['time', 'x', 'y'])}, is "
        f"{dist[i]:,.0f} m from hot spot {hotspots['hotspot_id'].iloc[near[i]]}. The dose would "
        "be 0 minutes everywhere without being measured: check that the GPS and hot spots "
        "are the same place and coordinates, or give a larger --radius")


def _drop_stray(gps: pd.DataFrame, src: str, warn) -> pd.DataFrame:
    """GPS without stray times (counted warning), so they cannot stretch the period."""
    stray = stray_times(gps["time"])
    if stray.any():
        bulk = gps["time"][~stray]
        warn("stray times", src, int(stray.sum()),
             f"{src}: {int(stray.sum()):,} of {len(gps):,} pings lie more than "
             f"{STRAY_GAP_DAYS:g} days apart from the bulk of the times ({bulk.min():%Y-%m-%d} to "
             f"{bulk.max():%Y-%m-%d}): {_rows(gps, stray, ['officer', 'time'])}; left out, so "
             "they do not stretch the period")
    return gps[~stray]


def _crimes_in_period(crimes: pd.DataFrame, start, end, src: str, warn) -> pd.DataFrame:
    """Crimes of the GPS period [start, end): error if none, counted warning for the rest."""
    t = crimes["time"]
    before, after = (t < start).to_numpy(), (t >= end).to_numpy()
    outside = before | after
    period = f"{start:%Y-%m-%d} to {end - pd.Timedelta(microseconds=1):%Y-%m-%d}"
    if len(crimes) and outside.all():
        raise DataError(
            f"{src}: none of the {len(crimes):,} crimes is in the GPS period ({period}); the "
            f"crimes run from {t.min():%Y-%m-%d} to {t.max():%Y-%m-%d}. Give the crimes of "
            "the same period as the GPS")
    if outside.any():
        warn("crimes outside the GPS period", src, int(outside.sum()),
             f"{src}: {int(outside.sum()):,} of {len(crimes):,} crimes fall outside the GPS "
             f"period ({period}): {int(before.sum()):,} before, {int(after.sum()):,} after, "
             f"e.g. {_rows(crimes, outside, ['time'])}; left out")
    return crimes[~outside]


def _check_crime_types(crimes: pd.DataFrame, src: str, warn) -> None:
    """Counted warning for crimes whose type has no harm weight (their harm is unknown)."""
    if "harm" not in crimes or "crime_type" not in crimes:
        return
    unknown = crimes["harm"].isna().to_numpy() & (crimes["crime_type"].astype(str) != "")
    if unknown.any():
        from difflib import get_close_matches

        from ..data import load_harm_weights

        known = list(load_harm_weights().index)
        counts = crimes.loc[unknown, "crime_type"].value_counts()
        listed = ", ".join(
            f"{t!r} ({n:,}" + (f"; did you mean {close[0]!r}?)" if (close := get_close_matches(
                t, known, n=1)) else ")") for t, n in counts.items())
        warn("unknown crime types", src, int(unknown.sum()),
             f"{src}: {int(unknown.sum()):,} crimes have a crime_type with no harm weight: "
             f"{listed}; e.g. {_rows(crimes, unknown, ['crime_type'])}. They count as crimes "
             "but add no harm: use police.uk crime types or give a harm column")
    blank = crimes["harm"].isna().to_numpy() & (crimes["crime_type"].astype(str) == "")
    if blank.any():
        warn("no crime type", src, int(blank.sum()),
             f"{src}: {int(blank.sum()):,} crimes have neither a crime_type nor a harm, "
             f"e.g. {_rows(crimes, blank)}; they count as crimes but add no harm")


def check_inputs(gps: pd.DataFrame, hotspots: pd.DataFrame, crimes: pd.DataFrame | None = None,
                 radius_m: float | None = None, origin=None, end_time=None,
                 margin_m: float = AREA_MARGIN_M) -> dict:
    """Check that GPS, hot spots and crimes belong together, in space and in time.

    Errors (:class:`DataError`, naming the file, the lines and what to do): no
    ping or no crime within ``margin_m`` of the hot spots' bounding box, no
    ping within any hot spot's radius (the dose would be 0 without being
    measured), no crime in the GPS period, a hot spot radius that is not > 0.
    Counted warnings (with example lines): pings or crimes far from the hot
    spots (kept), GPS times apart from the bulk (:func:`stray_times`; left
    out, so they cannot stretch the period and the per-day figures), crimes
    outside the GPS period (left out), crime types without a harm weight, an
    explicit ``radius_m`` that overrides the hot spots' own ``radius_m``.
    Frames read by :func:`read_gps_csv` and friends carry their file and line
    numbers; others are named by row.

    Parameters
    ----------
    gps, hotspots : pandas.DataFrame
    crimes : pandas.DataFrame, optional
    radius_m : float, optional
        Radius for every hot spot; None: the hot spots' ``radius_m`` column, else 100 m.
    origin, end_time : Timestamp, optional
        The GPS period (default: the midnights on or before the first ping and
        after the last one).
    margin_m : float
        Distance from the hot spots' bounding box beyond which a point is far away.

    Returns
    -------
    dict
        ``gps`` and ``crimes`` (rows left out removed), ``hotspots`` (with
        ``radius_m`` the radius used), ``origin``, ``end_time`` and
        ``warnings`` (list of dicts ``check, file, rows, message``).
    """
    notes: list[dict] = []
    warn = _warner(notes)
    if not len(gps):
        raise DataError(f"{_source(gps, 'the GPS log')}: the GPS log has no pings")
    if not len(hotspots):
        raise DataError(f"{_source(hotspots, 'the hot spots')}: there are no hot spots")
    hs = _resolve_radius(hotspots, radius_m, warn)
    src = _source(gps, "the GPS log")
    gps = _drop_stray(gps, src, warn)
    _check_area(gps, hs, "GPS pings", src, "they count as time away from the hot spots", warn,
                margin_m)
    _check_visited(gps, hs, src)
    origin = day_origin(gps["time"]) if origin is None else pd.Timestamp(origin)
    end = pd.Timestamp(gps["time"].max()).normalize() + pd.Timedelta(days=1) \
        if end_time is None else pd.Timestamp(end_time)
    if crimes is not None:
        c_src = _source(crimes, "the crimes")
        if len(crimes):
            _check_area(crimes, hs, "crimes", c_src, "they count as crime elsewhere", warn,
                        margin_m)
        crimes = _crimes_in_period(crimes, origin, end, c_src, warn)
        _check_crime_types(crimes, c_src, warn)
    return {"gps": gps, "hotspots": hs, "crimes": crimes, "origin": origin, "end_time": end_time,
            "warnings": notes}


def check_plan(plan: pd.DataFrame, hotspots: pd.DataFrame, n_days: int, origin, warn
               ) -> pd.DataFrame:
    """The plan's spot-days that Track can measure.

    A hot spot id the hot spots do not have is an error (its dose would read 0);
    planned days outside the GPS period (days ``0 .. n_days-1`` from
    ``origin``) are left out with a counted warning (``warn(check, file,
    rows, message)``), since no GPS measured them.
    """
    src = _source(plan, "the dose plan")
    unknown = ~plan["hotspot_id"].isin(hotspots["hotspot_id"]).to_numpy()
    if unknown.any():
        ids = list(dict.fromkeys(plan.loc[unknown, "hotspot_id"].tolist()))
        raise DataError(
            f"{src}, column 'hotspot_id': {int(unknown.sum()):,} row(s) name hot spot(s) that "
            f"are not among the hot spots: {ids[:N_EXAMPLES]}"
            f"{' ...' if len(ids) > N_EXAMPLES else ''}, e.g. "
            f"{_rows(plan, unknown, ['hotspot_id'])}. Use the hot spots file's hotspot_id values "
            f"(e.g. {hotspots['hotspot_id'].iloc[0]!r})")
    day = plan["day"].to_numpy(np.int64)
    outside = (day < 0) | (day >= n_days)
    if outside.all():
        raise DataError(
            f"{src}: none of the {len(plan):,} planned spot-days is in the GPS period "
            f"({pd.Timestamp(origin):%Y-%m-%d}, {n_days} day(s)), e.g. "
            f"{_rows(plan, outside, ['day'])}. Give the plan of the period the GPS covers")
    if outside.any():
        warn("plan outside the GPS period", src, int(outside.sum()),
             f"{src}: {int(outside.sum()):,} of {len(plan):,} planned spot-days fall outside "
             f"the GPS period ({pd.Timestamp(origin):%Y-%m-%d}, {n_days} day(s)): "
             f"{_rows(plan, outside, ['day', 'hotspot_id'])}; left out of compliance (no GPS "
             "measured them)")
    return plan[~outside].drop(columns=LINE, errors="ignore").reset_index(drop=True)


# --------------------------------------------------------------------------- whole runs


def track_frames(gps: pd.DataFrame, hotspots: pd.DataFrame, crimes: pd.DataFrame | None = None,
                 plan: pd.DataFrame | None = None, radius_m: float | None = None,
                 origin=None, end_time=None, interval_min: float | None = None,
                 horizon_min: float = DEFAULT_HORIZON_MIN) -> dict[str, pd.DataFrame]:
    """Every Track table from a GPS log, hot spots and (optionally) crimes and a plan.

    The inputs are checked first (:func:`check_inputs`, :func:`check_plan`):
    inputs that do not belong together are an error, and rows left out or far
    away are counted in the ``warnings`` table.

    Parameters
    ----------
    gps, hotspots : pandas.DataFrame
    crimes : pandas.DataFrame, optional
        For residual deterrence and displacement.
    plan : pandas.DataFrame, optional
        ``day, hotspot_id, planned_minutes`` [, ``treated``] for compliance;
        its ``treated`` spot-days define treatment for displacement (without
        a plan, the hot spots with any visit count as treated).
    radius_m : float, optional
        Radius of every hot spot; None: the hot spots' own ``radius_m`` column,
        else 100 m.
    origin : Timestamp, optional
        Midnight of day 0 (default: the first midnight on or before the first ping).
    end_time : Timestamp, optional
        End of the data (default: the last ping + its interval).

    Returns
    -------
    dict of pandas.DataFrame
        ``visits``, ``dose``; with a plan ``compliance``, ``compliance_by_hotspot``,
        ``compliance_overall``; ``calls`` (with a GPS ``status``); with crimes
        ``spells``, ``survival``, ``residual_deterrence``, ``displacement``;
        ``hotspots`` (with the ``radius_m`` used) and ``warnings`` (``check,
        file, rows, message``; empty when all is well).
    """
    checked = check_inputs(gps, hotspots, crimes, radius_m, origin, end_time)
    gps, hotspots, crimes, origin = (checked[k] for k in ("gps", "hotspots", "crimes", "origin"))
    notes = checked["warnings"]
    radius_m = None  # check_inputs put the radius used in each hot spot's radius_m
    if end_time is None:
        end_time = pd.Timestamp(gps["time"].max()) + pd.Timedelta(
            minutes=float(np.median(ping_minutes(gps, interval_min))))
    end_time = pd.Timestamp(end_time)
    n_days = max(1, math.ceil(minutes_since([end_time], origin)[0] / DAY_MIN - 1e-9))
    v = visits(gps, hotspots, radius_m, interval_min=interval_min)
    dose = dose_by_day(v, hotspots, days=n_days, origin=origin)
    out = {"visits": v, "dose": dose}
    if plan is not None and len(plan):
        plan = check_plan(plan, hotspots, n_days, origin,
                          _warner(notes))
        c = compliance(dose, plan, gps, origin=origin)
        out.update(compliance=c["spot_days"], compliance_by_hotspot=c["by_hotspot"],
                   compliance_overall=c["overall"], calls=c["calls"])
    else:
        out["calls"] = call_minutes_by_day(gps, origin, interval_min)
    if crimes is not None:
        rd = residual_deterrence(v, crimes, hotspots, radius_m, horizon_min, end_time)
        out.update(spells=rd["spells"], survival=rd["survival"],
                   residual_deterrence=rd["table"])
        if plan is not None and len(plan) and "treated" in plan:
            treated = plan
        else:
            treated = v["hotspot_id"].unique()
        out["displacement"] = displacement(crimes, hotspots, treated, radius_m=radius_m,
                                           origin=origin)["zones"]
    out["hotspots"] = hotspots
    out["warnings"] = pd.DataFrame(notes, columns=WARNING_COLUMNS)
    return out


def read_run(run_dir) -> dict:
    """The tables and manifest of a run folder that Track needs.

    Returns
    -------
    dict
        ``gps``, ``crimes``, ``hotspots`` and ``plan`` (None when the file is
        absent), ``manifest`` (run.json), ``origin`` (midnight of the run
        start's date) and ``end_time`` (start + minutes run).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(f"run folder not found: {run_dir}")
    from ..io import read_json, read_parquet

    fix = (f"the run folder is incomplete or damaged: rerun that run "
           f"(hotspot-sim run ... --out {run_dir} --overwrite)")
    manifest = read_json(run_dir / "run.json", fix) if (run_dir / "run.json").is_file() else {}

    def table(name):
        p = run_dir / f"{name}.parquet"
        return read_parquet(p, fix) if p.is_file() else None

    out = {name: table(file) for name, file in
           [("gps", "gps"), ("crimes", "crimes"), ("hotspots", "hotspots"), ("plan", "dose_plan")]}
    out["manifest"] = manifest
    start = pd.Timestamp(manifest["start"]) if "start" in manifest else None
    out["origin"] = start.normalize() if start is not None else None
    out["end_time"] = (start + pd.Timedelta(minutes=float(manifest["minutes"]))
                       if start is not None and "minutes" in manifest else None)
    return out


def track_run(run_dir, radius_m: float | None = None, gps: pd.DataFrame | None = None,
              hotspots: pd.DataFrame | None = None, crimes: pd.DataFrame | None = None,
              plan: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every Track table for a run folder (:func:`hotspot_sim.sim.outputs.write_run`).

    Uses ``gps.parquet``, ``hotspots.parquet``, ``crimes.parquet`` and, if
    present, ``dose_plan.parquet``; day 0 is the run start's date.  Frames
    given as arguments replace the run's own (e.g. a real GPS export).

    Returns
    -------
    dict of pandas.DataFrame
        As :func:`track_frames`.
    """
    run = read_run(run_dir)
    gps = run["gps"] if gps is None else gps
    hotspots = run["hotspots"] if hotspots is None else hotspots
    crimes = run["crimes"] if crimes is None else crimes
    plan = run["plan"] if plan is None else plan
    if gps is None:
        raise DataError(f"{run_dir}: no gps.parquet (give --gps FILE.csv)")
    if hotspots is None:
        raise DataError(f"{run_dir}: no hotspots.parquet; Track needs a hot spot policy run "
                        "(e.g. --policy hotspot_koper) or --hotspots FILE.csv")
    interval = run["manifest"].get("gps_interval_min")
    return track_frames(gps, hotspots, crimes, plan, radius_m, origin=run["origin"],
                        end_time=run["end_time"], interval_min=interval)


def write_tables(tables: dict[str, pd.DataFrame], folder) -> dict[str, Path]:
    """Write each table as ``<name>.csv`` in ``folder`` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, df in tables.items():
        paths[name] = folder / f"{name}.csv"
        write_csv(df, paths[name])
    return paths


def _fmt(v, spec: str = ".0f", na: str = "-") -> str:
    return na if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def _radius_label(tables: dict[str, pd.DataFrame], radius_m: float | None) -> str:
    """'100 m', or '50-150 m, per hot spot' from the radii :func:`track_frames` used."""
    if radius_m is None and "hotspots" in tables and "radius_m" in tables["hotspots"]:
        r = tables["hotspots"]["radius_m"].to_numpy(float)
        if len(r) and r.min() != r.max():
            return f"{r.min():g}-{r.max():g} m, per hot spot"
        radius_m = r[0] if len(r) else None
    return f"{_fmt(radius_m, 'g', 'per hot spot')} m"


def format_track(tables: dict[str, pd.DataFrame], radius_m: float | None = None) -> str:
    """A plain-text report of :func:`track_frames` tables (dose, compliance, calls, Koper)."""
    dose, v = tables["dose"], tables["visits"]
    n_days = dose["day"].nunique()
    out = [f"Track: {len(v):,} visits by {v['officer'].nunique()} officers to "
           f"{dose['hotspot_id'].nunique()} hot spots over {n_days} day(s) "
           f"(radius {_radius_label(tables, radius_m)})", ""]
    by = tables.get("compliance_by_hotspot")
    if by is None:
        g = dose.groupby("hotspot_id")
        by = pd.DataFrame({"planned_min_per_day": math.nan,
                           "delivered_min_per_day": g["minutes"].mean(),
                           "visits_per_day": g["visits"].mean(),
                           "mean_visit_min": g["minutes"].sum() / g["visits"].sum()
                           .where(g["visits"].sum() > 0)}).reset_index()
        out.append("No dose plan: delivered dose only.")
    out.append(f"  {'hot spot':>8} {'planned':>9} {'delivered':>10} {'visits':>7} "
               f"{'mean visit':>10}  (minutes or visits per day)")
    for r in by.itertuples():
        out.append(f"  {str(r.hotspot_id):>8} {_fmt(r.planned_min_per_day, '.1f'):>9} "
                   f"{_fmt(r.delivered_min_per_day, '.1f'):>10} {_fmt(r.visits_per_day, '.1f'):>7} "
                   f"{_fmt(r.mean_visit_min, '.1f'):>10}")
    if "compliance_overall" in tables:
        o = tables["compliance_overall"].iloc[0]
        out += ["", f"Compliance: delivered {_fmt(o['delivered_on_planned_minutes'], ',.0f')} of "
                f"{_fmt(o['planned_minutes'], ',.0f')} planned minutes "
                f"({_fmt(100 * o['delivered_over_planned'], '.0f')}%); "
                f"{_fmt(100 * o['share_planned_days_met'], '.0f')}% of "
                f"{int(o['planned_spot_days'])} planned spot-days got at least "
                f"{100 * o['threshold']:.0f}% of the plan",
                f"  mean minutes per spot-day: treated {_fmt(o['treated_day_min'], '.1f')}, "
                f"control {_fmt(o['control_day_min'], '.1f')}"]
    calls = tables.get("calls")
    if calls is not None and len(calls):
        out.append(f"Minutes lost to calls: {calls['call_minutes'].sum():,.0f} "
                   f"({calls['call_minutes'].mean():,.0f}/day, "
                   f"{100 * calls['call_minutes'].sum() / max(calls['on_duty_minutes'].sum(), 1):.0f}"
                   "% of on-duty time)")
    elif calls is not None:
        out.append("Minutes lost to calls: unknown (the GPS has no status column)")
    rd = tables.get("residual_deterrence")
    if rd is not None:
        out += ["", "Residual deterrence (Kaplan-Meier; Koper 1995: ~15% crime within 30 min "
                "after a drive-by, ~4% after a 10-16 min stop)",
                f"  {'visit min':>9} {'spells':>6} {'mean':>6} {'crime<=30':>10} "
                f"{'<=60':>10} {'<=120':>10} {'median free':>11}"]
        for r in rd.itertuples():
            cells = [f"{getattr(r, f'crimes_within_{t}')} "
                     f"{_fmt(100 * getattr(r, f'p_crime_{t}'), '.0f', ' - ')}%".replace(" - %", " -")
                     for t in FOLLOW_UP_MIN]
            out.append(f"  {r.bin:>9} {r.spells:>6} {_fmt(r.mean_minutes, '.1f'):>6} "
                       f"{cells[0]:>10} {cells[1]:>10} {cells[2]:>10} "
                       f"{_fmt(r.median_crime_free_min, '.0f', '>follow-up'):>11}")
        out.append("  (crimes observed within t minutes and KM probability 1 - S(t); spells = "
                   "visits, overlapping ones merged)")
    disp = tables.get("displacement")
    if disp is not None:
        out += ["", "Crime by zone (nearest hot spot)"]
        for r in disp.itertuples():
            out.append(f"  {r.group:<9} {r.zone:<17} {r.places:>5} {r.unit:<9} crimes "
                       f"{r.crimes:>5} harm {r.harm:>9,.1f}")
    notes = tables.get("warnings")
    if notes is not None and len(notes):
        out += ["", f"Input checks: {len(notes)} warning(s), listed in warnings.csv: "
                + "; ".join(f"{r.check} ({r.rows:,} row{'s' * (r.rows != 1)})"
                            for r in notes.itertuples())]
    return "\n".join(out)
