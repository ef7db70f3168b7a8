"""``hotspot-sim trial rehearse``: simulate a designed pack's trial, write its files.

Between ``trial design`` and the real trial: the model follows the pack's own schedule
(:func:`hotspot_sim.trial.rehearse.rehearse_pack`) and writes the files a force hands in
after a trial, so ``trial analyse`` can be run on them exactly as it will be on the real
ones.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..checks import MAX_DAYS
from .args import DEFAULT_SCENARIO, number_arg, positive_int, seed_arg

DEFAULT_SEED = 1
"""The rehearsal's simulation seed when none is given (printed, so a run can be repeated)."""

REHEARSE_EPILOG = f"""\
what a rehearsal is for:
  Before the real trial starts, check the pack and the analysis: officers can
  reach the scheduled hot spots in the patrol window, the GPS shows the planned
  minutes, the files have the columns and dates 'trial analyse' needs, and the
  analysis the protocol pre-registers runs end to end. The crimes, doses and
  rate ratios are the model's, not evidence that patrol works (or does not):
  only the real trial's records are.

what it does:
  The simulation starts on the schedule's first date and patrols exactly the
  spot-days the schedule treats (visits x planned minutes, at random times in
  the patrol window); between visits officers wait at the station (--between
  station) or walk the streets (walk: background patrol at control places too).

writes to --out, in the formats 'trial analyse' reads:
  schedule.csv   the pack's schedule (its first --days days)
  hotspots.csv   the pack's hot spots; design.json too when the pack has it, so
                 the analysis follows the pack's design
  gps.csv        officer, time, x, y, status: on-duty pings of every officer
  crimes.csv     crime_id, time, x, y, crime_type, harm: every simulated crime
  rehearsal.json the pack, days, seed, scenario and options of the rehearsal

defaults:
  --days        all of the schedule's days (a few are enough to check the files)
  --seed        {DEFAULT_SEED}
  --scenario    the scenario the pack was designed on (its design.json), else
                {DEFAULT_SCENARIO}
  --ping-every  1 minute (every simulated minute; give your force's GPS interval
                to rehearse with files like its export)

examples:
  hotspot-sim trial design -k 8 --days 14 --out pack/
  hotspot-sim trial rehearse pack/ --days 3 --out rehearsal/
  hotspot-sim trial analyse --schedule rehearsal/schedule.csv \\
      --gps rehearsal/gps.csv --crimes rehearsal/crimes.csv --out rehearsal/analysis
"""


def add_rehearse_parser(trial_sub) -> None:
    """Add ``trial rehearse`` to the ``trial`` group."""
    p = trial_sub.add_parser(
        "rehearse", help="simulate the pack's trial and write its files, to check the "
                         "logistics and the analysis",
        description="Rehearse a trial designed with 'trial design': simulate it following the\n"
                    "pack's own schedule and write the schedule, hot spots, GPS pings and\n"
                    "crimes in the real trial's formats, for 'trial analyse'. The figures\n"
                    "are the model's: a check before the real trial, not evidence.",
        epilog=REHEARSE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pack", type=Path, metavar="PACK_DIR",
                   help="the trial pack folder (the --out of 'trial design'), holding "
                        "schedule.csv and hotspots.csv")
    p.add_argument("--days", type=positive_int(int(MAX_DAYS)), default=None, metavar="N",
                   help="rehearse the schedule's first N days (default: all)")
    p.add_argument("--seed", type=seed_arg, default=DEFAULT_SEED,
                   help=f"the simulation's seed (default {DEFAULT_SEED})")
    p.add_argument("--scenario", "-s", default=None, metavar="NAME|TOML",
                   help="the study to simulate on (default: the pack's, from design.json)")
    p.add_argument("--between", choices=("station", "walk"), default="station",
                   help="what officers do between visits (default station)")
    add_gps_options(p)
    p.add_argument("--out", type=Path, default=Path("results") / "trial_rehearsal",
                   metavar="DIR", help="output folder (default results/trial_rehearsal)")
    p.set_defaults(handler=cmd_trial_rehearse)


def add_gps_options(p: argparse.ArgumentParser) -> None:
    """``--ping-every`` and ``--officers``: which simulated GPS pings are written."""
    p.add_argument("--ping-every", type=positive_int(1440), default=1, metavar="M",
                   help="keep one GPS ping in M minutes (default 1: every simulated minute)")
    p.add_argument("--officers", type=number_arg(0, integer=True), nargs="+", default=None,
                   metavar="ID", help="keep only these officers' pings (default: all, "
                                      "response cars too)")


def cmd_trial_rehearse(args) -> int:
    """Simulate the pack's trial, write its files and print them with the next command."""
    from ..trial.rehearse import rehearsal_scenario, rehearse_pack

    schedule = pack_schedule(args.pack)
    scenario = rehearsal_scenario(schedule.parent, args.scenario)
    files = rehearse_pack(schedule, args.out, scenario, args.seed, args.between,
                          args.ping_every, args.officers, args.days)
    print(format_rehearsal(files, scenario.scenario.name, args))
    return 0


def pack_schedule(pack: Path) -> Path:
    """The pack's ``schedule.csv`` (a schedule file given instead of its folder is taken).

    Raises
    ------
    DataError
        No such folder, or no ``schedule.csv`` in it.
    """
    from ..errors import DataError

    if pack.is_file() and pack.suffix.lower() == ".csv":
        return pack
    if not pack.is_dir():
        raise DataError(f"trial pack folder not found: {pack} (give the --out folder of "
                        "'hotspot-sim trial design')")
    schedule = pack / "schedule.csv"
    if not schedule.is_file():
        raise DataError(f"{pack}: no schedule.csv; a trial pack from 'hotspot-sim trial design' "
                        "holds schedule.csv and hotspots.csv")
    return schedule


def format_rehearsal(files: dict, scenario: str, args) -> str:
    """What was written, the figures' status and the ``trial analyse`` command."""
    import json

    import pandas as pd

    info = json.loads(files["rehearsal"].read_text(encoding="utf-8"))
    gps = pd.read_csv(files["gps"], usecols=["officer"])
    n_crimes = len(pd.read_csv(files["crimes"], usecols=["time"]))
    lines = [f"Rehearsed {info['pack']}: {info['days']} of {info['of_days']} days from "
             f"{info['first_date']} on {scenario}, seed {info['seed']} (the model's figures: "
             "a check of the pack and the analysis, not evidence)",
             f"files in {args.out}/:"]
    notes = {"schedule": "the schedule's rehearsed days",
             "hotspots": "the pack's hot spots",
             "gps": f"{len(gps):,} on-duty pings of {gps['officer'].nunique()} officers",
             "crimes": f"{n_crimes:,} simulated crimes",
             "design": "the pack's design (trial analyse follows it)",
             "rehearsal": "how these files were made"}
    return "\n".join(lines + file_lines(files, notes) + analyse_command(args.out))


def file_lines(files: dict, notes: dict) -> list[str]:
    """One line per file written: its name and what it holds."""
    return [f"  {path.name:<15} {notes[name]}" for name, path in files.items()]


def analyse_command(folder: Path) -> list[str]:
    """The ``trial analyse`` command that reads the trial files in ``folder``."""
    return ["next: analyse them as the real trial will be:",
            f"  hotspot-sim trial analyse --schedule {folder}/schedule.csv --gps "
            f"{folder}/gps.csv --crimes {folder}/crimes.csv --out {folder}/analysis"]
