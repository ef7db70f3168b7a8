"""Eligibility rules (Operations Savvy/Style): crime band, separation, buffer, exclusions named."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hotspot_sim import target as tg
from hotspot_sim.errors import ConfigError, DataError
from hotspot_sim.network import synthetic_grid
from hotspot_sim.study import synthetic_study

from .test_model import small_scenario

VIOLENCE = "Violence and sexual offences"


@pytest.fixture(scope="module")
def scenario():
    return small_scenario()


def line_study(scenario, counts: dict[int, int]):
    """Nodes 300 m apart on a line (a 150 m radius holds one node); `counts` crimes per node."""
    net = synthetic_grid(16, 1, 300.0)
    nodes = np.repeat(list(counts), list(counts.values()))
    return synthetic_study(scenario, net, nodes, types=[VIOLENCE] * len(nodes))


@pytest.fixture(scope="module")
def built(scenario):
    # node 1: 20 crimes (too few); node 5: 200 (too many); nodes 10 and 11, 300 m apart:
    # 100 and 60 crimes (11 too close to 10); node 14: 50 crimes, 1200 m from 10 (chosen)
    study = line_study(scenario, {1: 20, 5: 200, 10: 100, 11: 60, 14: 50})
    cands = tg.eligibility_candidates(study)
    return study, cands, tg.apply_eligibility(cands, months=12)


def excluded_row(result, node):
    rows = result.excluded[result.excluded["node"] == node]
    assert len(rows) == 1, f"node {node} should be excluded exactly once"
    return rows.iloc[0]


def test_candidates_count_crimes_within_the_radius(built):
    _, cands, _ = built
    assert list(cands["node"]) == [5, 10, 11, 14, 1]         # by harm, best first
    assert dict(zip(cands["node"], cands["crimes"])) == {1: 20, 5: 200, 10: 100, 11: 60, 14: 50}


def test_crime_band_excludes_too_few_and_too_many(built):
    _, _, res = built
    few, many = excluded_row(res, 1), excluded_row(res, 5)
    assert few["rule"] == "too_few_crimes" and "20 crimes, fewer than 36" in few["detail"]
    assert many["rule"] == "too_many_crimes" and "200 crimes, more than 150" in many["detail"]
    assert math.isnan(few["distance_m"]) and few["nearest_node"] == -1


def test_of_two_places_300m_apart_only_the_stronger_is_kept(built):
    _, _, res = built
    assert list(res.chosen["node"]) == [10, 14]
    assert list(res.chosen["hotspot_id"]) == [1, 2]
    close = excluded_row(res, 11)
    assert close["rule"] == "too_close" and close["nearest_node"] == 10
    assert close["distance_m"] == pytest.approx(300.0)
    assert "300 m from the hot spot at node 10, closer than 500 m" in close["detail"]


def test_every_candidate_is_chosen_or_excluded_once(built):
    _, cands, res = built
    assert sorted(list(res.chosen["node"]) + list(res.excluded["node"])) == sorted(cands["node"])
    assert res.summary().to_dict() == {"too_few_crimes": 1, "too_many_crimes": 1,
                                       "too_close": 1, "buffer_overlap": 0}


def test_buffer_rule_binds_when_separation_is_smaller(built):
    # 300 m apart passes a 300 m separation, but a 150 m radius + 100 m buffer needs 400 m
    study, cands, _ = built
    res = tg.apply_eligibility(cands, tg.EligibilityRules(min_separation_m=300.0), months=12)
    row = excluded_row(res, 11)
    assert row["rule"] == "buffer_overlap" and "needs 400 m" in row["detail"]
    narrow = tg.EligibilityRules(min_separation_m=300.0, radius_m=100.0, buffer_m=50.0)
    small = tg.apply_eligibility(tg.eligibility_candidates(study, narrow), narrow, months=12)
    assert 11 in set(small.chosen["node"])          # 2 x 100 + 50 = 250 m < 300 m: both kept


def test_band_scales_to_the_months_of_data(built):
    _, cands, _ = built
    res = tg.apply_eligibility(cands, months=["2021-01", "2021-02", "2021-03",
                                              "2021-04", "2021-05", "2021-06"])
    assert res.months == 6 and res.crime_band == (18.0, 75.0)
    assert list(res.chosen["node"]) == [11, 14, 1]              # 20 >= 18 now admits node 1
    assert excluded_row(res, 10)["rule"] == "too_many_crimes"   # 100 > 75


@pytest.fixture(scope="module")
def random_study(scenario):
    """6000 crimes spread unevenly over a 1.45 km square grid of 50 m."""
    rng = np.random.default_rng(3)
    net = synthetic_grid(30, 30, 50.0)
    nodes = rng.choice(net.n_nodes, size=6000, p=rng.dirichlet(np.full(net.n_nodes, 0.05)))
    return synthetic_study(scenario, net, nodes, types=[VIOLENCE] * len(nodes))


@pytest.mark.parametrize("separation", [500.0, 200.0])   # 200 m: the 400 m buffer rule binds
def test_chosen_set_satisfies_every_rule(random_study, separation):
    rules = tg.EligibilityRules(min_separation_m=separation)
    res = tg.apply_eligibility(tg.eligibility_candidates(random_study, rules), rules, months=12)
    assert len(res.chosen) >= 5
    assert res.chosen["crimes"].between(36, 150).all()
    xy = res.chosen[["x", "y"]].to_numpy()
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(len(xy), 1)].min() >= max(separation, 2 * 150.0 + 100.0)
    ex, counts = res.excluded, res.summary()
    assert set(ex["rule"]) <= set(tg.RULES) and counts["too_close"] > 0
    assert (ex.loc[ex["rule"] == "too_close", "distance_m"] < separation).all()
    buffer = ex.loc[ex["rule"] == "buffer_overlap", "distance_m"]
    assert ((buffer >= separation) & (buffer < 400.0)).all()
    assert (counts["buffer_overlap"] > 0) == (separation < 400.0)


@pytest.mark.parametrize("kwargs, field", [
    ({"min_crimes_12m": 200.0}, "min_crimes_12m"),
    ({"radius_m": -5.0}, "radius_m"),
    ({"radius_m": 0.0}, "radius_m"),
    ({"min_separation_m": float("nan")}, "min_separation_m"),
    ({"buffer_m": float("inf")}, "buffer_m"),
    ({"max_crimes_12m": -1.0}, "max_crimes_12m"),
])
def test_invalid_rules_raise_naming_the_field(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        tg.EligibilityRules(**kwargs)


def test_bad_inputs_raise(built):
    _, cands, _ = built
    with pytest.raises(ConfigError, match="months"):
        tg.apply_eligibility(cands, months=0)
    with pytest.raises(ConfigError, match="radius_m"):
        tg.apply_eligibility(cands, tg.EligibilityRules(radius_m=100.0))   # counted within 150 m
    with pytest.raises(DataError, match="crimes"):
        tg.apply_eligibility(cands.drop(columns="crimes"))
    with pytest.raises(DataError, match="crimes"):
        tg.apply_eligibility(cands.assign(crimes=np.nan))


def test_band_ends_are_inclusive():
    # a plain candidate table, places 1 km apart: 35 and 151 are out, 36 and 150 are in
    cands = pd.DataFrame({"node": [0, 1, 2, 3], "x": [0.0, 1000.0, 2000.0, 3000.0], "y": 0.0,
                          "crimes": [35.0, 36.0, 150.0, 151.0], "harm": [4.0, 3.0, 2.0, 1.0]})
    res = tg.apply_eligibility(cands, months=12)
    assert sorted(res.chosen["node"]) == [1, 2]
    assert dict(zip(res.excluded["node"], res.excluded["rule"])) == {
        0: "too_few_crimes", 3: "too_many_crimes"}
