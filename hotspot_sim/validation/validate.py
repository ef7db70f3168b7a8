"""Validation: does the model reproduce what the research knows, and can the check fail?

``hotspot-sim validate`` runs small experiments with the experiment runner (so
they are reproducible, resumable and can use several workers), each twice: on
the model as configured and on its negative control (:mod:`.controls`), the
model with the mechanism under test removed.  The evidence and how a result is
judged are in :mod:`.evidence`; the report (inputs and predictions apart) is
written by :mod:`.report`; the published trials are simulated by :mod:`.trials`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..trial import Arm, Experiment, make_tasks, move_aside, run_experiment, runs_to_do
from . import evidence as ev
from .controls import (DISPLACEMENT, NO_CARRY_OVER, NO_DETERRENCE, NO_EMERGENCY_RESPONSE,
                       NO_RESIDUAL, UNIFORM_OFFENDERS, Control)

log = logging.getLogger(__name__)

DWELLS = (2, 5, 10, 15, 20, 30)
VALIDATE_STEPS = ("[1/6] patrol effect runs and their controls",
                  "[2/6] published trials and their controls",
                  "[3/6] Koper visit-length runs and their control",
                  "[4/6] carry-over runs and their control",
                  "[5/6] concentration on held-out months and its control",
                  "[6/6] the model and the data methods as forecasters")


@dataclass(frozen=True)
class Plan:
    """How much validate runs.

    Attributes
    ----------
    scenario : str
        Scenario name or TOML path.
    days : float
        Days per run of the effect, visit-length, carry-over and concentration runs.
    replications : int
        Replications per arm (common random numbers across arms and controls).
    seed : int
        Root seed.
    workers : int
        Local worker processes for experiment runs.
    quick : bool
        Published trials in their short versions (a smoke test: most rows cannot be
        judged).
    """

    scenario: str
    days: float = 30.0
    replications: int = 4
    seed: int = 4
    workers: int = 1
    quick: bool = False


def run_own_experiment(exp: Experiment, folder: Path, **kwargs) -> Path:
    """Run one of validate's own experiments, resuming its matching runs.

    Runs made with other settings (other --days, other code) are validate's own
    working files, not a user's results: they are moved aside (never deleted,
    never mixed in) and the experiment runs again.

    Parameters
    ----------
    exp : Experiment
        The experiment to run.
    folder : pathlib.Path
        Its results folder.
    **kwargs
        Passed to :func:`hotspot_sim.trial.run_experiment` (``workers``, ``progress``).

    Returns
    -------
    pathlib.Path
        The results folder.
    """
    try:
        runs_to_do(exp, folder, make_tasks(exp))
    except ConfigError as exc:
        moved = move_aside(folder)
        log.warning("%s held runs made with other settings; moved them to %s (%s)", folder,
                    moved, str(exc).splitlines()[1:2])
    return run_experiment(exp, folder, **kwargs)


def experiments(scenario: str, days: float, reps: int, seed: int) -> dict[str, Experiment]:
    """Validate's experiments run with the experiment runner: no patrol, random and Koper.

    Parameters
    ----------
    scenario : str
        Scenario name or TOML path.
    days : float
        Days per run.
    reps : int
        Replications per arm.
    seed : int
        Root seed.

    Returns
    -------
    dict of str to Experiment
        ``{"effect": ...}`` with control arm ``none``; ``koper`` visits every 2 hours
        (Koper's practice advice), ``koper_trial_dose`` about 3 times a day (the dose
        trials delivered, :data:`hotspot_sim.validation.evidence.TRIAL_DOSE`).
    """
    base = dict(scenario=scenario, days=days, replications=reps, seed=seed, hotspots=20)
    return {
        "effect": Experiment(name="validate_effect", control="none", arms=(
            Arm("none", "none"), Arm("random", "random"), Arm("koper", "hotspot_koper"),
            Arm(ev.TRIAL_DOSE_ARM, "hotspot_koper", dict(ev.TRIAL_DOSE))), **base),
    }


def under_control(exp: Experiment, control: Control, arms: tuple[str, ...] | None = None
                  ) -> Experiment:
    """The same experiment (same seeds) with a negative control's overrides on every arm.

    Parameters
    ----------
    exp : Experiment
        The model's experiment.
    control : Control
        The negative control.
    arms : tuple of str, optional
        Keep only these arms (the control arm must be among them).

    Returns
    -------
    Experiment
        Named ``<name>-<control.key>`` (its own results folder).
    """
    kept = tuple(Arm(a.name, a.policy, a.params, {**a.overrides, **control.overrides})
                 for a in exp.arms if arms is None or a.name in arms)
    return Experiment(**{**exp.__dict__, "name": f"{exp.name}-{control.key}", "arms": kept})


def run_validation(scenario: str, out: Path, days: float = 30.0, replications: int = 4,
                   seed: int = 4, workers: int = 1, progress=None, quick: bool = False
                   ) -> list[ev.Check]:
    """Run every check with its negative control and write the report.

    Parameters
    ----------
    scenario : str
        Scenario name or TOML path.
    out : pathlib.Path
        Folder for the experiments and ``validation.md``, ``.html`` and ``.csv``.
    days : float
        Days per run.
    replications : int
        Replications per arm (the carry-over check uses at least 8, three times as many).
    seed : int
        Root seed.
    workers : int
        Local worker processes for the experiment runs.
    progress : callable, optional
        ``progress(step, done, total)``, called through each of the
        :data:`VALIDATE_STEPS`.
    quick : bool
        Short published trials (a smoke test).

    Returns
    -------
    list of Check
        One per row of the report.
    """
    plan = Plan(scenario, days, replications, seed, workers, quick)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda step, done, total: None)
    checks, tables = effect_checks(plan, out, report)
    checks += trial_checks(plan, out, report)
    checks += koper_checks(plan, report)
    checks += [carry_over_check(plan, report)]
    train, test = training_split(plan)
    checks += [concentration_check(plan, out, train, test, report)]
    check, forecast = forecast_check(plan, train, test, report)
    checks.append(check)
    tables["Forecasts: places chosen on training months, scored on held-out months"] = (
        f"Training months {train[0]}..{train[-1]}, held-out {test[0]}..{test[-1]}. PAI = share of "
        "held-out crime in the chosen places / their share of street length (1 = no better than "
        "chance). `model`: the calibrated model's simulated crime without patrol, built from the "
        "training months only; its negative control places offenders uniformly.", forecast)
    write_validation_report(plan, checks, tables, out)
    return checks


def write_validation_report(plan: Plan, checks: list[ev.Check], tables: dict, out: Path) -> None:
    """Write the report with the scenario's inputs and what was run."""
    from ..settings import load_scenario
    from ..trial.runs import code_version
    from .report import input_table, write_report

    heading = (f"Scenario `{plan.scenario}`; {plan.days:g}-day runs, {plan.replications} "
               f"replications per arm (root seed {plan.seed}); published trials in their "
               f"{'short (--quick)' if plan.quick else 'full'} versions; code {code_version()}.")
    write_report(checks, input_table(load_scenario(plan.scenario)), tables, out, heading)


def effect_checks(plan: Plan, out: Path, report) -> tuple[list[ev.Check], dict]:
    """Patrol effect, diffusion, emergency response and the change by crime type.

    Returns
    -------
    checks : list of Check
    tables : dict
        ``title -> (text, table)`` of the change by crime type.
    """
    from ..trial.report import change_by_type

    exp = experiments(plan.scenario, plan.days, plan.replications, plan.seed)["effect"]
    runs = {}
    kept = [(NO_DETERRENCE, ("none", ev.TRIAL_DOSE_ARM)), (DISPLACEMENT, ("none", "koper")),
            (NO_EMERGENCY_RESPONSE, ("none", "koper"))]
    to_run = [("model", exp)] + [(c.key, under_control(exp, c, arms)) for c, arms in kept]
    for i, (key, e) in enumerate(to_run):
        folder = run_own_experiment(e, out / e.name, workers=plan.workers,
                                    progress=lambda _, d, n, i=i: report(
                                        VALIDATE_STEPS[0], i * n + d, len(to_run) * n))
        runs[key] = pd.read_parquet(folder / "runs.parquet")
    checks = [
        ev.make_check(ev.EFFECT, ev.effect_finding(runs["model"]), NO_DETERRENCE,
                      ev.effect_finding(runs[NO_DETERRENCE.key])),
        ev.make_check(ev.DIFFUSION, ev.diffusion_finding(runs["model"]), DISPLACEMENT,
                      ev.diffusion_finding(runs[DISPLACEMENT.key])),
        ev.make_check(ev.RESPONSE, ev.response_finding(runs["model"]), NO_EMERGENCY_RESPONSE,
                      ev.response_finding(runs[NO_EMERGENCY_RESPONSE.key]))]
    by_type = change_by_type(runs["model"], "none")
    by_type = by_type[by_type["control_crimes"] >= ev.MIN_EVENTS].drop(columns="grid_index")
    text = ("Koper and random patrol against no patrol, paired replications; types with at least "
            f"{ev.MIN_EVENTS} crimes in the no-patrol runs. Deterrence is the same for every crime "
            "type in the model (an input, an assumption: the evidence gives no type-specific "
            "figures), so differences between types come from where and when each type happens, "
            "not from a finding about deterrence.")
    return checks, {"Change by crime type": (text, by_type.round(1))}


def trial_checks(plan: Plan, out: Path, report) -> list[ev.Check]:
    """Each published trial simulated with its own design and analysis, and its control.

    Reductions are controlled by switching deterrence off; the Kansas City null by
    letting any pass deter (no Koper onset), which should make routine patrol work.
    """
    from .controls import DRIVE_BY_DETERS
    from .trials import PUBLISHED_TRIALS, estimate

    checks = []
    trials = list(PUBLISHED_TRIALS.values())
    for i, trial in enumerate(trials):
        control = DRIVE_BY_DETERS if trial.finding == "no difference" else NO_DETERRENCE
        found = []
        for j, (folder, overrides) in enumerate(((out / "trials", {}),
                                                 (out / f"trials-{control.key}",
                                                  control.overrides))):
            exp = trial.experiment(plan.scenario, trial.default_replications(plan.quick),
                                   plan.seed, plan.quick, overrides)
            done = run_own_experiment(exp, folder / trial.key, workers=plan.workers,
                                      progress=lambda _, d, n, k=2 * i + j: report(
                                          VALIDATE_STEPS[1], k * n + d, 2 * len(trials) * n))
            found.append(ev.trial_finding(trial, estimate(trial, done)))
        checks.append(ev.make_check(ev.trial_pattern(trial), found[0], control, found[1]))
    return checks


def koper_checks(plan: Plan, report) -> list[ev.Check]:
    """Best visit length and Koper's relative post-visit curve, with no residual deterrence."""
    model = dose_spells(plan.scenario, plan.days, plan.replications, plan.seed,
                        lambda s, d, n: report(VALIDATE_STEPS[2], d, 2 * n))
    control = dose_spells(plan.scenario, plan.days, plan.replications, plan.seed,
                          lambda s, d, n: report(VALIDATE_STEPS[2], n + d, 2 * n),
                          NO_RESIDUAL.overrides)
    return [ev.make_check(ev.BEST_DWELL, ev.best_dwell_finding(model), NO_RESIDUAL,
                          ev.best_dwell_finding(control)),
            ev.make_check(ev.KOPER_CURVE, ev.koper_ratio_finding(model), NO_RESIDUAL,
                          ev.koper_ratio_finding(control))]


def carry_over_check(plan: Plan, report) -> ev.Check:
    """Barnes's carry-over after patrol stops, and with no carry-over."""
    # daily counts at 20 hot spots are small: the full check needs many replications
    reps = plan.replications if plan.quick else max(8, 3 * plan.replications)
    model = after_patrol_stops(plan.scenario, plan.days, reps, plan.seed,
                               lambda s, d, n: report(VALIDATE_STEPS[3], d, 2 * n))
    control = after_patrol_stops(plan.scenario, plan.days, reps, plan.seed,
                                 lambda s, d, n: report(VALIDATE_STEPS[3], n + d, 2 * n),
                                 NO_CARRY_OVER.overrides)
    return ev.make_check(ev.CARRY_OVER, ev.carry_over_finding(*model), NO_CARRY_OVER,
                         ev.carry_over_finding(*control))


def training_split(plan: Plan) -> tuple[list[str], list[str]]:
    """The training and held-out months of the scenario's data (the last 3 held out)."""
    from ..settings import load_scenario
    from ..target import default_split

    crime = load_scenario(plan.scenario).crime
    months = pd.period_range(crime.first_month, crime.last_month, freq="M").astype(str)
    return default_split(list(months))


def concentration_check(plan: Plan, out: Path, train: list[str], test: list[str],
                        report) -> ev.Check:
    """Simulated share of crime at the training months' hot spots against the held-out share.

    The model is built from the training months only (``crime.last_month``), so the
    held-out months reach neither its risk surface nor its hot spots.
    """
    exp = Experiment(name="validate_concentration", scenario=plan.scenario, days=plan.days,
                     replications=max(3, plan.replications), seed=plan.seed, hotspots=20,
                     arms=(Arm("none", "none", overrides={"crime.last_month": train[-1]}),))
    in_sample, observed = observed_shares(plan.scenario, train, (train, test))
    findings = []
    for i, e in enumerate((exp, under_control(exp, UNIFORM_OFFENDERS))):
        folder = run_own_experiment(e, out / e.name, workers=plan.workers,
                                    progress=lambda _, d, n, i=i: report(
                                        VALIDATE_STEPS[4], i * n + d, 2 * n))
        runs = pd.read_parquet(folder / "runs.parquet")
        shares = (runs["crimes_hotspots"] / runs["crimes"].clip(lower=1)).to_numpy()
        findings.append(ev.concentration_finding(shares, observed, int(runs["crimes"].sum()),
                                                 in_sample))
    return ev.make_check(ev.CONCENTRATION, findings[0], UNIFORM_OFFENDERS, findings[1])


def observed_shares(scenario: str, train: list[str], spans, k: int = 20,
                    radius_m: float = 100.0) -> list[float]:
    """Share of each span's crime within ``radius_m`` of the top-``k`` training hot spots.

    Parameters
    ----------
    scenario : str
        Scenario name or TOML path.
    train : list of str
        Training months: they choose the hot spots.
    spans : sequence of list of str
        Month lists whose crime is counted (e.g. the training and the held-out months).
    k : int
        Hot spots.
    radius_m : float
        Their radius.

    Returns
    -------
    list of float
        One share per span (NaN for a span without crime).
    """
    from ..settings import load_scenario
    from ..study import load_study
    from ..target import TargetSettings, target
    from ..track.zones import zone_crimes

    base = load_scenario(scenario)
    spots = target(load_study(base.replace({"crime.last_month": train[-1]})),
                   TargetSettings(k=k))
    crimes = load_study(base).crimes
    shares = []
    for months in spans:
        held = crimes[crimes["month"].isin(months)]
        zoning = zone_crimes(held["x"], held["y"], spots, (), radius_m)
        shares.append(float(zoning.in_hot_spot.mean()) if len(held) else float("nan"))
    return shares


def forecast_scores(plan: Plan, train: list[str], test: list[str], report,
                    control: Control | None = None) -> pd.DataFrame:
    """Out-of-sample PAI of the data methods and of the model built from the training months.

    With ``control``, the model's forecast is made with the control's overrides (its rows
    keep the method name ``model``).
    """
    from ..settings import load_scenario
    from ..study import load_study
    from ..target import out_of_sample
    from .calibrate import forecast_scores as model_forecast

    step = 1 if control else 0
    report(VALIDATE_STEPS[5], step, 2)
    base = load_scenario(plan.scenario)
    scores = out_of_sample(load_study(base), train, test)
    scenario = base.replace(control.overrides) if control else plan.scenario
    # the full check forecasts the whole held-out span with 5 seeds; --quick a short one
    scores = model_forecast(scenario, train, test, seed=plan.seed, data_scores=scores,
                            **({"days": plan.days, "seeds": 1, "warmup_days": 0.0}
                               if plan.quick else {}))
    report(VALIDATE_STEPS[5], step + 1, 2)
    keep = [c for c in ("method", "coverage", "hit_rate", "pai", "harm_pai") if c in scores]
    return scores[keep].round(3)


def forecast_check(plan: Plan, train: list[str], test: list[str], report
                   ) -> tuple[ev.Check, pd.DataFrame]:
    """The model as a forecaster, and the same with offenders placed uniformly."""
    model = forecast_scores(plan, train, test, report)
    control = forecast_scores(plan, train, test, report, UNIFORM_OFFENDERS)
    check = ev.make_check(ev.FORECAST, ev.forecast_finding(model), UNIFORM_OFFENDERS,
                          ev.forecast_finding(control))
    table = pd.concat([model, control[control["method"] == "model"].assign(
        method=f"model, control: {UNIFORM_OFFENDERS.key}")], ignore_index=True)
    return check, table


def dose_spells(scenario: str, days: float, reps: int, seed: int,
                progress=None, overrides: dict | None = None) -> pd.DataFrame:
    """Koper's measurement, in silico: each visit's length and the time to the next crime.

    ``hotspot_koper`` runs with each dwell in ``DWELLS`` (same seeds for every
    dwell); the visits are read back from the GPS log alone, as a force would
    (:func:`hotspot_sim.track.visits`), and followed up to the next crime
    within 100 m (:func:`hotspot_sim.track.follow_up`).

    Parameters
    ----------
    scenario : str
        Scenario name or TOML path.
    days : float
        Days per run.
    reps : int
        Replications per dwell (seeds ``seed`` .. ``seed + reps - 1``).
    seed : int
        First seed.
    progress : callable, optional
        ``progress(step, done, total)``, told before each run.
    overrides : dict, optional
        Scenario overrides (a negative control).

    Returns
    -------
    pandas.DataFrame
        One row per visit: ``bin`` (visit length), ``duration`` and ``crime``
        (as :func:`hotspot_sim.track.follow_up`).
    """
    from .. import track
    from ..sim.model import PatrolModel, models_freed_after
    from ..sim.tables import gps_visits
    from ..settings import load_scenario
    from ..study import load_study

    base = load_scenario(scenario)
    study = load_study(base)
    spells = []
    total = len(DWELLS) * reps
    for i, (dwell, rep) in enumerate((d, r) for d in DWELLS for r in range(reps)):
        if progress:
            progress(VALIDATE_STEPS[2], i, total)
        with models_freed_after():  # each run freed before the next is built
            model = PatrolModel(base.replace({**(overrides or {}), "scenario.seed": seed + rep}),
                                study, policy="hotspot_koper",
                                policy_params={"dwell_minutes": dwell}, build_space=False)
            model.run_days(days)
            hotspots = model.policy.hotspots
            visits = gps_visits(model, hotspots, 100.0)  # from the log chunk by chunk: less memory
            spells.append(track.follow_up(visits, model.crimes_table(), hotspots, 100.0,
                                          end_time=pd.Timestamp(model.datetime_at(model.tick))))
            del model  # the block's end frees only what nothing refers to
    if progress:
        progress(VALIDATE_STEPS[2], total, total)
    return pd.concat(spells, ignore_index=True)


AFTER_DAYS = 10  # days followed up after patrol stops


def after_patrol_stops(scenario: str, days: float, reps: int, seed: int, progress=None,
                       overrides: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Crimes at the hot spots on each day after daily Koper patrol stops, and without patrol.

    Barnes et al. (2020) measured how long deterrence outlasts the last patrol
    day.  In silico: ``hotspot_koper`` for the first days, then no dedicated
    patrol for ``AFTER_DAYS`` days; the same seeds without any patrol are the
    comparison.  Returns daily hot-spot crimes (summed over replications) after
    the stop for both.

    Parameters
    ----------
    scenario : str
        Scenario name or TOML path.
    days : float
        Days per run: patrol for ``days - AFTER_DAYS`` (at least 1), then follow-up.
    reps : int
        Replications (seeds ``seed`` ..).
    seed : int
        First seed.
    progress : callable, optional
        ``progress(step, done, total)``, told before each run.
    overrides : dict, optional
        Scenario overrides (a negative control).

    Returns
    -------
    tuple of numpy.ndarray
        Daily hot-spot crimes after the stop, with patrol stopped and without patrol.
    """
    from ..sim.model import PatrolModel, models_freed_after
    from ..sim.policies.basic import NoPatrol
    from ..settings import load_scenario
    from ..study import load_study

    base = load_scenario(scenario)
    study = load_study(base)
    patrol_days = max(1, int(days) - AFTER_DAYS)
    treated, control = np.zeros(AFTER_DAYS), np.zeros(AFTER_DAYS)
    for rep in range(reps):
        for stop, out in ((True, treated), (False, control)):
            if progress:
                progress(VALIDATE_STEPS[3], 2 * rep + (not stop), 2 * reps)
            with models_freed_after():  # each run freed before the next is built
                config = base.replace({**(overrides or {}), "scenario.seed": seed + rep})
                model = PatrolModel(config, study, policy="hotspot_koper" if stop else "none",
                                    build_space=False, keep_gps=False)  # crimes only
                nodes = model.policy.nodes if stop else None
                if stop:
                    model.run_days(patrol_days)
                    model.policy = NoPatrol(model)  # officers finish their round, then wait
                    model.run_days(AFTER_DAYS)
                else:
                    model.run_days(patrol_days + AFTER_DAYS)
                out += daily_hotspot_crimes(model, nodes, patrol_days)
                del model  # the block's end frees only what nothing refers to
    if progress:
        progress(VALIDATE_STEPS[3], 2 * reps, 2 * reps)
    return treated, control


def daily_hotspot_crimes(model, nodes, first_day: int) -> np.ndarray:
    """Crimes within 100 m of the Koper hot spots on each day from ``first_day``.

    Parameters
    ----------
    model : PatrolModel
        A model that has run.
    nodes : numpy.ndarray or None
        Hot spot nodes; None means the 20 top-harm hot spots of the model's study.
    first_day : int
        First day counted (days counted from the model's start, ``tick // 1440``).

    Returns
    -------
    numpy.ndarray
        :data:`AFTER_DAYS` daily counts.
    """
    from ..target import TargetSettings, target

    if nodes is None:
        nodes = target(model.study, TargetSettings(k=20))["node"].to_numpy()
    crimes = model.crimes_table()
    net = model.network
    d = np.min(np.hypot(crimes["x"].to_numpy()[:, None] - net.x[nodes][None, :],
                        crimes["y"].to_numpy()[:, None] - net.y[nodes][None, :]), axis=1) \
        if len(crimes) else np.zeros(0)
    day = crimes["tick"].to_numpy() // 1440 - first_day
    keep = (d <= 100.0) & (day >= 0) & (day < AFTER_DAYS)
    return np.bincount(day[keep].astype(np.int64), minlength=AFTER_DAYS)[:AFTER_DAYS]