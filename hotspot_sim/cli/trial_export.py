"""``hotspot-sim trial export``: a simulated trial's run folder as the real trial's files.

A run of a randomised policy (``hotspot-sim run --policy crossover_daily ...``) is
written in the documented real-trial formats by
:func:`hotspot_sim.track.export.export_trial`, so ``trial analyse`` reads it as it would
a force's files and gives back the simulated trial's own figures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .args import finite_float
from .trial_rehearse import add_gps_options, analyse_command, file_lines

EXPORT_EPILOG = """\
run folders it takes:
  a run of a policy that randomises spot-days, written by 'hotspot-sim run':
  crossover_daily, crossover_patrol or parallel_patrol (they record each day's
  assignment). Other policies do not randomise, so there is no trial to export.

writes to --out (the formats of 'hotspot-sim trial analyse --help'):
  schedule.csv  date, day, hotspot_id, treated, planned_minutes, visits, block
  hotspots.csv  hotspot_id, x, y, lon, lat, radius_m
  gps.csv       officer, time, x, y, status   (every officer unless --officers)
  crimes.csv    crime_id, time, x, y, crime_type, harm   (every simulated crime)

examples:
  hotspot-sim run --policy crossover_daily --param k=8 --days 10 --out results/runs/xo
  hotspot-sim trial export results/runs/xo --out results/xo_files --ping-every 2
  hotspot-sim trial analyse --schedule results/xo_files/schedule.csv \\
      --gps results/xo_files/gps.csv --crimes results/xo_files/crimes.csv
"""


def add_export_parser(trial_sub) -> None:
    """Add ``trial export`` to the ``trial`` group."""
    p = trial_sub.add_parser(
        "export", help="a simulated trial's run folder as the real trial's files",
        description="Write a simulated trial (a run folder of a randomised policy) as the\n"
                    "CSV files a force hands in after a real trial: schedule, hot spots,\n"
                    "GPS pings and crimes, for 'trial analyse'. Analysing them gives back the\n"
                    "simulated trial's own figures: a check of the analysis, not evidence.",
        epilog=EXPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR",
                   help="the run folder ('hotspot-sim run --policy crossover_daily ...')")
    p.add_argument("--out", type=Path, default=Path("results") / "trial_export",
                   metavar="DIR", help="output folder (default results/trial_export)")
    p.add_argument("--radius", type=finite_float(0, 5000, lo_open=True), default=None,
                   metavar="M", help="hot spots' radius_m in metres (default: the run's, "
                                     "else 100)")
    add_gps_options(p)
    p.add_argument("--on-duty-only", action="store_true",
                   help="leave out off-duty pings (a force's devices are off then)")
    p.set_defaults(handler=cmd_trial_export)


def cmd_trial_export(args) -> int:
    """Export the run folder's trial and print the files and the next command."""
    import pandas as pd

    from ..track.export import export_trial

    files = export_trial(args.run_dir, args.out, args.radius, args.ping_every, args.officers,
                         args.on_duty_only)
    schedule = pd.read_csv(files["schedule"], usecols=["day", "hotspot_id", "treated"])
    gps = pd.read_csv(files["gps"], usecols=["officer"])
    notes = {"schedule": f"{schedule['hotspot_id'].nunique()} hot spots x "
                         f"{schedule['day'].nunique()} days, {int(schedule['treated'].sum()):,} "
                         "treated spot-days",
             "hotspots": "the run's hot spots",
             "gps": f"{len(gps):,} pings of {gps['officer'].nunique()} officers",
             "crimes": f"{len(pd.read_csv(files['crimes'], usecols=['time'])):,} simulated "
                       "crimes"}
    lines = [f"Exported the simulated trial of {args.run_dir} (the model's figures: a check "
             "of the analysis, not evidence)", f"files in {args.out}/:"]
    print("\n".join(lines + file_lines(files, notes) + analyse_command(args.out)))
    return 0
