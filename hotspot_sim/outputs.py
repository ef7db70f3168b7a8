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
    run.json               seed, policy, days, timings, versions, summary

A run folder holds one run: it is written as a hidden sibling folder and then
swapped in, so a new run never inherits an old run's files (another policy's
hot spots or dose plan), and an existing run is replaced only when asked.
Every file is written to a fresh temporary file (``O_EXCL``, never through a
symbolic link planted at a predictable name) and renamed into place.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import shutil
import tempfile
import time
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import ConfigError, DataError
from .gis import write_run_gpkg


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

    Raises
    ------
    ConfigError
        If ``folder`` holds a run and ``overwrite`` is false, or holds other
        files (see :func:`check_run_folder`).
    """
    folder = Path(folder)
    check_run_folder(folder, overwrite)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        manifest = _write_run_files(model, staging, wall_seconds)
        check_run_folder(folder, overwrite)  # again: another process may have written meanwhile
        _swap_in(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _write_run_files(model, folder: Path, wall_seconds: float | None) -> dict:
    """Write every table, scenario.json and run.json into the (new, empty) ``folder``."""
    attempts = model.attempts_table()
    tables = {
        "attempts": attempts,
        "crimes": attempts[attempts["outcome"] != "deterred"].reset_index(drop=True),
        "gps": model.gps_table(),
        "officer_status": model.status_table(),
        "calls": model.calls_table(),
        "daily": model.daily_table(),
        "model_series": model.datacollector.get_model_vars_dataframe(),
    }
    tables.update(model.policy.outputs())
    for name, df in tables.items():
        write_parquet(df, folder / f"{name}.parquet")
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
        "tables": {name: len(df) for name, df in tables.items()}, "summary": summary,
    }
    write_text(folder / "run.json", json.dumps(manifest, indent=2, default=str))
    return manifest


def check_run_folder(folder: Path, overwrite: bool = False) -> None:
    """Check that a run may be written as ``folder`` (call it before simulating).

    Absent or empty folders are fine; a folder holding a run (``run.json`` or
    parquet tables) is fine only with ``overwrite``; any other folder or file
    is never replaced, so a mistyped ``--out`` cannot delete a user's files.

    Raises
    ------
    ConfigError
        Naming the folder, what it holds and what to do.
    """
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return
    if folder.is_symlink() or not folder.is_dir():
        raise ConfigError(f"run folder {folder} exists and is not a folder (a file or symbolic "
                          "link); give a new folder with --out")
    names = sorted(p.name for p in folder.iterdir())
    if not names:
        return
    if "run.json" not in names and not any(n.endswith(".parquet") for n in names):
        raise ConfigError(f"{folder} is not empty and holds no run ({', '.join(names[:5])}"
                          f"{', ...' if len(names) > 5 else ''}); it is never replaced: give a "
                          "new or empty folder with --out")
    if not overwrite:
        raise ConfigError(f"{folder} already holds a run ({_describe_run(folder)}); add "
                          "--overwrite to replace it, or give another folder with --out")


def holds_same_run(folder: Path, model, days: float) -> bool:
    """Whether ``folder`` holds a run made with exactly these settings.

    Same scenario (every key), policy, policy parameters and days: one seed
    gives identical outputs, so replacing such a run loses nothing. Anything
    unreadable counts as different.
    """
    folder = Path(folder)
    try:
        stored_scenario = json.loads((folder / "scenario.json").read_text())
        stored = json.loads((folder / "run.json").read_text())
    except (OSError, ValueError):
        return False
    ours = json.loads(json.dumps(model.config.to_dict(), default=str))
    params = json.loads(json.dumps(model.policy.params, default=str))
    return (stored_scenario == ours and stored.get("policy") == model.policy_name
            and stored.get("policy_params") == params
            and stored.get("days") == round(days * 1440) / 1440)


def _describe_run(folder: Path) -> str:
    """'policy X, N days, seed S, written T' from a run folder's run.json, if readable."""
    try:
        m = json.loads((folder / "run.json").read_text())
        return (f"policy {m['policy']}, {float(m['days']):g} days, seed {m['seed']}, "
                f"written {m['written']}")
    except (OSError, ValueError, KeyError, TypeError):
        return "its run.json is missing or unreadable"


def _swap_in(staging: Path, folder: Path) -> None:
    """Put the finished folder ``staging`` at ``folder``, replacing any old one.

    Renames only: the old folder is moved aside, the new one moved in (the old
    one is moved back if that fails), then the old one is deleted.
    """
    os.chmod(staging, 0o777 & ~_umask())  # mkdtemp made it private
    if not folder.exists():
        os.rename(staging, folder)
        return
    old = folder.with_name(f".{folder.name}.old-{secrets.token_hex(4)}")
    os.rename(folder, old)
    try:
        os.rename(staging, folder)
    except BaseException:
        os.rename(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


@lru_cache(maxsize=1)
def _umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path: Path):
    """Open a new binary file that replaces ``path`` only when the block succeeds.

    The temporary file is made with :func:`tempfile.mkstemp` (``O_EXCL``) in
    the destination folder, so a symbolic link planted at a predictable
    temporary name is never followed, and a killed process never leaves half
    a file at ``path``.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it private
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as parquet at ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path) as fh:
        df.to_parquet(fh, index=False)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` at ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path) as fh:
        fh.write(text.encode("utf-8"))


def read_parquet(path: Path, fix: str) -> pd.DataFrame:
    """Read a parquet table, or raise DataError naming the file when it is damaged.

    Parameters
    ----------
    path : Path
        The table.
    fix : str
        What the user should do, e.g. "rerun that run (hotspot-sim run --overwrite)".

    Raises
    ------
    DataError
        If the file is empty (0 bytes), truncated or not parquet.
    """
    import pyarrow as pa

    try:
        return pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        size = path.stat().st_size if path.is_file() else 0
        what = "it is empty (0 bytes)" if size == 0 else \
            f"it is damaged or not parquet ({size:,} bytes; {str(exc).splitlines()[0]})"
        raise DataError(f"{path}: cannot read this table: {what}; {fix}") from None


def read_json(path: Path, fix: str) -> dict:
    """Read a JSON file (run.json, manifest.json), or raise DataError naming it when damaged."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read this JSON file ({exc}); {fix}") from None


def run_summary(model, tables: dict) -> dict:
    crimes, attempts, calls = tables["crimes"], tables["attempts"], tables["calls"]
    days = max(model.tick / 1440, 1e-9)
    answered = calls.dropna(subset=["arrived"])
    by_grade = {}
    for grade, g in answered.groupby("grade"):
        by_grade[f"grade{grade}"] = {
            "calls": int(len(g)), "median_response_min": round(float(g["response_minutes"].median()), 1),
            "met_target_pct": round(100 * float(g["met_target"].mean()), 1)}
    status = tables["officer_status"]
    minutes = status.drop(columns=["day", "date", "officer"], errors="ignore").sum() if len(status) else {}
    return {
        "crimes": int(len(crimes)), "crimes_per_day": round(len(crimes) / days, 2),
        "harm_chi_days": round(float(crimes["harm"].sum()), 1),
        "attempts_deterred": int((attempts["outcome"] == "deterred").sum()),
        "crimes_displaced": int((attempts["outcome"] == "displaced").sum()),
        "calls": int(len(calls)), "calls_answered": int(len(answered)), "response": by_grade,
        "officer_minutes": {k: int(v) for k, v in dict(minutes).items()},
    }


def format_summary(manifest: dict) -> str:
    s = manifest["summary"]
    lines = [f"Run: scenario {manifest['scenario']}, policy {manifest['policy']}, "
             f"{manifest['days']:.1f} days, seed {manifest['seed']}"
             + (f" ({manifest['wall_seconds']:.1f} s)" if manifest.get("wall_seconds") else ""),
             f"  crimes {s['crimes']:,} ({s['crimes_per_day']}/day), harm {s['harm_chi_days']:,.0f} "
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
    return "\n".join(lines)
