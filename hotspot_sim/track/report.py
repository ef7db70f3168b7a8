"""Track a run folder or a set of frames: every table, written as CSV and as text."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..io import check_parquet, read_parquet, write_csv
from .dose import call_minutes_by_day, compliance, dose_by_day
from .input_checks import WARNING_COLUMNS, _warner, check_inputs, check_plan
from .inputs import DAY_MIN, minutes_since
from .presence import ping_minutes, visits
from .survival import DEFAULT_HORIZON_MIN, FOLLOW_UP_MIN, residual_deterrence
from .zones import displacement

def track_frames(gps: pd.DataFrame, hotspots: pd.DataFrame, crimes: pd.DataFrame | None = None,
                 plan: pd.DataFrame | None = None, radius_m: float | None = None,
                 origin: pd.Timestamp | None = None, end_time: pd.Timestamp | None = None,
                 interval_min: float | None = None,
                 horizon_min: float = DEFAULT_HORIZON_MIN) -> dict[str, pd.DataFrame]:
    """Every Track table from a GPS log, hot spots and (optionally) crimes and a plan.

    The inputs are checked first (:func:`check_inputs`, :func:`check_plan`):
    inputs that do not belong together are an error, and rows left out or far
    away are counted in the ``warnings`` table.

    Parameters
    ----------
    gps, hotspots : pandas.DataFrame
        The GPS log (``officer, tick, time, x, y`` [, ``status``]) and the hot
        spots (``hotspot_id, x, y`` [, ``radius_m``]).
    crimes : pandas.DataFrame, optional
        For residual deterrence and displacement.
    plan : pandas.DataFrame, optional
        ``day, hotspot_id, planned_minutes`` [, ``treated``] for compliance;
        its ``treated`` spot-days define treatment for displacement (without
        a plan, the hot spots with any visit count as treated).
    radius_m : float, optional
        Radius of every hot spot; None: the hot spots' own ``radius_m`` column,
        else 100 m.
    origin : Timestamp, optional
        Midnight of day 0 (default: the first midnight on or before the first ping).
    end_time : Timestamp, optional
        End of the data (default: the last ping + its interval).
    interval_min : float, optional
        Minutes between pings (default: each officer's median gap).
    horizon_min : float
        Longest follow-up after a visit, for residual deterrence.

    Returns
    -------
    dict of pandas.DataFrame
        ``visits``, ``dose``; with a plan ``compliance``, ``compliance_by_hotspot``,
        ``compliance_overall``; ``calls`` (with a GPS ``status``); with crimes
        ``spells``, ``survival``, ``residual_deterrence``, ``displacement``;
        ``hotspots`` (with the ``radius_m`` used) and ``warnings`` (``check,
        file, rows, message``; empty when all is well).

    Raises
    ------
    DataError
        When the inputs do not belong together (:func:`check_inputs`).
    """
    checked = check_inputs(gps, hotspots, crimes, radius_m, origin, end_time)
    gps, hotspots, crimes, origin = (checked[k] for k in ("gps", "hotspots", "crimes", "origin"))
    if end_time is None:
        end_time = pd.Timestamp(gps["time"].max()) + pd.Timedelta(
            minutes=float(np.median(ping_minutes(gps, interval_min))))
    # check_inputs put the radius used in each hot spot's radius_m
    v = visits(gps, hotspots, None, interval_min=interval_min)
    calls = {"compliance": lambda: call_minutes_by_day(gps, origin),
             "own": lambda: call_minutes_by_day(gps, origin, interval_min)}
    return track_tables(v, calls, hotspots, crimes, plan, origin, end_time, checked["warnings"],
                        horizon_min)


def track_tables(v: pd.DataFrame, calls: dict, hotspots: pd.DataFrame,
                 crimes: pd.DataFrame | None, plan: pd.DataFrame | None, origin: pd.Timestamp,
                 end_time, notes: list, horizon_min: float = DEFAULT_HORIZON_MIN
                 ) -> dict[str, pd.DataFrame]:
    """:func:`track_frames` once the inputs are checked and the visits found.

    Parameters
    ----------
    v : pandas.DataFrame
        :func:`visits`.
    calls : dict
        ``compliance`` and ``own``: functions giving :func:`call_minutes_by_day` with
        each officer's median gap, and with the interval given (if any).
    hotspots, crimes, origin, end_time, horizon_min
        Checked, as :func:`track_frames` has them.
    plan : pandas.DataFrame, optional
        The plan (checked here).
    notes : list of dict
        The checks' warnings so far (added to).

    Returns
    -------
    dict of pandas.DataFrame
        As :func:`track_frames`.
    """
    end_time = pd.Timestamp(end_time)
    n_days = max(1, math.ceil(minutes_since([end_time], origin)[0] / DAY_MIN - 1e-9))
    radius_m = None  # each hot spot's radius_m
    dose = dose_by_day(v, hotspots, days=n_days, origin=origin)
    out = {"visits": v, "dose": dose}
    if plan is not None and len(plan):
        plan = check_plan(plan, hotspots, n_days, origin,
                          _warner(notes))
        c = compliance(dose, plan, origin=origin, calls=calls["compliance"]())
        out.update(compliance=c["spot_days"], compliance_by_hotspot=c["by_hotspot"],
                   compliance_overall=c["overall"], calls=c["calls"])
    else:
        out["calls"] = calls["own"]()
    if crimes is not None:
        rd = residual_deterrence(v, crimes, hotspots, radius_m, horizon_min, end_time)
        out.update(spells=rd["spells"], survival=rd["survival"],
                   residual_deterrence=rd["table"])
        if plan is not None and len(plan) and "treated" in plan:
            treated = plan
        else:
            treated = v["hotspot_id"].unique()
        out["displacement"] = displacement(crimes, hotspots, treated, radius_m=radius_m,
                                           origin=origin)["zones"]
    out["hotspots"] = hotspots
    out["warnings"] = pd.DataFrame(notes, columns=WARNING_COLUMNS)
    return out


def read_run(run_dir: str | Path, with_gps: bool = True) -> dict:
    """The tables and manifest of a run folder that Track needs.

    Parameters
    ----------
    run_dir : str or Path
        A run folder (:func:`hotspot_sim.sim.outputs.write_run`).
    with_gps : bool
        Read ``gps.parquet`` too (False: ``gps`` is None).

    Returns
    -------
    dict
        ``gps``, ``crimes``, ``hotspots`` and ``plan`` (None when the file is
        absent), ``manifest`` (run.json), ``origin`` (midnight of the run
        start's date) and ``end_time`` (start + minutes run).

    Raises
    ------
    DataError
        The folder does not exist, or a file in it is damaged.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise DataError(f"run folder not found: {run_dir}")
    from ..io import read_json

    fix = _rerun(run_dir)
    manifest = read_json(run_dir / "run.json", fix) if (run_dir / "run.json").is_file() else {}

    def table(name):
        p = run_dir / f"{name}.parquet"
        return read_parquet(p, fix) if p.is_file() else None

    out = {name: table(file) for name, file in
           [("crimes", "crimes"), ("hotspots", "hotspots"), ("plan", "dose_plan")]}
    out["gps"] = table("gps") if with_gps else None
    out["manifest"] = manifest
    start = pd.Timestamp(manifest["start"]) if "start" in manifest else None
    out["origin"] = start.normalize() if start is not None else None
    out["end_time"] = (start + pd.Timedelta(minutes=float(manifest["minutes"]))
                       if start is not None and "minutes" in manifest else None)
    return out


def _rerun(run_dir: Path) -> str:
    """What to do about a damaged run folder."""
    return (f"the run folder is incomplete or damaged: rerun that run "
            f"(hotspot-sim run ... --out {run_dir} --overwrite)")


def track_run(run_dir: str | Path, radius_m: float | None = None, gps: pd.DataFrame | None = None,
              hotspots: pd.DataFrame | None = None, crimes: pd.DataFrame | None = None,
              plan: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every Track table for a run folder (:func:`hotspot_sim.sim.outputs.write_run`).

    Uses ``gps.parquet``, ``hotspots.parquet``, ``crimes.parquet`` and, if
    present, ``dose_plan.parquet``; day 0 is the run start's date.  Frames
    given as arguments replace the run's own (e.g. a real GPS export).

    Parameters
    ----------
    run_dir : str or Path
        The run folder.
    radius_m : float, optional
        Radius of every hot spot (default: the hot spots' own ``radius_m``, else 100 m).
    gps, hotspots, crimes, plan : pandas.DataFrame, optional
        Frames that replace the run's own.

    Returns
    -------
    dict of pandas.DataFrame
        As :func:`track_frames`.

    Raises
    ------
    DataError
        No GPS or no hot spots (the run was not a hot spot policy run and none
        were given), or inputs that do not belong together.
    """
    run = read_run(run_dir, with_gps=False)
    gps_file = Path(run_dir) / "gps.parquet"
    hotspots = run["hotspots"] if hotspots is None else hotspots
    crimes = run["crimes"] if crimes is None else crimes
    plan = run["plan"] if plan is None else plan
    if gps is None and not gps_file.is_file():
        raise DataError(f"{run_dir}: no gps.parquet (give --gps FILE.csv)")
    if gps is None:
        check_parquet(gps_file, _rerun(run_dir))
    if hotspots is None:
        raise DataError(f"{run_dir}: no hotspots.parquet; Track needs a hot spot policy run "
                        "(e.g. --policy hotspot_koper) or --hotspots FILE.csv")
    interval = run["manifest"].get("gps_interval_min")
    if gps is None:  # the run's own log: read a row group at a time when it can be
        tables = _track_run_gps(gps_file, hotspots, crimes, plan, radius_m, run, interval)
        if tables is not None:
            return tables
        gps = read_parquet(gps_file, _rerun(run_dir))
    return track_frames(gps, hotspots, crimes, plan, radius_m, origin=run["origin"],
                        end_time=run["end_time"], interval_min=interval)


def _track_run_gps(path: Path, hotspots, crimes, plan, radius_m, run: dict, interval):
    """:func:`~hotspot_sim.track.run_gps.track_run_gps`, with a damaged file's DataError."""
    import pyarrow as pa

    from .run_gps import track_run_gps

    try:
        return track_run_gps(path, hotspots, crimes, plan, radius_m, run["origin"],
                             run["end_time"], interval)
    except (OSError, pa.ArrowException):  # damaged inside: the whole-table read says so
        return None


def write_tables(tables: dict[str, pd.DataFrame], folder: str | Path) -> dict[str, Path]:
    """Write each table as ``<name>.csv`` in ``folder`` (created).

    Parameters
    ----------
    tables : dict of pandas.DataFrame
        Tables by name, e.g. from :func:`track_frames`.
    folder : str or Path
        Where to write them.

    Returns
    -------
    dict of Path
        The file written for each table.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, df in tables.items():
        paths[name] = folder / f"{name}.csv"
        write_csv(df, paths[name])
    return paths


def _fmt(v, spec: str = ".0f", na: str = "-") -> str:
    return na if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def _radius_label(tables: dict[str, pd.DataFrame], radius_m: float | None) -> str:
    """'100 m', or '50-150 m, per hot spot' from the radii :func:`track_frames` used."""
    if radius_m is None and "hotspots" in tables and "radius_m" in tables["hotspots"]:
        r = tables["hotspots"]["radius_m"].to_numpy(float)
        if len(r) and r.min() != r.max():
            return f"{r.min():g}-{r.max():g} m, per hot spot"
        radius_m = r[0] if len(r) else None
    return f"{_fmt(radius_m, 'g', 'per hot spot')} m"


def format_track(tables: dict[str, pd.DataFrame], radius_m: float | None = None) -> str:
    """A plain-text report of :func:`track_frames` tables (dose, compliance, calls, Koper).

    Parameters
    ----------
    tables : dict of pandas.DataFrame
        From :func:`track_frames`.
    radius_m : float, optional
        The radius given, for the heading (default: the radii the tables used).

    Returns
    -------
    str
        Lines of text.
    """
    dose, v = tables["dose"], tables["visits"]
    n_days = dose["day"].nunique()
    out = [f"Track: {len(v):,} visits by {v['officer'].nunique()} officers to "
           f"{dose['hotspot_id'].nunique()} hot spots over {n_days} day(s) "
           f"(radius {_radius_label(tables, radius_m)})", ""]
    by = tables.get("compliance_by_hotspot")
    if by is None:
        g = dose.groupby("hotspot_id")
        by = pd.DataFrame({"planned_min_per_day": math.nan,
                           "delivered_min_per_day": g["minutes"].mean(),
                           "visits_per_day": g["visits"].mean(),
                           "mean_visit_min": g["minutes"].sum() / g["visits"].sum()
                           .where(g["visits"].sum() > 0)}).reset_index()
        out.append("No dose plan: delivered dose only.")
    out.append(f"  {'hot spot':>8} {'planned':>9} {'delivered':>10} {'visits':>7} "
               f"{'mean visit':>10}  (minutes or visits per day)")
    for r in by.itertuples():
        out.append(f"  {str(r.hotspot_id):>8} {_fmt(r.planned_min_per_day, '.1f'):>9} "
                   f"{_fmt(r.delivered_min_per_day, '.1f'):>10} {_fmt(r.visits_per_day, '.1f'):>7} "
                   f"{_fmt(r.mean_visit_min, '.1f'):>10}")
    if "compliance_overall" in tables:
        o = tables["compliance_overall"].iloc[0]
        out += ["", f"Compliance: delivered {_fmt(o['delivered_on_planned_minutes'], ',.0f')} of "
                f"{_fmt(o['planned_minutes'], ',.0f')} planned minutes "
                f"({_fmt(100 * o['delivered_over_planned'], '.0f')}%); "
                f"{_fmt(100 * o['share_planned_days_met'], '.0f')}% of "
                f"{int(o['planned_spot_days'])} planned spot-days got at least "
                f"{100 * o['threshold']:.0f}% of the plan",
                f"  mean minutes per spot-day: treated {_fmt(o['treated_day_min'], '.1f')}, "
                f"control {_fmt(o['control_day_min'], '.1f')}"]
    calls = tables.get("calls")
    if calls is not None and len(calls):
        out.append(f"Minutes lost to calls: {calls['call_minutes'].sum():,.0f} "
                   f"({calls['call_minutes'].mean():,.0f}/day, "
                   f"{100 * calls['call_minutes'].sum() / max(calls['on_duty_minutes'].sum(), 1):.0f}"
                   "% of on-duty time)")
    elif calls is not None:
        out.append("Minutes lost to calls: unknown (the GPS has no status column)")
    rd = tables.get("residual_deterrence")
    if rd is not None:
        out += ["", "Residual deterrence (Kaplan-Meier; Koper 1995: ~15% crime within 30 min "
                "after a drive-by, ~4% after a 10-16 min stop)",
                f"  {'visit min':>9} {'spells':>6} {'mean':>6} {'crime<=30':>10} "
                f"{'<=60':>10} {'<=120':>10} {'median free':>11}"]
        for r in rd.itertuples():
            cells = [f"{getattr(r, f'crimes_within_{t}')} "
                     f"{_fmt(100 * getattr(r, f'p_crime_{t}'), '.0f', ' - ')}%".replace(" - %", " -")
                     for t in FOLLOW_UP_MIN]
            out.append(f"  {r.bin:>9} {r.spells:>6} {_fmt(r.mean_minutes, '.1f'):>6} "
                       f"{cells[0]:>10} {cells[1]:>10} {cells[2]:>10} "
                       f"{_fmt(r.median_crime_free_min, '.0f', '>follow-up'):>11}")
        out.append("  (crimes observed within t minutes and KM probability 1 - S(t); spells = "
                   "visits, overlapping ones merged)")
    disp = tables.get("displacement")
    if disp is not None:
        out += ["", "Crime by zone (nearest hot spot)"]
        for r in disp.itertuples():
            out.append(f"  {r.group:<9} {r.zone:<17} {r.places:>5} {r.unit:<9} crimes "
                       f"{r.crimes:>5} harm {r.harm:>9,.1f}")
    notes = tables.get("warnings")
    if notes is not None and len(notes):
        out += ["", f"Input checks: {len(notes)} warning(s), listed in warnings.csv: "
                + "; ".join(f"{r.check} ({r.rows:,} row{'s' * (r.rows != 1)})"
                            for r in notes.itertuples())]
    return "\n".join(out)
