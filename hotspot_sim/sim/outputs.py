"""Run folders: every table of a run as parquet, with the scenario and seed recorded.

A run folder holds::

    attempts.parquet       every offending attempt: committed, deterred or displaced
    crimes.parquet         the crimes that happened (committed + displaced)
    gps.parquet            officer GPS pings (officer, time, node, x, y, status)
    officer_status.parquet minutes per officer per day in each status
    calls.parquet          calls for service with response times and targets
    daily.parquet          daily totals (crimes, harm, deterred, displaced, calls)
    model_series.parquet   Mesa DataCollector model-level series (daily)
    scenario.json          the full scenario, as validated
    run.json               seed, policy, days, timings, versions, summary, and where
                           the risk and call time profiles come from (time_profiles)

A run folder holds one run: it is written whole and swapped in, every file
atomically (:func:`hotspot_sim.io.write_run_folder`), so a new run never
inherits an old run's files and an existing run is replaced only when asked.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

from .. import __version__
from ..gis import write_run_gpkg
from ..io import write_parquet, write_run_folder, write_text
from .tables import response_by_grade, write_gps_parquet


def write_run(model, folder: Path, wall_seconds: float | None = None,
              overwrite: bool = False) -> dict:
    """Write a model's outputs as the run folder ``folder``; returns the run manifest.

    Parameters
    ----------
    model : PatrolModel
        A model that has run.
    folder : Path
        The run folder; its parents are created.
    wall_seconds : float, optional
        Time the run took, recorded in ``run.json``.
    overwrite : bool
        Replace a run already in ``folder`` (else that is an error).

    Returns
    -------
    dict
        The manifest written as ``run.json``.

    Raises
    ------
    ConfigError
        If ``folder`` holds a run and ``overwrite`` is false, or holds other
        files (see :func:`hotspot_sim.io.check_run_folder`).
    """
    return write_run_folder(folder, lambda staging: _write_run_files(model, staging, wall_seconds),
                            overwrite)


def _write_run_files(model, folder: Path, wall_seconds: float | None) -> dict:
    """Write every table, scenario.json and run.json into the (new, empty) ``folder``.

    The GPS pings, a run's largest table, are written chunk by chunk from the model's
    logs (:func:`~hotspot_sim.sim.tables.write_gps_parquet`), never held whole.
    """
    attempts = model.attempts_table()
    tables = {
        "attempts": attempts,
        "crimes": attempts[attempts["outcome"] != "deterred"].reset_index(drop=True),
        "gps": None,  # streamed below
        "officer_status": model.status_table(),
        "calls": model.calls_table(),
        "daily": model.daily_table(),
        "model_series": model.datacollector.get_model_vars_dataframe(),
    }
    tables.update(model.policy.outputs())
    rows = {}
    for name, df in tables.items():
        if df is None:
            rows[name] = write_gps_parquet(model, folder / f"{name}.parquet")
        else:
            write_parquet(df, folder / f"{name}.parquet")
            rows[name] = len(df)
    tables = {name: df for name, df in tables.items() if df is not None}
    write_run_gpkg(tables, folder / "crimes.gpkg")  # the same crimes for QGIS/ArcGIS users
    summary = run_summary(model, tables)
    write_text(folder / "scenario.json", json.dumps(model.config.to_dict(), indent=2))
    manifest = {
        "scenario": model.config.scenario.name, "scenario_file": model.config.source,
        "seed": model.config.scenario.seed, "policy": model.policy_name,
        "policy_params": model.policy.params, "start": str(model.start),
        "minutes": model.tick, "days": model.tick / 1440,
        "wall_seconds": wall_seconds, "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "hotspot_sim": __version__, "python": platform.python_version(),
        "time_profiles": getattr(model, "time_profile_sources", None),
        "tables": rows, "summary": summary,
    }
    write_text(folder / "run.json", json.dumps(manifest, indent=2, default=str))
    return manifest


def run_summary(model, tables: dict) -> dict:
    """The headline figures of a run (``run.json``'s ``summary``).

    Parameters
    ----------
    model : PatrolModel
        A model that has run.
    tables : dict
        The run's tables by name (``crimes``, ``attempts``, ``calls``, ``officer_status``).

    Returns
    -------
    dict
        Crimes (and per day), harm, deterred and displaced attempts, calls answered and
        response by grade, officer minutes by status.
    """
    crimes, attempts, calls = tables["crimes"], tables["attempts"], tables["calls"]
    days = max(model.tick / 1440, 1e-9)
    answered = calls.dropna(subset=["arrived"])
    by_grade = {f"grade{grade}": {k: round(v, 1) if k != "calls" else v for k, v in r.items()}
                for grade, r in response_by_grade(calls).items() if r["calls"]}
    status = tables["officer_status"]
    minutes = status.drop(columns=["day", "date", "officer"], errors="ignore").sum() \
        if len(status) else {}
    return {
        "crimes": int(len(crimes)), "crimes_per_day": round(len(crimes) / days, 2),
        "harm_chi_days": round(float(crimes["harm"].sum()), 1),
        "attempts_deterred": int((attempts["outcome"] == "deterred").sum()),
        "crimes_displaced": int((attempts["outcome"] == "displaced").sum()),
        "calls": int(len(calls)), "calls_answered": int(len(answered)), "response": by_grade,
        "officer_minutes": {k: int(v) for k, v in dict(minutes).items()},
    }


def format_summary(manifest: dict) -> str:
    """The run's headline figures as the few lines ``hotspot-sim run`` prints.

    Parameters
    ----------
    manifest : dict
        What :func:`write_run` returned (or ``run.json`` read back).

    Returns
    -------
    str
    """
    s = manifest["summary"]
    lines = [f"Run: scenario {manifest['scenario']}, policy {manifest['policy']}, "
             f"{manifest['days']:.1f} days, seed {manifest['seed']}"
             + (f" ({manifest['wall_seconds']:.1f} s)" if manifest.get("wall_seconds") else ""),
             f"  crimes {s['crimes']:,} ({s['crimes_per_day']}/day), "
             f"harm {s['harm_chi_days']:,.0f} "
             f"CHI days; {s['attempts_deterred']:,} attempts deterred, "
             f"{s['crimes_displaced']:,} displaced",
             f"  calls {s['calls']:,} ({s['calls_answered']:,} answered)"]
    for grade, r in s["response"].items():
        lines.append(f"    {grade}: median response {r['median_response_min']} min, "
                     f"{r['met_target_pct']}% within target")
    om = s["officer_minutes"]
    total = sum(v for k, v in om.items() if k != "off_duty") or 1
    lines.append("  officer time: " + ", ".join(f"{k} {100 * v / total:.0f}%"
                                                for k, v in om.items() if k != "off_duty" and v))
    sources = manifest.get("time_profiles") or {}
    lines += [f"  {what} time profile: {source}" for what, source in sources.items()
              if not source.startswith("assumed")]  # the assumed ones are the documented default
    return "\n".join(lines)
