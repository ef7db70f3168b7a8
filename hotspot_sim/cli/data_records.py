"""``hotspot-sim data records``: read a force's crime and calls exports, estimate their time profiles."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

RECORDS_EPILOG = """\
formats (columns are mapped by the TOML files, so exports are read as they are):
  crimes  CSV, one row per crime: id, date-time, offence (police.uk category or a code
          in [offence_map]), x/y (BNG metres) or lon/lat; optional harm, location, lsoa.
          Mapping: examples/force_crimes_mapping.toml.
  calls   CSV, one row per call for service (CAD): id, date-time, grade (values mapped to
          1 immediate, 2 priority, 3 scheduled by [grade_map]), x/y or lon/lat; optional
          incident_type. Mapping: examples/force_calls_mapping.toml.
  Both are documented in examples/README.md (UTF-8, UTF-16 or Windows-1252, gzip allowed).

dropped rows:
  Rows are never changed or guessed: a repeated id (first row kept), an unreadable
  date-time, a date outside --months (or in the future), missing coordinates, an unknown
  offence or grade, a point outside the study area (with --scenario: also farther than
  [crime] max_snap_distance_m from a street) are left out of the cleaned tables, counted
  by reason and named with their file line in a warning.

time profiles:
  The hour-of-day and weekday risk profile and each grade's hourly call profile are
  estimated from the records' times, shrunk towards the assumed profiles (48 pseudo-records
  per day of hours, 14 per week of days), so small exports move them only part of the way.
  Times of exactly 00:00 count as 'time unknown'; records with no time give the assumed
  profile, and the output says why.

writes to --out: crimes.csv, calls.csv, profile_hourly.csv, profile_daily.csv,
  call_rates.csv, drops.json and profiles.png. To simulate with them, name the files in a
  scenario ([crime] records, records_mapping; [calls] records, records_mapping), e.g.
  examples/welwyn_hatfield_force.toml.

example:
  hotspot-sim data records --crimes examples/force_crimes.csv \\
      --mapping examples/force_crimes_mapping.toml --calls examples/force_calls.csv \\
      --calls-mapping examples/force_calls_mapping.toml --months 2024-01 2024-03
"""


def add_records_command(data_sub) -> None:
    """Add ``data records`` to the ``data`` sub-commands."""
    p = data_sub.add_parser(
        "records", help="read a force's own crime and calls exports; estimate time profiles",
        description="Read a force's crime export (and calls-for-service export) through TOML\n"
                    "column mappings, print the rows kept and dropped by reason and the hour-of-day\n"
                    "and weekday profiles estimated from the records' times against the assumed\n"
                    "ones, and write the cleaned tables, profile CSVs and a figure.",
        epilog=RECORDS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--crimes", required=True, type=Path, metavar="CSV", help="the crime export")
    p.add_argument("--mapping", required=True, type=Path, metavar="TOML",
                   help="its column mapping (see examples/force_crimes_mapping.toml)")
    p.add_argument("--calls", type=Path, metavar="CSV", help="a calls-for-service (CAD) export")
    p.add_argument("--calls-mapping", type=Path, metavar="TOML",
                   help="its column mapping (see examples/force_calls_mapping.toml)")
    p.add_argument("--scenario", "-s", metavar="NAME|TOML", default=None,
                   help="keep only records in this scenario's study area, snapped to its streets, "
                        "and compare calls a day with its [calls] settings (default: no area "
                        "filter beyond the British National Grid)")
    p.add_argument("--months", nargs=2, metavar=("FIRST", "LAST"), default=None,
                   help="keep records dated in these months (YYYY-MM YYYY-MM; default: all but "
                        "future dates)")
    p.add_argument("--out", type=Path, default=Path("results/records"),
                   help="folder for the outputs (default results/records)")
    p.set_defaults(handler=cmd_data_records)


def cmd_data_records(args) -> int:
    """Read, report, estimate and write (see :data:`RECORDS_EPILOG`)."""
    from ..data.time_profiles import call_demand, risk_profile
    from ..errors import ConfigError

    if (args.calls is None) != (args.calls_mapping is None):
        raise ConfigError("data records: --calls and --calls-mapping go together (the export "
                          "and its TOML column mapping)")
    area = _study_area(args.scenario)
    months = _months(args.months)
    crimes, crime_drops = _read_crimes(args, area, months)
    risk = risk_profile(crimes, str(args.crimes))
    calls, call_drops, demand = None, None, None
    if args.calls is not None:
        calls, call_drops = _read_calls(args, area, months)
        demand = call_demand(calls, str(args.calls))
    print(_report_text(args, crime_drops, call_drops, risk, demand, area))
    _write_outputs(args.out, crimes, calls, crime_drops, call_drops, risk, demand)
    print(f"\nWritten to {args.out}/: crimes.csv{', calls.csv' if calls is not None else ''}, "
          "profile_hourly.csv, profile_daily.csv"
          f"{', call_rates.csv' if demand is not None else ''}, drops.json, profiles.png")
    return 0


def _months(months: list[str] | None) -> tuple[str, str] | None:
    from ..data.police_uk import check_month
    from ..errors import ConfigError

    if months is None:
        return None
    first, last = check_month(months[0], "--months FIRST"), check_month(months[1], "--months LAST")
    if first > last:
        raise ConfigError(f"--months {first} {last}: the first month is after the last")
    return first, last


def _study_area(scenario_ref: str | None):
    """``(scenario, network, bbox)`` of ``--scenario``, or None without it."""
    if scenario_ref is None:
        return None
    from ..network import load_network
    from ..settings import load_scenario
    from ..study import study_area_bng

    scenario = load_scenario(scenario_ref)
    network = load_network(scenario.network)
    return scenario, network, study_area_bng(scenario, network)


def _snap(table, area, report):
    from ..data import snap_to_nodes

    scenario, network, _ = area
    return snap_to_nodes(table, network.x, network.y, scenario.crime.max_snap_distance_m, report)


def _read_crimes(args, area, months):
    from ..data import load_harm_weights, read_force_crimes, read_force_mapping
    from ..data.force_records import GB_GRID_BOX
    from ..locations import resolve_data_path

    harm = None
    if area is not None and area[0].crime.harm_table:
        harm = load_harm_weights(resolve_data_path(area[0].crime.harm_table))
    crimes, report = read_force_crimes(args.crimes, read_force_mapping(args.mapping),
                                       area[2] if area else GB_GRID_BOX, harm, months)
    return (_snap(crimes, area, report) if area else crimes), report


def _read_calls(args, area, months):
    from ..data.force_calls import read_calls_mapping, read_force_calls

    calls, report = read_force_calls(args.calls, read_calls_mapping(args.calls_mapping),
                                     area[2] if area else None, months)
    if area:
        calls = _snap(calls, area, report).rename(columns={"snap_distance_m": "snap_m"})
    return calls, report


def _report_text(args, crime_drops, call_drops, risk, demand, area) -> str:
    from ..data.time_profiles import daily_table, hourly_table
    from ..settings import CallSettings

    out = _drops_text(f"Crime records {args.crimes}", crime_drops)
    if call_drops is not None:
        out += [""] + _drops_text(f"Calls for service {args.calls}", call_drops)
    out += ["", f"Risk profile: {risk.source}"]
    if demand is not None:
        out.append(f"Call demand: {demand.source}")
    hours = hourly_table(risk, demand)
    head = f"  {'hour':>4}  {'risk':>6} {'assumed':>7}"
    if demand is not None:
        head += f"   {'calls g1':>8} {'g2':>5} {'g3':>5} {'assumed':>7}"
    out += ["", "By hour of day (relative to the mean, 1 = average hour)", head]
    for _, r in hours.iterrows():
        line = f"  {int(r['hour']):>4}  {r['risk']:>6.2f} {r['risk_assumed']:>7.2f}"
        if demand is not None:
            line += (f"   {r['calls_grade1']:>8.2f} {r['calls_grade2']:>5.2f} "
                     f"{r['calls_grade3']:>5.2f} {r['calls_assumed']:>7.2f}")
        out.append(line)
    out += ["", "By day of week (risk relative to the mean)", f"  {'day':<4} {'risk':>6} {'assumed':>7}"]
    out += [f"  {r['weekday']:<4} {r['risk']:>6.2f} {r['risk_assumed']:>7.2f}"
            for _, r in daily_table(risk).iterrows()]
    if demand is not None:
        settings = area[0].calls if area else CallSettings()
        assumed = (settings.grade1_per_day, settings.grade2_per_day, settings.grade3_per_day)
        out += ["", "Calls a day by grade: estimated (scenario setting)"]
        out += [f"  grade {g}: {demand.per_day[g - 1]:7.2f}  ({assumed[g - 1]:g})" for g in (1, 2, 3)]
    return "\n".join(out)


def _drops_text(title: str, report) -> list[str]:
    d = report.as_dict()
    out = [f"{title}: read {d['total_in']:,}, kept {d['kept']:,}; dropped:"]
    out += [f"  {reason.replace('_', ' '):<24} {n:>7,}" for reason, n in d["dropped"].items()]
    unknown = d.get("unknown_grades", d.get("unknown_crime_types", {}))
    out += [f"    unknown value {name!r}: {n:,}" for name, n in unknown.items()]
    return out


def _write_outputs(out: Path, crimes, calls, crime_drops, call_drops, risk, demand) -> None:
    import pandas as pd

    from ..data.time_profiles import daily_table, hourly_table, profiles_figure
    from ..io import write_csv, write_text

    out.mkdir(parents=True, exist_ok=True)
    write_csv(crimes, out / "crimes.csv")
    write_csv(hourly_table(risk, demand).round(4), out / "profile_hourly.csv")
    write_csv(daily_table(risk).round(4), out / "profile_daily.csv")
    drops = {"crimes": crime_drops.as_dict(), "risk_profile": risk.source}
    if calls is not None:
        write_csv(calls, out / "calls.csv")
        write_csv(pd.DataFrame({"grade": [1, 2, 3], "per_day": demand.per_day.round(4)}),
                  out / "call_rates.csv")
        drops |= {"calls": call_drops.as_dict(), "call_demand": demand.source}
    write_text(out / "drops.json", json.dumps(drops, indent=2))
    profiles_figure(risk, demand, out / "profiles.png")
