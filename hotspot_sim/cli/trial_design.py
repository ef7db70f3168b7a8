"""``hotspot-sim trial design``: the pack for the real trial.

Chooses the hot spots (as ``target`` does, by the Savvy/Style eligibility rules, or
from a file), randomises them over the trial's days with a recorded seed, and writes
the schedule, the geofences and a one-page protocol with power and cost
(:mod:`hotspot_sim.trial.design`, :mod:`hotspot_sim.trial.pack`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from ..checks import MAX_DAYS
from .args import add_scenario_arg, finite_float, positive_int, seed_arg

#: Seeds drawn when none is given: small enough to read out and type.
FRESH_SEED_BELOW = 10**9

DESIGN_EPILOG = """\
designs (--design):
  crossover  every day a fixed share of the hot spots (--treat-share, default 0.4:
             Southend, Basford et al. 2021, 720 of 1,800 place-days; Bedfordshire,
             Bland et al. 2021, 7 of 21) is drawn afresh for patrol; each hot spot
             is its own control on other days, so differences between hot spots
             do not blur the comparison.
  parallel   a random half of the hot spots is patrolled every day, the others never
             (Sherman & Weisburd 1995, 55 of 110).
  block      hot spots are paired by baseline crimes and one of each pair, drawn at
             random, is patrolled for the whole trial (matched pairs).
  The schedule is drawn by the code that draws the simulated trials behind the
  power figure, so the power describes the schedule written.

defaults and their sources:
  -k 20          Southend randomised 20 hot spots (Basford et al. 2021)
  --days 90      Southend and Bedfordshire ran 90 days
  --minutes 15   Koper (1995): about 11-15 minutes is best, little gained after 15;
                 Southend 15-20, Bedfordshire 15
  --visits 1     one patrol a day in Southend and Bedfordshire (Operations
                 Savvy/Style: about 3 per late shift)
  --effect 0.85  rate ratio to plan for: Braga et al. (2019) mean effects 8-16%
  --start        the next Monday after today (stated in the output)
  --seed         a fresh random seed, printed and recorded: give it again to make
                 the same schedule byte for byte
  --cost-per-hour  40 pounds, an assumption: give your force's figure

hot spots:
  default        chosen from the scenario's crimes as 'hotspot-sim target' does
                 (-k, --rank-by; 100 m radius, centres 300 m apart)
  --eligibility  the rules of Operations Savvy/Style: 36-150 crimes in 12 months
                 within 150 m, centres 500 m apart, 100 m buffer; the best -k
  --hotspots F   your own list in the 'track --hotspots' format (hotspot_id, x, y
                 or lon, lat, optional radius_m, default 100 m); the scenario's
                 crimes within each radius give the baseline for the power figure

writes to --out: schedule.csv (hotspot-sim track --plan), hotspots.csv,
design.json, geofences.geojson, geofences.gpx, protocol.md, protocol.html

examples:
  hotspot-sim trial design --seed 20261207
  hotspot-sim trial design --design block -k 10 --days 60 --start 2027-01-04
  hotspot-sim trial design --eligibility -k 10 --visits 3 --out pack/
  hotspot-sim trial design --hotspots my_hotspots.csv --design parallel
"""


def add_design_parser(trial_sub) -> None:
    """Add ``trial design`` to the ``trial`` group."""
    from ..choices import DEFAULT_COST_PER_OFFICER_HOUR
    from ..trial.design_defaults import (DEFAULT_DAYS, DEFAULT_EFFECT, DEFAULT_HOTSPOTS,
                                         DEFAULT_MINUTES, DEFAULT_TREAT_SHARE, DEFAULT_VISITS)

    p = trial_sub.add_parser(
        "design", help="randomisation schedule, geofences and a one-page protocol",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=DESIGN_EPILOG,
        description="Write the pack for a real hot spot patrol trial: which hot spot is\n"
                    "patrolled on which day (with the seed that drew it), the hot spots'\n"
                    "geofences for officers' devices (GeoJSON, GPX), and a one-page protocol\n"
                    "(Markdown, HTML) to pre-register: hot spots, design, dose, outcomes, the\n"
                    "analysis 'trial analyse' runs, power from simulation with its interval,\n"
                    "officer hours and cost. Baseline crimes come from the scenario's data.")
    add_scenario_arg(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--eligibility", action="store_true",
                       help="choose hot spots by the Operations Savvy/Style rules")
    where.add_argument("--hotspots", type=Path, metavar="FILE.csv",
                       help="use these hot spots (track's hot spot format)")
    p.add_argument("-k", type=positive_int(10_000), default=None,
                   help=f"hot spots in the trial (default {DEFAULT_HOTSPOTS}; with --hotspots: "
                        "all in the file)")
    p.add_argument("--rank-by", choices=("harm", "count", "composite"), default=None,
                   help="what to rank places by (default harm, as 'target')")
    p.add_argument("--design", choices=("crossover", "block", "parallel"), default="crossover",
                   help="how patrol is assigned (default crossover; see below)")
    p.add_argument("--days", type=positive_int(int(MAX_DAYS)), default=DEFAULT_DAYS, metavar="N",
                   help=f"trial length in days (default {DEFAULT_DAYS})")
    p.add_argument("--start", type=_iso_date, metavar="YYYY-MM-DD",
                   help="first day of the trial (default: next Monday)")
    p.add_argument("--minutes", type=finite_float(0, 1440, lo_open=True),
                   default=None, metavar="MIN",
                   help=f"minutes per visit (default: a planned_patrol scenario's "
                        f"dwell_minutes, else {DEFAULT_MINUTES:g})")
    p.add_argument("--visits", type=positive_int(96), default=None, metavar="N",
                   help="visits per patrolled hot spot per day (default: a planned_patrol "
                        "scenario's visits per shift x the shifts in its patrol hours, else "
                        f"{DEFAULT_VISITS})")
    p.add_argument("--treat-share", type=finite_float(0, 1, lo_open=True), default=None,
                   metavar="SHARE",
                   help="share of hot spots patrolled (default " + ", ".join(
                       f"{share:g} {kind}" for kind, share in DEFAULT_TREAT_SHARE.items()) + ")")
    p.add_argument("--seed", type=seed_arg, default=None,
                   help="randomisation seed (default: a fresh one, printed and recorded)")
    p.add_argument("--effect", type=finite_float(0, 100, lo_open=True), default=DEFAULT_EFFECT,
                   metavar="RATIO",
                   help=f"rate ratio the power is for (default {DEFAULT_EFFECT})")
    p.add_argument("--sims", type=positive_int(1_000_000), default=200, metavar="N",
                   help="simulated trials for the power figure (default 200)")
    p.add_argument("--cost-per-hour", type=finite_float(0, 1e6), default=None, metavar="GBP",
                   help="cost of an officer hour in pounds (default "
                        f"{DEFAULT_COST_PER_OFFICER_HOUR:g}, an assumption)")
    p.add_argument("--out", type=Path, default=Path("results/trial_pack"), metavar="DIR",
                   help="folder for the pack (default results/trial_pack)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")
    p.set_defaults(handler=cmd_design)


def cmd_design(args) -> int:
    """Choose, randomise, write the pack and print its summary."""
    import secrets

    from ..progress import StepProgress
    from ..settings import load_scenario
    from ..study import load_study
    from ..trial.design import TrialDesign, design_trial, next_monday
    from ..trial.pack import write_pack

    scenario = load_scenario(args.scenario)
    take_plan_dose(args, scenario)
    study = load_study(scenario)
    today = dt.date.today()
    start = args.start or next_monday(today)
    seed = secrets.randbelow(FRESH_SEED_BELOW) if args.seed is None else args.seed
    design = TrialDesign(args.design, args.days, start, args.minutes, args.visits,
                         args.treat_share, seed)
    with StepProgress(quiet=args.quiet, unit="cell") as progress:
        plan = design_trial(study, design, k=args.k, rank_by=args.rank_by,
                            eligibility=args.eligibility, hotspots=args.hotspots,
                            effect=args.effect, n_sims=args.sims,
                            cost_per_hour=args.cost_per_hour, progress=progress)
    files = write_pack(plan, args.out, reproduce_command(args, seed, start),
                       "given" if args.start else f"default: the next Monday after {today}")
    print(format_design(plan, args, files))
    return 0


def take_plan_dose(args, scenario) -> None:
    """Fill the options not given from a ``planned_patrol`` scenario (``hotspot-sim plan``
    writes its recommended plan as one), else from the defaults: the pack then tests the
    plan's own dose and hot spots."""
    from ..trial.design_defaults import DEFAULT_MINUTES, DEFAULT_VISITS

    plan = scenario.policy.params if scenario.policy.name == "planned_patrol" else {}
    if args.minutes is None:
        args.minutes = float(plan.get("dwell_minutes", DEFAULT_MINUTES))
    if args.visits is None:
        args.visits = DEFAULT_VISITS if not plan else planned_visits_per_day(plan, scenario)
    if args.rank_by is None:
        args.rank_by = plan.get("rank_by", "harm")
    if args.k is None and args.hotspots is None and "k" in plan:
        args.k = int(plan["k"])


def planned_visits_per_day(plan: dict, scenario) -> int:
    """Visits a hot spot gets a day under a ``planned_patrol`` plan: visits per shift times
    the shifts that overlap its patrol hours (at least 1)."""
    from ..sim.policies import get_policy
    from ..sim.policies.planned import visits_per_day

    params = {**get_policy("planned_patrol").defaults, **plan}
    officers = scenario.officers
    return max(visits_per_day(params, officers.shift_starts, officers.shift_hours), 1)


def reproduce_command(args, seed: int, start: dt.date) -> str:
    """The command that makes the same schedule (every choice spelled out)."""
    from ..trial.design_defaults import DEFAULT_HOTSPOTS

    if args.hotspots is not None:
        chosen = f"--hotspots {args.hotspots}" + (f" -k {args.k}" if args.k else "")
    else:
        chosen = ("--eligibility " if args.eligibility else "") + \
            f"-k {args.k or DEFAULT_HOTSPOTS} --rank-by {args.rank_by}"
    share = "" if args.treat_share is None else f" --treat-share {args.treat_share:g}"
    return (f"hotspot-sim trial design -s {args.scenario} {chosen} --design {args.design} "
            f"--days {args.days} --start {start} --minutes {args.minutes:g} "
            f"--visits {args.visits}{share} --seed {seed}")


def format_design(plan, args, files: dict) -> str:
    """The summary printed after writing the pack."""
    from ..trial.protocol import TARGET_POWER

    d, p, r = plan.design, plan.power, plan.resources
    start_note = "" if args.start else " (next Monday; --start to change)"
    seed_note = "" if args.seed is not None else f" (drawn now: give --seed {d.seed} to repeat)"
    lines = [
        f"Trial pack, {plan.scenario}: {d.design}, {len(plan.hotspots)} hot spots x "
        f"{d.days} days, {d.start:%a %Y-%m-%d}{start_note} to {d.dates[-1]:%a %Y-%m-%d}",
        f"  randomisation: seed {d.seed}{seed_note}; {r['treated_spot_days']:,} patrol and "
        f"{r['control_spot_days']:,} control spot-days",
        f"  dose: {d.visits} x {d.minutes:g} min per patrol spot-day = "
        f"{r['patrol_hours']:,.0f} officer hours (£{r['patrol_cost']:,.0f} at "
        f"£{r['cost_per_hour']:g}/h) + travel about {r['travel_hours']:,.0f} h",
        f"  power to detect a rate ratio of {p['effect']:g} ({p['n_sims']:,} simulated "
        f"trials, 95% intervals): crimes {_percent(p)}"
        + (f", harm {_percent(p['harm'])}" if "harm" in p else "")]
    if min(p["power"], p.get("harm", p)["power"]) < TARGET_POWER:
        lines.append(f"  below {100 * TARGET_POWER:.0f}%: more hot spots or days are needed "
                     "('hotspot-sim power' finds how many), or a larger effect")
    lines.append(f"files in {args.out}/:")
    lines += [f"  {name}" for name in files]
    return "\n".join(lines)


def _percent(p: dict) -> str:
    """'32% (26-39%)' from a power record."""
    return (f"{100 * p['power']:.0f}% ({100 * p['ci_low']:.0f}-{100 * p['ci_high']:.0f}%)")


def _iso_date(text: str) -> dt.date:
    """argparse type: a date written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not a date written YYYY-MM-DD") from None
