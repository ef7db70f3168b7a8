"""Speed of the simulation core.  Prints figures; asserts nothing.

Targets (issue 3): default scenario (Welwyn Hatfield, 20 officers, 300
offenders) one simulated year <= 5 s wall on one core, compilation reported
separately; compiled vs pure-Python reference on a 7-day run >= 50x (measured
in this process); peak memory <= 500 MB; and how time grows with agents x10
and nodes x10.

Usage::

    HOTSPOT_SIM_DATA=../shared/data .venv/bin/python benchmarks/bench_core.py [--days 365]
        [--reference-days 7] [--skip-reference] [--skip-scaling]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from hotspot_sim.sim.model import PatrolModel
from hotspot_sim.network import synthetic_grid
from hotspot_sim.settings import load_scenario
from hotspot_sim.study import load_study

from bench_scale import concentrated_crime_study  # benchmarks/ is on sys.path as a script

ROOT = Path(__file__).resolve().parents[1]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_run(scenario, study, days, reference=False, build_space=False):
    t0 = time.perf_counter()
    model = PatrolModel(scenario, study, reference=reference, build_space=build_space)
    t1 = time.perf_counter()
    model.run_days(days)
    t2 = time.perf_counter()
    return model, t1 - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--reference-days", type=float, default=7.0)
    ap.add_argument("--skip-reference", action="store_true")
    ap.add_argument("--skip-scaling", action="store_true")
    args = ap.parse_args()

    scenario = load_scenario(ROOT / "scenarios" / "welwyn_hatfield.toml")
    t0 = time.perf_counter()
    study = load_study(scenario)
    print(f"data + network load: {time.perf_counter() - t0:.2f} s "
          f"({study.network.n_nodes:,} nodes, {len(study.crimes):,} observed incidents)")

    # compilation (or loading numba's on-disk cache), measured on a 1-hour run
    t0 = time.perf_counter()
    m, _, _ = timed_run(scenario.replace({"offenders.count": 5, "officers.count": 2}), study, 1 / 24)
    print(f"compile / cache load + first model: {time.perf_counter() - t0:.2f} s")

    model, build_s, run_s = timed_run(scenario, study, args.days)
    sim_peak = peak_mb()  # before the output tables are built as DataFrames
    crimes = len(model.crimes_table())
    print(f"\n{args.days:g} simulated days, {scenario.officers.count} officers, "
          f"{scenario.offenders.count} offenders: run {run_s:.2f} s (model build {build_s:.2f} s; "
          f"target <= 5 s for 365 days) -> {run_s / (args.days * 1440) * 1e6:.2f} us/tick; "
          f"{crimes:,} crimes, {len(model.gps_table()):,} GPS pings")
    print(f"peak memory (max RSS): {sim_peak:.0f} MB while simulating, {peak_mb():.0f} MB after "
          "building the output tables (target <= 500 MB)")

    if not args.skip_reference:
        d = args.reference_days
        _, _, fast = timed_run(scenario, study, d)
        _, _, slow = timed_run(scenario, study, d, reference=True)
        print(f"\n{d:g}-day run: compiled {fast:.2f} s, pure-Python reference {slow:.1f} s "
              f"-> {slow / fast:.0f}x (target >= 50x)")

    if not args.skip_scaling:
        print("\nscaling (7 simulated days each):")
        print(f"  {'case':<34} {'nodes':>8} {'officers':>8} {'offenders':>9} {'s/day':>7}")
        base = scenario
        cases = [("default", base, study),
                 ("agents x10", base.replace({"officers.count": 200, "offenders.count": 3000}),
                  study)]
        side = int(np.sqrt(study.network.n_nodes * 10))
        grid = synthetic_grid(side, side, spacing_m=45.0, drop_fraction=0.3, seed=3)
        cases.append(("nodes x10 (synthetic grid)", base,
                      concentrated_crime_study(base, grid, 10 * len(study.crimes))))
        for name, sc, st in cases:
            _, _, secs = timed_run(sc, st, 7)
            print(f"  {name:<34} {st.network.n_nodes:>8,} {sc.officers.count:>8} "
                  f"{sc.offenders.count:>9} {secs / 7:>7.3f}")
    print(f"\npeak memory (max RSS): {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
