"""Time-of-day and day-of-week profiles: assumed, or estimated from a force's time-stamped records.

police.uk dates crimes by month only, so the model's offending risk by hour
and weekday and its call demand by hour are stated assumptions (the
``ASSUMED_*`` arrays below). A force's own crime and calls-for-service (CAD)
exports carry the time of each record; from them this module estimates:

* the offending risk profile: 24 hour-of-day and 7 day-of-week factors, each
  relative to a mean of 1 (:func:`risk_profile`);
* the call demand: a 24-hour profile for each grade (3 x 24, mean 1 per grade)
  and the calls a day of each grade (:func:`call_demand`).

Method. Each profile is the posterior mean of a multinomial with a Dirichlet
prior centred on the assumed profile: with ``n_h`` records in hour ``h`` out of
``N`` and the assumed share ``p_h``, the estimated share is
``(n_h + k p_h) / (N + k)`` with ``k`` pseudo-counts (:data:`HOUR_PSEUDO_COUNTS`
= 48, two records' worth per hour; :data:`DAY_PSEUDO_COUNTS` = 14, two per
weekday). A few dozen records therefore move the profile only part of the way
from the assumption, a few thousand make it the data's own; no hour is ever
estimated at zero. Day of week and hour of day are estimated separately (the
risk factor of an hour of the week is their product, as for the assumed
profile): 168 cells would need far more records.

Records without real times do not make an hour-of-day profile: police.uk rows
(no ``datetime`` column), and records whose time is exactly 00:00, a common
"time unknown" marker in records systems, which are left out of the hour-of-day
count (their dates still count for the day of week). When no record with a
known time is left, the assumed hour-of-day profile is used and its source
says why. Every profile carries the text of its source. (An export that rounds
times to the hour loses its genuine 00:00-00:59 records this way, so its hour 0
leans towards the assumed profile.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError

log = logging.getLogger(__name__)

# Offending risk by hour of day and by day of week, relative to the mean.  An
# assumption (police.uk gives months only): risk lowest before dawn, highest
# in the evening and at weekends.
ASSUMED_RISK_HOURLY = np.array([1.0, 0.9, 0.7, 0.5, 0.35, 0.3, 0.35, 0.5, 0.7, 0.85, 0.95, 1.0,
                                1.05, 1.05, 1.05, 1.15, 1.25, 1.3, 1.3, 1.35, 1.35, 1.3, 1.25, 1.15])
ASSUMED_RISK_DAILY = np.array([0.95, 0.93, 0.95, 0.97, 1.05, 1.1, 1.05])  # Monday..Sunday

# Share of calls in each hour of the day relative to the mean (an assumption:
# police.uk carries no times; demand is lowest before dawn and peaks in the
# evening, as in published command-and-control demand profiles).
ASSUMED_CALL_HOURLY = np.array([
    0.8, 0.7, 0.55, 0.45, 0.4, 0.4, 0.5, 0.7, 0.9, 1.0, 1.05, 1.1,
    1.15, 1.15, 1.15, 1.2, 1.3, 1.35, 1.35, 1.35, 1.3, 1.2, 1.05, 0.95])
ASSUMED_CALL_HOURLY = ASSUMED_CALL_HOURLY / ASSUMED_CALL_HOURLY.mean()

HOUR_PSEUDO_COUNTS = 48.0
"""Pseudo-counts of the assumed hour-of-day profile (2 per hour): an assumption, a weak prior."""
DAY_PSEUDO_COUNTS = 14.0
"""Pseudo-counts of the assumed day-of-week profile (2 per weekday): an assumption, a weak prior."""

POLICE_UK_NO_TIMES = "assumed: police.uk dates are months only"
GRADES = (1, 2, 3)


class _Sourced:
    """A profile of two parts, each with the text of its source (``"assumed: ..."`` or
    ``"estimated from ..."``); subclasses name the parts in ``PARTS``."""

    PARTS: tuple[tuple[str, str], tuple[str, str]]  # (attribute, words) of each source

    @property
    def estimated(self) -> bool:
        """True when any part was estimated from records."""
        return any(not getattr(self, attr).startswith("assumed") for attr, _ in self.PARTS)

    @property
    def source(self) -> str:
        """One line saying where each part comes from."""
        (first, first_words), (second, second_words) = self.PARTS
        a, b = getattr(self, first), getattr(self, second)
        return a if a == b else f"{first_words} {a}; {second_words} {b}"


@dataclass(frozen=True)
class TimeProfile(_Sourced):
    """Offending risk by hour of day and day of week, each relative to a mean of 1.

    Attributes
    ----------
    hourly : numpy.ndarray
        (24,) factors for hours 0..23.
    daily : numpy.ndarray
        (7,) factors for Monday..Sunday.
    hourly_source, daily_source : str
        ``"estimated from FILE: N records, FIRST..LAST"`` or ``"assumed: why"``.
    """

    hourly: np.ndarray
    daily: np.ndarray
    hourly_source: str
    daily_source: str

    PARTS = (("hourly_source", "hour of day"), ("daily_source", "day of week"))


@dataclass(frozen=True)
class CallDemand(_Sourced):
    """Calls for service by grade: an hour-of-day profile and calls a day.

    Attributes
    ----------
    hourly : numpy.ndarray
        (3, 24) factors for grades 1..3, each row with mean 1.
    per_day : numpy.ndarray
        (3,) mean calls a day of grades 1..3.
    hourly_source, per_day_source : str
        ``"estimated from FILE: ..."`` or ``"assumed: why"``.
    """

    hourly: np.ndarray
    per_day: np.ndarray
    hourly_source: str
    per_day_source: str

    PARTS = (("hourly_source", "hour of day"), ("per_day_source", "calls a day"))


def assumed_risk_profile(why: str) -> TimeProfile:
    """The assumed risk profile (:data:`ASSUMED_RISK_HOURLY`, :data:`ASSUMED_RISK_DAILY`), saying why."""
    source = f"assumed: {why}"
    return TimeProfile(ASSUMED_RISK_HOURLY, ASSUMED_RISK_DAILY, source, source)


def assumed_call_demand(per_day: tuple[float, float, float], why: str) -> CallDemand:
    """The assumed hourly call profile for every grade, with the scenario's calls a day."""
    source = f"assumed: {why}"
    return CallDemand(np.tile(ASSUMED_CALL_HOURLY, (3, 1)), np.asarray(per_day, float), source, source)


def shrunk_profile(counts: np.ndarray, assumed: np.ndarray, pseudo_counts: float) -> np.ndarray:
    """Counts per cell shrunk towards an assumed profile, as factors with mean 1.

    Parameters
    ----------
    counts : numpy.ndarray
        Records per cell (hour or weekday).
    assumed : numpy.ndarray
        The assumed profile (any positive scale).
    pseudo_counts : float
        Weight of the assumed profile, in records.

    Returns
    -------
    numpy.ndarray
        ``len(counts) * (counts + k p) / (N + k)``, ``p`` the assumed shares.
    """
    prior = assumed / assumed.sum()
    share = (counts + pseudo_counts * prior) / (counts.sum() + pseudo_counts)
    return share * len(counts)


def time_unknown(when: pd.Series) -> np.ndarray:
    """Records whose time is exactly 00:00:00 (a common "time unknown" marker), as a mask."""
    return ((when.dt.hour == 0) & (when.dt.minute == 0) & (when.dt.second == 0)).to_numpy()


def _describe(label: str, when: pd.Series, what: str) -> str:
    first, last = when.min(), when.max()
    return f"estimated from {label}: {len(when):,} {what}, {first:%Y-%m-%d}..{last:%Y-%m-%d}"


def risk_profile(records: pd.DataFrame, label: str) -> TimeProfile:
    """The offending risk profile estimated from time-stamped crime records.

    Parameters
    ----------
    records : pandas.DataFrame
        Crimes; a ``datetime`` column (pandas Timestamps, local time) when the
        records carry times. Without it (police.uk) the assumed profile is returned.
    label : str
        The records' file, named in the source text.

    Returns
    -------
    TimeProfile
        Hour of day from the records with a known time (not exactly 00:00),
        day of week from all dated records, each shrunk towards the assumed
        profile (see the module docstring); assumed where the records say nothing.
    """
    if "datetime" not in records.columns:
        return assumed_risk_profile("police.uk dates are months only")
    when = pd.to_datetime(records["datetime"]).dropna()
    if when.empty:
        return assumed_risk_profile(f"{label} holds no dated records")
    days = np.bincount(when.dt.day_of_week.to_numpy(), minlength=7).astype(float)
    daily = shrunk_profile(days, ASSUMED_RISK_DAILY, DAY_PSEUDO_COUNTS)
    daily_source = _describe(label, when, "records")
    unknown = time_unknown(when)
    timed = when[~unknown]
    if timed.empty:
        why = (f"all {len(when):,} times in {label} are 00:00, a 'time unknown' marker, "
               "so the records give no time of day")
        return TimeProfile(ASSUMED_RISK_HOURLY, daily, f"assumed: {why}", daily_source)
    hours = np.bincount(timed.dt.hour.to_numpy(), minlength=24).astype(float)
    hourly = shrunk_profile(hours, ASSUMED_RISK_HOURLY, HOUR_PSEUDO_COUNTS)
    hourly_source = _describe(label, timed, "records with a time")
    if unknown.any():
        hourly_source += f" ({int(unknown.sum()):,} at 00:00 left out as time unknown)"
    return TimeProfile(hourly, daily, hourly_source, daily_source)


def call_demand(calls: pd.DataFrame, label: str) -> CallDemand:
    """Call demand by grade estimated from a CAD export's calls.

    Parameters
    ----------
    calls : pandas.DataFrame
        The CAD contract: ``datetime`` and ``grade`` (1..3) at least.
    label : str
        The export's file, named in the source text.

    Returns
    -------
    CallDemand
        Per grade, the hour-of-day profile of the calls with a known time
        (not exactly 00:00) shrunk towards :data:`ASSUMED_CALL_HOURLY`, and the
        calls a day: the grade's calls over the days from the first call's date
        to the last's (inclusive). A grade with no timed call keeps the assumed
        hourly profile.

    Raises
    ------
    DataError
        If `calls` is empty (naming `label`).
    """
    if calls.empty:
        raise DataError(f"{label}: no call left to estimate call demand from (see the rows "
                        "dropped and why above)")
    when = pd.to_datetime(calls["datetime"])
    grade = calls["grade"].to_numpy(int)
    days = (when.max().normalize() - when.min().normalize()).days + 1
    per_day = np.array([np.count_nonzero(grade == g) / days for g in GRADES])
    for g in np.asarray(GRADES)[per_day == 0]:  # the simulation then makes no call of the grade
        log.warning("%s: no call of grade %d in %d days: the estimated demand has none (check "
                    "[grade_map] if the export has such calls)", label, g, days)
    unknown = time_unknown(when)
    hourly = np.empty((3, 24))
    for i, g in enumerate(GRADES):
        hours = when[(grade == g) & ~unknown].dt.hour.to_numpy()
        hourly[i] = shrunk_profile(np.bincount(hours, minlength=24).astype(float),
                                   ASSUMED_CALL_HOURLY, HOUR_PSEUDO_COUNTS)
    per_day_source = _describe(label, when, "calls") + f" over {days} days"
    if unknown.all():
        why = f"all {len(when):,} call times in {label} are 00:00, a 'time unknown' marker"
        return CallDemand(np.tile(ASSUMED_CALL_HOURLY, (3, 1)), per_day, f"assumed: {why}", per_day_source)
    hourly_source = _describe(label, when[~unknown], "calls with a time")
    if unknown.any():
        hourly_source += f" ({int(unknown.sum()):,} at 00:00 left out as time unknown)"
    return CallDemand(hourly, per_day, hourly_source, per_day_source)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hourly_table(risk: TimeProfile, demand: CallDemand | None = None) -> pd.DataFrame:
    """Hour-of-day factors, estimated beside assumed (each relative to a mean of 1).

    Returns
    -------
    pandas.DataFrame
        One row per hour: ``risk``, ``risk_assumed`` and, with `demand`,
        ``calls_grade1..3`` and ``calls_assumed``.
    """
    table = pd.DataFrame({"hour": np.arange(24), "risk": risk.hourly / risk.hourly.mean(),
                          "risk_assumed": ASSUMED_RISK_HOURLY / ASSUMED_RISK_HOURLY.mean()})
    if demand is not None:
        for i, g in enumerate(GRADES):
            table[f"calls_grade{g}"] = demand.hourly[i]
        table["calls_assumed"] = ASSUMED_CALL_HOURLY
    return table


def daily_table(risk: TimeProfile) -> pd.DataFrame:
    """Day-of-week risk factors, estimated beside assumed (Monday first)."""
    return pd.DataFrame({"weekday": WEEKDAYS, "risk": risk.daily / risk.daily.mean(),
                         "risk_assumed": ASSUMED_RISK_DAILY / ASSUMED_RISK_DAILY.mean()})


def profiles_figure(risk: TimeProfile, demand: CallDemand | None = None, path=None):
    """Estimated against assumed profiles: risk by hour and weekday, calls by hour and grade.

    Parameters
    ----------
    risk : TimeProfile
    demand : CallDemand, optional
    path : path-like, optional
        Save the PNG here (folders made) and close the figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from ..plots import _finish  # the project's figure style: tight layout, 130 dpi, closed when saved

    hours, days = hourly_table(risk, demand), daily_table(risk)
    panels = 3 if demand is not None else 2
    fig, axes = plt.subplots(1, panels, figsize=(4.6 * panels, 3.6))
    ax = axes[0]
    ax.plot(hours["hour"], hours["risk_assumed"], color="#7f8c8d", ls="--", label="assumed")
    ax.plot(hours["hour"], hours["risk"], color="#c0392b", marker="o", ms=3, label="estimated")
    ax.set(title="Offending risk by hour", xlabel="hour of day", ylabel="relative to mean (1)",
           xticks=range(0, 24, 3))
    ax.legend(frameon=False, fontsize=8)
    ax = axes[1]
    x = np.arange(7)
    ax.bar(x - 0.2, days["risk_assumed"], 0.4, color="#bdc3c7", label="assumed")
    ax.bar(x + 0.2, days["risk"], 0.4, color="#c0392b", label="estimated")
    ax.set(title="Offending risk by weekday", xticks=x, xticklabels=WEEKDAYS,
           ylabel="relative to mean (1)")
    ax.legend(frameon=False, fontsize=8)
    if demand is not None:
        ax = axes[2]
        ax.plot(hours["hour"], hours["calls_assumed"], color="#7f8c8d", ls="--", label="assumed")
        for g, colour in zip(GRADES, ("#c0392b", "#e67e22", "#2980b9")):
            ax.plot(hours["hour"], hours[f"calls_grade{g}"], color=colour, marker="o", ms=3,
                    label=f"grade {g}: {demand.per_day[g - 1]:.1f} a day")
        ax.set(title="Calls for service by hour", xlabel="hour of day",
               ylabel="relative to mean (1)", xticks=range(0, 24, 3))
        ax.legend(frameon=False, fontsize=8)
    return _finish(fig, path)
