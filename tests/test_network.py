"""Street network loading, preparation, caching and errors."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.sparse.csgraph as csg

from hotspot_sim.errors import NetworkError, OfflineError
from hotspot_sim.network import load_network, synthetic_grid
from hotspot_sim.settings import NetworkSettings, scenario_from_dict

OSM_HEAD = '<?xml version="1.0"?>\n<osm version="0.6">\n'


def osm(tmp_path, body, name="t.osm"):
    p = tmp_path / name
    p.write_text(OSM_HEAD + body + "</osm>\n")
    return p


def line_osm(n_long=1):
    """Two separate pieces: a 3-node street ~ 333 m long, and a short isolated stub."""
    nodes = "".join(f'<node id="{i}" lat="51.75" lon="{-0.2 + 0.0024 * (i - 1):.4f}"/>\n'
                    for i in (1, 2, 3))
    nodes += '<node id="10" lat="51.76" lon="-0.21"/>\n<node id="11" lat="51.7601" lon="-0.21"/>\n'
    ways = ('<way id="100"><nd ref="1"/><nd ref="2"/><nd ref="3"/>'
            '<tag k="highway" v="residential"/></way>\n'
            '<way id="101"><nd ref="10"/><nd ref="11"/><tag k="highway" v="residential"/></way>\n')
    return nodes + ways


def settings_for(path, spacing=50.0):
    return NetworkSettings(osm_file=str(path), max_node_spacing_m=spacing)


def test_split_connect_and_arrays(tmp_path):
    net = load_network(settings_for(osm(tmp_path, line_osm())), cache=False)
    # largest component only: the 11 m stub (2 nodes) is dropped and reported
    assert net.dropped_nodes == 2
    assert net.edge_length.max() <= 50.0 + 1e-9
    assert abs(net.total_length_m - 333) < 10
    n, labels = csg.connected_components(net.csgraph(), directed=False)
    assert n == 1
    assert (net.csgraph() != net.csgraph().T).nnz == 0  # undirected
    # OSMnx simplifies the middle node away: 2 OSM end nodes, the rest inserted
    assert sorted(net.osmid[net.osmid != -1]) == [1, 3]
    assert net.n_nodes == 2 + 6  # 333 m in pieces of <= 50 m: 7 pieces, 6 inserted nodes


def test_no_split(tmp_path):
    net = load_network(settings_for(osm(tmp_path, line_osm()), spacing=0), cache=False)
    assert net.n_nodes == 2 and net.n_edges == 1


def test_missing_file(tmp_path):
    with pytest.raises(NetworkError, match="nope.osm does not exist"):
        load_network(settings_for(tmp_path / "nope.osm"))


def test_broken_xml(tmp_path):
    p = tmp_path / "broken.osm"
    p.write_text(OSM_HEAD + '<node id="1" lat="51"')
    with pytest.raises(NetworkError, match="broken.osm: not a readable OSM XML"):
        load_network(settings_for(p))


def test_file_without_ways(tmp_path):
    p = osm(tmp_path, '<node id="1" lat="51.7" lon="-0.2"/>\n', name="noways.osm")
    with pytest.raises(NetworkError, match="noways.osm: the file has no <way>"):
        load_network(settings_for(p))


def test_offline_download_says_how_to_supply_a_file(monkeypatch):
    import osmnx as ox
    import requests

    def refuse(*a, **k):
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(ox, "graph_from_place", refuse)
    s = scenario_from_dict({"network": {"place": "St Albans, Hertfordshire, England"}})
    with pytest.raises(OfflineError, match="osm_file"):
        load_network(s.network)


def test_neighbours_within_on_grid():
    g = synthetic_grid(5, 5, spacing_m=50)
    indptr, idx, dist = g.neighbours_within(50.0)
    centre = 12
    nb = idx[indptr[centre]:indptr[centre + 1]]
    assert nb[0] == centre and sorted(nb) == [7, 11, 12, 13, 17]
    assert np.all(dist <= 50.0)


@pytest.mark.realdata
def test_welwyn_hatfield_network(wh_network):
    s = wh_network.summary()
    # README of the data: 4,269 nodes / 571 km before the component and splitting
    assert 540 < s["length_km"] < 580
    assert wh_network.n_nodes > 10_000  # ~50 m spacing over ~560 km
    assert wh_network.edge_length.max() <= 50.0 + 1e-6
    xmin, ymin, xmax, ymax = wh_network.bounds
    assert 515_000 < xmin < xmax < 535_000 and 200_000 < ymin < ymax < 218_000  # BNG metres


@pytest.mark.realdata
def test_cache_is_ten_times_faster(wh_scenario, tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOT_SIM_CACHE", str(tmp_path))
    t0 = time.perf_counter()
    first = load_network(wh_scenario.network)
    t1 = time.perf_counter()
    second = load_network(wh_scenario.network)
    t2 = time.perf_counter()
    assert np.array_equal(first.indices, second.indices) and np.allclose(first.x, second.x)
    assert (t1 - t0) > 10 * (t2 - t1)
