"""A run's tables (attempts, GPS pings, calls, officer status) built from the model's logs.

The kernels append offending attempts and GPS pings to fixed buffers
(:class:`~hotspot_sim.sim.state.Logs`); a :class:`~hotspot_sim.sim.logbook.LogBook`
moves them out in chunks whenever a buffer fills and at each midnight, into memory or
streamed to parquet, and the functions here turn the chunks into the tables a run
folder holds: the same tables either way.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..io import arrow_pool
from . import kernels as K
from .logbook import concat_chunks
from .state import GPS_FIELDS

if TYPE_CHECKING:  # pragma: no cover
    from .model import PatrolModel

CALL_COLUMNS = ["call_id", "grade", "time", "node", "officer", "dispatched", "arrived", "cleared",
                "travel_m", "service_minutes", "interruptions"]


def day_totals(cols: dict, type_harm: np.ndarray) -> dict:
    """Crimes, harm, deterred and displaced attempts among one day's attempts.

    Parameters
    ----------
    cols : dict
        ``a_outcome`` and ``a_type`` arrays of the day's attempts.
    type_harm : numpy.ndarray
        Crime Harm Index days per crime type.

    Returns
    -------
    dict
        ``crimes, harm, deterred, displaced``.
    """
    out = cols["a_outcome"]
    crime = out != K.DETERRED
    return {"crimes": int(crime.sum()),
            "harm": float(type_harm[cols["a_type"][crime].astype(np.int64)].sum()),
            "deterred": int((out == K.DETERRED).sum()),
            "displaced": int((out == K.DISPLACED).sum())}


def attempts_table(model: PatrolModel) -> pd.DataFrame:
    """Every offending attempt: committed, deterred or displaced.

    Parameters
    ----------
    model : PatrolModel
        The model (its logs are flushed first).

    Returns
    -------
    pandas.DataFrame
        ``tick, time, node, x, y, crime_type, harm, offender, outcome, origin_node``.
    """
    model.flush_logs()
    return attempts_frame(model, model.logbook.attempt_columns())


def attempts_frame(model: PatrolModel, cols: dict) -> pd.DataFrame:
    """:func:`attempts_table` of some attempts' log columns (all of them, or a chunk)."""
    tick = cols["a_tick"]
    node = cols["a_node"].astype(np.int64)
    ctype = cols["a_type"].astype(np.int64)
    known = ctype >= 0
    names = np.array(model.crime_types + [""], dtype=object)
    return pd.DataFrame({
        "tick": tick, "time": model.calendar.times(tick), "node": node,
        "x": model.network.x[node], "y": model.network.y[node],
        "crime_type": names[np.where(known, ctype, -1)],
        "harm": np.where(known, model.type_harm[np.maximum(ctype, 0)], 0.0),
        "offender": cols["a_offender"].astype(np.int32),
        "outcome": pd.Categorical.from_codes(cols["a_outcome"].astype(np.int8),
                                             categories=list(K.OUTCOME_NAMES)),
        "origin_node": cols["a_origin"].astype(np.int64)})


def outcome_counts(model: PatrolModel) -> dict[str, int]:
    """Attempts by outcome (``committed, deterred, displaced``), reading only the outcomes.

    Parameters
    ----------
    model : PatrolModel
        The model (its logs are flushed first).

    Returns
    -------
    dict
    """
    model.flush_logs()
    counts = np.zeros(len(K.OUTCOME_NAMES), np.int64)
    for chunk in model.logbook.chunks("attempts", ("a_outcome",)):
        counts += np.bincount(chunk["a_outcome"].astype(np.int64), minlength=len(counts))
    return {name: int(n) for name, n in zip(K.OUTCOME_NAMES, counts)}


def gps_table(model: PatrolModel) -> pd.DataFrame:
    """GPS pings: ``tick, time, officer, node, x, y, status``.

    Parameters
    ----------
    model : PatrolModel
        The model.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ConfigError
        If the model was built with ``keep_gps=False``.
    """
    _check_gps_kept(model)
    model.flush_logs()
    return gps_frame(model, model.logbook.gps_columns())


def _check_gps_kept(model: PatrolModel) -> None:
    if not model.logbook.keep_gps:
        raise ConfigError("this model was built with keep_gps=False: it kept no GPS pings "
                          "(build it with keep_gps=True for gps_table or a run folder)")


def gps_frame(model: PatrolModel, cols: dict) -> pd.DataFrame:
    """:func:`gps_table` of some GPS log columns (all of them, or a chunk)."""
    return pd.DataFrame({
        "tick": cols["g_tick"], "time": model.calendar.times(cols["g_tick"]),
        "officer": cols["g_officer"].astype(np.int16), "node": cols["g_node"].astype(np.int32),
        "x": cols["g_x"], "y": cols["g_y"],
        "status": pd.Categorical.from_codes(cols["g_status"].astype(np.int8),
                                            categories=list(K.STATUS_NAMES))})


def gps_visits(model: PatrolModel, hotspots: pd.DataFrame, radius_m: float) -> pd.DataFrame:
    """``track.visits(model.gps_table(), hotspots, radius_m)``, from the log chunk by chunk.

    The same visits, in the same order, holding only the pings inside hot spots
    (:func:`hotspot_sim.track.presence.visits_from_chunks`): a year of pings as one
    table and its sorting peaked at ~2.2 GB, one officer at a time at ~0.7 GB.

    Parameters
    ----------
    model : PatrolModel
        A model that has run (with its GPS pings kept).
    hotspots : pandas.DataFrame
        ``hotspot_id, x, y``.
    radius_m : float
        Hot spot radius.

    Returns
    -------
    pandas.DataFrame
        :func:`hotspot_sim.track.visits`.
    """
    from ..track.presence import visits, visits_from_chunks

    _check_gps_kept(model)
    model.flush_logs()
    chunks = (gps_frame(model, chunk) for chunk in model.logbook.chunks("gps"))
    first = next(chunks, None)
    if first is None:  # no ping at all
        return visits(model.gps_table(), hotspots, radius_m)
    return visits_from_chunks(itertools.chain([first], chunks), hotspots, radius_m)


def write_gps_parquet(model: PatrolModel, path: Path) -> int:
    """Write :func:`gps_table` as parquet one log chunk at a time (never the whole table).

    Reads back the same as ``gps_table(model).to_parquet(path, index=False)``.

    Parameters
    ----------
    model : PatrolModel
        The model.
    path : Path
        The file.

    Returns
    -------
    int
        Pings written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    _check_gps_kept(model)
    model.flush_logs()
    arrow_pool()
    writer, rows = None, 0
    try:
        for chunk in model.logbook.chunks("gps"):
            table = pa.Table.from_pandas(gps_frame(model, chunk), preserve_index=False,
                                         nthreads=1)  # a day's chunk: threads cost more
            if writer is None:  # the schema of the first chunk: dtypes as the kernels log them
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table.cast(writer.schema))
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # no ping at all: the empty table, as gps_table gives it
        gps_frame(model, concat_chunks([], GPS_FIELDS)).to_parquet(path, index=False)
    return rows


def calls_table(model: PatrolModel) -> pd.DataFrame:
    """Calls for service with response times and whether each met its grade's target.

    Parameters
    ----------
    model : PatrolModel
        The model.

    Returns
    -------
    pandas.DataFrame
    """
    rows = [{"call_id": c.call_id, "grade": c.grade, "time": c.time, "node": c.node,
             "officer": c.officer, "dispatched": c.dispatched, "arrived": c.arrived,
             "cleared": c.cleared, "travel_m": c.travel_m,
             "service_minutes": c.service_minutes, "interruptions": c.interruptions}
            for c in model.dispatch.calls]
    df = pd.DataFrame(rows, columns=CALL_COLUMNS)
    df["response_minutes"] = df["arrived"] - df["time"]
    targets = np.array(model.config.calls.target_minutes)
    df["target_minutes"] = targets[df["grade"].to_numpy(int) - 1] if len(df) else []
    df["met_target"] = df["response_minutes"] <= df["target_minutes"]
    return df


def response_by_grade(calls: pd.DataFrame) -> dict[int, dict]:
    """Answered calls, median response and share within target, for grades 1, 2 and 3.

    Parameters
    ----------
    calls : pandas.DataFrame
        :func:`calls_table` (unanswered calls are left out).

    Returns
    -------
    dict
        ``{grade: {"calls", "median_response_min", "met_target_pct"}}``; a grade with
        no answered call has 0 calls and NaN figures.
    """
    answered = calls.dropna(subset=["arrived"])
    out = {}
    for grade in (1, 2, 3):
        g = answered[answered["grade"] == grade]
        out[grade] = {"calls": int(len(g)),
                      "median_response_min": float(g["response_minutes"].median())
                      if len(g) else float("nan"),
                      "met_target_pct": float(100 * g["met_target"].mean())
                      if len(g) else float("nan")}
    return out


def status_table(model: PatrolModel) -> pd.DataFrame:
    """Minutes per officer per day in each status, the current (partial) day included.

    Parameters
    ----------
    model : PatrolModel
        The model.

    Returns
    -------
    pandas.DataFrame
        ``day, date, officer`` and one column per status, by day then officer.
    """
    log = model.status_log
    days, minutes = list(log.days), list(log.minutes)
    oc = model.officers
    if oc.status_min.any():
        days.append(model.day_index(model.tick))
        minutes.append(oc.status_min)
    columns = ["day", "date", "officer", *K.STATUS_NAMES]
    if not days:
        return pd.DataFrame([], columns=columns)
    per_day = np.array([m.shape[0] for m in minutes])
    day = np.repeat(np.array(days, np.int64), per_day)
    dates = np.empty(len(days), dtype=object)
    dates[:] = [model.calendar.date_of_day(d) for d in days]
    table = np.concatenate(minutes).astype(np.int64)
    return pd.DataFrame({"day": day, "date": np.repeat(dates, per_day),
                         "officer": np.concatenate([np.arange(n, dtype=np.int64)
                                                    for n in per_day]),
                         **{name: table[:, s] for s, name in enumerate(K.STATUS_NAMES)}},
                        columns=columns)


class RunTables:
    """The run's tables as methods of the model (mixed into :class:`PatrolModel`)."""

    def attempts_table(self) -> pd.DataFrame:
        """Every offending attempt: committed, deterred or displaced (:func:`attempts_table`)."""
        return attempts_table(self)

    def crimes_table(self) -> pd.DataFrame:
        """Crimes that happened (committed where attempted, or displaced)."""
        a = self.attempts_table()
        return a[a["outcome"] != "deterred"].reset_index(drop=True)

    def gps_table(self) -> pd.DataFrame:
        """GPS pings: officer, time, node, x, y, status (:func:`gps_table`)."""
        return gps_table(self)

    def calls_table(self) -> pd.DataFrame:
        """Calls for service with response times and targets (:func:`calls_table`)."""
        return calls_table(self)

    def status_table(self) -> pd.DataFrame:
        """Minutes per officer per day in each status, today so far included."""
        return status_table(self)

    def daily_table(self) -> pd.DataFrame:
        """Daily totals: crimes, harm, deterred, displaced, calls."""
        return pd.DataFrame(self.daily_columns)
