"""Shifts: groups come on duty at the station at their hour and go off after shift_hours."""

from __future__ import annotations

from hotspot_sim.sim import kernels as K

from .test_model import small_model


NO_CALLS = {"grade1_per_day": 0.0, "grade2_per_day": 0.0, "grade3_per_day": 0.0}


def on_duty(m):
    return {a.index for a in m.officer_agents if a.on_duty}


def test_each_group_works_its_own_eight_hours():
    # starts 06:00; shifts at 6, 14, 22; officer i starts at [6, 14, 22][i % 3]; no calls, so
    # nobody works overtime
    m = small_model(calls=NO_CALLS)
    m.run_for(1)
    assert on_duty(m) == {0, 3}
    m.run_for(8 * 60 - 1)  # 14:00
    assert on_duty(m) == {1}
    m.run_for(8 * 60)  # 22:00
    assert on_duty(m) == {2}
    m.run_for(8 * 60)  # 06:00 the next day
    assert on_duty(m) == {0, 3}


def test_a_shift_under_way_at_the_start_is_on_duty_at_tick_zero():
    m = small_model(scenario={"start": "2021-11-05T10:00"})
    assert on_duty(m) == {0, 3}  # began at 06:00, before the simulation started
    station = m._station
    assert all(int(m.officers.pos.node[k]) == station for k in (0, 3))


def test_an_officer_on_a_call_finishes_it_before_going_off():
    m = small_model()
    m.run_for(1)
    a = m.officer_agents[0]
    a.on_call = object()  # answering a call when the shift ends
    m.shifts.end([a])
    assert a.on_duty and a.off_after_call
    a.on_call = None
    m.shifts.go_off_duty(a)
    assert not a.on_duty and m.officers.cover_node[0] == -1
    assert m.officers.mode[0] == K.MODE_OFF and m.officers.q_len[0] == 0
