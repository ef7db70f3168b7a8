"""Input checks: GPS, hot spots, crimes and a plan must belong together, in space and time.

A GPS log of another town, crimes of another month or a plan naming unknown hot spots
would give a dose of 0 or a period stretched by years without any error; these checks
stop with a message naming the file, the lines and what to do, and count in a
warnings table the rows they leave out or that look far away.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from .inputs import LINE, N_EXAMPLES, _rows, day_origin
from .presence import DEFAULT_RADIUS_M, nearest_hotspot

AREA_MARGIN_M = 5000.0
"""Pings or crimes farther than this from the hot spots' bounding box are far outside the
trial's area: one force's hot spots lie within a few km of each other, and 5 km leaves room
for officers' travel between them and to the station."""
STRAY_GAP_DAYS = 30.0
"""Sorted times more than this far apart split into separate runs of dates."""
STRAY_RATIO = 20
"""A run of dates with at most 1/20 as many rows as the largest run is stray (a typed
year, a device clock reset) and is left out of the period."""
WARNING_COLUMNS = ["check", "file", "rows", "message"]


def _warner(notes: list[dict]):
    """``warn(check, file, rows, message)``, appending to ``notes``."""
    return lambda *note: notes.append(dict(zip(WARNING_COLUMNS, note)))


def _source(frame: pd.DataFrame, default: str) -> str:
    return frame.attrs.get("source", default)


def stray_times(times, gap_days: float = STRAY_GAP_DAYS, ratio: float = STRAY_RATIO
                ) -> np.ndarray:
    """Which of ``times`` lie apart from the bulk of the dates (True: stray).

    The sorted times are split where consecutive ones are more than ``gap_days``
    apart; the run with most rows is the bulk, and every run with at most
    ``1/ratio`` as many rows is stray (a mistyped year, a device whose clock
    reset), e.g. one ping dated 2019 among a month of 2021 pings.  Runs of
    comparable size (two phases of one trial) are all kept.

    Parameters
    ----------
    times : array-like of datetime
        The times, in any order.
    gap_days : float
        Days between sorted times that split them into runs.
    ratio : float
        A run with at most ``1/ratio`` of the largest run's rows is stray.

    Returns
    -------
    numpy.ndarray
        Boolean, in the order of ``times``.
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
    if far.all():
        _no_point_near(frame, far, hotspots, what, src, margin_m)
    if far.any():
        warn_far(int(far.sum()), len(frame), _rows(frame, far, ["x", "y"]), what, src, kept,
                 warn, margin_m)


def warn_far(n_far: int, n: int, examples: str, what: str, src: str, kept: str, warn,
             margin_m: float) -> None:
    """The counted warning for ``n_far`` of ``n`` points far from the hot spots."""
    km = f"{margin_m / 1000:g} km"
    warn("far from hot spots", src, n_far,
         f"{src}: {n_far:,} of {n:,} {what} are more than {km} from "
         f"the hot spots' area: {examples}; kept ({kept})")


def _no_point_near(frame: pd.DataFrame, far: np.ndarray, hotspots: pd.DataFrame, what: str,
                   src: str, margin_m: float) -> None:
    """The error for a table with no point near the hot spots."""
    km = f"{margin_m / 1000:g} km"
    box = (f"x {hotspots['x'].min():,.0f} to {hotspots['x'].max():,.0f}, "
           f"y {hotspots['y'].min():,.0f} to {hotspots['y'].max():,.0f}")
    raise DataError(
        f"{src}: none of the {len(frame):,} {what} is within {km} of the hot spots "
        f"(which span {box} in British National Grid metres), e.g. "
        f"{_rows(frame, far, ['x', 'y'])}. Check that both files cover the same place and "
        "give coordinates as x, y (EPSG:27700 metres) or lon, lat (WGS84 degrees)")


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
        The GPS log (``officer, time, x, y``) and the hot spots (``hotspot_id, x, y``).
    crimes : pandas.DataFrame, optional
        ``time, x, y`` [, ``crime_type``, ``harm``].
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

    Raises
    ------
    DataError
        When the inputs do not belong together (see above).
    """
    notes: list[dict] = []
    warn = _warner(notes)
    if not len(gps):
        raise DataError(f"{_source(gps, 'the GPS log')}: the GPS log has no pings")
    hs = check_hotspots(hotspots, radius_m, warn)
    src = _source(gps, "the GPS log")
    gps = _drop_stray(gps, src, warn)
    _check_area(gps, hs, "GPS pings", src, "they count as time away from the hot spots", warn,
                margin_m)
    _check_visited(gps, hs, src)
    origin = day_origin(gps["time"]) if origin is None else pd.Timestamp(origin)
    end = pd.Timestamp(gps["time"].max()).normalize() + pd.Timedelta(days=1) \
        if end_time is None else pd.Timestamp(end_time)
    crimes = check_crimes(crimes, hs, origin, end, warn, margin_m)
    return {"gps": gps, "hotspots": hs, "crimes": crimes, "origin": origin, "end_time": end_time,
            "warnings": notes}


def check_hotspots(hotspots: pd.DataFrame, radius_m: float | None, warn) -> pd.DataFrame:
    """The hot spots with ``radius_m`` the radius used (see :func:`check_inputs`).

    Raises
    ------
    DataError
        No hot spot, or a radius that is not > 0.
    """
    if not len(hotspots):
        raise DataError(f"{_source(hotspots, 'the hot spots')}: there are no hot spots")
    return _resolve_radius(hotspots, radius_m, warn)


def check_crimes(crimes: pd.DataFrame | None, hotspots: pd.DataFrame, origin: pd.Timestamp,
                 end: pd.Timestamp, warn, margin_m: float = AREA_MARGIN_M
                 ) -> pd.DataFrame | None:
    """The crimes of the GPS period [origin, end) (see :func:`check_inputs`); None stays None.

    Raises
    ------
    DataError
        No crime near the hot spots, or none in the period.
    """
    if crimes is None:
        return None
    c_src = _source(crimes, "the crimes")
    if len(crimes):
        _check_area(crimes, hotspots, "crimes", c_src, "they count as crime elsewhere", warn,
                    margin_m)
    crimes = _crimes_in_period(crimes, origin, end, c_src, warn)
    _check_crime_types(crimes, c_src, warn)
    return crimes


def check_plan(plan: pd.DataFrame, hotspots: pd.DataFrame, n_days: int, origin: pd.Timestamp,
               warn) -> pd.DataFrame:
    """The plan's spot-days that Track can measure.

    A hot spot id the hot spots do not have is an error (its dose would read 0);
    planned days outside the GPS period are left out with a counted warning,
    since no GPS measured them.

    Parameters
    ----------
    plan : pandas.DataFrame
        ``day, hotspot_id, planned_minutes`` [, ``treated``, ``date``].
    hotspots : pandas.DataFrame
        The hot spots (``hotspot_id``).
    n_days : int
        Days in the GPS period: days ``0 .. n_days-1`` from ``origin``.
    origin : Timestamp
        Midnight of day 0 (for the messages).
    warn : callable
        ``warn(check, file, rows, message)`` records a counted warning.

    Returns
    -------
    pandas.DataFrame
        The plan rows inside the GPS period, without ``file_line``.

    Raises
    ------
    DataError
        A hot spot id that is not among the hot spots, or no planned day in the period.
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
