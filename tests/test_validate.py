"""validate's own experiments and its count of hot spot crime after patrol stops."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd

from hotspot_sim.validation import validate


def test_effect_experiment_compares_koper_and_random_with_no_patrol():
    exp = validate.experiments("welwyn_hatfield", days=3, reps=2, seed=4)["effect"]
    assert exp.control == "none" and exp.replications == 2 and exp.hotspots == 20
    assert [(a.name, a.policy) for a in exp.arms] == [
        ("none", "none"), ("random", "random"), ("koper", "hotspot_koper")]


def test_daily_hotspot_crimes_counts_within_100_m_from_the_first_day():
    net = types.SimpleNamespace(x=np.array([0.0, 5000.0]), y=np.array([0.0, 0.0]))
    day = 1440
    crimes = pd.DataFrame({"x": [50.0, 50.0, 150.0, 4990.0, 0.0, 0.0],
                           "y": [0.0] * 6,
                           "tick": [0, 3 * day + 5, 3 * day, 4 * day, 2 * day, 99 * day]})
    model = types.SimpleNamespace(network=net, crimes_table=lambda: crimes)
    counts = validate.daily_hotspot_crimes(model, np.array([0, 1]), first_day=3)
    # day 3: one within 100 m (150 m is outside); day 4: one near node 1; day 2 is before,
    # day 99 after the follow-up
    assert counts.tolist() == [1, 1] + [0] * (validate.AFTER_DAYS - 2)
