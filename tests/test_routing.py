"""Routing tables: next hops follow real edges, distances are shortest paths, rows are reused."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from hotspot_sim.network import synthetic_grid
from hotspot_sim.sim.routing import Router

GRID = synthetic_grid(8, 8, spacing_m=50.0, drop_fraction=0.2, seed=3)


def test_distances_are_shortest_paths_and_paths_follow_edges():
    r = Router(GRID)
    dest = 5
    truth = dijkstra(GRID.csgraph(), directed=False, indices=[dest])[0]
    assert np.allclose(r.distance(dest, np.arange(GRID.n_nodes)), truth, rtol=1e-6)
    for source in (0, 17, GRID.n_nodes - 1):
        path = r.path(source, dest)
        assert path[0] == source and path[-1] == dest
        steps = [GRID.csgraph()[u, v] for u, v in zip(path, path[1:])]
        assert all(s > 0 for s in steps)  # every step is a street edge
        assert sum(steps) == pytest.approx(truth[source], rel=1e-6)


def test_hop_is_the_csr_edge_of_the_next_step_and_minus_one_at_the_destination():
    r = Router(GRID)
    row = r.row(9)
    assert r.hop[row, 9] == -1
    v = 30
    e = r.hop[row, v]
    assert GRID.indptr[v] <= e < GRID.indptr[v + 1]  # an edge leaving v
    assert r.path(v, 9)[1] == GRID.indices[e]


def test_rows_are_reused_and_the_table_grows_keeping_old_rows():
    r = Router(GRID, capacity=2)
    first = r.rows_for([3, 4, 3])
    assert first[0] == first[2] and len(r) == 2
    hop3 = r.hop[first[0]].copy()
    r.rows_for(np.arange(10, 20))  # past the capacity
    assert len(r) == 12 and r.hop.shape[0] >= 12
    assert r.row(3) == first[0]
    assert np.array_equal(r.hop[first[0]], hop3)
