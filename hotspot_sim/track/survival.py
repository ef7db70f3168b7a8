"""Residual deterrence: crime-free time after police leave a hot spot (Koper 1995).

Each spell of police presence is followed to the next crime in its hot spot, with a
Kaplan-Meier curve per visit-length bin.  Koper (1995) found about a 15% chance of
crime within 30 minutes after a drive-through and about 4% after a 10-16 minute
stop.  The curves are drawn by :func:`hotspot_sim.plots.plot_survival`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .inputs import minutes_since
from .presence import DEFAULT_RADIUS_M, nearest_hotspot

LENGTH_BINS = (0.0, 5.0, 10.0, 15.0, 20.0, math.inf)
"""Visit-length bins in minutes, [lo, hi): Koper (1995) found stops need about 10
minutes, best 11-15, with diminishing returns after about 15."""
FOLLOW_UP_MIN = (30, 60, 120)
"""Follow-up windows for 'crime within t minutes' (Koper 1995 reports 30)."""
DEFAULT_HORIZON_MIN = 1440.0
"""Follow-up after a visit ends at the next visit, this horizon or the end of data."""


def kaplan_meier(durations, observed) -> pd.DataFrame:
    """Kaplan-Meier survival estimate with Greenwood standard errors.

    Parameters
    ----------
    durations : array_like
        Follow-up time of each subject (minutes to the event or censoring).
    observed : array_like of bool
        True if the event (a crime) happened at that time, False if censored.

    Returns
    -------
    pandas.DataFrame
        One row per distinct time: ``time, at_risk, events, censored,
        survival, se``.  ``survival`` is S(t) just after ``time``:
        the product over event times t_i <= t of (1 - d_i / n_i).
    """
    t = np.asarray(durations, float)
    e = np.asarray(observed, bool)
    times, inv = np.unique(t, return_inverse=True)
    events = np.bincount(inv, weights=e, minlength=times.size)
    total = np.bincount(inv, minlength=times.size)
    at_risk = t.size - np.r_[0, np.cumsum(total)][:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - events / at_risk)
        var = np.cumsum(np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0))
    return pd.DataFrame({"time": times, "at_risk": at_risk.astype(np.int64),
                         "events": events.astype(np.int64),
                         "censored": (total - events).astype(np.int64),
                         "survival": surv, "se": surv * np.sqrt(var)})


def survival_at(curve: pd.DataFrame, t: float) -> float:
    """S(t) of a :func:`kaplan_meier` curve.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`kaplan_meier`.
    t : float
        Minutes of follow-up.

    Returns
    -------
    float
        S(t); 1 before the first time; NaN beyond the longest follow-up (unknown),
        unless S already reached 0.
    """
    if not len(curve):
        return math.nan
    if t > curve["time"].iloc[-1]:
        return 0.0 if curve["survival"].iloc[-1] <= 0 else math.nan
    i = np.searchsorted(curve["time"].to_numpy(float), t, side="right")
    return 1.0 if i == 0 else float(curve["survival"].iloc[i - 1])


def median_survival(curve: pd.DataFrame) -> float:
    """First time the survival curve reaches 0.5 or below.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`kaplan_meier`.

    Returns
    -------
    float
        Minutes; NaN if the curve never reaches 0.5 within follow-up.
    """
    hit = curve["survival"].to_numpy(float) <= 0.5
    return float(curve["time"].iloc[int(hit.argmax())]) if hit.any() else math.nan


def bin_labels(bins: Sequence[float] = LENGTH_BINS) -> list[str]:
    """Names of visit-length bins.

    Parameters
    ----------
    bins : sequence of float
        Bin edges in minutes, [lo, hi).

    Returns
    -------
    list of str
        ``(0, 5, 10, inf)`` -> ``["0-5", "5-10", "10+"]``.
    """
    return [f"{lo:g}+" if math.isinf(hi) else f"{lo:g}-{hi:g}" for lo, hi in zip(bins, bins[1:])]


def presence_spells(visits: pd.DataFrame) -> pd.DataFrame:
    """Merge overlapping or touching visits at one hot spot into spells of police presence.

    Two officers there together are one spell: the place is unpoliced only
    when the last one leaves.

    Parameters
    ----------
    visits : pandas.DataFrame
        From :func:`hotspot_sim.track.visits`.

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id, start_time, end_time, minutes, visits, officers``.
    """
    v = visits.sort_values(["hotspot_id", "start_time"], kind="stable").reset_index(drop=True)
    prev_end = v.groupby("hotspot_id")["end_time"].cummax().groupby(v["hotspot_id"]).shift()
    v["spell"] = np.cumsum((prev_end.isna() | (v["start_time"] > prev_end)).to_numpy())
    s = v.groupby("spell").agg(hotspot_id=("hotspot_id", "first"),
                               start_time=("start_time", "min"), end_time=("end_time", "max"),
                               visits=("visit", "size"), officers=("officer", "nunique"))
    s["minutes"] = (s["end_time"] - s["start_time"]) / pd.Timedelta(minutes=1)
    return s.reset_index(drop=True)[["hotspot_id", "start_time", "end_time", "minutes",
                                     "visits", "officers"]]


def follow_up(visits: pd.DataFrame, crimes: pd.DataFrame, hotspots: pd.DataFrame,
              radius_m: float | None = DEFAULT_RADIUS_M, horizon_min: float = DEFAULT_HORIZON_MIN,
              end_time=None, bins: Sequence[float] = LENGTH_BINS) -> pd.DataFrame:
    """Minutes from each presence spell's end to the next crime in its hot spot.

    Follow-up is censored at the next spell at the same hot spot, after
    ``horizon_min`` or at ``end_time`` (default: the last visit end or crime).
    A crime exactly at the next spell's start counts as during that spell.
    Spells ending at or after the end of data are dropped.

    Parameters
    ----------
    visits, crimes, hotspots, radius_m, horizon_min, end_time, bins
        As :func:`residual_deterrence`.

    Returns
    -------
    pandas.DataFrame
        :func:`presence_spells` with ``bin`` (visit-length bin), ``duration``
        (minutes followed) and ``crime`` (True: a crime ended the follow-up).
    """
    s = presence_spells(visits)
    ends = [s["end_time"].max(), crimes["time"].max() if len(crimes) else pd.NaT]
    end_time = pd.Timestamp(max(t for t in ends if pd.notna(t))) if end_time is None \
        else pd.Timestamp(end_time)
    ref = min(t for t in [s["start_time"].min(), crimes["time"].min() if len(crimes) else pd.NaT]
              if pd.notna(t))
    leave = minutes_since(s["end_time"], ref)
    h = pd.Index(hotspots["hotspot_id"]).get_indexer(s["hotspot_id"])
    nxt = s.groupby("hotspot_id")["start_time"].shift(-1)
    next_start = np.where(nxt.isna(), np.inf, minutes_since(nxt.fillna(ref), ref))
    stop = np.minimum.reduce([next_start, leave + horizon_min,
                              np.full(len(s), minutes_since([end_time], ref)[0])])
    c_pos, _ = nearest_hotspot(crimes["x"], crimes["y"], hotspots, radius_m)
    c_min = minutes_since(crimes["time"], ref)[c_pos >= 0]
    c_pos = c_pos[c_pos >= 0]
    width = float(max(stop.max(initial=0), c_min.max(initial=0), leave.max(initial=0))) + 1.0
    key = c_pos * width + c_min
    order = np.argsort(key, kind="stable")
    key, c_pos, c_min = key[order], c_pos[order], c_min[order]
    crime_at = np.full(len(s), np.inf)  # next crime at the spell's hot spot after it ends
    if key.size:
        i = np.searchsorted(key, h * width + leave, side="left")
        j = np.minimum(i, key.size - 1)
        crime_at = np.where((i < key.size) & (c_pos[j] == h), c_min[j], np.inf)
    crime = (crime_at <= stop) & (crime_at < next_start)
    s["bin"] = pd.cut(s["minutes"], list(bins), right=False, labels=bin_labels(bins))
    s["duration"] = np.where(crime, crime_at, stop) - leave
    s["crime"] = crime
    return s[(s["duration"] > 0) | s["crime"]].reset_index(drop=True)


def residual_deterrence(visits: pd.DataFrame, crimes: pd.DataFrame, hotspots: pd.DataFrame,
                        radius_m: float | None = DEFAULT_RADIUS_M,
                        horizon_min: float = DEFAULT_HORIZON_MIN, end_time=None,
                        bins: Sequence[float] = LENGTH_BINS,
                        windows: Sequence[int] = FOLLOW_UP_MIN) -> dict[str, pd.DataFrame]:
    """Crime-free time after police leave a hot spot, by visit length (Koper 1995).

    Each spell of presence (:func:`presence_spells`; overlapping visits by
    several officers merged) is followed from the moment the last officer
    leaves to the next crime within the hot spot radius, censored at the next
    spell, ``horizon_min`` or the end of data (:func:`follow_up`).  Koper
    (1995) found about a 15% chance of crime within 30 minutes after a
    drive-through and about 4% after a 10-16 minute stop, best 11-15 minutes.

    Parameters
    ----------
    visits, crimes, hotspots : pandas.DataFrame
        From :func:`hotspot_sim.track.visits`, the crimes (``time, x, y``) and the
        hot spots.
    radius_m : float or None
        Hot spot radius for crimes (None: the table's ``radius_m``).
    horizon_min : float
        Longest follow-up (1440 minutes).
    end_time : Timestamp, optional
        End of the data (for a run: start + minutes run).
    bins : sequence of float
        Visit-length bin edges in minutes, [lo, hi).
    windows : sequence of int
        Follow-up windows for the table (30, 60, 120 minutes).

    Returns
    -------
    dict of pandas.DataFrame
        ``spells`` (:func:`follow_up`), ``survival`` (Kaplan-Meier curve per
        bin: ``bin`` plus the :func:`kaplan_meier` columns) and ``table`` (per
        bin: ``spells``, ``mean_minutes``, ``crimes_within_<t>`` (observed) and
        ``p_crime_<t>`` = 1 - S(t) for each window, ``median_crime_free_min``
        (NaN: the curve never reached 0.5 within follow-up)).
    """
    s = follow_up(visits, crimes, hotspots, radius_m, horizon_min, end_time, bins)
    curves, rows = [], []
    for label in bin_labels(bins):
        b = s[s["bin"] == label]
        curve = kaplan_meier(b["duration"], b["crime"]) if len(b) else \
            kaplan_meier(np.zeros(0), np.zeros(0, bool))
        curves.append(curve.assign(bin=label))
        row = {"bin": label, "spells": len(b), "mean_minutes": float(b["minutes"].mean())
               if len(b) else math.nan}
        for t in windows:
            row[f"crimes_within_{t}"] = int((b["crime"] & (b["duration"] <= t)).sum())
            row[f"p_crime_{t}"] = 1.0 - survival_at(curve, t)
        row["median_crime_free_min"] = median_survival(curve)
        rows.append(row)
    survival = pd.concat(curves, ignore_index=True)
    survival = survival[["bin"] + [c for c in survival.columns if c != "bin"]]
    return {"spells": s, "survival": survival, "table": pd.DataFrame(rows)}
