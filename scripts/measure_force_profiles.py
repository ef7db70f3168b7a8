"""Measure how simulated crimes by hour follow a force's records: assumed vs estimated risk profile.

Runs examples/welwyn_hatfield_force.toml with no patrol, 3 seeds x 28 days, with
``[risk] time_profile = "assumed"`` and ``"auto"``; prints crimes a day, the correlation of
simulated with recorded crimes by hour, and the share between 00:00 and 06:00. About 15 s
from the repository root: ``.venv/bin/python scripts/measure_force_profiles.py`` (the figures
are quoted in examples/README.md and hotspot_sim/sim/world.py).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from hotspot_sim.settings import load_scenario
from hotspot_sim.sim.model import PatrolModel
from hotspot_sim.study import load_study

DAYS, SEEDS = 28, (1, 2, 3)


def crimes_by_hour(scenario) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Simulated crimes by hour over the seeds, crimes per run, and the recorded crimes by hour."""
    hours, counts, recorded = np.zeros(24), [], None
    for seed in SEEDS:
        study = load_study(scenario.replace({"scenario.seed": seed}))
        recorded = np.bincount(pd.to_datetime(study.crimes["datetime"]).dt.hour, minlength=24)
        model = PatrolModel(study.scenario, study, build_space=False)
        model.run_for(DAYS * 1440)
        crimes = model.attempts_table().query("outcome != 'deterred'")
        hours += np.bincount((crimes["tick"].to_numpy() + model.minute_of_day0) % 1440 // 60,
                             minlength=24)
        counts.append(len(crimes))
    return hours, counts, recorded.astype(float)


def main() -> None:
    logging.disable(logging.WARNING)  # the example's bad rows are warned on every load
    base = load_scenario("examples/welwyn_hatfield_force.toml").replace({"policy.name": "none"})
    for mode in ("assumed", "auto"):
        hours, counts, recorded = crimes_by_hour(base.replace({"risk.time_profile": mode}))
        print(f"{mode:>8}: crimes a day {np.mean(counts) / DAYS:.1f} "
              f"(by seed {[round(c / DAYS, 1) for c in counts]}), "
              f"corr(simulated, recorded by hour) {np.corrcoef(hours, recorded)[0, 1]:.2f}, "
              f"share 00-06h simulated {hours[:6].sum() / hours.sum():.3f} "
              f"recorded {recorded[:6].sum() / recorded.sum():.3f}")


if __name__ == "__main__":
    main()
