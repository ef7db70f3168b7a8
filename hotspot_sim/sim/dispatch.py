"""Calls for service and their dispatch, as a SimPy process model.

Incidents arrive as Poisson processes by grade (1 immediate, 2 priority,
3 scheduled) whose rate follows a time-of-day profile (drawn by inverting the
cumulative rate, so every SimPy arrival event is a call); they wait in
a priority queue (grade, then time of the call); a dispatcher process sends
whoever would get there first (:mod:`~hotspot_sim.sim.responders`).  A call
taken off an officer by a grade 1 call (pre-emption) goes back to the queue
with its original time.  SimPy time is in minutes and is advanced by the model in
step with its clock (:meth:`Dispatch.run_until`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from ..data.time_profiles import ASSUMED_CALL_HOURLY, CallDemand
from ..settings import CallSettings

# Share of calls in each hour of the day relative to the mean: the assumption
# used when no calls-for-service records are given (police.uk carries no times),
# defined with the estimation in hotspot_sim.data.time_profiles.
CALL_HOURLY_PROFILE = ASSUMED_CALL_HOURLY


@dataclass(order=True)
class Call:
    """One call for service."""

    priority: tuple
    call_id: int = field(compare=False)
    grade: int = field(compare=False)
    time: float = field(compare=False)
    node: int = field(compare=False)
    service_minutes: int = field(compare=False)
    officer: int = field(default=-1, compare=False)
    dispatched: float = field(default=math.nan, compare=False)
    travel_m: float = field(default=math.nan, compare=False)
    arrived: float = field(default=math.nan, compare=False)
    cleared: float = field(default=math.nan, compare=False)
    service_left: int = field(default=0, compare=False)   # minutes on scene still to do
    interruptions: int = field(default=0, compare=False)  # times a grade 1 call took its officer


class Dispatch:
    """SimPy call generator, queue and dispatcher for one model run.

    Parameters
    ----------
    settings
        The scenario's ``[calls]`` section.
    rng
        The model's numpy Generator (all randomness from the scenario seed).
    call_nodes, call_weights
        Places calls come from (nodes with routing trees) and their weights.
    minute_of_day0
        Minute of the day at tick 0.
    choose_officer
        ``f(call) -> officer index or None``: who would get there first.
    assign
        ``f(officer, call)``: send the officer (may interrupt its call: :meth:`requeue`).
    demand
        Calls a day and hourly profile by grade (e.g. estimated from a force's CAD
        export: :attr:`~hotspot_sim.study.Study.call_demand`); default
        ``settings.grade*_per_day`` with :data:`CALL_HOURLY_PROFILE`.
    """

    def __init__(self, settings: CallSettings, rng: np.random.Generator, call_nodes: np.ndarray,
                 call_weights: np.ndarray, minute_of_day0: int, choose_officer, assign,
                 demand: CallDemand | None = None):
        self.settings = settings
        self.rng = rng
        self.env = simpy.Environment()
        self.queue = simpy.PriorityStore(self.env)
        self.call_nodes = np.asarray(call_nodes)
        self.call_p = np.asarray(call_weights, float) / np.sum(call_weights)
        # What rng.choice(call_nodes, p=call_p) computes on every call (~11 us),
        # once: the same cdf, so the same draw picks the same node.
        self._call_cdf = self.call_p.cumsum()
        self._call_cdf /= self._call_cdf[-1]
        self._per_day: dict[int, int] = {}
        self.minute_of_day0 = minute_of_day0
        self.choose_officer = choose_officer
        self.assign = assign
        self.calls: list[Call] = []
        self._wake = self.env.event()  # an officer freed or a call queued
        if demand is None:
            rates = (settings.grade1_per_day, settings.grade2_per_day, settings.grade3_per_day)
            profiles = (CALL_HOURLY_PROFILE,) * 3
        else:
            rates, profiles = tuple(float(r) for r in demand.per_day), tuple(demand.hourly)
        self.demand = demand
        for grade, (per_day, profile) in enumerate(zip(rates, profiles), start=1):
            if per_day > 0:
                self.env.process(self._arrivals(grade, per_day / 1440.0, np.asarray(profile, float)))
        self.env.process(self._dispatcher())

    # -- processes

    def _arrivals(self, grade: int, mean_rate: float, profile: np.ndarray):
        """Calls of one grade: a Poisson process with rate ``mean_rate * profile[hour]``.

        Inversion, not thinning: the cumulative rate Lambda(t) rises by Exp(1)
        between calls, and Lambda is piecewise linear (hourly profile), so the
        next call time is found exactly.  Thinning made SimPy events of
        rejected candidates too, and each one stopped the compiled kernels.
        """
        step = mean_rate * 60.0 * profile                      # Lambda gained in each hour
        cum = np.concatenate([[0.0], np.cumsum(step)])          # Lambda at each hour of a day
        per_day = cum[-1]
        clock = self.env.now + self.minute_of_day0               # minutes since the day-0 midnight
        days, minute = divmod(clock, 1440.0)
        h = int(minute // 60)
        lam = days * per_day + cum[h] + (minute - 60 * h) * mean_rate * profile[h]
        while True:
            lam += self.rng.exponential()
            days = math.floor(lam / per_day)
            rem = lam - days * per_day
            h = min(int(np.searchsorted(cum, rem, side="right")) - 1, 23)
            minute = 60 * h + (rem - cum[h]) / (mean_rate * profile[h])
            when = days * 1440.0 + minute - self.minute_of_day0
            yield self.env.timeout(max(0.0, when - self.env.now))
            self._new_call(grade)

    def _new_call(self, grade: int) -> None:
        node = int(self.call_nodes[self._call_cdf.searchsorted(self.rng.random(), side="right")])
        mean = self.settings.service_minutes[grade - 1]
        service = max(1, int(round(self.rng.exponential(mean))))
        call = Call(priority=(grade, self.env.now), call_id=len(self.calls), grade=grade,
                    time=self.env.now, node=node, service_minutes=service, service_left=service)
        self.calls.append(call)
        day = int(math.floor(self.env.now)) + self.minute_of_day0
        self._per_day[day // 1440] = self._per_day.get(day // 1440, 0) + 1
        self.requeue(call)

    def _dispatcher(self):
        """Answer the most urgent queued call as soon as someone may go.

        A call nobody may answer goes back to the queue and the dispatcher waits
        for an officer to be freed *or a new call*: a grade 1 call arriving while
        a grade 3 call waits is looked at first (and may pre-empt).
        """
        while True:
            call = yield self.queue.get()
            officer = self.choose_officer(call)
            if officer is None:
                self.queue.put(call)
                yield self._wake
                continue
            call.officer = officer
            call.dispatched = self.env.now
            self.assign(officer, call)

    def _wake_dispatcher(self) -> None:
        if not self._wake.triggered:
            self._wake.succeed()
        self._wake = self.env.event()

    # -- called by the model

    def requeue(self, call: Call) -> None:
        """Queue ``call`` (new, or taken off its officer by a grade 1 call).

        Parameters
        ----------
        call : Call
            The call; its priority (grade, original time) is kept.
        """
        self.queue.put(call)
        self._wake_dispatcher()

    def officer_freed(self) -> None:
        """An officer became available: wake the dispatcher if it waits."""
        self._wake_dispatcher()

    def calls_on_day(self, day: int) -> int:
        """Calls that arrived on calendar day ``day`` (days counted as the model does).

        Parameters
        ----------
        day : int
            Calendar day (:meth:`PatrolModel.day_index`).

        Returns
        -------
        int
        """
        return self._per_day.get(day, 0)

    def next_time(self) -> float:
        """Time of the next SimPy event (inf if none): the kernels stop there."""
        return self.env.peek()

    def run_until(self, tick: int) -> None:
        """Process every SimPy event at or before ``tick``.

        Parameters
        ----------
        tick : int
            The model's current tick.
        """
        while self.env.peek() <= tick:
            self.env.step()
