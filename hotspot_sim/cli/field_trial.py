"""``hotspot-sim trial``: from simulation to the real trial.

``trial design`` writes the pack a force hands to officers and pre-registers
(:mod:`.trial_design`); ``trial rehearse`` simulates the pack's trial and writes its
files, to check the logistics and the analysis before the real trial
(:mod:`.trial_rehearse`); ``trial analyse`` analyses the real trial's schedule, GPS
and crimes with the code that analyses simulated trials (:mod:`.trial_analyse`);
``trial export`` writes a simulated trial's run folder as those files
(:mod:`.trial_export`).
"""

from __future__ import annotations

import argparse

from .trial_analyse import add_analyse_parser
from .trial_design import add_design_parser
from .trial_export import add_export_parser
from .trial_rehearse import add_rehearse_parser


def add_trial_command(sub) -> None:
    """Add ``trial`` and its sub-commands ``design``, ``rehearse``, ``analyse`` and ``export``."""
    p = sub.add_parser(
        "trial", help="the real trial: design pack (schedule, geofences, protocol), "
                      "rehearsal, analysis",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The real trial, after the simulated one, in three steps:\n"
                    "  trial design    randomisation schedule with its seed, hot spot geofences\n"
                    "                  (GeoJSON, GPX), a one-page protocol with power and cost\n"
                    "  trial rehearse  simulate the pack's trial on its own schedule and write\n"
                    "                  its files, to check the logistics and the analysis\n"
                    "                  before the real trial (the model's figures, not evidence)\n"
                    "  trial analyse   the real trial's schedule, GPS and crimes analysed as a\n"
                    "                  simulated trial is: dose per arm, compliance, rate ratios,\n"
                    "                  displacement, cost-benefit\n"
                    "  trial export    a simulated trial's run folder written as the real\n"
                    "                  trial's files, to check the analysis",
        epilog="examples (design -> rehearse -> analyse):\n"
               "  hotspot-sim trial design --design crossover -k 20 --days 90 --out pack/\n"
               "  hotspot-sim trial rehearse pack/ --days 7 --out rehearsal/\n"
               "  hotspot-sim trial analyse --schedule pack/schedule.csv --gps gps.csv "
               "--crimes crimes.csv")
    trial_sub = p.add_subparsers(title="trial commands", metavar="STEP")
    add_design_parser(trial_sub)
    add_rehearse_parser(trial_sub)
    add_analyse_parser(trial_sub)
    add_export_parser(trial_sub)
    p.set_defaults(handler=lambda args: _no_step(p))


def _no_step(parser: argparse.ArgumentParser) -> int:
    """``hotspot-sim trial`` without a step: print its help (exit status 1, as the top level)."""
    parser.print_help()
    return 1
