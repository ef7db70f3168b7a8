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
    from ..study import load_study, summarise

    study = load_study(load_scenario(args.scenario))
    summary = summarise(study, top=args.top)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(format_summary(summary))
    return 0


def format_summary(s: dict) -> str:
    """The study summary (:func:`hotspot_sim.study.summarise`) as text for the terminal."""
    net, rows, harm = s["network"], s["rows"], s["harm"]
    out = [f"Scenario {s['scenario']}: police.uk {s['months'][0]} to {s['months'][1]}",
           f"Data: {s['data']['description']}"]
    if s["data"].get("clip_note"):
        out.append(f"  ({s['data']['clip_note']})")
    out += ["",
            f"Street network  {net['source']}: {net['nodes']:,} nodes, {net['edges']:,} edges, "
            f"{net['length_km']:,} km (max edge {net['max_edge_m']} m; "
            f"{net['dropped_nodes_outside_largest_component']} nodes outside the largest "
            "component dropped)", "",
            f"Rows read {rows['total_in']:,}, kept {rows['kept']:,}; dropped:"]
    for reason, n in rows["dropped"].items():
        out.append(f"  {reason.replace('_', ' '):<28} {n:>8,}")
    for name, n in rows.get("unknown_crime_types", {}).items():
        out.append(f"    unknown type {name!r}: {n:,}")
    out += ["", f"{'Crime type':<32} {'count':>7} {'harm (CHI days)':>16}"]
    for ctype, n in s["crimes_by_type"].items():
        out.append(f"  {ctype:<30} {n:>7,} {harm['by_type'].get(ctype, 0):>16,.1f}")
    out += [f"  {'total':<30} {harm['crimes'] + harm['asb_incidents']:>7,} "
            f"{harm['total_chi_days']:>16,.1f}",
            f"  ({harm['crimes']:,} crimes and {harm['asb_incidents']:,} ASB incidents)", "",
            f"Top {len(s['top_places'])} places by harm"]
    out.append(f"  {'node':>6} {'harm':>8} {'crimes':>6} {'ASB':>4}  {'LSOA':<10} location")
    for p in s["top_places"]:
        out.append(f"  {p['node']:>6} {p['harm']:>8,.1f} {p['crimes']:>6} {p['asb']:>4}  "
                   f"{p['lsoa']:<10} {p['location']}")
    return "\n".join(out + format_concentration(s))


def format_concentration(s: dict) -> list[str]:
    """Lines on how concentrated harm is, and the LSOAs with the highest harm index."""
    conc = s["concentration"]
    out = ["", "Concentration",
            f"  {conc['places_with_any_incident']:,} places have any recorded incident",
            f"  {100 * conc['share_of_places_with_crime_holding_50pct_harm']:.1f}% of those places "
            "hold 50% of harm",
            f"  {100 * conc['share_of_all_nodes_holding_50pct_harm']:.2f}% of all street nodes hold "
            "50% of harm",
            f"  {100 * conc['share_of_all_nodes_holding_50pct_incidents']:.2f}% of all street nodes "
            "hold 50% of incidents (Weisburd 2015: 2.1-6.0% of segments hold 50% of crime)"]
    if s.get("top_lsoas"):
        out += ["", "LSOAs with the highest harm index (harm + ASB incidents)"]
        for r in s["top_lsoas"]:
            out.append(f"  {r.get('LSOA code', ''):<10} {str(r.get('LSOA name', '')):<28} "
                       f"index {r.get('harm_index', 0):>9,.1f}")
    return out


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
