"""``target --eligibility``: hot spots under the Savvy/Style rules, excluded.csv with the rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot_sim import target as tg
from hotspot_sim.cli import main
from hotspot_sim.network import synthetic_grid
from hotspot_sim.study import synthetic_study

from .test_model import small_scenario

VIOLENCE = "Violence and sexual offences"
RULE_NAMES = set(tg.RULES) | {tg.BEYOND_K}


@pytest.fixture(scope="module")
def line_study():
    # nodes 300 m apart on a line; node 1: 20 crimes (too few), 5: 200 (too many),
    # 10: 100, 11: 60 (300 m from 10: too close), 14: 50 (1200 m from 10)
    net = synthetic_grid(16, 1, 300.0)
    counts = {1: 20, 5: 200, 10: 100, 11: 60, 14: 50}
    nodes = np.repeat(list(counts), list(counts.values()))
    study = synthetic_study(small_scenario(), net, nodes, types=[VIOLENCE] * len(nodes))
    study.months = [f"2021-{m:02d}" for m in range(1, 13)]    # counts are per 12 months
    return study


def test_eligible_hotspots_have_the_target_table_shape(line_study):
    res = tg.eligible_hotspots(line_study)
    assert res.table["node"].tolist() == [10, 14]
    for col in ("hotspot_id", "x", "y", "lon", "lat", "location", "lsoa", VIOLENCE, "crimes",
                "harm", "score", "radius_m", "window"):
        assert col in res.table, col
    assert (res.table["radius_m"] == 150.0).all()
    assert res.table["crimes"].tolist() == [100, 50]


def test_k_caps_the_hot_spots_and_the_rest_are_beyond_k(line_study):
    res = tg.eligible_hotspots(line_study, k=1)
    assert res.table["node"].tolist() == [10]
    beyond = res.excluded[res.excluded["rule"] == tg.BEYOND_K]
    assert beyond["node"].tolist() == [14] and "ranked 2" in beyond["detail"].iat[0]
    assert res.summary().to_dict() == {"too_few_crimes": 1, "too_many_crimes": 1,
                                       "too_close": 1, "buffer_overlap": 0, "beyond_k": 1}
    every = sorted(res.table["node"].tolist() + res.excluded["node"].tolist())
    assert every == [1, 5, 10, 11, 14]


def test_rule_values_change_the_choice(line_study):
    loose = tg.EligibilityRules(min_crimes_12m=10, max_crimes_12m=500, min_separation_m=200,
                                buffer_m=150, radius_m=100)
    res = tg.eligible_hotspots(line_study, loose)
    assert res.table["node"].tolist() == [5, 10, 14, 1]       # 11: 300 m from 10 < 2*100+150
    assert res.excluded.set_index("node").loc[11, "rule"] == "buffer_overlap"


def test_target_eligibility_writes_excluded_csv_with_rules(tmp_path, capsys):
    out = tmp_path / "t"
    assert main(["target", "--eligibility", "-k", "4", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Eligibility (Operations Savvy/Style rules): 36-150 crimes per 12 months" in text
    assert "catchment 150 m, at least 500 m apart" in text
    hotspots = pd.read_csv(out / "hotspots.csv")
    excluded = pd.read_csv(out / "excluded.csv")
    assert len(hotspots) == 4
    assert set(excluded["rule"]) <= RULE_NAMES and excluded["detail"].notna().all()
    assert {"too_few_crimes", "too_close"} <= set(excluded["rule"])
    assert not set(hotspots["node"]) & set(excluded["node"])
    # every chosen centre at least the buffer separation (2 x 150 + 100 m) from the others
    xy = hotspots[["x", "y"]].to_numpy()
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(len(xy), 1)].min() >= 500.0


def test_eligibility_options_reach_the_rules(tmp_path, capsys):
    out = tmp_path / "t"
    assert main(["target", "--eligibility", "-k", "2", "--out", str(out), "--min-crimes", "0",
                 "--max-crimes", "100000", "--elig-radius", "100", "--json"]) == 0
    excluded = pd.read_csv(out / "excluded.csv")
    assert "too_few_crimes" not in set(excluded["rule"])
    assert "too_many_crimes" not in set(excluded["rule"])


def test_min_above_max_is_a_clear_error(tmp_path, capsys):
    assert main(["target", "--eligibility", "--out", str(tmp_path / "t"), "--min-crimes", "200",
                 "--max-crimes", "100"]) == 2
    assert "min_crimes_12m = 200.0 is above max_crimes_12m = 100.0" in capsys.readouterr().err


def test_help_explains_harm_index_and_eligibility(capsys):
    with pytest.raises(SystemExit):
        main(["target", "--help"])
    text = capsys.readouterr().out
    assert "--harm-index chi|css|FILE" in text and "--eligibility" in text
    assert "excluded.csv" in text and "coarse" in text


def test_eligibility_with_another_index_compares_the_eligible_lists(tmp_path, capsys):
    examples = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples"
    out = tmp_path / "t"
    assert main(["target", "--eligibility", "-k", "3", "--out", str(out), "--harm-index",
                 str(examples / "force_weights_by_type_SYNTHETIC.csv")]) == 0
    table = pd.read_csv(out / "harm_index_comparison.csv")
    chosen = pd.read_csv(out / "hotspots.csv")
    other = table[table["index"] == "force_weights_by_type_SYNTHETIC"]
    assert other["node"].tolist() == chosen["node"].tolist()
    base = table[table["index"] == "chi"]
    assert len(base) == 3
    xy = base[["x", "y"]].to_numpy()                # chi's list obeys the rules too
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(len(xy), 1)].min() >= 500.0
