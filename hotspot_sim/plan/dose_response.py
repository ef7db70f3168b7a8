"""Dose-response around the recommended plan: harm prevented by minutes per visit and by
visits per shift.

Koper (1995) found a stop needs about 10 minutes to deter after police leave, best about
11-15 minutes; Operations Savvy and Style left the best number of visits per shift open
(/work/shared/REFERENCE.md).  Two sources, each with its 95% intervals:

- :func:`from_plans`: the evaluated plans that differ from the recommendation in that
  one variable only (or, when there are too few, the plans sharing its ranking and mode).
- :func:`sweep`: the recommendation re-run at each value of one variable with the same
  replication seeds (common random numbers), when the plan search's evaluator is given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

DOSE_VARIABLES = ("dwell_minutes", "visits_per_shift")
CATEGORIES = ("rank_by", "mode")
COLUMNS = ["variable", "value", "mean", "lo", "hi", "plan_id", "basis"]
ONLY_THIS = "differs from the recommendation in this variable only"
SAME_KIND = "shares its ranking and mode (other variables differ too)"


def from_plans(plans: pd.DataFrame, recommended: pd.Series,
               objective: str = "harm_prevented_area") -> pd.DataFrame:
    """Harm prevented by each dose variable, from the plans near the recommendation.

    Parameters
    ----------
    plans : pandas.DataFrame
        Every evaluated plan (``plans.parquet`` rows).
    recommended : pandas.Series
        The recommended plan.
    objective : str
        The objective drawn (its ``_mean``, ``_lo`` and ``_hi`` columns).

    Returns
    -------
    pandas.DataFrame
        ``variable, value, mean, lo, hi, plan_id, basis`` (``basis`` says how near
        the plan is: :data:`ONLY_THIS` or :data:`SAME_KIND`).
    """
    from .report import DECISIONS

    parts = []
    for variable in DOSE_VARIABLES:
        others = [d for d in DECISIONS if d != variable]
        near, basis = _same(plans, recommended, others), ONLY_THIS
        if near[variable].nunique() < 2:
            near, basis = _same(plans, recommended, list(CATEGORIES)), SAME_KIND
        parts.append(pd.DataFrame({
            "variable": variable, "value": near[variable].astype(float),
            "mean": near[f"{objective}_mean"], "lo": near[f"{objective}_lo"],
            "hi": near[f"{objective}_hi"], "plan_id": near["plan_id"], "basis": basis}))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["variable", "value"], ignore_index=True)[COLUMNS]


def _same(plans: pd.DataFrame, plan: pd.Series, columns: list[str]) -> pd.DataFrame:
    """The plans equal to ``plan`` in every one of ``columns``."""
    return plans[(plans[columns] == plan[columns].to_numpy()).all(axis=1)]


def sweep_candidates(recommended: pd.Series, variable: str, values) -> list[dict]:
    """The recommended plan with ``variable`` set to each of ``values`` (one dict each).

    Parameters
    ----------
    recommended : pandas.Series
        The recommended plan.
    variable : str
        One of :data:`DOSE_VARIABLES`.
    values : iterable
        The values to try.

    Returns
    -------
    list of dict
        Decision variable -> value (plain Python numbers and strings).
    """
    from .report import DECISIONS, plain_value

    base = {d: plain_value(recommended[d]) for d in DECISIONS}
    return [{**base, variable: plain_value(v)} for v in values]


def sweep_table(results: pd.DataFrame, variable: str,
                objective: str = "harm_prevented_area") -> pd.DataFrame:
    """A sweep's evaluated plans as ``variable, value, mean, lo, hi, plan_id, basis`` rows.

    Parameters
    ----------
    results : pandas.DataFrame
        The evaluator's rows (``plans.parquet`` columns) for the swept candidates.
    variable : str
        The swept variable.
    objective : str
        The objective drawn.

    Returns
    -------
    pandas.DataFrame
    """
    return pd.DataFrame({
        "variable": variable, "value": results[variable].astype(float),
        "mean": results[f"{objective}_mean"], "lo": results[f"{objective}_lo"],
        "hi": results[f"{objective}_hi"], "plan_id": results["plan_id"],
        "basis": "sweep with the search's seeds (common random numbers)",
    })[COLUMNS].sort_values("value", ignore_index=True)


MAX_SWEEP_VALUES = 7  # values per variable in a sweep: enough for a curve, few runs


def sweep_values(manifest: dict, variable: str) -> list:
    """The values a sweep tries: the searched values of ``variable`` (at most
    :data:`MAX_SWEEP_VALUES`, spread evenly, both ends kept)."""
    spec = manifest.get("space", {}).get(variable, {})
    values = list(spec.get("values", [])) if isinstance(spec, dict) else list(spec)
    if len(values) <= MAX_SWEEP_VALUES:
        return values
    picks = sorted({round(i * (len(values) - 1) / (MAX_SWEEP_VALUES - 1))
                    for i in range(MAX_SWEEP_VALUES)})
    return [values[i] for i in picks]


def sweep(out: str | Path, recommended: pd.Series, manifest: dict,
          evaluate: Callable | None = None, workers: int = 1) -> pd.DataFrame | None:
    """Re-run the recommended plan at each searched value of each dose variable.

    Every swept plan runs with the search's scenario, days, replications and seeds
    (``manifest["setup"]``), so it meets the same chance as the recommended plan and the
    baseline (common random numbers); runs already made in ``out/runs`` are reused.

    Parameters
    ----------
    out : str or Path
        The plan search's folder.
    recommended : pandas.Series
        The recommended plan.
    manifest : dict
        The search's ``manifest.json``.
    evaluate : callable, optional
        ``evaluate(plans) -> DataFrame`` of ``plans.parquet`` rows; default
        :func:`hotspot_sim.plan.evaluate.evaluate_plans` with the search's setup.
    workers : int
        Local worker processes for the default evaluator.

    Returns
    -------
    pandas.DataFrame or None
        :func:`sweep_table` rows for both variables; None when no variable has two
        values to try, or the manifest holds no setup to run with.
    """
    from .space import plan_of

    if evaluate is None:
        if "setup" not in manifest:
            return None
        evaluate = _search_evaluator(Path(out), manifest, workers)
    parts = []
    for variable in DOSE_VARIABLES:
        values = sweep_values(manifest, variable)
        if len(values) < 2:
            continue
        plans = [plan_of(c) for c in sweep_candidates(recommended, variable, values)]
        parts.append(sweep_table(evaluate(plans), variable))
    return pd.concat(parts, ignore_index=True) if parts else None


def _search_evaluator(out: Path, manifest: dict, workers: int) -> Callable:
    """The search's own evaluator: its setup, its runs folder, progress on stderr."""
    from .evaluate import PlanSetup, evaluate_plans, known_candidates

    setup = PlanSetup(**manifest["setup"])

    def evaluate(plans):
        new = any(p.plan_id not in known_candidates(out) for p in plans)
        # a progress bar only when there is something to run (else every run is reused);
        # evaluate_plans puts the search's manifest.json back after the runner's
        return evaluate_plans(plans, setup, out, workers=workers, progress=new)

    return evaluate


__all__ = ["DOSE_VARIABLES", "from_plans", "sweep", "sweep_candidates", "sweep_table",
           "sweep_values"]
