"""Checking the model: ``hotspot-sim calibrate``, ``validate`` and ``sensitivity``."""

from __future__ import annotations

from pathlib import Path

from ..checks import MAX_DAYS
from .args import add_scenario_arg, days_arg, finite_float, number_arg, positive_int, seed_arg


def add_calibrate_command(sub) -> None:
    """Add ``calibrate``."""
    p = sub.add_parser(
        "calibrate", help="fit risk parameters on training months, score them on held-out months",
        description="Fit risk.base_rate, risk.background_share and offenders.attractor_exponent "
                    "(Nelder-Mead), then risk.type_weights, so that runs with no dedicated patrol "
                    "match the observed police.uk crime of the training months: monthly volume "
                    "per crime type, the share of places holding 50% of incidents and the rank "
                    "correlation of incidents per 500 m cell, after a warm-up. Every evaluation "
                    "averages the same seeds (common random numbers). The model is built from "
                    "the training months only and then scored on the held-out months (volume "
                    "+-10%, concentration +-20%, crime types with >= 30 events +-25%), and its "
                    "simulated crime is scored as a forecast of them (hit rate and PAI, as "
                    "'target'). Writes a calibrated scenario TOML (use it with --scenario) and "
                    "the fit as JSON, with the model's code version.")
    add_scenario_arg(p)
    p.add_argument("--train", default=None, metavar="FIRST:LAST",
                   help="training months (default: the scenario's months but the last 3)")
    p.add_argument("--heldout", default=None, metavar="FIRST:LAST",
                   help="held-out months, after the training months (default: the last 3; "
                        "'' holds none out)")
    p.add_argument("--days", type=days_arg, default=45.0, help="simulated days per run")
    p.add_argument("--seeds", type=positive_int(1000), default=5,
                   help="runs per evaluation, the same seeds in each (default 5)")
    p.add_argument("--evaluations", type=positive_int(10_000), default=30,
                   help="most Nelder-Mead evaluations to try")
    p.add_argument("--warmup", type=finite_float(0, MAX_DAYS), default=28.0,
                   help="days simulated before measuring (near repeats build up; default 28)")
    p.add_argument("--workers", "-j", type=positive_int(1024), default=1,
                   help="processes running an evaluation's seeds side by side")
    p.add_argument("--out", type=Path, default=Path("results/calibrated"),
                   help="folder for <scenario>.toml and <scenario>_fit.json")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args) -> int:
    """Fit the risk parameters on the training months; write and print the fit."""
    from ..progress import StepProgress
    from ..settings import load_scenario
    from ..study import load_study
    from ..validation.calibrate import calibrate, format_fit, write_fit

    scenario = load_scenario(args.scenario)
    study = load_study(scenario)
    with StepProgress(quiet=args.quiet) as progress:
        fit = calibrate(scenario, study, days=args.days, max_evaluations=args.evaluations,
                        progress=progress, warmup_days=args.warmup, train=args.train,
                        heldout=args.heldout, seeds=args.seeds, workers=args.workers)
    toml_path, json_path = write_fit(fit, scenario, args.out)
    print(format_fit(fit))
    print(f"\ncalibrated scenario: {toml_path}\nfit statistics: {json_path}")
    return 0


def add_validate_command(sub) -> None:
    """Add ``validate``."""
    p = sub.add_parser(
        "validate", help="hold the model up against the published evidence, with negative "
                         "controls that must fail",
        description="Pattern-oriented validation (Grimm et al. 2005). PREDICTIONS compare the "
                    "model with evidence not used to set any parameter: the published trials "
                    "simulated with their own designs and statistics (Southend, Bedfordshire, "
                    "Armadale, Minneapolis, the Kansas City patrol experiment), concentration on "
                    "held-out months and the model as a forecaster. Rows that REPRODUCE AN INPUT "
                    "(Koper's visit length and post-visit curve, Barnes's carry-over, the effect "
                    "size deterrence was tuned to, diffusion) are never counted as passes. Every "
                    "row also runs a NEGATIVE CONTROL, the model with the mechanism under test "
                    "removed, which must fail. Verdicts use the model's 95% interval against "
                    "the evidence's; with too few events a row says so. Writes validation.md, "
                    "validation.html, validation.csv, inputs.csv and the tables into --out. The "
                    "full run takes about 30-60 minutes on 2 workers; --quick is a smoke test "
                    "in which most rows cannot be judged.")
    add_scenario_arg(p)
    p.add_argument("--days", type=days_arg, default=None,
                   help="simulated days per run of the effect, visit-length, carry-over and "
                        "concentration runs (default 30, --quick 7; published trials use their "
                        "own lengths)")
    p.add_argument("--replications", type=positive_int(10_000), default=None,
                   help="replications per arm (default 4, --quick 3; the carry-over check uses "
                        "three times as many, at least 8)")
    p.add_argument("--workers", "-j", type=positive_int(1024), default=1)
    p.add_argument("--quick", action="store_true",
                   help="7 days and 3 replications unless given, short published trials (a "
                        "smoke test: most rows say 'not enough events to judge')")
    p.add_argument("--out", type=Path, default=Path("results/validation"))
    p.add_argument("--docs", type=Path, default=None, metavar="FILE",
                   help="also write the report's Markdown to FILE (the project's "
                        "docs/validation.md is made this way from a full run)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=cmd_validate)


def add_sensitivity_command(sub) -> None:
    """Add ``sensitivity``."""
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
    """Run the validation experiments; print each check and where the report is."""
    from ..progress import StepProgress
    from ..validation.evidence import format_check
    from ..validation.report import summary_line
    from ..validation.validate import run_validation

    days = args.days if args.days is not None else (7.0 if args.quick else 30.0)
    reps = args.replications or (3 if args.quick else 4)
    with StepProgress(quiet=args.quiet) as progress:
        checks = run_validation(args.scenario, args.out, days=days, replications=reps,
                                workers=args.workers, progress=progress, quick=args.quick)
    for c in checks:
        print(format_check(c))
    print(f"\n{summary_line(checks)}")
    print(f"report: {args.out / 'validation.md'} and {args.out / 'validation.html'}")
    if args.docs:
        command = "hotspot-sim validate" + (" --quick" if args.quick else "") + \
            f" --days {days:g} --replications {reps} --workers {args.workers}"
        args.docs.write_text(f"<!-- generated by `{command} --docs {args.docs}`: do not edit -->\n"
                             + (args.out / "validation.md").read_text())
        print(f"copied to {args.docs}")
    return 0


def cmd_sensitivity(args) -> int:
    """Run the Morris screening; print the indices and how often Koper wins."""
    from ..progress import StepProgress
    from ..validation.sensitivity import run_sensitivity
    from ..wording import for_people

    with StepProgress(quiet=args.quiet, unit="point") as progress:
        points, indices = run_sensitivity(args.scenario, args.out, args.trajectories, args.days,
                                          args.seed, progress=progress)
    print(for_people(indices).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    share = points["koper_beats_random"].mean()
    print(f"\nKoper beats random patrol at hot spots at {100 * share:.0f}% of {len(points)} design "
          f"points (median change {points['koper_vs_random_pct'].median():+.1f}%).")
    print(f"(points, indices and sensitivity.png in {args.out}/)")
    return 0
