"""validate's own experiments and its count of hot spot crime after patrol stops."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.validation import validate


def test_effect_experiment_compares_koper_and_random_with_no_patrol():
    exp = validate.experiments("welwyn_hatfield", days=3, reps=2, seed=4)["effect"]
    assert exp.control == "none" and exp.replications == 2 and exp.hotspots == 20
    assert [(a.name, a.policy) for a in exp.arms] == [
        ("none", "none"), ("random", "random"), ("koper", "hotspot_koper"),
        ("koper_trial_dose", "hotspot_koper")]
    assert exp.arms[3].params == {"dwell_minutes": 15, "revisit_minutes": 480}


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


def test_a_control_runs_the_same_seeds_with_the_mechanism_removed():
    from hotspot_sim.trial import make_tasks
    from hotspot_sim.validation.controls import NO_DETERRENCE

    exp = validate.experiments("welwyn_hatfield", days=3, reps=2, seed=4)["effect"]
    ctl = validate.under_control(exp, NO_DETERRENCE, ("none", "koper"))
    assert ctl.name == "validate_effect-no_deterrence" and [a.name for a in ctl.arms] == [
        "none", "koper"]
    assert all(a.overrides == NO_DETERRENCE.overrides for a in ctl.arms)
    seeds = {(t.arm.name, t.replication): t.seed for t in make_tasks(exp)}
    assert all(seeds[(t.arm.name, t.replication)] == t.seed for t in make_tasks(ctl))


@pytest.mark.realdata
def test_the_no_deterrence_control_really_deters_nothing(real_data, tmp_path):
    from hotspot_sim.trial import Arm, Experiment
    from hotspot_sim.validation.controls import NO_DETERRENCE

    exp = Experiment(name="v", scenario="welwyn_hatfield", days=1.0, replications=1, seed=4,
                     hotspots=5, control="none", arms=(Arm("koper", "hotspot_koper"),
                                                       Arm("none", "none")))
    runs = {}
    for e in (exp, validate.under_control(exp, NO_DETERRENCE)):
        folder = validate.run_own_experiment(e, tmp_path / e.name, progress=False)
        runs[e.name] = pd.read_parquet(folder / "runs.parquet").set_index("arm")
    assert runs["v"].loc["koper", "deterred"] > 0
    assert runs["v-no_deterrence"]["deterred"].sum() == 0


def test_training_split_holds_out_the_last_three_months():
    train, test = validate.training_split(validate.Plan("welwyn_hatfield"))
    assert train[0] == "2021-01" and train[-1] == "2021-07" and test == [
        "2021-08", "2021-09", "2021-10"]
