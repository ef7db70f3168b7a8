"""Calls for service (SimPy): Poisson arrivals by grade and hour, priority queue, dispatch."""

from __future__ import annotations

import numpy as np
import pytest

from hotspot_sim.settings import CallSettings
from hotspot_sim.sim.dispatch import CALL_HOURLY_PROFILE, Dispatch


def make(settings=None, officers=(), seed=1, minute_of_day0=0):
    sent = []
    free = list(officers)

    def choose(call):
        return free.pop(0) if free else None

    def assign(officer, call):
        sent.append((officer, call))

    d = Dispatch(settings or CallSettings(), np.random.default_rng(seed), np.array([10, 20, 30]),
                 np.array([1.0, 0.0, 3.0]), minute_of_day0, choose, assign)
    return d, sent, free


def test_arrival_rates_by_grade_and_hour():
    s = CallSettings(grade1_per_day=20.0, grade2_per_day=0.0, grade3_per_day=40.0)
    d, _, _ = make(s)
    days = 60
    d.run_until(days * 1440)
    calls = d.calls
    per_grade = {g: sum(c.grade == g for c in calls) / days for g in (1, 2, 3)}
    assert per_grade[1] == pytest.approx(20.0, rel=0.1)
    assert per_grade[2] == 0
    assert per_grade[3] == pytest.approx(40.0, rel=0.1)
    hours = np.array([int(c.time % 1440 // 60) for c in calls])
    quiet, busy = np.argmin(CALL_HOURLY_PROFILE), np.argmax(CALL_HOURLY_PROFILE)
    assert (hours == busy).sum() > 2 * (hours == quiet).sum()
    assert {c.node for c in calls} <= {10, 30}  # weight 0: never from node 20
    assert all(c.service_minutes >= 1 for c in calls)
    assert sum(d.calls_on_day(day) for day in range(days + 1)) == len(calls)


def test_calls_wait_for_a_free_officer_then_go_most_urgent_first():
    s = CallSettings(grade1_per_day=30.0, grade2_per_day=0.0, grade3_per_day=30.0)
    d, sent, free = make(s)
    d.run_until(1440)
    assert not sent and len(d.calls) > 10  # nobody free: every call waits
    for officer in (7, 8):
        free.append(officer)
        d.officer_freed()
        d.run_until(d.env.now)
    assert [o for o, _ in sent] == [7, 8]
    # Waiting calls go by grade, then by time: a grade 1 call that arrived while
    # a grade 3 call waited is answered first (no head-of-line blocking).
    grade1 = sorted((c for c in d.calls if c.grade == 1), key=lambda c: c.time)
    assert d.calls[0].grade == 3 or grade1[0] is d.calls[0]
    assert [c for _, c in sent] == grade1[:2]
    assert all(c.officer == o and c.dispatched == d.env.now for o, c in sent)


def test_next_time_is_the_next_simpy_event():
    d, _, _ = make()
    t = d.next_time()
    assert 0 <= t < np.inf
    d.run_until(int(t))
    assert d.next_time() > t or len(d.calls) >= 1
