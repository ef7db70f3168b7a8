"""Write the small synthetic real-trial example files in ``examples/`` from a simulated trial.

    .venv/bin/python scripts/make_trial_examples.py [--out examples]

Simulates a short daily crossover trial (``crossover_patrol``: 8 hot spots, 10 days from
Monday 1 November 2021, two patrol officers who walk the streets between visits) on the
embedded Welwyn Hatfield data, and exports it with
:func:`hotspot_sim.track.export.export_trial` as ``trial_schedule.csv``,
``trial_analysis_hotspots.csv``, ``trial_gps.csv`` (the two patrol officers' on-duty pings, one
every 2 minutes) and ``trial_crimes.csv``.  The same seed writes the same files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

# the embedded data, whatever the environment says: the examples must not depend on it
os.environ.pop("HOTSPOT_SIM_DATA", None)

ROOT = Path(__file__).resolve().parents[1]
SEED = 20211101
HOTSPOTS = 8
DAYS = 10
PATROL_OFFICERS = 2
PING_EVERY_MIN = 2
EXAMPLE_NAMES = {"schedule": "trial_schedule.csv", "gps": "trial_gps.csv",
                 "crimes": "trial_crimes.csv",
                 # examples/trial_hotspots.csv is trial design's input list (other ids)
                 "hotspots": "trial_analysis_hotspots.csv"}


def simulate(run_dir: Path) -> None:
    """Run the example trial and write its run folder."""
    from hotspot_sim.settings import load_scenario
    from hotspot_sim.sim.model import PatrolModel
    from hotspot_sim.sim.outputs import write_run
    from hotspot_sim.study import load_study

    scenario = load_scenario(ROOT / "scenarios" / "welwyn_hatfield.toml").replace(
        {"scenario.seed": SEED, "officers.count": PATROL_OFFICERS})
    model = PatrolModel(scenario, load_study(scenario), policy="crossover_patrol",
                        policy_params={"k": HOTSPOTS, "between": "walk"}, build_space=False)
    model.run_days(DAYS)
    write_run(model, run_dir)


def main(argv: list[str] | None = None) -> int:
    """Simulate, export and rename the files (``EXAMPLE_NAMES``) in ``--out``."""
    from hotspot_sim.track.export import export_trial

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "examples")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        simulate(run_dir)
        files = export_trial(run_dir, Path(tmp) / "pack", ping_every_min=PING_EVERY_MIN,
                             officers=range(PATROL_OFFICERS), on_duty_only=True)
        args.out.mkdir(parents=True, exist_ok=True)
        for name, path in files.items():
            target = args.out / EXAMPLE_NAMES[name]
            shutil.copyfile(path, target)
            print(f"{target}: {target.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
