"""``hotspot-sim plan``: search patrol plans for a budget of officer hours (issue 16)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .args import (add_fresh_arg, add_parallel_args, add_scenario_arg, days_arg, finite_float,
                   positive_int, seed_arg)

FULL = {"days": 28.0, "reps": 5, "trials": 40}
"""Default search: 4 weeks a run (every weekday 4 times), 5 replications, 40 plans."""
QUICK = {"days": 7.0, "reps": 2, "trials": 12}
"""``--quick``: a week a run, 2 replications, 12 plans of the small space."""
DEFAULT_BUDGET_HOURS = 16.0
"""Officer hours a day for hot spot patrol: two officers' 8-hour shifts (an assumption; a
force gives its own with --budget-hours)."""

DESCRIPTION = """\
Search patrol plans for a scenario: which hot spots (how many, ranked by harm or count),
how long a visit, how many visits a shift, at what hours of the day, on foot or by car,
and what share of the officers to keep off hot spot patrol for response.

Each candidate plan is simulated (policy planned_patrol) with the experiment runner, with
the same replication seeds as a baseline of the same officers on random patrol (common
random numbers), and measured per day, mean and 95% interval over replications:
  harm prevented at the hot spots  baseline minus plan CHI days at the top harm places
  harm prevented area-wide         the same over the whole study area (displacement in)
  officer hours a day              travel to and time at hot spots, from the run's log
  grade 1 within target            % of grade 1 calls answered within target
Optuna's multi-objective sampler (TPE, seeded) proposes plans in batches of 4; plans
over --budget-hours (or under --grade1-floor) are infeasible.

How long (measured on two cores, --workers 2, Welwyn Hatfield): --quick (12 plans x 2 reps
x 7 days) about 25 s in all; the default (40 plans x 5 reps x 28 days) searches in 4 min
and ends in under 5 min, at most ~440 MB. The report's dose-response curves re-run the
recommended plan at each visit length and visits per shift (up to 14 plans more, most
already run). A plan costs about reps x days x 0.1 s of one core.

Resume and extend: everything is kept in --out (runs/ keyed by their settings, the
Optuna journal search.journal, plans.parquet, manifest.json). Running the same command
again after Ctrl-C resumes; a larger --trials adds plans up to that many in total. Other
settings (scenario, days, reps, seed, space, budget) need --fresh or another --out.
"""

EPILOG = """\
examples:
  hotspot-sim plan --quick --workers 2
  hotspot-sim plan --budget-hours 24 --grade1-floor 90 --trials 60 --workers 2
  hotspot-sim plan --space my_space.toml      # e.g. dwell_minutes = {min = 5, max = 25, step = 5}
  hotspot-sim plan --trials 80                # resume the default search and extend it
space file keys (a list of values, or {min, max, step}; one value fixes it):
  k, rank_by (harm, count, composite), dwell_minutes, visits_per_shift,
  patrol_start_hour, patrol_hours, mode (foot, car), response_share
outputs in --out: plans.parquet (one row per plan), manifest.json, and the report.
"""


def add_plan_command(sub) -> None:
    """Add ``plan``."""
    p = sub.add_parser("plan", help="search patrol plans for a budget of officer hours",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description=DESCRIPTION, epilog=EPILOG)
    add_scenario_arg(p)
    p.add_argument("--budget-hours", type=finite_float(0, 100_000), default=DEFAULT_BUDGET_HOURS,
                   help="officer hours a day the plan may spend on hot spot patrol (default "
                        f"{DEFAULT_BUDGET_HOURS:g}: two 8-hour shifts, an assumption)")
    p.add_argument("--grade1-floor", type=finite_float(0, 100), default=None, metavar="PCT",
                   help="lowest acceptable %% of grade 1 calls within target (default: none)")
    p.add_argument("--trials", type=positive_int(100_000), default=None,
                   help=f"plans evaluated in total (default {FULL['trials']}, quick "
                        f"{QUICK['trials']}); more resumes and extends the search")
    p.add_argument("--reps", type=positive_int(1000), default=None,
                   help=f"replications per plan (default {FULL['reps']}, quick {QUICK['reps']})")
    p.add_argument("--days", type=days_arg, default=None,
                   help=f"simulated days per run (default {FULL['days']:g}, quick "
                        f"{QUICK['days']:g})")
    p.add_argument("--seed", type=seed_arg, default=20211101,
                   help="root seed of the runs and the sampler (default 20211101)")
    add_parallel_args(p, "local worker processes running each batch's runs (default 1)")
    p.add_argument("--quick", action="store_true",
                   help="a small space, week-long runs, 2 replications, 12 plans "
                        "(results/plan-quick)")
    p.add_argument("--space", type=Path, metavar="TOML",
                   help="decision variables' values (see below); default: the built-in space")
    p.add_argument("--out", type=Path, help="folder (default results/plan, or results/plan-quick)")
    add_fresh_arg(p, "search")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_plan)


def cmd_plan(args) -> int:
    """Run (or resume) the plan search and print the front and the recommended plan."""
    from ..locations import resolve_toml
    from ..plan.evaluate import PlanSetup
    from ..plan.search import SearchSettings, run_plan
    from ..plan.space import load_space
    from ..progress import StepProgress
    from ..trial import move_aside

    sizes = QUICK if args.quick else FULL
    space = load_space(args.space, quick=args.quick)
    out = args.out or Path("results") / ("plan-quick" if args.quick else "plan")
    if args.fresh and (moved := move_aside(out)):
        print(f"moved the old search in {out} to {moved} (nothing deleted)")
    setup = PlanSetup(scenario=str(resolve_toml(args.scenario, "scenarios")),
                      days=float(args.days or sizes["days"]),
                      replications=args.reps or sizes["reps"],
                      seed=args.seed, hotspots=max(space.by_name["k"].values))
    settings = SearchSettings(trials=args.trials or sizes["trials"], seed=args.seed,
                              budget_hours=args.budget_hours, grade1_floor=args.grade1_floor)
    if settings.trials > space.size():
        print(f"the space holds {space.size()} plans: each is evaluated once, not "
              f"{settings.trials}")
    with StepProgress(quiet=args.quiet, unit="plan") as progress:
        run_plan(setup, space, settings, out, args.scenario, workers=args.workers,
                 scheduler=args.scheduler, backend=args.backend, progress=progress)
    print(plan_report(out, settings, args.workers))
    return 0


def plan_report(out: Path, settings, workers: int = 1) -> str:
    """Write the plan's report (:func:`hotspot_sim.plan.report.write_plan_report`); its text."""
    from ..plan.report import write_plan_report

    text, _ = write_plan_report(out, budget_hours=settings.budget_hours,
                                grade1_floor=settings.grade1_floor, workers=workers)
    return text
