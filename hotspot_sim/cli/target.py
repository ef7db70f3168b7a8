"""``hotspot-sim target``: hot spots by harm, the power few, out-of-sample accuracy."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import ConfigError
from .args import add_scenario_arg, finite_float, positive_int


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
    """Add ``target``."""
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
    """Choose hot spots, score targeting out of sample, write and print them."""
    from .. import target as tg
    from ..settings import load_scenario
    from ..study import load_study

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
    from ..io import write_csv  # pandas: only for the commands that write tables

    files["out_of_sample"] = Path(args.out) / "out_of_sample.csv"
    write_csv(oos, files["out_of_sample"])
    if args.json:
        print(json.dumps({"hotspots": json.loads(table.to_json(orient="records")),
                          "power_few_harm": power, "places": int(len(totals)),
                          "train_months": train, "test_months": test,
                          "out_of_sample": json.loads(oos.to_json(orient="records")),
                          "files": {k: str(v) for k, v in files.items()}}, indent=2))
    else:
        print(tg.format_target(study, settings, table, power, len(totals), oos, files))
    return 0
