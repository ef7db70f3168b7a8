"""How the top places differ between two harm indices (e.g. CHI against the ONS CSS).

Ashby (2017) found that harm indices rank places differently (REFERENCE.md,
"Harm indices"). :func:`compare_hotspots` chooses the hot spots under each
index with the same settings and reports:

* the overlap of the two top-k lists: a hot spot of one list is "in both"
  when the other list has a centre within the catchment radius of it (the
  two catchments then mostly cover the same streets);
* the Spearman rank correlation of the two scores over every place that
  scores above zero under either index;
* the places in only one list, each with its rank under the other index.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from scipy.stats import spearmanr

from .ranking import score_places
from .selection import target
from .settings import TargetSettings


@dataclass(frozen=True)
class IndexComparison:
    """Two indices' hot spots side by side.

    Attributes
    ----------
    labels : tuple of str
        Names of the base and the other index (e.g. ``("chi", "css")``).
    table : pandas.DataFrame
        One row per hot spot of either list: ``index``, ``hotspot_id``,
        ``node``, ``x``, ``y``, ``location``, ``lsoa``, ``score``,
        ``in_both``, ``other_hotspot_id`` (the match in the other list, or
        -1), ``rank_in_other`` (the place's rank among all places by the
        other index's score; 1 = top).
    k : int
        Hot spots per list.
    overlap : int
        Hot spots of the base list that the other list also holds.
    spearman : float
        Rank correlation of the two place scores (places above zero under either).
    places_compared : int
        How many places the correlation covers.
    """

    labels: tuple[str, str]
    table: pd.DataFrame
    k: int
    overlap: int
    spearman: float
    places_compared: int

    def only_in(self, label: str) -> pd.DataFrame:
        """The hot spots of `label`'s list that the other list lacks."""
        t = self.table
        return t[(t["index"] == label) & ~t["in_both"]]


def _with_crimes(study, crimes: pd.DataFrame):
    """A copy of `study` holding `crimes` (its cached aggregates recomputed on demand)."""
    return dataclasses.replace(study, crimes=crimes)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank of each place by score, 1 = highest (ties share the best rank)."""
    order = pd.Series(scores).rank(method="min", ascending=False)
    return order.to_numpy(np.int64)


def _match(table: pd.DataFrame, other: pd.DataFrame, radius_m: float) -> np.ndarray:
    """For each hot spot of `table`, the id of the `other` hot spot within `radius_m`, or -1."""
    if other.empty or table.empty:
        return np.full(len(table), -1)
    dist, which = cKDTree(other[["x", "y"]].to_numpy(float)).query(
        table[["x", "y"]].to_numpy(float))
    ids = other["hotspot_id"].to_numpy()[which]
    return np.where(dist <= radius_m, ids, -1)


def _side(label: str, table: pd.DataFrame, other: pd.DataFrame, other_scores: np.ndarray,
          radius_m: float) -> pd.DataFrame:
    """One list's rows of the comparison table."""
    cols = [c for c in ("hotspot_id", "node", "x", "y", "location", "lsoa", "score")
            if c in table]
    out = table[cols].copy()
    out.insert(0, "index", label)
    out["other_hotspot_id"] = _match(table, other, radius_m)
    out["in_both"] = out["other_hotspot_id"] >= 0
    out["rank_in_other"] = _ranks(other_scores)[table["node"].to_numpy(np.int64)]
    return out


def compare_hotspots(study, crimes_other: pd.DataFrame, settings: TargetSettings | None = None,
                     labels: tuple[str, str] = ("chi", "other"),
                     table_base: pd.DataFrame | None = None,
                     table_other: pd.DataFrame | None = None) -> IndexComparison:
    """Choose hot spots under two harm weightings of the same crimes and compare them.

    Parameters
    ----------
    study : Study
        The study, its crimes weighted by the base index (``harm``).
    crimes_other : pandas.DataFrame
        The same crimes weighted by the other index
        (:func:`~hotspot_sim.data.harm_indices.apply_harm_index`).
    settings : TargetSettings, optional
        Used for both lists (its ``rank_by`` should involve harm).
    labels : tuple of str
        Names of the base and the other index.
    table_base, table_other : pandas.DataFrame, optional
        The hot spots of each index when already chosen (e.g. under eligibility
        rules); default: :func:`~hotspot_sim.target.selection.target` with `settings`.

    Returns
    -------
    IndexComparison
    """
    s = settings or TargetSettings()
    other_study = _with_crimes(study, crimes_other)
    base_table = target(study, s) if table_base is None else table_base
    other_table = target(other_study, s) if table_other is None else table_other
    score = {label: score_places(st.crimes, st.network, s.rank_by, s.level, s.radius_m,
                                 s.cell_m, s.w_asb, s.w_count)
             for label, st in zip(labels, (study, other_study))}
    a, b = (score[label] for label in labels)
    table = pd.concat([_side(labels[0], base_table, other_table, b, s.radius_m),
                       _side(labels[1], other_table, base_table, a, s.radius_m)],
                      ignore_index=True)
    either = (a > 0) | (b > 0)
    rho = float(spearmanr(a[either], b[either]).statistic) if either.sum() > 2 else float("nan")
    overlap = int(table.loc[table["index"] == labels[0], "in_both"].sum())
    return IndexComparison(labels=tuple(labels), table=table, k=s.k, overlap=overlap,
                           spearman=rho, places_compared=int(either.sum()))


def format_comparison(cmp: IndexComparison) -> str:
    """The comparison as a few lines: overlap, correlation, places in one list only."""
    base, other = cmp.labels
    out = [f"Harm index {other} against {base}: {cmp.overlap} of the top {cmp.k} hot spots "
           f"are in both lists ({100 * cmp.overlap / max(cmp.k, 1):.0f}%); Spearman rank "
           f"correlation of place scores {cmp.spearman:.2f} over {cmp.places_compared:,} "
           "places"]
    for label, rival in ((other, base), (base, other)):
        only = cmp.only_in(label)
        if only.empty:
            continue
        out.append(f"  only in {label}'s list (rank under {rival}):")
        for r in only.head(5).itertuples():
            where = getattr(r, "location", "") or ""
            out.append(f"    #{r.hotspot_id:<3} node {r.node:<6} rank {r.rank_in_other:<6} "
                       f"{where}")
        if len(only) > 5:
            out.append(f"    ... and {len(only) - 5} more (see the CSV)")
    return "\n".join(out)


__all__ = ["IndexComparison", "compare_hotspots", "format_comparison"]
