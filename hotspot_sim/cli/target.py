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

harm index (--harm-index; what "harm" above weighs crimes by):
  chi         Cambridge Crime Harm Index (default; shipped table chi_police_uk.csv).
  css         ONS Crime Severity Score: weights per Home Office offence code from the
              ONS table (hotspot-sim data download-css, or --css-table FILE) and
              --code-map FILE saying which police.uk crime type each code is. A
              category weighs the --category-rule (median by default) of its codes'
              weights: coarse, it ignores how common each offence is in the category.
  FILE        a force's own weights: CSV 'crime_type,weight' (every police.uk type)
              or 'offence_code,weight[,crime_type]' (examples/README.md).
  With css or FILE, the hot spots, LSOA map and out-of-sample scores use that index,
  and the output compares its top places with CHI's: how many of the top k are in
  both lists, the rank correlation of place scores, and the places in one list
  only (harm_index_comparison.csv).

eligibility (--eligibility; the rules of Operations Savvy and Style):
  a hot spot holds --min-crimes to --max-crimes crimes per 12 months (36-150,
  scaled to the months of data) within --elig-radius (150 m), its centre is at
  least --elig-separation (500 m) from every other, and no other hot spot enters
  its --buffer (100 m). Places are taken best first under the rules (at most -k);
  excluded.csv lists every other candidate with the rule it failed and why
  (too_few_crimes, too_many_crimes, too_close, buffer_overlap, or beyond_k:
  eligible but ranked below the k asked for).

examples:
  hotspot-sim target -k 20 --rank-by harm
  hotspot-sim target --harm-index css --css-table data/ons_css/crime_severity_score_weights.csv \
      --code-map my_code_map.csv
  hotspot-sim target --harm-index examples/force_weights_by_type_SYNTHETIC.csv
  hotspot-sim target --eligibility -k 10 --min-crimes 24
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
                    "out_of_sample.csv to --out, and with LSOA boundaries lsoa_harm.* and\n"
                    "local_harm.csv (the local harm index: crime harm, ASB, calls per LSOA).",
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
    _add_harm_index_args(p)
    _add_local_harm_args(p)
    _add_eligibility_args(p)
    p.set_defaults(handler=cmd_target)


def _add_harm_index_args(p) -> None:
    """``--harm-index`` and the files and rule it may need."""
    from ..choices import CATEGORY_RULES, DEFAULT_CATEGORY_RULE

    g = p.add_argument_group("harm index")
    g.add_argument("--harm-index", default="chi", metavar="chi|css|FILE",
                   help="weigh crimes by the Cambridge Crime Harm Index (default), the ONS "
                        "Crime Severity Score, or a force's own weight table (see below)")
    g.add_argument("--css-table", default=None, metavar="FILE",
                   help="ONS Crime Severity Score weights (default: "
                        "ons_css/crime_severity_score_weights.csv in the data folder)")
    g.add_argument("--code-map", default=None, metavar="FILE",
                   help="CSV offence_code,crime_type: the police.uk crime type of each "
                        "offence code (needed by css, and by a force table by offence code "
                        "without a crime_type column)")
    g.add_argument("--category-rule", choices=CATEGORY_RULES, default=DEFAULT_CATEGORY_RULE,
                   help="a police.uk crime type's weight from its offence codes' weights "
                        f"(default {DEFAULT_CATEGORY_RULE})")


def _add_local_harm_args(p) -> None:
    """Options of the local harm index by LSOA."""
    from ..choices import LOCAL_SCALES

    g = p.add_argument_group("local harm index by LSOA (needs crime.lsoa_boundaries)")
    g.add_argument("--local-index", choices=LOCAL_SCALES, default="units",
                   help="units: crime harm + w_asb per ASB incident + 1 per call (default); "
                        "share: each layer as shares of its total, so the layers count "
                        "equally (both assumptions)")
    g.add_argument("--lsoa-boundaries", default=None, metavar="FILE",
                   help="LSOA polygons (ONS GeoJSON, .gz too; default: the scenario's "
                        "crime.lsoa_boundaries)")
    g.add_argument("--calls", default=None, metavar="FILE",
                   help="calls for service (CAD export) for the calls layer (default: the "
                        "scenario's [calls] records, if any); needs --calls-mapping")
    g.add_argument("--calls-mapping", default=None, metavar="TOML",
                   help="column mapping of --calls (format: examples/README.md)")


def _add_eligibility_args(p) -> None:
    """``--eligibility`` and its rule values (defaults: EligibilityRules, Operations Savvy/Style)."""
    from .. import choices as r
    g = p.add_argument_group("eligibility rules (Operations Savvy/Style)")
    g.add_argument("--eligibility", action="store_true",
                   help="choose hot spots by the eligibility rules and write excluded.csv")
    g.add_argument("--min-crimes", type=finite_float(0, 1e6), default=r.ELIGIBILITY_MIN_CRIMES_12M,
                   metavar="N", help=f"fewest crimes per 12 months (default {r.ELIGIBILITY_MIN_CRIMES_12M:g})")
    g.add_argument("--max-crimes", type=finite_float(0, 1e6), default=r.ELIGIBILITY_MAX_CRIMES_12M,
                   metavar="N", help=f"most crimes per 12 months (default {r.ELIGIBILITY_MAX_CRIMES_12M:g})")
    g.add_argument("--elig-radius", type=finite_float(0, 5000, lo_open=True),
                   default=r.ELIGIBILITY_RADIUS_M, metavar="M",
                   help=f"hot spot radius in metres (default {r.ELIGIBILITY_RADIUS_M:g})")
    g.add_argument("--elig-separation", type=finite_float(0, 10_000),
                   default=r.ELIGIBILITY_MIN_SEPARATION_M, metavar="M",
                   help=f"least distance between centres (default {r.ELIGIBILITY_MIN_SEPARATION_M:g})")
    g.add_argument("--buffer", type=finite_float(0, 5000), default=r.ELIGIBILITY_BUFFER_M, metavar="M",
                   help=f"buffer no other hot spot may enter (default {r.ELIGIBILITY_BUFFER_M:g})")


def cmd_target(args) -> int:
    """Choose hot spots, score targeting out of sample, write and print them."""
    from .. import target as tg
    from ..settings import load_scenario
    from ..study import load_study

    chi_study = load_study(load_scenario(args.scenario))
    index, study = _weighted_study(chi_study, args)
    w_asb = study.scenario.crime.asb_weight_in_index if args.w_asb is None else args.w_asb
    settings = tg.TargetSettings(k=args.k, min_separation_m=args.min_separation,
                                 radius_m=args.radius, rank_by=args.rank_by, w_asb=w_asb,
                                 level=args.level, windows=tuple(args.window))
    eligible = _eligible(study, settings, args) if args.eligibility else None
    shown = settings if eligible is None else _eligibility_shown(settings, eligible)
    table = tg.target(study, settings) if eligible is None else eligible.table
    totals = tg.place_totals(study, args.level, settings.cell_m, "harm")
    power = {f"top_{p}pct": tg.share_of_total_in_top(totals, p) for p in (1, 5)}
    train, test = _train_test_months(args, study.months)
    oos = tg.out_of_sample(study, train, test, level=args.level, w_asb=w_asb)
    files = tg.write_hotspots(table, args.out)
    lsoa_map = study.lsoa_harm_map()
    if lsoa_map is not None:
        files.update(tg.write_lsoa_harm(lsoa_map, args.out))
    local_weights = _local_weights(args, w_asb)
    local = _local_harm(study, local_weights, args)
    if local is not None:
        files["local_harm"] = tg.write_table(local, args.out, "local_harm.csv", index=True)
    from ..io import write_csv  # pandas: only for the commands that write tables

    files["out_of_sample"] = Path(args.out) / "out_of_sample.csv"
    write_csv(oos, files["out_of_sample"])
    comparison = _comparison(chi_study, study, index, settings, shown, table, eligible, args)
    if comparison is not None:
        files["harm_index_comparison"] = tg.write_table(comparison.table, args.out,
                                                        "harm_index_comparison.csv")
    if eligible is not None:
        files["excluded"] = tg.write_table(eligible.excluded, args.out, "excluded.csv")
    extra = _extra_json(index, comparison, eligible)
    if args.json:
        print(json.dumps({**extra, "hotspots": json.loads(table.to_json(orient="records")),
                          "power_few_harm": power, "places": int(len(totals)),
                          "train_months": train, "test_months": test,
                          "out_of_sample": json.loads(oos.to_json(orient="records")),
                          "files": {k: str(v) for k, v in files.items()}}, indent=2))
    else:
        print(tg.format_target(study, shown, table, power, len(totals), oos, files, index.name))
        print(_extra_text(index, comparison, eligible, study.crimes))
        if local is not None:
            print(tg.format_local_harm(local, index.unit, local_weights))
    return 0


def _train_test_months(args, months):
    """The training and test months of the out-of-sample check."""
    from .. import target as tg

    if (args.train_months is None) != (args.test_months is None):
        raise ConfigError("give both --train-months and --test-months, or neither")
    if not args.train_months:
        return tg.default_split(months)
    return (tg.parse_months(args.train_months, months, "--train-months"),
            tg.parse_months(args.test_months, months, "--test-months"))


def _comparison(chi_study, study, index, settings, shown, table, eligible, args):
    """CHI's hot spots against the chosen index's (None when the index is CHI)."""
    from .. import target as tg

    if index.name == "chi":
        return None
    base = None if eligible is None else _eligible(chi_study, settings, args).table
    return tg.compare_hotspots(chi_study, study.crimes, shown, labels=("chi", index.name),
                               table_base=base, table_other=table)


def _weighted_study(study, args):
    """The harm index asked for and the study with its crimes weighted by it."""
    import dataclasses

    from ..data.harm_indices import apply_harm_index, resolve_harm_index

    index = resolve_harm_index(args.harm_index, study.harm_table, args.css_table,
                               args.code_map, args.category_rule)
    if index.name == "chi":
        return index, study
    return index, dataclasses.replace(study, crimes=apply_harm_index(study.crimes, index))


def _local_weights(args, w_asb: float):
    """Weights of the local harm index: ASB as the composite score's, calls 1 per grade."""
    from ..data.lsoa import LocalHarmWeights

    return LocalHarmWeights(asb=w_asb, scale=args.local_index)


def _local_harm(study, weights, args):
    """The local harm index per LSOA (crime harm by the chosen index, ASB, calls), or None
    without LSOA boundaries."""
    from ..data.lsoa import local_harm_index, read_lsoa_boundaries
    from ..locations import resolve_data_path

    calls = _calls(study, args)
    path = args.lsoa_boundaries or study.scenario.crime.lsoa_boundaries
    if not path:
        if args.calls:
            raise ConfigError("--calls: the calls layer of the local harm index needs LSOA "
                              "boundaries: give --lsoa-boundaries FILE or set "
                              "crime.lsoa_boundaries")
        return None
    boundaries = read_lsoa_boundaries(Path(args.lsoa_boundaries) if args.lsoa_boundaries
                                      else resolve_data_path(path))
    return local_harm_index(study.crimes, calls, boundaries, weights)


def _calls(study, args):
    """Calls for service: --calls through --calls-mapping, else the scenario's, else None."""
    if (args.calls is None) != (args.calls_mapping is None):
        raise ConfigError("give both --calls FILE and --calls-mapping TOML, or neither")
    if args.calls is None:
        return getattr(study, "calls", None)
    from ..data.force_calls import read_calls_mapping, read_force_calls
    from ..study import study_area_bng

    c = study.scenario.crime
    calls, _ = read_force_calls(Path(args.calls), read_calls_mapping(Path(args.calls_mapping)),
                                study_area_bng(study.scenario, study.network),
                                (c.first_month, c.last_month))
    return calls


def _eligible(study, settings, args):
    """Hot spots under the eligibility rules of the command line (at most -k)."""
    from .. import target as tg

    rules = tg.EligibilityRules(min_crimes_12m=args.min_crimes, max_crimes_12m=args.max_crimes,
                                radius_m=args.elig_radius, min_separation_m=args.elig_separation,
                                buffer_m=args.buffer)
    return tg.eligible_hotspots(study, rules, k=settings.k, rank_by=settings.rank_by,
                                w_asb=settings.w_asb, w_count=settings.w_count,
                                windows=settings.windows)


def _eligibility_shown(settings, eligible):
    """`settings` with the eligibility radius and spacing, for the printed heading."""
    import dataclasses

    rules = eligible.result.rules
    return dataclasses.replace(settings, radius_m=rules.radius_m, min_separation_m=max(
        rules.min_separation_m, rules.buffer_separation_m))


def _extra_json(index, comparison, eligible) -> dict:
    """The harm index, comparison and eligibility parts of ``--json``."""
    out = {"harm_index": {"name": index.name, "unit": index.unit, "source": index.source}}
    if comparison is not None:
        out["harm_index_comparison"] = {
            "labels": list(comparison.labels), "k": comparison.k,
            "overlap": comparison.overlap, "spearman": comparison.spearman,
            "places_compared": comparison.places_compared}
    if eligible is not None:
        out["eligibility"] = {"chosen": len(eligible.table),
                              "excluded": {k: int(v) for k, v in eligible.summary().items()}}
    return out


def _extra_text(index, comparison, eligible, crimes) -> str:
    """The harm index, comparison and eligibility lines of the text output."""
    from .. import target as tg

    lines = ["", f"Harm index: {index.name} ({index.unit}; {index.source})"]
    if "harm_source" in crimes and (crimes["harm_source"] == "code").any():
        by_code = int((crimes["harm_source"] == "code").sum())
        lines.append(f"  {by_code:,} of {len(crimes):,} records weighted by their own offence "
                     "code, the rest by their crime type")
    if comparison is not None:
        lines.append(tg.format_comparison(comparison))
    if eligible is not None:
        lines.append(tg.format_eligibility(eligible))
    return "\n".join(lines)
