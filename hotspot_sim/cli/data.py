"""``hotspot-sim data summary`` and ``hotspot-sim params``: what the data and settings say."""

from __future__ import annotations

import json

from .args import add_scenario_arg, positive_int


def add_data_commands(sub) -> None:
    """Add ``data`` and its sub-command ``summary``."""
    data_p = sub.add_parser("data", help="inspect the real crime data and street network",
                            description="Inspect the scenario's observed data.")
    data_sub = data_p.add_subparsers(title="data commands", metavar="DATA_COMMAND")
    p = data_sub.add_parser(
        "summary", help="network size, crimes by type, dropped rows, harm, top places",
        description="Load the scenario's street network and police.uk crime and print: network "
                    "size, crimes by type, rows dropped and why, harm totals (Cambridge Crime "
                    "Harm Index days), the top places by harm with their police.uk location and "
                    "LSOA, and how concentrated harm is.")
    add_scenario_arg(p)
    p.add_argument("--top", type=positive_int(10_000), default=10,
                   help="how many top places to list (default 10)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON instead")
    p.set_defaults(handler=cmd_data_summary)
    data_p.set_defaults(handler=lambda a: data_p.print_help() or 1)


def cmd_data_summary(args) -> int:
    """Print what the scenario's police.uk data and street network hold."""
    from ..settings import load_scenario
    from ..study import format_study_summary, load_study, summarise

    study = load_study(load_scenario(args.scenario))
    summary = summarise(study, top=args.top)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(format_study_summary(summary))
    return 0


def add_params_command(sub) -> None:
    """Add ``params`` (every scenario key as a Markdown table)."""
    p = sub.add_parser("params", help="list every scenario key: default, meaning and source",
                       description="Print every scenario setting (section.key), its default, "
                                   "what it means and where the default comes from (the study, "
                                   "'assumption', or 'setting' for a choice of data or run), as "
                                   "a Markdown table.")
    p.set_defaults(handler=cmd_params)


def cmd_params(args) -> int:
    """Print every scenario key with its default, meaning and source."""
    from ..settings import describe_settings

    print(describe_settings())
    return 0
