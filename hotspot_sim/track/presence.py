"""Presence: which hot spot a point is in, and the visits officers' GPS pings make.

Everything here reads positions in metres (British National Grid or any other
projected system), so GPS pings and crimes go through the same geometry.  A
ping stands for the minutes until the next one (:func:`ping_minutes`);
consecutive pings of one officer in one hot spot make a visit (:func:`visits`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..errors import DataError
from .inputs import minutes_since

DEFAULT_RADIUS_M = 100.0
"""Hot spot radius: trial hot spots are 100-150 m across (Bland et al. 2021 used
100 m buffers; Ariel et al. 2016 a 150 m radius); matches ``target``'s default."""
DEFAULT_MAX_GAP_MIN = 2.0
"""Longest gap between pings inside one visit (one missed 1-minute ping)."""


def hotspot_radii(hotspots: pd.DataFrame, radius_m: float | None = DEFAULT_RADIUS_M) -> np.ndarray:
    """Radius of each hot spot.

    Parameters
    ----------
    hotspots : pandas.DataFrame
        The hot spots [, ``radius_m``].
    radius_m : float or None
        One radius for all; None uses the table's ``radius_m`` column, or
        ``DEFAULT_RADIUS_M`` when there is none.

    Returns
    -------
    numpy.ndarray
        Float radius in metres, one per row of ``hotspots``.
    """
    if radius_m is None:
        if "radius_m" in hotspots:
            return hotspots["radius_m"].to_numpy(float)
        radius_m = DEFAULT_RADIUS_M
    return np.full(len(hotspots), float(radius_m))


def nearest_hotspot(x, y, hotspots: pd.DataFrame, radius_m: float | None = DEFAULT_RADIUS_M,
                    within: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Position (0-based row of ``hotspots``) of the nearest hot spot to each point.

    KD-tree on the hot spot centres.  With ``within`` the 8 nearest are
    checked, which is exact unless more than 8 overlapping hot spots of
    different radii cover one point.

    Parameters
    ----------
    x, y : array-like
        Point coordinates in metres.
    hotspots : pandas.DataFrame
        ``x, y`` [, ``radius_m``] of the hot spot centres.
    radius_m : float or None
        Hot spot radius (see :func:`hotspot_radii`); only used with ``within``.
    within : bool
        Count only hot spots whose radius covers the point.

    Returns
    -------
    position : numpy.ndarray
        int64 row of the nearest hot spot; -1 where none covers the point
        (``within``) or there are no hot spots.
    distance : numpy.ndarray
        Distance in metres to that hot spot's centre (NaN where position is -1).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(hotspots)
    if n == 0 or x.size == 0:
        return np.full(x.size, -1, np.int64), np.full(x.size, np.nan)
    tree = cKDTree(np.column_stack([hotspots["x"].to_numpy(float), hotspots["y"].to_numpy(float)]))
    pts = np.column_stack([x, y])
    if not within:
        d, i = tree.query(pts, k=1)
        return i.astype(np.int64), d
    radii = np.append(hotspot_radii(hotspots, radius_m), -1.0)  # index n = no neighbour
    k = min(8, n)
    d, i = tree.query(pts, k=k, distance_upper_bound=float(radii.max()))
    d, i = d.reshape(len(pts), k), i.reshape(len(pts), k)
    ok = d <= radii[i]
    first = ok.argmax(axis=1)
    hit = ok.any(axis=1)
    rows = np.arange(len(pts))
    return (np.where(hit, i[rows, first], -1).astype(np.int64),
            np.where(hit, d[rows, first], np.nan))


def ping_minutes(gps: pd.DataFrame, interval_min: float | None = None) -> np.ndarray:
    """Minutes each ping stands for: ``interval_min``, or the officer's median gap.

    An officer with a single ping gets the median over all officers (1 if
    there is none).  Gaps are taken from ``time``.

    Parameters
    ----------
    gps : pandas.DataFrame
        ``officer, time``.
    interval_min : float, optional
        Minutes between pings, the same for every ping.

    Returns
    -------
    numpy.ndarray
        Float minutes, in the order of ``gps``.

    Raises
    ------
    DataError
        ``interval_min`` is not > 0.
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

    Parameters
    ----------
    gps : pandas.DataFrame
        ``officer, tick, time, x, y``.
    hotspots : pandas.DataFrame
        ``hotspot_id, x, y`` [, ``radius_m``].
    radius_m : float or None
        Hot spot radius; None uses each hot spot's ``radius_m`` column.
    max_gap_min : float
        Shortest gap between pings that ends a visit.
    interval_min : float, optional
        Minutes between pings (default: :func:`ping_minutes`).

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
