"""track.survival: presence spells, follow-up to the next crime, reading a KM curve."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hotspot_sim.track.survival import (bin_labels, follow_up, kaplan_meier, median_survival,
                                        presence_spells, survival_at)

T0 = pd.Timestamp("2021-03-01 00:00")
HOTSPOTS = pd.DataFrame({"hotspot_id": [1, 2], "x": [0.0, 1000.0], "y": [0.0, 0.0]})


def visits(rows) -> pd.DataFrame:
    """(officer, hotspot, start minute, end minute) -> a visits frame."""
    v = pd.DataFrame(rows, columns=["officer", "hotspot_id", "s", "e"])
    return pd.DataFrame({"visit": range(len(v)), "officer": v["officer"],
                         "hotspot_id": v["hotspot_id"],
                         "start_time": T0 + pd.to_timedelta(v["s"], unit="min"),
                         "end_time": T0 + pd.to_timedelta(v["e"], unit="min"),
                         "minutes": (v["e"] - v["s"]).astype(float)})


def test_overlapping_visits_make_one_spell():
    s = presence_spells(visits([(1, 1, 0, 10), (2, 1, 5, 20), (1, 1, 30, 35), (1, 2, 0, 4)]))
    assert s[["hotspot_id", "minutes", "visits", "officers"]].values.tolist() == [
        [1, 20.0, 2, 2], [1, 5.0, 1, 1], [2, 4.0, 1, 1]]


def test_follow_up_ends_at_a_crime_or_the_next_spell():
    v = visits([(1, 1, 0, 10), (1, 1, 60, 70), (1, 2, 0, 15)])
    crimes = pd.DataFrame({"time": [T0 + pd.Timedelta(minutes=25)], "x": [0.0], "y": [0.0]})
    f = follow_up(v, crimes, HOTSPOTS, end_time=T0 + pd.Timedelta(minutes=100))
    by_start = f.set_index(["hotspot_id", "start_time"])
    first = by_start.loc[(1, T0)]
    assert first["crime"] and first["duration"] == 15.0  # left at 10, crime at 25
    second = by_start.loc[(1, T0 + pd.Timedelta(minutes=60))]
    assert not second["crime"] and second["duration"] == 30.0  # censored at the end of data
    assert by_start.loc[(2, T0), "bin"] == "15-20"


def test_reading_a_curve():
    curve = kaplan_meier([10, 20, 30, 40], [True, True, False, True])
    assert survival_at(curve, 5) == 1.0
    assert survival_at(curve, 20) == 0.5
    assert survival_at(curve, 50) == 0.0  # beyond follow-up, but S already reached 0
    assert median_survival(curve) == 20.0
    open_ended = kaplan_meier([10, 20, 30], [True, False, False])  # S stays at 2/3
    assert math.isnan(survival_at(open_ended, 35)) and math.isnan(median_survival(open_ended))
    assert math.isnan(survival_at(kaplan_meier(np.zeros(0), np.zeros(0, bool)), 1))
    assert bin_labels((0, 5, 10, math.inf)) == ["0-5", "5-10", "10+"]
