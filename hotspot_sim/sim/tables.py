"""A run's tables (attempts, GPS pings, calls, officer status) built from the model's logs.

The kernels append offending attempts and GPS pings to fixed buffers
(:class:`~hotspot_sim.sim.state.Logs`); :class:`LogBook` moves them out in
chunks whenever a buffer fills and at each midnight, and the functions here
turn the chunks into the tables a run folder holds.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import kernels as K
from .state import ATTEMPT_FIELDS, GPS_FIELDS, Logs, Officers

if TYPE_CHECKING:  # pragma: no cover
    from .model import PatrolModel

CALL_COLUMNS = ["call_id", "grade", "time", "node", "officer", "dispatched", "arrived", "cleared",
                "travel_m", "service_minutes", "interruptions"]


class LogBook:
    """Attempts and GPS pings moved out of the kernels' buffers, in chunks."""

    def __init__(self):
        self.attempts: list[dict] = []
        self.gps: list[dict] = []
        self._day_first_chunk = 0

    def flush(self, logs: Logs) -> None:
        """Move what the kernels logged out of ``logs`` and empty its buffers.

        Parameters
        ----------
        logs : Logs
            The kernels' log buffers.
        """
        n, g = int(logs.counts[0]), int(logs.counts[1])
        if n:
            self.attempts.append({f: getattr(logs, f)[:n].copy() for f in ATTEMPT_FIELDS})
        if g:
            self.gps.append({f: getattr(logs, f)[:g].copy() for f in GPS_FIELDS})
        logs.counts[:] = 0

    def attempt_columns(self, fields: tuple[str, ...] = ATTEMPT_FIELDS) -> dict:
        """Every attempt so far: one array per field."""
        return concat_chunks(self.attempts, fields)

    def gps_columns(self) -> dict:
        """Every GPS ping so far: one array per field."""
        return concat_chunks(self.gps, GPS_FIELDS)

    def attempts_since_last_day(self, fields: tuple[str, ...]) -> dict:
        """Attempts flushed since the previous call (one call per midnight).

        Parameters
        ----------
        fields : tuple of str
            Which :data:`~hotspot_sim.sim.state.ATTEMPT_FIELDS` to return.

        Returns
        -------
        dict
            One array per field.
        """
        cols = concat_chunks(self.attempts[self._day_first_chunk:], fields)
        self._day_first_chunk = len(self.attempts)
        return cols


def concat_chunks(chunks: list[dict], fields: tuple[str, ...]) -> dict:
    """The chunks' arrays joined, one per field.

    Parameters
    ----------
    chunks : list of dict
        Arrays by field name.
    fields : tuple of str
        The fields to join.

    Returns
    -------
    dict
        One array per field (empty int64 arrays when there is no chunk).
    """
    if not chunks:
        return {f: np.zeros(0, np.int64) for f in fields}
    return {f: np.concatenate([c[f] for c in chunks]) for f in fields}


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


def status_rows(officers: Officers, day: int, date: dt.date) -> list[dict]:
    """One row per officer: minutes in each status since the counters were last reset.

    Parameters
    ----------
    officers : Officers
        The officers' arrays.
    day : int
        Calendar day the minutes belong to.
    date : datetime.date
        Its date.

    Returns
    -------
    list of dict
        ``day, date, officer`` and one column per status.
    """
    rows = []
    for k in range(officers.mode.shape[0]):
        row = {"day": day, "date": date, "officer": k}
        row.update({name: int(officers.status_min[k, s]) for s, name in enumerate(K.STATUS_NAMES)})
        rows.append(row)
    return rows


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
    cols = model.logbook.attempt_columns()
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


def gps_table(model: PatrolModel) -> pd.DataFrame:
    """GPS pings: ``tick, time, officer, node, x, y, status``.

    Parameters
    ----------
    model : PatrolModel
        The model.

    Returns
    -------
    pandas.DataFrame
    """
    model.flush_logs()
    cols = model.logbook.gps_columns()
    return pd.DataFrame({
        "tick": cols["g_tick"], "time": model.calendar.times(cols["g_tick"]),
        "officer": cols["g_officer"].astype(np.int16), "node": cols["g_node"].astype(np.int32),
        "x": cols["g_x"], "y": cols["g_y"],
        "status": pd.Categorical.from_codes(cols["g_status"].astype(np.int8),
                                            categories=list(K.STATUS_NAMES))})


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
    """
    rows = list(model.status_rows)
    oc = model.officers
    if oc.status_min.any():
        day = model.day_index(model.tick)
        rows += status_rows(oc, day, model.calendar.date_of_day(day))
    return pd.DataFrame(rows, columns=["day", "date", "officer", *K.STATUS_NAMES])


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
        return pd.DataFrame(self.daily_rows)
