"""The ``hotspot-sim`` command line.

Each sub-command is a small function that parses its arguments, calls the
library and prints.  Errors raised on purpose (:class:`HotspotSimError`) and
files that cannot be read or written print one clear line and exit with status 2;
anything else is a bug: one line saying so, exit status 3, and the traceback only
with ``-v``.  No traceback reaches a user otherwise.

One module per group of commands, in the order of the work: :mod:`.data` (data
summary, params), :mod:`.target`, :mod:`.run` (run, track), :mod:`.trial`
(experiment, report, power), :mod:`.check` (calibrate, validate, sensitivity) and
:mod:`.view`; :mod:`.args` holds the argument types shared by them.  Each
``add_*_command`` adds one sub-command to the parser and sets its handler; each
handler ``cmd_*(args)`` takes the parsed :class:`argparse.Namespace`, prints, and
returns the exit status (0).  The ``format_*`` functions turn results into text.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ..errors import HotspotSimError
from ..locations import shipped_names
from .check import add_calibrate_command, add_sensitivity_command, add_validate_command
from .data import add_data_commands, add_params_command
from .field_trial import add_trial_command
from .plan import add_plan_command
from .run import add_run_command, add_track_command
from .target import add_target_command
from .trial import add_experiment_command, add_power_command, add_report_command
from .view import add_view_command


DESCRIPTION = """\
Simulate police hot spot patrols on real street networks and crime data.

Target, test, track (Sherman 2013): find where crime harm concentrates, test
patrol policies by (simulated) randomised trial, and track the dose officers
actually delivered from their GPS.

Runs out of the box on the embedded Welwyn Hatfield data; point $HOTSPOT_SIM_DATA
at a folder with osm/ and police_uk/ for the full county or your own downloads.
"""


EPILOG = """\
the path from data to a trial, and the real trial:
  hotspot-sim data summary                        # what the police.uk data says (--json too)
  hotspot-sim data records --crimes F --mapping M # a force's own exports: drops, time profiles
  hotspot-sim target -k 20                        # TARGET: hot spots by harm, out-of-sample PAI
  hotspot-sim run --policy hotspot_koper --days 30   # simulate one policy, write a run folder
  hotspot-sim track results/runs/<run>            # TRACK: GPS dose, compliance, residual deterrence
  hotspot-sim experiment policy_comparison --workers 2   # TEST: many runs
  hotspot-sim report results/policy_comparison    # effects with intervals, trial statistics, costs
  hotspot-sim power --design crossover            # how many hot spots and days a trial needs
  hotspot-sim trial design --design crossover     # the real trial's pack: schedule, geofences,
                                                  #   protocol with power and cost
  hotspot-sim trial rehearse results/trial_pack    # the pack simulated on its own schedule
  hotspot-sim trial analyse --schedule S --gps G --crimes C   # the real trial, analysed
  hotspot-sim plan --quick --budget-hours 16      # the best patrol plan for the hours you have
  hotspot-sim calibrate | validate | sensitivity  # fit to data, check against the research
  hotspot-sim view                                # live view in the browser
  hotspot-sim params                              # every scenario key, default and meaning

Scenarios and experiments are TOML files: give a path, or the name of one that
ships with hotspot-sim:
  scenarios:   {scenarios}
  experiments: {experiments}
Data: the embedded Welwyn Hatfield clip (police.uk 2021-01..10, OpenStreetMap), or
your own in the folder named by $HOTSPOT_SIM_DATA (osm/, police_uk/; see README).
Results go to ./results/ in the working directory.
Every command takes --help. See README.md and docs/tutorial.md.

exit status:
  0    success
  1    no command given (this help is printed)
  2    bad input: a usage error, or a file, key or value that cannot be used (the
       message names it and says what to do), or a file that cannot be read or written
  3    internal error: a bug in hotspot-sim (rerun with -v to see the traceback)
  130  interrupted (Ctrl-C)
"""


EXIT_OK, EXIT_NO_COMMAND, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure ends as one line on stderr and an exit status.

    A bad value on the command line is an argparse usage error (``SystemExit(2)``);
    the exit statuses are listed in ``hotspot-sim --help``.
    """
    args = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
        if not hasattr(args, "handler"):
            parser.print_help()
            return EXIT_NO_COMMAND
        return args.handler(args) or EXIT_OK
    except HotspotSimError as exc:
        print(f"hotspot-sim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # a file that cannot be read or written: name it
        print(f"hotspot-sim: error: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hotspot-sim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: one line for the user, the traceback only with -v
        return report_internal_error(exc, verbose=bool(getattr(args, "verbose", False)))


def describe_os_error(exc: OSError) -> str:
    """``exc`` as one line naming the path and what to check."""
    if not exc.filename:
        return str(exc)
    path = f"{exc.filename}" + (f" -> {exc.filename2}" if exc.filename2 else "")
    hint = {PermissionError: "check the file's permissions, or choose another path",
            FileNotFoundError: "check the path", IsADirectoryError: "give a file, not a folder",
            FileExistsError: "a file is where a folder should be: choose another path",
            NotADirectoryError: "a part of the path is a file, not a folder"}.get(type(exc), "")
    return f"{path}: {exc.strerror or exc}" + (f" ({hint})" if hint else "")


def report_internal_error(exc: Exception, verbose: bool) -> int:
    """Print an unexpected exception as one line (with -v, also its traceback)."""
    import traceback

    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    print(f"hotspot-sim: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
    if not verbose:
        print("hotspot-sim: this is a bug; rerun as 'hotspot-sim -v COMMAND ...' to see the "
              "traceback, and report it", file=sys.stderr)
    return EXIT_INTERNAL


def build_parser() -> argparse.ArgumentParser:
    """The ``hotspot-sim`` parser with every command (each sets ``handler``)."""
    parser = argparse.ArgumentParser(
        prog="hotspot-sim", description=DESCRIPTION,
        epilog=EPILOG.format(scenarios=", ".join(shipped_names("scenarios")),
                             experiments=", ".join(shipped_names("experiments"))),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in command_adders():
        add(sub)
    return parser


def command_adders() -> list:
    """Sub-commands in the order of the work: data, target, run, track, test, check, see."""
    return [add_data_commands, add_target_command, add_run_command, add_track_command,
            add_experiment_command, add_report_command, add_power_command,
            add_trial_command, add_plan_command, add_calibrate_command, add_validate_command,
            add_sensitivity_command, add_view_command, add_params_command]
