"""Time the compiled kernels: microseconds per simulated minute (tick) and per call.

Run (the first run compiles the kernels, ~25 s)::

    HOTSPOT_SIM_DATA=... HOTSPOT_SIM_CACHE=... python benchmarks/profile_kernels.py [scenario.toml]

Each case builds a model, runs it 8 hours through the model (shifts start,
officers get their orders), then times ``run_ticks`` alone over ``--ticks``
minutes, best of ``--repeat``.  Calls for service are switched off and patrol
legs made very long so that the kernel runs uninterrupted (no decisions for
Python); the last line times the whole model (calls, dispatch, Python events
included) over ``--days`` days after a first day.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hotspot_sim.sim import kernels as K
from hotspot_sim.sim.kernel_builds import kernels
from hotspot_sim.sim.model import PatrolModel
from hotspot_sim.settings import load_scenario
from hotspot_sim.study import load_study

NO_CALLS = {"calls.grade1_per_day": 0, "calls.grade2_per_day": 0, "calls.grade3_per_day": 0}
LONG_LEGS = {"policy.params": {"leg_minutes": 100000}}


def kernel_args(m: PatrolModel, t1: int):
    return (m.net, m.nodes, m.offenders, m.officers, m.logs, m.params, m.tick, t1, 1,
            m.day_start_tick(m.tick))


def time_ticks(m: PatrolModel, ticks: int, repeat: int) -> float:
    """Best µs per tick of ``run_ticks`` from the model's current state (restored after each run)."""
    run = m.kernels.run_ticks
    run(*kernel_args(m, m.tick + 1))  # compile / warm up
    remaining = m.officers.remaining.copy()
    best = np.inf
    for _ in range(repeat):
        m.logs.counts[:] = 0
        m.officers.remaining[:] = remaining  # keep walks from ending mid-benchmark
        s = time.perf_counter()
        t, reason = run(*kernel_args(m, m.tick + ticks))
        d = time.perf_counter() - s
        if t != m.tick + ticks:
            raise RuntimeError(f"kernel stopped early at {t} (reason {reason})")
        best = min(best, d)
    m.logs.counts[:] = 0
    return best * 1e6 / ticks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="scenarios/welwyn_hatfield.toml")
    ap.add_argument("--ticks", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--days", type=float, default=7.0)
    a = ap.parse_args()

    sc = load_scenario(a.scenario)
    study = load_study(sc)

    def model(overrides: dict) -> PatrolModel:
        m = PatrolModel(sc.replace(overrides), study, build_space=False)
        m.run_for(480)
        return m

    t = time.perf_counter()
    kernels().run_ticks(*kernel_args(model({**NO_CALLS, "offenders.count": 0,
                                                "officers.count": 0}), 481))
    print(f"first call (compile or cache load): {time.perf_counter() - t:.1f} s")

    cases = [
        ("empty (no agents)", {"offenders.count": 0, "officers.count": 0}, None),
        ("officers only, random walk", {"offenders.count": 0, **LONG_LEGS}, None),
        ("officers only, speed 0", {"offenders.count": 0, **LONG_LEGS}, 0.0),
        ("offenders only", {"officers.count": 0}, None),
        ("full default (no calls)", {**LONG_LEGS}, None),
    ]
    for label, overrides, speed in cases:
        m = model({**NO_CALLS, **overrides})
        if speed is not None:
            m.params[K.P_OFC_SPEED] = speed
        on_duty = int((m.officers.mode != K.MODE_OFF).sum())
        us = time_ticks(m, a.ticks, a.repeat)
        print(f"{label:30s} {us:8.2f} us/tick   ({m.offenders.state.shape[0]} offenders, "
              f"{on_duty} officers on duty)")

    # per-call overhead: a call that simulates nothing (t1 == t0)
    m = model({**NO_CALLS, **LONG_LEGS})
    run = m.kernels.run_ticks
    for label, fn in (("run_ticks", run), ("numba dispatcher", getattr(run, "dispatcher", run))):
        args = kernel_args(m, m.tick)
        fn(*args)
        n = 5000
        s = time.perf_counter()
        for _ in range(n):
            fn(*args)
        print(f"per-call overhead, {label:17s} {(time.perf_counter() - s) * 1e6 / n:8.2f} us")

    m = PatrolModel(sc, study, build_space=False)
    m.run_days(1)  # compiles (or loads) the other kernels: close_day, presence_end
    s, c = time.perf_counter(), time.process_time()
    m.run_days(a.days)
    d, cpu = time.perf_counter() - s, time.process_time() - c
    ticks = a.days * 1440
    # CPU time too: on a shared machine wall time includes waiting for a core.
    print(f"whole model, default scenario: {d * 1e6 / ticks:8.2f} us/tick over {a.days:g} days "
          f"-> {d * 525600 / ticks:.1f} s per simulated year (CPU {cpu * 1e6 / ticks:.2f} us/tick)")


if __name__ == "__main__":
    main()
