"""Dose: minutes of police presence per hot spot per day, against the plan.

Basford et al. (2021) report 98% compliance with a hot spot patrol plan measured
from GPS; Ariel et al. (2016) measured 37 vs 16 minutes a day at treatment vs
control hot spots, so control places get background patrol too.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import DataError
from .inputs import DAY_MIN, _plan_origin, day_origin, minutes_since
from .presence import ping_minutes

COMPLIANT_SHARE = 0.8
"""A planned spot-day is delivered when it got at least this share of the plan."""
CALL_STATUS = "answering_call"
OFF_STATUS = "off_duty"


def _days(days, lo: int, hi: int) -> np.ndarray:
    if days is None:
        return np.arange(lo, hi + 1)
    if isinstance(days, (int, np.integer)):
        return np.arange(int(days))
    return np.asarray(list(days), np.int64)


def dose_by_day(visits: pd.DataFrame, hotspots: pd.DataFrame, days=None, origin=None
                ) -> pd.DataFrame:
    """Minutes present, visits, mean and longest visit per hot spot per day.

    A visit across midnight gives its minutes to both days; it is counted
    (and its length averaged) on the day it started.

    Parameters
    ----------
    visits : pandas.DataFrame
        From :func:`visits`.
    hotspots : pandas.DataFrame
        Every hot spot gets a row per day, zero if unvisited.
    days : int or iterable of int, optional
        Day indices to report: an int n means 0..n-1; default: the days the
        visits span.
    origin : Timestamp, optional
        Midnight of day 0 (default: the first midnight on or before the first visit).

    Returns
    -------
    pandas.DataFrame
        ``day, date, hotspot_id, minutes, visits, mean_visit_min, max_visit_min``
        (the last two NaN without visits).
    """
    if origin is None:
        origin = day_origin(visits["start_time"]) if len(visits) else pd.Timestamp("1970-01-01")
    origin = pd.Timestamp(origin)
    s = minutes_since(visits["start_time"], origin)
    e = s + visits["minutes"].to_numpy(float)
    d0 = np.floor(s / DAY_MIN).astype(np.int64)
    d1 = np.maximum(np.floor((e - 1e-9) / DAY_MIN).astype(np.int64), d0)
    n = d1 - d0 + 1
    rep = np.repeat(np.arange(len(visits)), n)
    day = d0[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(n) - n, n))
    overlap = np.minimum(e[rep], (day + 1) * DAY_MIN) - np.maximum(s[rep], day * DAY_MIN)
    ids = visits["hotspot_id"].to_numpy(object)
    mins = pd.DataFrame({"day": day, "hotspot_id": ids[rep], "minutes": overlap}) \
        .groupby(["day", "hotspot_id"])["minutes"].sum()
    per = pd.DataFrame({"day": d0, "hotspot_id": ids, "len": visits["minutes"].to_numpy(float)}) \
        .groupby(["day", "hotspot_id"])["len"].agg(["size", "mean", "max"])
    all_days = _days(days, int(d0.min()) if len(d0) else 0, int(d1.max()) if len(d1) else -1)
    grid = pd.MultiIndex.from_product([all_days, hotspots["hotspot_id"].to_numpy(object)],
                                      names=["day", "hotspot_id"])
    out = pd.DataFrame(index=grid)
    out["minutes"] = mins.reindex(grid).fillna(0.0).to_numpy(float)
    out["visits"] = per["size"].reindex(grid).fillna(0).to_numpy(np.int64)
    out["mean_visit_min"] = per["mean"].reindex(grid).to_numpy(float)
    out["max_visit_min"] = per["max"].reindex(grid).to_numpy(float)
    out = out.reset_index()
    out["hotspot_id"] = out["hotspot_id"].astype(hotspots["hotspot_id"].dtype)
    out.insert(1, "date", (origin + pd.to_timedelta(out["day"], unit="D")).dt.date)
    return out


def call_minutes_by_day(gps: pd.DataFrame, origin=None, interval_min: float | None = None
                        ) -> pd.DataFrame:
    """Minutes on duty and answering calls per day, from the GPS ``status``.

    Parameters
    ----------
    gps : pandas.DataFrame
        ``officer, time`` [, ``status``]: a ping with status ``answering_call``
        counts as time lost to calls, one ``off_duty`` as time off duty.
    origin : Timestamp, optional
        Midnight of day 0 (default: the first midnight on or before the first ping).
    interval_min : float, optional
        Minutes each ping stands for (default: :func:`ping_minutes`).

    Returns
    -------
    pandas.DataFrame
        ``day, date, on_duty_minutes, call_minutes, call_share`` (empty if the
        GPS has no ``status``).
    """
    cols = ["day", "date", "on_duty_minutes", "call_minutes", "call_share"]
    if "status" not in gps or not len(gps):
        return pd.DataFrame(columns=cols)
    origin = day_origin(gps["time"]) if origin is None else pd.Timestamp(origin)
    minutes = ping_minutes(gps, interval_min)
    _, day, on, call = duty_pings(gps, origin)
    df = pd.DataFrame({"day": day, "on": np.where(on, minutes, 0.0),
                       "call": np.where(call, minutes, 0.0)})
    return calls_per_day(df.groupby("day").sum().reset_index(), origin)


def duty_pings(gps: pd.DataFrame, origin: pd.Timestamp) -> tuple[np.ndarray, ...]:
    """Each ping's officer, day, and whether it is on duty and answering a call.

    Parameters
    ----------
    gps : pandas.DataFrame
        ``officer, time, status``.
    origin : Timestamp
        Midnight of day 0.

    Returns
    -------
    tuple of numpy.ndarray
        ``officer, day, on_duty, on_call``.
    """
    status = gps["status"].astype(str).to_numpy()
    day = np.floor(minutes_since(gps["time"], origin) / DAY_MIN).astype(np.int64)
    return gps["officer"].to_numpy(), day, status != OFF_STATUS, status == CALL_STATUS


def calls_per_day(out: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
    """:func:`call_minutes_by_day` from ``day, on, call`` minutes per day (one row a day)."""
    cols = ["day", "date", "on_duty_minutes", "call_minutes", "call_share"]
    out = out[["day", "on", "call"]].copy()
    out.columns = ["day", "on_duty_minutes", "call_minutes"]
    out["call_share"] = out["call_minutes"] / out["on_duty_minutes"].where(
        out["on_duty_minutes"] > 0)
    out.insert(1, "date", (origin + pd.to_timedelta(out["day"], unit="D")).dt.date)
    return out[cols]


def compliance(dose: pd.DataFrame, plan: pd.DataFrame, gps: pd.DataFrame | None = None,
               threshold: float = COMPLIANT_SHARE, origin=None,
               calls: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Planned against delivered minutes, per spot-day, per hot spot and overall.

    Parameters
    ----------
    dose : pandas.DataFrame
        From :func:`dose_by_day`.
    plan : pandas.DataFrame
        ``day, hotspot_id, planned_minutes`` [, ``treated``, ``date``]: one row per
        spot-day of the trial (``dose_plan.parquet``).  ``treated`` defaults to
        ``planned_minutes > 0``.
    gps : pandas.DataFrame, optional
        With a ``status`` column, minutes answering calls per day are added.
    threshold : float
        A planned spot-day is "delivered" with at least this share of its plan
        (0.8).
    origin : Timestamp, optional
        Midnight of day 0 for the call minutes (default: from the plan's
        ``date`` and ``day``).
    calls : pandas.DataFrame, optional
        :func:`call_minutes_by_day` already found (then ``gps`` is not used for it).

    Returns
    -------
    dict of pandas.DataFrame
        ``spot_days`` (plan rows with ``delivered_minutes``, ``visits``,
        ``mean_visit_min``, ``ratio`` and ``met``), ``by_hotspot`` (per day
        averages: planned and delivered minutes, visits, mean visit length,
        minutes on treated and control days, delivered/planned, share of
        planned days met), ``overall`` (one row) and ``calls``
        (:func:`call_minutes_by_day`; empty without ``status``).
    """
    missing = {"day", "hotspot_id", "planned_minutes"} - set(plan.columns)
    if missing:
        raise DataError(f"dose plan lacks column(s) {sorted(missing)}")
    sd = plan.copy()
    if "treated" not in sd:
        sd["treated"] = sd["planned_minutes"] > 0
    d = dose[["day", "hotspot_id", "minutes", "visits", "mean_visit_min"]].rename(
        columns={"minutes": "delivered_minutes"})
    sd = sd.merge(d, on=["day", "hotspot_id"], how="left")
    sd["delivered_minutes"] = sd["delivered_minutes"].fillna(0.0)
    sd["visits"] = sd["visits"].fillna(0).astype(np.int64)
    planned = sd["planned_minutes"].to_numpy(float)
    sd["ratio"] = sd["delivered_minutes"] / sd["planned_minutes"].where(planned > 0)
    sd["met"] = (planned > 0) & (sd["delivered_minutes"] >= threshold * planned)
    sd["_vmin"] = sd["visits"] * sd["mean_visit_min"].fillna(0.0)
    sd["_planned_day"] = planned > 0
    sd["_treated_min"] = sd["delivered_minutes"].where(sd["treated"])
    sd["_control_min"] = sd["delivered_minutes"].where(~sd["treated"].astype(bool))
    g = sd.groupby("hotspot_id", sort=True)
    by = pd.DataFrame({
        "days": g.size(), "planned_days": g["_planned_day"].sum(),
        "planned_min_per_day": g["planned_minutes"].mean(),
        "delivered_min_per_day": g["delivered_minutes"].mean(),
        "visits_per_day": g["visits"].mean(),
        "mean_visit_min": g["_vmin"].sum() / g["visits"].sum().where(g["visits"].sum() > 0),
        "treated_day_min": g["_treated_min"].mean(), "control_day_min": g["_control_min"].mean(),
        "delivered_over_planned": _ratio(sd, g), "share_planned_days_met":
            g["met"].sum() / g["_planned_day"].sum().where(g["_planned_day"].sum() > 0)})
    if calls is None:
        calls = call_minutes_by_day(gps, origin if origin is not None else _plan_origin(plan)) \
            if gps is not None else call_minutes_by_day(pd.DataFrame())
    days = sd["day"].nunique()
    on_plan = sd["_planned_day"]
    total_planned = float(sd["planned_minutes"].sum())
    overall = pd.DataFrame([{
        "spot_days": len(sd), "planned_spot_days": int(on_plan.sum()), "days": days,
        "planned_minutes": total_planned,
        "delivered_minutes": float(sd["delivered_minutes"].sum()),
        "delivered_on_planned_minutes": float(sd.loc[on_plan, "delivered_minutes"].sum()),
        "delivered_over_planned": (float(sd.loc[on_plan, "delivered_minutes"].sum())
                                   / total_planned if total_planned > 0 else math.nan),
        "share_planned_days_met": float(sd.loc[on_plan, "met"].mean()) if on_plan.any()
        else math.nan,
        "treated_day_min": float(sd["_treated_min"].mean()),
        "control_day_min": float(sd["_control_min"].mean()),
        "call_minutes": float(calls["call_minutes"].sum()) if len(calls) else math.nan,
        "call_minutes_per_day": float(calls["call_minutes"].mean()) if len(calls) else math.nan,
        "threshold": threshold}])
    sd = sd.drop(columns=[c for c in sd.columns if c.startswith("_")])
    return {"spot_days": sd, "by_hotspot": by.reset_index(), "overall": overall, "calls": calls}


def _ratio(sd: pd.DataFrame, g) -> pd.Series:
    p = sd.assign(_dp=sd["delivered_minutes"].where(sd["_planned_day"], 0.0)).groupby(
        "hotspot_id", sort=True)
    planned = p["planned_minutes"].sum()
    return p["_dp"].sum() / planned.where(planned > 0)
