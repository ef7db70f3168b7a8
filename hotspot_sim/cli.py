"""The ``hotspot-sim`` command line.

Each sub-command is a small function that parses its arguments, calls the
library and prints.  Errors raised on purpose (:class:`HotspotSimError`) and
files that cannot be read or written print one clear line and exit with status 2;
anything else is a bug: one line saying so, exit status 3, and the traceback only
with ``-v``.  No traceback reaches a user otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .checks import (MAX_DAYS, days_arg, finite_float, number_arg, positive_int, range_arg,
                     seed_arg)
from .errors import HotspotSimError
from .io import write_csv
from .locations import data_source, shipped_names

DEFAULT_SCENARIO = "welwyn_hatfield"

DESCRIPTION = """\
Simulate police hot spot patrols on real street networks and crime data.

Target, test, track (Sherman 2013): find where crime harm concentrates, test
patrol policies by (simulated) randomised trial, and track the dose officers
actually delivered from their GPS.

Runs out of the box on the embedded Welwyn Hatfield data; point $HOTSPOT_SIM_DATA
at a folder with osm/ and police_uk/ for the full county or your own downloads.
"""

EPILOG = """\
the path from data to a trial design:
  hotspot-sim data summary                        # what the police.uk data says (--json too)
  hotspot-sim target -k 20                        # TARGET: hot spots by harm, out-of-sample PAI
  hotspot-sim run --policy hotspot_koper --days 30   # simulate one policy, write a run folder
  hotspot-sim track results/runs/<run>            # TRACK: GPS dose, compliance, residual deterrence
  hotspot-sim experiment policy_comparison --workers 2   # TEST: many runs
  hotspot-sim report results/policy_comparison    # effects with intervals, trial statistics, costs
  hotspot-sim power --design crossover            # how many hot spots and days a trial needs
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
            add_experiment_commands, add_calibrate_command, add_validate_commands,
            add_view_command, add_params_command]


def add_scenario_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", "-s", default=DEFAULT_SCENARIO, metavar="NAME|TOML",
                   help="a shipped scenario's name or a scenario file "
                        f"(default: {DEFAULT_SCENARIO}; 'hotspot-sim params' lists the keys)")


# --------------------------------------------------------------------------- data


def add_data_commands(sub) -> None:
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
    from .settings import load_scenario
    from .study import load_study, summarise

    study = load_study(load_scenario(args.scenario))
    summary = summarise(study, top=args.top)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(format_summary(summary))
    return 0


def format_summary(s: dict) -> str:
    net, rows, harm, conc = s["network"], s["rows"], s["harm"], s["concentration"]
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
    out += ["", "Concentration",
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
    return "\n".join(out)


# --------------------------------------------------------------------------- params


def add_params_command(sub) -> None:
    p = sub.add_parser("params", help="list every scenario key: default, meaning and source",
                       description="Print every scenario setting (section.key), its default, "
                                   "what it means and where the default comes from (the study, "
                                   "'assumption', or 'setting' for a choice of data or run), as "
                                   "a Markdown table.")
    p.set_defaults(handler=cmd_params)


def cmd_params(args) -> int:
    from .settings import describe_settings

    print(describe_settings())
    return 0


# --------------------------------------------------------------------------- run


def add_run_command(sub) -> None:
    p = sub.add_parser(
        "run", help="simulate one policy for N days and write the run folder",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the patrol model once: officers and offenders on the scenario's "
                    "street network, in 1-minute ticks, with calls for service and the chosen "
                    "patrol policy. Writes every table as parquet (crimes and deterred or "
                    "displaced attempts, GPS pings, officer status minutes, calls and response "
                    "times, daily totals) with the scenario and seed, crimes.gpkg (crimes, "
                    "attempts, hot spots and catchments, EPSG:27700, for QGIS/ArcGIS), and "
                    "prints a summary.",
        epilog=policy_epilog() + "\nSame scenario + seed => identical outputs.")
    add_scenario_arg(p)
    p.add_argument("--policy", "-p", help="policy name (default: the scenario's)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="policy parameter, e.g. --param leg_minutes=120 (repeatable)")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override a scenario value, e.g. --set officers.count=10 (repeatable)")
    p.add_argument("--days", type=days_arg, default=30.0,
                   help=f"simulated days (default 30, at most {MAX_DAYS:g})")
    p.add_argument("--seed", type=seed_arg, help="override the scenario seed")
    p.add_argument("--out", type=Path, help="run folder (default results/runs/<scenario>-"
                                            "<policy>-<days>d-seed<seed>)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in the run folder (else that is an error)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_run)


def policy_epilog() -> str:
    """Every registered policy with the first line of its docstring, for ``run --help``."""
    from .sim.policies import REGISTRY

    lines = ["policies (--policy NAME):"]
    for name, cls in REGISTRY.items():
        doc = (cls.__doc__ or "").strip().splitlines()
        lines.append(f"  {name:<16} {doc[0].replace('``', '') if doc else ''}")
    lines.append("  or 'package.module:ClassName' for your own (see hotspot_sim/policies/base.py).")
    return "\n".join(lines)


def parse_assignments(items: list[str], what: str) -> dict:
    """``["a.b=3", "c=x"]`` -> ``{"a.b": 3, "c": "x"}`` with TOML-like values."""
    import tomllib

    from .errors import ConfigError

    out = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{what} {item!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = text
    return out


def cmd_run(args) -> int:
    import time

    from .sim.model import PatrolModel
    from .io import check_run_folder, holds_same_run
    from .sim.outputs import format_summary, write_run
    from .settings import load_scenario

    scenario = load_scenario(args.scenario)
    overrides = parse_assignments(args.set, "--set")
    if args.seed is not None:
        overrides["scenario.seed"] = args.seed
    if overrides:
        scenario = scenario.replace(overrides)
    params = parse_assignments(args.param, "--param") if args.param else None
    if params is not None:  # a bad --param fails now, not after the data has loaded
        from .sim.policies import get_policy

        get_policy(args.policy or scenario.policy.name).check_params(params)
    if args.out is not None:  # refuse before the data loads (the default name needs the model)
        check_run_folder(args.out, args.overwrite)
    started = time.perf_counter()
    model = PatrolModel(scenario, policy=args.policy, policy_params=params)
    out = args.out or Path("results") / "runs" / (
        f"{scenario.scenario.name}-{model.policy_name}-{args.days:g}d-seed{scenario.scenario.seed}")
    # The default folder is named by scenario, policy, days and seed: running the same
    # command again replaces its own earlier run (identical settings give identical
    # outputs), but never a run made with other settings (--set, --param, edits).
    overwrite = args.overwrite or (args.out is None and holds_same_run(out, model, args.days))
    check_run_folder(out, overwrite)  # before simulating, not after
    minutes = int(round(args.days * 1440))
    with progress_bar(minutes, "simulating", unit="min", quiet=args.quiet) as bar:
        model.run_days(args.days, progress=lambda done: bar.update(done - bar.n))
    manifest = write_run(model, out, wall_seconds=time.perf_counter() - started,
                         overwrite=overwrite)
    print(format_summary(manifest))
    print(format_dose_headline(model, args.days))
    print(f"  data: {data_source()['description']}")
    print(f"\nRun folder: {out}/ (every table as parquet, run.json, scenario.json)")
    print(f"Next:\n  hotspot-sim track {out}\n      # dose per hot spot and day from the GPS "
          "log, residual deterrence, displacement\n"
          "  hotspot-sim experiment policy_comparison --quick\n"
          "      # policies against no patrol with 95% intervals; then 'hotspot-sim report "
          "results/policy_comparison-quick'")
    return 0


def format_dose_headline(model, days: float) -> str:
    """The patrol dose delivered, read from the run's GPS log as ``track`` reads it."""
    from .track import DEFAULT_RADIUS_M, visits

    hotspots = model.policy.outputs().get("hotspots")
    if hotspots is None or not len(hotspots):
        return f"  dose: policy {model.policy_name!r} patrols no hot spots (no dose to measure)"
    v = visits(model.gps_table(), hotspots, DEFAULT_RADIUS_M)
    per_spot_day = v["minutes"].sum() / (len(hotspots) * max(days, 1e-9))
    return (f"  dose delivered (GPS, within {DEFAULT_RADIUS_M:g} m): {len(v):,} visits to "
            f"{v['hotspot_id'].nunique()} of {len(hotspots)} hot spots, "
            f"{v['minutes'].sum():,.0f} officer minutes, {per_spot_day:.0f} min per hot spot a "
            f"day; {int((v['minutes'] >= 10).sum()):,} visits of 10 min or more (Koper 1995)")


def progress_bar(total: int, desc: str, unit: str = "it", quiet: bool = False):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=quiet or None, leave=False,
                dynamic_ncols=True)


# --------------------------------------------------------------------------- experiments


def add_experiment_commands(sub) -> None:
    p = sub.add_parser(
        "experiment", help="run an experiment file: arms x sweep grid x replications",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run every (arm, grid point, replication) of an experiment file, each with "
                    "its own seed derived from the file's root seed (numpy SeedSequence), and "
                    "write each finished run at once to results/<experiment>/runs/. Running "
                    "again resumes: finished runs are kept and only missing ones run, so "
                    "Ctrl-C or a killed job loses nothing that had finished. Each run is keyed "
                    "by everything that makes it (scenario, policy, days, seed, model code); "
                    "if the folder holds runs made with other settings, nothing runs and the "
                    "message says what differs (use --fresh or another --out).",
        epilog="examples:\n"
               "  hotspot-sim experiment policy_comparison --workers 2\n"
               "  hotspot-sim experiment koper_dose --quick\n"
               "  hotspot-sim experiment crossover_trial --scheduler tcp://host:8786\n"
               "then: hotspot-sim report results/<experiment>  (results/<experiment>-quick "
               "after --quick)")
    p.add_argument("file", metavar="NAME|TOML",
                   help="a shipped experiment's name ("
                        f"{', '.join(shipped_names('experiments'))}) or a TOML file")
    p.add_argument("--workers", "-j", type=positive_int(1024), default=1,
                   help="local worker processes (default 1); with --backend dask, the "
                        "LocalCluster size")
    p.add_argument("--backend", choices=("local", "dask"), default="local",
                   help="local processes, or Dask (a LocalCluster unless --scheduler is given)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="address of a running Dask scheduler (implies --backend dask)")
    p.add_argument("--quick", action="store_true",
                   help="the file's [quick] settings: few days and replications (for CI, "
                        "trying); written to results/<experiment>-quick")
    p.add_argument("--out", type=Path, help="results folder (default results/<experiment>)")
    p.add_argument("--fresh", action="store_true",
                   help="move the folder's old results aside to <folder>.old-<date-time> "
                        "(nothing is deleted) and start again")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_experiment)

    r = sub.add_parser(
        "report", help="summarise an experiment's results: intervals, change, trial statistics",
        description="Per arm: crimes and harm in total, at the hot spots, in catchment rings "
                    "and elsewhere, with mean and 95% interval across replications; % change "
                    "against the control arm (paired replications); the weighted displacement "
                    "quotient; cost-benefit; and for randomised designs the statistics the real "
                    "trial would report (Poisson GLM rate ratio, randomisation test). Writes "
                    "CSV, Markdown and PNG to <results>/report/.")
    r.add_argument("results", type=Path, help="results/<experiment> folder")
    r.add_argument("--control", help="control arm (default: the experiment's)")
    r.add_argument("--cost-per-hour", type=finite_float(0, 1e6), default=None,
                   help="fully loaded cost of one officer hour in pounds (default £40, an "
                        "assumption)")
    r.add_argument("--permutations", type=positive_int(1_000_000), default=999,
                   help="randomisation test draws")
    r.set_defaults(handler=cmd_report)

    w = sub.add_parser(
        "power", help="how many hot spots and days does a trial need?",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Estimate by simulation the probability that a trial's own analysis "
                    "(Poisson GLM with hot spot fixed effects, or a randomisation test) "
                    "detects the effect at alpha = 0.05, for each number of hot spots and days, "
                    "and print the smallest design reaching the target power (80%). Baseline "
                    "crimes per hot spot per day come from the scenario's real top-harm hot "
                    "spots (police.uk counts within 100 m).",
        epilog="designs: crossover (daily re-randomisation, Basford 2021 / Bland 2021),\n"
               "parallel (half the spots patrolled throughout, Sherman & Weisburd 1995),\n"
               "block (spots paired by baseline, one of each pair patrolled).\n"
               "--effect is the rate ratio on patrolled spot-days: 0.85 = 15% fewer crimes\n"
               "(Braga et al. 2019: mean effects of about 8-16%).")
    add_scenario_arg(w)
    w.add_argument("--design", choices=("crossover", "parallel", "block"), default="crossover")
    w.add_argument("--hotspots", default="10:40:10", type=range_arg(10_000),
                   help="range START:STOP:STEP or list a,b,c")
    w.add_argument("--days", default="30:180:30", type=range_arg(int(MAX_DAYS)),
                   help="range START:STOP:STEP or list a,b,c")
    w.add_argument("--effect", type=finite_float(0, 100, lo_open=True), default=0.85,
                   help="rate ratio (default 0.85)")
    w.add_argument("--alpha", type=finite_float(0, 0.5, lo_open=True), default=0.05)
    w.add_argument("--target", type=finite_float(0, 1, lo_open=True), default=0.8,
                   help="power wanted (default 0.8)")
    w.add_argument("--sims", type=positive_int(1_000_000), default=200,
                   help="simulated trials per cell")
    w.add_argument("--analysis", choices=("glm", "permutation"), default="glm")
    w.add_argument("--seed", type=seed_arg, default=0)
    w.add_argument("--out", type=Path, default=Path("results/power"),
                   help="folder for power.csv and power.png")
    w.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    w.set_defaults(handler=cmd_power)


def cmd_experiment(args) -> int:
    from .trial import load_experiment, move_aside, run_experiment

    exp = load_experiment(args.file)
    if args.quick:
        exp = exp.with_quick()
    # the quick version has its own folder: its short runs never mix with the full ones
    out = args.out or Path("results") / (f"{exp.name}-quick" if args.quick else exp.name)
    if args.fresh and (moved := move_aside(out)):
        print(f"moved the old results in {out} to {moved} (nothing deleted)")
    run_experiment(exp, out, workers=args.workers, scheduler=args.scheduler,
                   backend="dask" if args.scheduler else args.backend, progress=not args.quiet)
    print(f"results in {out}/ (runs.parquet, spotdays.parquet, manifest.json); next: "
          f"hotspot-sim report {out}")
    return 0


def cmd_report(args) -> int:
    from .trial import DEFAULT_COST_PER_OFFICER_HOUR, build_report

    cost = DEFAULT_COST_PER_OFFICER_HOUR if args.cost_per_hour is None else args.cost_per_hour
    text, _ = build_report(args.results, cost_per_hour=cost, control=args.control,
                           n_permutations=args.permutations)
    print(text)
    print(f"\n(tables, report.md and figures in {args.results / 'report'}/)")
    return 0


def cmd_power(args) -> int:
    from .checks import parse_range
    from .plots import plot_power
    from .progress import StepProgress
    from .settings import load_scenario
    from .study import load_study
    from .target import TargetSettings, target
    from .trial import power, smallest_adequate

    study = load_study(load_scenario(args.scenario))
    try:
        spots = target(study, TargetSettings(k=max(parse_range(args.hotspots, "--hotspots"))))
    except HotspotSimError as exc:  # more hot spots asked for than the data has
        raise type(exc)(f"--hotspots {args.hotspots}: {exc}") from None
    days_observed = 30.4 * len(study.months)
    rates = (spots["crimes"].to_numpy(float)) / days_observed
    with StepProgress(quiet=args.quiet, unit="cell") as progress:
        table = power(args.design, parse_range(args.hotspots, "--hotspots"),
                      parse_range(args.days, "--days"), rates, args.effect, alpha=args.alpha,
                      n_sims=args.sims, analysis=args.analysis, seed=args.seed,
                      progress=progress)
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(table, args.out / "power.csv")
    plot_power(table, args.out / "power.png", target=args.target)
    print(f"Power of a {args.design} trial to detect a rate ratio of {args.effect} "
          f"(alpha {args.alpha}, {args.sims} simulated trials per cell; baseline "
          f"{rates.mean():.2f} crimes per hot spot per day from {study.scenario.scenario.name})")
    pivot = table.pivot(index="hotspots", columns="days", values="power")
    print(pivot.map(lambda v: f"{100 * v:5.0f}%").to_string())
    best = smallest_adequate(table, args.target)
    if best is None:
        print(f"\nNo design in the grid reaches {100 * args.target:.0f}% power: widen the ranges "
              "or expect a larger effect.")
    else:
        print(f"\nSmallest design with >= {100 * args.target:.0f}% power: "
              f"{int(best['hotspots'])} hot spots for {int(best['days'])} days "
              f"(power {100 * best['power']:.0f}%).")
    print(f"(table and figure in {args.out}/)")
    return 0


# --------------------------------------------------------------------------- calibrate


def add_calibrate_command(sub) -> None:
    p = sub.add_parser(
        "calibrate", help="fit risk parameters to the observed police.uk crime",
        description="Fit risk.base_rate, risk.background_share and offenders.attractor_exponent with "
                    "Nelder-Mead so that a run with no dedicated patrol matches the observed data: "
                    "monthly volume per crime type (+-10%), the share of places holding 50% of "
                    "incidents (+-20% relative) and the rank correlation of incidents per 500 m "
                    "cell, after a warm-up. Writes a calibrated scenario TOML (use it with --scenario) and the fit "
                    "statistics as JSON.")
    add_scenario_arg(p)
    p.add_argument("--days", type=days_arg, default=60.0, help="simulated days per evaluation")
    p.add_argument("--evaluations", type=positive_int(10_000), default=40,
                   help="most model runs to try")
    p.add_argument("--warmup", type=finite_float(0, MAX_DAYS), default=28.0,
                   help="days simulated before measuring (near repeats build up; default 28)")
    p.add_argument("--out", type=Path, default=Path("results/calibrated"),
                   help="folder for <scenario>.toml and <scenario>_fit.json")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args) -> int:
    from .validation.calibrate import calibrate, format_fit, write_fit
    from .progress import StepProgress
    from .settings import load_scenario
    from .study import load_study

    scenario = load_scenario(args.scenario)
    study = load_study(scenario)
    with StepProgress(quiet=args.quiet) as progress:
        fit = calibrate(scenario, study, days=args.days, max_evaluations=args.evaluations,
                        progress=progress, warmup_days=args.warmup)
    toml_path, json_path = write_fit(fit, scenario, args.out)
    print(format_fit(fit))
    print(f"\ncalibrated scenario: {toml_path}\nfit statistics: {json_path}")
    return 0


# --------------------------------------------------------------------------- validate, sensitivity


def add_validate_commands(sub) -> None:
    p = sub.add_parser(
        "validate", help="compare the model with the published evidence (pass/fail report)",
        description="Run small experiments (no patrol, random, Koper; Koper dwell 2-30 minutes; a "
                    "daily crossover) and compare the model with the published research (Braga "
                    "et al. 2019, Koper 1995, Barnes et al. 2020, Weisburd 2015, Mohler et al. "
                    "2015): "
                    "patrol effect against control, diffusion or displacement, best visit length, "
                    "how long deterrence lasts, concentration, out-of-sample targeting. Each row "
                    "has a tolerance, PASS/FAIL and an explanation where the model differs. Writes "
                    "validation.md, validation.html and validation.csv.")
    add_scenario_arg(p)
    p.add_argument("--days", type=days_arg, default=30.0, help="simulated days per run")
    p.add_argument("--replications", type=positive_int(10_000), default=4)
    p.add_argument("--workers", "-j", type=positive_int(1024), default=1)
    p.add_argument("--quick", action="store_true", help="3 days, 1 replication (a smoke test)")
    p.add_argument("--out", type=Path, default=Path("results/validation"))
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=cmd_validate)

    q = sub.add_parser(
        "sensitivity", help="does 'Koper beats random' hold across uncertain parameters?",
        description="Morris elementary-effects screening (SALib) over deterrence decay, carry-over "
                    "days, displacement, presence effect and offender numbers: at each design point "
                    "random patrol and hotspot_koper run with the same seed. Prints the Morris "
                    "indices and the share of points where Koper beats random; writes CSV and "
                    "sensitivity.png.")
    add_scenario_arg(q)
    q.add_argument("--trajectories", type=number_arg(2, 10_000, integer=True), default=4,
                   help="Morris trajectories (default 4, at least 2)")
    q.add_argument("--days", type=days_arg, default=14.0)
    q.add_argument("--seed", type=seed_arg, default=1)
    q.add_argument("--out", type=Path, default=Path("results/sensitivity"))
    q.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    q.set_defaults(handler=cmd_sensitivity)


def cmd_validate(args) -> int:
    from .progress import StepProgress
    from .validation.validate import run_validation

    days, reps = (3.0, 1) if args.quick else (args.days, args.replications)
    with StepProgress(quiet=args.quiet) as progress:
        checks = run_validation(args.scenario, args.out, days=days, replications=reps,
                                workers=args.workers, progress=progress)
    for c in checks:
        flag = {True: "PASS", False: "FAIL", None: "n/a "}[c.passed]
        print(f"[{flag}] {c.name}\n       model: {c.model}\n       evidence: {c.evidence}"
              f"\n       tolerance: {c.tolerance}" + (f"\n       why: {c.explanation}"
                                                        if c.explanation else ""))
    print(f"\nreport: {args.out / 'validation.md'} and {args.out / 'validation.html'}")
    return 0


def cmd_sensitivity(args) -> int:
    from .progress import StepProgress
    from .validation.sensitivity import run_sensitivity
    from .wording import for_people

    with StepProgress(quiet=args.quiet, unit="point") as progress:
        points, indices = run_sensitivity(args.scenario, args.out, args.trajectories, args.days,
                                          args.seed, progress=progress)
    print(for_people(indices).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    share = points["koper_beats_random"].mean()
    print(f"\nKoper beats random patrol at hot spots at {100 * share:.0f}% of {len(points)} design "
          f"points (median change {points['koper_vs_random_pct'].median():+.1f}%).")
    print(f"(points, indices and sensitivity.png in {args.out}/)")
    return 0


# --------------------------------------------------------------------------- target

TARGET_EPILOG = """\
what the terms mean:
  rank-by     harm      = Cambridge Crime Harm Index days (a robbery weighs 365, a
                          shoplifting 1; Sherman 2013 ranks places by harm);
              count     = number of crimes (ASB incidents excluded);
              composite = harm + w_asb x ASB incidents (the Hertfordshire harm index
                          counts ASB incidents; 1 day each by default).
              Scores are summed over each candidate's catchment (--radius).
  separation  no two hot spot centres closer than this (300 m = two 100 m catchments
              plus a 100 m buffer, so patrols at one do not spill into another).
  hit rate    share of later (test-month) crimes that fell in the places chosen
              from earlier (training) months.
  PAI         Predictive Accuracy Index = hit rate / area share, where area share
              is the chosen places' share of total street length. PAI 10 at 1%
              means 1% of the streets held 10% of the next months' crime; PAI 1 is
              no better than chance.
  methods     count, harm: totals per place over the training months;
              prospective: Bowers et al. (2004) near-repeat weighting of recent
              crime (monthly dates only, so only the last ~8 weeks count);
              last_month: counts in the last training month (naive baseline).

examples:
  hotspot-sim target -k 20 --rank-by harm
  hotspot-sim target --train-months 2021-01:2021-07 --test-months 2021-08:2021-10
  hotspot-sim target --window 18:00-02:00 --out results/target --json
"""


def add_target_command(sub) -> None:
    p = sub.add_parser(
        "target", help="choose hot spots by harm, show the power few, check out of sample",
        description="Target (Sherman 2013): rank street places by crime harm, choose K hot\n"
                    "spots at least a minimum distance apart, show how concentrated harm is,\n"
                    "and check out of sample whether places picked on earlier months still\n"
                    "hold crime later (hit rate and PAI per method at 1/2/5% of street\n"
                    "length). Writes hotspots.csv, hotspots.geojson (EPSG:4326 points),\n"
                    "hotspots.gpkg (points and catchments, EPSG:27700, for QGIS/ArcGIS) and\n"
                    "out_of_sample.csv to --out.",
        epilog=TARGET_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_scenario_arg(p)
    p.add_argument("-k", type=positive_int(10_000), default=20,
                   help="hot spots to choose (default 20)")
    p.add_argument("--rank-by", choices=("harm", "count", "composite"), default="harm",
                   help="what to rank places by (default harm; see below)")
    p.add_argument("--min-separation", type=finite_float(0, 10_000), default=300.0, metavar="M",
                   help="smallest distance between hot spot centres in metres (default 300)")
    p.add_argument("--radius", type=finite_float(0, 5000), default=100.0, metavar="M",
                   help="hot spot catchment radius in metres (default 100)")
    p.add_argument("--level", choices=("node", "micro"), default="node",
                   help="candidate places: street nodes with their catchment, or 125 m "
                        "micro-places (default node)")
    p.add_argument("--w-asb", type=finite_float(0, 1e6), default=None, metavar="DAYS",
                   help="harm days per ASB incident in the composite score (default: the "
                        "scenario's crime.asb_weight_in_index)")
    p.add_argument("--window", action="append", default=[], metavar="HH:MM-HH:MM",
                   help="time-of-day patrol window stored with the hot spots, e.g. "
                        "18:00-02:00 (once for all, or once per hot spot)")
    p.add_argument("--train-months", metavar="FIRST:LAST",
                   help="months to choose places on (default: all but the last 3)")
    p.add_argument("--test-months", metavar="FIRST:LAST",
                   help="later months to score them on (default: the last 3)")
    p.add_argument("--out", default="results/target", metavar="DIR",
                   help="folder for the output files (default results/target)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON instead")
    p.set_defaults(handler=cmd_target)


def cmd_target(args) -> int:
    from . import target as tg
    from .errors import ConfigError
    from .settings import load_scenario
    from .study import load_study

    study = load_study(load_scenario(args.scenario))
    w_asb = study.scenario.crime.asb_weight_in_index if args.w_asb is None else args.w_asb
    settings = tg.TargetSettings(k=args.k, min_separation_m=args.min_separation,
                                 radius_m=args.radius, rank_by=args.rank_by, w_asb=w_asb,
                                 level=args.level, windows=tuple(args.window))
    table = tg.target(study, settings)
    totals = tg.place_totals(study, args.level, settings.cell_m, "harm")
    power = {f"top_{p}pct": tg.share_of_total_in_top(totals, p) for p in (1, 5)}
    if (args.train_months is None) != (args.test_months is None):
        raise ConfigError("give both --train-months and --test-months, or neither")
    if args.train_months:
        train = tg.parse_months(args.train_months, study.months, "--train-months")
        test = tg.parse_months(args.test_months, study.months, "--test-months")
    else:
        train, test = tg.default_split(study.months)
    oos = tg.out_of_sample(study, train, test, level=args.level, w_asb=w_asb)
    files = tg.write_hotspots(table, args.out)
    lsoa_map = study.lsoa_harm_map()
    if lsoa_map is not None:
        files.update(tg.write_lsoa_harm(lsoa_map, args.out))
    files["out_of_sample"] = Path(args.out) / "out_of_sample.csv"
    write_csv(oos, files["out_of_sample"])
    if args.json:
        print(json.dumps({"hotspots": json.loads(table.to_json(orient="records")),
                          "power_few_harm": power, "places": int(len(totals)),
                          "train_months": train, "test_months": test,
                          "out_of_sample": json.loads(oos.to_json(orient="records")),
                          "files": {k: str(v) for k, v in files.items()}}, indent=2))
    else:
        print(format_target(study, settings, table, power, len(totals), oos, files))
    return 0


def format_target(study, s, table, power, n_places, oos, files) -> str:
    unit = "street nodes" if s.level == "node" else f"{s.cell_m:.0f} m micro-places"
    out = [f"Scenario {study.scenario.scenario.name}: {len(table)} hot spots ranked by "
           f"{s.rank_by} over {study.months[0]} to {study.months[-1]} "
           f"(catchment {s.radius_m:.0f} m, at least {s.min_separation_m:.0f} m apart)", "",
           f"  {'id':>3} {'crimes':>6} {'ASB':>4} {'harm':>9}  {'LSOA':<10} location"]
    for r in table.itertuples():
        window = f"  [{r.window}]" if r.window else ""
        out.append(f"  {r.hotspot_id:>3} {r.crimes:>6} {r.asb:>4} {r.harm:>9,.1f}  "
                   f"{str(r.lsoa):<10} {r.location}{window}")
    out += ["", f"Power few: the top 1% of {n_places:,} {unit} hold {100 * power['top_1pct']:.1f}% "
            f"of harm, the top 5% hold {100 * power['top_5pct']:.1f}%", "",
            "Out of sample: places chosen on training months, crimes of later months",
            f"  {'method':<12} {'coverage':>8} {'places':>6} {'hit rate':>8} "
            f"{'harm hit':>8} {'PAI':>6}"]
    for r in oos.itertuples():
        out.append(f"  {r.method:<12} {100 * r.coverage:>7.0f}% {r.n_places:>6} "
                   f"{100 * r.hit_rate:>7.1f}% {100 * r.harm_hit_rate:>7.1f}% {r.pai:>6.1f}")
    out += ["  (coverage and PAI by share of street length; PAI = hit rate / area share)", "",
            "Wrote " + ", ".join(str(p) for p in files.values())]
    return "\n".join(out)


# --------------------------------------------------------------------------- track

TRACK_EPILOG = """\
external files (CSV, header row, column names case-insensitive):
  --gps       officer, time, x, y   (or lon, lat instead of x, y) [, status]
              officer: any id; time: ISO date-time, e.g. 2021-11-05T18:30:00
              (times with a UTC offset are converted to UK local time);
              x, y: British National Grid (EPSG:27700) metres; lon, lat: WGS84
              degrees. status (optional): 'answering_call' pings count as
              minutes lost to calls, 'off_duty' pings as off duty.
              One row per ping; the ping interval is each officer's median gap.
  --hotspots  hotspot_id, x, y      (or lon, lat) [, radius_m, location, ...]
  --crimes    time, x, y            (or lon, lat) [, crime_type, harm]
              harm = Cambridge Crime Harm Index days (default: looked up from
              the police.uk crime_type).
  --plan      day or date, hotspot_id, planned_minutes [, treated]
  Errors name the file, the line (header = line 1) and the column.
  radius_m in --hotspots gives each hot spot its radius; --radius overrides it
  (with a warning where they differ).

checks that the files belong together:
  errors      swapped lon/lat, degrees in x, y or metres in lon, lat; no ping or
              no crime within 5 km of the hot spots; no ping within any hot
              spot's radius (a dose of 0 would not be a measurement); no crime
              in the GPS period; plan hot spot ids not in --hotspots
  warnings    (counted, with lines; also in warnings.csv) pings or crimes over
              5 km from the hot spots (kept); pings dated over 30 days apart
              from the bulk (left out: they would stretch the period); crimes
              or planned days outside the GPS period (left out); crime types
              with no harm weight (counted as crimes, no harm)

what is measured:
  visit       consecutive pings of one officer within --radius of a hot spot
              (a gap over 2 minutes, or 1.5 ping intervals, ends it)
  dose        minutes present per hot spot per day (Ariel et al. 2016: 37 vs 16
              min/day at treatment vs control spots)
  compliance  delivered / planned minutes; share of planned spot-days with at
              least 80% of the plan (Basford et al. 2021: 98%)
  residual    Kaplan-Meier crime-free time after police leave, by visit length
  deterrence  (Koper 1995: ~15% crime within 30 min after a drive-by, ~4%
              after a 10-16 minute stop)

examples:
  hotspot-sim run --policy hotspot_koper --days 7 --out results/runs/koper
  hotspot-sim track results/runs/koper
  hotspot-sim track --gps pings.csv --hotspots hotspots.csv --crimes crimes.csv --out track/
"""


def add_track_command(sub) -> None:
    p = sub.add_parser(
        "track", help="measure the patrol dose delivered, from GPS pings",
        description="Track (Sherman 2013): from officers' GPS pings, find visits to the hot\n"
                    "spots, the dose (minutes present) per hot spot per day, compliance with\n"
                    "the planned dose, minutes lost to calls, residual deterrence after each\n"
                    "visit (Koper curve) and crime in the hot spots, their rings and\n"
                    "elsewhere. Reads a run folder (gps.parquet, hotspots.parquet,\n"
                    "crimes.parquet, dose_plan.parquet) and/or a real trial's CSV exports.\n"
                    "Writes the tables as CSV and survival.png to RUN_DIR/track/ or --out.",
        epilog=TRACK_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", nargs="?", type=Path, metavar="RUN_DIR",
                   help="run folder written by 'hotspot-sim run' (optional with --gps and "
                        "--hotspots)")
    p.add_argument("--radius", type=finite_float(0, 5000, lo_open=True), default=None,
                   metavar="M", help="hot spot radius in metres for every hot spot, overriding "
                                     "a radius_m column (default: the hot spots' radius_m, "
                                     "else 100)")
    p.add_argument("--gps", type=Path, metavar="FILE.csv", help="GPS pings (see below)")
    p.add_argument("--hotspots", type=Path, metavar="FILE.csv", help="hot spots (see below)")
    p.add_argument("--crimes", type=Path, metavar="FILE.csv", help="crimes with times (see below)")
    p.add_argument("--plan", type=Path, metavar="FILE.csv", help="planned dose (see below)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default RUN_DIR/track, or results/track)")
    p.set_defaults(handler=cmd_track)


def cmd_track(args) -> int:
    from . import track as tr
    from .errors import ConfigError

    if args.run_dir is None and (args.gps is None or args.hotspots is None):
        raise ConfigError("track: give a RUN_DIR, or both --gps and --hotspots")
    if args.radius is not None and not args.radius > 0:
        raise ConfigError(f"--radius must be > 0, got {args.radius}")
    gps = tr.read_gps_csv(args.gps) if args.gps else None
    # day 0 of the GPS, ignoring stray times (track_frames leaves them out, with a warning)
    origin = tr.day_origin(gps["time"][~tr.stray_times(gps["time"])]) if gps is not None \
        else None
    hotspots = tr.read_hotspots_csv(args.hotspots) if args.hotspots else None
    crimes = tr.read_crimes_csv(args.crimes, origin) if args.crimes else None
    plan = tr.read_plan_csv(args.plan, origin) if args.plan else None
    if args.run_dir is not None:
        tables = tr.track_run(args.run_dir, args.radius, gps=gps, hotspots=hotspots,
                              crimes=crimes, plan=plan)
    else:
        tables = tr.track_frames(gps, hotspots, crimes, plan, args.radius, origin=origin)
    out = args.out or (args.run_dir / "track" if args.run_dir is not None
                       else Path("results") / "track")
    for message in tables["warnings"]["message"]:
        print(f"hotspot-sim: warning: {message}", file=sys.stderr)
    files = tr.write_tables(tables, out)
    if "survival" in tables:
        from .plots import plot_survival

        files["survival.png"] = plot_survival(tables["survival"], Path(out) / "survival.png")
    print(tr.format_track(tables, args.radius))
    print(f"\nWrote {len(files)} files to {out}/ (" + ", ".join(p.name for p in files.values())
          + ")")
    return 0


# --------------------------------------------------------------------------- view


def add_view_command(sub) -> None:
    p = sub.add_parser(
        "view", help="watch the model run live in a web browser (Mesa SolaraViz)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Start a local web server with a live view of the patrol model: a map of "
                    "the street network with a risk or deterrence heat layer, officers by "
                    "status, offenders and the last 24 h of crime, plus charts per day. The "
                    "sidebar has Step / Play / Reset and the policy, officers, offenders and "
                    "seed (applied on Reset).",
        epilog="Then open http://HOST:PORT/ in a browser (http://127.0.0.1:8765/ by default).\n"
               "The first page load takes a few seconds while the data loads. Ctrl-C stops "
               "the server.\nOn a remote machine: ssh -L 8765:127.0.0.1:8765 HOST, then open "
               "http://127.0.0.1:8765/ locally.")
    add_scenario_arg(p)
    p.add_argument("--policy", "-p", help="initial policy (default: the scenario's)")
    p.add_argument("--port", type=number_arg(1, 65535, integer=True), default=8765,
                   help="port to listen on (default 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    p.set_defaults(handler=cmd_view)


def cmd_view(args) -> int:
    import os
    import subprocess

    from .errors import ConfigError
    from .sim.policies import get_policy
    from .settings import load_scenario

    scenario = Path(args.scenario).resolve()
    load_scenario(scenario)  # a bad scenario fails here with one clear line
    if args.policy:
        get_policy(args.policy)
    from .sim.app_assets import ensure_assets

    try:  # the page's web assets, kept locally so the page works without the CDN
        assets = ensure_assets()
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"cannot fetch the web page's assets (npm packages): {exc}") from exc
    env = dict(os.environ, HOTSPOT_SIM_LIVE_SCENARIO=str(scenario),
               SOLARA_ASSETS_PROXY_CACHE_DIR=str(assets),
               SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", MPLBACKEND="Agg")
    if args.policy:
        env["HOTSPOT_SIM_LIVE_POLICY"] = args.policy
    cmd = [sys.executable, "-m", "solara", "run", "hotspot_sim.sim.app:Page", "--production",
           "--no-open", "--port", str(args.port), "--host", args.host]
    print(f"hotspot-sim view: serving {scenario.name} at http://{args.host}:{args.port}/ "
          "(Ctrl-C to stop)", flush=True)
    if hasattr(os, "execvpe"):
        os.execvpe(cmd[0], cmd, env)  # the server replaces this process: signals reach it
    try:  # pragma: no cover - platforms without exec
        return subprocess.call(cmd, env=env)
    except FileNotFoundError as exc:  # pragma: no cover
        raise ConfigError(f"cannot start the solara server: {exc}") from exc


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
