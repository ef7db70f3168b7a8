"""The real trial's hot spots and their baseline: chosen as ``target`` does, by the
Savvy/Style eligibility rules, or read from a force's file.

* :func:`trial_hotspots` -- the hot spot table (best first) and a sentence saying how
  it was chosen, for the protocol;
* :func:`crimes_within` and :func:`harm_weights_within` -- the baseline crimes and
  their harm within each hot spot's radius, counted as ``target`` counts a catchment.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .design_defaults import DEFAULT_HOTSPOTS
#: Radius of a hot spot read from a file without ``radius_m``: ``target``'s catchment.
DEFAULT_RADIUS_M = 100.0


def trial_hotspots(study, k: int | None = None, rank_by: str = "harm",
                   eligibility: bool = False,
                   hotspots: str | Path | None = None) -> tuple[pd.DataFrame, str]:
    """The trial's hot spots, best first, and a sentence saying how they were chosen.

    Parameters
    ----------
    study : Study
        Network and snapped crimes (the baseline).
    k : int, optional
        Hot spots (default :data:`DEFAULT_HOTSPOTS`; with ``hotspots``: all in the file).
    rank_by : str
        What ``target`` ranks by (``harm``, ``count``, ``composite``; ASB weighed as the
        scenario's ``crime.asb_weight_in_index``).
    eligibility : bool
        Choose by the Operations Savvy/Style rules
        (:func:`~hotspot_sim.target.apply_eligibility`) instead of ``target``'s
        300 m separation.
    hotspots : str or Path, optional
        A hot spot file in ``track``'s format
        (:func:`~hotspot_sim.track.read_hotspots_csv`), used in its order; the
        study's crimes within each radius are its baseline.

    Returns
    -------
    (pandas.DataFrame, str)
        ``hotspot_id, x, y, radius_m, crimes`` and other columns; the sentence.

    Raises
    ------
    ConfigError
        More hot spots asked for than the data, the rules or the file give;
        ``eligibility`` together with ``hotspots``.
    DataError
        A hot spot file that cannot be read (naming it, the line and column).
    """
    if hotspots is not None:
        if eligibility:
            raise ConfigError("give hot spots from a file or choose them by the eligibility "
                              "rules, not both")
        return _hotspots_from_file(Path(hotspots), k, study)
    k = DEFAULT_HOTSPOTS if k is None else k
    w_asb = study.scenario.crime.asb_weight_in_index  # as 'target' weighs ASB
    if eligibility:
        return _eligible_hotspots(study, k, rank_by, w_asb)
    from ..target import TargetSettings, target

    settings = TargetSettings(k=k, rank_by=rank_by, w_asb=w_asb)
    table = target(study, settings)
    return table, (f"The {k} places with the highest {rank_by} score, centres at least "
                   f"{settings.min_separation_m:g} m apart ('hotspot-sim target').")


def _eligible_hotspots(study, k: int, rank_by: str, w_asb: float):
    from ..target import EligibilityRules, eligible_hotspots

    rules = EligibilityRules()
    # as 'target --eligibility' writes them: location, LSOA and counts by type too
    eligible = eligible_hotspots(study, rules, k=k, rank_by=rank_by, w_asb=w_asb)
    chosen = eligible.result
    if len(chosen.chosen) < k:
        counts = ", ".join(f"{n} {rule}" for rule, n in chosen.summary().items())
        raise ConfigError(f"k = {k}: only {len(chosen.chosen)} places meet the eligibility "
                          f"rules (excluded: {counts}); ask for at most {len(chosen.chosen)}")
    table = eligible.table
    low, high = chosen.crime_band
    return table, (f"The best {k} places by {rank_by} meeting the Operations Savvy/Style "
                   f"rules: {low:g}-{high:g} crimes in {chosen.months} months within "
                   f"{rules.radius_m:g} m, centres at least {rules.min_separation_m:g} m "
                   f"apart, a {rules.buffer_m:g} m buffer free of other hot spots.")


def _hotspots_from_file(path: Path, k: int | None, study):
    from ..track import read_hotspots_csv
    from ..track.inputs import LINE

    table = read_hotspots_csv(path).drop(columns=[LINE, "node"], errors="ignore")
    if k is not None:
        if k > len(table):
            raise ConfigError(f"k = {k}: {path} lists only {len(table)} hot spots")
        table = table.head(k)
    note = ""
    if "radius_m" not in table:
        table["radius_m"] = DEFAULT_RADIUS_M
        note = f" (no radius_m column: {DEFAULT_RADIUS_M:g} m, as 'target')"
    _check_radius(table, path)
    _check_on_streets(study, table, path)
    table["crimes"] = crimes_within(study, table["x"], table["y"], table["radius_m"])
    return table, f"From {path}, in its order{note}."


def _check_radius(table: pd.DataFrame, path: Path) -> None:
    """DataError naming hot spots of radius 0 (the reader allows it; a trial cannot use it).

    Checked here, before the power simulation, rather than when the pack's
    geofences are drawn at the end.
    """
    flat = table["radius_m"].to_numpy(float) <= 0
    if flat.any():
        ids = ", ".join(str(i) for i in table.loc[flat, "hotspot_id"].head(5))
        raise DataError(f"{path}: radius_m must be above 0 m for a trial's hot spot (its "
                        f"baseline and geofence); {int(flat.sum())} have 0 (e.g. {ids})")


def _check_on_streets(study, table: pd.DataFrame, path: Path) -> None:
    """DataError naming the hot spots with no street node of the study within their radius.

    Such a hot spot is from another place (or has swapped or mis-projected
    coordinates): its baseline would silently be 0 crimes.
    """
    _, distance = study.network.nearest_nodes(table["x"], table["y"])
    off = distance > table["radius_m"].to_numpy(float)
    if off.any():
        ids = ", ".join(str(i) for i in table.loc[off, "hotspot_id"].head(5))
        raise DataError(f"{path}: {int(off.sum())} of {len(table)} hot spot(s) (e.g. {ids}) "
                        f"have no street of the scenario within their radius (nearest "
                        f"{distance[off].min():,.0f} m away): are they inside the scenario's "
                        "study area, with x, y in EPSG:27700 metres or lon, lat in degrees?")


def crimes_within(study, x, y, radius_m) -> np.ndarray:
    """Crimes (ASB excluded) within each hot spot's radius, for hot spots given as a file.

    Counted as ``target`` counts a catchment: crimes snapped to the street nodes
    that lie within the radius of the centre (straight line, edge included), so a
    hot spot ``target`` chose gets its own ``crimes`` back.

    Parameters
    ----------
    study : Study
        Network and snapped crimes (``node``, ``is_asb``, ``harm``).
    x, y, radius_m : array-like
        Hot spot centres and radii in metres (EPSG:27700).

    Returns
    -------
    numpy.ndarray
        Counts (float), one per hot spot.
    """
    rows = _crime_rows_within(study, x, y, radius_m)
    return np.array([len(r) for r in rows], dtype=float)


def harm_weights_within(study, x, y, radius_m) -> np.ndarray:
    """Harm (CHI days) of every crime (ASB excluded) within the hot spots' radii, pooled.

    The distribution the power for harm draws each simulated crime's harm from.

    Parameters
    ----------
    study : Study
        Network and snapped crimes.
    x, y, radius_m : array-like
        Hot spot centres and radii in metres.

    Returns
    -------
    numpy.ndarray
        One finite weight per crime (a crime in two overlapping hot spots counts twice).
    """
    harm = study.crimes["harm"].to_numpy(float)
    rows = _crime_rows_within(study, x, y, radius_m)
    weights = harm[np.concatenate(rows)] if rows else np.zeros(0)
    return weights[np.isfinite(weights)]


def _crime_rows_within(study, x, y, radius_m) -> list[np.ndarray]:
    """Row numbers in ``study.crimes`` (ASB excluded) near each centre (nodes within radius)."""
    net = study.network
    crimes = study.crimes
    keep = ~crimes["is_asb"].to_numpy(bool)
    node = crimes["node"].to_numpy(np.int64)
    rows = np.flatnonzero(keep)
    order = np.argsort(node[rows], kind="stable")
    rows, sorted_nodes = rows[order], node[rows][order]
    centres = np.column_stack([np.atleast_1d(np.asarray(x, float)),
                               np.atleast_1d(np.asarray(y, float))])
    near = net.kdtree.query_ball_point(  # the network's own tree, built once
        centres, np.broadcast_to(np.asarray(radius_m, float), len(centres)))
    out = []
    for nodes in near:
        nodes = np.asarray(nodes, dtype=np.int64)
        lo = np.searchsorted(sorted_nodes, nodes, side="left")
        hi = np.searchsorted(sorted_nodes, nodes, side="right")
        out.append(np.concatenate([rows[a:b] for a, b in zip(lo, hi)] or
                                  [np.zeros(0, dtype=np.int64)]))
    return out


__all__ = ["DEFAULT_HOTSPOTS", "DEFAULT_RADIUS_M", "crimes_within", "harm_weights_within",
           "trial_hotspots"]
