"""Tests of hotspot_sim.study: the scenario's network with its observed crime on it."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from hotspot_sim import data, study
from hotspot_sim.errors import DataError
from hotspot_sim.network import synthetic_grid
from hotspot_sim.projection import to_bng
from hotspot_sim.settings import Scenario


@pytest.fixture(scope="module")
def grid():
    return synthetic_grid(6, 5, spacing_m=50.0)


def test_study_area_is_the_network_extent_without_a_box(grid):
    assert study.study_area_bng(Scenario(), grid) == grid.bounds


def test_study_area_box_is_projected_to_its_bng_envelope(grid, wh_scenario):
    box = [-0.25, 51.74, -0.18, 51.78]
    scenario = wh_scenario.replace({"crime.study_area": box})
    xmin, ymin, xmax, ymax = study.study_area_bng(scenario, grid)
    xs, ys = to_bng([box[0], box[2], box[0], box[2]], [box[1], box[1], box[3], box[3]])
    assert (xmin, ymin, xmax, ymax) == (xs.min(), ys.min(), xs.max(), ys.max())
    assert 5_000 > xmax - xmin > 4_000 and 5_000 > ymax - ymin > 4_000  # 0.07 deg x 0.04 deg


def test_synthetic_study_counts_each_crime_at_its_node(grid):
    s = study.synthetic_study(Scenario(), grid, [0, 0, 3, 7])
    assert s.months == ["2021-01"] and s.drops.total_in == 4 and s.drops.kept == 4
    by_node = s.by_node
    assert by_node.loc[0, "crimes"] + by_node.loc[0, "asb"] == 2
    assert by_node.loc[3, "crimes"] == 1 and by_node.loc[7, "asb"] == 1  # types alternate
    violence = data.load_harm_weights().loc["Violence and sexual offences", "chi_days"]
    assert by_node["harm"].sum() == pytest.approx(2 * violence)  # ASB weighs 0 days
    counts = s.node_type_counts()
    assert counts.shape == (grid.n_nodes, len(s.crime_types)) and counts.sum() == 4
    assert s.lsoa_harm_map() is None  # the default scenario names no boundaries


def test_data_files_lists_network_months_and_harm_table(wh_scenario):
    files = study.data_files(wh_scenario)
    months = data.month_range(wh_scenario.crime.first_month, wh_scenario.crime.last_month)
    police = [f for f in files if "police_uk" in f.parts]
    assert len(police) == len(months)
    assert all(m in f.name for m, f in zip(months, police))
    assert files[0].name.startswith("welwyn_hatfield.osm")
    assert data.DEFAULT_HARM_FILE in files
    assert all(f.is_file() for f in files)


def test_fingerprint_follows_content_not_location(tmp_path, wh_scenario, monkeypatch, real_data):
    before = study.data_fingerprint(wh_scenario)
    copy = tmp_path / "data"
    shutil.copytree(real_data, copy)
    monkeypatch.setenv("HOTSPOT_SIM_DATA", str(copy))
    assert study.data_fingerprint(wh_scenario) == before  # same files elsewhere
    month = wh_scenario.crime.first_month
    (path,) = (copy / "police_uk" / month).iterdir()
    path.write_bytes(path.read_bytes() + b"\n")
    assert study.data_fingerprint(wh_scenario) != before  # an edited file


def test_loaded_study_keeps_every_row_accounted_for(wh_study):
    drops = wh_study.drops
    assert drops.kept == len(wh_study.crimes) > 0
    assert drops.total_in == drops.kept + drops.dropped
    crimes = wh_study.crimes
    assert (crimes["snap_distance_m"] <= wh_study.scenario.crime.max_snap_distance_m).all()
    assert crimes["node"].between(0, wh_study.network.n_nodes - 1).all()
    assert list(crimes.index) == list(range(len(crimes)))
    by_node = wh_study.by_node
    assert by_node["crimes"].sum() + by_node["asb"].sum() == len(crimes)
    assert by_node["harm"].sum() == pytest.approx(crimes["harm"].sum())
    assert wh_study.by_lsoa["harm"].sum() <= crimes["harm"].sum() + 1e-9


def test_summary_agrees_with_the_study(wh_study):
    s = study.summarise(wh_study, top=3)
    crimes = wh_study.crimes
    assert s["months"] == [wh_study.months[0], wh_study.months[-1]]
    assert s["rows"] == wh_study.drops.as_dict()
    assert sum(s["crimes_by_type"].values()) == len(crimes)
    assert s["harm"]["crimes"] + s["harm"]["asb_incidents"] == len(crimes)
    assert s["harm"]["total_chi_days"] == pytest.approx(crimes["harm"].sum(), abs=0.05)
    top = pd.DataFrame(s["top_places"])
    assert len(top) == 3 and top["harm"].is_monotonic_decreasing
    assert top["harm"].iloc[0] == pytest.approx(wh_study.by_node["harm"].max(), abs=0.05)
    share = s["concentration"]["share_of_all_nodes_holding_50pct_harm"]
    assert 0 < share < s["concentration"]["share_of_places_with_crime_holding_50pct_harm"] <= 1
    assert len(s["top_lsoas"]) == 5


def test_study_with_no_crime_in_the_area_names_every_drop(tmp_path, wh_scenario, grid):
    far_box = [1.70, 52.60, 1.75, 52.65]  # Norfolk coast: no Hertfordshire crime there
    scenario = wh_scenario.replace({"crime.study_area": far_box})
    with pytest.raises(DataError, match="no crime left .* outside study area [1-9]"):
        study.load_study(scenario, grid)


def test_lsoa_harm_map_covers_the_boundaries(wh_study):
    lsoa_map = wh_study.lsoa_harm_map()
    if lsoa_map is None:
        pytest.skip("the scenario names no LSOA boundaries")
    assert lsoa_map.crs.to_epsg() == 27700
    known = wh_study.by_lsoa[wh_study.by_lsoa.index.isin(lsoa_map["lsoa_code"])]
    assert len(known) > 0 and lsoa_map["lsoa_code"].is_unique
    assert lsoa_map["crimes"].sum() == known["crimes"].sum()  # polygons without crime hold 0
    assert np.all(np.diff(lsoa_map["harm_index"].to_numpy()) <= 0)


def test_cleaned_table_is_cached_and_equal_to_a_fresh_cleaning(wh_scenario, wh_network, caplog,
                                                               tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOT_SIM_CACHE", str(tmp_path))
    with caplog.at_level("WARNING"):
        fresh = study.load_study(wh_scenario, wh_network)
    cleaned_warnings = [r.getMessage() for r in caplog.records]
    assert cleaned_warnings and all("dropped" in m for m in cleaned_warnings)
    assert len(list(tmp_path.glob("study-*.parquet"))) == 1
    caplog.clear()
    # A hit must not clean again: make cleaning impossible and load once more.
    monkeypatch.setattr(data, "read_police_uk", lambda *a, **k: pytest.fail("cleaned again"))
    with caplog.at_level("WARNING"):
        cached = study.load_study(wh_scenario, wh_network)
    pd.testing.assert_frame_equal(cached.crimes, fresh.crimes)
    assert cached.drops.as_dict() == fresh.drops.as_dict()
    assert [r.getMessage() for r in caplog.records] == cleaned_warnings  # still reported


def test_cached_table_is_not_reused_for_other_settings_or_damaged(wh_scenario, wh_network,
                                                                  tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOT_SIM_CACHE", str(tmp_path))
    base = study.load_study(wh_scenario, wh_network)
    closer = wh_scenario.replace({"crime.max_snap_distance_m": 20.0})
    near = study.load_study(closer, wh_network)
    assert near.drops.beyond_snap_distance > base.drops.beyond_snap_distance
    assert len(list(tmp_path.glob("study-*.parquet"))) == 2
    for f in tmp_path.glob("study-*.parquet"):
        f.write_bytes(b"not parquet")
    again = study.load_study(wh_scenario, wh_network)  # damaged: cleaned again, not an error
    pd.testing.assert_frame_equal(again.crimes, base.crimes)
