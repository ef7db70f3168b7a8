"""Target: place scores, separated hot spot choice, power few, export, out-of-sample check."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hotspot_sim import target as tg
from hotspot_sim.errors import ConfigError
from hotspot_sim.network import synthetic_grid

from .conftest import SCENARIOS


def make_crimes(net, rows) -> pd.DataFrame:
    """rows: (node, crime type, harm, month); ASB when the type says so."""
    df = pd.DataFrame(rows, columns=["node", "Crime type", "harm", "month"])
    df["is_asb"] = df["Crime type"].eq("Anti-social behaviour")
    df["x"], df["y"] = net.x[df["node"]], net.y[df["node"]]
    df["Location"] = "On or near Street " + df["node"].astype(str)
    df["LSOA code"] = "L" + df["node"].astype(str)
    return df


def fake_study(net, crimes, months):
    return SimpleNamespace(network=net, crimes=crimes, months=list(months),
                           crime_types=sorted(crimes["Crime type"].unique()))


# --------------------------------------------------------------------------- ranking


@pytest.fixture
def grid():
    return synthetic_grid(10, 10, 50.0)  # node i*10 + j at (i*50, j*50) from the origin


def ranking_crimes(net):
    # node 11: 3 shoplifting (count 3, harm 3); node 55: 1 robbery (count 1, harm 365);
    # node 88: 2 crimes of harm 100 (count 2, harm 200); node 33: 4 ASB (count 0)
    rows = [(11, "Shoplifting", 1.0, "2021-01")] * 3 + [(55, "Robbery", 365.0, "2021-01")] + \
        [(88, "Burglary", 100.0, "2021-01")] * 2 + [(33, "Anti-social behaviour", 0.0, "2021-01")] * 4
    return make_crimes(net, rows)


def test_count_and_harm_give_known_order(grid):
    crimes = ranking_crimes(grid)
    by_count = tg.score_places(crimes, grid, "count", radius_m=0)
    by_harm = tg.score_places(crimes, grid, "harm", radius_m=0)
    by_comp = tg.score_places(crimes, grid, "composite", radius_m=0, w_asb=50.0)
    order = lambda s: list(tg.greedy_separated(s, grid.x, grid.y, 4, 0.0))  # noqa: E731
    assert order(by_count) == [11, 88, 55]           # ASB-only node 33 scores 0 on count
    assert order(by_harm) == [55, 88, 11]
    assert order(by_comp) == [55, 33, 88, 11]        # 33: 4 ASB x 50 = 200 days ties 88: lower id
    assert by_comp[33] == 200.0 and by_comp[88] == 200.0


def test_catchment_score_sums_crimes_within_radius(grid):
    crimes = ranking_crimes(grid)
    # node 12 is 50 m from node 11 and 150+ m from the others
    s = tg.score_places(crimes, grid, "count", radius_m=60)
    assert s[12] == 3 and s[11] == 3 and s[13] == 0


def test_micro_places_and_micro_scores(grid):
    cell = tg.micro_places(grid, 100.0)  # 2x2 nodes per 100 m cell (origin on a multiple)
    assert cell.max() + 1 == 25 and np.all(np.bincount(cell) == 4)
    assert cell[0] == cell[1] == cell[10] == cell[11] and cell[2] != cell[0]
    crimes = make_crimes(grid, [(0, "Robbery", 5.0, "2021-01"), (11, "Robbery", 7.0, "2021-01")])
    s = tg.score_places(crimes, grid, "harm", level="micro", cell_m=100.0)
    assert s[11] == 12.0 and s.sum() == 12.0         # cell total at its best node


# --------------------------------------------------------------------------- choosing


def test_greedy_choice_respects_separation_and_matches_hand_answer():
    line = synthetic_grid(20, 1, 50.0)  # nodes 0..19 at 0, 50, ..., 950 m
    scores = np.zeros(20)
    scores[[0, 2, 5, 6, 12]] = [10, 9, 8, 7, 6]
    table = tg.choose_hotspots(scores, line, k=3, min_separation_m=300.0)
    # 0 first; 2 (100 m) and 5 (250 m) too close; 6 exactly 300 m; 12 is 300 m from 6
    assert table["node"].tolist() == [0, 6, 12]
    assert table["hotspot_id"].tolist() == [1, 2, 3]
    assert table["score"].tolist() == [10, 7, 6]
    xy = table[["x", "y"]].to_numpy()
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(3, 1)].min() >= 300.0
    # only positive scores are candidates: asking for more gives what exists
    assert len(tg.choose_hotspots(scores, line, k=10, min_separation_m=300.0)) == 3


def test_hotspot_table_describes_catchment(grid):
    rows = [(0, "Robbery", 365.0, "2021-01")] * 2 + [(1, "Anti-social behaviour", 0.0, "2021-01"),
                                                    (5, "Shoplifting", 1.0, "2021-01")]
    crimes = make_crimes(grid, rows)
    scores = tg.score_places(crimes, grid, "harm", radius_m=100.0)
    t = tg.choose_hotspots(scores, grid, k=1, crimes=crimes, radius_m=100.0,
                           windows=["18:00-02:00"], crime_types=["Robbery", "Shoplifting"])
    r = t.iloc[0]
    # nodes 0, 1, 2, 10, 11, 20 all hold both robberies within 100 m (and not the
    # shoplifting at node 5): the tie goes to the lowest id
    assert r["node"] == 0 and r["score"] == 730.0
    # node 5 is 250 m from node 0: outside the catchment
    assert (r["crimes"], r["asb"], r["harm"], r["Robbery"], r["Shoplifting"]) == (2, 1, 730.0, 2, 0)
    assert r["location"] == "On or near Street 0" and r["lsoa"] == "L0"
    assert r["window"] == "18:00-02:00" and r["radius_m"] == 100.0
    assert -0.3 < r["lon"] < 0 and 51.5 < r["lat"] < 52  # origin (524000, 210000) is in Herts


def test_parse_window():
    assert tg.parse_window("18:00-02:00") == (1080, 120)
    with pytest.raises(ConfigError, match="windows"):
        tg.parse_window("6pm-2am")


# --------------------------------------------------------------------------- power few


def test_power_few_curve_by_hand():
    curve = tg.power_few_curve([1, 0, 6, 3])
    assert curve["value"].tolist() == [6, 3, 1, 0]
    assert np.allclose(curve["share_of_places"], [0.25, 0.5, 0.75, 1.0])
    assert np.allclose(curve["share_of_total"], [0.6, 0.9, 1.0, 1.0])
    assert tg.share_of_total_in_top([1, 0, 6, 3], 25) == pytest.approx(0.6)
    assert tg.share_of_total_in_top([1, 0, 6, 3], 30) == pytest.approx(0.9)  # ceil(1.2) = 2
    assert tg.share_of_total_in_top([1, 0, 6, 3], 100) == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="pct"):
        tg.share_of_total_in_top([1, 2], 0)


# --------------------------------------------------------------------------- export


def test_write_hotspots_csv_and_geojson(grid, tmp_path):
    import geopandas as gpd

    crimes = ranking_crimes(grid)
    t = tg.choose_hotspots(tg.score_places(crimes, grid, "harm"), grid, k=3,
                           min_separation_m=100.0, crimes=crimes)
    paths = tg.write_hotspots(t, tmp_path / "out")
    csv = pd.read_csv(paths["csv"])
    assert csv["node"].tolist() == t["node"].tolist()
    gj = json.loads(paths["geojson"].read_text())
    assert gj["features"][0]["geometry"]["coordinates"] == pytest.approx(
        [t["lon"].iloc[0], t["lat"].iloc[0]])
    gdf = gpd.read_file(paths["geojson"])
    assert gdf.crs.to_epsg() == 4326 and len(gdf) == 3
    assert gdf["location"].iloc[0] == t["location"].iloc[0]


# --------------------------------------------------------------------------- out of sample


@pytest.fixture
def tiny():
    """Four nodes on a line 100 m apart: 300 m of street, node lengths 50, 100, 100, 50."""
    net = synthetic_grid(4, 1, 100.0)
    rows = ([(1, "Shoplifting", 1.0, "2021-01")] * 5 +                   # train, month 1
            [(0, "Shoplifting", 1.0, "2021-02")] * 3 + [(2, "Robbery", 10.0, "2021-02")] +
            [(0, "Shoplifting", 1.0, "2021-03")] * 2 +                   # test
            [(1, "Public order", 5.0, "2021-03"), (3, "Vehicle crime", 2.0, "2021-03"),
             (2, "Anti-social behaviour", 0.0, "2021-03")])              # ASB is not a hit
    return fake_study(net, make_crimes(net, rows), ["2021-01", "2021-02", "2021-03"])


def test_node_street_length(tiny):
    assert tg.node_street_length(tiny.network).tolist() == [50, 100, 100, 50]


def test_hit_rate_and_pai_by_hand(tiny):
    res = tg.out_of_sample(tiny, "2021-01:2021-02", ["2021-03"],
                           methods=("count", "harm", "last_month"), coverages=(1 / 6, 0.5))
    r = res.set_index(["method", "coverage"])
    # count, 50% (150 m): node 1 (5 crimes, 100 m) then node 0 (3, 50 m)
    c = r.loc[("count", 0.5)]
    assert c["n_places"] == 2 and c["area_share"] == pytest.approx(0.5)
    assert c["hit_rate"] == pytest.approx(3 / 4) and c["pai"] == pytest.approx(1.5)
    assert c["harm_hit_rate"] == pytest.approx(7 / 9) and c["harm_pai"] == pytest.approx(14 / 9)
    # last month, 1/6 (50 m): node 0 only
    lm = r.loc[("last_month", 1 / 6)]
    assert lm["n_places"] == 1 and lm["hit_rate"] == pytest.approx(0.5)
    assert lm["pai"] == pytest.approx(3.0) and lm["harm_pai"] == pytest.approx(2 / 9 * 6)
    # harm, 50%: node 2 (10 days, 100 m); node 1 next would overrun 150 m
    h = r.loc[("harm", 0.5)]
    assert h["n_places"] == 1 and h["area_share"] == pytest.approx(1 / 3)
    assert h["hit_rate"] == 0 and h["pai"] == 0
    # count, 1/6: the best place (100 m) is longer than the budget but is still taken
    assert r.loc[("count", 1 / 6)]["area_share"] == pytest.approx(1 / 3)
    assert (res["test_crimes"] == 4).all() and (res["test_harm"] == 9).all()


def test_prospective_weights_by_hand():
    net = synthetic_grid(10, 1, 50.0)
    rows = [(0, "Burglary", 1.0, "2021-04"), (9, "Burglary", 1.0, "2021-03"),
            (5, "Burglary", 1.0, "2021-02")]  # 2.5 months old: past the 8-week cut-off
    crimes = make_crimes(net, rows)
    p = tg.ProspectiveSettings()
    s = tg.prospective_scores(crimes, net, ["2021-01", "2021-02", "2021-03", "2021-04"], p)
    t_new, t_old = 1 / (1 + 0.5 / p.time_scale_months), 1 / (1 + 1.5 / p.time_scale_months)
    assert s[0] == pytest.approx(t_new + 0)              # node 9 is 450 m away: cut off
    assert s[2] == pytest.approx(t_new / 3 + t_old / 8)  # 100 m: 1/(1 + 100/50); 350 m
    assert s[9] == pytest.approx(t_old)
    assert s[5] == pytest.approx(t_new / 6 + t_old / 5)  # 250 m and 200 m away


def test_bad_arguments_name_the_argument(grid, tiny):
    with pytest.raises(ConfigError, match="k must"):
        tg.choose_hotspots(np.ones(grid.n_nodes), grid, k=0)
    with pytest.raises(ConfigError, match="k must"):
        tg.TargetSettings(k=0)
    with pytest.raises(ConfigError, match="rank_by"):
        tg.TargetSettings(rank_by="fear")
    with pytest.raises(ConfigError, match="level"):
        tg.TargetSettings(level="lsoa")
    with pytest.raises(ConfigError, match="min_separation_m"):
        tg.TargetSettings(min_separation_m=-1)
    with pytest.raises(ConfigError, match="windows"):
        tg.TargetSettings(k=3, windows=("18:00-02:00", "x"))
    with pytest.raises(ConfigError, match="methods"):
        tg.out_of_sample(tiny, "2021-01", "2021-03", methods=("crystal_ball",))
    with pytest.raises(ConfigError, match="coverages"):
        tg.out_of_sample(tiny, "2021-01", "2021-03", coverages=(0.0,))
    with pytest.raises(ConfigError, match="test_months"):
        tg.out_of_sample(tiny, "2021-02", "2021-01")
    with pytest.raises(ConfigError, match="train_months"):
        tg.out_of_sample(tiny, "2020-01:2020-06", "2021-03")


# --------------------------------------------------------------------------- real data


@pytest.mark.realdata
def test_real_hotspots_are_separated(wh_study):
    t = tg.target(wh_study)
    assert len(t) == 20 and t["score"].is_monotonic_decreasing
    xy = t[["x", "y"]].to_numpy()
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    assert d[np.triu_indices(20, 1)].min() >= 300.0
    assert t["location"].str.startswith("On or near").all()
    assert t["lsoa"].str.startswith("E0").all()
    assert np.allclose(t["harm"], t["score"])  # ranked by harm over the same 100 m catchment


@pytest.mark.realdata
def test_real_out_of_sample_beats_chance(wh_study):
    res = tg.out_of_sample(wh_study, "2021-01:2021-07", "2021-08:2021-10")
    assert set(res["method"]) >= {"count", "harm", "prospective", "last_month"}
    assert len(res) >= 12 and set(res["coverage"]) == {0.01, 0.02, 0.05}
    at1 = res[res["coverage"] == 0.01].set_index("method")
    assert at1.loc["count", "pai"] > 1 and at1.loc["harm", "pai"] > 1
    assert (res["area_share"] <= res["coverage"] + 1e-9).all()
    hit = res.pivot(index="method", columns="coverage", values="hit_rate")
    assert (hit.diff(axis=1).iloc[:, 1:] >= 0).all().all()  # more coverage, more hits


@pytest.mark.realdata
def test_cli_target_writes_files(real_data, tmp_path, capsys):
    from hotspot_sim.cli import main

    args = ["target", "--scenario", str(SCENARIOS / "welwyn_hatfield.toml"), "-k", "10",
            "--train-months", "2021-01:2021-07", "--test-months", "2021-08:2021-10",
            "--window", "18:00-02:00", "--out", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Power few" in out and "PAI" in out and "prospective" in out
    assert len(pd.read_csv(tmp_path / "hotspots.csv")) == 10
    assert len(json.loads((tmp_path / "hotspots.geojson").read_text())["features"]) == 10
    assert len(pd.read_csv(tmp_path / "out_of_sample.csv")) == 12
    assert main(args + ["--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert len(s["hotspots"]) == 10 and s["hotspots"][0]["window"] == "18:00-02:00"
    assert s["train_months"][-1] == "2021-07"


@pytest.mark.realdata
def test_cli_target_bad_months_is_one_line(real_data, tmp_path, capsys):
    from hotspot_sim.cli import main

    assert main(["target", "--scenario", str(SCENARIOS / "welwyn_hatfield.toml"),
                 "--train-months", "2021-08:2021-10", "--test-months", "2021-01:2021-02",
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "test_months" in err and "Traceback" not in err
