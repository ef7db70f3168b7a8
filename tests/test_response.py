"""Emergency response: response cars, grade 1 pre-emption, cars held back for grade 1."""

from __future__ import annotations

import numpy as np
import pytest

from hotspot_sim.errors import ConfigError
from hotspot_sim.network import synthetic_grid
from hotspot_sim.settings import scenario_from_dict
from hotspot_sim.sim import kernels as K
from hotspot_sim.sim.model import PatrolModel
from hotspot_sim.study import synthetic_study

# 3 km across: a foot officer needs over half an hour to cross it, a car 6 minutes.
GRID = synthetic_grid(30, 30, spacing_m=100.0, drop_fraction=0.1, seed=2)
HOT = [31, 31, 95, 95, 400, 401, 402, 650, 651, 880, 880]


def model(officers=None, calls=None, seed=3) -> PatrolModel:
    raw = {"scenario": {"name": "grid", "seed": seed, "start": "2021-11-05T06:00"},
           "network": {"osm_file": "synthetic"},
           "officers": {"count": 3, "shift_starts": [6, 14, 22], "response_units": 3,
                        **(officers or {})},
           "offenders": {"count": 20, "attractors": 8, "home_places": 10},
           "risk": {"base_rate": 0.001},
           "calls": {"grade1_per_day": 12.0, "grade2_per_day": 12.0, "grade3_per_day": 24.0,
                     "service_minutes": [45.0, 40.0, 120.0], **(calls or {})}}
    s = scenario_from_dict(raw, source="test")
    return PatrolModel(s, synthetic_study(s, GRID, HOT), build_space=False)


def answered_calls(m):
    return m.calls_table().dropna(subset=["arrived"])


def test_grade1_preempts_a_grade3_call_which_is_queued_again_and_answered():
    # one car on duty at a time, which grade 3 calls may take
    m = model(officers={"count": 0, "response_units": 3},
              calls={"cars_held_for_grade1": 0, "grade2_per_day": 0.0, "grade3_per_day": 6.0,
                     "service_minutes": [30.0, 40.0, 120.0]})
    m.run_for(3 * 1440)
    calls = m.calls_table()
    interrupted = calls[calls["interruptions"] > 0]
    assert len(interrupted) > 0 and (interrupted["grade"] == 3).all()
    # requeued with its original time, then answered and cleared by someone
    done = interrupted[interrupted["time"] < m.tick - 1440]
    assert len(done) > 0 and done["cleared"].notna().all() and (done["officer"] >= 0).all()
    assert (done["response_minutes"] == done["arrived"] - done["time"]).all()


def test_without_preemption_no_call_is_interrupted():
    m = model(officers={"count": 0, "response_units": 3},
              calls={"grade1_preempts": False, "cars_held_for_grade1": 0})
    m.run_for(3 * 1440)
    assert (m.calls_table()["interruptions"] == 0).all()


def test_grade1_is_answered_faster_than_grade2_and_mostly_within_target():
    m = model()
    m.run_for(4 * 1440)
    calls = answered_calls(m)
    median = calls.groupby("grade")["response_minutes"].median()
    assert median[1] < median[2]
    assert calls.loc[calls["grade"] == 1, "met_target"].mean() > 0.5


def test_foot_officers_alone_miss_the_grade1_target():
    """Negative control: no cars, no pre-emption, nothing held back."""
    m = model(officers={"response_units": 0},
              calls={"grade1_preempts": False, "cars_held_for_grade1": 0})
    m.run_for(4 * 1440)
    calls = answered_calls(m)
    assert calls.loc[calls["grade"] == 1, "met_target"].mean() < 0.5


def test_response_cars_drive_answer_calls_only_and_wait_at_the_station():
    m = model()
    m.run_for(2 * 1440)
    cars = np.arange(3, 6)
    assert np.allclose(m.officers.speed[cars], 30_000 / 60)
    assert np.allclose(m.officers.speed[:3], 5_000 / 60)
    status = m.status_table()
    car_rows = status[status["officer"].isin(cars)]
    assert car_rows[["patrolling", "travelling", "at_hotspot"]].to_numpy().sum() == 0
    assert car_rows["answering_call"].sum() > 0
    waiting = [a for a in m.response_agents if a.on_duty and a.on_call is None
               and m.officers.mode[a.index] == K.MODE_DWELL]
    assert all(a.node == m._station for a in waiting)
    assert (answered_calls(m)["officer"].isin(cars)).any()


def test_lower_grades_leave_the_last_free_car_for_grade1():
    m = model(officers={"count": 3, "response_units": 3}, calls={"cars_held_for_grade1": 1})
    m.run_for(1)
    car = m.response_agents[0]
    call = type("C", (), {"grade": 3, "node": 0})()
    assert m.responders.without_held_cars([0, car.index], call) == [0]
    call.grade = 1
    assert m.responders.without_held_cars([0, car.index], call) == [0, car.index]


@pytest.mark.parametrize("key, value", [("officers.response_units", -1),
                                        ("officers.response_units", 2.5),
                                        ("calls.grade1_preempts", "yes"),
                                        ("calls.cars_held_for_grade1", -1)])
def test_bad_response_settings_name_the_key(key, value):
    s = scenario_from_dict({"network": {"osm_file": "x.osm"}}, source="test")
    with pytest.raises(ConfigError, match=key.split(".")[1]):
        s.replace({key: value})
