"""``hotspot-sim trial analyse``: the real trial analysed as a simulated one is."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .args import finite_float, positive_int

# Randomisation test draws when no pack says how many (as 'report' uses for simulated trials)
DEFAULT_PERMUTATIONS = 999

ANALYSE_EPILOG = """\
files (CSV, header row, column names case-insensitive):
  --schedule  date, day, hotspot_id, treated, planned_minutes [, visits, block]
              one row per hot spot per trial day ('trial design' writes it as
              schedule.csv; the --plan format of 'track'). date: YYYY-MM-DD,
              day 0 = the first date; treated: true/false.
  --hotspots  hotspot_id, x, y (or lon, lat) [, radius_m, ...]; default: the
              hotspots.csv beside the schedule
  --gps       officer, time, x, y (or lon, lat) [, status]   every officer's pings
  --crimes    time, x, y (or lon, lat) [, crime_type, harm]
  The formats and the checks that the files belong together are those of
  'hotspot-sim track --help'. Errors name the file, the line and the column.

what is reported (as for a simulated trial, 'hotspot-sim report'):
  dose        GPS presence minutes per spot-day on treated and on control days
              (control places get background patrol too: Ariel et al. 2016)
  compliance  delivered against planned minutes (80% of the plan = delivered)
  effect      Poisson GLM rate ratio and a randomisation test of it that
              re-draws the assignment as the design did, on crime counts and on
              harm (CHI days), for all crimes and by crime type; the terms the
              pack's protocol pre-registers (crossover: hot spot fixed effects;
              parallel: none; block: pairs)
  displace-   the same rate ratio on crimes in the 100 m buffer beyond each
  ment        hot spot (above 1: displacement; Bland et al. 2021)
  cost        extra officer hours over background patrol, per crime and per
              harm day prevented

rehearse the analysis on a simulated trial: simulate a designed pack following
its own schedule (GPS pings and crimes as gps.csv, crimes.csv), or export any
run of a randomised policy (schedule, hot spots, GPS, crimes):
  hotspot-sim trial rehearse results/trial_pack --days 14 --out results/rehearsal
  hotspot-sim trial analyse --schedule results/rehearsal/schedule.csv \\
      --gps results/rehearsal/gps.csv --crimes results/rehearsal/crimes.csv
  hotspot-sim trial export results/runs/xo --out results/xo_files   # a run folder

examples:
  hotspot-sim trial analyse --schedule examples/trial_schedule.csv \\
      --hotspots examples/trial_analysis_hotspots.csv --gps examples/trial_gps.csv \\
      --crimes examples/trial_crimes.csv --out results/trial_analysis
"""


def add_analyse_parser(trial_sub) -> None:
    """Add ``trial analyse`` to the ``trial`` group."""
    from ..choices import DEFAULT_COST_PER_OFFICER_HOUR

    p = trial_sub.add_parser(
        "analyse", help="analyse the real trial's schedule, GPS and crimes",
        description="Analyse a real hot spot trial with the code that analyses simulated\n"
                    "trials: dose per arm, compliance, rate ratios on counts and harm (all\n"
                    "crimes and by type), 100 m buffer displacement and cost-benefit.\n"
                    "Writes the tables as CSV, report.md and dose.png to --out.",
        epilog=ANALYSE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--schedule", type=Path, required=True, metavar="FILE.csv",
                   help="the randomisation schedule (the trial pack's schedule.csv)")
    p.add_argument("--gps", type=Path, required=True, metavar="FILE.csv",
                   help="officers' GPS pings")
    p.add_argument("--crimes", type=Path, required=True, metavar="FILE.csv",
                   help="recorded crimes with times")
    p.add_argument("--hotspots", type=Path, metavar="FILE.csv",
                   help="the hot spots (default: hotspots.csv beside the schedule)")
    p.add_argument("--radius", type=finite_float(0, 5000, lo_open=True), default=None,
                   metavar="M", help="hot spot radius in metres for every hot spot (default: "
                                     "the hot spots' radius_m, else 100)")
    p.add_argument("--cost-per-hour", type=finite_float(0), metavar="GBP",
                   default=DEFAULT_COST_PER_OFFICER_HOUR,
                   help=f"cost of one officer hour (default £{DEFAULT_COST_PER_OFFICER_HOUR:g}, "
                        "an assumption: give your force's figure)")
    p.add_argument("--design", choices=("crossover", "parallel", "block"), default=None,
                   help="how the trial assigned treatment (default: the pack's design.json "
                        "beside the schedule, else read from the schedule: treatment changing "
                        "day to day = crossover; fixed per hot spot = block with several "
                        "blocks, else parallel)")
    p.add_argument("--permutations", type=positive_int(100_000), default=None, metavar="N",
                   help="re-drawn assignments of the randomisation test (default: the number "
                        "the pack's design.json pre-registers, 9,999 from 'trial design'; "
                        f"{DEFAULT_PERMUTATIONS} without one)")
    p.add_argument("--out", type=Path, default=Path("results") / "trial_analysis",
                   metavar="DIR", help="output folder (default results/trial_analysis)")
    p.set_defaults(handler=cmd_trial_analyse)


def preregistered_permutations(schedule: Path) -> int:
    """The randomisation test's draws the pack beside ``schedule`` pre-registered, else the
    default: the analysis run is the one the protocol promised."""
    from ..trial.field import pack_design

    test = pack_design(Path(schedule).parent).get("analysis", {}).get("randomisation_test", {})
    n = test.get("n_permutations") if isinstance(test, dict) else None
    return int(n) if isinstance(n, int) and 0 < n <= 100_000 else DEFAULT_PERMUTATIONS


def cmd_trial_analyse(args) -> int:
    """Read the trial's files, analyse them, write the report and print the headline."""
    from ..trial.field import analyse_trial, headline, read_trial, write_analysis

    trial = read_trial(args.schedule, args.gps, args.crimes, args.hotspots)
    tables = analyse_trial(trial, args.radius, args.cost_per_hour,
                           args.permutations or preregistered_permutations(args.schedule),
                           args.design)
    for message in tables["warnings"]["message"]:
        print(f"hotspot-sim: warning: {message}", file=sys.stderr)
    files = write_analysis(tables, args.out, args.cost_per_hour,
                           {k: str(v) for k, v in trial["files"].items()})
    print(headline(tables))
    print(f"\nWrote {len(files)} files to {args.out}/ (report.md, dose.png, spot_days.csv, "
          "statistics.csv, ...)")
    return 0
