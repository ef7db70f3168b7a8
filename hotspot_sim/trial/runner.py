"""Run an experiment's missing runs, locally or on Dask, and write each as it finishes.

Each finished run is written at once (atomically) to
``results/<experiment>/runs/``; running again skips the runs already there
(see :mod:`.runs` for when a stored run may be reused).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..io import write_parquet
from .experiment import Experiment, Task
from .measure import run_group_in_worker, run_task
from .runs import collect, make_tasks, runs_to_do, write_manifest

if TYPE_CHECKING:
    from ..study import Study


def run_experiment(exp: Experiment, out: Path, workers: int = 1, scheduler: str | None = None,
                   backend: str = "local",
                   progress: bool | Callable[[str, int, int], None] = True,
                   processes: bool | None = None, study: Study | None = None) -> Path:
    """Run every missing task and write its results as soon as it finishes.

    Parameters
    ----------
    exp : Experiment
        The experiment (:func:`hotspot_sim.trial.experiment.load_experiment`).
    out : Path
        Results folder; runs already there with the same run key are reused.
    workers : int
        Worker processes (or Dask workers).
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://HOST:PORT``) to run on.
    backend : {"local", "dask"}
        ``"dask"`` starts a local Dask cluster when no scheduler is given.
    progress : bool or callable
        True for a tqdm bar, False for none, or a callback ``progress(step, done,
        total)`` (see :class:`hotspot_sim.progress.StepProgress`).
    processes : bool, optional
        Run tasks in a pool of worker processes (default: when ``workers > 1``).
    study : Study, optional
        A prepared study (network and observed crime) to run every arm on, instead of
        loading the data files the scenario names: e.g. a synthetic study
        (:func:`hotspot_sim.study.synthetic_study`), so an experiment runs without any
        data.  Its content is part of every run key (:func:`.runs.study_fingerprint`).

    Returns
    -------
    Path
        ``out``, holding ``runs/``, ``spotdays/``, ``runs.parquet``,
        ``spotdays.parquet`` and ``manifest.json``.

    Raises
    ------
    ConfigError
        ``out`` holds runs made with other settings (nothing is run), or a Dask
        scheduler cannot be reached.
    """
    out = Path(out)
    tasks = make_tasks(exp, study)
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
        for task_id, result in _execute(exp, todo, workers, scheduler, backend, processes,
                                        study):
            write_parquet(result["spotdays"], out / "spotdays" / f"{task_id}.parquet")
            write_parquet(result["summary"], out / "runs" / f"{task_id}.parquet")
            bar.update(1)
            finished += 1
            if report:
                report(exp.name, finished, len(tasks))
    finally:
        bar.close()
    collect(out)
    write_manifest(exp, out, tasks, status="complete", wall=time.perf_counter() - started)
    return out


def _execute(exp: Experiment, tasks: list[Task], workers: int, scheduler: str | None, backend: str,
             processes: bool | None = None, study: Study | None = None):
    """Yield (task_id, result) as tasks finish, on the chosen backend.

    ``processes`` (default: when ``workers > 1``) runs tasks in a pool of worker processes;
    with one worker and no pool they run in this process.
    """
    if not tasks:
        return
    groups = seed_groups(tasks, workers)
    if not (scheduler or backend == "dask" or (workers > 1 if processes is None else processes)):
        from ..sim.model import models_freed_after

        for group in groups:  # a seed's runs one after another: its homes' trees once
            for t in group:
                with models_freed_after():  # or a validation's runs pile up in memory
                    result = run_task(exp, t, study)
                yield t.task_id, result
        return
    # Workers each load the study and log the same warnings: gather them and print each once.
    from ..sim.kernel_builds import announce_compile
    from ..progress import WarningTally

    announce_compile()  # here, once, rather than from every worker (they inherit the flag)
    tally = WarningTally()
    try:
        if scheduler or backend == "dask":
            for task_id, (result, messages) in _execute_dask(exp, groups, scheduler, workers,
                                                              study):
                tally.add(messages)
                yield task_id, result
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(max_workers=workers,
                                     mp_context=mp.get_context("spawn")) as pool:
                futures = [pool.submit(run_group_in_worker, exp, group, study)
                           for group in groups]
                for f in as_completed(futures):
                    for task_id, (result, messages) in f.result():
                        tally.add(messages)
                        yield task_id, result
    finally:
        tally.report()


GROUPS_PER_WORKER = 3
"""Runs sharing a seed go to a worker together only when there are at least this many such
groups per worker, so that the last groups do not leave workers idle."""


def seed_groups(tasks: list[Task], workers: int) -> list[list[Task]]:
    """Tasks in groups sharing a seed (a grid point and replication, every arm).

    Runs with one seed place their offenders at the same homes (arms that leave the
    offenders alone): a worker running them one after another computes those homes'
    routing trees once, as it keeps its router.  With fewer than ``GROUPS_PER_WORKER``
    groups per worker every task is its own group (in seed order), for balance.

    Parameters
    ----------
    tasks : list of Task
        The runs to do.
    workers : int
        Worker processes.

    Returns
    -------
    list of list of Task
        Groups in order of their first task; every task once.
    """
    by_seed: dict[int, list[Task]] = {}
    for t in tasks:
        by_seed.setdefault(t.seed, []).append(t)
    groups = list(by_seed.values())
    if len(groups) < GROUPS_PER_WORKER * max(1, workers):
        return [[t] for group in groups for t in group]
    return groups


SCHEDULER_TIMEOUT_S = 5.0
"""How long to try to reach a Dask scheduler before giving up with a message."""


def connect_scheduler(client_class: type, address: str):
    """A Dask ``Client`` connected to ``address``, or a ConfigError saying it is unreachable.

    Parameters
    ----------
    client_class : type
        ``dask.distributed.Client`` (passed in, so Dask is imported only when used).
    address : str
        The scheduler, ``tcp://HOST:PORT``.

    Returns
    -------
    dask.distributed.Client

    Raises
    ------
    ConfigError
        No scheduler answers within ``SCHEDULER_TIMEOUT_S`` seconds.
    """
    try:
        return client_class(address, timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"--scheduler {address}: cannot connect to a Dask scheduler ({exc}). Start one "
            "('dask scheduler', then 'dask worker ADDRESS' on each machine) and give its "
            "tcp://HOST:PORT, or leave out --scheduler "
            "to run on this machine.") from None


def _execute_dask(exp: Experiment, groups: list[list[Task]], scheduler: str | None,
                  workers: int, study: Study | None = None):
    """Yield (task_id, (result, warnings)) as groups of tasks (:func:`seed_groups`) finish on
    a Dask cluster."""
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = connect_scheduler(Client, scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        check_workers(client, exp, [t for group in groups for t in group], study)
        futures = [client.submit(run_group_in_worker, exp, group, study,
                                 key=f"hotspot-sim-{exp.name}-{group[0].task_id}-{len(group)}",
                                 pure=False)
                   for group in groups]
        names = {f.key: ", ".join(t.task_id for t in group) for f, group in zip(futures, groups)}
        for f in as_completed(futures):
            yield from _dask_result(f, names[f.key])
    finally:
        client.close()
        if cluster is not None:
            cluster.close()




def _dask_result(future, task_ids: str):
    """A finished Dask future's result; a run that killed its workers ends as a ConfigError.

    Dask runs a dead worker's tasks again on the others; only a run whose workers died
    more than ``distributed.scheduler.allowed-failures`` times (3 by default) fails for good.
    """
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as exc:
        raise ConfigError(
            f"run(s) {task_ids}: Dask workers died running them ({exc}); most often a worker ran "
            "out of memory (give workers more, or start fewer per machine with "
            "--nworkers). Finished runs are kept: run the same command again to "
            "resume.") from None


def worker_identity(data_keys: list[str]) -> dict:
    """What must be the same on every worker: code, libraries and the data files.

    Runs on a Dask worker (:func:`check_workers`).

    Parameters
    ----------
    data_keys : list of str
        The experiment's data (:func:`.measure.data_key`), fingerprinted as the worker's
        ``$HOTSPOT_SIM_DATA`` finds the files (:func:`hotspot_sim.study.data_fingerprint`).

    Returns
    -------
    dict
        ``code_version``, ``libraries`` and ``data`` (one fingerprint per key, in order).
    """
    from .measure import data_fingerprint_of
    from .runs import code_version, library_versions

    return {"code_version": code_version(), "libraries": library_versions(),
            "data": [data_fingerprint_of(k) for k in data_keys]}


def check_workers(client, exp: Experiment, tasks: list[Task], study: Study | None) -> None:
    """Refuse to run on Dask workers whose code, libraries or data differ from this machine's.

    Every run key is computed here; a worker with another hotspot-sim, another numpy or
    other data files would store results under a key that does not describe them.

    Parameters
    ----------
    client : dask.distributed.Client
        Connected to the cluster.
    exp : Experiment
        The experiment.
    tasks : list of Task
        The runs to do.
    study : Study, optional
        A prepared study, shipped with each task: no data files to compare then.

    Raises
    ------
    ConfigError
        A worker cannot import hotspot-sim, or differs; the message names it and what.
    """
    from .experiment import scenario_for
    from .measure import data_key

    keys = [] if study is not None else sorted(
        {data_key(scenario_for(exp, t.arm, t.grid_point)) for t in tasks})
    here = worker_identity(keys)
    try:
        there = client.run(worker_identity, keys)
    except Exception as exc:  # raised on a worker: e.g. hotspot_sim not installed there
        raise ConfigError(f"a Dask worker cannot run hotspot-sim ({type(exc).__name__}: "
                          f"{exc}); install the same hotspot-sim on every worker") from None
    problems = [f"{address}: {what} {theirs[what]} (here {here[what]})"
                for address, theirs in sorted(there.items())
                for what in ("code_version", "libraries", "data") if theirs[what] != here[what]]
    if problems:
        raise ConfigError(
            "Dask workers differ from this machine, so their runs would not match their run "
            "keys: " + "; ".join(problems) + ". Install the same hotspot-sim version (and "
            "libraries) on every worker, and point $HOTSPOT_SIM_DATA at the same data files.")
