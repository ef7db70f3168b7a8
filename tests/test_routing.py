"""Routing: compact trees give the routes and distances of full scipy trees, in a memory budget."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import dijkstra

from hotspot_sim.network import synthetic_grid
from hotspot_sim.sim.routing import Router, slot_dtype

GRID = synthetic_grid(8, 8, spacing_m=50.0, drop_fraction=0.2, seed=3)
# a regular grid with nothing dropped: many equally short paths, so ties decide routes
TIES = synthetic_grid(30, 30, spacing_m=50.0, drop_fraction=0.0, seed=1)


def scipy_path(network, source: int, dest: int) -> list[int]:
    """The path scipy's full predecessor tree rooted at ``dest`` gives from ``source``."""
    pred = dijkstra(network.csgraph(), directed=False, indices=[dest],
                    return_predecessors=True)[1][0]
    out = [source]
    while out[-1] != dest:
        out.append(int(pred[out[-1]]))
    return out


def test_distances_are_shortest_paths_and_paths_follow_edges():
    r = Router(GRID)
    dest = 5
    truth = dijkstra(GRID.csgraph(), directed=False, indices=[dest])[0]
    assert np.array_equal(r.distance(dest, np.arange(GRID.n_nodes)), truth.astype(np.float32))
    for source in (0, 17, GRID.n_nodes - 1):
        path = r.path(source, dest)
        assert path[0] == source and path[-1] == dest
        steps = [GRID.csgraph()[u, v] for u, v in zip(path, path[1:])]
        assert all(s > 0 for s in steps)  # every step is a street edge
        assert sum(steps) == pytest.approx(truth[source], rel=1e-6)


def test_hop_is_the_slot_of_the_next_step_in_the_csr_row_and_no_step_at_the_destination():
    r = Router(GRID)
    row = r.row(9)
    assert r.hop.dtype == np.uint8 and r.hop[row, 9] == r.no_step == 255
    v = 30
    slot = int(r.hop[row, v])
    assert slot < GRID.indptr[v + 1] - GRID.indptr[v]  # an edge leaving v
    assert r.path(v, 9)[1] == GRID.indices[GRID.indptr[v] + slot]


def test_slots_widen_only_past_254_streets_a_node():
    assert slot_dtype(4) == np.uint8 and slot_dtype(254) == np.uint8
    assert slot_dtype(255) == np.uint16 and slot_dtype(70_000) == np.uint32


@pytest.mark.parametrize("network", [TIES, "embedded"], ids=["tied grid", "embedded network"])
def test_routes_and_distances_equal_scipys_full_trees(network, request):
    if network == "embedded":
        network = request.getfixturevalue("wh_network")
    r = Router(network, capacity=4, memory_mb=0.0)  # the smallest budget: trees are evicted
    rng = np.random.default_rng(7)
    pairs = rng.integers(0, network.n_nodes, size=(40, 2))
    for source, dest in pairs.tolist():
        assert r.path(source, dest) == scipy_path(network, source, dest)
    dests = np.unique(pairs[:, 1])
    truth = dijkstra(network.csgraph(), directed=False, indices=dests).astype(np.float32)
    every = np.arange(network.n_nodes)
    for dest, row in zip(dests.tolist(), truth):  # bit for bit: dispatch compares them
        assert np.array_equal(r.distance(dest, every), row)
    assert r.evictions > 0 and r.hop.shape[0] <= 4


def test_rows_are_reused_and_the_table_grows_keeping_old_rows():
    r = Router(GRID, capacity=2)
    first = r.rows_for([3, 4, 3])
    assert first[0] == first[2] and len(r) == 2
    hop3 = r.hop[first[0]].copy()
    r.rows_for(np.arange(10, 20))  # past the capacity
    assert len(r) == 12 and r.hop.shape[0] >= 12 and r.evictions == 0
    assert r.row(3) == first[0]
    assert np.array_equal(r.hop[first[0]], hop3)


def budget_of(rows: int, network=GRID) -> float:
    """A memory budget (MB) of exactly ``rows`` one-byte trees."""
    return rows * network.n_nodes / 2 ** 20


def test_the_budget_evicts_the_least_recently_used_tree():
    r = Router(GRID, capacity=4, memory_mb=budget_of(4))
    r.rows_for([1, 2, 3, 4])
    r.row(1)  # 2 is now the least recently used
    r.row(5)
    assert set(r.rows) == {1, 3, 4, 5} and r.hop.shape[0] == 4 and r.evictions == 1
    assert r.path(0, 2) == scipy_path(GRID, 0, 2)  # an evicted tree comes back on demand


def test_eviction_never_removes_a_pinned_tree():
    r = Router(GRID, capacity=4, memory_mb=budget_of(4))
    pinned_rows = r.rows_for([1, 2])
    trees = r.hop[pinned_rows].copy()
    r.pinned = lambda: pinned_rows
    for dest in range(3, 40):
        r.row(dest)
    assert r.evictions > 0 and r.hop.shape[0] == 4
    assert [r.rows[1], r.rows[2]] == pinned_rows.tolist()
    assert np.array_equal(r.hop[pinned_rows], trees)


def test_pinned_trees_past_the_budget_grow_the_table_with_one_warning(caplog):
    r = Router(GRID, capacity=2, memory_mb=budget_of(2))
    r.pinned = lambda: np.array(list(r.rows.values()), dtype=np.int64)  # everything in use
    with caplog.at_level(logging.WARNING, logger="hotspot_sim.sim.routing"):
        for dest in range(6):
            r.row(dest)
    assert len(r) == 6 and r.evictions == 0 and r.hop.shape[0] >= 6
    warnings = [m for m in caplog.messages if "routing" in m]
    assert len(warnings) == 1 and "[routing] memory_mb" in warnings[0]


def test_distance_to_an_unreachable_destination_is_infinite():
    from hotspot_sim.network import StreetNetwork

    two_streets = StreetNetwork(x=np.zeros(4), y=np.arange(4.0), indptr=np.array([0, 1, 2, 3, 4]),
                                indices=np.array([1, 0, 3, 2]), edge_length=np.ones(4),
                                osmid=np.arange(4))
    r = Router(two_streets)
    assert r.distance(0, [0, 1, 2]).tolist() == [0.0, 1.0, np.inf]


def run_tables(scenario, study, memory_mb: float):
    from hotspot_sim.sim.model import PatrolModel

    model = PatrolModel(scenario.replace({"routing.memory_mb": memory_mb}), study,
                        build_space=False)
    evict = model.router._evict

    def checked_evict(count, keep):  # no tree an agent needs is ever evicted
        victims = evict(count, keep)
        assert not set(victims.tolist()) & set(model.router.pinned().tolist())
        return victims

    model.router._evict = checked_evict
    model.run_days(3)
    return model, [model.crimes_table(), model.gps_table(), model.calls_table()]


def test_a_run_in_a_tiny_routing_budget_equals_one_with_all_trees_kept(wh_scenario, wh_study):
    tiny, tiny_tables = run_tables(wh_scenario, wh_study, memory_mb=0.0)
    full, full_tables = run_tables(wh_scenario, wh_study, memory_mb=1_000_000.0)
    assert tiny.router.evictions > 0 and full.router.evictions == 0
    assert len(tiny.router) < len(full.router)
    assert all(len(t) for t in full_tables)
    for a, b in zip(tiny_tables, full_tables):
        pd.testing.assert_frame_equal(a, b)
