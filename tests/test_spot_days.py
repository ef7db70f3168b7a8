"""Spot-days of an experiment run are the policies' calendar days, whatever the start time."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd

from hotspot_sim.trial.measure import measure_run, spot_days
from hotspot_sim.sim.calendar import Calendar
from hotspot_sim.sim.model import PatrolModel
from hotspot_sim.track.zones import zone_crimes

HOTSPOTS = pd.DataFrame({"hotspot_id": [1, 2], "node": [10, 20], "x": [0.0, 5000.0],
                         "y": [0.0, 0.0]})


def model_starting_at_13h(ticks: int, treated_days: dict):
    """Just the calendar and the daily assignment of a model that started at 13:00."""
    plan = pd.DataFrame([{"day": d, "hotspot_id": h, "node": n, "treated": d in treated_days[h]}
                         for h, n in ((1, 10), (2, 20)) for d in range(3)])
    calendar = Calendar(dt.datetime(2021, 11, 5, 13, 0))  # the model's own calendar
    return SimpleNamespace(tick=ticks, day_index=calendar.day_index,
                           policy=SimpleNamespace(assignment_table=lambda: plan))


def test_a_crime_after_midnight_counts_on_the_next_calendar_day():
    model = model_starting_at_13h(2 * 1440, {1: {1}, 2: {0, 2}})
    # tick 700 is 00:40 on the second calendar day; tick 2000 is 22:20 on it
    crimes = pd.DataFrame({"tick": [100, 700, 2000, 2500], "x": [0.0, 0.0, 5000.0, 10.0],
                           "y": [0.0] * 4, "harm": [1.0, 2.0, 4.0, 8.0]})
    table = spot_days(model, crimes, HOTSPOTS, zone_crimes(crimes["x"], crimes["y"], HOTSPOTS,
                                                           rings=(100,), radius_m=100.0))
    got = table.set_index(["hotspot_id", "day"])
    assert sorted(table["day"].unique()) == [0, 1, 2]  # 11 h, 24 h and 13 h
    assert got["crimes"].to_dict() == {(1, 0): 1, (1, 1): 1, (1, 2): 1,
                                       (2, 0): 0, (2, 1): 1, (2, 2): 0}
    assert got.loc[(1, 1), "treated"] and got.loc[(1, 1), "harm"] == 2.0
    assert not got.loc[(1, 0), "treated"] and got.loc[(2, 2), "treated"]


def test_whole_days_from_midnight_keep_one_row_per_day():
    fake = SimpleNamespace(tick=2 * 1440, policy=None,
                           day_index=Calendar(dt.datetime(2021, 11, 5)).day_index)
    crimes = pd.DataFrame({"tick": [1439, 1440], "x": [0.0, 0.0], "y": [0.0, 0.0],
                           "harm": [1.0, 1.0]})
    table = spot_days(fake, crimes, HOTSPOTS, zone_crimes(crimes["x"], crimes["y"], HOTSPOTS,
                                                          rings=(100,), radius_m=100.0))
    assert table.groupby("day")["crimes"].sum().to_dict() == {0: 1, 1: 1}
    assert not table["treated"].any()


def test_simulated_trial_starting_at_13h_matches_the_policy_calendar():
    from .test_policies import crossover_model

    base = crossover_model()  # daily randomised hot spot patrol on a small grid
    model = PatrolModel(base.config.replace({"scenario.start": "2021-11-05T13:00"}), base.study)
    model.run_for(2 * 1440)
    hotspots = model.policy.hotspots
    summary, table = measure_run(model, hotspots, 100.0, (100.0, 200.0))
    crimes = model.crimes_table()
    zoning = zone_crimes(crimes["x"], crimes["y"], hotspots, (100.0, 200.0), 100.0)
    inside = crimes[zoning.in_hot_spot]
    by_day = pd.Series(model.day_index(inside["tick"].to_numpy())).value_counts().sort_index()
    assert table.groupby("day")["crimes"].sum()[by_day.index].tolist() == by_day.tolist()
    assert table["crimes"].sum() == summary["crimes_hotspots"] == len(inside)
    plan = model.policy.assignment_table().set_index(["hotspot_id", "day"])["treated"]
    got = table.set_index(["hotspot_id", "day"])["treated"]
    assert got.equals(plan.reindex(got.index, fill_value=False).astype(bool))
