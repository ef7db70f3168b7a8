"""Kernel state and parameters (sim/state.py), the calendar and daily events (sim/calendar.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from hotspot_sim.sim import kernels as K
from hotspot_sim.sim.calendar import Calendar, DailyEvents
from hotspot_sim.sim.state import (QUEUE_SLOTS, kernel_params, new_logs, new_node_state,
                                   new_officers, trip_hazard)

from .test_model import small_scenario


def test_kernel_params_convert_every_unit_once():
    s = small_scenario(deterrence={"long_hold_days": 3.0, "long_decay_days": 0.5},
                       offenders={"speed_kmh": 4.8, "trips_per_day": 2.0},
                       officers={"mode": "foot", "foot_speed_kmh": 6.0},
                       scenario={"start": "2021-11-03T06:30"})  # a Wednesday
    P = kernel_params(s)
    assert P.shape == (K.N_PARAMS,)
    assert P[K.P_OFF_SPEED] == pytest.approx(4800 / 60)      # km/h -> m/min
    assert P[K.P_OFC_SPEED] == pytest.approx(6000 / 60)
    assert P[K.P_LONG_HOLD] == 3 * 1440 and P[K.P_LONG_TAU] == 720  # days -> minutes
    assert P[K.P_TAU_B] == s.risk.near_repeat_decay_days * 1440
    assert P[K.P_NR_UNIT] == pytest.approx(s.risk.near_repeat_boost * s.risk.base_rate)
    assert P[K.P_DAY0] == 390 and P[K.P_WEEK0] == 2 * 1440 + 390
    assert P[K.P_TRIP_WEEK] == pytest.approx(2.0 * 7)
    assert P[K.P_PRESENCE] == s.deterrence.presence_effect


def test_trip_hazard_is_cumulative_over_a_week():
    cum = trip_hazard(1.5)
    assert cum.shape == (K.MINUTES_PER_WEEK + 1,) and cum[0] == 0
    assert np.all(np.diff(cum) > 0)
    assert cum[-1] == pytest.approx(1.5 * 7)


def test_new_state_arrays_have_the_kernels_types():
    ns = new_node_state(5)
    assert ns.cover.dtype == np.int32 and (ns.last_pday == -1).all()
    oc = new_officers(3, station=4)
    assert oc.q_kind.shape == (3, QUEUE_SLOTS) and (oc.pos.node == 4).all()
    assert (oc.mode == K.MODE_OFF).all() and oc.status_min.shape == (3, K.N_STATUS)
    logs = new_logs(10, 3, nodes_per_minute=2.0, capacity=10)
    assert logs.a_tick.shape[0] >= 8 * 11 * 4 and logs.counts.tolist() == [0, 0]


def test_calendar_days_begin_at_midnight_whatever_the_start():
    c = Calendar(dt.datetime(2021, 11, 5, 13, 0))  # a Friday, 13:00
    assert c.first_midnight == 11 * 60
    assert c.day_index(0) == 0 and c.day_index(11 * 60 - 1) == 0 and c.day_index(11 * 60) == 1
    assert c.day_start_tick(100) == -13 * 60 and c.day_start_tick(11 * 60 + 5) == 11 * 60
    assert c.date_of_day(1) == dt.date(2021, 11, 6)
    assert c.datetime_at(90) == dt.datetime(2021, 11, 5, 14, 30)
    assert list(c.day_index(np.array([0, 660, 2100]))) == [0, 1, 2]
    assert Calendar(dt.datetime(2021, 11, 5)).first_midnight == 1440


def test_daily_events_run_in_time_order_and_repeat_daily():
    events, ran = DailyEvents(), []
    events.every_day(lambda: ran.append("b"), 60)
    events.every_day(lambda: ran.append("a"), 0)
    events.every_day(lambda: ran.append("c"), 60)
    assert events.next_time() == 0
    while events.next_time() <= 1500:
        events.run_next()
    # ties: scheduled first runs first; a repeat waits behind those already due then
    assert ran == ["a", "b", "c", "a", "b", "c"]
    assert events.next_time() == 1440 + 1440
    assert DailyEvents().next_time() == np.inf

