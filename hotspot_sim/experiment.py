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
from .errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENT_KEYS = {"name", "description", "scenario", "days", "replications", "seed", "control",
                   "hotspots", "hotspot_radius_m", "rings_m"}


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
                             "grid": {k: v[:2] for k, v in self.grid.items()}})


@dataclass(frozen=True)
class Task:
    """One run of the experiment."""

    task_id: str
    arm: Arm
    grid_index: int
    grid_point: dict
    replication: int
    seed: int


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file (errors name the key and the file)."""
    from .settings import read_toml

    path = Path(path)
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
    exp = Experiment(
        name=head["name"], scenario=head["scenario"], arms=tuple(parse_arms(raw, where)),
        days=number(head, "days", 90.0, where, lo=1 / 1440), seed=int(number(head, "seed", 20211101, where, lo=0)),
        replications=int(number(head, "replications", 20, where, lo=1)),
        control=head.get("control"), grid=parse_grid(raw.get("grid", {}), where),
        quick=raw.get("quick", {}), hotspots=int(number(head, "hotspots", 20, where, lo=1)),
        hotspot_radius_m=number(head, "hotspot_radius_m", 100.0, where, lo=1),
        rings_m=tuple(head.get("rings_m", (100.0, 200.0))), description=head.get("description", ""),
        source=where)
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


def number(table: dict, key: str, default, where: str, lo: float | None = None):
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where} [experiment] {key} = {value!r}: expected a number")
    if lo is not None and value < lo:
        raise ConfigError(f"{where} [experiment] {key} = {value!r}: must be >= {lo}")
    return value


def parse_arms(raw: dict, where: str) -> list[Arm]:
    arms = raw.get("arms")
    if not isinstance(arms, list) or not arms:
        raise ConfigError(f"{where}: needs at least one [[arms]] table")
    out, seen = [], set()
    for i, a in enumerate(arms, start=1):
        bad = set(a) - {"name", "policy", "params", "set"}
        if bad:
            raise ConfigError(f"{where} arm {i}: unknown key(s) {', '.join(sorted(bad))}; "
                              "known: name, policy, params, set")
        if not isinstance(a.get("policy"), str):
            raise ConfigError(f"{where} arm {i}: 'policy' is required")
        name = a.get("name", a["policy"])
        if name in seen:
            raise ConfigError(f"{where} arm {i}: duplicate arm name {name!r}")
        seen.add(name)
        out.append(Arm(name=name, policy=a["policy"], params=dict(a.get("params", {})),
                       overrides=dict(a.get("set", {}))))
    return out


def parse_grid(grid: dict, where: str) -> dict:
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where} [grid] {key}: expected a non-empty list of values")
        if "." not in key:
            raise ConfigError(f"{where} [grid] {key}: use 'section.key' or 'policy.<param>'")
    return dict(grid)


def scenario_for(exp: Experiment, arm: Arm, point: dict):
    """The validated scenario of one arm at one grid point."""
    from .settings import load_scenario

    path = Path(exp.scenario)
    if not path.is_absolute() and not path.exists():
        path = ROOT / path
    scenario = load_scenario(path)
    overrides = {**arm.overrides, **{k: v for k, v in point.items() if not k.startswith("policy.")}}
    try:
        return scenario.replace(overrides) if overrides else scenario
    except ConfigError as exc:
        raise ConfigError(f"{exp.source} arm {arm.name!r}: {exc}") from None


def check_policy(exp: Experiment, arm: Arm) -> None:
    from .policies import get_policy

    try:
        cls = get_policy(arm.policy)
        grid_params = {k.removeprefix("policy.") for k in exp.grid if k.startswith("policy.")}
        cls.check_params({**arm.params, **{k: cls.defaults[k] for k in grid_params
                                           if k in cls.defaults}})
    except ConfigError as exc:
        raise ConfigError(f"{exp.source} arm {arm.name!r}: {exc}") from None


def check_grid_policy_params(exp: Experiment) -> None:
    """A swept ``policy.<param>`` applies to the arms whose policy has it; some arm must."""
    from .policies import get_policy

    accepted = set().union(*(get_policy(a.policy).defaults for a in exp.arms))
    for key in exp.grid:
        if key.startswith("policy.") and key.removeprefix("policy.") not in accepted:
            raise ConfigError(f"{exp.source} [grid] {key}: no arm's policy has this parameter")


def make_tasks(exp: Experiment) -> list[Task]:
    """Every (arm, grid point, replication) with its seed from ``SeedSequence``."""
    tasks = []
    for ai, arm in enumerate(exp.arms):
        for gi, point in enumerate(exp.grid_points()):
            for rep in range(exp.replications):
                # Common random numbers: the same grid point and replication get the
                # same seed in every arm, so arms differ by policy, not by luck.
                ss = np.random.SeedSequence(exp.seed, spawn_key=(gi, rep))
                seed = int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
                tasks.append(Task(f"{arm.name}__g{gi:03d}__r{rep:03d}", arm, gi, point, rep, seed))
    return tasks


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
    from .model import PatrolModel

    scenario = scenario_for(exp, task.arm, task.grid_point).replace({"scenario.seed": task.seed})
    data_key = json.dumps({"network": scenario.to_dict()["network"],
                           "crime": scenario.to_dict()["crime"]}, sort_keys=True)
    study = cached_study(data_key)
    from .policies import get_policy

    accepted = get_policy(task.arm.policy).defaults
    params = {**task.arm.params, **{k.removeprefix("policy."): v
                                    for k, v in task.grid_point.items()
                                    if k.startswith("policy.") and k.removeprefix("policy.") in accepted}}
    t0 = time.perf_counter()
    model = PatrolModel(scenario, study, policy=task.arm.policy,
                        policy_params=params, build_space=False)
    model.run_days(exp.days)
    wall = time.perf_counter() - t0
    hotspots = measured_hotspots(data_key, exp.hotspots)
    summary, spotdays = measure_run(model, hotspots, exp.hotspot_radius_m, exp.rings_m)
    summary.update({"task_id": task.task_id, "arm": task.arm.name, "policy": task.arm.policy,
                    "grid_index": task.grid_index, "replication": task.replication,
                    "seed": task.seed, "days": exp.days, "wall_seconds": wall,
                    **{f"grid:{k}": v for k, v in task.grid_point.items()}})
    spotdays.insert(0, "task_id", task.task_id)
    return {"summary": pd.DataFrame([summary]), "spotdays": spotdays}


def measure_run(model, hotspots: pd.DataFrame, radius_m: float, rings_m) -> tuple[dict, pd.DataFrame]:
    """Crimes and harm in hot spots, in catchment rings and elsewhere; officer hours."""
    from scipy.spatial import cKDTree

    crimes = model.crimes_table()
    attempts = model.attempts_table()
    xy = np.column_stack([hotspots["x"], hotspots["y"]])
    dist, nearest = cKDTree(xy).query(np.column_stack([crimes["x"], crimes["y"]])) if len(crimes) \
        else (np.zeros(0), np.zeros(0, int))
    # zones: the hot spot (0..radius), rings out to radius + each ring distance, elsewhere
    edges = [0.0, radius_m] + [radius_m + float(r) for r in rings_m]
    zone = np.digitize(dist, edges[1:])  # 0 = hot spot, 1.. = rings, last = elsewhere
    names = ["hotspots"] + [f"ring{int(edges[i])}_{int(edges[i + 1])}" for i in range(1, len(edges) - 1)] + ["elsewhere"]
    harm = crimes["harm"].to_numpy(float)
    out = {"crimes": int(len(crimes)), "harm": float(harm.sum()),
           "deterred": int((attempts["outcome"] == "deterred").sum()),
           "displaced": int((attempts["outcome"] == "displaced").sum())}
    for z, name in enumerate(names):
        out[f"crimes_{name}"] = int((zone == z).sum())
        out[f"harm_{name}"] = float(harm[zone == z].sum())
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
    return out, spot_days(model, crimes, hotspots, dist, nearest, radius_m)


def spot_days(model, crimes, hotspots, dist, nearest, radius_m) -> pd.DataFrame:
    """Crimes and harm per measured hot spot per day, with the policy's assignment if any."""
    days = int(model.tick // 1440)
    ids = hotspots["hotspot_id"].to_numpy()
    inside = dist <= radius_m
    day = (crimes["tick"].to_numpy() // 1440)[inside]
    spot = np.asarray(nearest)[inside]
    grid = pd.MultiIndex.from_product([range(len(ids)), range(max(days, 1))], names=["spot", "day"])
    df = pd.DataFrame({"spot": spot, "day": day, "harm": crimes["harm"].to_numpy()[inside]})
    agg = df.groupby(["spot", "day"]).agg(crimes=("harm", "size"), harm=("harm", "sum"))
    table = agg.reindex(grid, fill_value=0).reset_index()
    table["hotspot_id"] = ids[table["spot"]]
    table["treated"] = False
    assign = getattr(model.policy, "assignment_table", None)
    if assign is not None:
        a = assign()
        first_day = model.day_index(0)
        node_treated = {(int(r.node), int(r.day) - first_day): bool(r.treated) for r in a.itertuples()}
        nodes = hotspots["node"].to_numpy()
        table["treated"] = [node_treated.get((int(nodes[s]), int(d)), False)
                            for s, d in zip(table["spot"], table["day"])]
    return table.drop(columns="spot")[["hotspot_id", "day", "treated", "crimes", "harm"]]


# ----------------------------------------------------------------------------- the runner


def write_atomic(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def run_experiment(exp: Experiment, out: Path, workers: int = 1, scheduler: str | None = None,
                   backend: str = "local", progress: bool = True,
                   processes: bool | None = None) -> Path:
    """Run every missing task and write its results as soon as it finishes."""
    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    (out / "spotdays").mkdir(exist_ok=True)
    tasks = make_tasks(exp)
    done = {p.name.removesuffix(".parquet") for p in (out / "runs").glob("*.parquet")}
    todo = [t for t in tasks if t.task_id not in done]
    write_manifest(exp, out, tasks, status="running")
    started = time.perf_counter()
    from tqdm import tqdm

    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), desc=exp.name, unit="run",
               disable=not progress, dynamic_ncols=True)
    try:
        for task_id, result in execute(exp, todo, workers, scheduler, backend, processes):
            write_atomic(result["spotdays"], out / "spotdays" / f"{task_id}.parquet")
            write_atomic(result["summary"], out / "runs" / f"{task_id}.parquet")
            bar.update(1)
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
    if scheduler or backend == "dask":
        yield from execute_dask(exp, tasks, scheduler, workers)
    elif not (workers > 1 if processes is None else processes):
        for t in tasks:
            yield t.task_id, run_task(exp, t)
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(run_task, exp, t): t for t in tasks}
            for f in as_completed(futures):
                yield futures[f].task_id, f.result()


def execute_dask(exp: Experiment, tasks: list[Task], scheduler: str | None, workers: int):
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(run_task, exp, t, key=f"hotspot-sim-{exp.name}-{t.task_id}",
                                 pure=False) for t in tasks]
        ids = {f.key: t.task_id for f, t in zip(futures, tasks)}
        for f in as_completed(futures):
            yield ids[f.key], f.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def collect(out: Path) -> pd.DataFrame:
    """Concatenate the finished runs into ``runs.parquet`` and ``spotdays.parquet``."""
    runs = sorted((out / "runs").glob("*.parquet"))
    if not runs:
        return pd.DataFrame()
    df = pd.concat([pd.read_parquet(p) for p in runs], ignore_index=True)
    df = df.sort_values("task_id").reset_index(drop=True)
    write_atomic(df, out / "runs.parquet")
    sd = [pd.read_parquet(p) for p in sorted((out / "spotdays").glob("*.parquet"))]
    if sd:
        write_atomic(pd.concat(sd, ignore_index=True), out / "spotdays.parquet")
    return df


def code_version() -> str:
    try:
        rev = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return f"{__version__}+{rev}" if rev else __version__


def write_manifest(exp: Experiment, out: Path, tasks: list[Task], status: str,
                   wall: float | None = None) -> None:
    manifest: dict[str, Any] = {
        "experiment": exp.name, "description": exp.description, "source": exp.source,
        "scenario": exp.scenario, "days": exp.days, "replications": exp.replications,
        "root_seed": exp.seed, "control": exp.control, "grid": exp.grid,
        "arms": [a.__dict__ for a in exp.arms], "hotspots": exp.hotspots,
        "hotspot_radius_m": exp.hotspot_radius_m, "rings_m": list(exp.rings_m),
        "code_version": code_version(), "python": platform.python_version(), "status": status,
        "wall_seconds_this_session": wall,
        "tasks": [{"task_id": t.task_id, "arm": t.arm.name, "grid": t.grid_point,
                   "replication": t.replication, "seed": t.seed} for t in tasks]}
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, default=str))
    os.replace(tmp, out / "manifest.json")
