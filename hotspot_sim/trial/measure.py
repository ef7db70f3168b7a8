"""One run of an experiment: simulate an arm and measure crimes by zone and by spot-day.

:func:`run_task` is a pure function of (experiment, task), so any worker can
run it.  The measuring zones crimes with :func:`hotspot_sim.track.zones.zone_crimes`,
the one zoning ``track`` uses too, so simulated and real trials are measured alike.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..sim.tables import outcome_counts, response_by_grade
from ..track.zones import Zoning, zone_columns, zone_crimes
from .experiment import Experiment, Task, policy_params, scenario_for

if TYPE_CHECKING:
    from ..network import StreetNetwork
    from ..sim.model import PatrolModel
    from ..sim.routing import Router
    from ..study import Study

KEPT_ROUTER_MB = 64.0
"""MB of routing trees a worker keeps from one run to the next (or twice what its first
run needed, if more: a large network's trees).

Every run of a scenario needs the trees of the same attractors and station (about
three quarters of a default run's set-up time); each seed adds its offenders' homes.
Past this size the next run starts a new router, so a long sweep's worker does not
grow towards ``[routing] memory_mb``."""

# This process's router, at most one: [network, memory_mb, Router, bytes it may grow to]
_kept_router: list = []


@lru_cache(maxsize=4)
def _cached_study(scenario_key: str) -> Study:
    """Network + observed data, loaded once per worker process."""
    from ..settings import scenario_from_dict
    from ..study import load_study

    return load_study(scenario_from_dict(json.loads(scenario_key)))


@lru_cache(maxsize=4)
def _measured_hotspots(scenario_key: str, k: int) -> pd.DataFrame:
    """The places every arm is measured at: the top-k harm hot spots of the observed data.

    Kept on disk too (:func:`hotspots_cache_path`): ranking every place of the network
    took ~0.7 s of each sweep worker's start.
    """
    study = _cached_study(scenario_key)
    if not study.network.key:  # a network built in memory: nothing to key a file by
        return _top_hotspots(study, k)
    path = hotspots_cache_path(study, k)
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError):  # not cached yet, or damaged: rank again
        pass
    hotspots = _top_hotspots(study, k)
    try:
        from ..io import write_parquet

        path.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(hotspots, path)
    except OSError:  # a read-only cache only costs the ranking next time
        pass
    return hotspots


def hotspots_cache_path(study: Study, k: int) -> Path:
    """Where the top-``k`` hot spots of a study's data are cached.

    Keyed by the cleaned-table cache's key (data files' contents, network, every
    ``[crime]`` setting, cleaning code: :func:`hotspot_sim.study.prepared_path`), ``k``
    and the model code (:func:`.runs.code_version`, which covers the targeting code), so
    other data, settings or code never reuse a ranking.
    """
    import hashlib

    from ..study import prepared_path
    from .runs import code_version

    data = prepared_path(study.scenario, study.network)
    key = hashlib.sha256(f"{data.name}|{k}|{code_version()}".encode()).hexdigest()[:16]
    return data.parent / f"hotspots-{key}.parquet"


def data_key(scenario) -> str:
    """The parts of a scenario that say which data it runs on (network, crime), as JSON.

    Workers load and keep one study per key (:func:`run_task`).
    """
    config = scenario.to_dict()
    return json.dumps({"network": config["network"], "crime": config["crime"]}, sort_keys=True)


def data_fingerprint_of(key: str) -> str:
    """:func:`hotspot_sim.study.data_fingerprint` of the data a :func:`data_key` names."""
    from ..settings import scenario_from_dict
    from ..study import data_fingerprint

    return data_fingerprint(scenario_from_dict(json.loads(key)))


def _router_for(network: StreetNetwork, memory_mb: float | None) -> Router:
    """The router this process kept for ``network``, or a new one (kept for the next run).

    Reusing it changes no result (:class:`~hotspot_sim.sim.model.PatrolModel` ``router``);
    it saves computing the same trees in every run of a sweep.
    """
    from ..sim.routing import Router

    if _kept_router:
        net, mb, router, limit = _kept_router
        if limit is None:  # after its first run: what one run needs
            limit = _kept_router[3] = max(KEPT_ROUTER_MB * 2 ** 20, 2 * router.nbytes)
        if net is network and mb == memory_mb and router.nbytes <= limit:
            return router
    router = Router(network, capacity=256, memory_mb=memory_mb)
    _kept_router[:] = [network, memory_mb, router, None]
    return router


def clear_worker_caches() -> None:
    """Forget the studies, measured hot spots and router this process kept (tests, memory)."""
    _cached_study.cache_clear()
    _measured_hotspots.cache_clear()
    _kept_router.clear()


def _top_hotspots(study: Study, k: int) -> pd.DataFrame:
    """The top-``k`` harm hot spots of a study (:func:`hotspot_sim.target.target`)."""
    from ..target import TargetSettings, target

    return target(study, TargetSettings(k=k))


def run_task(exp: Experiment, task: Task, study: Study | None = None) -> dict[str, pd.DataFrame]:
    """Run one task and measure it.  Pure function of its arguments: any worker can run it.

    Parameters
    ----------
    exp : Experiment
        The experiment.
    task : Task
        One of :func:`hotspot_sim.trial.runs.make_tasks`.
    study : Study, optional
        A prepared study (network and observed crime) to simulate on.  Default: the one
        the arm's scenario names, loaded once per process.

    Returns
    -------
    dict
        ``"summary"``: the run's one-row table (see :func:`measure_run`, plus task, seed,
        timing and run key); ``"spotdays"``: its spot-day table.

    Raises
    ------
    ConfigError
        More measured hot spots than the data has places with crime.
    """
    from ..sim.model import PatrolModel

    scenario = scenario_for(exp, task.arm, task.grid_point).replace({"scenario.seed": task.seed})
    params = policy_params(task.arm, task.grid_point)
    try:  # before simulating: too many hot spots for the data fails at once
        if study is None:
            key = data_key(scenario)
            study = _cached_study(key)
            hotspots = _measured_hotspots(key, exp.hotspots)
        else:
            hotspots = _top_hotspots(study, exp.hotspots)
    except ConfigError as exc:
        raise ConfigError(f"{exp.source} [experiment] hotspots = {exp.hotspots}: {exc}") from None
    # The GPS pings are kept to measure the dose at every measured hot spot, treated and
    # control alike (as real trials measure it: Basford et al. 2021, Ariel et al. 2016);
    # ~1.3 M pings for 90 days, ~30 MB.  The attempts stay in memory: a year's attempts
    # are under 1 MB, and reading them back from a streamed file (two passes over a row
    # group a day) was half of a 90-day run's overhead.
    t0 = time.perf_counter()
    model = PatrolModel(scenario, study, policy=task.arm.policy, policy_params=params,
                        build_space=False, keep_gps=True,
                        router=_router_for(study.network, scenario.routing.memory_mb))
    model.run_days(exp.days)
    wall = time.perf_counter() - t0
    summary, spotdays = measure_run(model, hotspots, exp.hotspot_radius_m, exp.rings_m)
    summary.update({"task_id": task.task_id, "arm": task.arm.name, "policy": task.arm.policy,
                    "grid_index": task.grid_index, "replication": task.replication,
                    "seed": task.seed, "days": exp.days, "wall_seconds": wall,
                    **{f"grid:{k}": v for k, v in task.grid_point.items()},
                    "run_key": task.key, "run_config": task.config})
    spotdays.insert(0, "task_id", task.task_id)
    spotdays.insert(1, "run_key", task.key)
    return {"summary": pd.DataFrame([summary]), "spotdays": spotdays}


_settled = False  # this worker froze what it keeps for the whole sweep (run_task_in_worker)


def run_task_in_worker(exp: Experiment, task: Task,
                       study: Study | None = None) -> dict[str, pd.DataFrame]:
    """:func:`run_task` in a sweep's worker process, freeing the finished model at once.

    Mesa's model and its agents refer to each other, so only the cycle collector frees
    them: collected now, before the next run builds its own, a worker holds one model at
    a time.  After the worker's first run, what it keeps for the whole sweep (imports, the
    study, the router) is frozen out of the collector's way (:func:`gc.freeze`), so each
    collection scans only the last run's objects (milliseconds, not ~0.2 s).

    Parameters and returns are those of :func:`run_task`.
    """
    global _settled
    result = run_task(exp, task, study)
    gc.collect()
    if not _settled:
        gc.freeze()
        _settled = True
    return result


def run_group_in_worker(exp: Experiment, tasks: list[Task],
                        study: Study | None = None) -> list[tuple[str, tuple[dict, list[str]]]]:
    """:func:`run_task_in_worker` for each task in turn, each result with its warnings.

    The runner sends runs sharing a seed together (:func:`.runner.seed_groups`): their
    offenders live at the same homes, whose routing trees the worker then computes once.

    Returns
    -------
    list
        ``(task_id, (result, warnings))`` per task, in order
        (:func:`hotspot_sim.progress.call_capturing_warnings`).
    """
    from ..progress import call_capturing_warnings

    return [(t.task_id, call_capturing_warnings(run_task_in_worker, exp, t, study))
            for t in tasks]


def measure_run(model: PatrolModel, hotspots: pd.DataFrame, radius_m: float,
                rings_m: Sequence[float]) -> tuple[dict, pd.DataFrame]:
    """Crimes and harm in hot spots, in catchment rings and elsewhere; officer hours.

    Parameters
    ----------
    model : PatrolModel
        A model that has run.
    hotspots : pandas.DataFrame
        The measured hot spots (``hotspot_id, node, x, y``).
    radius_m : float
        Hot spot radius.
    rings_m : sequence of float
        Outer edges of the catchment rings, in metres beyond the radius.

    Returns
    -------
    summary : dict
        The run's row of ``runs.parquet``: ``crimes_<zone>``, ``harm_<zone>`` (zones named
        by :func:`hotspot_sim.track.zones.zone_columns`), crime types, officer hours and
        response by grade (``grade{1,2,3}_median_response_min``, ``grade{1,2,3}_met_target_pct``).
    spotdays : pandas.DataFrame
        :func:`spot_days` of the run.
    """
    crimes = model.crimes_table()
    outcomes = outcome_counts(model)  # the outcome column only, not every attempt's row
    zoning = zone_crimes(crimes["x"], crimes["y"], hotspots, rings_m, radius_m)
    harm = crimes["harm"].to_numpy(float)
    out = {"crimes": int(len(crimes)), "harm": float(harm.sum()),
           "deterred": outcomes["deterred"], "displaced": outcomes["displaced"]}
    for z, name in enumerate(zone_columns(radius_m, rings_m)):
        out[f"crimes_{name}"] = int((zoning.zone == z).sum())
        out[f"harm_{name}"] = float(harm[zoning.zone == z].sum())
    for ctype, n in crimes["crime_type"].value_counts().items():
        out[f"type:{ctype}"] = int(n)
    # by type at the hot spots too: the Hertfordshire plan asks for the impact by crime type
    for ctype, n in crimes.loc[zoning.in_hot_spot, "crime_type"].value_counts().items():
        out[f"hotspot_type:{ctype}"] = int(n)
    status = model.status_table()
    # patrol officers' hours only: response cars (rows after them) answer calls in every arm
    status = status[status["officer"] < model.config.officers.count] if len(status) else status
    if len(status):
        minutes = status.drop(columns=["day", "date", "officer"]).sum()
        # officer time spent patrolling (random or directed), priced in the cost-benefit
        out["patrol_hours"] = float((minutes.get("at_hotspot", 0) + minutes.get("travelling", 0)
                                     + minutes.get("patrolling", 0)) / 60)
        out["officer_hours"] = float(minutes.drop("off_duty", errors="ignore").sum() / 60)
        out["call_hours"] = float(minutes.get("answering_call", 0) / 60)
    for grade, r in response_by_grade(model.calls_table()).items():
        out[f"grade{grade}_median_response_min"] = r["median_response_min"]
        out[f"grade{grade}_met_target_pct"] = r["met_target_pct"]
    dose = spot_day_dose(model, hotspots, radius_m)
    return out, spot_days(model, crimes, hotspots, zoning, dose)


def spot_day_dose(model: PatrolModel, hotspots: pd.DataFrame, radius_m: float
                  ) -> pd.DataFrame | None:
    """Minutes of police presence per measured hot spot per calendar day, from the GPS.

    Every officer's pings count (directed visits, random patrol, response travel), at
    treated and control places alike: real trials measure the dose in both arms this
    way (Southend about 2 minutes a day at control hot spots, Basford et al. 2021;
    Peterborough about 16, Ariel et al. 2016).  The visits and minutes are those
    ``track`` and ``trial analyse`` find in the same pings
    (:func:`hotspot_sim.track.dose.dose_by_day`, each officer's median ping gap).

    Parameters
    ----------
    model : PatrolModel
        A model that has run.
    hotspots : pandas.DataFrame
        The measured hot spots (``hotspot_id, x, y``).
    radius_m : float
        Hot spot radius.

    Returns
    -------
    pandas.DataFrame or None
        ``day, hotspot_id, minutes, visits``; None when the model kept no GPS pings.
    """
    from ..sim.tables import gps_visits
    from ..track.dose import dose_by_day

    logbook = getattr(model, "logbook", None)
    if logbook is None or not logbook.keep_gps:
        return None
    n_days = model.day_index(max(int(model.tick) - 1, 0)) + 1
    origin = pd.Timestamp(model.calendar.start).normalize()
    v = gps_visits(model, hotspots, radius_m)
    dose = dose_by_day(v, hotspots, days=n_days, origin=origin)
    return dose[["day", "hotspot_id", "minutes", "visits"]]


def spot_days(model: PatrolModel, crimes: pd.DataFrame, hotspots: pd.DataFrame,
              zoning: Zoning, dose: pd.DataFrame | None = None) -> pd.DataFrame:
    """Crimes and harm per measured hot spot per calendar day, with the policy's assignment.

    Days are the model's calendar days (:meth:`PatrolModel.day_index`), the days the
    policies assign treatment on: a run starting at 13:00 has a first day of 11 hours.
    Every calendar day the run touched gets a row, the partial first and last ones too.

    Parameters
    ----------
    model : PatrolModel
        A model that has run.
    crimes : pandas.DataFrame
        ``model.crimes_table()``.
    hotspots : pandas.DataFrame
        The measured hot spots (``hotspot_id, node, x, y``).
    zoning : Zoning
        :func:`hotspot_sim.track.zones.zone_crimes` of ``crimes``.
    dose : pandas.DataFrame, optional
        :func:`spot_day_dose`: adds ``dose_minutes`` (presence minutes from the GPS).

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id, day, treated, crimes, harm`` [, ``dose_minutes``], one row per hot
        spot per day.
    """
    n_days = model.day_index(max(int(model.tick) - 1, 0)) + 1
    ids = hotspots["hotspot_id"].to_numpy()
    inside = zoning.in_hot_spot
    day = model.day_index(crimes["tick"].to_numpy())[inside]
    grid = pd.MultiIndex.from_product([range(len(ids)), range(n_days)], names=["spot", "day"])
    df = pd.DataFrame({"spot": zoning.nearest[inside], "day": day,
                       "harm": crimes["harm"].to_numpy()[inside]})
    agg = df.groupby(["spot", "day"]).agg(crimes=("harm", "size"), harm=("harm", "sum"))
    table = agg.reindex(grid, fill_value=0).reset_index()
    table["hotspot_id"] = ids[table["spot"]]
    table["treated"] = False
    assign = getattr(model.policy, "assignment_table", None)
    if assign is not None:
        # one lookup for the whole table (no Python loop over spot-days); the last row
        # of a (node, day) the policy recorded twice decides, as it did
        flags = assign().drop_duplicates(["node", "day"], keep="last").set_index(
            ["node", "day"])["treated"].astype(bool)
        nodes = hotspots["node"].to_numpy(np.int64)[table["spot"].to_numpy()]
        key = pd.MultiIndex.from_arrays([nodes, table["day"].to_numpy(np.int64)])
        table["treated"] = flags.reindex(key, fill_value=False).to_numpy(bool)
    table = table.drop(columns="spot")[["hotspot_id", "day", "treated", "crimes", "harm"]]
    return table if dose is None else add_dose(table, dose)


def add_dose(table: pd.DataFrame, dose: pd.DataFrame) -> pd.DataFrame:
    """``table`` (spot-days) with ``dose_minutes`` from ``dose`` (0 where it has no row).

    Parameters
    ----------
    table : pandas.DataFrame
        Spot-days: ``hotspot_id, day, ...``.
    dose : pandas.DataFrame
        ``day, hotspot_id, minutes`` (:func:`hotspot_sim.track.dose.dose_by_day`).

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with ``dose_minutes``.
    """
    minutes = dose.set_index(["hotspot_id", "day"])["minutes"]
    key = pd.MultiIndex.from_arrays([table["hotspot_id"], table["day"]])
    return table.assign(dose_minutes=minutes.reindex(key).fillna(0.0).to_numpy(float))


