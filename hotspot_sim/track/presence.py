"""Presence: which hot spot a point is in, and the visits officers' GPS pings make.

Everything here reads positions in metres (British National Grid or any other
projected system), so GPS pings and crimes go through the same geometry.  A
ping stands for the minutes until the next one (:func:`ping_minutes`);
consecutive pings of one officer in one hot spot make a visit (:func:`visits`).
"""

from __future__ import annotations

from collections.abc import Iterable

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
    return _join_visits(p[present])


def _join_visits(p: pd.DataFrame) -> pd.DataFrame:
    """:func:`visits` from the pings inside a hot spot, numbered by visit (``visit``)."""
    v = p.groupby("visit", sort=True).agg(
        officer=("officer", "first"), hotspot_id=("hotspot_id", "first"),
        start=("tick", "first"), last=("tick", "last"), interval=("minutes", "first"),
        pings=("tick", "size"), start_time=("time", "first"), last_time=("time", "last"))
    return _finish_visits(v, pd.api.types.is_integer_dtype(p["tick"]))


def _finish_visits(v: pd.DataFrame, integer_ticks: bool) -> pd.DataFrame:
    """Visits' ends and lengths from their first and last pings, numbered by start."""
    v["end"] = v["last"] + v["interval"]
    v["end_time"] = v["last_time"] + pd.to_timedelta(v["interval"], unit="min")
    v["minutes"] = (v["end_time"] - v["start_time"]) / pd.Timedelta(minutes=1)
    if integer_ticks and (v["interval"] == v["interval"].round()).all():
        v["end"] = v["end"].astype(np.int64)
    v = v.sort_values(["start_time", "officer"], kind="stable").reset_index(drop=True)
    v["visit"] = np.arange(len(v))
    return v[["visit", "officer", "hotspot_id", "start", "end", "minutes", "pings",
              "start_time", "end_time"]]


class _Gaps:
    """Each officer's gaps between pings, counted by length (for their median)."""

    def __init__(self):
        self.counts: list[pd.Series] = []

    def add(self, officer: np.ndarray, gap: np.ndarray) -> None:
        keep = gap > 0
        if keep.any():
            self.counts.append(pd.Series(1, index=pd.MultiIndex.from_arrays(
                [officer[keep], gap[keep]], names=["officer", "gap"])).groupby(
                level=["officer", "gap"]).sum())

    def medians(self) -> tuple[pd.Series, float]:
        """Median gap by officer, and over all officers (1 if there is no gap at all)."""
        if not self.counts:
            return pd.Series(dtype=float), 1.0
        counts = pd.concat(self.counts).groupby(level=["officer", "gap"]).sum()
        per = counts.groupby(level="officer").apply(
            lambda c: _median_of_counts(c.index.get_level_values("gap"), c.to_numpy()))
        overall = counts.groupby(level="gap").sum()
        return per, _median_of_counts(overall.index.to_numpy(float), overall.to_numpy())


def _median_of_counts(values, counts: np.ndarray) -> float:
    """The median of ``values`` repeated ``counts`` times (as numpy's median gives it)."""
    order = np.argsort(values, kind="stable")
    values, cum = np.asarray(values, float)[order], np.cumsum(counts[order])
    n = int(cum[-1])
    lo = values[np.searchsorted(cum, (n - 1) // 2, side="right")]
    hi = values[np.searchsorted(cum, n // 2, side="right")]
    return float(np.mean([lo, hi]))


def visits_from_chunks(chunks: Iterable[pd.DataFrame], hotspots: pd.DataFrame,
                       radius_m: float | None = DEFAULT_RADIUS_M,
                       max_gap_min: float = DEFAULT_MAX_GAP_MIN,
                       interval_min: float | None = None) -> pd.DataFrame:
    """:func:`visits` of a GPS log read in chunks, holding only stretches of visits.

    The same visits as ``visits(pd.concat(chunks))``, without the whole log in memory
    (a year of a simulated run's pings: ~2 GB as one table, sorted).  Each chunk's
    pings are placed in hot spots against the officer's ping before them (carried from
    chunk to chunk) and joined into stretches that are surely one visit (gaps of at
    most ``max_gap_min``); once every officer's ping interval is known, stretches
    whose gap allows it are joined into visits.

    Parameters
    ----------
    chunks : iterable of pandas.DataFrame
        ``officer, tick, time, x, y``; each officer's pings in time order from one chunk
        to the next (within a chunk any order), as a run's log and ``gps.parquet`` are.
    hotspots, radius_m, max_gap_min, interval_min
        As :func:`visits`.

    Returns
    -------
    pandas.DataFrame
        As :func:`visits`.

    Raises
    ------
    DataError
        No chunk, or an officer's pings go back in time from one chunk to the next.
    """
    finder = VisitFinder(hotspots, radius_m, max_gap_min, interval_min)
    for chunk in chunks:
        finder.add(chunk)
    return finder.visits()


class VisitFinder:
    """:func:`visits_from_chunks` step by step: :meth:`add` each chunk, then :meth:`visits`.

    Also gives the minutes each officer's pings stand for (:meth:`ping_minutes`), as
    :func:`ping_minutes` gives them for the whole log.

    Parameters
    ----------
    hotspots, radius_m, max_gap_min, interval_min
        As :func:`visits`.
    """

    def __init__(self, hotspots: pd.DataFrame, radius_m: float | None = DEFAULT_RADIUS_M,
                 max_gap_min: float = DEFAULT_MAX_GAP_MIN, interval_min: float | None = None):
        self.hotspots, self.radius_m = hotspots, radius_m
        self.max_gap_min, self.interval_min = max_gap_min, interval_min
        self._last: dict = {}  # officer -> (minutes, hot spot position) of their latest ping
        self._gaps, self._stretches, self._integer_ticks = _Gaps(), [], True
        self._medians = None

    def add(self, chunk: pd.DataFrame) -> None:
        """Place one chunk's pings (see :func:`visits_from_chunks` for the order needed)."""
        self._integer_ticks &= pd.api.types.is_integer_dtype(chunk["tick"])
        self._stretches.append(_stretches(chunk, self.hotspots, self.radius_m,
                                          self.max_gap_min, self._last, self._gaps))
        self._medians = None

    @property
    def found(self) -> bool:
        """Whether any ping added so far is in a hot spot."""
        return any(len(s) for s in self._stretches)

    def ping_minutes(self, officer: pd.Series) -> np.ndarray:
        """Minutes a ping of each of ``officer`` stands for (:func:`ping_minutes`)."""
        if self.interval_min is not None:
            return ping_minutes(pd.DataFrame({"officer": officer}), self.interval_min)
        if self._medians is None:
            self._medians = self._gaps.medians()
        per, overall = self._medians
        return officer.map(per).fillna(overall).to_numpy(float)

    def visits(self) -> pd.DataFrame:
        """The visits of the chunks added so far (:func:`visits`)."""
        if not self._stretches:
            raise DataError("visits_from_chunks: the GPS log has no chunk")
        s = pd.concat(self._stretches, ignore_index=True).sort_values(
            ["officer", "start_time"], kind="stable").reset_index(drop=True)
        s["interval"] = self.ping_minutes(s["officer"])
        limit = np.maximum(self.max_gap_min, 1.5 * s["interval"].to_numpy(float))
        joins = s["same_spot"].to_numpy() & (s["gap"].to_numpy() <= limit)
        s["visit"] = np.cumsum(~joins) - 1
        s["hotspot_id"] = _id_series(self.hotspots, s["pos"].to_numpy())
        v = s.groupby("visit", sort=True).agg(
            officer=("officer", "first"), hotspot_id=("hotspot_id", "first"),
            start=("start", "first"), last=("last", "last"), interval=("interval", "first"),
            pings=("pings", "sum"), start_time=("start_time", "first"),
            last_time=("last_time", "last"))
        return _finish_visits(v, self._integer_ticks)


def _stretches(chunk: pd.DataFrame, hotspots: pd.DataFrame, radius_m: float | None,
               max_gap_min: float, last: dict, gaps: _Gaps) -> pd.DataFrame:
    """One chunk's stretches of consecutive pings of an officer in one hot spot.

    A stretch is one visit or part of one: a ping starts a new stretch when it is its
    officer's first in the chunk, or the ping before is elsewhere or over
    ``max_gap_min`` earlier.  Each stretch keeps the gap to the ping before its first,
    and whether that ping was in the same hot spot.  ``last`` and ``gaps`` are updated.
    """
    m = minutes_since(chunk["time"], pd.Timestamp(0))
    order = np.lexsort((m, pd.factorize(chunk["officer"])[0]))  # by officer, then time
    officer, m = chunk["officer"].to_numpy()[order], m[order]
    pos, _ = nearest_hotspot(chunk["x"].to_numpy()[order], chunk["y"].to_numpy()[order],
                             hotspots, radius_m)
    starts = np.flatnonzero(np.r_[True, officer[1:] != officer[:-1]])
    prev_m, prev_pos = np.r_[np.nan, m[:-1]], np.r_[-1, pos[:-1]]
    for i, end in zip(starts, np.r_[starts[1:], len(m)]):
        before = last.get(officer[i])
        if before is not None and m[i] < before[0]:
            raise DataError(f"officer {officer[i]!r}: GPS pings go back in time from "
                            f"{before[0]:.0f} to {m[i]:.0f} minutes between chunks")
        prev_m[i], prev_pos[i] = before if before is not None else (np.nan, -1)
        last[officer[i]] = (m[end - 1], pos[end - 1])
    gap = m - prev_m  # NaN: the officer's first ping
    gaps.add(officer, gap)
    same_spot = (prev_pos == pos) & ~np.isnan(gap)
    first_in_chunk = np.zeros(len(m), bool)
    first_in_chunk[starts] = True
    present = np.flatnonzero(pos >= 0)
    bounds = np.flatnonzero((first_in_chunk | ~same_spot | ~(gap <= max_gap_min))[present])
    ends = np.r_[bounds[1:], len(present)] if len(bounds) else bounds  # past each stretch
    first, last_ = present[bounds], present[ends - 1]
    at = lambda column, rows: chunk[column].iloc[order[rows]].reset_index(drop=True)  # noqa: E731
    return pd.DataFrame({
        "officer": at("officer", first), "pos": pos[first], "start": at("tick", first),
        "last": at("tick", last_), "pings": ends - bounds, "start_time": at("time", first),
        "last_time": at("time", last_), "gap": gap[first], "same_spot": same_spot[first]})
