"""Published hot spot trials re-run in the model (hotspot_sim.validation.trials)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.errors import ConfigError
from hotspot_sim.trial.experiment import scenario_for
from hotspot_sim.validation import trials as T

NO_DETERRENCE = {"deterrence.presence_effect": 0, "deterrence.residual_peak": 0,
                 "deterrence.long_effect": 0}


def _only_arm(exp):
    assert len(exp.arms) == 1
    return exp.arms[0]


def test_crossover_trials_match_their_published_designs():
    # Basford et al. 2021: 20 spots, 720 treatment and 1,080 control place-days in 90 days
    exp = T.PUBLISHED_TRIALS["southend"].experiment("welwyn_hatfield", 3, 1, False, {})
    p = _only_arm(exp).params
    treated_a_day = round(p["treat_share"] * p["k"])
    assert (p["k"], exp.hotspots, exp.days) == (20, 20, 90)
    assert (treated_a_day * exp.days, (p["k"] - treated_a_day) * exp.days) == (720, 1080)
    assert 15 <= p["dose_minutes"] <= 20 and p["visits"] == 1
    # Bland et al. 2021: 21 areas, 7 patrolled a day for 15 minutes, 90 days
    exp = T.PUBLISHED_TRIALS["bedfordshire"].experiment("welwyn_hatfield", 3, 1, False, {})
    p = _only_arm(exp).params
    assert (p["k"], round(p["treat_share"] * p["k"]), p["dose_minutes"], exp.days) == \
        (21, 7, 15, 90)
    # Barnes et al. 2020: 15 spots, ~13 minutes once, 248 days
    exp = T.PUBLISHED_TRIALS["armadale"].experiment("welwyn_hatfield", 3, 1, False, {})
    p = _only_arm(exp).params
    assert (p["k"], p["dose_minutes"], p["visits"], exp.days, exp.hotspots) == \
        (15, 13, 1, 248, 15)


def test_parallel_and_area_trials_match_their_designs():
    exp = T.PUBLISHED_TRIALS["minneapolis"].experiment("welwyn_hatfield", 3, 1, False, {})
    arm = _only_arm(exp)
    assert arm.policy == "parallel_patrol"
    assert (arm.params["k"], arm.params["k"] * arm.params["treat_share"], exp.days) == \
        (110, 55, 365)
    kc = T.PUBLISHED_TRIALS["kansas_city"]
    exp = kc.experiment("welwyn_hatfield", 3, 1, False, {})
    assert exp.control == "reactive" and exp.days == 365
    scen = {a.name: scenario_for(exp, a, {}) for a in exp.arms}
    assert {s.officers.mode for s in scen.values()} == {"car"}
    assert {a.name: a.policy for a in exp.arms} == {"reactive": "none", "normal": "random",
                                                     "proactive": "random"}
    assert scen["proactive"].officers.count == 2.5 * scen["normal"].officers.count
    assert scen["reactive"].officers.count == scen["normal"].officers.count


@pytest.mark.parametrize("key", sorted(T.PUBLISHED_TRIALS))
def test_quick_version_and_overrides_reach_every_arm(key):
    trial = T.PUBLISHED_TRIALS[key]
    exp = trial.experiment("welwyn_hatfield", 2, 7, True, NO_DETERRENCE)
    assert exp.days == trial.quick_days < trial.days and exp.quick_version
    assert (exp.replications, exp.seed) == (2, 7)
    for arm in exp.arms:
        assert scenario_for(exp, arm, {}).deterrence.presence_effect == 0
    assert trial.finding in ("reduction", "increase", "no difference")
    assert trial.analysis in T.ANALYSES and trial.outcome in ("crimes", "harm")


def _synthetic_crossover(effect: float, reps: int = 4, spots: int = 20, days: int = 60,
                         seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs and spot-days of a daily crossover with a known rate ratio ``effect``."""
    rng = np.random.default_rng(seed)
    rows = []
    for rep in range(reps):
        base = rng.gamma(2.0, 0.15, spots)
        for day in range(days):
            treated = np.zeros(spots, bool)
            treated[rng.choice(spots, spots * 2 // 5, replace=False)] = True
            crimes = rng.poisson(base * np.where(treated, effect, 1.0))
            for s in range(spots):
                rows.append((f"patrol__g000__r{rep:03d}", s, day, treated[s], crimes[s],
                             50.0 * crimes[s]))
    spotdays = pd.DataFrame(rows, columns=["task_id", "hotspot_id", "day", "treated", "crimes",
                                           "harm"])
    runs = pd.DataFrame({"task_id": [f"patrol__g000__r{r:03d}" for r in range(reps)],
                         "replication": range(reps)})
    return runs, spotdays


def test_crossover_estimate_sign_and_interval():
    trial = T.PUBLISHED_TRIALS["southend"]
    runs, spotdays = _synthetic_crossover(effect=0.5)
    est = T._crossover_estimate(trial, T.pooled_spot_days(runs, spotdays))
    assert est.ci_low < est.pct < est.ci_high < 0  # fewer crimes when patrolled: negative
    assert est.ci_low < -50 < est.ci_high
    assert est.events == spotdays["crimes"].sum()
    assert "harm" in est.detail and "crimes" in est.detail


def test_crossover_estimate_without_effect_covers_zero():
    trial = T.PUBLISHED_TRIALS["bedfordshire"]
    runs, spotdays = _synthetic_crossover(effect=1.0, seed=3)
    est = T._crossover_estimate(trial, T.pooled_spot_days(runs, spotdays))
    assert est.ci_low < 0 < est.ci_high


def test_days_since_patrol_and_carryover_direction():
    table = pd.DataFrame({"unit": ["a"] * 8, "day": range(8),
                          "treated": [True, False, False, False, False, False, False, True]})
    since = T.days_since_patrol(table)
    assert since.tolist() == [0, 1, 2, 3, 4, 5, 6, 0]
    # more crime once the carry-over has ended: Barnes' direction is positive
    runs, spotdays = _synthetic_crossover(effect=1.0, reps=3, days=120, seed=1)
    table = T.pooled_spot_days(runs, spotdays)
    after = T.days_since_patrol(table) > T.BARNES_CARRYOVER_DAYS
    table.loc[after, "crimes"] *= 4
    est = T._carryover_estimate(T.PUBLISHED_TRIALS["armadale"], table)
    assert est.pct > 0 and est.ci_low > 0


def test_estimate_refuses_an_unknown_analysis(tmp_path):
    trial = dataclasses.replace(T.PUBLISHED_TRIALS["southend"], analysis="bogus")
    with pytest.raises(ConfigError):
        T.estimate(trial, tmp_path)


def test_parallel_policy_treats_half_the_spots_all_run(wh_scenario, wh_study):
    from hotspot_sim.sim.model import PatrolModel

    model = PatrolModel(wh_scenario, wh_study, policy="parallel_patrol",
                        policy_params={"k": 10, "treat_share": 0.5, "between": "walk"},
                        build_space=False)
    model.run_days(2)
    assign = model.policy.assignment_table()
    per_day = assign.groupby("day")["treated"].sum()
    assert len(per_day) >= 2 and (per_day == 5).all()  # (the next midnight is planned too)
    treated_sets = assign[assign["treated"]].groupby("day")["node"].apply(frozenset)
    assert treated_sets.nunique() == 1
    plan = model.policy.dose_plan()
    assert set(plan["node"]) <= set(assign.loc[assign["treated"], "node"])


def test_crossover_patrol_refuses_unknown_between():
    from hotspot_sim.sim.policies import get_policy

    for name in ("crossover_patrol", "parallel_patrol"):
        with pytest.raises(ConfigError, match="between"):
            get_policy(name).check_params({"between": "loiter"})
        assert get_policy(name).check_params({"between": "walk"})["between"] == "walk"


@pytest.mark.slow  # about 10 s: six short runs; the estimator's null is tested above too
def test_simulated_crossover_runs_and_no_deterrence_control(tmp_path, wh_study):
    trial = dataclasses.replace(T.PUBLISHED_TRIALS["southend"], quick_days=3)
    est = T.simulate_trial(trial, "welwyn_hatfield", tmp_path / "on", replications=2,
                           quick=True)
    assert est.events > 0 and math.isfinite(est.pct)
    off = T.simulate_trial(trial, "welwyn_hatfield", tmp_path / "off", replications=4,
                           quick=True, overrides=NO_DETERRENCE)
    crimes = off.extra["changes"]["crimes"]
    assert crimes["ci_low"] < 0 < crimes["ci_high"]
