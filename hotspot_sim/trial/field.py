"""The real trial analysed with the code that analyses simulated ones (``trial analyse``).

A force hands in the trial's files: the randomisation schedule (``trial design``'s
``schedule.csv``, the ``--plan`` format of ``track``), the hot spots, the officers' GPS
pings and the recorded crimes (``track``'s documented formats,
:mod:`hotspot_sim.track.inputs`).  From them :func:`analyse_trial` builds the same
spot-day table a simulated trial gives (:func:`hotspot_sim.trial.measure.spot_days`:
crimes and harm within each hot spot's radius per calendar day, the assignment, the
GPS dose) and reports what the simulated trial reports: dose per arm
(:func:`~hotspot_sim.trial.report.dose_by_arm`), compliance with the schedule
(:func:`hotspot_sim.track.dose.compliance`), the Poisson GLM rate ratio and the
randomisation test on counts and on harm
(:func:`~hotspot_sim.trial.report.spot_day_statistics`: for a crossover the figures
:func:`~hotspot_sim.trial.report.trial_statistics` gives a simulated trial; for a
parallel or block design the terms the pack's protocol pre-registers), by crime type,
crime in the 100 m buffers on treated and control days (displacement), and
cost-benefit (:func:`~hotspot_sim.trial.economics.cost_benefit`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..track.inputs import DAY_MIN, _rows, minutes_since
from ..track.zones import MIN_CRIMES, zone_crimes
from .economics import DEFAULT_COST_PER_OFFICER_HOUR, cost_benefit
from .measure import add_dose
from .report import dose_by_arm, markdown, spot_day_statistics

BUFFER_M = 100.0
"""Width of the displacement buffer beyond each hot spot's radius: Bland et al. (2021)
used 100 m buffers around 100 m hot spots and found no displacement into them."""
SCHEDULE_COLUMNS = ["date", "day", "hotspot_id", "treated", "planned_minutes"]
DESIGNS = ("crossover", "parallel", "block")
"""The designs ``trial design`` draws and ``trial analyse`` analyses."""


# --------------------------------------------------------------------------- reading


def read_trial(schedule: str | Path, gps: str | Path, crimes: str | Path,
               hotspots: str | Path | None = None) -> dict:
    """Read a real trial's files, with day 0 taken from the schedule's dates.

    Parameters
    ----------
    schedule : str or Path
        ``schedule.csv``: ``date, day, hotspot_id, treated, planned_minutes`` [, ``visits,
        block``], one row per hot spot per trial day (``trial design`` writes it).
    gps, crimes : str or Path
        The GPS pings and the crimes (``hotspot-sim track --help`` gives the formats).
    hotspots : str or Path, optional
        The hot spots; default ``hotspots.csv`` beside the schedule.

    Returns
    -------
    dict
        ``schedule`` (the plan frame of :func:`hotspot_sim.track.inputs.read_plan_csv`,
        with ``block`` when the file has it), ``design`` (the pack's ``design.json``
        beside the schedule says it, else None), ``gps``, ``crimes``, ``hotspots``,
        ``origin`` (midnight of day 0) and ``files``.

    Raises
    ------
    DataError
        A file that is missing or cannot be used, naming it (and the line and column).
    """
    from ..track.inputs import read_crimes_csv, read_gps_csv, read_hotspots_csv, read_plan_csv

    schedule = Path(schedule)
    if not schedule.is_file():  # before the hot spots, whose default is beside it
        raise DataError(f"schedule file not found: {schedule} (give --schedule FILE.csv: the "
                        "trial pack's schedule.csv from 'hotspot-sim trial design')")
    hotspots = Path(hotspots) if hotspots is not None else schedule.parent / "hotspots.csv"
    if not hotspots.is_file():
        raise DataError(f"hot spots file not found: {hotspots} (give --hotspots FILE.csv; by "
                        "default the hotspots.csv beside the schedule is read)")
    plan = read_plan_csv(schedule)
    check_schedule(plan, schedule)
    _check_days_match_dates(schedule, plan)
    raw = raw_columns(schedule)
    if "block" in raw:  # the stratum of a block design's draw (read_plan_csv leaves it out)
        plan["block"] = raw["block"].str.strip().to_numpy()
    origin = pd.Timestamp(plan["date"].min())
    return {"schedule": plan, "design": declared_design(schedule.parent),
            "gps": read_gps_csv(gps, origin),
            "crimes": read_crimes_csv(crimes, origin), "hotspots": read_hotspots_csv(hotspots),
            "origin": origin, "files": {"schedule": schedule, "gps": Path(gps),
                                        "crimes": Path(crimes), "hotspots": hotspots}}


def pack_design(folder: str | Path) -> dict:
    """A trial pack's ``design.json`` (``trial design`` writes it beside the schedule).

    Parameters
    ----------
    folder : str or Path
        The folder holding the schedule.

    Returns
    -------
    dict
        The record; empty when the folder has no ``design.json``.

    Raises
    ------
    DataError
        A ``design.json`` that is not a JSON object.
    """
    from ..io import read_json

    path = Path(folder) / "design.json"
    if not path.is_file():
        return {}
    fix = "write the pack again with 'hotspot-sim trial design', or move the file away"
    record = read_json(path, fix)
    if not isinstance(record, dict):
        raise DataError(f"{path}: not a trial design record (a JSON object); {fix}")
    return record


def declared_design(folder: str | Path) -> str | None:
    """The design a pack's ``design.json`` in ``folder`` pre-registers (None: no file).

    Raises
    ------
    DataError
        A ``design.json`` naming no design ``trial analyse`` knows.
    """
    record = pack_design(folder)
    if not record:
        return None
    design = record.get("design")
    if design not in DESIGNS:
        raise DataError(f"{Path(folder) / 'design.json'}: 'design' is {design!r}; expected one "
                        f"of {', '.join(DESIGNS)} (the pack's design from 'hotspot-sim trial "
                        "design'); correct it or give --design")
    return design


def check_schedule(plan: pd.DataFrame, path: Path) -> None:
    """A schedule a trial can be analysed on: dated, one row per spot-day, both arms.

    Parameters
    ----------
    plan : pandas.DataFrame
        :func:`hotspot_sim.track.inputs.read_plan_csv` of the schedule.
    path : Path
        The file, for messages.

    Raises
    ------
    DataError
        No ``date`` column, a hot spot twice on one day, or no treated or no control
        spot-day.
    """
    if "date" not in plan:
        raise DataError(f"{path}, line 1 (header): no 'date' column; the schedule needs each "
                        "trial day's date to place GPS pings and crimes on trial days "
                        "(columns: date, day, hotspot_id, treated, planned_minutes)")
    twice = plan.duplicated(["day", "hotspot_id"], keep="first").to_numpy()
    if twice.any():
        raise DataError(f"{path}: {int(twice.sum()):,} row(s) give a hot spot a second time on "
                        f"one day: {_rows(plan, twice, ['date', 'hotspot_id'])}; a schedule "
                        "has one row per hot spot per day")
    n_treated = int(plan["treated"].sum())
    if n_treated in (0, len(plan)):
        raise DataError(f"{path}, column 'treated': {'no' if n_treated == 0 else 'every'} "
                        f"spot-day is treated; a randomised trial needs treated and control "
                        "spot-days")


def raw_columns(path: str | Path) -> pd.DataFrame:
    """A CSV file's columns as text, names lower-case (the columns the readers leave out).

    Parameters
    ----------
    path : str or Path
        A file the track readers have read (so it is a readable CSV).

    Returns
    -------
    pandas.DataFrame
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    return raw


def _check_days_match_dates(path: Path, plan: pd.DataFrame) -> None:
    """A schedule's ``day`` column, when given, must count days from its first date.

    The dates decide (:func:`read_plan_csv` reads days from them); a ``day`` that
    disagrees means a hand-edited or mis-exported schedule, whose rows may be on other
    days than the officers were told.
    """
    raw = raw_columns(path)
    if "day" not in raw:
        return
    given = pd.to_numeric(raw["day"].str.strip(), errors="coerce").to_numpy(float)
    wrong = given != plan["day"].to_numpy(float)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise DataError(f"{path}, line {i + 2}, column 'day': {raw['day'].iloc[i]!r} is not the "
                        f"day of date {plan['date'].iloc[i]} (day 0 = {plan['date'].min()}, the "
                        f"first date); {int(wrong.sum()):,} row(s) disagree. Correct the "
                        "dates or the days")


def trial_day(frame: pd.DataFrame, origin: pd.Timestamp) -> np.ndarray:
    """Each row's day of the trial (0 = ``origin``'s day; negative before it), from ``time``."""
    return np.floor(minutes_since(frame["time"], origin) / DAY_MIN)


def check_period(frame: pd.DataFrame, what: str, path, origin: pd.Timestamp,
                 n_days: int) -> None:
    """Some of ``frame``'s times must fall on the schedule's days, else name both periods.

    Parameters
    ----------
    frame : pandas.DataFrame
        GPS pings or crimes (``time``).
    what : str
        ``"GPS pings"`` or ``"crimes"``.
    path : str or Path
        Their file, for the message.
    origin : Timestamp
        Midnight of day 0.
    n_days : int
        Days of the schedule.

    Raises
    ------
    DataError
        None of the times is on a trial day.
    """
    day = trial_day(frame, origin)
    if not ((day >= 0) & (day < n_days)).any():
        last = origin + pd.Timedelta(days=n_days - 1)
        raise DataError(f"{path}: none of the {len(frame):,} {what} is on a day of the "
                        f"schedule ({origin:%Y-%m-%d} to {last:%Y-%m-%d}); they run from "
                        f"{frame['time'].min():%Y-%m-%d} to {frame['time'].max():%Y-%m-%d}. "
                        "Give the files of the trial the schedule describes")


def gps_coverage_notes(gps: pd.DataFrame, path, origin: pd.Timestamp, n_days: int
                       ) -> list[dict]:
    """Warnings for a GPS log that covers only part of the schedule's days.

    :func:`check_period` refuses a log with no ping on a trial day; one that covers
    some days only (an export of the first week of a fortnight) would otherwise count
    the missing days as no presence at all, in both arms.

    Parameters
    ----------
    gps : pandas.DataFrame
        GPS pings (``time``).
    path : str or Path
        Their file, for the message.
    origin : Timestamp
        Midnight of day 0.
    n_days : int
        Days of the schedule.

    Returns
    -------
    list of dict
        ``check, file, rows, message``: schedule days without a ping, and pings
        outside the schedule's days (left out of the dose).
    """
    day = trial_day(gps, origin)
    inside = (day >= 0) & (day < n_days)
    missing = np.setdiff1d(np.arange(n_days), day[inside].astype(np.int64))
    notes = []
    if len(missing):
        dates = ", ".join(f"{origin + pd.Timedelta(days=int(d)):%Y-%m-%d}" for d in missing[:5])
        more = f" and {len(missing) - 5:,} more" if len(missing) > 5 else ""
        notes.append({"check": "schedule days without GPS", "file": str(path),
                      "rows": len(missing),
                      "message": f"{path}: {len(missing):,} of the schedule's {n_days:,} days "
                                 f"have no GPS ping ({dates}{more}); they count as no "
                                 "presence at all. Give the GPS of the whole trial"})
    if not inside.all():
        notes.append({"check": "GPS outside the schedule", "file": str(path),
                      "rows": int((~inside).sum()),
                      "message": f"{path}: {int((~inside).sum()):,} of {len(gps):,} pings are "
                                 f"not on a day of the schedule, e.g. "
                                 f"{_rows(gps, ~inside, ['time'])}; left out"})
    return notes


def infer_design(plan: pd.DataFrame) -> str:
    """The design that drew a schedule, read from the schedule itself.

    Treatment that changes from day to day at a hot spot is a crossover, and so is a
    schedule whose ``block`` (the stratum of the draw) changes from day to day at a
    hot spot: it was drawn afresh each day, even if a short trial happened to give a
    hot spot the same arm every day.  Treatment fixed per hot spot is a block design
    when the schedule has several ``block`` values, each hot spot keeping its own
    (pairs), else a parallel one (:mod:`hotspot_sim.trial.design`).

    Parameters
    ----------
    plan : pandas.DataFrame
        ``hotspot_id, treated`` [, ``block``].

    Returns
    -------
    str
        ``"crossover"``, ``"block"`` or ``"parallel"``.
    """
    by_spot = plan.groupby("hotspot_id")
    if by_spot["treated"].nunique().max() > 1:
        return "crossover"
    if "block" in plan and by_spot["block"].nunique().max() > 1:
        return "crossover"
    if "block" in plan and plan["block"].nunique() > 1:
        return "block"
    return "parallel"


def analysis_design(trial: dict, design: str | None = None) -> tuple[str, list[dict]]:
    """The design a trial is analysed as, with a note when the sources disagree.

    ``design`` (``--design``) decides when given; else the pack's ``design.json`` (the
    pre-registered design); else the schedule (:func:`infer_design`).

    Parameters
    ----------
    trial : dict
        :func:`read_trial` (``schedule``; ``design`` from ``design.json`` when there).
    design : str, optional
        The design asked for.

    Returns
    -------
    design : str
    notes : list of dict
        A warning row (``check, file, rows, message``) when the design used is not
        the one the schedule looks like.
    """
    plan = trial["schedule"]
    drawn, declared = infer_design(plan), trial.get("design")
    chosen = design or declared or drawn
    if chosen == drawn:
        return chosen, []
    src = trial.get("files", {}).get("schedule", "the schedule")
    why = "(--design), as asked" if design else "(the pack's design.json)"
    return chosen, [{"check": "design", "file": str(src), "rows": len(plan),
                     "message": f"{src}: the schedule looks like a {drawn} design but is "
                                f"analysed as a {chosen} design {why}"}]


def trial_hotspots(hotspots: pd.DataFrame, plan: pd.DataFrame, path) -> tuple[pd.DataFrame, list]:
    """The hot spots of the schedule, in the hot spots file's order.

    Crimes are placed by their nearest hot spot, so places listed but not in the
    trial (e.g. reserves) are left out, with a note.

    Parameters
    ----------
    hotspots, plan : pandas.DataFrame
        The hot spots and the schedule.
    path : Path
        The hot spots file, for messages.

    Returns
    -------
    hotspots : pandas.DataFrame
        The scheduled hot spots.
    notes : list of dict
        A warning row (``check, file, rows, message``) when some were left out.

    Raises
    ------
    DataError
        A scheduled hot spot is not in the hot spots file.
    """
    ids = set(plan["hotspot_id"])
    missing = ids - set(hotspots["hotspot_id"])
    if missing:
        some = ", ".join(map(str, sorted(missing, key=str)[:5]))
        raise DataError(f"{plan.attrs.get('source', 'schedule')}: {len(missing)} scheduled hot "
                        f"spot id(s) are not in {path}: {some}; give the hot spots file of "
                        "this schedule (--hotspots)")
    extra = ~hotspots["hotspot_id"].isin(ids).to_numpy()
    notes = []
    if extra.any():
        notes.append({"check": "hot spots not in the schedule", "file": str(path),
                      "rows": int(extra.sum()),
                      "message": f"{path}: {int(extra.sum())} hot spot(s) are not in the schedule "
                                 f"and are left out: {_rows(hotspots, extra, ['hotspot_id'])}"})
    return hotspots[~extra].reset_index(drop=True), notes


# --------------------------------------------------------------------------- spot-days


def spot_day_table(plan: pd.DataFrame, crimes: pd.DataFrame, hotspots: pd.DataFrame,
                   dose: pd.DataFrame, origin: pd.Timestamp, zone: int = 0,
                   rings=(BUFFER_M,)) -> pd.DataFrame:
    """The real trial's spot-days: as a simulated trial's, from recorded crimes and GPS dose.

    Parameters
    ----------
    plan : pandas.DataFrame
        The schedule (``day, hotspot_id, treated``): its rows are the spot-days.
    crimes : pandas.DataFrame
        ``time, x, y, harm`` [, ``crime_type``].
    hotspots : pandas.DataFrame
        ``hotspot_id, x, y, radius_m``.
    dose : pandas.DataFrame
        ``day, hotspot_id, minutes`` (:func:`hotspot_sim.track.dose.dose_by_day`).
    origin : Timestamp
        Midnight of day 0.
    zone : int
        Which crimes count: 0 within the radius (the hot spot), 1 in the first ring
        beyond it (the buffer).
    rings : sequence of float
        Ring edges beyond the radius (:func:`hotspot_sim.track.zones.zone_crimes`).

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id, day, treated`` [, ``block``], ``crimes, harm, dose_minutes`` in the
        schedule's order.
    """
    zoning = zone_crimes(crimes["x"], crimes["y"], hotspots, rings, None)
    day = trial_day(crimes, origin).astype(np.int64)
    ids = hotspots["hotspot_id"].to_numpy(object)
    here = zoning.zone == zone
    harm = crimes["harm"].to_numpy(float)
    # a crime type without a harm weight counts as a crime with no harm (track warns of it)
    counted = pd.DataFrame({"hotspot_id": ids[zoning.nearest[here]], "day": day[here],
                            "harm": np.nan_to_num(harm[here])})
    agg = counted.groupby(["hotspot_id", "day"]).agg(crimes=("harm", "size"), harm=("harm", "sum"))
    table = plan[["hotspot_id", "day", "treated"]
                 + (["block"] if "block" in plan else [])].reset_index(drop=True)
    key = pd.MultiIndex.from_arrays([table["hotspot_id"].astype(object), table["day"]])
    agg.index = pd.MultiIndex.from_arrays([agg.index.get_level_values(0).astype(object),
                                           agg.index.get_level_values(1)])
    table["crimes"] = agg["crimes"].reindex(key).fillna(0).to_numpy(np.int64)
    table["harm"] = agg["harm"].reindex(key).fillna(0.0).to_numpy(float)
    table["treated"] = table["treated"].astype(bool)
    return add_dose(table, dose)


def type_spot_days(plan, crimes, hotspots, dose, origin) -> dict[str, pd.DataFrame]:
    """:func:`spot_day_table` of each crime type with at least ``MIN_CRIMES`` in the hot spots."""
    if "crime_type" not in crimes:
        return {}
    out = {}
    for ctype, rows in crimes.groupby("crime_type", sort=True):
        if not str(ctype):
            continue
        table = spot_day_table(plan, rows, hotspots, dose, origin)
        if table["crimes"].sum() >= MIN_CRIMES:
            out[str(ctype)] = table
    return out


# --------------------------------------------------------------------------- statistics


def outcome_statistics(spotdays: pd.DataFrame, n_permutations: int, label: str,
                       design: str = "crossover") -> pd.DataFrame:
    """:func:`spot_day_statistics` on counts and on harm, one row each, labelled.

    For a crossover these are :func:`trial_statistics`' figures, the ones a simulated
    trial reports.

    Parameters
    ----------
    spotdays : pandas.DataFrame
        Spot-days of the trial.
    n_permutations : int
        Re-drawn assignments of the randomisation test.
    label : str
        What the spot-days count (e.g. ``"all crimes"``), the table's first column.
    design : {"crossover", "parallel", "block"}
        How the trial assigned treatment.

    Returns
    -------
    pandas.DataFrame
        ``crimes_counted, outcome, design``, the columns of :func:`spot_day_statistics`
        and ``note``.
    """
    columns = ["crimes_counted", "outcome", "design", "spot_days", "treated", "rate_ratio",
               "ci_low", "ci_high", "p_glm", "p_permutation", "mean_treated", "mean_control",
               "note"]
    rows = [{"crimes_counted": label, "outcome": outcome, "design": design, "note": "",
             **spot_day_statistics(spotdays, outcome, n_permutations, design)}
            for outcome in ("crimes", "harm")]
    return pd.DataFrame(rows).reindex(columns=columns)


def trial_cost_benefit(spotdays: pd.DataFrame, cost_per_hour: float) -> pd.DataFrame:
    """Cost-benefit of patrolling the treated spot-days, against leaving them as controls.

    The two "arms" are the treated spot-days and the same number of spot-days at the
    control spot-days' means (crimes, harm, GPS presence hours): the extra hours are the
    presence over background patrol, as :func:`cost_benefit` prices the intervention and
    not routine policing.  Raw means per spot-day, not the GLM's adjusted rate ratio.

    Parameters
    ----------
    spotdays : pandas.DataFrame
        Spot-days with ``treated, crimes, harm, dose_minutes``.
    cost_per_hour : float
        Cost of one officer hour.

    Returns
    -------
    pandas.DataFrame
        :func:`cost_benefit` of arms ``patrolled`` and ``not patrolled``.
    """
    n_treated = int(spotdays["treated"].sum())
    rows = []
    for arm, on in (("patrolled", True), ("not patrolled", False)):
        g = spotdays[spotdays["treated"] == on]
        rows.append({"arm": arm, "crimes": g["crimes"].mean() * n_treated,
                     "harm": g["harm"].mean() * n_treated,
                     "patrol_hours": g["dose_minutes"].mean() * n_treated / 60})
    out = cost_benefit(pd.DataFrame(rows), "not patrolled", cost_per_hour)
    return out.assign(spot_days=n_treated).drop(columns="n_runs")


# --------------------------------------------------------------------------- the analysis


def analyse_trial(trial: dict, radius_m: float | None = None,
                  cost_per_hour: float = DEFAULT_COST_PER_OFFICER_HOUR,
                  n_permutations: int = 999, design: str | None = None
                  ) -> dict[str, pd.DataFrame]:
    """Every table of a real trial's analysis (see the module's description).

    Parameters
    ----------
    trial : dict
        :func:`read_trial` (``schedule, gps, crimes, hotspots, origin``; ``files``
        optional).
    radius_m : float, optional
        One radius for every hot spot (default: the hot spots' ``radius_m``, else 100 m).
    cost_per_hour : float
        Cost of one officer hour for the cost-benefit (an assumption by default:
        ``DEFAULT_COST_PER_OFFICER_HOUR``).
    n_permutations : int
        Re-drawn assignments of the randomisation test.
    design : {"crossover", "parallel", "block"}, optional
        How the trial assigned treatment (default: the pack's ``design.json``, else
        :func:`infer_design`; see :func:`analysis_design`).

    Returns
    -------
    dict of pandas.DataFrame
        ``spot_days``, ``dose_by_arm``, ``compliance_overall`` (and ``compliance``,
        ``compliance_by_hotspot``), ``statistics`` (counts and harm, all crimes),
        ``by_crime_type``, ``buffer_spot_days`` and ``displacement`` (crime in the
        100 m buffers: treated vs control days), ``displacement_zones`` (track's
        zones), ``cost_benefit``, ``visits``, ``dose``, ``hotspots``, ``warnings``.

    Raises
    ------
    DataError
        Files that do not belong together (:func:`hotspot_sim.track.track_frames`).
    """
    from ..track.report import track_frames

    plan, origin = trial["schedule"], trial["origin"]
    where = trial.get("files", {}).get("hotspots", "the hot spots")
    hotspots, notes = trial_hotspots(trial["hotspots"], plan, where)
    design, design_notes = analysis_design(trial, design)
    notes += design_notes
    n_days = int(plan["day"].max()) + 1
    end = origin + pd.Timedelta(days=n_days)
    files = trial.get("files", {})
    for name, what in (("gps", "GPS pings"), ("crimes", "crimes")):
        check_period(trial[name], what, files.get(name, f"the {what}"), origin, n_days)
    notes += gps_coverage_notes(trial["gps"], files.get("gps", "the GPS pings"), origin, n_days)
    track = track_frames(trial["gps"], hotspots, trial["crimes"], plan,
                         radius_m, origin=origin, end_time=end)
    hs, dose = track["hotspots"], track["dose"]
    crimes = _trial_crimes(trial["crimes"], origin, n_days)
    sd = spot_day_table(plan, crimes, hs, dose, origin)
    buffer = spot_day_table(plan, crimes, hs, dose, origin, zone=1)
    by_type = [outcome_statistics(t, n_permutations, ctype, design)
               for ctype, t in type_spot_days(plan, crimes, hs, dose, origin).items()]
    return {
        "spot_days": sd, "dose_by_arm": dose_by_arm(sd, cluster="hotspot_id"),
        "compliance_overall": track.get("compliance_overall", pd.DataFrame()),
        "compliance_by_hotspot": track.get("compliance_by_hotspot", pd.DataFrame()),
        "compliance": track.get("compliance", pd.DataFrame()),
        "statistics": outcome_statistics(sd, n_permutations, "all crimes", design),
        "by_crime_type": pd.concat(by_type, ignore_index=True) if by_type else pd.DataFrame(),
        "buffer_spot_days": buffer,
        "displacement": outcome_statistics(buffer, n_permutations,
                                           f"crimes in the {BUFFER_M:g} m buffer", design),
        "displacement_zones": track.get("displacement", pd.DataFrame()),
        "cost_benefit": trial_cost_benefit(sd, cost_per_hour),
        "visits": track["visits"], "dose": dose, "hotspots": hs,
        "warnings": pd.concat([pd.DataFrame(notes, columns=track["warnings"].columns),
                               track["warnings"]], ignore_index=True),
    }


def _trial_crimes(crimes: pd.DataFrame, origin: pd.Timestamp, n_days: int) -> pd.DataFrame:
    """The crimes on the trial's days (day 0 .. n_days - 1)."""
    day = trial_day(crimes, origin)
    return crimes[(day >= 0) & (day < n_days)].reset_index(drop=True)


# --------------------------------------------------------------------------- report


def headline(tables: dict[str, pd.DataFrame]) -> str:
    """The few lines ``trial analyse`` prints: dose per arm, compliance, rate ratios.

    Parameters
    ----------
    tables : dict of pandas.DataFrame
        :func:`analyse_trial`.

    Returns
    -------
    str
    """
    sd = tables["spot_days"]
    design = tables["statistics"]["design"].iloc[0]
    lines = [f"Trial ({design} design): {sd['hotspot_id'].nunique()} hot spots x "
             f"{sd['day'].nunique()} days = "
             f"{len(sd):,} spot-days ({int(sd['treated'].sum()):,} treated); "
             f"{int(sd['crimes'].sum()):,} crimes in the hot spots"]
    for r in tables["dose_by_arm"].itertuples():
        lines.append(f"  dose on {r.assignment} spot-days: {r.mean_minutes:.1f} min/day "
                     f"({_interval(r.ci_low, r.ci_high, r.note)})")
    comp = tables["compliance_overall"]
    if len(comp) and comp.iloc[0]["planned_spot_days"] > 0:
        o = comp.iloc[0]
        lines.append(f"  compliance: {100 * o['share_planned_days_met']:.0f}% of planned "
                     f"spot-days got at least {100 * o['threshold']:.0f}% of the planned minutes "
                     f"(delivered/planned {100 * o['delivered_over_planned']:.0f}%)")
    for r in tables["statistics"].itertuples():
        lines.append(f"  {r.outcome}: {_ratio_text(r)}")
    return "\n".join(lines)


def _interval(lo: float, hi: float, note: str) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return note or "no interval"
    return f"95% interval {lo:.1f} to {hi:.1f}"


def _ratio_text(r) -> str:
    """One statistics row as 'rate ratio 0.81 (95% CI 0.62-1.05), p = 0.12, ...'."""
    if not isinstance(getattr(r, "rate_ratio", None), float) or math.isnan(r.rate_ratio):
        return f"no rate ratio ({r.note})"
    return (f"rate ratio {r.rate_ratio:.2f} (95% CI {r.ci_low:.2f} to {r.ci_high:.2f}), "
            f"GLM p = {r.p_glm:.3f}, randomisation test p = {r.p_permutation:.3f}")


def report_text(tables: dict[str, pd.DataFrame], cost_per_hour: float,
                files: dict | None = None) -> str:
    """The analysis as Markdown (``report.md``).

    Parameters
    ----------
    tables : dict of pandas.DataFrame
        :func:`analyse_trial`.
    cost_per_hour : float
        The cost of an officer hour used.
    files : dict, optional
        The input files, listed at the top.

    Returns
    -------
    str
    """
    from ..wording import money

    lines = ["# Real trial analysis", ""]
    if files:
        lines += ["Files: " + ", ".join(f"{k} `{v}`" for k, v in files.items()), ""]
    lines += ["```", headline(tables), "```", "",
              "## Dose per spot-day (GPS presence minutes within the hot spot radius)", "",
              "Every ping counts, so control places get background presence too (Southend "
              "about 2 min/day, Basford et al. 2021; Peterborough about 16, Ariel et al. "
              "2016). Interval: cluster-robust by hot spot.", "",
              markdown(tables["dose_by_arm"]), ""]
    if len(tables["compliance_overall"]):
        overall = tables["compliance_overall"].iloc[0]
        lines += ["## Compliance with the schedule", "",
                  markdown(pd.DataFrame({"measure": overall.index.str.replace("_", " "),
                                         "value": overall.to_numpy(float)}), ".2f"), ""]
    lines += ["## Rate ratio, treated vs control spot-days", "",
              "Poisson GLM (Wald 95% interval) and a randomisation test of its rate ratio "
              "re-drawing the assignment as the design drew it, as the pack's protocol "
              "pre-registers: a crossover with hot spot fixed effects (as simulated trials "
              "are analysed), a parallel design without, a block design with pair effects; "
              "harm with cluster-robust errors.", "",
              markdown(tables["statistics"], ".3f"), "",
              f"## By crime type (types with at least {MIN_CRIMES} crimes in the hot spots)", "",
              markdown(tables["by_crime_type"], ".3f"), "",
              f"## Displacement: crime in the {BUFFER_M:g} m buffer beyond each hot spot", "",
              "A rate ratio above 1 on treated days means crime moved into the buffer "
              "(displacement), below 1 diffusion of benefits (Bland et al. 2021 found "
              "neither).", "", markdown(tables["displacement"], ".3f"), "",
              f"## Cost-benefit at {money(cost_per_hour, 2)} per officer hour", "",
              "Treated spot-days against the same number at the control spot-days' means; "
              "extra hours = presence above background patrol.", "",
              markdown(tables["cost_benefit"]), ""]
    if len(tables["warnings"]):
        lines += ["## Input checks", "", markdown(tables["warnings"]), ""]
    return "\n".join(lines)


def dose_figure(spotdays: pd.DataFrame, path: Path) -> Path:
    """Histogram of presence minutes on treated and on control spot-days.

    Parameters
    ----------
    spotdays : pandas.DataFrame
        ``treated, dose_minutes``.
    path : Path
        The PNG to write.

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    top = max(float(spotdays["dose_minutes"].max()), 1.0)
    bins = np.linspace(0, top, 25)
    for name, on, colour in (("treated", True, "tab:blue"), ("control", False, "tab:orange")):
        values = spotdays.loc[spotdays["treated"] == on, "dose_minutes"]
        ax.hist(values, bins=bins, alpha=0.6, color=colour,
                label=f"{name} spot-days (mean {values.mean():.1f} min)")
    ax.set_xlabel("GPS presence minutes per hot spot per day")
    ax.set_ylabel("spot-days")
    ax.set_title("Dose delivered, treated and control spot-days")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_analysis(tables: dict[str, pd.DataFrame], out: str | Path, cost_per_hour: float,
                   files: dict | None = None) -> dict[str, Path]:
    """Write every table as CSV, ``report.md`` and ``dose.png`` into ``out`` (created).

    Parameters
    ----------
    tables : dict of pandas.DataFrame
        :func:`analyse_trial`.
    out : str or Path
        The folder.
    cost_per_hour : float
        For the report's heading.
    files : dict, optional
        The input files, named in the report.

    Returns
    -------
    dict of Path
        Every file written, by name.
    """
    from ..track.report import write_tables

    out = Path(out)
    paths = write_tables(tables, out)
    paths["report.md"] = out / "report.md"
    paths["report.md"].write_text(report_text(tables, cost_per_hour, files))
    paths["dose.png"] = dose_figure(tables["spot_days"], out / "dose.png")
    return paths
