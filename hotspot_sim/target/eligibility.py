"""Eligibility rules for hot spots, as real trials wrote them down.

Operations Savvy (Birmingham) and Style (Peterborough) admitted a place as a
hot spot only if it held 36-150 crimes in 12 months within a radius of at most
150 m, its centre lay at least 500 m from every other hot spot's, and no other
hot spot overlapped the 100 m buffer around it (REFERENCE.md).

:func:`apply_eligibility` applies these rules to a ranked candidate table
(one row per place: ``node``, ``x``, ``y``, ``crimes``, ``harm``, e.g. from
:func:`eligibility_candidates`) and returns the chosen hot spots together with
every excluded candidate and the first rule it failed, in the fixed order of
:data:`RULES`:

1. ``too_few_crimes``: fewer crimes than the band's lower end;
2. ``too_many_crimes``: more crimes than the band's upper end;
3. ``too_close``: centre nearer than ``min_separation_m`` to a chosen centre;
4. ``buffer_overlap``: a chosen hot spot's area (its radius) enters this
   place's buffer, i.e. the centres are nearer than ``2 * radius_m + buffer_m``.

The crime band is per 12 months; with fewer (or more) months of data it is
scaled in proportion, so 6 months of data ask for 18-75 crimes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..choices import (ELIGIBILITY_BUFFER_M, ELIGIBILITY_MAX_CRIMES_12M,
                       ELIGIBILITY_MIN_CRIMES_12M, ELIGIBILITY_MIN_SEPARATION_M,
                       ELIGIBILITY_RADIUS_M)
from ..errors import ConfigError, DataError
from .ranking import catchment_matrix, crime_values, score_values, select_months
from .selection import greedy_separated
from .settings import RANK_BY, check_choice, check_non_negative, check_positive_int

#: The rules, in the order they are checked; an excluded place names the first it fails.
RULES = ("too_few_crimes", "too_many_crimes", "too_close", "buffer_overlap")

_CANDIDATE_COLUMNS = ("node", "x", "y", "crimes", "harm")


@dataclass(frozen=True)
class EligibilityRules:
    """Which places may be hot spots (checked on creation).

    Attributes
    ----------
    min_crimes_12m : float
        Fewest crimes (ASB excluded) a place may hold in 12 months: 36, as in
        Operations Savvy/Style (REFERENCE.md).
    max_crimes_12m : float
        Most crimes a place may hold in 12 months: 150, as in Operations
        Savvy/Style (REFERENCE.md); busier places (a town-centre street) are
        too big for a few short visits a shift to cover.
    radius_m : float
        A hot spot's radius, over which its crimes are counted: at most
        150 m in Operations Savvy/Style (REFERENCE.md).
    min_separation_m : float
        Smallest distance between two hot spot centres: 500 m in Operations
        Savvy/Style (REFERENCE.md).
    buffer_m : float
        Width of the ring around a hot spot that no other hot spot may
        overlap: 100 m in Operations Savvy/Style (REFERENCE.md), the buffer
        in which Bland et al. (2021) measured displacement.

    Raises
    ------
    ConfigError
        Naming the field, when a value is negative, not finite, or the
        minimum exceeds the maximum.
    """

    # Operations Savvy/Style (REFERENCE.md); the figures are in hotspot_sim.choices
    min_crimes_12m: float = ELIGIBILITY_MIN_CRIMES_12M
    max_crimes_12m: float = ELIGIBILITY_MAX_CRIMES_12M
    radius_m: float = ELIGIBILITY_RADIUS_M              # at most 150 m
    min_separation_m: float = ELIGIBILITY_MIN_SEPARATION_M
    buffer_m: float = ELIGIBILITY_BUFFER_M

    def __post_init__(self) -> None:
        for name in ("min_crimes_12m", "max_crimes_12m", "radius_m", "min_separation_m",
                     "buffer_m"):
            check_non_negative(getattr(self, name), f"eligibility {name}")
        if not self.radius_m > 0:
            raise ConfigError(f"eligibility radius_m must be > 0, got {self.radius_m!r}")
        if self.min_crimes_12m > self.max_crimes_12m:
            raise ConfigError(f"eligibility min_crimes_12m = {self.min_crimes_12m!r} is above "
                              f"max_crimes_12m = {self.max_crimes_12m!r}")

    @property
    def buffer_separation_m(self) -> float:
        """Centre distance below which another hot spot's area enters this one's buffer."""
        return 2 * self.radius_m + self.buffer_m

    def crime_band(self, months: int) -> tuple[float, float]:
        """The lowest and highest crime count allowed in ``months`` months of data.

        Parameters
        ----------
        months : int
            Months of crime data counted.

        Returns
        -------
        low, high : float
            The 12-month band scaled by ``months / 12``.
        """
        return self.min_crimes_12m * months / 12, self.max_crimes_12m * months / 12


@dataclass(frozen=True)
class Eligibility:
    """Hot spots chosen under :class:`EligibilityRules`, and every place excluded.

    Attributes
    ----------
    chosen : pandas.DataFrame
        The hot spots, best first: ``hotspot_id`` (1..) and the candidate's columns.
    excluded : pandas.DataFrame
        Every other candidate, in rank order: its columns plus ``rule`` (one of
        :data:`RULES`), ``detail`` (readable reason), ``nearest_node`` and
        ``distance_m`` (the nearest chosen centre; missing for the crime rules).
    rules : EligibilityRules
    months : int
        Months of crime data the counts cover.
    crime_band : tuple of float
        The crime band scaled to ``months``.
    """

    chosen: pd.DataFrame
    excluded: pd.DataFrame
    rules: EligibilityRules
    months: int
    crime_band: tuple[float, float]

    def summary(self) -> pd.Series:
        """Excluded places per rule, in the order of :data:`RULES` (zeros included)."""
        return self.excluded["rule"].value_counts().reindex(list(RULES), fill_value=0)


def eligibility_candidates(study, rules: EligibilityRules | None = None,
                           months: Sequence[str] | None = None, rank_by: str = "harm",
                           w_asb: float = 1.0, w_count: float = 0.0) -> pd.DataFrame:
    """Every node with a positive score as a candidate, with the crimes within its radius.

    Counts are those of :func:`~hotspot_sim.target.ranking.crime_values`
    summed over the node's catchment of ``rules.radius_m``, so ``score`` equals
    :func:`~hotspot_sim.target.ranking.score_places` at ``level="node"``.

    Parameters
    ----------
    study : Study
        Network and snapped crimes.
    rules : EligibilityRules, optional
        Supplies the radius (default: Operations Savvy/Style).
    months : sequence of str, optional
        Count crimes of these months only (default: all).
    rank_by, w_asb, w_count
        The score to rank by (see :func:`~hotspot_sim.target.ranking.score_values`).

    Returns
    -------
    pandas.DataFrame
        Best first (ties: lower node): ``node``, ``x``, ``y``, ``crimes``,
        ``asb``, ``harm``, ``score``, ``radius_m``.
    """
    rules = rules or EligibilityRules()
    check_choice(rank_by, RANK_BY, "rank_by")
    net = study.network
    crimes = study.crimes if months is None else select_months(study.crimes, months)
    own = crime_values(crimes, net.n_nodes)
    table = pd.DataFrame(catchment_matrix(net, rules.radius_m) @ own.to_numpy(),
                         columns=own.columns)
    table.insert(0, "node", np.arange(net.n_nodes))
    table.insert(1, "x", net.x)
    table.insert(2, "y", net.y)
    table["score"] = score_values(table, rank_by, w_asb, w_count)
    table["radius_m"] = float(rules.radius_m)
    return _ranked(table[table["score"] > 0])


def apply_eligibility(candidates: pd.DataFrame, rules: EligibilityRules | None = None,
                      months: int | Sequence[str] = 12) -> Eligibility:
    """Choose hot spots greedily by rank under the eligibility rules; list every exclusion.

    Places inside the crime band are taken best first (by ``score``, else
    ``harm``; ties: lower node), skipping any nearer than
    ``max(min_separation_m, 2 * radius_m + buffer_m)`` to one already chosen
    (:func:`~hotspot_sim.target.selection.greedy_separated`).

    Parameters
    ----------
    candidates : pandas.DataFrame
        One row per place: ``node``, ``x``, ``y`` (metres), ``crimes`` (within
        the radius, ASB excluded), ``harm``; optional ``score`` and ``radius_m``.
    rules : EligibilityRules, optional
        Default: Operations Savvy/Style (REFERENCE.md).
    months : int or sequence of str
        Months of data the counts cover (or the months themselves); the
        12-month crime band is scaled to them.

    Returns
    -------
    Eligibility
        The chosen hot spots and every excluded candidate with its rule.

    Raises
    ------
    DataError
        If a column is missing.
    ConfigError
        If ``months`` is not a positive whole number (or non-empty list), or
        the candidates were counted over a radius larger than the rules allow.
    """
    rules = rules or EligibilityRules()
    n_months = _month_count(months)
    table = _ranked(_checked_candidates(candidates, rules))
    low, high = rules.crime_band(n_months)
    crimes = table["crimes"].to_numpy(float)
    rule = np.where(crimes < low, RULES[0], np.where(crimes > high, RULES[1], "")).astype(object)
    in_band = np.flatnonzero(rule == "")
    x, y = table["x"].to_numpy(float), table["y"].to_numpy(float)
    # rank as priority (all positive), so greedy_separated keeps this order and every place
    separation = max(rules.min_separation_m, rules.buffer_separation_m)
    chosen = in_band[greedy_separated(np.arange(len(in_band), 0, -1), x[in_band], y[in_band],
                                      len(in_band), separation)] if len(in_band) else in_band
    excluded = _excluded(table, rule, chosen, rules, (low, high), n_months)
    picked = table.iloc[chosen].reset_index(drop=True)
    picked.insert(0, "hotspot_id", np.arange(1, len(picked) + 1))
    return Eligibility(chosen=picked, excluded=excluded, rules=rules, months=n_months,
                       crime_band=(low, high))


def _excluded(table: pd.DataFrame, rule: np.ndarray, chosen: np.ndarray,
              rules: EligibilityRules, band: tuple[float, float], months: int) -> pd.DataFrame:
    """The candidates not chosen, each with its first failed rule, detail and nearest centre."""
    x, y, node = table["x"].to_numpy(float), table["y"].to_numpy(float), table["node"].to_numpy()
    nearest = np.full(len(table), -1)
    distance = np.full(len(table), np.nan)
    if len(chosen):  # a tree, not a dense places x hot spots matrix (county: 10^5 places)
        distance, which = cKDTree(np.column_stack([x[chosen], y[chosen]])).query(
            np.column_stack([x, y]))
        nearest = node[chosen][which]
    rule = rule.copy()
    spatial = (rule == "") & ~np.isin(np.arange(len(table)), chosen)
    rule[spatial] = np.where(distance[spatial] < rules.min_separation_m, RULES[2], RULES[3])
    out = table.assign(rule=rule, nearest_node=nearest, distance_m=distance)[rule != ""]
    out.loc[out["rule"].isin(RULES[:2]), ["nearest_node", "distance_m"]] = [-1, np.nan]
    out["detail"] = [_detail(r, rules, band, months) for r in out.itertuples(index=False)]
    return out.reset_index(drop=True)


def _detail(row, rules: EligibilityRules, band: tuple[float, float], months: int) -> str:
    """A readable reason for one excluded place."""
    per = (f"{rules.min_crimes_12m:g}-{rules.max_crimes_12m:g} per 12 months, "
           f"{months} month(s) of data")
    if row.rule == RULES[0]:
        return f"{row.crimes:g} crimes, fewer than {band[0]:g} ({per})"
    if row.rule == RULES[1]:
        return f"{row.crimes:g} crimes, more than {band[1]:g} ({per})"
    if row.rule == RULES[2]:
        return (f"{row.distance_m:.0f} m from the hot spot at node {row.nearest_node}, "
                f"closer than {rules.min_separation_m:g} m")
    return (f"{row.distance_m:.0f} m from the hot spot at node {row.nearest_node}: its "
            f"{rules.radius_m:g} m radius enters this place's {rules.buffer_m:g} m buffer "
            f"(needs {rules.buffer_separation_m:g} m)")


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Rows best first by ``score`` (else ``harm``), ties by lower node, index 0..n-1."""
    key = "score" if "score" in table else "harm"
    return table.sort_values([key, "node"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def _checked_candidates(candidates: pd.DataFrame, rules: EligibilityRules) -> pd.DataFrame:
    """`candidates`, or DataError/ConfigError naming a missing or non-finite column or a too-wide
    radius."""
    missing = [c for c in _CANDIDATE_COLUMNS if c not in candidates]
    if missing:
        raise DataError(f"candidate table lacks column(s) {missing}")
    bad = [c for c in ("x", "y", "crimes") if not np.isfinite(candidates[c].to_numpy(float)).all()]
    if bad:
        raise DataError(f"candidate table: column(s) {bad} hold missing or infinite values")
    if "radius_m" in candidates and (candidates["radius_m"] > rules.radius_m).any():
        raise ConfigError(f"candidates were counted within {candidates['radius_m'].max():g} m, "
                          f"more than the eligibility radius_m = {rules.radius_m:g} m")
    return candidates


def _month_count(months) -> int:
    """Months of data from a count or a list of months; ConfigError naming ``months`` if invalid."""
    if isinstance(months, (str, bytes)):
        raise ConfigError(f"months: give a number of months or a list of months, got {months!r}")
    if isinstance(months, Sequence):
        if not months:
            raise ConfigError("months: the list of months is empty")
        return len(set(months))
    check_positive_int(months, "months")
    return int(months)


__all__ = ["RULES", "Eligibility", "EligibilityRules", "apply_eligibility",
           "eligibility_candidates"]
