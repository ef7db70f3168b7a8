"""Sweep throughput: per-run overhead, 2 worker processes against 1, runs per hour.

Prints figures; asserts nothing.  Targets (issue 14): per-run overhead (time outside
``PatrolModel.run_days``: building the model, measuring) <= 10% of simulation time for
a 90-day run in a warm worker; 2 workers >= 1.9x the throughput of 1 on this 2-core
machine.

The speed-up is printed twice: for the whole sweep (each worker process's start-up --
imports, loading the study, its first routing trees -- included, as a user waits for it)
and in the steady state after each worker's first run (what a longer sweep tends to).
Workers' CPU seconds and the load average are printed too: on a machine shared with
other work, 2 workers cannot get 2 cores.

Usage::

    HOTSPOT_SIM_DATA=../shared/data .venv/bin/python benchmarks/bench_sweep.py \
        [--runs 12] [--days 90] [--overhead-groups 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from hotspot_sim.trial import load_experiment, make_tasks, run_experiment

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["policy_comparison", "koper_dose", "crossover_trial", "officer_sweep",
           "deterrence_sensitivity"]


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's reaped children (pool workers)."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def sweep(exp, workers: int) -> dict:
    """Run ``exp`` in a pool of ``workers`` fresh processes; wall time and when runs finished."""
    finished: list[float] = []

    def progress(_step: str, done: int, _total: int) -> None:
        if done:
            finished.append(time.perf_counter())

    cpu0 = children_cpu()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_experiment(exp, Path(tmp), workers=workers, progress=progress, processes=True)
        wall = time.perf_counter() - t0
    from hotspot_sim.trial.runner import seed_groups

    tasks = make_tasks(exp)
    return {"wall": wall, "runs": len(tasks), "workers": workers,
            "group": len(tasks) / len(seed_groups(tasks, workers)),
            "finished": [t - t0 for t in finished], "cpu": children_cpu() - cpu0}


def steady_rate(res: dict) -> float:
    """Runs per second after each worker's first run (its start-up) has finished.

    Runs go to workers in groups (the runs sharing a seed, all reported when the group
    ends); the ``workers``-th group to finish ends the last start-up, and the runs after it
    over the time they took give the rate a longer sweep tends to (equal runs:
    ``workers`` / run time).
    """
    first, done = round(res["workers"] * res["group"]), res["finished"]
    if len(done) <= first:
        return float("nan")
    return (len(done) - first) / (done[-1] - done[first - 1])


def per_run_overhead(exp, groups: int) -> dict:
    """A warm worker (this process) running ``groups`` seed groups: time outside ``run_days``.

    The runs go in the order a worker gets them (:func:`hotspot_sim.trial.runner.seed_groups`:
    every arm of one seed, then the next seed), after a first group of short runs.
    """
    from hotspot_sim.sim.model import PatrolModel
    from hotspot_sim.trial.measure import run_group_in_worker, run_task_in_worker
    from hotspot_sim.trial.runner import seed_groups

    grouped = seed_groups(make_tasks(exp), workers=1)
    run_group_in_worker(replace(exp, days=0.1), grouped[0])  # warm: study, hot spots, trees
    tasks = [t for group in grouped[1:1 + groups] for t in group]
    simulating = [0.0]
    run_days = PatrolModel.run_days

    def timed(model, *args, **kwargs):
        t = time.perf_counter()
        try:
            return run_days(model, *args, **kwargs)
        finally:
            simulating[0] += time.perf_counter() - t

    PatrolModel.run_days = timed
    try:
        t0 = time.perf_counter()
        for task in tasks:
            run_task_in_worker(exp, task)
        total = time.perf_counter() - t0
    finally:
        PatrolModel.run_days = run_days
    n = len(tasks)
    return {"runs": n, "task_s": total / n, "sim_s": simulating[0] / n}


def describe(res: dict) -> str:
    return (f"{res['wall']:.1f} s ({res['runs'] / res['wall'] * 3600:,.0f} runs/hour), "
            f"first run done at {res['finished'][0]:.1f} s, workers' CPU {res['cpu']:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=12, help="runs per measurement")
    ap.add_argument("--days", type=float, default=90.0, help="simulated days per run")
    ap.add_argument("--overhead-groups", type=int, default=2,
                    help="seed groups (every arm of one seed) a warm worker runs to measure "
                         "the per-run overhead")
    args = ap.parse_args()

    base = load_experiment(ROOT / "experiments" / "policy_comparison.toml")
    arms = base.arms[:2]
    exp = replace(base, arms=arms, days=args.days, replications=max(1, args.runs // len(arms)))
    load0 = os.getloadavg()
    over = per_run_overhead(exp, args.overhead_groups)  # also warms numba's and the study cache
    outside = over["task_s"] - over["sim_s"]
    print(f"per-run overhead, warm worker, {over['runs']} runs of {args.days:g} days: "
          f"{over['task_s']:.2f} s a run, simulating {over['sim_s']:.2f} s, outside "
          f"{outside:.2f} s = {100 * outside / over['sim_s']:.1f}% of simulation time "
          "(target <= 10%)")
    one = sweep(exp, 1)
    two = sweep(exp, 2)
    print(f"\n{one['runs']} runs of {args.days:g} days, each pool of fresh processes:")
    print(f"  1 worker : {describe(one)}")
    print(f"  2 workers: {describe(two)}")
    steady = steady_rate(two) / steady_rate(one)
    print(f"  speed-up, whole sweep (start-up included): {one['wall'] / two['wall']:.2f}x; "
          f"after each worker's first run: {steady:.2f}x (target >= 1.9x)")
    print(f"  load average (1 min) before {load0[0]:.2f}, after {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPUs: other work on the machine slows 2 workers most")
    speedup = one["wall"] / two["wall"]
    per_run_day = one["wall"] / (one["runs"] * args.days)
    print("\nestimated runs per hour on this machine (2 workers at the whole-sweep speed-up):")
    for name in SHIPPED:
        e = load_experiment(ROOT / "experiments" / f"{name}.toml")
        runs = len(make_tasks(e))
        seconds_per_run = per_run_day * e.days
        per_hour = 3600 / seconds_per_run * speedup
        print(f"  {name:<24} {runs:>4} runs x {e.days:g} days: ~{per_hour:,.0f} runs/hour, "
              f"whole experiment ~{runs / per_hour * 60:.0f} min")


if __name__ == "__main__":
    main()
