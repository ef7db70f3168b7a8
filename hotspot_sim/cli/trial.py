"""The Test: ``hotspot-sim experiment``, ``report`` and ``power``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..checks import MAX_DAYS, parse_range
from ..errors import HotspotSimError
from ..locations import shipped_names
from .args import (add_fresh_arg, add_parallel_args, add_scenario_arg, finite_float,
                   positive_int, range_arg, seed_arg)


def add_experiment_command(sub) -> None:
    """Add ``experiment``."""
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
    add_parallel_args(p, "local worker processes (default 1); with --backend dask, the "
                         "LocalCluster size")
    p.add_argument("--quick", action="store_true",
                   help="the file's [quick] settings: few days and replications (for CI, "
                        "trying); written to results/<experiment>-quick")
    p.add_argument("--out", type=Path, help="results folder (default results/<experiment>)")
    add_fresh_arg(p, "results")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_experiment)


def add_report_command(sub) -> None:
    """Add ``report``."""
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


def add_power_command(sub) -> None:
    """Add ``power``."""
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
    """Run (or resume) an experiment file and say where its results are."""
    from ..trial import load_experiment, move_aside, run_experiment

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
    """Summarise an experiment's results and print the report."""
    from ..trial import DEFAULT_COST_PER_OFFICER_HOUR, build_report

    cost = DEFAULT_COST_PER_OFFICER_HOUR if args.cost_per_hour is None else args.cost_per_hour
    text, _ = build_report(args.results, cost_per_hour=cost, control=args.control,
                           n_permutations=args.permutations)
    print(text)
    print(f"\n(tables, report.md and figures in {args.results / 'report'}/)")
    return 0


def cmd_power(args) -> int:
    """Estimate a trial's power by simulation; write and print the grid."""
    from ..plots import plot_power
    from ..progress import StepProgress
    from ..settings import load_scenario
    from ..study import load_study
    from ..target import TargetSettings, target
    from ..trial import power

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
    from ..io import write_csv  # pandas: only for the commands that write tables

    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(table, args.out / "power.csv")
    plot_power(table, args.out / "power.png", target=args.target)
    print(format_power(args, table, rates.mean(), study.scenario.scenario.name))
    print(f"(table and figure in {args.out}/)")
    return 0


def format_power(args, table, baseline: float, scenario_name: str) -> str:
    """The power grid (hot spots x days) and the smallest design reaching the target."""
    from ..trial import smallest_adequate

    out = [f"Power of a {args.design} trial to detect a rate ratio of {args.effect} "
           f"(alpha {args.alpha}, {args.sims} simulated trials per cell; baseline "
           f"{baseline:.2f} crimes per hot spot per day from {scenario_name})"]
    pivot = table.pivot(index="hotspots", columns="days", values="power")
    out.append(pivot.map(lambda v: f"{100 * v:5.0f}%").to_string())
    best = smallest_adequate(table, args.target)
    if best is None:
        out.append(f"\nNo design in the grid reaches {100 * args.target:.0f}% power: widen the "
                   "ranges or expect a larger effect.")
    else:
        out.append(f"\nSmallest design with >= {100 * args.target:.0f}% power: "
                   f"{int(best['hotspots'])} hot spots for {int(best['days'])} days "
                   f"(power {100 * best['power']:.0f}%).")
    return "\n".join(out)
