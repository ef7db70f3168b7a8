"""Hot spots chosen by eligibility rules, in the shape ``target`` writes, and the places left out.

:func:`eligible_hotspots` runs :func:`~hotspot_sim.target.eligibility.apply_eligibility`
on a study and turns the chosen places into the usual hot spot table
(``hotspots.csv`` columns: id, node, BNG and lon/lat, location, LSOA, counts by
type, crimes, ASB, harm, score, radius, window), so that ``trial design`` and
``track`` read it like any other. Places that pass every rule but rank below
the ``k`` asked for are listed too, with the rule ``beyond_k``, so that every
candidate is accounted for in ``excluded.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..projection import to_lonlat
from .eligibility import Eligibility, EligibilityRules, apply_eligibility, eligibility_candidates
from .selection import describe_catchments
from .settings import check_windows

BEYOND_K = "beyond_k"
"""Rule of a place that passed every eligibility rule but ranked below the ``k`` asked for."""

EXCLUDED_COLUMNS = ("node", "x", "y", "crimes", "asb", "harm", "score", "rule", "detail",
                    "nearest_node", "distance_m")


@dataclass(frozen=True)
class EligibleHotspots:
    """The eligible hot spots, every excluded candidate and the rules' result.

    Attributes
    ----------
    table : pandas.DataFrame
        The hot spots in the ``target`` table shape, best first.
    excluded : pandas.DataFrame
        Every other candidate with ``rule`` and ``detail`` (:data:`EXCLUDED_COLUMNS`).
    result : Eligibility
        From :func:`apply_eligibility`.
    """

    table: pd.DataFrame
    excluded: pd.DataFrame
    result: Eligibility

    def summary(self) -> pd.Series:
        """Excluded places per rule (the eligibility rules, then ``beyond_k``)."""
        counts = self.result.summary()
        counts[BEYOND_K] = int((self.excluded["rule"] == BEYOND_K).sum())
        return counts


def eligible_hotspots(study, rules: EligibilityRules | None = None, k: int | None = None,
                      rank_by: str = "harm", w_asb: float = 1.0, w_count: float = 0.0,
                      windows: Sequence[str] = ()) -> EligibleHotspots:
    """Choose up to `k` hot spots under eligibility rules and describe them as ``target`` does.

    Parameters
    ----------
    study : Study
        Network and snapped crimes (weighted by the chosen harm index).
    rules : EligibilityRules, optional
        Default: Operations Savvy/Style (REFERENCE.md).
    k : int, optional
        Most hot spots to keep (default: every eligible place).
    rank_by, w_asb, w_count
        What candidates are ranked by (see :func:`~hotspot_sim.target.ranking.score_values`).
    windows : sequence of str
        Time-of-day windows: none, one for all, or one per kept hot spot.

    Returns
    -------
    EligibleHotspots
    """
    rules = rules or EligibilityRules()
    cands = eligibility_candidates(study, rules, rank_by=rank_by, w_asb=w_asb, w_count=w_count)
    result = apply_eligibility(cands, rules, months=study.months)
    chosen = result.chosen
    beyond = chosen.iloc[k:] if k is not None else chosen.iloc[:0]
    chosen = chosen.iloc[:k] if k is not None else chosen
    table = _as_target_table(study, chosen, rules.radius_m, tuple(windows))
    excluded = pd.concat([result.excluded, _beyond_k(beyond, k)], ignore_index=True)
    # counts summed over a catchment are whole numbers (float only from the sparse product)
    excluded = excluded.astype({"crimes": np.int64, "asb": np.int64})
    return EligibleHotspots(table=table, excluded=excluded[list(EXCLUDED_COLUMNS)],
                            result=result)


def _beyond_k(beyond: pd.DataFrame, k: int | None) -> pd.DataFrame:
    """Eligible places ranked below `k`, with the rule ``beyond_k``."""
    out = beyond.drop(columns="hotspot_id").assign(rule=BEYOND_K, nearest_node=-1,
                                                   distance_m=np.nan)
    out["detail"] = [f"eligible, ranked {i} of the eligible places; -k asked for {k}"
                     for i in beyond["hotspot_id"]]
    return out


def _as_target_table(study, chosen: pd.DataFrame, radius_m: float,
                     windows: tuple[str, ...]) -> pd.DataFrame:
    """The chosen places with lon/lat, location, LSOA and counts, as :func:`target` gives."""
    check_windows(windows, max(len(chosen), 1))
    nodes = chosen["node"].to_numpy(np.int64)
    lon, lat = to_lonlat(chosen["x"].to_numpy(float), chosen["y"].to_numpy(float))
    table = pd.DataFrame({"hotspot_id": np.arange(1, len(nodes) + 1), "node": nodes,
                          "x": chosen["x"].to_numpy(float), "y": chosen["y"].to_numpy(float),
                          "lon": lon, "lat": lat})
    table = table.join(describe_catchments(study.crimes, study.network, nodes, radius_m,
                                           study.crime_types))
    table["score"] = chosen["score"].to_numpy(float)
    table["radius_m"] = float(radius_m)
    table["window"] = (list(windows) * len(nodes) if len(windows) == 1
                       else list(windows[:len(nodes)]) if windows else "")
    return table


def format_eligibility(chosen: EligibleHotspots) -> str:
    """The rules and how many places each excluded, as a few lines."""
    r, res = chosen.result.rules, chosen.result
    low, high = res.crime_band
    lines = [f"Eligibility (Operations Savvy/Style rules): {r.min_crimes_12m:g}-"
             f"{r.max_crimes_12m:g} crimes per 12 months ({low:g}-{high:g} in {res.months} "
             f"month(s)), radius {r.radius_m:g} m, centres >= {r.min_separation_m:g} m apart, "
             f"{r.buffer_m:g} m buffer",
             f"  {len(chosen.table)} hot spot(s) chosen; {len(chosen.excluded)} candidate(s) "
             "excluded:"]
    lines += [f"    {rule:<16} {int(n):>6}" for rule, n in chosen.summary().items()]
    return "\n".join(lines)


__all__ = ["BEYOND_K", "EXCLUDED_COLUMNS", "EligibleHotspots", "eligible_hotspots",
           "format_eligibility"]
