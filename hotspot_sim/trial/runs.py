"""Run keys, tasks and the results folder: what makes a run, and when one may be reused.

Every run gets its own seed, derived from the root seed and the run's (arm,
grid point, replication) with numpy's ``SeedSequence``, so results do not
depend on the backend, the number of workers or the order runs finish in.
Every run also carries a key: a hash of everything that determines what it
produces (scenario content, the data it reads, policy and parameters, days,
seed, model code and library versions).  Running again reuses only runs with
the same key; a folder holding runs made with other settings is refused with a
message saying what differs (:func:`runs_to_do`), or moved aside with
``--fresh`` (:func:`move_aside`).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import ConfigError
from ..io import read_parquet, write_parquet, write_text
from .experiment import Arm, Experiment, Task, policy_params, scenario_for

if TYPE_CHECKING:
    from ..study import Study

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- tasks


def make_tasks(exp: Experiment, study: Study | None = None) -> list[Task]:
    """Every (arm, grid point, replication) with its seed and run key.

    Parameters
    ----------
    exp : Experiment
        The experiment.
    study : Study, optional
        A prepared study to run on instead of the scenario's data files; its content
        (:func:`study_fingerprint`) then stands for the data in every run key.

    Returns
    -------
    list of Task
        In arm, grid point, replication order.  Seeds come from ``SeedSequence(exp.seed,
        spawn_key=(grid index, replication))``: common random numbers across arms.
    """
    tasks = []
    for arm in exp.arms:
        for gi, point in enumerate(exp.grid_points()):
            base = run_config(exp, arm, point, study)
            for rep in range(exp.replications):
                # Common random numbers: the same grid point and replication get the
                # same seed in every arm, so arms differ by policy, not by luck.
                ss = np.random.SeedSequence(exp.seed, spawn_key=(gi, rep))
                seed = int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
                config = _canonical_json({**base, "seed": seed})
                tasks.append(Task(f"{arm.name}__g{gi:03d}__r{rep:03d}", arm, gi, point, rep, seed,
                                  key=hashlib.sha256(config.encode()).hexdigest(), config=config))
    return tasks


# ----------------------------------------------------------------------------- run keys

# The code that decides what a run produces: the simulation (with its policies), the data
# it reads, the places it is measured at and the measuring.  Harm weights (data/*.csv) too.
# Whole stage folders are read, so a module added to one of them is covered at once.
MODEL_FOLDERS = ("sim", "sim/policies", "data", "target")
MODEL_SOURCES = ("study.py", "network.py", "projection.py", "settings.py",
                 "trial/experiment.py", "trial/measure.py",
                 "track/presence.py", "track/zones.py")


def model_files() -> list[Path]:
    """The files :func:`code_version` hashes (``MODEL_SOURCES`` and ``MODEL_FOLDERS``).

    Returns
    -------
    list of Path
        The listed modules, every ``*.py`` in the listed folders, and the harm tables
        (``data/*.csv``).
    """
    files = [PACKAGE / name for name in MODEL_SOURCES]
    for folder in MODEL_FOLDERS:
        files += sorted((PACKAGE / folder).glob("*.py"))
    return files + sorted((PACKAGE / "data").glob("*.csv"))


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version and a hash of the model's source, computed once per process.

    Any edit to the simulation, the policies, the harm table or the measuring changes it,
    so runs made by other code are never reused (a git revision would also change on an
    edit to a test or the README, and is missing from installed copies).

    Returns
    -------
    str
        ``"<version>+src.<12 hex digits>"``.
    """
    digest = hashlib.sha256()
    for f in model_files():
        if f.is_file():
            digest.update(f.relative_to(PACKAGE).as_posix().encode() + b"\0" + f.read_bytes())
    return f"{__version__}+src.{digest.hexdigest()[:12]}"


# Libraries whose version can change what a run produces (random streams, network building).
MODEL_LIBRARIES = ("numpy", "numba", "mesa", "networkx", "osmnx", "scipy", "pandas", "simpy")


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str | None]:
    """Installed versions of ``MODEL_LIBRARIES``, computed once per process.

    Returns
    -------
    dict
        Library name -> version string (None for one that is not installed).
    """
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {name: installed(name) for name in MODEL_LIBRARIES}


@lru_cache(maxsize=16)
def _plugin_source(policy: str) -> str | None:
    """A hash of the file defining a policy given by module path (None for built-in ones)."""
    if ":" not in policy:
        return None
    import inspect

    from ..sim.policies import get_policy

    try:
        return hashlib.sha256(Path(inspect.getsourcefile(get_policy(policy))).read_bytes()
                              ).hexdigest()[:12]
    except (TypeError, OSError):  # no source file (e.g. defined in a notebook)
        return None


def run_config(exp: Experiment, arm: Arm, point: dict, study: Study | None = None) -> dict:
    """Everything that determines a run of ``arm`` at ``point`` except its seed.

    The scenario is the full validated content after the arm's overrides and the grid
    point (its own seed is replaced by the run's seed, so it is left out here).

    Parameters
    ----------
    exp : Experiment
        The experiment.
    arm : Arm
        One of its arms.
    point : dict
        One of its grid points.
    study : Study, optional
        A prepared study: the data is then identified by its content
        (:func:`study_fingerprint`) rather than by the files the scenario names.

    Returns
    -------
    dict
        Code and library versions, data fingerprint, scenario, policy and its parameters,
        days and the measuring settings.
    """
    from ..study import data_fingerprint

    validated = scenario_for(exp, arm, point)
    scenario = validated.to_dict()
    scenario["scenario"].pop("seed", None)
    data = data_fingerprint(validated) if study is None else study_fingerprint(study)
    return {"code_version": code_version(), "libraries": library_versions(),
            "data": data, "scenario": scenario, "policy": arm.policy,
            "policy_params": policy_params(arm, point), "policy_source": _plugin_source(arm.policy),
            "days": exp.days, "measure": {"hotspots": exp.hotspots,
                                          "hotspot_radius_m": exp.hotspot_radius_m,
                                          "rings_m": list(exp.rings_m)}}


def study_fingerprint(study: Study) -> str:
    """A hash of a prepared study's content: its crimes, harm weights and street network.

    Stands for :func:`hotspot_sim.study.data_fingerprint` (a hash of the data files) when
    an experiment runs on a study it was handed, e.g. a synthetic one in a test: the same
    content gives the same fingerprint, other crimes or another network another.

    Parameters
    ----------
    study : Study
        The study the runs read.

    Returns
    -------
    str
        16 hex digits.
    """
    digest = hashlib.sha256()
    # Where the files lay is not content: the same data in another folder is the same data.
    crimes = study.crimes.drop(columns=["source_file"], errors="ignore")
    for table in (crimes, study.harm_table):
        digest.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
        digest.update(json.dumps(list(map(str, table.columns))).encode())
    net = study.network
    for name in ("x", "y", "indptr", "indices", "edge_length"):
        array = np.ascontiguousarray(getattr(net, name))
        digest.update(name.encode() + str(array.dtype).encode() + array.tobytes())
    digest.update(json.dumps(list(study.months)).encode())
    return digest.hexdigest()[:16]


def _canonical_json(value) -> str:
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


def _config_differences(old: dict, new: dict) -> list[tuple[str, Any, Any]]:
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
    return [(_setting_label(path), a.get(path), b.get(path))
            for path in sorted(set(a) | set(b), key=lambda p: tuple(map(str, p)))
            if a.get(path) != b.get(path)]


def _setting_label(path: tuple) -> str:
    head, rest = path[0], ".".join(map(str, path[1:]))
    if head == "scenario":
        section, _, key = rest.partition(".")
        return f"scenario [{section}] {key}" if key else f"scenario [{section}]"
    return {"policy_params": f"policy parameter {rest}", "measure": f"[experiment] {rest}",
            "policy_source": "policy source code", "code_version": "code version",
            "seed": "run seed", "libraries": f"{rest} version"}.get(head, head.replace("_", " "))



# ----------------------------------------------------------------------------- the folder


def runs_to_do(exp: Experiment, out: Path, tasks: list[Task]) -> list[Task]:
    """The tasks not yet run in ``out``, after checking the runs already there.

    Parameters
    ----------
    exp : Experiment
        The experiment (named in the message).
    out : Path
        Its results folder.
    tasks : list of Task
        :func:`make_tasks` of ``exp``.

    Returns
    -------
    list of Task
        Those without a finished run in ``out``, in the order given.

    Raises
    ------
    ConfigError
        If ``out`` holds any run made with other settings (another run key), a run that is
        not part of this experiment, or a run without a key (made before runs were keyed):
        the message says what differs and how to start again.  Nothing has been written.
    """
    expected = {t.task_id: t for t in tasks}
    stored = _stored_run_keys(out)
    foreign = sorted(set(stored) - set(expected))
    unkeyed = sorted(t for t in set(stored) & set(expected) if stored[t][0] is None)
    changed = sorted(t for t in set(stored) & set(expected)
                     if stored[t][0] is not None and stored[t][0] != expected[t].key)
    if foreign or unkeyed or changed:
        raise ConfigError(_stale_message(exp, out, stored, expected, foreign, unkeyed, changed))
    return [t for t in tasks if t.task_id not in stored]


def _stored_run_keys(out: Path) -> dict[str, tuple[str | None, str | None]]:
    """``task_id -> (run_key, run_config)`` of the finished runs in ``out/runs`` (None if absent)."""
    keys = {}
    for path in sorted((Path(out) / "runs").glob("*.parquet")):
        row = read_parquet(path, "delete that file to run it again, or start over with --fresh")
        keys[path.name.removesuffix(".parquet")] = tuple(
            str(row[col].iloc[0]) if col in row and len(row) else None
            for col in ("run_key", "run_config"))
    return keys


def _stale_message(exp: Experiment, out: Path, stored: dict, expected: dict[str, Task],
                   foreign: list[str], unkeyed: list[str], changed: list[str]) -> str:
    """What differs between the runs in ``out`` and ``exp``, and what to do about it."""
    diffs: dict[str, list[tuple]] = {}
    for tid in changed:
        old = json.loads(stored[tid][1]) if stored[tid][1] else {}
        for label, a, b in _config_differences(old, json.loads(expected[tid].config)):
            diffs.setdefault(label, []).append((a, b))
    lines = []
    for label, pairs in diffs.items():
        distinct = list(dict.fromkeys(pairs))
        a, b = distinct[0]
        some = f"{len(pairs)} of {len(changed)} runs" if len(pairs) < len(changed) else ""
        lines.append(f"{label} {_shown(a)} -> {_shown(b)}" + (f" ({some})" if some else "")
                     if len(distinct) == 1 else
                     f"{label} ({some or f'{len(pairs)} runs'}, e.g. {_shown(a)} -> {_shown(b)})")
    if len(lines) > 12:
        lines = lines[:12] + [f"... and {len(lines) - 12} more settings"]
    old_root = _read_manifest(out).get("root_seed")
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


def _read_manifest(out: Path) -> dict:
    """The folder's ``manifest.json`` as a dict (empty if it is missing or unreadable)."""
    try:
        manifest = json.loads((Path(out) / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _shown(value) -> str:
    """A setting's value for a message: whole floats without '.0', absent as '(none)'."""
    if value is None:
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def move_aside(out: Path) -> Path | None:
    """Rename an experiment's results folder to a timestamped sibling (``--fresh``).

    Nothing is deleted: ``out`` becomes ``<out>.old-<date-time>``.

    Parameters
    ----------
    out : Path
        The results folder.

    Returns
    -------
    Path or None
        The new path, or None when there was nothing to move.

    Raises
    ------
    ConfigError
        ``out`` does not look like an experiment's results (no ``manifest.json`` or
        ``runs/``): such a folder is never moved.
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
    """Concatenate the finished runs into ``runs.parquet`` and ``spotdays.parquet``.

    Parameters
    ----------
    out : Path
        The results folder (``runs/`` and ``spotdays/`` hold one file per run).

    Returns
    -------
    pandas.DataFrame
        The runs, sorted by task; empty when none has finished.

    Raises
    ------
    DataError
        A run's file is damaged (the message says how to redo that run).
    """
    runs = sorted((out / "runs").glob("*.parquet"))
    if not runs:
        return pd.DataFrame()
    fix = ("delete that file and run the experiment again to redo that run (or run it again "
           "with --fresh to start over)")
    df = pd.concat([read_parquet(p, fix) for p in runs], ignore_index=True)
    df = df.sort_values("task_id").reset_index(drop=True)
    write_parquet(df, out / "runs.parquet")
    sd = [read_parquet(p, fix) for p in sorted((out / "spotdays").glob("*.parquet"))]
    if sd:
        write_parquet(pd.concat(sd, ignore_index=True), out / "spotdays.parquet")
    return df


def _git_revision() -> str:
    """``git describe`` of the checkout, for the record (empty when not a git checkout)."""
    try:
        rev = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return rev


def write_manifest(exp: Experiment, out: Path, tasks: list[Task], status: str,
                   wall: float | None = None) -> None:
    """Write ``manifest.json``: the experiment, every task with its seed and run key.

    Parameters
    ----------
    exp : Experiment
        The experiment.
    out : Path
        Its results folder.
    tasks : list of Task
        All its tasks (:func:`make_tasks`), finished or not.
    status : str
        ``"running"`` or ``"complete"``.
    wall : float, optional
        Seconds this session took.
    """
    manifest: dict[str, Any] = {
        "experiment": exp.name, "description": exp.description, "source": exp.source,
        "scenario": exp.scenario, "days": exp.days, "replications": exp.replications,
        "root_seed": exp.seed, "control": exp.control, "grid": exp.grid,
        "arms": [a.__dict__ for a in exp.arms], "hotspots": exp.hotspots,
        "hotspot_radius_m": exp.hotspot_radius_m, "rings_m": list(exp.rings_m),
        "quick": exp.quick_version, "code_version": code_version(), "git": _git_revision(),
        "python": platform.python_version(), "status": status,
        "wall_seconds_this_session": wall,
        "tasks": [{"task_id": t.task_id, "arm": t.arm.name, "grid": t.grid_point,
                   "replication": t.replication, "seed": t.seed, "run_key": t.key}
                  for t in tasks]}
    write_text(out / "manifest.json", json.dumps(manifest, indent=2, default=str))
