"""Evaluate candidate plans with the experiment runner, paired against a baseline.

Every candidate is an arm (policy ``planned_patrol``) of one experiment whose first arm
is the baseline: the same officers with no hot spot patrol (``random`` patrol, in the
scenario's own ``[officers] mode``: a plan by car is measured against patrol as it is
now), run once and reused.  The runner gives the same replication seeds to every arm (common random
numbers), so each candidate's replication ``r`` meets the same offenders, calls and
weather of chance as the baseline's: the paired difference is the plan's effect, not
luck.  All runs go to ``OUT/runs/``, keyed by their settings, so a finished run is never
run again (:mod:`hotspot_sim.trial.runs`).

Objectives per plan (mean and 95% t-interval over replications, per simulated day):

``harm_prevented_hotspots``
    Baseline minus plan CHI days at the measured hot spots (the top ``hotspots`` harm
    places of the observed data, the same places for every plan).
``harm_prevented_area``
    Baseline minus plan CHI days in the whole study area (displacement included).
``officer_hours_per_day``
    Officer hours travelling to and staying at hot spots, measured from the run's
    status log (``planned_patrol`` logs its random patrol as ``available``).
``grade1_within_target_pct``
    Share of grade 1 calls answered within target (%).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .space import POLICY, VARIABLES, Plan, plan_of

if TYPE_CHECKING:
    from ..study import Study
    from ..trial.experiment import Experiment

OBJECTIVES = ("harm_prevented_hotspots", "harm_prevented_area", "officer_hours_per_day",
              "grade1_within_target_pct")
"""The objective names of ``plans.parquet`` (each with ``_mean``, ``_lo``, ``_hi``)."""
DIRECTIONS = ("maximize", "maximize", "minimize", "maximize")
UNITS = {"harm_prevented_hotspots": "CHI days a day", "harm_prevented_area": "CHI days a day",
         "officer_hours_per_day": "officer hours a day", "grade1_within_target_pct": "%"}
BASELINE_ARM = "baseline"
CANDIDATES_FILE = "candidates.json"


@dataclass(frozen=True)
class PlanSetup:
    """What every candidate is run with.

    Attributes
    ----------
    scenario : str
        Scenario name or TOML path.
    days : float
        Simulated days per run.
    replications : int
        Runs per plan (and of the baseline), with common random numbers.
    seed : int
        Root seed of every run's seed.
    hotspots : int
        Places measured as "the hot spots" in every run (the top harm places).
    source : str
        Names the setup in the runner's messages.
    """

    scenario: str
    days: float
    replications: int
    seed: int
    hotspots: int = 20
    source: str = "hotspot-sim plan"


def plan_experiment(setup: PlanSetup, plans: Sequence[Plan]) -> Experiment:
    """The experiment of the baseline and ``plans`` (one arm each, named by plan id).

    Parameters
    ----------
    setup : PlanSetup
        Scenario, days, replications, seed, measured hot spots.
    plans : sequence of Plan
        Candidates (duplicates are run once).

    Returns
    -------
    Experiment
    """
    from ..trial.experiment import Arm, Experiment

    arms = {BASELINE_ARM: Arm(BASELINE_ARM, "random")}
    for p in plans:
        arms.setdefault(p.plan_id, Arm(p.plan_id, POLICY, dict(p.params), dict(p.overrides)))
    return Experiment(name="plan", scenario=setup.scenario, arms=tuple(arms.values()),
                      days=float(setup.days), replications=int(setup.replications),
                      seed=int(setup.seed), control=BASELINE_ARM, hotspots=int(setup.hotspots),
                      source=setup.source)


def known_candidates(out: Path) -> dict[str, dict]:
    """Plans whose runs may be in ``out/runs`` (``candidates.json``): plan id -> values."""
    path = Path(out) / CANDIDATES_FILE
    if not path.is_file():
        return {}
    try:
        known = json.loads(path.read_text())
    except ValueError as exc:
        raise ConfigError(f"{path} is damaged ({exc}); start over with --fresh") from None
    return known if isinstance(known, dict) else {}


def remember_candidates(out: Path, plans: Sequence[Plan]) -> list[Plan]:
    """Add ``plans`` to ``candidates.json`` before they run; every plan known, in order.

    The runner refuses a folder holding runs of arms it was not given, so every later
    session builds its experiment from all the plans ever run here.
    """
    from ..io import write_text

    known = known_candidates(out)
    for p in plans:
        known.setdefault(p.plan_id, p.values)
    Path(out).mkdir(parents=True, exist_ok=True)
    write_text(Path(out) / CANDIDATES_FILE, json.dumps(known, indent=1, sort_keys=True))
    return [plan_of(values) for values in known.values()]


def evaluate_plans(plans: Sequence[Plan], setup: PlanSetup, out: Path, workers: int = 1,
                   scheduler: str | None = None, backend: str = "local",
                   progress: bool | Callable[[str, int, int], None] = False,
                   study: Study | None = None) -> pd.DataFrame:
    """Run the plans (and the baseline) not yet run in ``out`` and measure each plan.

    Parameters
    ----------
    plans : sequence of Plan
        The candidates (:func:`hotspot_sim.plan.space.plan_of`).
    setup : PlanSetup
        Scenario, days, replications, seed and measured places shared by every run.
    out : Path
        The plan's folder: runs go to ``out/runs`` (reused when their settings match).
    workers : int
        Local worker processes.
    scheduler : str, optional
        A Dask scheduler's address (``tcp://HOST:PORT``).
    backend : {"local", "dask"}
        ``"dask"`` starts a local Dask cluster of ``workers`` when no scheduler is given.
    progress : bool or callable
        The runner's progress (:func:`hotspot_sim.trial.runner.run_experiment`).
    study : Study, optional
        A prepared study to run on (tests: a synthetic grid).

    Returns
    -------
    pandas.DataFrame
        One row per plan (in the order given): ``plan_id``, the decision variables,
        ``<objective>_mean/_lo/_hi`` for each of ``OBJECTIVES``, ``n_reps`` and ``days``.

    Raises
    ------
    ConfigError
        ``out`` holds runs made with other settings (another scenario, days, seed...).
    """
    from ..trial.runner import run_experiment

    everything = remember_candidates(out, plans)
    exp = plan_experiment(setup, everything)
    # every plan ever run here is an arm: the runner checks their stored runs, and runs
    # what an interrupted session left unfinished
    with plan_manifest_kept(Path(out)):
        run_experiment(exp, Path(out), workers=workers, scheduler=scheduler,
                       backend="dask" if scheduler else backend, progress=progress, study=study)
    wanted = {p.plan_id for p in plans} | {BASELINE_ARM}
    return measure_plans(plans, _read_runs(Path(out), wanted), setup.days)


@contextmanager
def plan_manifest_kept(out: Path):
    """Put the plan search's ``manifest.json`` back after the runner wrote its own there."""
    path = out / "manifest.json"
    try:
        before = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        before = None
    try:
        yield
    finally:
        if before is not None and '"kind": "plan"' in before:
            from ..io import write_text

            write_text(path, before)


def _read_runs(out: Path, arms: set[str]) -> pd.DataFrame:
    """The finished runs of ``arms`` in ``out/runs``."""
    from ..io import read_parquet

    frames = [read_parquet(p, "delete that file to run it again")
              for p in sorted((out / "runs").glob("*.parquet"))
              if p.name.split("__")[0] in arms]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def measure_plans(plans: Sequence[Plan], runs: pd.DataFrame, days: float) -> pd.DataFrame:
    """Each plan's objectives, paired replication by replication with the baseline.

    Parameters
    ----------
    plans : sequence of Plan
        The plans to measure.
    runs : pandas.DataFrame
        Runs (``runs.parquet`` rows) of the plans and the baseline: ``arm``,
        ``replication``, ``harm``, ``harm_hotspots``, ``patrol_hours``,
        ``grade1_met_target_pct``.
    days : float
        Simulated days per run (objectives are per day).

    Returns
    -------
    pandas.DataFrame
        One row per plan, as :func:`evaluate_plans` returns.

    Raises
    ------
    DataError
        Runs that would leave an objective NaN or unpaired (:func:`_check_runs`).
    """
    _check_runs(plans, runs)
    base = runs[runs["arm"] == BASELINE_ARM].set_index("replication")
    rows = []
    for p in plans:
        mine = runs[runs["arm"] == p.plan_id].set_index("replication").sort_index()
        b = base.reindex(mine.index)  # the same replication: the same seed
        per_rep = {
            "harm_prevented_hotspots": (b["harm_hotspots"] - mine["harm_hotspots"]) / days,
            "harm_prevented_area": (b["harm"] - mine["harm"]) / days,
            "officer_hours_per_day": mine["patrol_hours"] / days,
            "grade1_within_target_pct": mine.get("grade1_met_target_pct",
                                                 np.nan * mine["harm"]),
        }
        row = {"plan_id": p.plan_id, **p.values}
        for name, values in per_rep.items():
            row.update(zip((f"{name}_mean", f"{name}_lo", f"{name}_hi"), mean_interval(values)))
        row.update(n_reps=len(mine), days=float(days))
        rows.append(row)
    objectives = [f"{o}_{s}" for o in OBJECTIVES for s in ("mean", "lo", "hi")]
    return pd.DataFrame(rows, columns=["plan_id", *VARIABLES, *objectives, "n_reps", "days"])


MEASURED = ("harm", "harm_hotspots", "patrol_hours")
"""Run columns every objective but grade 1 needs, finite in every run (a run with no grade 1
call has no grade 1 share: NaN there is allowed)."""


def _check_runs(plans: Sequence[Plan], runs: pd.DataFrame) -> None:
    """Refuse runs that would give a plan a NaN or unpaired objective (Optuna would drop it
    as failed and the search would propose it again and again).

    Raises
    ------
    DataError
        A measured column missing or not finite, a plan without runs, or a plan's
        replication the baseline lacks.
    """
    where = "in the plan folder's runs/ (delete the damaged run files to run them again)"
    missing = [c for c in ("arm", "replication", *MEASURED) if c not in runs]
    if missing:
        raise DataError(f"runs {where} have no column(s) {', '.join(missing)}")
    bad = runs[~np.isfinite(runs[list(MEASURED)].to_numpy(float)).all(axis=1)]
    if len(bad):
        raise DataError(f"runs {where} hold NaN or infinite harm or patrol hours: arm "
                        f"{bad['arm'].iloc[0]}, replication {bad['replication'].iloc[0]}")
    base = set(runs.loc[runs["arm"] == BASELINE_ARM, "replication"])
    for p in plans:
        reps = set(runs.loc[runs["arm"] == p.plan_id, "replication"])
        if not reps or reps - base:
            raise DataError(f"plan {p.plan_id} has no finished runs {where}" if not reps else
                            f"the baseline has no run of replication(s) "
                            f"{sorted(reps - base)} {where}: plan {p.plan_id} cannot be paired")


def mean_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-interval over replications (NaN bounds with fewer than 2 values).

    Two replications (``--quick``) give an interval, a wide one: t with 1 degree of
    freedom is 12.7.

    Parameters
    ----------
    values : array-like of float
        One value per replication; NaN left out.
    level : float
        Confidence level.

    Returns
    -------
    mean, lo, hi : float
    """
    from scipy import stats

    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if len(v) < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return m, m - half, m + half
