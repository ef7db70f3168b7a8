"""GeoPackage outputs: hot spots, catchments and run crimes open in GIS, in EPSG:27700."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from hotspot_sim import target as tg
from hotspot_sim.gis import write_run_gpkg


def layer(path, name):
    gdf = gpd.read_file(path, layer=name)
    assert gdf.crs.to_epsg() == 27700
    return gdf


def hotspot_table() -> pd.DataFrame:
    return pd.DataFrame({"hotspot_id": [1, 2], "node": [4, 9], "x": [530000.0, 530400.0],
                         "y": [180000.0, 180300.0], "lon": [-0.12, -0.11], "lat": [51.5, 51.51],
                         "location": ["On or near High Street", "On or near Park"],
                         "harm": [730.0, 365.0], "radius_m": [100.0, 150.0]})


def test_target_writes_hotspot_points_and_catchments(tmp_path):
    paths = tg.write_hotspots(hotspot_table(), tmp_path)
    assert [tuple(r) for r in pyogrio.list_layers(paths["gpkg"])] == [
        ("hotspots", "Point"), ("catchments", "Polygon")]
    spots, rings = layer(paths["gpkg"], "hotspots"), layer(paths["gpkg"], "catchments")
    assert len(spots) == len(rings) == 2
    assert spots.geometry.x.tolist() == [530000.0, 530400.0]
    assert spots["location"].tolist() == ["On or near High Street", "On or near Park"]
    # circles of each hot spot's own radius, around its centre
    assert rings.area.tolist() == pytest.approx([math.pi * 100 ** 2, math.pi * 150 ** 2],
                                                rel=0.01)
    assert rings.centroid.distance(spots.geometry).max() < 0.01


def test_run_gpkg_has_crimes_attempts_hotspots_and_catchments(tmp_path):
    attempts = pd.DataFrame({"tick": [5, 9, 60], "node": [1, 2, 3], "x": [1.0, 2.0, 3.0],
                             "y": [4.0, 5.0, 6.0], "crime_type": ["Burglary"] * 3,
                             "outcome": ["committed", "deterred", "displaced"]})
    crimes = attempts[attempts["outcome"] != "deterred"]
    path = write_run_gpkg({"crimes": crimes, "attempts": attempts, "gps": attempts,
                           "hotspots": hotspot_table()}, tmp_path / "crimes.gpkg")
    assert {name: len(layer(path, name)) for name in pyogrio.list_layers(path)[:, 0]} == {
        "crimes": 2, "attempts": 3, "hotspots": 2, "catchments": 2}
    assert layer(path, "crimes")["outcome"].tolist() == ["committed", "displaced"]
    # written again (a re-run into the same folder) it replaces, not appends
    write_run_gpkg({"crimes": crimes.iloc[:0], "attempts": attempts}, path)
    assert {name: len(layer(path, name)) for name in pyogrio.list_layers(path)[:, 0]} == {
        "crimes": 0, "attempts": 3}


def test_run_folder_holds_crimes_gpkg_matching_the_parquet(tmp_path):
    from hotspot_sim.sim.outputs import write_run

    from hotspot_sim.sim.model import PatrolModel

    from .test_model import GRID, HOT, small_scenario, synthetic_study

    s = small_scenario()
    model = PatrolModel(s, synthetic_study(s, GRID, HOT), policy="hotspot_koper",
                        policy_params={"k": 3, "min_separation_m": 100.0})
    model.run_for(720)
    write_run(model, tmp_path / "run")
    for name in ("crimes", "attempts", "hotspots"):
        table = pd.read_parquet(tmp_path / "run" / f"{name}.parquet")
        gdf = layer(tmp_path / "run" / "crimes.gpkg", name)
        assert len(gdf) == len(table), name
        assert gdf.geometry.x.tolist() == pytest.approx(table["x"].tolist())
    assert len(pd.read_parquet(tmp_path / "run" / "crimes.parquet")) > 0


def test_points_without_coordinates_is_one_clear_error():
    from hotspot_sim.errors import DataError
    from hotspot_sim.gis import points

    with pytest.raises(DataError, match=r"crimes table lacks column\(s\) \['x', 'y'\]"):
        points(pd.DataFrame({"node": [1]}), "crimes")
