"""Radius neighbourhoods from the cell index: the same sets and order as a brute-force
search, and the near-repeat boost found on the fly equal to one computed from a table."""

import numpy as np
import pytest

from hotspot_sim.neighbourhoods import cell_index, within_radius
from hotspot_sim.network import synthetic_grid
from hotspot_sim.sim import kernels as K
from hotspot_sim.sim.kernel_builds import reference_module
from hotspot_sim.sim.state import new_node_state


def brute_force(x, y, radius):
    """Per node: (itself first, then by distance, ties by index) within the radius."""
    rows = []
    for i in range(len(x)):
        d = np.hypot(x - x[i], y - y[i])
        d[i] = -1.0
        inside = np.flatnonzero(d <= radius)
        order = np.lexsort((inside, d[inside]))
        rows.append((inside[order], np.maximum(d[inside][order], 0.0)))
    return rows


@pytest.mark.parametrize("radius", [0.0, 49.9, 50.0, 120.0, 400.0])
def test_within_radius_equals_brute_force(radius):
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 600, 300)
    y = rng.uniform(0, 400, 300)
    x[:20], y[:20] = np.round(x[:20], -2), np.round(y[:20], -2)  # coincident nodes and ties
    indptr, idx, dist = within_radius(x, y, radius)
    for i, (want_idx, want_d) in enumerate(brute_force(x, y, radius)):
        got = slice(indptr[i], indptr[i + 1])
        assert idx[got][0] == i
        np.testing.assert_array_equal(idx[got], want_idx)
        np.testing.assert_array_equal(dist[got], want_d)


def test_grid_ties_are_ordered_by_node():
    g = synthetic_grid(5, 5, spacing_m=50)
    indptr, idx, dist = g.neighbours_within(50.0)
    assert idx[indptr[12]:indptr[13]].tolist() == [12, 7, 11, 13, 17]
    assert dist[indptr[12]:indptr[13]].tolist() == [0.0, 50.0, 50.0, 50.0, 50.0]


def test_near_repeat_on_the_fly_equals_a_table():
    g = synthetic_grid(30, 30, spacing_m=45.0, drop_fraction=0.3, seed=3)
    radius, scale, unit = 400.0, 100.0, 2e-4
    cells = cell_index(g.x, g.y, radius)
    net = type("Net", (), {"x": g.x, "y": g.y, "cell_ptr": cells.ptr,
                           "cell_nodes": cells.nodes, "cell_grid": cells.grid})
    P = np.zeros(K.N_PARAMS)
    P[K.P_NR_RADIUS], P[K.P_NR_DIST], P[K.P_NR_UNIT], P[K.P_TAU_B] = radius, scale, unit, 1e4
    ns = new_node_state(g.n_nodes)
    crimes = [(10, 5), (40, 455), (41, 5), (300, 899)]
    near_repeat = reference_module().near_repeat  # the kernels' source, as plain Python
    for t, node in crimes:
        near_repeat(net, ns, P, t, node)
    # The same boosts from the CSR table the kernels used before.
    indptr, idx, dist = g.neighbours_within(radius)
    want, last = np.zeros(g.n_nodes), np.zeros(g.n_nodes)
    for t, node in crimes:
        nb = idx[indptr[node]:indptr[node + 1]]
        w = 1.0 / (1.0 + dist[indptr[node]:indptr[node + 1]] / scale)
        want[nb] = want[nb] * np.exp(-(t - last[nb]) / P[K.P_TAU_B]) + unit * w
        last[nb] = t
    np.testing.assert_allclose(ns.b_level, want, rtol=1e-12, atol=0)
    assert (ns.b_level > 0).sum() == len(np.unique(np.concatenate(
        [idx[indptr[n]:indptr[n + 1]] for _, n in crimes])))


def test_small_radii_keep_the_cell_index_small():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 20_000, 5000), rng.uniform(0, 15_000, 5000)
    index = cell_index(x, y, 0.0)  # a control with no diffusion asks for radius 0
    assert len(index.ptr) - 1 <= 2 * len(x)
    indptr, idx, _ = within_radius(x, y, 0.0)
    assert np.array_equal(idx, np.arange(len(x))) and np.array_equal(np.diff(indptr), np.ones(len(x)))
