"""Zones: where each crime happened relative to the hot spots, and whether crime moved.

The one zoning of crimes and the one weighted displacement quotient, used by the
experiment runner (simulated arms) and by ``track`` (a real trial's CSVs) alike:

* :func:`zone_crimes` puts each crime in its nearest hot spot's core (within the
  radius), in one of the catchment rings beyond the radius, or elsewhere;
* :func:`displacement_quotient` is the weighted displacement quotient of Bowers &
  Johnson (2003), defined only when its denominator means something;
* :func:`displacement` counts a trial's crime by group (treated, control) and zone,
  with the quotients of the treated hot spots' rings (:func:`weighted_displacement`).

The zones have two spellings of the same rings: :func:`ring_labels` for track's
tables (``"ring +0-100 m"``, distance beyond the radius) and :func:`zone_columns` for
the experiment's runs table (``"ring100_200"``, distance from the centre).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .inputs import DAY_MIN, _plan_origin, day_origin, minutes_since
from .presence import DEFAULT_RADIUS_M, hotspot_radii, nearest_hotspot

HOT_SPOT = 0
"""Zone number of a hot spot's core; ring ``i`` (1-based) is zone ``i``, then elsewhere."""
MIN_CRIMES = 10
"""Fewer crimes than this at the hot spots before treatment (or, in an experiment,
summed over the control arm's runs) and a % change or a displacement quotient is
mostly the 0.5 added to counts, or a ratio of a few events."""


@dataclass(frozen=True)
class Zoning:
    """Where each crime lies: nearest hot spot, distance to its centre and zone.

    Attributes
    ----------
    nearest : numpy.ndarray
        int64 row of the nearest hot spot (-1 when there are no hot spots).
    distance_m : numpy.ndarray
        Metres to that hot spot's centre (NaN when there are none).
    zone : numpy.ndarray
        int64: ``HOT_SPOT`` (0) within the radius, ``i`` in ring ``i``
        (1..len(rings)), ``len(rings) + 1`` elsewhere.
    """

    nearest: np.ndarray
    distance_m: np.ndarray
    zone: np.ndarray

    @property
    def in_hot_spot(self) -> np.ndarray:
        """Boolean mask of the crimes within a hot spot's radius."""
        return self.zone == HOT_SPOT


def zone_crimes(x, y, hotspots: pd.DataFrame, rings: Sequence[float],
                radius_m: float | None = DEFAULT_RADIUS_M) -> Zoning:
    """Zone each point by its nearest hot spot: core, catchment ring or elsewhere.

    A point within the radius (distance <= radius) is in the hot spot; ring 1
    reaches out to ``radius + rings[0]``, ring ``i`` from ``radius + rings[i-2]``
    (exclusive) to ``radius + rings[i-1]`` (inclusive); anything farther is
    elsewhere.  Bland et al. (2021) used 100 m buffers around 100 m hot spots.

    Parameters
    ----------
    x, y : array-like
        Crime coordinates in metres.
    hotspots : pandas.DataFrame
        ``x, y`` [, ``radius_m``] of the hot spot centres.
    rings : sequence of float
        Outer edges of the rings, in metres beyond the radius, increasing.
    radius_m : float or None
        Hot spot radius; None uses the table's ``radius_m`` column.

    Returns
    -------
    Zoning
        Nearest hot spot, distance and zone of each point.
    """
    pos, dist = nearest_hotspot(x, y, hotspots, within=False)
    radii = hotspot_radii(hotspots, radius_m)
    found = pos >= 0
    beyond = np.full(len(pos), np.nan)
    beyond[found] = dist[found] - radii[pos[found]]
    edges = np.r_[0.0, np.asarray(rings, float)]
    # side="left": a point exactly on an edge belongs to the inner zone; NaN sorts last
    zone = np.searchsorted(edges, beyond, side="left").astype(np.int64)
    return Zoning(nearest=pos, distance_m=dist, zone=zone)


def zone_names(rings: Sequence[float]) -> list[str]:
    """Track's names of the zones, by zone number: hot spot, each ring, elsewhere.

    Parameters
    ----------
    rings : sequence of float
        Outer ring edges in metres beyond the radius.

    Returns
    -------
    list of str
        ``["hot spot", *ring_labels(rings), "elsewhere"]``.
    """
    return ["hot spot", *ring_labels(rings), "elsewhere"]


def ring_labels(rings: Sequence[float]) -> list[str]:
    """Track's ring names: distance beyond the hot spot radius.

    Parameters
    ----------
    rings : sequence of float
        Outer ring edges in metres beyond the radius.

    Returns
    -------
    list of str
        ``(100, 200)`` -> ``["ring +0-100 m", "ring +100-200 m"]``.
    """
    edges = [0.0, *map(float, rings)]
    return [f"ring +{a:g}-{b:g} m" for a, b in zip(edges, edges[1:])]


def zone_columns(radius_m: float, rings: Sequence[float]) -> list[str]:
    """The experiment's names of the zones, by zone number (its runs-table columns).

    Rings are named by whole metres from the hot spot centre.

    Parameters
    ----------
    radius_m : float
        Hot spot radius.
    rings : sequence of float
        Outer ring edges in metres beyond the radius.

    Returns
    -------
    list of str
        Radius 100, rings ``(100, 200)`` ->
        ``["hotspots", "ring100_200", "ring200_300", "elsewhere"]``.
    """
    edges = [0.0, radius_m] + [radius_m + float(r) for r in rings]
    return ["hotspots"] + [f"ring{int(edges[i])}_{int(edges[i + 1])}"
                           for i in range(1, len(edges) - 1)] + ["elsewhere"]


# --------------------------------------------------------------------------- displacement quotient


@dataclass(frozen=True)
class DisplacementQuotient:
    """The weighted displacement quotient and its parts (Bowers & Johnson 2003).

    Attributes
    ----------
    success : float
        ``A_a/C_a - A_b/C_b``: negative when crime fell in the treated area
        relative to the control area (NaN without control crime).
    buffer : float
        ``B_a/C_a - B_b/C_b``: the buffer's change relative to control.
    wdq : float
        ``buffer / success``, NaN when not defined (``reading`` says why).
    reading : str
        How to read ``wdq`` (:func:`wdq_reading`), or why it is not defined.
    """

    success: float
    buffer: float
    wdq: float
    reading: str


def displacement_quotient(treated: tuple[float, float], buffer: tuple[float, float],
                          control: tuple[float, float], *, counted: float | None = None,
                          control_area: str = "in the control area",
                          counted_in: str = "the before period",
                          min_crimes: int = MIN_CRIMES) -> DisplacementQuotient:
    """Weighted displacement quotient of Bowers & Johnson (2003) from before/after counts.

    ``WDQ = (B_a/C_a - B_b/C_b) / (A_a/C_a - A_b/C_b)`` with A the treated area,
    B its buffer and C the control area.  With fewer crimes in A, WDQ > 0 means
    diffusion of benefits to the buffer (> 1: larger than the direct effect),
    < 0 displacement (< -1: more displaced than prevented).

    The quotient is only defined when its denominator means something: there was
    crime in the control area in both periods, at least ``min_crimes`` crimes were
    counted at the treated hot spots before, and crime there fell relative to the
    control area.  Otherwise ``wdq`` is NaN and ``reading`` says why.

    Parameters
    ----------
    treated, buffer, control : tuple of float
        ``(before, after)`` crimes in A, B and C (counts, or means over runs).
    counted : float, optional
        Crimes actually counted at the treated hot spots before (default
        ``treated[0]``); give the total when the counts are means over runs.
    control_area : str
        Where C is, for the reading (e.g. ``"elsewhere (the control area)"``).
    counted_in : str
        What ``counted`` was counted in, for the reading.
    min_crimes : int
        Fewest crimes in ``counted`` for a defined quotient.

    Returns
    -------
    DisplacementQuotient
        ``success``, ``buffer``, ``wdq`` and ``reading``.
    """
    (a_b, a_a), (b_b, b_a), (c_b, c_a) = treated, buffer, control
    counted = a_b if counted is None else counted
    if not (c_a > 0 and c_b > 0):
        return DisplacementQuotient(math.nan, math.nan, math.nan,
                                    f"WDQ not defined: no crimes {control_area}")
    success = a_a / c_a - a_b / c_b
    change = b_a / c_a - b_b / c_b
    if counted < min_crimes:
        why = f"too few crimes at the hot spots ({counted:.0f} in {counted_in})"
    elif not success < 0:
        why = "crimes at the hot spots did not fall"
    else:
        w = change / success
        return DisplacementQuotient(success, change, w, wdq_reading(w))
    return DisplacementQuotient(success, change, math.nan, f"WDQ not defined: {why}")


def wdq_reading(w: float) -> str:
    """Words for a defined WDQ value (Bowers & Johnson 2003).

    Parameters
    ----------
    w : float
        A weighted displacement quotient.

    Returns
    -------
    str
        E.g. ``"diffusion of benefits"`` for 0 < w <= 1.
    """
    if math.isnan(w):
        return "WDQ not defined"
    if w > 1:
        return "diffusion of benefits larger than the direct effect"
    if w > 0:
        return "diffusion of benefits"
    if w == 0:
        return "no displacement or diffusion"
    if w >= -1:
        return "displacement smaller than the direct effect (net benefit)"
    return "displacement larger than the direct effect (net loss)"


# --------------------------------------------------------------------------- crime by zone


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
                 before: pd.DataFrame | None = None, origin: pd.Timestamp | None = None
                 ) -> dict[str, pd.DataFrame]:
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
        ``hotspot_id, x, y`` [, ``radius_m``].
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
    """Weighted displacement quotients of the treated hot spots' rings.

    Treated hot spots are A, their rings B and the control hot spots C
    (:func:`displacement_quotient`).

    Parameters
    ----------
    zones : pandas.DataFrame
        The ``zones`` frame of :func:`displacement`, with ``crimes_before``.
    rings : sequence of float
        The rings it was counted with.

    Returns
    -------
    pandas.DataFrame
        One row per buffer (all rings together, then each ring): ``buffer_zone,
        A_b, A_a, B_b, B_a, C_b, C_a, success, buffer, wdq, reading``.
    """
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
