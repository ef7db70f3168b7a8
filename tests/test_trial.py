"""Tests of hotspot_sim.trial: trial statistics on data with known answers."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.checks import parse_range
from hotspot_sim.errors import ConfigError, DataError
from hotspot_sim.plots import plot_power
from hotspot_sim.trial import (
    TrialResult,
    conditional_poisson,
    cost_benefit,
    permutation_test,
    power,
    rate_ratio_glm,
    simulate_trial,
    smallest_adequate,
)

RATES = np.random.default_rng(7).gamma(2.0, 0.4, 50)  # mean 0.8 crimes per spot-day


# --------------------------------------------------------------------------- simulation


def test_crossover_keeps_daily_number_treated():
    # Basford et al. (2021): 20 hot spots, 8 treated a day, 90 days
    df = simulate_trial("crossover", 20, 90, RATES, 0.8, treat_share=0.4, seed=1)
    assert len(df) == 1800
    assert (df.groupby("day")["treated"].sum() == 8).all()
    assert int(df["treated"].sum()) == 720
    assert df["hotspot_id"].nunique() == 20
    assert (df["crimes"] >= 0).all() and df["crimes"].dtype.kind == "i"


def test_parallel_and_block_assignment():
    par = simulate_trial("parallel", 110, 10, RATES, 0.9, seed=2)
    per_spot = par.groupby("hotspot_id")["treated"].agg(["min", "max"])
    assert (per_spot["min"] == per_spot["max"]).all()
    assert int(per_spot["min"].sum()) == 55  # Sherman & Weisburd (1995)
    blk = simulate_trial("block", 11, 5, RATES, 0.9, seed=3)
    spots = blk.groupby("hotspot_id")[["treated", "block", "baseline_rate"]].first()
    sizes = spots.groupby("block").size()
    assert sizes.tolist() == [2, 2, 2, 2, 3]  # remainder joins the top block
    assert (spots.groupby("block")["treated"].sum() >= 1).all()
    assert (spots.groupby("block")["treated"].sum() < sizes).all()
    # blocks are consecutive in baseline rate
    by_block = spots.groupby("block")["baseline_rate"].agg(["min", "max"])
    assert (by_block["max"].to_numpy()[:-1] <= by_block["min"].to_numpy()[1:]).all()


def test_simulation_reproducible_and_uses_rates_in_order():
    a = simulate_trial("crossover", 4, 30, [0.1, 0.2, 0.3, 0.4], 0.5, seed=9)
    b = simulate_trial("crossover", 4, 30, [0.1, 0.2, 0.3, 0.4], 0.5, seed=9)
    pd.testing.assert_frame_equal(a, b)
    assert a.groupby("hotspot_id")["baseline_rate"].first().tolist() == [0.1, 0.2, 0.3, 0.4]


def test_negative_binomial_counts_are_overdispersed():
    df = simulate_trial("crossover", 40, 200, 2.0, 1.0, dispersion=0.5, seed=4)
    y = df["crimes"]
    assert y.mean() == pytest.approx(2.0, rel=0.05)
    assert y.var() == pytest.approx(2.0 + 0.5 * 4.0, rel=0.1)  # mu + alpha mu^2


# --------------------------------------------------------------------------- GLM


def test_glm_recovers_large_effect():
    df = simulate_trial("crossover", 30, 200, RATES, 0.5, seed=11)
    res = rate_ratio_glm(df)
    assert isinstance(res, TrialResult)
    assert res.rate_ratio == pytest.approx(0.5, abs=0.05)
    assert res.ci_low < 0.5 < res.ci_high
    assert res.p_value < 1e-10
    assert res.n_spot_days == 6000 and res.n_treated == 3000 and res.n_hotspots == 30
    d = res.as_dict()
    assert d["rate_ratio"] == res.rate_ratio and "method" in d
    nb = rate_ratio_glm(df, family="negbin", cov="cluster")
    assert nb.rate_ratio == pytest.approx(0.5, abs=0.05) and nb.alpha is not None


def test_glm_null_false_positive_rate_near_alpha():
    covered = 0
    for seed in range(50):
        df = simulate_trial("crossover", 10, 60, RATES, 1.0, seed=100 + seed)
        res = rate_ratio_glm(df)
        covered += res.ci_low <= 1.0 <= res.ci_high
    assert covered >= 44  # expect ~47.5; loose bound on a 5% false positive rate


def test_conditional_estimator_matches_statsmodels():
    df = simulate_trial("crossover", 25, 60, RATES, 0.8, dispersion=0.3, seed=5)
    df = df.sample(frac=0.9, random_state=1)  # unbalanced
    df.loc[df["hotspot_id"] == 3, "crimes"] = 0  # a spot without crime is dropped
    for cov in ("model", "cluster"):
        ref = rate_ratio_glm(df, cov=cov)
        fast = conditional_poisson(df, cov=cov)
        assert fast.log_rate_ratio == pytest.approx(ref.log_rate_ratio, abs=1e-6)
        assert fast.se == pytest.approx(ref.se, rel=1e-6)
        assert fast.p_value == pytest.approx(ref.p_value, rel=1e-5, abs=1e-12)
        assert fast.n_dropped == ref.n_dropped == (df["hotspot_id"] == 3).sum()
    # parallel (one intercept) and block fixed effects, cluster-robust with t
    par = simulate_trial("parallel", 30, 40, RATES, 0.8, seed=6)
    ref = rate_ratio_glm(par, fixed_effects=(), cov="cluster", use_t=True)
    fast = conditional_poisson(par, strata=(), cov="cluster", use_t=True)
    assert fast.log_rate_ratio == pytest.approx(ref.log_rate_ratio, abs=1e-6)
    assert fast.se == pytest.approx(ref.se, rel=1e-6) and fast.df == ref.df == 29
    blk = simulate_trial("block", 21, 40, RATES, 0.8, seed=6)
    ref = rate_ratio_glm(blk, fixed_effects=("block",), cov="cluster", cluster="block")
    fast = conditional_poisson(blk, strata=("block",), cov="cluster", cluster="block")
    assert fast.log_rate_ratio == pytest.approx(ref.log_rate_ratio, abs=1e-6)
    assert fast.se == pytest.approx(ref.se, rel=1e-6)


def test_glm_day_effects_and_harm_outcome():
    df = simulate_trial("crossover", 20, 60, RATES, 0.6, seed=8)
    df["harm"] = df["crimes"] * 10.0
    a = rate_ratio_glm(df, day_effects=True)
    b = rate_ratio_glm(df, outcome="harm", cov="cluster")
    assert 0.4 < a.rate_ratio < 0.8
    assert b.rate_ratio == pytest.approx(rate_ratio_glm(df).rate_ratio, rel=1e-6)


def test_glm_bad_inputs():
    df = simulate_trial("crossover", 10, 20, RATES, 0.8, seed=1)
    with pytest.raises(DataError, match="zero on every spot-day"):
        rate_ratio_glm(df.assign(crimes=0))
    with pytest.raises(DataError, match="zero on every treated"):
        rate_ratio_glm(df.assign(crimes=np.where(df["treated"], 0, df["crimes"])))
    with pytest.raises(DataError, match="treated"):
        rate_ratio_glm(df.assign(treated=True))
    with pytest.raises(DataError, match="crimes"):
        rate_ratio_glm(df.drop(columns="crimes"))
    with pytest.raises(DataError, match="negative"):
        rate_ratio_glm(df.assign(crimes=-1))
    with pytest.raises(DataError, match="df is empty"):
        rate_ratio_glm(df.iloc[:0])
    with pytest.raises(ConfigError, match="family"):
        rate_ratio_glm(df, family="gaussian")
    with pytest.raises(ConfigError, match="cov"):
        rate_ratio_glm(df, cov="hc3")
    par = simulate_trial("parallel", 10, 20, RATES, 0.8, seed=1)
    with pytest.raises(ConfigError, match="fixed_effects"):
        rate_ratio_glm(par)  # treatment constant within every hot spot


# --------------------------------------------------------------------------- permutation


def test_permutation_reproducible_and_detects_big_effect():
    df = simulate_trial("crossover", 20, 90, RATES, 0.5, seed=12)
    a = permutation_test(df, n_permutations=500, seed=3)
    b = permutation_test(df, n_permutations=500, seed=3)
    assert a == b
    assert a["p_value"] == pytest.approx(2 / 501)  # nothing as extreme: the +1 floor
    assert a["rate_ratio"] < 0.7
    g = permutation_test(df, n_permutations=200, seed=3, statistic="glm")
    assert g["rate_ratio"] == pytest.approx(rate_ratio_glm(df).rate_ratio, rel=1e-8)
    assert g["p_value"] < 0.02


def test_permutations_keep_design(monkeypatch):
    import hotspot_sim.trial.stats as trial

    df = simulate_trial("crossover", 12, 15, RATES, 1.0, seed=13)
    seen = []
    orig = trial._permute_within

    def spy(labels, groups, n_perm, rng):
        out = orig(labels, groups, n_perm, rng)
        seen.append((out, groups))
        return out

    monkeypatch.setattr(trial, "_permute_within", spy)
    permutation_test(df, n_permutations=50, seed=1)
    perms, groups = seen[0]
    day = df["day"].to_numpy()
    for p in perms[:10]:
        per_day = pd.Series(p).groupby(day).sum()
        assert (per_day == 6).all()
    assert not (perms == df["treated"].to_numpy()).all(axis=1).all()
    # parallel: whole hot spots swap labels; number of treated spots kept
    seen.clear()
    par = simulate_trial("parallel", 12, 15, RATES, 1.0, seed=13)
    permutation_test(par, design="parallel", n_permutations=20, seed=1)
    assert (seen[0][0].sum(axis=1) == 6).all() and seen[0][0].shape == (20, 12)
    # block: one treated per pair in every permutation
    seen.clear()
    blk = simulate_trial("block", 12, 15, RATES, 1.0, seed=13)
    permutation_test(blk, design="block", n_permutations=20, seed=1)
    labels, groups = seen[0]
    for p in labels:
        assert (pd.Series(p).groupby(groups).sum() == 1).all()


def test_permutation_null_and_errors():
    ps = [permutation_test(simulate_trial("crossover", 10, 30, RATES, 1.0, seed=s),
                           n_permutations=199, seed=s)["p_value"] for s in range(40)]
    assert 0.3 < np.mean(ps) < 0.7  # roughly uniform
    df = simulate_trial("crossover", 10, 30, RATES, 1.0, seed=1)
    with pytest.raises(ConfigError, match="n_permutations"):
        permutation_test(df, n_permutations=0)
    with pytest.raises(ConfigError, match="design"):
        permutation_test(df, design="stepped")
    with pytest.raises(DataError, match="parallel"):
        permutation_test(df, design="parallel")
    with pytest.raises(DataError, match="block"):
        permutation_test(df, design="block")


# --------------------------------------------------------------------------- power


def test_power_grows_with_hotspots_and_days():
    t0 = time.perf_counter()
    tab = power("crossover", [10, 20, 40], [30, 90, 180], RATES, 0.85, n_sims=200, seed=1)
    assert time.perf_counter() - t0 < 10
    assert list(tab.columns[:8]) == ["design", "hotspots", "days", "spot_days", "effect",
                                     "power", "ci_low", "ci_high"]
    grid = tab.pivot(index="hotspots", columns="days", values="power")
    assert grid.loc[10, 30] < grid.loc[10, 180] and grid.loc[10, 30] < grid.loc[40, 30]
    assert grid.loc[40, 180] > 0.95 and grid.loc[10, 30] < 0.5
    assert (tab["ci_low"] <= tab["power"]).all() and (tab["power"] <= tab["ci_high"]).all()
    # a cell's result does not depend on the rest of the grid
    one = power("crossover", [20], [90], RATES, 0.85, n_sims=200, seed=1)
    assert one["power"].iloc[0] == tab.set_index(["hotspots", "days"]).loc[(20, 90), "power"]


@pytest.mark.parametrize("design,analysis", [("crossover", "glm"), ("parallel", "glm"),
                                             ("block", "glm"), ("crossover", "permutation")])
def test_power_is_alpha_without_effect(design, analysis):
    tab = power(design, [30], [60], RATES, 1.0, n_sims=600, analysis=analysis, seed=2)
    assert 0.015 < tab["power"].iloc[0] < 0.10


def test_power_permutation_detects_effect():
    tab = power("parallel", [40], [120], RATES, 0.6, n_sims=100, analysis="permutation")
    assert tab["power"].iloc[0] > 0.5


def test_power_bad_inputs():
    with pytest.raises(ConfigError, match="design"):
        power("stepped", [10], [10], RATES, 0.9)
    with pytest.raises(ConfigError, match="hotspots"):
        power("crossover", [0], [10], RATES, 0.9)
    with pytest.raises(ConfigError, match="days"):
        power("crossover", [10], ["x"], RATES, 0.9)
    with pytest.raises(ConfigError, match="effect"):
        power("crossover", [10], [10], RATES, -1.0)
    with pytest.raises(ConfigError, match="baseline_rates"):
        power("crossover", [10], [10], [-1.0], 0.9)
    with pytest.raises(ConfigError, match="treat_share"):
        simulate_trial("crossover", 10, 10, RATES, 0.9, treat_share=0.01)
    with pytest.raises(ConfigError, match="alpha"):
        power("crossover", [10], [10], RATES, 0.9, alpha=1.5)


def test_smallest_adequate_picks_cheapest():
    tab = pd.DataFrame({
        "design": "crossover",
        "hotspots": [10, 10, 20, 20, 40, 40],
        "days": [90, 180, 90, 180, 30, 90],
        "power": [0.5, 0.82, 0.79, 0.95, 0.81, 0.99],
        "ci_low": [0.43, 0.76, 0.73, 0.92, 0.75, 0.97],
    })
    best = smallest_adequate(tab)
    assert (best["hotspots"], best["days"]) == (40, 30)  # 1,200 spot-days
    best = smallest_adequate(tab, conservative=True)
    assert (best["hotspots"], best["days"]) == (40, 90)  # 3,600 < 20 x 180
    assert smallest_adequate(tab, target=0.999) is None
    with pytest.raises(ConfigError, match="target"):
        smallest_adequate(tab, target=80)


def test_plot_power(tmp_path):
    tab = power("crossover", [10, 20], [30, 60], RATES, 0.85, n_sims=20)
    out = plot_power(tab, tmp_path / "power.png")
    assert out.exists() and out.stat().st_size > 5000


# --------------------------------------------------------------------------- parse_range


def test_parse_range():
    assert parse_range("10:40:10") == [10, 20, 30, 40]
    assert parse_range("10:35:10") == [10, 20, 30]
    assert parse_range("3:5") == [3, 4, 5]
    assert parse_range("30") == [30]
    assert parse_range("10, 20,35") == [10, 20, 35]
    for bad in ("", "a", "10:5", "10:40:0", "0", "1.5", "10;20", "-5"):
        with pytest.raises(ConfigError, match="--hotspots"):
            parse_range(bad, name="--hotspots")


# --------------------------------------------------------------------------- cost-benefit


def test_cost_benefit_by_hand():
    arms = pd.DataFrame({"arm": ["control", "patrol", "control", "patrol"],
                         "crimes": [100.0, 80.0, 110.0, 90.0],
                         "harm": [5000.0, 4000.0, 5000.0, 4000.0],
                         "patrol_hours": [10.0, 60.0, 10.0, 60.0]})
    out = cost_benefit(arms, control="control", cost_per_officer_hour=40.0).set_index("arm")
    p = out.loc["patrol"]
    assert p["n_runs"] == 2 and p["patrol_hours"] == 60 and p["cost"] == 2400
    assert p["extra_cost"] == 2000  # 50 extra hours x 40
    assert p["crimes_prevented"] == 20 and p["harm_prevented"] == 1000
    assert p["cost_per_crime_prevented"] == 100
    assert p["cost_per_harm_day_prevented"] == 2
    c = out.loc["control"]
    assert c["crimes_prevented"] == 0 and math.isnan(c["cost_per_crime_prevented"])
    assert "control" in c["note"]


def test_cost_benefit_no_benefit_and_errors():
    arms = pd.DataFrame({"crimes": [100.0, 105.0], "patrol_hours": [0.0, 50.0]},
                        index=["none", "waste"])
    out = cost_benefit(arms, "none", 30.0, harm_col=None).set_index("arm")
    assert out.loc["waste", "cost_per_crime_prevented"] == math.inf
    assert "inf" in out.loc["waste", "note"]
    assert math.isnan(out.loc["waste", "cost_per_harm_day_prevented"])
    with pytest.raises(DataError, match="harm_col=None"):
        cost_benefit(arms, "none", 30.0)
    with pytest.raises(ConfigError, match="control"):
        cost_benefit(arms, "nobody", 30.0, harm_col=None)
    with pytest.raises(ConfigError, match="cost_per_officer_hour"):
        cost_benefit(arms, "none", -1.0, harm_col=None)


def test_cluster_robust_errors_with_one_cluster_left_is_a_clear_error():
    """Two pairs, one with no harm at all: after its empty stratum is dropped one cluster is
    left, and statsmodels would divide by zero (clusters - 1): a DataError says why."""
    import pandas as pd

    from hotspot_sim.errors import DataError
    from hotspot_sim.trial.stats import rate_ratio_glm

    df = pd.DataFrame({"hotspot_id": [1, 1, 2, 2], "day": [0, 1, 0, 1],
                       "treated": [True, False, True, False], "harm": [5.0, 2.0, 0.0, 0.0],
                       "block": [0, 0, 1, 1]})
    with pytest.raises(DataError, match="at least 2 clusters"):
        rate_ratio_glm(df, outcome="harm", fixed_effects=("block",), cov="cluster",
                       cluster="block")
    df.loc[2, "harm"] = 3.0  # the second pair has harm again: two clusters, a fit
    assert rate_ratio_glm(df, outcome="harm", fixed_effects=("block",), cov="cluster",
                          cluster="block").rate_ratio > 0
