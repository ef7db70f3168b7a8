"""``hotspot-sim data summary``, ``data records`` and ``hotspot-sim params``: what the data and settings say."""

from __future__ import annotations

import json

from .args import add_scenario_arg, positive_int
from .data_records import add_records_command


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
    add_download_css_command(data_sub)
    add_records_command(data_sub)
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


def add_download_css_command(data_sub) -> None:
    """Add ``data download-css`` (the ONS Crime Severity Score weights)."""
    p = data_sub.add_parser(
        "download-css", help="download the ONS Crime Severity Score weights (needs internet)",
        description="Download the ONS Crime Severity Score weights (one weight per Home Office "
                    "offence code) for 'target --harm-index css'. Without internet it stops "
                    "and says where to get the file by hand.")
    p.add_argument("--dest", default=None, metavar="DIR",
                   help="folder to save into (default: $HOTSPOT_SIM_DATA/ons_css when set, "
                        "else ./data/ons_css)")
    p.add_argument("--url", default=None,
                   help="the ONS dataset page or the weights file itself (default: the ONS "
                        "Crime Severity Score dataset page)")
    p.set_defaults(handler=cmd_download_css)


def cmd_download_css(args) -> int:
    """Download the ONS weights and say where they went."""
    import os

    from ..data.download import download_css
    from ..data.harm_indices import CSS_DEFAULT_FILE
    from ..locations import DATA_ENV_VAR

    root = os.environ.get(DATA_ENV_VAR) or "data"
    dest = args.dest or os.path.join(root, str(CSS_DEFAULT_FILE.parent))
    path = download_css(dest, url=args.url)
    print(f"Saved the ONS Crime Severity Score weights to {path}\n"
          f"Rank by them: hotspot-sim target --harm-index css --css-table {path} "
          "--code-map CODE_MAP.csv")
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
