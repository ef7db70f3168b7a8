"""The simulated calendar: ticks (minutes from the scenario's start) as dates and days.

Tick 0 is the scenario's start date-time.  *Days* are calendar days numbered
``(tick + minute of the day at tick 0) // 1440``: day 0 is the start's date and
every day begins at midnight, whatever time the scenario starts.  The policies
assign treatment by these days and the Test measures by them.

:class:`DailyEvents` runs the model's daily callbacks (shift starts and ends,
midnight) in time order.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
from collections.abc import Callable

import numpy as np
import pandas as pd

MINUTES_PER_DAY = 1440


class Calendar:
    """Dates and calendar days of ticks, for a simulation starting at ``start``.

    Parameters
    ----------
    start : datetime.datetime
        The date-time of tick 0.
    """

    def __init__(self, start: dt.datetime):
        self.start = start
        self.minute_of_day0 = start.hour * 60 + start.minute
        self.week_minute0 = start.weekday() * MINUTES_PER_DAY + self.minute_of_day0
        self.first_midnight = (MINUTES_PER_DAY - self.minute_of_day0) % MINUTES_PER_DAY \
            or MINUTES_PER_DAY

    def datetime_at(self, tick: int) -> dt.datetime:
        """The date-time of ``tick``.

        Parameters
        ----------
        tick : int
            Minutes from the start.

        Returns
        -------
        datetime.datetime
        """
        return self.start + dt.timedelta(minutes=int(tick))

    def day_index(self, tick):
        """Calendar day of ``tick``.

        Parameters
        ----------
        tick : int or numpy.ndarray
            Minutes from the start.

        Returns
        -------
        int or numpy.ndarray
            Day 0 is the start's date; a day begins at midnight.
        """
        return (tick + self.minute_of_day0) // MINUTES_PER_DAY

    def day_start_tick(self, tick: int) -> int:
        """Tick of the midnight that began ``tick``'s day.

        Parameters
        ----------
        tick : int
            Minutes from the start.

        Returns
        -------
        int
            Negative on the first day unless the scenario starts at midnight.
        """
        return self.day_index(tick) * MINUTES_PER_DAY - self.minute_of_day0

    def date_of_day(self, day: int) -> dt.date:
        """The date of calendar day ``day``.

        Parameters
        ----------
        day : int
            A day as :meth:`day_index` counts them.

        Returns
        -------
        datetime.date
        """
        return self.datetime_at(day * MINUTES_PER_DAY - self.minute_of_day0).date()

    def times(self, ticks) -> pd.DatetimeIndex:
        """Date-times of an array of ticks.

        Parameters
        ----------
        ticks : array-like of int
            Minutes from the start.

        Returns
        -------
        pandas.DatetimeIndex
        """
        return pd.Timestamp(self.start) + pd.to_timedelta(np.asarray(ticks, np.int64), unit="min")


class DailyEvents:
    """Callbacks that repeat every day, run in time order.

    Ties run in the order they were scheduled, and a callback that has run is
    scheduled again for the next day after everything already waiting for
    that time: the order Mesa's event list gave them before the model kept
    its own (Mesa's list has no public way to peek at the next event without
    sorting it, and the model looks at every kernel stop).
    """

    def __init__(self):
        self._heap: list[tuple[int, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def every_day(self, callback: Callable[[], None], first: int) -> None:
        """Run ``callback`` at tick ``first`` and every 1440 minutes after it.

        Parameters
        ----------
        callback : callable
            Called with no arguments.
        first : int
            Tick of the first run (>= the current tick).
        """
        heapq.heappush(self._heap, (int(first), next(self._order), callback))

    def next_time(self) -> float:
        """Tick of the next callback (inf if none)."""
        return self._heap[0][0] if self._heap else math.inf

    def run_next(self) -> int:
        """Run the next callback and schedule it for the next day; returns its tick."""
        tick, _, callback = heapq.heappop(self._heap)
        callback()
        heapq.heappush(self._heap, (tick + MINUTES_PER_DAY, next(self._order), callback))
        return tick
