"""Track a run folder's GPS log (``gps.parquet``) one row group at a time.

A run folder's log holds every ping of every officer: a year of the default
scenario is ~5 million pings, ~2 GB once read and sorted as one table.  Here the
file is read row group by row group (one simulated day each): visits are found
as the chunks come (:class:`~hotspot_sim.track.presence.VisitFinder`), the
minutes on duty and answering calls are counted per officer and day, and the
checks :func:`~hotspot_sim.track.input_checks.check_inputs` makes on the pings
are summed up, so memory grows with the visits, not with the pings.  A log those
checks would fail about, or leave pings out of, goes the whole-table way, which
words the error or warning with example rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .dose import calls_per_day, duty_pings
from .input_checks import (AREA_MARGIN_M, STRAY_GAP_DAYS, STRAY_RATIO, _distance_to_area,
                           _warner, check_crimes, check_hotspots, warn_far)
from .inputs import N_EXAMPLES, _rows
from .presence import VisitFinder
from .survival import DEFAULT_HORIZON_MIN

GPS_COLUMNS = ["officer", "tick", "time", "x", "y", "status"]


def gps_row_groups(path: Path, columns: list[str] = GPS_COLUMNS):
    """A parquet GPS log as DataFrames, one row group at a time.

    Parameters
    ----------
    path : Path
        ``gps.parquet`` of a run folder.
    columns : list of str
        The columns read.

    Yields
    ------
    pandas.DataFrame
    """
    import pyarrow.parquet as pq

    from ..io import arrow_pool

    pool = arrow_pool()
    with pq.ParquetFile(path) as pf:
        for i in range(pf.num_row_groups):
            yield pf.read_row_group(i, columns=columns, use_threads=False).to_pandas(
                use_threads=False, memory_pool=pool)


class _PingScan:
    """What the checks and the call minutes need from every ping, summed chunk by chunk."""

    def __init__(self, hotspots: pd.DataFrame, origin: pd.Timestamp, margin_m: float):
        self.hotspots, self.origin, self.margin_m = hotspots, origin, margin_m
        self.rows, self.far = 0, 0
        self.far_examples: list[pd.DataFrame] = []  # the first few far pings, by row number
        self.times: list[pd.Series] = []  # pings per distinct time
        self.duty: list[pd.DataFrame] = []  # on-duty and on-call pings per officer and day

    def add(self, chunk: pd.DataFrame) -> None:
        far = np.flatnonzero(_distance_to_area(chunk, self.hotspots) > self.margin_m)
        if self.far < N_EXAMPLES and len(far):
            first = far[:N_EXAMPLES]
            self.far_examples.append(pd.DataFrame({
                "row": self.rows + first + 1, "x": chunk["x"].to_numpy()[first],
                "y": chunk["y"].to_numpy()[first]}))
        self.rows += len(chunk)
        self.far += len(far)
        t = pd.to_datetime(chunk["time"]).to_numpy("datetime64[us]")
        self.times.append(pd.Series(t).value_counts(sort=False))
        officer, day, on, call = duty_pings(chunk, self.origin)
        self.duty.append(pd.DataFrame({"officer": officer, "day": day, "on": on.astype(np.int64),
                                       "call": call.astype(np.int64)})
                         .groupby(["officer", "day"]).sum())

    def warn_far(self, warn) -> None:
        """``check_inputs``' warning about pings far from the hot spots (if any)."""
        if self.far:
            ex = pd.concat(self.far_examples, ignore_index=True)
            warn_far(self.far, self.rows, _rows(ex, np.ones(len(ex), bool), ["x", "y"],
                                                ex["row"].to_numpy(), self.far),
                     "GPS pings", "the GPS log", "they count as time away from the hot spots",
                     warn, self.margin_m)

    def any_stray(self, gap_days: float = STRAY_GAP_DAYS, ratio: float = STRAY_RATIO) -> bool:
        """Whether :func:`~hotspot_sim.track.input_checks.stray_times` finds any stray ping."""
        counts = pd.concat(self.times).groupby(level=0).sum().sort_index()
        t = counts.index.to_numpy("datetime64[us]")
        if counts.sum() < 2:
            return False
        split = np.diff(t) > np.timedelta64(int(gap_days * 86400e6), "us")
        run = np.r_[0, np.cumsum(split)]
        size = np.bincount(run, weights=counts.to_numpy())
        return bool((size * ratio <= size.max()).any())

    def calls(self, finder: VisitFinder) -> pd.DataFrame:
        """:func:`~hotspot_sim.track.dose.call_minutes_by_day` of the pings scanned."""
        duty = pd.concat(self.duty).groupby(level=["officer", "day"]).sum().reset_index()
        minutes = finder.ping_minutes(duty["officer"])
        per_day = pd.DataFrame({"day": duty["day"], "on": duty["on"] * minutes,
                                "call": duty["call"] * minutes}).groupby("day").sum()
        return calls_per_day(per_day.reset_index(), self.origin)


def track_run_gps(path: Path, hotspots: pd.DataFrame, crimes: pd.DataFrame | None,
                  plan: pd.DataFrame | None, radius_m: float | None, origin, end_time,
                  interval_min: float | None = None, horizon_min: float = DEFAULT_HORIZON_MIN,
                  margin_m: float = AREA_MARGIN_M) -> dict[str, pd.DataFrame] | None:
    """:func:`~hotspot_sim.track.report.track_frames` of a run folder's ``gps.parquet``,
    read one row group at a time; the same tables.

    Parameters
    ----------
    path : Path
        The run folder's ``gps.parquet`` (each officer's pings in time order, as
        :func:`hotspot_sim.sim.tables.write_gps_parquet` writes them).
    hotspots, crimes, plan, radius_m, origin, end_time, interval_min, horizon_min, margin_m
        As :func:`~hotspot_sim.track.report.track_frames`.

    Returns
    -------
    dict of pandas.DataFrame or None
        The tables; None when the whole-table way must be taken: no origin or end
        time (a run folder without its run.json), a ping interval given, no hot spot,
        or pings the checks would fail about or leave out (stray times, every ping far
        from the hot spots, none in any hot spot, no ping at all, no ``status``).
    """
    from .report import track_tables

    if origin is None or end_time is None or interval_min is not None or not len(hotspots):
        return None
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as pf:
        if not set(GPS_COLUMNS) <= set(pf.schema_arrow.names):
            return None
    notes: list[dict] = []
    warn = _warner(notes)
    hs = check_hotspots(hotspots, radius_m, warn)
    origin = pd.Timestamp(origin)
    finder, scan = VisitFinder(hs, None), _PingScan(hs, origin, margin_m)
    for chunk in gps_row_groups(path):
        finder.add(chunk)
        scan.add(chunk)
    if not scan.rows or scan.far == scan.rows or not finder.found or scan.any_stray():
        return None
    scan.warn_far(warn)
    crimes = check_crimes(crimes, hs, origin, pd.Timestamp(end_time), warn, margin_m)
    calls = {"compliance": lambda: scan.calls(finder), "own": lambda: scan.calls(finder)}
    return track_tables(finder.visits(), calls, hs, crimes, plan, origin, end_time, notes,
                        horizon_min)
