"""Choose the hot spots: the best places by score, far enough apart, with their catchments.

Places are chosen greedily by score with a minimum separation, so that
treated and untreated places in a trial do not contaminate each other, and
each hot spot is described by the crimes in its catchment (police.uk
location, LSOA, counts by type, harm).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.cleaning import most_common
from ..errors import ConfigError
from ..network import StreetNetwork
from ..projection import to_lonlat
from .ranking import score_places, select_months
from .settings import TargetSettings, check_non_negative, check_positive_int, check_windows


def greedy_separated(scores: np.ndarray, x: np.ndarray, y: np.ndarray, k: int,
                     min_separation_m: float) -> np.ndarray:
    """Indices of up to ``k`` positive-score points, best first, pairwise >= min separation.

    Parameters
    ----------
    scores : numpy.ndarray
        Score per point; only positive scores are candidates (ties: lower index first).
    x, y : numpy.ndarray
        Point coordinates (metres).
    k : int
        Points wanted; fewer are returned when too few are far enough apart.
    min_separation_m : float
        Smallest straight-line distance between two chosen points.

    Returns
    -------
    numpy.ndarray
        Indices of the chosen points (int64), best first.
    """
    scores = np.asarray(scores, float)
    cand = np.flatnonzero(scores > 0)
    cand = cand[np.lexsort((cand, -scores[cand]))]
    chosen: list[int] = []
    for i in cand:
        if chosen and np.min(np.hypot(x[chosen] - x[i], y[chosen] - y[i])) < min_separation_m:
            continue
        chosen.append(int(i))
        if len(chosen) == k:
            break
    return np.asarray(chosen, dtype=np.int64)


def choose_hotspots(scores, network: StreetNetwork, k: int = 20, min_separation_m: float = 300.0,
                    *, crimes: pd.DataFrame | None = None, radius_m: float = 100.0,
                    windows: Sequence[str] = (), crime_types: Sequence[str] | None = None
                    ) -> pd.DataFrame:
    """Choose ``k`` hot spots greedily by score, at least ``min_separation_m`` apart.

    Parameters
    ----------
    scores : array_like
        One score per network node (e.g. from :func:`score_places`).  Only
        positive scores are candidates, so fewer than ``k`` may be returned.
    network : StreetNetwork
    k : int
        Hot spots wanted.
    min_separation_m : float
        Smallest straight-line distance between chosen centres (see
        :class:`TargetSettings` for why 300 m).
    crimes : pandas.DataFrame, optional
        Snapped crimes (``node``, ``is_asb``, ``harm``, ``Crime type``,
        ``Location``, ``LSOA code``) to describe each hot spot's catchment.
    radius_m : float
        Catchment radius around the centre node.
    windows : sequence of str
        Time-of-day windows: none, one for all, or one per chosen hot spot.
    crime_types : sequence of str, optional
        Count columns to include (default: the types present in ``crimes``).

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id`` (1..), ``node``, ``x``, ``y`` (BNG m), ``lon``, ``lat``,
        ``location`` (most common police.uk Location in the catchment),
        ``lsoa``, one count per crime type, ``crimes`` (ASB excluded),
        ``asb``, ``harm``, ``score``, ``radius_m``, ``window``.
    """
    check_positive_int(k, "k")
    check_non_negative(min_separation_m, "min_separation_m")
    check_non_negative(radius_m, "radius_m")
    windows = tuple(windows)
    check_windows(windows, k)
    scores = np.asarray(scores, float).ravel()
    if scores.shape != (network.n_nodes,):
        raise ConfigError(f"scores: need one per node ({network.n_nodes}), got {scores.size}")
    nodes = greedy_separated(scores, network.x, network.y, k, min_separation_m)
    lon, lat = to_lonlat(network.x[nodes], network.y[nodes])
    table = pd.DataFrame({"hotspot_id": np.arange(1, len(nodes) + 1), "node": nodes,
                          "x": network.x[nodes], "y": network.y[nodes], "lon": lon, "lat": lat})
    if crimes is not None:
        table = table.join(describe_catchments(crimes, network, nodes, radius_m, crime_types))
    table["score"] = scores[nodes]
    table["radius_m"] = float(radius_m)
    table["window"] = (list(windows) * len(nodes) if len(windows) == 1
                       else list(windows[:len(nodes)]) if windows else "")
    return table


def describe_catchments(crimes: pd.DataFrame, network: StreetNetwork, nodes: np.ndarray,
                        radius_m: float, crime_types: Sequence[str] | None = None
                        ) -> pd.DataFrame:
    """Location, LSOA, counts by type, crimes, ASB and harm within ``radius_m`` of each node.

    A crime counts for a centre when its snapped node is within the radius.

    Parameters
    ----------
    crimes : pandas.DataFrame
        Snapped crimes (``node``, ``is_asb``, ``harm``, ``Crime type``,
        ``Location``, ``LSOA code``).
    network : StreetNetwork
        The patrol graph.
    nodes : numpy.ndarray
        The hot spot centre nodes.
    radius_m : float
        Catchment radius (straight-line metres).
    crime_types : sequence of str, optional
        Count columns to include (default: the types present in ``crimes``).

    Returns
    -------
    pandas.DataFrame
        One row per entry of ``nodes`` (index 0..len-1): ``location``,
        ``lsoa``, one count per crime type, ``crimes``, ``asb``, ``harm``.
    """
    near = network.kdtree.query_ball_point(
        np.column_stack([network.x[nodes], network.y[nodes]]), r=radius_m)
    hs = np.repeat(np.arange(len(nodes)), [len(n) for n in near])
    pairs = pd.DataFrame({"hs": hs, "node": np.concatenate(near).astype(np.int64)
                          if len(hs) else np.zeros(0, np.int64)})
    rows = pairs.merge(crimes, on="node")
    types = list(crime_types) if crime_types is not None else \
        sorted(crimes["Crime type"].dropna().unique())
    idx = pd.RangeIndex(len(nodes))
    out = pd.DataFrame({"location": _most_common_per_hotspot(rows, "Location"),
                        "lsoa": _most_common_per_hotspot(rows, "LSOA code")}, index=idx)
    by_type = rows.groupby(["hs", "Crime type"]).size().unstack(fill_value=0)
    out = out.join(by_type.reindex(index=idx, columns=types, fill_value=0).fillna(0)
                   .astype(np.int64))
    asb = rows["is_asb"].to_numpy(bool)
    out["crimes"] = np.bincount(rows["hs"][~asb], minlength=len(nodes))
    out["asb"] = np.bincount(rows["hs"][asb], minlength=len(nodes))
    out["harm"] = np.bincount(rows["hs"], weights=rows["harm"].to_numpy(float),
                              minlength=len(nodes))
    return out


def _most_common_per_hotspot(rows: pd.DataFrame, col: str) -> pd.Series:
    """Most frequent non-missing `col` per hot spot ``hs`` (ties: alphabetically first)."""
    return most_common(rows, "hs", col) if col in rows else pd.Series(dtype=object)


def target(study, settings: TargetSettings | None = None,
           months: Sequence[str] | None = None) -> pd.DataFrame:
    """Choose the hot spot table for a :class:`~hotspot_sim.study.Study`.

    Parameters
    ----------
    study : Study
        Network and snapped crimes.
    settings : TargetSettings, optional
        How many hot spots, how far apart, ranked by what (default: 20 by harm).
    months : sequence of str, optional
        Use crimes of these months only (default: all the study's months).

    Returns
    -------
    pandas.DataFrame
        The hot spots, best first (see :func:`choose_hotspots`).

    Raises
    ------
    ConfigError
        When fewer than ``settings.k`` places can be chosen (too few places with
        crime, or too far apart): a silent shortfall would look like a k-spot plan.
    """
    s = settings or TargetSettings()
    crimes = study.crimes if months is None else select_months(study.crimes, months)
    scores = score_places(crimes, study.network, s.rank_by, s.level, s.radius_m, s.cell_m,
                          s.w_asb, s.w_count)
    table = choose_hotspots(scores, study.network, s.k, s.min_separation_m, crimes=crimes,
                            radius_m=s.radius_m, windows=s.windows,
                            crime_types=study.crime_types)
    if len(table) < s.k:  # never fewer hot spots than asked for without saying so
        raise ConfigError(f"k = {s.k}: only {len(table)} places with a {s.rank_by} score above 0 "
                          f"are at least {s.min_separation_m:g} m apart in this study area and "
                          f"months; ask for at most {len(table)} hot spots (or a smaller "
                          "minimum separation)")
    return table
