"""Maps: folium HTML (street network, hot spots, rings, crimes, GPS traces) and static PNGs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot_sim import maps, plots
from hotspot_sim.network import synthetic_grid


@pytest.fixture(scope="module")
def grid():
    return synthetic_grid(20, 15, spacing_m=50.0, drop_fraction=0.2, seed=1)


@pytest.fixture(scope="module")
def hotspots(grid):
    nodes = np.array([40, 150, 260])
    return pd.DataFrame({"hotspot_id": [1, 2, 3], "node": nodes, "x": grid.x[nodes],
                         "y": grid.y[nodes], "location": ["On or near <High> Street",
                                                          "On or near Supermarket", "Park"],
                         "lsoa": ["E01000001", "E01000002", "E01000003"],
                         "crimes": [12, 8, 5], "asb": [3, 1, 0], "harm": [1234.5, 80.0, 5.0],
                         "radius_m": 100.0})


@pytest.fixture(scope="module")
def crimes(grid):
    rng = np.random.default_rng(0)
    nodes = rng.integers(0, grid.n_nodes, 60)
    types = np.array(["Burglary", "Violence and sexual offences", "Anti-social behaviour"])
    return pd.DataFrame({"x": grid.x[nodes] + rng.normal(0, 5, 60),
                         "y": grid.y[nodes] + rng.normal(0, 5, 60),
                         "Crime type": types[np.arange(60) % 3], "tick": rng.integers(0, 2880, 60)})


@pytest.fixture(scope="module")
def gps(grid):
    rows = []
    for officer in (0, 1):
        for minute in range(0, 2880, 7):
            node = (officer * 37 + minute // 7) % grid.n_nodes
            rows.append({"officer": officer, "tick": minute, "x": grid.x[node], "y": grid.y[node],
                         "time": pd.Timestamp("2021-11-01") + pd.Timedelta(minutes=minute)})
    return pd.DataFrame(rows)


def test_network_lines_cover_every_edge_once(grid):
    chains = maps.network_lines(grid)
    pairs = [tuple(sorted((a, b))) for c in chains for a, b in zip(c[:-1], c[1:])]
    assert len(pairs) == len(set(pairs)) == grid.n_edges
    assert set(pairs) == {tuple(e) for e in grid.edges().tolist()}


def test_network_lines_loop_of_degree_two_nodes():
    from hotspot_sim.network import synthetic_grid as sg

    ring = sg(2, 2)  # a square: every node has degree 2
    chains = maps.network_lines(ring)
    assert sum(len(c) - 1 for c in chains) == ring.n_edges == 4


def test_hotspot_map_html(tmp_path, grid, hotspots, crimes, gps):
    path = tmp_path / "sub" / "map.html"
    fmap = maps.hotspot_map(grid, hotspots, crimes, gps, catchments_m=(100, 200), path=path)
    assert path.is_file()
    html = path.read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors" in html
    assert "openstreetmap.org/copyright" in html          # the tile layer's own attribution
    names = maps.layer_names(fmap)
    for name in ("Street network", "Hot spots", "Catchment rings", "Crime heat map",
                 "Patrol traces (GPS)"):
        assert name in names and name in html
    assert any(n.startswith("Crimes: Burglary") for n in names)
    assert "MultiLineString" in html                      # one network layer, not many lines
    assert html.count("L.polyline(") <= 2 * 2             # one per officer per day
    assert "E01000002" in html and "1,234" in html        # popup content
    assert "&lt;High&gt;" in html                         # escaped, not raw HTML
    assert html.count("dashArray") >= 6                   # 2 rings x 3 hot spots


def test_hotspot_map_network_only_and_model_crimes(tmp_path, grid, crimes):
    fmap = maps.hotspot_map(grid)
    assert maps.layer_names(fmap) == ["openstreetmap", "Street network"]
    model_crimes = crimes.rename(columns={"Crime type": "crime_type"})
    fmap = maps.hotspot_map(grid, crimes=model_crimes, max_crime_points=10)
    names = maps.layer_names(fmap)
    assert "Crime heat map" in names and not any(n.startswith("Crimes:") for n in names)


def test_static_map_and_reduction_png(tmp_path, grid, hotspots, crimes, gps):
    png = tmp_path / "static.png"
    fig = plots.static_hotspot_map(grid, hotspots, crimes, path=png, gps=gps.tail(2))
    assert png.is_file() and png.stat().st_size > 5_000
    assert fig.axes[0].get_aspect() == 1.0
    assert any("OpenStreetMap contributors" in t.get_text() for t in fig.axes[0].texts)
    daily = pd.concat([plots.crimes_by_place_day(crimes, hotspots, 100.0, days=2).assign(arm=a)
                       for a in ("none", "hotspot_koper")])
    assert set(daily["place"]) == {"hot spots", "all places"}
    assert daily.query("place == 'all places'")["crimes"].sum() == 2 * len(crimes)
    out = tmp_path / "reduction.png"
    plots.crime_reduction(daily, path=out)
    assert out.is_file() and out.stat().st_size > 5_000


@pytest.mark.realdata
def test_real_hotspot_map(tmp_path, wh_study):
    from hotspot_sim.target import TargetSettings, target

    hs = target(wh_study, TargetSettings(k=20))
    path = tmp_path / "wh.html"
    fmap = maps.hotspot_map(wh_study.network, hs, wh_study.crimes, path=path)
    html = path.read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors" in html
    assert str(hs.iloc[0]["lsoa"]) in html
    assert "Crimes: Violence and sexual offences" in " ".join(maps.layer_names(fmap))
    assert path.stat().st_size < 5_000_000
    png = plots.static_hotspot_map(wh_study.network, hs, wh_study.crimes,
                                   path=tmp_path / "wh.png")
    assert (tmp_path / "wh.png").is_file() and png is not None
