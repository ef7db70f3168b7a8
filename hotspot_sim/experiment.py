"""Experiments: arms x sweep grid x replications, run locally or on Dask, resumable.

An experiment file (TOML, in ``experiments/``) names a scenario, the arms
(policy + parameters + scenario overrides), the number of replications and an
optional sweep grid over any scenario key (``section.key``) or policy parameter
(``policy.<param>``).  Every run gets its own seed, derived from the root seed
and the run's (arm, grid point, replication) with numpy's ``SeedSequence``, so
results do not depend on the backend, the number of workers or the order runs
finish in.  Each finished run is written at once (atomically) to
``results/<experiment>/runs/``; running again skips the runs already there.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .checks import MAX_DAYS, MAX_SEED, MIN_DAYS, check_name, check_number
from .errors import ConfigError
from .track.zones import Zoning, zone_columns, zone_crimes

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT_KEYS = {"name", "description", "scenario", "days", "replications", "seed", "control",
                   "hotspots", "hotspot_radius_m", "rings_m"}
QUICK_KEYS = ("days", "replications")
# Ranges of the [experiment] numbers (also used for [quick]); beyond them a value is a typo.
DAYS_RANGE = {"lo": MIN_DAYS, "hi": MAX_DAYS}
REPLICATIONS_RANGE = {"lo": 1, "hi": 100_000, "integer": True}
MAX_GRID_POINTS = 10_000


@dataclass(frozen=True)
class Arm:
    """One arm: a policy, its parameters and scenario overrides."""

    name: str
    policy: str
    params: dict = field(default_factory=dict)
    overrides: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    name: str
    scenario: str
    arms: tuple[Arm, ...]
    days: float = 90.0
    replications: int = 20
    seed: int = 20211101
    control: str | None = None
    grid: dict = field(default_factory=dict)
    quick: dict = field(default_factory=dict)
    hotspots: int = 20            # places measured as "hot spots" in every arm
    hotspot_radius_m: float = 100.0
    rings_m: tuple = (100.0, 200.0)  # catchment rings beyond the hot spot radius
    description: str = ""
    source: str = "<experiment>"
    quick_version: bool = False   # made by with_quick (recorded in the manifest and report)

    def grid_points(self) -> list[dict]:
        if not self.grid:
            return [{}]
        keys = list(self.grid)
        return [dict(zip(keys, values)) for values in itertools.product(*self.grid.values())]

    def with_quick(self) -> Experiment:
        """The ``--quick`` version: the file's ``[quick]`` values (default 3 days, 2 reps)."""
        q = {"days": 3.0, "replications": 2, **self.quick}
        return Experiment(**{**self.__dict__, "days": float(q["days"]),
                             "replications": int(q["replications"]),
                             "grid": {k: v[:2] for k, v in self.grid.items()},
                             "quick_version": True})


@dataclass(frozen=True)
class Task:
    """One run of the experiment."""

    task_id: str
    arm: Arm
    grid_index: int
    grid_point: dict
    replication: int
    seed: int
    key: str = ""      # hash of everything that determines the run (see run_config)
    config: str = ""   # that configuration as canonical JSON, to say what differs


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file (errors name the key and the file)."""
    from .settings import read_toml, resolve_toml

    path = resolve_toml(path, "experiments")
    raw = read_toml(path, "experiment")
    where = str(path)
    unknown = set(raw) - {"experiment", "arms", "grid", "quick"}
    if unknown:
        raise ConfigError(f"{where}: unknown table(s) {', '.join(sorted(unknown))}; expected "
                          "[experiment], [[arms]], [grid], [quick]")
    head = raw.get("experiment")
    if not isinstance(head, dict):
        raise ConfigError(f"{where}: missing [experiment] table")
    bad = set(head) - EXPERIMENT_KEYS
    if bad:
        raise ConfigError(f"{where} [experiment]: unknown key(s) {', '.join(sorted(bad))}; "
                          f"known: {', '.join(sorted(EXPERIMENT_KEYS))}")
    for key in ("name", "scenario"):
        if not isinstance(head.get(key), str):
            raise ConfigError(f"{where} [experiment] {key}: required, a string")
    check_name(head["name"], f"{where} [experiment] name")
    if not isinstance(head.get("description", ""), str):
        raise ConfigError(f"{where} [experiment] description = {head['description']!r}: "
                          "expected a string")
    exp = Experiment(
        name=head["name"], scenario=head["scenario"], arms=tuple(parse_arms(raw, where)),
        days=number(head, "days", 90.0, where, **DAYS_RANGE),
        seed=number(head, "seed", 20211101, where, lo=0, hi=MAX_SEED, integer=True),
        replications=number(head, "replications", 20, where, **REPLICATIONS_RANGE),
        control=head.get("control"), grid=parse_grid(raw.get("grid", {}), where),
        quick=parse_quick(raw.get("quick", {}), where),
        hotspots=number(head, "hotspots", 20, where, lo=1, hi=10_000, integer=True),
        hotspot_radius_m=number(head, "hotspot_radius_m", 100.0, where, lo=1, hi=5000),
        rings_m=parse_rings(head.get("rings_m", (100.0, 200.0)), where),
        description=head.get("description", ""), source=where)
    names = [a.name for a in exp.arms]
    if exp.control is not None and exp.control not in names:
        raise ConfigError(f"{where} [experiment] control = {exp.control!r}: not an arm "
                          f"({', '.join(names)})")
    for arm in exp.arms:  # fail now, not in a worker, on a bad scenario, key or policy
        for point in exp.grid_points():
            scenario_for(exp, arm, point)
        check_policy(exp, arm)
    check_grid_policy_params(exp)
    return exp


def number(table: dict, key: str, default, where: str, lo: float | None = None,
           hi: float | None = None, integer: bool = False, section: str = "experiment"):
    """``table[key]`` (or ``default``) checked as a finite number in ``[lo, hi]``."""
    return check_number(table.get(key, default), f"{where} [{section}] {key}", lo, hi,
                        integer=integer)


def parse_quick(quick, where: str) -> dict:
    """The ``[quick]`` table: ``days`` and ``replications``, checked like ``[experiment]``."""
    if not isinstance(quick, dict):
        raise ConfigError(f"{where}: quick = {quick!r} must be a table [quick]")
    bad = set(quick) - set(QUICK_KEYS)
    if bad:
        raise ConfigError(f"{where} [quick]: unknown key(s) {', '.join(sorted(bad))}; "
                          f"known: {', '.join(QUICK_KEYS)}")
    ranges = {"days": DAYS_RANGE, "replications": REPLICATIONS_RANGE}
    for key in quick:
        number(quick, key, None, where, section="quick", **ranges[key])
    return dict(quick)


def parse_rings(rings, where: str) -> tuple:
    """``rings_m``: catchment ring distances beyond the hot spot radius, each positive and
    at least 1 m beyond the one before (ring names are whole metres, so they stay distinct)."""
    key = f"{where} [experiment] rings_m"
    if not isinstance(rings, (list, tuple)):
        raise ConfigError(f"{key} = {rings!r}: expected a list of distances in metres, "
                          "e.g. [100, 200]")
    for i, r in enumerate(rings):
        check_number(r, f"{key} item {i + 1}", 0, 100_000, lo_open=True)
        if i and r < rings[i - 1] + 1:
            raise ConfigError(f"{key} = {list(rings)!r}: distances must increase (by at least "
                              "1 m)")
    return tuple(rings)


def parse_arms(raw: dict, where: str) -> list[Arm]:
    arms = raw.get("arms")
    if not isinstance(arms, list) or not arms:
        raise ConfigError(f"{where}: needs at least one [[arms]] table")
    out, seen = [], set()
    for i, a in enumerate(arms, start=1):
        if not isinstance(a, dict):
            raise ConfigError(f"{where} arm {i}: expected an [[arms]] table, got {a!r}")
        for key in ("params", "set"):
            if not isinstance(a.get(key, {}), dict):
                raise ConfigError(f"{where} arm {i} {key} = {a[key]!r}: expected a table, "
                                  "e.g. { key = value }")
        bad = set(a) - {"name", "policy", "params", "set"}
        if bad:
            raise ConfigError(f"{where} arm {i}: unknown key(s) {', '.join(sorted(bad))}; "
                              "known: name, policy, params, set")
        if not isinstance(a.get("policy"), str):
            raise ConfigError(f"{where} arm {i}: 'policy' is required")
        name = a.get("name", a["policy"])
        check_name(name, f"{where} arm {i} name")
        if name in seen:
            raise ConfigError(f"{where} arm {i}: duplicate arm name {name!r}")
        seen.add(name)
        out.append(Arm(name=name, policy=a["policy"], params=dict(a.get("params", {})),
                       overrides=dict(a.get("set", {}))))
    return out


def parse_grid(grid: dict, where: str) -> dict:
    if not isinstance(grid, dict):
        raise ConfigError(f"{where}: grid = {grid!r} must be a table [grid] of "
                          "'section.key' = [values]")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where} [grid] {key}: expected a non-empty list of values")
        if "." not in key:
            raise ConfigError(f"{where} [grid] {key}: use 'section.key' or 'policy.<param>'")
    points = int(np.prod([len(v) for v in grid.values()], dtype=float))
    if points > MAX_GRID_POINTS:  # each point is checked now and run later: refuse a typo
        raise ConfigError(f"{where} [grid]: {points:,} grid points (the product of the list "
                          f"lengths); at most {MAX_GRID_POINTS:,}")
    return dict(grid)


def scenario_for(exp: Experiment, arm: Arm, point: dict):
    """The validated scenario of one arm at one grid point."""
    from .settings import load_scenario

    scenario = load_scenario(exp.scenario, relative_to=Path(exp.source).parent)
    overrides = {**arm.overrides, **{k: v for k, v in point.items() if not k.startswith("policy.")}}
    try:
        return scenario.replace(overrides) if overrides else scenario
    except ConfigError as exc:
        raise ConfigError(f"{exp.source} arm {arm.name!r}: {exc}") from None


def check_policy(exp: Experiment, arm: Arm) -> None:
    from .sim.policies import get_policy

    try:
        cls = get_policy(arm.policy)
        cls.check_params(arm.params)
    except ConfigError as exc:
        raise ConfigError(f"{exp.source} arm {arm.name!r}: {exc}") from None
    for point in exp.grid_points():  # each swept value is checked as the parameter it sets
        swept = {k.removeprefix("policy."): v for k, v in point.items()
                 if k.startswith("policy.") and k.removeprefix("policy.") in cls.defaults}
        try:
            cls.check_params({**arm.params, **swept})
        except ConfigError as exc:
            raise ConfigError(f"{exp.source} [grid] arm {arm.name!r}: {exc}") from None


def check_grid_policy_params(exp: Experiment) -> None:
    """A swept ``policy.<param>`` applies to the arms whose policy has it; some arm must."""
    from .sim.policies import get_policy

    accepted = set().union(*(get_policy(a.policy).defaults for a in exp.arms))
    for key in exp.grid:
        if key.startswith("policy.") and key.removeprefix("policy.") not in accepted:
            raise ConfigError(f"{exp.source} [grid] {key}: no arm's policy has this parameter")


def make_tasks(exp: Experiment) -> list[Task]:
    """Every (arm, grid point, replication) with its seed from ``SeedSequence``."""
    tasks = []
    for ai, arm in enumerate(exp.arms):
        for gi, point in enumerate(exp.grid_points()):
            base = run_config(exp, arm, point)
            for rep in range(exp.replications):
                # Common random numbers: the same grid point and replication get the
                # same seed in every arm, so arms differ by policy, not by luck.
                ss = np.random.SeedSequence(exp.seed, spawn_key=(gi, rep))
                seed = int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
                config = canonical_json({**base, "seed": seed})
                tasks.append(Task(f"{arm.name}__g{gi:03d}__r{rep:03d}", arm, gi, point, rep, seed,
                                  key=hashlib.sha256(config.encode()).hexdigest(), config=config))
    return tasks


# ----------------------------------------------------------------------------- run keys

# The modules whose code decides what a run produces: the simulation, the data it reads,
# the places it is measured at and the measuring (here).  Policies and harm weights too.
MODEL_SOURCES = ("sim/model.py", "sim/agents.py", "sim/kernels.py", "sim/dispatch.py",
                 "sim/routing.py", "study.py", "network.py", "data.py", "settings.py", "target.py",
                 "experiment.py",
                 "track/presence.py", "track/zones.py")
PACKAGE = Path(__file__).resolve().parent


def policy_params(arm: Arm, point: dict) -> dict:
    """The arm's policy parameters with the grid point's ``policy.<param>`` values it accepts."""
    from .sim.policies import get_policy

    accepted = get_policy(arm.policy).defaults
    swept = {k.removeprefix("policy."): v for k, v in point.items() if k.startswith("policy.")}
    return {**arm.params, **{k: v for k, v in swept.items() if k in accepted}}


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version and a hash of the model's source, computed once per process.

    Any edit to the simulation, the policies, the harm table or the measuring changes it,
    so runs made by other code are never reused (a git revision would also change on an
    edit to a test or the README, and is missing from installed copies).
    """
    files = [PACKAGE / name for name in MODEL_SOURCES]
    files += sorted((PACKAGE / "sim" / "policies").glob("*.py"))
    files += sorted((PACKAGE / "data").glob("*.csv"))
    digest = hashlib.sha256()
    for f in files:
        if f.is_file():
            digest.update(f.relative_to(PACKAGE).as_posix().encode() + b"\0" + f.read_bytes())
    return f"{__version__}+src.{digest.hexdigest()[:12]}"


# Libraries whose version can change what a run produces (random streams, network building).
MODEL_LIBRARIES = ("numpy", "numba", "mesa", "networkx", "osmnx", "scipy", "pandas", "simpy")


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str | None]:
    """Installed versions of ``MODEL_LIBRARIES`` (None for one that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {name: installed(name) for name in MODEL_LIBRARIES}


@lru_cache(maxsize=16)
def plugin_source(policy: str) -> str | None:
    """A hash of the file defining a policy given by module path (None for built-in ones)."""
    if ":" not in policy:
        return None
    import inspect

    from .sim.policies import get_policy

    try:
        return hashlib.sha256(Path(inspect.getsourcefile(get_policy(policy))).read_bytes()
                              ).hexdigest()[:12]
    except (TypeError, OSError):  # no source file (e.g. defined in a notebook)
        return None


def run_config(exp: Experiment, arm: Arm, point: dict) -> dict:
    """Everything that determines a run of ``arm`` at ``point`` except its seed.

    The scenario is the full validated content after the arm's overrides and the grid
    point (its own seed is replaced by the run's seed, so it is left out here).
    """
    from .study import data_fingerprint

    validated = scenario_for(exp, arm, point)
    scenario = validated.to_dict()
    scenario["scenario"].pop("seed", None)
    return {"code_version": code_version(), "libraries": library_versions(),
            "data": data_fingerprint(validated), "scenario": scenario, "policy": arm.policy,
            "policy_params": policy_params(arm, point), "policy_source": plugin_source(arm.policy),
            "days": exp.days, "measure": {"hotspots": exp.hotspots,
                                          "hotspot_radius_m": exp.hotspot_radius_m,
                                          "rings_m": list(exp.rings_m)}}


def canonical_json(value) -> str:
    """JSON with sorted keys and whole floats as ints (``days = 2`` and ``2.0`` run alike)."""
    def norm(v):
        if isinstance(v, dict):
            return {str(k): norm(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v

    return json.dumps(norm(value), sort_keys=True, separators=(",", ":"), default=str)


def config_differences(old: dict, new: dict) -> list[tuple[str, Any, Any]]:
    """``(label, old value, new value)`` for every setting that differs, e.g.
    ``("scenario [officers] count", 8, 4)``."""
    def flat(d, prefix=()):
        out = {}
        for k, v in d.items():
            if isinstance(v, dict) and v:
                out.update(flat(v, prefix + (k,)))
            else:
                out[prefix + (k,)] = v
        return out

    a, b = flat(old), flat(new)
    return [(setting_label(path), a.get(path), b.get(path))
            for path in sorted(set(a) | set(b), key=lambda p: tuple(map(str, p)))
            if a.get(path) != b.get(path)]


def setting_label(path: tuple) -> str:
    head, rest = path[0], ".".join(map(str, path[1:]))
    if head == "scenario":
        section, _, key = rest.partition(".")
        return f"scenario [{section}] {key}" if key else f"scenario [{section}]"
    return {"policy_params": f"policy parameter {rest}", "measure": f"[experiment] {rest}",
            "policy_source": "policy source code", "code_version": "code version",
            "seed": "run seed", "libraries": f"{rest} version"}.get(head, head.replace("_", " "))


# ----------------------------------------------------------------------------- one run


@lru_cache(maxsize=4)
def cached_study(scenario_key: str):
    """Network + observed data, loaded once per worker process."""
    from .settings import scenario_from_dict
    from .study import load_study

    return load_study(scenario_from_dict(json.loads(scenario_key)))


@lru_cache(maxsize=4)
def measured_hotspots(scenario_key: str, k: int) -> pd.DataFrame:
    """The places every arm is measured at: the top-k harm hot spots of the observed data."""
    from .target import TargetSettings, target

    return target(cached_study(scenario_key), TargetSettings(k=k))


def run_task(exp: Experiment, task: Task) -> dict[str, pd.DataFrame]:
    """Run one task and measure it.  Pure function of (experiment, task): any worker."""
    from .sim.model import PatrolModel

    scenario = scenario_for(exp, task.arm, task.grid_point).replace({"scenario.seed": task.seed})
    data_key = json.dumps({"network": scenario.to_dict()["network"],
                           "crime": scenario.to_dict()["crime"]}, sort_keys=True)
    study = cached_study(data_key)
    params = policy_params(task.arm, task.grid_point)
    try:  # before simulating: too many hot spots for the data fails at once
        hotspots = measured_hotspots(data_key, exp.hotspots)
    except ConfigError as exc:
        raise ConfigError(f"{exp.source} [experiment] hotspots = {exp.hotspots}: {exc}") from None
    t0 = time.perf_counter()
    model = PatrolModel(scenario, study, policy=task.arm.policy,
                        policy_params=params, build_space=False)
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


def measure_run(model, hotspots: pd.DataFrame, radius_m: float, rings_m) -> tuple[dict, pd.DataFrame]:
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
        grade 1 response.
    spotdays : pandas.DataFrame
        :func:`spot_days` of the run.
    """
    crimes = model.crimes_table()
    attempts = model.attempts_table()
    zoning = zone_crimes(crimes["x"], crimes["y"], hotspots, rings_m, radius_m)
    harm = crimes["harm"].to_numpy(float)
    out = {"crimes": int(len(crimes)), "harm": float(harm.sum()),
           "deterred": int((attempts["outcome"] == "deterred").sum()),
           "displaced": int((attempts["outcome"] == "displaced").sum())}
    for z, name in enumerate(zone_columns(radius_m, rings_m)):
        out[f"crimes_{name}"] = int((zoning.zone == z).sum())
        out[f"harm_{name}"] = float(harm[zoning.zone == z].sum())
    for ctype, n in crimes["crime_type"].value_counts().items():
        out[f"type:{ctype}"] = int(n)
    status = model.status_table()
    if len(status):
        minutes = status.drop(columns=["day", "date", "officer"]).sum()
        # officer time spent patrolling (random or directed), priced in the cost-benefit
        out["patrol_hours"] = float((minutes.get("at_hotspot", 0) + minutes.get("travelling", 0)
                                     + minutes.get("patrolling", 0)) / 60)
        out["officer_hours"] = float(minutes.drop("off_duty", errors="ignore").sum() / 60)
        out["call_hours"] = float(minutes.get("answering_call", 0) / 60)
    calls = model.calls_table().dropna(subset=["arrived"])
    out["grade1_met_target_pct"] = float(100 * calls.loc[calls["grade"] == 1, "met_target"].mean()) \
        if (calls["grade"] == 1).any() else float("nan")
    return out, spot_days(model, crimes, hotspots, zoning)


def spot_days(model, crimes: pd.DataFrame, hotspots: pd.DataFrame, zoning: Zoning) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id, day, treated, crimes, harm``, one row per hot spot per day.
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
        node_treated = {(int(r.node), int(r.day)): bool(r.treated) for r in assign().itertuples()}
        nodes = hotspots["node"].to_numpy()
        table["treated"] = [node_treated.get((int(nodes[s]), int(d)), False)
                            for s, d in zip(table["spot"], table["day"])]
    return table.drop(columns="spot")[["hotspot_id", "day", "treated", "crimes", "harm"]]


# ----------------------------------------------------------------------------- the runner


def write_atomic(df: pd.DataFrame, path: Path) -> None:
    """Write a parquet table atomically, never through a planted symbolic link."""
    from .io import write_parquet

    write_parquet(df, path)


def run_experiment(exp: Experiment, out: Path, workers: int = 1, scheduler: str | None = None,
                   backend: str = "local", progress=True,
                   processes: bool | None = None) -> Path:
    """Run every missing task and write its results as soon as it finishes.

    ``progress``: True for a tqdm bar, False for none, or a callback
    ``progress(step, done, total)`` (see :class:`hotspot_sim.progress.StepProgress`).
    """
    out = Path(out)
    tasks = make_tasks(exp)
    todo = runs_to_do(exp, out, tasks)  # before writing anything: stale runs stop here
    (out / "runs").mkdir(parents=True, exist_ok=True)
    (out / "spotdays").mkdir(exist_ok=True)
    write_manifest(exp, out, tasks, status="running")
    started = time.perf_counter()
    from tqdm import tqdm

    report = progress if callable(progress) else None
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc=exp.name, unit="run",
               disable=not progress or report is not None, dynamic_ncols=True)
    finished = len(tasks) - len(todo)
    try:
        if report:
            report(exp.name, finished, len(tasks))
        for task_id, result in execute(exp, todo, workers, scheduler, backend, processes):
            write_atomic(result["spotdays"], out / "spotdays" / f"{task_id}.parquet")
            write_atomic(result["summary"], out / "runs" / f"{task_id}.parquet")
            bar.update(1)
            finished += 1
            if report:
                report(exp.name, finished, len(tasks))
    finally:
        bar.close()
    collect(out)
    write_manifest(exp, out, tasks, status="complete", wall=time.perf_counter() - started)
    return out


def execute(exp: Experiment, tasks: list[Task], workers: int, scheduler: str | None, backend: str,
            processes: bool | None = None):
    """Yield (task_id, result) as tasks finish, on the chosen backend.

    ``processes`` (default: when ``workers > 1``) runs tasks in a pool of worker processes;
    with one worker and no pool they run in this process.
    """
    if not tasks:
        return
    if not (scheduler or backend == "dask" or (workers > 1 if processes is None else processes)):
        for t in tasks:
            yield t.task_id, run_task(exp, t)
        return
    # Workers each load the study and log the same warnings: gather them and print each once.
    from .sim.kernels import announce_compile
    from .progress import WarningTally

    announce_compile()  # here, once, rather than from every worker (they inherit the flag)
    tally = WarningTally()
    try:
        if scheduler or backend == "dask":
            for task_id, (result, messages) in execute_dask(exp, tasks, scheduler, workers):
                tally.add(messages)
                yield task_id, result
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            from .progress import call_capturing_warnings

            with ProcessPoolExecutor(max_workers=workers,
                                     mp_context=mp.get_context("spawn")) as pool:
                futures = {pool.submit(call_capturing_warnings, run_task, exp, t): t
                           for t in tasks}
                for f in as_completed(futures):
                    result, messages = f.result()
                    tally.add(messages)
                    yield futures[f].task_id, result
    finally:
        tally.report()


SCHEDULER_TIMEOUT_S = 5.0
"""How long to try to reach a Dask scheduler before giving up with a message."""


def connect_scheduler(client_class, address: str):
    """A Dask ``Client`` connected to ``address``, or a ConfigError saying it is unreachable."""
    try:
        return client_class(address, timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"--scheduler {address}: cannot connect to a Dask scheduler ({exc}). Start one ('dask scheduler', then 'dask worker "
            f"ADDRESS' on each machine) and give its tcp://HOST:PORT, or leave out --scheduler "
            "to run on this machine.") from None


def execute_dask(exp: Experiment, tasks: list[Task], scheduler: str | None, workers: int):
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = connect_scheduler(Client, scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        from .progress import call_capturing_warnings

        futures = [client.submit(call_capturing_warnings, run_task, exp, t,
                                 key=f"hotspot-sim-{exp.name}-{t.task_id}", pure=False)
                   for t in tasks]
        ids = {f.key: t.task_id for f, t in zip(futures, tasks)}
        for f in as_completed(futures):
            yield ids[f.key], f.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def runs_to_do(exp: Experiment, out: Path, tasks: list[Task]) -> list[Task]:
    """The tasks not yet run in ``out``, after checking the runs already there.

    Raises
    ------
    ConfigError
        If ``out`` holds any run made with other settings (another run key), a run that is
        not part of this experiment, or a run without a key (made before runs were keyed):
        the message says what differs and how to start again.  Nothing has been written.
    """
    expected = {t.task_id: t for t in tasks}
    stored = stored_run_keys(out)
    foreign = sorted(set(stored) - set(expected))
    unkeyed = sorted(t for t in set(stored) & set(expected) if stored[t][0] is None)
    changed = sorted(t for t in set(stored) & set(expected)
                     if stored[t][0] is not None and stored[t][0] != expected[t].key)
    if foreign or unkeyed or changed:
        raise ConfigError(stale_message(exp, out, stored, expected, foreign, unkeyed, changed))
    return [t for t in tasks if t.task_id not in stored]


def stored_run_keys(out: Path) -> dict[str, tuple[str | None, str | None]]:
    """``task_id -> (run_key, run_config)`` of the finished runs in ``out/runs`` (None if absent)."""
    from .io import read_parquet

    keys = {}
    for path in sorted((Path(out) / "runs").glob("*.parquet")):
        row = read_parquet(path, "delete that file to run it again, or start over with --fresh")
        keys[path.name.removesuffix(".parquet")] = tuple(
            str(row[col].iloc[0]) if col in row and len(row) else None
            for col in ("run_key", "run_config"))
    return keys


def stale_message(exp: Experiment, out: Path, stored: dict, expected: dict[str, Task],
                  foreign: list[str], unkeyed: list[str], changed: list[str]) -> str:
    """What differs between the runs in ``out`` and ``exp``, and what to do about it."""
    diffs: dict[str, list[tuple]] = {}
    for tid in changed:
        old = json.loads(stored[tid][1]) if stored[tid][1] else {}
        for label, a, b in config_differences(old, json.loads(expected[tid].config)):
            diffs.setdefault(label, []).append((a, b))
    lines = []
    for label, pairs in diffs.items():
        distinct = list(dict.fromkeys(pairs))
        a, b = distinct[0]
        some = f"{len(pairs)} of {len(changed)} runs" if len(pairs) < len(changed) else ""
        lines.append(f"{label} {shown(a)} -> {shown(b)}" + (f" ({some})" if some else "")
                     if len(distinct) == 1 else
                     f"{label} ({some or f'{len(pairs)} runs'}, e.g. {shown(a)} -> {shown(b)})")
    if len(lines) > 12:
        lines = lines[:12] + [f"... and {len(lines) - 12} more settings"]
    old_root = read_manifest(out).get("root_seed")
    if old_root is not None and old_root != exp.seed:
        lines.insert(0, f"[experiment] seed {old_root} -> {exp.seed}")
    if foreign:
        lines.append(f"{len(foreign)} run(s) that are not part of this experiment (e.g. "
                     f"{foreign[0]}): its arms, grid or replications changed")
    if unkeyed:
        lines.append(f"{len(unkeyed)} run(s) made by an older hotspot-sim that did not record "
                     "their settings")
    stale = len(foreign) + len(unkeyed) + len(changed)
    return (f"{out} holds {stale} run(s) made with other settings than {exp.source}, so they "
            "cannot be reused (nothing was run):\n  - " + "\n  - ".join(lines) +
            f"\nUse --fresh to move the old results aside (to {Path(out).name}.old-<date-time>, "
            "nothing is deleted) and run again, or --out to write to another folder.")


def read_manifest(out: Path) -> dict:
    """The folder's ``manifest.json`` as a dict (empty if it is missing or unreadable)."""
    try:
        manifest = json.loads((Path(out) / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def shown(value) -> str:
    """A setting's value for a message: whole floats without '.0', absent as '(none)'."""
    if value is None:
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def move_aside(out: Path) -> Path | None:
    """Rename an experiment's results folder to a timestamped sibling (``--fresh``).

    Returns the new path, or None when there was nothing to move.  A folder that does not
    look like an experiment's results (no ``manifest.json`` or ``runs/``) is never moved.
    """
    out = Path(out)
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return None
    if not ((out / "manifest.json").is_file() or (out / "runs").is_dir()):
        raise ConfigError(f"--fresh: {out} does not look like an experiment's results folder "
                          "(no manifest.json or runs/), so it was not moved; give another --out")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target, n = out.with_name(f"{out.name}.old-{stamp}"), 1
    while target.exists():
        n += 1
        target = out.with_name(f"{out.name}.old-{stamp}-{n}")
    os.rename(out, target)
    return target


def collect(out: Path) -> pd.DataFrame:
    """Concatenate the finished runs into ``runs.parquet`` and ``spotdays.parquet``."""
    runs = sorted((out / "runs").glob("*.parquet"))
    if not runs:
        return pd.DataFrame()
    from .io import read_parquet

    fix = ("delete that file and run the experiment again to redo that run (or run it again "
           "with --fresh to start over)")
    df = pd.concat([read_parquet(p, fix) for p in runs], ignore_index=True)
    df = df.sort_values("task_id").reset_index(drop=True)
    write_atomic(df, out / "runs.parquet")
    sd = [read_parquet(p, fix) for p in sorted((out / "spotdays").glob("*.parquet"))]
    if sd:
        write_atomic(pd.concat(sd, ignore_index=True), out / "spotdays.parquet")
    return df


def git_revision() -> str:
    """``git describe`` of the checkout, for the record (empty when not a git checkout)."""
    try:
        rev = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return rev


def write_manifest(exp: Experiment, out: Path, tasks: list[Task], status: str,
                   wall: float | None = None) -> None:
    manifest: dict[str, Any] = {
        "experiment": exp.name, "description": exp.description, "source": exp.source,
        "scenario": exp.scenario, "days": exp.days, "replications": exp.replications,
        "root_seed": exp.seed, "control": exp.control, "grid": exp.grid,
        "arms": [a.__dict__ for a in exp.arms], "hotspots": exp.hotspots,
        "hotspot_radius_m": exp.hotspot_radius_m, "rings_m": list(exp.rings_m),
        "quick": exp.quick_version, "code_version": code_version(), "git": git_revision(),
        "python": platform.python_version(), "status": status,
        "wall_seconds_this_session": wall,
        "tasks": [{"task_id": t.task_id, "arm": t.arm.name, "grid": t.grid_point,
                   "replication": t.replication, "seed": t.seed, "run_key": t.key}
                  for t in tasks]}
    from .io import write_text

    write_text(out / "manifest.json", json.dumps(manifest, indent=2, default=str))
