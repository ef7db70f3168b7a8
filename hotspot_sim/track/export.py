"""Export a simulated trial as the CSV files a force would hand in for ``trial analyse``.

:func:`export_trial` turns a run folder of a randomised policy (``crossover_daily``,
``crossover_patrol``, ``parallel_patrol``) into ``schedule.csv`` (the trial pack's
schedule, the ``--plan`` format of ``track``), ``hotspots.csv``, ``gps.csv`` and ``crimes.csv`` in the formats
``hotspot-sim track --help`` documents.  Analysing them with ``trial analyse`` gives
back the simulated trial's own spot-days and statistics (a test checks it), and small
exports are the shipped examples (``scripts/make_trial_examples.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..io import read_parquet

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
ONE_DRAW_POLICIES = frozenset({"parallel_patrol"})
"""Policies that draw the assignment once for the whole run (a parallel trial: block 0);
the others draw it afresh each day (block = the day)."""


def export_trial(run_dir: str | Path, out: str | Path, radius_m: float | None = None,
                 ping_every_min: int = 1, officers=None,
                 on_duty_only: bool = False) -> dict[str, Path]:
    """Write a simulated trial's schedule, hot spots, GPS pings and crimes as CSV.

    Parameters
    ----------
    run_dir : str or Path
        A run folder (``hotspot-sim run --policy crossover_daily ...``).
    out : str or Path
        The folder to write into (created).
    radius_m : float, optional
        The hot spots' ``radius_m`` (default: the run's hot spots' own, else 100 m).
    ping_every_min : int
        Keep one ping in this many minutes (1: every ping; 2 halves the file, as a
        force's 2-minute GPS would give).
    officers : iterable, optional
        Keep only these officers' pings (default: all, response cars too).
    on_duty_only : bool
        Leave out the pings with status ``off_duty`` (a force's devices are off then).

    Returns
    -------
    dict of Path
        ``schedule, hotspots, gps, crimes``: the files written.

    Raises
    ------
    DataError
        Not a run folder, or a run of a policy that does not randomise spot-days.
    """
    from .report import read_run, write_tables

    run_dir, out = Path(run_dir), Path(out)
    run = read_run(run_dir, with_gps=True)
    if not run["manifest"]:
        raise DataError(f"{run_dir}: no run.json; give a run folder written by 'hotspot-sim "
                        "run --policy crossover_daily ...'")
    assignments = run_dir / "assignments.parquet"
    if not assignments.is_file() or run["hotspots"] is None or run["gps"] is None:
        raise DataError(f"{run_dir}: no assignments.parquet, hotspots.parquet or gps.parquet; "
                        "export a run of a randomised policy (--policy crossover_daily, "
                        "crossover_patrol or parallel_patrol)")
    manifest, origin = run["manifest"], run["origin"]
    n_days = int(np.ceil(float(manifest["minutes"]) / 1440 - 1e-9
                         + (pd.Timestamp(manifest["start"]) - origin) / pd.Timedelta(days=1)))
    frames = {
        "schedule": schedule_frame(read_parquet(assignments, f"rerun the run into {run_dir}"),
                                   manifest.get("policy_params", {}),
                                   origin, n_days,
                                   one_draw=manifest.get("policy") in ONE_DRAW_POLICIES),
        "hotspots": hotspots_frame(run["hotspots"], radius_m),
        "gps": gps_frame(run["gps"], ping_every_min, officers, on_duty_only),
        "crimes": crimes_frame(run["crimes"]),
    }
    return write_tables(frames, out)


def schedule_frame(assignments: pd.DataFrame, params: dict, origin: pd.Timestamp,
                   n_days: int, one_draw: bool = False) -> pd.DataFrame:
    """The trial pack's ``schedule.csv`` from a crossover policy's daily assignments.

    Parameters
    ----------
    assignments : pandas.DataFrame
        ``day, hotspot_id, treated`` (the policy's ``assignments`` table).
    params : dict
        The policy's parameters (``dose_minutes``, ``visits``).
    origin : Timestamp
        Midnight of day 0.
    n_days : int
        Days of the run (an assignment drawn at its closing midnight is left out).
    one_draw : bool
        The assignment was drawn once for the run (a parallel trial): block 0; else
        the policy randomises within each day: block = the day.

    Returns
    -------
    pandas.DataFrame
        ``date, day, hotspot_id, treated, planned_minutes, visits, block``.
    """
    a = assignments[assignments["day"] < n_days].sort_values(["day", "hotspot_id"])
    visits = int(params.get("visits", 1))
    treated = a["treated"].astype(bool).to_numpy()
    return pd.DataFrame({
        "date": (origin + pd.to_timedelta(a["day"].to_numpy(), unit="D")).strftime("%Y-%m-%d"),
        "day": a["day"].to_numpy(np.int64), "hotspot_id": a["hotspot_id"].to_numpy(),
        "treated": np.where(treated, "true", "false"),
        "planned_minutes": np.where(treated, float(params.get("dose_minutes", 15)) * visits, 0.0),
        "visits": np.where(treated, visits, 0),
        "block": 0 if one_draw else a["day"].to_numpy(np.int64)})


def hotspots_frame(hotspots: pd.DataFrame, radius_m: float | None = None) -> pd.DataFrame:
    """``hotspots.csv``: ``hotspot_id, x, y, lon, lat, radius_m``.

    Parameters
    ----------
    hotspots : pandas.DataFrame
        ``hotspot_id, x, y`` [, ``radius_m``].
    radius_m : float, optional
        One radius for all (default: the table's ``radius_m``, else 100 m).

    Returns
    -------
    pandas.DataFrame
    """
    from ..projection import to_lonlat
    from .presence import hotspot_radii

    x, y = hotspots["x"].to_numpy(float), hotspots["y"].to_numpy(float)
    lon, lat = to_lonlat(x, y)
    radius = hotspot_radii(hotspots, radius_m)
    return pd.DataFrame({"hotspot_id": hotspots["hotspot_id"].to_numpy(), "x": x, "y": y,
                         "lon": np.round(lon, 6), "lat": np.round(lat, 6), "radius_m": radius})


def gps_frame(gps: pd.DataFrame, ping_every_min: int = 1, officers=None,
              on_duty_only: bool = False) -> pd.DataFrame:
    """``gps.csv``: ``officer, time, x, y, status``, optionally thinned.

    Parameters
    ----------
    gps : pandas.DataFrame
        A run's ``gps`` table (``tick, time, officer, x, y, status``).
    ping_every_min : int
        Keep the pings whose tick is a multiple of this.
    officers : iterable, optional
        Keep only these officers.
    on_duty_only : bool
        Leave out the ``off_duty`` pings.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        ``ping_every_min`` below 1, or no ping left.
    """
    if int(ping_every_min) < 1:
        raise DataError(f"ping_every_min must be a whole number >= 1, got {ping_every_min!r}")
    keep = gps["tick"].to_numpy() % int(ping_every_min) == 0
    if officers is not None:
        keep &= gps["officer"].isin(list(officers)).to_numpy()
    if on_duty_only:
        keep &= (gps["status"].astype(str) != "off_duty").to_numpy()
    g = gps[keep]
    if not len(g):
        raise DataError("no GPS ping left to export (check officers and ping_every_min)")
    # float64: a float32 coordinate written as its shortest text is not the same number read
    # back as float64, and a ping on a hot spot's edge could change sides
    return pd.DataFrame({"officer": g["officer"].to_numpy(),
                         "time": pd.to_datetime(g["time"]).dt.strftime(TIME_FORMAT).to_numpy(),
                         "x": g["x"].to_numpy(np.float64), "y": g["y"].to_numpy(np.float64),
                         "status": g["status"].astype(str).to_numpy()})


def crimes_frame(crimes: pd.DataFrame) -> pd.DataFrame:
    """``crimes.csv``: ``crime_id, time, x, y, crime_type, harm``.

    Parameters
    ----------
    crimes : pandas.DataFrame
        A run's ``crimes`` table.

    Returns
    -------
    pandas.DataFrame
    """
    c = crimes.sort_values("tick", kind="stable")
    return pd.DataFrame({"crime_id": np.arange(1, len(c) + 1),
                         "time": pd.to_datetime(c["time"]).dt.strftime(TIME_FORMAT).to_numpy(),
                         "x": c["x"].to_numpy(np.float64), "y": c["y"].to_numpy(np.float64),
                         "crime_type": c["crime_type"].astype(str).to_numpy(),
                         "harm": c["harm"].to_numpy(float)})
