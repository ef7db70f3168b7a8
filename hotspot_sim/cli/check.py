"""Checking the model: ``hotspot-sim calibrate``, ``validate`` and ``sensitivity``."""

from __future__ import annotations

from pathlib import Path

from ..checks import MAX_DAYS
from .args import add_scenario_arg, days_arg, finite_float, number_arg, positive_int, seed_arg


def add_calibrate_command(sub) -> None:
    """Add ``calibrate``."""
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
    """Fit the risk parameters to the observed data; write and print the fit."""
    from ..progress import StepProgress
    from ..settings import load_scenario
    from ..study import load_study
    from ..validation.calibrate import calibrate, format_fit, write_fit

    scenario = load_scenario(args.scenario)
    study = load_study(scenario)
    with StepProgress(quiet=args.quiet) as progress:
        fit = calibrate(scenario, study, days=args.days, max_evaluations=args.evaluations,
                        progress=progress, warmup_days=args.warmup)
    toml_path, json_path = write_fit(fit, scenario, args.out)
    print(format_fit(fit))
    print(f"\ncalibrated scenario: {toml_path}\nfit statistics: {json_path}")
    return 0


def add_validate_command(sub) -> None:
    """Add ``validate``."""
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
    from ..validation.validate import run_validation

    days, reps = (3.0, 1) if args.quick else (args.days, args.replications)
    with StepProgress(quiet=args.quiet) as progress:
        checks = run_validation(args.scenario, args.out, days=days, replications=reps,
                                workers=args.workers, progress=progress)
    for c in checks:
        print(format_check(c))
    print(f"\nreport: {args.out / 'validation.md'} and {args.out / 'validation.html'}")
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
