"""Local harm index by LSOA: crime harm, ASB incidents and calls for service, as layers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspot_sim.data import lsoa
from hotspot_sim.errors import ConfigError, DataError
from hotspot_sim.projection import BNG


@pytest.fixture
def boundaries():
    # two 1 km squares side by side, and a third far away that nothing falls in
    return gpd.GeoDataFrame({"lsoa_code": ["E1", "E2", "E3"], "lsoa_name": ["A", "B", "C"]},
                            geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000),
                                      box(5000, 5000, 6000, 6000)], crs=BNG)


def crimes_frame():
    # E1: robbery (365) + ASB; E2: shoplifting (1); one row without a code at (1500, 500): E2
    return pd.DataFrame({
        "LSOA code": ["E1", "E1", "E2", None],
        "is_asb": [False, True, False, False],
        "harm": [365.0, 0.0, 1.0, 7.5],
        "x": [100.0, 200.0, 1500.0, 1500.0], "y": [100.0, 200.0, 500.0, 500.0]})


def calls_frame():
    # two calls in E1 (grades 1, 3), one in E2 (grade 2), one 50 m outside E2 (nearest: E2),
    # one 3 km from every LSOA (left out)
    return pd.DataFrame({"call_id": list("abcde"),
                         "datetime": pd.Timestamp("2024-01-05 22:00"),
                         "grade": [1, 3, 2, 2, 1],
                         "x": [500.0, 600.0, 1500.0, 2050.0, 9000.0],
                         "y": [500.0, 600.0, 500.0, 500.0, 0.0],
                         "incident_type": "ASB"})


def test_layers_are_reported_and_sum_to_the_index(boundaries):
    w = lsoa.LocalHarmWeights(crime_harm=1.0, asb=2.0, calls=(10.0, 5.0, 1.0))
    out = lsoa.local_harm_index(crimes_frame(), calls_frame(), boundaries, w)
    e1, e2 = out.loc["E1"], out.loc["E2"]
    assert (e1["crimes"], e1["asb"], e1["crime_harm"]) == (1, 1, 365.0)
    assert (e2["crimes"], e2["crime_harm"]) == (2, 8.5)         # the uncoded row placed by point
    assert (e1["calls_grade_1"], e1["calls_grade_3"], e1["calls"]) == (1, 1, 2)
    assert (e2["calls_grade_2"], e2["calls"]) == (2, 2)          # the one 50 m outside joins E2
    assert e1["calls_part"] == 10.0 + 1.0 and e2["calls_part"] == 2 * 5.0
    parts = out[["crime_harm_part", "asb_part", "calls_part"]].sum(axis=1)
    np.testing.assert_allclose(parts, out["local_harm_index"])
    assert e1["local_harm_index"] == 365.0 + 2.0 + 11.0
    shares = out.loc[["E1", "E2"], ["share_crime_harm", "share_asb", "share_calls"]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)
    assert list(out.index) == ["E1", "E2", "E3"] and out.loc["E3", "local_harm_index"] == 0


def test_without_calls_the_calls_layer_is_zero(boundaries):
    out = lsoa.local_harm_index(crimes_frame(), boundaries=boundaries)
    assert (out["calls"] == 0).all() and (out["calls_part"] == 0).all()
    assert out.loc["E1", "local_harm_index"] == 366.0            # default weights: 1 each


def test_a_call_far_from_every_lsoa_gets_none(boundaries):
    codes = lsoa.assign_lsoa([500.0, 2050.0, 9000.0], [500.0, 500.0, 0.0], boundaries)
    assert codes.tolist() == ["E1", "E2", None]


def test_calls_need_boundaries_and_good_grades(boundaries):
    with pytest.raises(ConfigError, match="need LSOA boundaries"):
        lsoa.local_harm_index(crimes_frame(), calls_frame())
    bad = calls_frame().assign(grade=[1, 2, 4, 1, 1])
    with pytest.raises(DataError, match="1 call.s. with a grade outside .1, 2, 3., e.g. call c: grade '4'"):
        lsoa.local_harm_index(crimes_frame(), bad, boundaries)


@pytest.mark.parametrize("kwargs", [{"asb": -1.0}, {"crime_harm": float("nan")},
                                    {"calls": (1.0, 1.0)}])
def test_bad_weights_are_config_errors(kwargs):
    with pytest.raises(ConfigError, match="local harm weight"):
        lsoa.LocalHarmWeights(**kwargs)


def test_share_scale_makes_each_layer_count_by_its_weight(boundaries):
    w = lsoa.LocalHarmWeights(asb=2.0, scale="share")
    out = lsoa.local_harm_index(crimes_frame(), calls_frame(), boundaries, w)
    sums = out[["crime_harm_part", "asb_part", "calls_part"]].sum()
    np.testing.assert_allclose(sums, [1.0, 2.0, 1.0])
    np.testing.assert_allclose(out[["crime_harm_part", "asb_part", "calls_part"]].sum(axis=1),
                               out["local_harm_index"])
    assert out.loc["E1", "calls_part"] == pytest.approx(2 / 4)   # 2 of the 4 placed calls
    with pytest.raises(ConfigError, match="scale 'raw' must be one of units, share"):
        lsoa.LocalHarmWeights(scale="raw")


# ------------------------------------------------------------------ target's local_harm.csv

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
LSOA_FILE = ROOT / "hotspot_sim/data/datasets/boundaries/herts_lsoa_2011.geojson.gz"


def test_target_writes_the_local_index_with_the_calls_layer(tmp_path, capsys):
    from hotspot_sim.cli import main
    from hotspot_sim.data.force_calls import read_calls_mapping, read_force_calls

    out = tmp_path / "t"
    assert main(["target", "--scenario", str(EXAMPLES / "welwyn_hatfield_force.toml"), "-k", "2",
                 "--out", str(out), "--lsoa-boundaries", str(LSOA_FILE),
                 "--calls", str(EXAMPLES / "force_calls.csv"),
                 "--calls-mapping", str(EXAMPLES / "force_calls_mapping.toml")]) == 0
    text = capsys.readouterr().out
    assert "Local harm index by LSOA" in text and "by crime harm alone" in text
    table = pd.read_csv(out / "local_harm.csv")
    calls, _ = read_force_calls(EXAMPLES / "force_calls.csv",
                                read_calls_mapping(EXAMPLES / "force_calls_mapping.toml"),
                                months=("2024-01", "2024-03"))
    assert 0 < table["calls"].sum() <= len(calls)
    assert (table[["calls_grade_1", "calls_grade_2", "calls_grade_3"]].sum(axis=1)
            == table["calls"]).all()
    np.testing.assert_allclose(table[["crime_harm_part", "asb_part", "calls_part"]].sum(axis=1),
                               table["local_harm_index"])


def test_target_calls_without_mapping_is_an_error(tmp_path, capsys):
    from hotspot_sim.cli import main

    assert main(["target", "-k", "2", "--out", str(tmp_path / "t"),
                 "--calls", str(EXAMPLES / "force_calls.csv")]) == 2
    assert "give both --calls FILE and --calls-mapping TOML" in capsys.readouterr().err
