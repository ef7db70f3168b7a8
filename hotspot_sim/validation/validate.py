"""Validation: does the model reproduce what the research knows?

``hotspot-sim validate`` runs a few small experiments (with the experiment
runner, so they are reproducible and can use several workers) and compares the
model's results with the published evidence (the studies named in each check), each
against a stated tolerance, in a Markdown and HTML report.  Where the model
differs, the report says why that may be.  This module makes the runs; the
comparisons and the report are in :mod:`hotspot_sim.validation.evidence`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..trial import Arm, Experiment, make_tasks, move_aside, run_experiment, runs_to_do
from .evidence import (Check, check_best_dwell, check_concentration, check_diffusion,
                       check_duration, check_effect, check_targeting, write_report)

log = logging.getLogger(__name__)

DWELLS = (2, 5, 10, 15, 20, 30)
VALIDATE_STEPS = ("[1/4] patrol effect runs (none, random, Koper)",
                  "[2/4] Koper visit-length runs", "[3/4] carry-over runs (patrol stops)",
                  "[4/4] concentration and out-of-sample targeting")


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
        ``{"effect": ...}`` with control arm ``none``.
    """
    base = dict(scenario=scenario, days=days, replications=reps, seed=seed, hotspots=20)
    return {
        "effect": Experiment(name="validate_effect", control="none", arms=(
            Arm("none", "none"), Arm("random", "random"), Arm("koper", "hotspot_koper")), **base),
    }


def run_validation(scenario: str, out: Path, days: float = 30.0, replications: int = 4,
                   seed: int = 4, workers: int = 1, progress=None) -> list[Check]:
    """Run the validation experiments and write the report.

    Parameters
    ----------
    scenario : str
        Scenario name or TOML path.
    out : pathlib.Path
        Folder for the experiments and ``validation.md``, ``.html`` and ``.csv``.
    days : float
        Days per run.
    replications : int
        Replications per arm (the carry-over check uses at least 6).
    seed : int
        Root seed.
    workers : int
        Local worker processes for the experiment runs.
    progress : callable, optional
        ``progress(step, done, total)``, called through each of the four
        :data:`VALIDATE_STEPS` (effect runs, visit-length runs, carry-over runs, targeting).

    Returns
    -------
    list of Check
        One per row of the report.
    """
    out = Path(out)
    report = progress or (lambda step, done, total: None)
    exps = experiments(scenario, days, replications, seed)
    results = {k: run_own_experiment(e, out / e.name, workers=workers,
                                     progress=lambda _, d, n: report(VALIDATE_STEPS[0], d, n))
               for k, e in exps.items()}
    runs = {k: pd.read_parquet(p / "runs.parquet") for k, p in results.items()}
    checks = [check_effect(runs["effect"]), check_diffusion(runs["effect"]),
              check_best_dwell(dose_spells(scenario, days, replications, seed, report)),
              # daily counts at 20 hot spots are small: this check needs more replications
              check_duration(*after_patrol_stops(scenario, days, max(6, 2 * replications), seed,
                                                 report))]
    report(VALIDATE_STEPS[3], 0, 1)
    checks += [check_concentration(out / exps["effect"].name),
               check_targeting(scenario)]
    report(VALIDATE_STEPS[3], 1, 1)
    write_report(checks, out, days, replications)
    return checks


def dose_spells(scenario: str, days: float, reps: int, seed: int,
                progress=None) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        One row per visit: ``bin`` (visit length), ``duration`` and ``crime``
        (as :func:`hotspot_sim.track.follow_up`).
    """
    from .. import track
    from ..sim.model import PatrolModel
    from ..settings import load_scenario
    from ..study import load_study

    base = load_scenario(scenario)
    study = load_study(base)
    spells = []
    total = len(DWELLS) * reps
    for i, (dwell, rep) in enumerate((d, r) for d in DWELLS for r in range(reps)):
        if progress:
            progress(VALIDATE_STEPS[1], i, total)
        model = PatrolModel(base.replace({"scenario.seed": seed + rep}), study,
                            policy="hotspot_koper", policy_params={"dwell_minutes": dwell},
                            build_space=False)
        model.run_days(days)
        hotspots = model.policy.hotspots
        visits = track.visits(model.gps_table(), hotspots, 100.0)
        spells.append(track.follow_up(visits, model.crimes_table(), hotspots, 100.0,
                                      end_time=pd.Timestamp(model.datetime_at(model.tick))))
    if progress:
        progress(VALIDATE_STEPS[1], total, total)
    return pd.concat(spells, ignore_index=True)


AFTER_DAYS = 10  # days followed up after patrol stops


def after_patrol_stops(scenario: str, days: float, reps: int, seed: int, progress=None
                       ) -> tuple[np.ndarray, np.ndarray]:
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

    Returns
    -------
    tuple of numpy.ndarray
        Daily hot-spot crimes after the stop, with patrol stopped and without patrol.
    """
    from ..sim.model import PatrolModel
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
                progress(VALIDATE_STEPS[2], 2 * rep + (not stop), 2 * reps)
            model = PatrolModel(base.replace({"scenario.seed": seed + rep}), study,
                                policy="hotspot_koper" if stop else "none", build_space=False)
            nodes = model.policy.nodes if stop else None
            if stop:
                model.run_days(patrol_days)
                model.policy = NoPatrol(model)  # officers finish their round, then wait
                model.run_days(AFTER_DAYS)
            else:
                model.run_days(patrol_days + AFTER_DAYS)
            out += daily_hotspot_crimes(model, nodes, patrol_days)
    if progress:
        progress(VALIDATE_STEPS[2], 2 * reps, 2 * reps)
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