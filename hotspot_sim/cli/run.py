"""``hotspot-sim run`` (one simulated policy) and ``hotspot-sim track`` (the dose delivered)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..checks import MAX_DAYS
from ..errors import ConfigError
from ..locations import data_source
from .args import add_scenario_arg, days_arg, finite_float, parse_assignments, seed_arg


def add_run_command(sub) -> None:
    """Add ``run``."""
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
    from ..sim.policies import REGISTRY

    lines = ["policies (--policy NAME):"]
    for name, cls in REGISTRY.items():
        doc = (cls.__doc__ or "").strip().splitlines()
        lines.append(f"  {name:<16} {doc[0].replace('``', '') if doc else ''}")
    lines.append("  or 'package.module:ClassName' for your own (see hotspot_sim/policies/base.py).")
    return "\n".join(lines)


def cmd_run(args) -> int:
    """Simulate one policy, write the run folder and print the headline figures."""
    import tempfile

    from ..io import check_run_folder
    from ..settings import load_scenario

    scenario = load_scenario(args.scenario)
    overrides = parse_assignments(args.set, "--set")
    if args.seed is not None:
        overrides["scenario.seed"] = args.seed
    if overrides:
        scenario = scenario.replace(overrides)
    params = parse_assignments(args.param, "--param") if args.param else None
    if params is not None:  # a bad --param fails now, not after the data has loaded
        from ..sim.policies import get_policy

        get_policy(args.policy or scenario.policy.name).check_params(params)
    if args.out is not None:  # refuse before the data loads (the default name needs the model)
        check_run_folder(args.out, args.overwrite)
    # The logs stream to parquet next to the run folder while the model runs, so a long
    # run's memory does not grow with its days; the folder goes once the run is written.
    logs_parent = args.out.parent if args.out is not None else Path("results") / "runs"
    logs_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".logs-", dir=logs_parent) as log_dir:
        return _run_and_write(args, scenario, params, Path(log_dir))


def _run_and_write(args, scenario, params: dict | None, log_dir: Path) -> int:
    """The body of :func:`cmd_run` once the inputs are checked: logs stream to ``log_dir``."""
    import time

    from ..io import check_run_folder, holds_same_run
    from ..sim.model import PatrolModel
    from ..sim.outputs import format_summary, write_run

    started = time.perf_counter()
    model = PatrolModel(scenario, policy=args.policy, policy_params=params, log_dir=log_dir)
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
    print(format_next_steps(out))
    return 0


def format_next_steps(out: Path) -> str:
    """Where the run folder is and the commands that come next."""
    return (f"\nRun folder: {out}/ (every table as parquet, run.json, scenario.json)\n"
            f"Next:\n  hotspot-sim track {out}\n      # dose per hot spot and day from the GPS "
            "log, residual deterrence, displacement\n"
            "  hotspot-sim experiment policy_comparison --quick\n"
            "      # policies against no patrol with 95% intervals; then 'hotspot-sim report "
            "results/policy_comparison-quick'")


def format_dose_headline(model, days: float) -> str:
    """The patrol dose delivered, read from the run's GPS log as ``track`` reads it."""
    from ..sim.tables import gps_visits
    from ..track import DEFAULT_RADIUS_M

    hotspots = model.policy.outputs().get("hotspots")
    if hotspots is None or not len(hotspots):
        return f"  dose: policy {model.policy_name!r} patrols no hot spots (no dose to measure)"
    v = gps_visits(model, hotspots, DEFAULT_RADIUS_M)
    per_spot_day = v["minutes"].sum() / (len(hotspots) * max(days, 1e-9))
    return (f"  dose delivered (GPS, within {DEFAULT_RADIUS_M:g} m): {len(v):,} visits to "
            f"{v['hotspot_id'].nunique()} of {len(hotspots)} hot spots, "
            f"{v['minutes'].sum():,.0f} officer minutes, {per_spot_day:.0f} min per hot spot a "
            f"day; {int((v['minutes'] >= 10).sum()):,} visits of 10 min or more (Koper 1995)")


def progress_bar(total: int, desc: str, unit: str = "it", quiet: bool = False):
    """A tqdm bar on stderr (off with ``quiet``, and when stderr is not a terminal)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=quiet or None, leave=False,
                dynamic_ncols=True)


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
    """Add ``track``."""
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
    """Measure the dose delivered from GPS pings; write the tables and print them."""
    from .. import track as tr

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
        from ..plots import plot_survival

        files["survival.png"] = plot_survival(tables["survival"], Path(out) / "survival.png")
    print(tr.format_track(tables, args.radius))
    print(f"\nWrote {len(files)} files to {out}/ (" + ", ".join(p.name for p in files.values())
          + ")")
    return 0
