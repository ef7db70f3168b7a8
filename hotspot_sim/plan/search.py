"""Multi-objective search of patrol plans with Optuna, resumable from a journal file.

The search asks Optuna's multi-objective TPE sampler (seeded) for a batch of
candidate plans, evaluates the batch (:func:`hotspot_sim.plan.evaluate.evaluate_plans`,
or any evaluator with the same contract) and tells Optuna each plan's objective means in
the order they were asked.  The batch size is fixed, not the number of workers, so the
same seed gives the same plans whatever runs them.  Constraints (Optuna's
``Trial.set_constraint``, feasible at <= 0): officer hours a day at most the budget, and
grade 1 calls within target at least the floor when one is given.

Everything is kept in ``OUT``: the study in ``search.journal`` (so a search resumes
where it stopped and ``--trials N`` extends it to N plans in total), every evaluated plan
in ``plans.parquet`` (rewritten from the journal after each batch) and the settings in
``manifest.json``.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ..errors import ConfigError
from .evaluate import DIRECTIONS, OBJECTIVES, UNITS, PlanSetup, evaluate_plans
from .space import VARIABLES, Plan, PlanSpace, Variable, plan_of

JOURNAL = "search.journal"
PLANS = "plans.parquet"
MANIFEST = "manifest.json"
STUDY_NAME = "plan"
BATCH_SIZE = 4
"""Plans asked for and evaluated together (fixed: results do not depend on the workers)."""
STARTUP_TRIALS = 8
"""Plans drawn at random before TPE models the front (fewer when fewer are asked for)."""
NO_GRADE1_CALLS_PCT = 100.0
"""Told to Optuna when a plan's runs had no grade 1 call (no call missed its target);
``plans.parquet`` keeps NaN."""

Evaluator = Callable[[Sequence[Plan]], pd.DataFrame]


@dataclass(frozen=True)
class SearchSettings:
    """How the search runs.

    Attributes
    ----------
    trials : int
        Distinct plans evaluated in total (a resumed search adds up to this many; at most
        the plans the space holds).
    seed : int
        Seeds the sampler (and, through the setup, every run).
    budget_hours : float, optional
        Officer hours a day on hot spot patrol the plan may use (a constraint).
    grade1_floor : float, optional
        Lowest acceptable share (%) of grade 1 calls within target (a constraint).
    batch_size : int
        Plans evaluated together.
    """

    trials: int
    seed: int = 20211101
    budget_hours: float | None = None
    grade1_floor: float | None = None
    batch_size: int = BATCH_SIZE


def constraint_values(means: dict, budget_hours: float | None,
                      grade1_floor: float | None) -> list[float]:
    """Optuna's constraint values (feasible when every one is <= 0).

    Parameters
    ----------
    means : dict
        ``<objective>_mean`` values of one plan.
    budget_hours, grade1_floor : float, optional
        The constraints (left out when None).

    Returns
    -------
    list of float
    """
    out = []
    if budget_hours is not None:
        out.append(means["officer_hours_per_day_mean"] - budget_hours)
    if grade1_floor is not None:
        g1 = means["grade1_within_target_pct_mean"]
        out.append(grade1_floor - (NO_GRADE1_CALLS_PCT if _missing(g1) else g1))
    return out


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def open_study(out: Path, settings: SearchSettings, space: PlanSpace, n_done: int = 0,
               setup: dict | None = None):
    """The search's Optuna study in ``out/search.journal`` (created or resumed).

    Parameters
    ----------
    out : Path
        The plan's folder.
    settings : SearchSettings
        The seed and constraints.
    space : PlanSpace
        Recorded with a new study; a resumed one must have the same.
    n_done : int
        Plans already evaluated: the sampler's seed is ``seed + n_done``, so a resumed
        search does not redraw the plans it started with.
    setup : dict, optional
        What every plan is evaluated with (scenario, days, replications, seed): recorded
        too, since plans measured otherwise would not be comparable.

    Returns
    -------
    optuna.Study

    Raises
    ------
    ConfigError
        The journal was made with another space, budget, grade 1 floor or setup.
    """
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    # constraints are set on each trial (Trial.set_constraint, Optuna 5), which the
    # sampler reads: no constraints_func (deprecated in Optuna 5)
    sampler = optuna.samplers.TPESampler(
        seed=settings.seed + n_done, multivariate=True, constant_liar=True,
        n_startup_trials=min(STARTUP_TRIALS, max(2, settings.trials // 2)))
    out.mkdir(parents=True, exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(out / JOURNAL)))
    study = optuna.create_study(study_name=STUDY_NAME, storage=storage, sampler=sampler,
                                directions=list(DIRECTIONS), load_if_exists=True)
    recorded = {"space": space.to_dict(), "budget_hours": settings.budget_hours,
                "grade1_floor": settings.grade1_floor, "setup": setup}
    before = study.user_attrs.get("search")
    if before is None:
        study.set_user_attr("search", json.loads(json.dumps(recorded)))
    elif before != json.loads(json.dumps(recorded)):
        now = json.loads(json.dumps(recorded))
        changed = [k for k in now if before.get(k) != now[k]]
        if "setup" in changed and isinstance(before.get("setup"), dict) and now["setup"]:
            changed[changed.index("setup")] = "setup (" + ", ".join(
                f"{k} {before['setup'].get(k)} -> {v}" for k, v in now["setup"].items()
                if before["setup"].get(k) != v) + ")"
        raise ConfigError(f"{out / JOURNAL}: this search was started with another "
                          f"{', '.join(changed)}; resume it with the same settings, or use "
                          "--fresh (moves the old results aside) or another --out")
    return study


def suggest(trial, variable: Variable):
    """Ask ``trial`` for a value of ``variable`` (ordered ranges as ints or floats)."""
    values = variable.values
    if variable.step is not None and len(values) > 1:
        if isinstance(values[0], int):
            return trial.suggest_int(variable.name, values[0], values[-1], step=int(variable.step))
        return round(trial.suggest_float(variable.name, values[0], values[-1],
                                         step=float(variable.step)), 6)
    return trial.suggest_categorical(variable.name, list(values))


def ask_plan(trial, space: PlanSpace) -> Plan:
    """One candidate plan from an Optuna trial (every variable suggested, fixed ones too)."""
    return plan_of({v.name: suggest(trial, v) for v in space.variables})


def search_plans(space: PlanSpace, evaluate: Evaluator, out: Path, settings: SearchSettings,
                 progress: Callable[..., None] | None = None,
                 setup: dict | None = None) -> pd.DataFrame:
    """Search plans until ``settings.trials`` have been evaluated in ``out``.

    Parameters
    ----------
    space : PlanSpace
        The decision variables.
    evaluate : callable
        ``evaluate(plans) -> DataFrame`` with one row per plan (``plan_id`` and
        ``<objective>_mean/_lo/_hi``, ``n_reps``, ``days``), in any order.
    out : Path
        The plan's folder (journal, ``plans.parquet``).
    settings : SearchSettings
        Trials, seed, constraints, batch size.
    progress : callable, optional
        ``progress(step, done, total, note)`` after each batch.
    setup : dict, optional
        What ``evaluate`` runs plans with; a resumed search must have the same.

    Returns
    -------
    pandas.DataFrame
        Every evaluated plan (``plans.parquet``).
    """
    out = Path(out)
    study = open_study(out, settings, space, setup=setup)
    study = open_study(out, settings, space, n_done=len(_completed(study)), setup=setup)
    target = min(settings.trials, space.size())
    _report(progress, len(evaluated(study)), target)
    # plans asked for by a session that stopped before it told Optuna: evaluate them first
    pending = _unfinished(study)
    while pending or len(evaluated(study)) < target:
        batch, pending = pending or _ask_batch(study, space, settings,
                                               target - len(evaluated(study))), []
        if not batch:
            break  # the sampler keeps proposing plans already evaluated
        known = evaluated(study)
        new = list({p.plan_id: p for _, p in batch if p.plan_id not in known}.values())
        results = pd.concat([evaluate(new) if new else pd.DataFrame(),
                             pd.DataFrame([known[p.plan_id] for _, p in batch
                                           if p.plan_id in known])], ignore_index=True)
        _tell(study, batch, results, settings)
        write_plans(out, study, settings)
        _report(progress, len(evaluated(study)), target)
    return write_plans(out, study, settings)


def _unfinished(study) -> list[tuple[int, Plan]]:
    """Plans a stopped session asked for but never told; one stopped while being drawn
    (not every variable suggested) is marked failed."""
    import optuna

    out = []
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if set(VARIABLES) <= set(t.params):
            out.append((t.number, plan_of(t.params)))
        else:
            study.tell(t.number, state=optuna.trial.TrialState.FAIL)
    return out


ASKS_PER_PLAN = 20
"""How many proposals a batch may take per new plan before the search stops (a small space
whose every plan has been evaluated)."""


def _ask_batch(study, space: PlanSpace, settings: SearchSettings, wanted: int
               ) -> list[tuple[int, Plan]]:
    """Up to ``batch_size`` new plans; a proposal already evaluated is told its result at once.

    A repeated plan would run nothing new (its runs are kept) but take a place in the batch:
    told from the journal, it still informs the sampler and costs no time.
    """
    batch, known = [], evaluated(study)
    n = min(settings.batch_size, wanted)
    for _ in range(ASKS_PER_PLAN * n):
        if len(batch) == n:
            break
        trial = study.ask()
        plan = ask_plan(trial, space)
        if plan.plan_id in known:
            _tell(study, [(trial.number, plan)], pd.DataFrame([known[plan.plan_id]]), settings)
        else:
            batch.append((trial.number, plan))
    return batch


def evaluated(study) -> dict[str, dict]:
    """Each plan evaluated so far (plan id -> its result), from the journal, first trial first."""
    out = {}
    for t in _completed(study):
        result = t.user_attrs.get("result", {})
        out.setdefault(result.get("plan_id"), result)
    return out


def _completed(study) -> list:
    import optuna

    return study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))


def _tell(study, batch: list[tuple[int, Plan]], results: pd.DataFrame,
          settings: SearchSettings) -> None:
    """Tell Optuna each plan's objectives in the order asked; keep its row in the journal."""
    import optuna

    by_id = results.set_index("plan_id")
    for number, plan in batch:
        row = by_id.loc[plan.plan_id]
        row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
        kept = {"plan_id": plan.plan_id, **{k: _plain(v) for k, v in row.items()}}
        trial = optuna.trial.Trial(study, study._storage.get_trial_id_from_study_id_trial_number(
            study._study_id, number))
        trial.set_user_attr("result", kept)
        names = [n for n, given in (("budget_hours", settings.budget_hours),
                                    ("grade1_floor", settings.grade1_floor)) if given is not None]
        for name, value in zip(names, constraint_values(kept, settings.budget_hours,
                                                        settings.grade1_floor)):
            trial.set_constraint(name, value)
        values = [kept[f"{o}_mean"] for o in OBJECTIVES]
        values[3] = NO_GRADE1_CALLS_PCT if _missing(values[3]) else values[3]
        study.tell(number, values)


def _plain(value):
    """A JSON-friendly value (numpy scalars to Python)."""
    return value.item() if hasattr(value, "item") else value


def plans_table(study, settings: SearchSettings) -> pd.DataFrame:
    """Every evaluated plan from the journal (once, at its first trial), with ``feasible``.

    Returns
    -------
    pandas.DataFrame
        ``trial``, ``plan_id``, the decision variables, ``<objective>_mean/_lo/_hi``,
        ``n_reps``, ``feasible``, ``days`` (the contract of ``plans.parquet``).
    """
    rows = []
    for t in _completed(study):
        result = dict(t.user_attrs.get("result", {}))
        feasible = all(c <= 0 for c in constraint_values(result, settings.budget_hours,
                                                         settings.grade1_floor))
        rows.append({"trial": t.number, **result, "feasible": feasible})
    columns = ["trial", "plan_id", *VARIABLES,
               *[f"{o}_{s}" for o in OBJECTIVES for s in ("mean", "lo", "hi")],
               "n_reps", "feasible", "days"]
    table = pd.DataFrame(rows, columns=columns).drop_duplicates("plan_id").reset_index(drop=True)
    return table.astype({"feasible": bool, "trial": int}) if len(table) else table


def write_plans(out: Path, study, settings: SearchSettings) -> pd.DataFrame:
    """Write ``plans.parquet`` from the journal; return it."""
    from ..io import write_parquet

    table = plans_table(study, settings)
    write_parquet(table, Path(out) / PLANS)
    return table


def _report(progress, done: int, total: int) -> None:
    if progress is not None:
        progress("plans", min(done, total), total, f"{done} evaluated")


def write_manifest(out: Path, setup: PlanSetup, space: PlanSpace, settings: SearchSettings,
                   scenario_name: str) -> None:
    """Write ``manifest.json``: what was searched, with what, by which code.

    Parameters
    ----------
    out : Path
        The plan's folder.
    setup : PlanSetup
        Scenario, days, replications, seed, measured hot spots.
    space : PlanSpace
        The decision variables.
    settings : SearchSettings
        Trials, seed, constraints.
    scenario_name : str
        The scenario as the user named it.
    """
    import optuna

    from ..io import write_text
    from ..trial.runs import code_version

    manifest = {
        "kind": "plan", "scenario": scenario_name,
        "budget_hours_per_day": settings.budget_hours, "grade1_floor_pct": settings.grade1_floor,
        "space": space.to_dict(), "space_source": space.source,
        "seeds": {"root_seed": setup.seed, "sampler_seed": settings.seed},
        "root_seed": setup.seed,  # the runner's name for it (its messages read it)
        "days": setup.days, "reps": setup.replications, "trials": settings.trials,
        "batch_size": settings.batch_size, "measured_hotspots": setup.hotspots,
        "objectives": {o: {"direction": d, "unit": UNITS[o]}
                       for o, d in zip(OBJECTIVES, DIRECTIONS)},
        "baseline": "random patrol by the same officers (policy 'random'), common random numbers",
        "policy": "planned_patrol", "sampler": "optuna TPESampler (multi-objective, multivariate)",
        "code_version": code_version(), "optuna_version": optuna.__version__,
        "setup": asdict(setup)}
    Path(out).mkdir(parents=True, exist_ok=True)
    write_text(Path(out) / MANIFEST, json.dumps(manifest, indent=2, default=str))


class _BatchProgress:
    """The runner's ``progress(step, done, total)`` shown as a note on the plans' bar."""

    def __init__(self, progress, trials: int):
        self.progress, self.trials, self.plans_done = progress, trials, 0

    def __call__(self, step: str, done: int, total: int) -> None:
        self.progress("plans", self.plans_done, self.trials, f"runs {done}/{total}")


def run_plan(setup: PlanSetup, space: PlanSpace, settings: SearchSettings, out: Path,
             scenario_name: str, workers: int = 1, scheduler: str | None = None,
             backend: str = "local",
             progress: Callable[..., None] | None = None, study=None) -> pd.DataFrame:
    """Search plans with the simulation: what ``hotspot-sim plan`` does.

    Parameters
    ----------
    setup : PlanSetup
        Scenario, days, replications, seed and measured hot spots of every run.
    space : PlanSpace
        The decision variables.
    settings : SearchSettings
        Trials, sampler seed, budget, grade 1 floor.
    out : Path
        The plan's folder (runs, journal, ``plans.parquet``, ``manifest.json``).
    scenario_name : str
        The scenario as named by the user (for the manifest).
    workers : int
        Local worker processes running a batch's runs.
    scheduler : str, optional
        A Dask scheduler's address.
    backend : {"local", "dask"}
        Local processes, or a local Dask cluster when no scheduler is given.
    progress : callable, optional
        ``progress(step, done, total, note)`` (:class:`hotspot_sim.progress.StepProgress`).
    study : Study, optional
        A prepared study (tests).

    Returns
    -------
    pandas.DataFrame
        Every evaluated plan (``plans.parquet``).
    """
    out = Path(out)
    batch_progress = _BatchProgress(progress, settings.trials) if progress else False

    def evaluate(plans: Sequence[Plan]) -> pd.DataFrame:
        # evaluate_plans puts the plan's manifest.json back after the runner writes its own
        return evaluate_plans(plans, setup, out, workers=workers, scheduler=scheduler,
                              backend=backend, progress=batch_progress, study=study)

    def counted(step: str, done: int, total: int, note: str = "") -> None:
        if batch_progress:
            batch_progress.plans_done = done
        progress(step, done, total, note)

    write_manifest(out, setup, space, settings, scenario_name)
    from ..trial.runs import code_version

    # the scenario by its content's runs, not its path: the runner checks that (run keys);
    # plans simulated by other model code are not comparable either
    recorded = {**{k: v for k, v in asdict(setup).items() if k not in ("scenario", "source")},
                "code_version": code_version()}
    from ..progress import each_warning_once

    with each_warning_once():  # every batch's workers load the data again: say its warnings once
        return search_plans(space, evaluate, out, settings, counted if progress else None,
                            setup=recorded)
