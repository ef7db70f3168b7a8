"""Sweep throughput: 2 worker processes against 1, and runs per hour of the shipped experiments.

Prints figures; asserts nothing.  Target (issue 5): 2 workers >= 1.8x the
throughput of 1 on this 2-core machine.

Usage::

    HOTSPOT_SIM_DATA=../shared/data .venv/bin/python benchmarks/bench_sweep.py [--runs 12] [--days 90]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from hotspot_sim.trial import load_experiment, make_tasks, run_experiment

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["policy_comparison", "koper_dose", "crossover_trial", "officer_sweep",
           "deterrence_sensitivity"]


def throughput(exp, workers: int) -> tuple[float, int]:
    """Wall time of the sweep in a pool of ``workers`` fresh processes (same start-up for both)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_experiment(exp, Path(tmp), workers=workers, progress=False, processes=True)
        return time.perf_counter() - t0, len(make_tasks(exp))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=12, help="runs per measurement")
    ap.add_argument("--days", type=float, default=90.0, help="simulated days per run")
    args = ap.parse_args()

    base = load_experiment(ROOT / "experiments" / "policy_comparison.toml")
    arms = base.arms[:2]
    exp = replace(base, arms=arms, days=args.days, replications=max(1, args.runs // len(arms)))
    # make sure numba's disk cache and the network cache are warm
    throughput(replace(exp, days=0.1, replications=1), 1)
    one, n = throughput(exp, 1)
    two, _ = throughput(exp, 2)
    print(f"{n} runs of {args.days:g} days: 1 worker {one:.1f} s, 2 workers {two:.1f} s -> "
          f"speed-up {one / two:.2f}x (target >= 1.8x; each worker process starts once, "
          "importing and loading the data in ~3 s, which a longer sweep amortises)")
    per_run_day = one / (n * args.days)
    print("\nestimated runs per hour on this machine (2 workers at the measured speed-up):")
    for name in SHIPPED:
        e = load_experiment(ROOT / "experiments" / f"{name}.toml")
        runs = len(make_tasks(e))
        seconds_per_run = per_run_day * e.days
        per_hour = 3600 / seconds_per_run * (one / two)
        print(f"  {name:<24} {runs:>4} runs x {e.days:g} days: ~{per_hour:,.0f} runs/hour, "
              f"whole experiment ~{runs / per_hour * 60:.0f} min")


if __name__ == "__main__":
    main()
