"""Street nodes within a straight-line radius, found through a grid of square cells.

Trial designs draw straight-line buffers (e.g. the 100 m catchment of Bland et
al. 2021), so neighbourhoods are Euclidean.  A county network has a few hundred
thousand nodes: listing every pair within 400 m first (what a KD-tree's
``query_pairs`` does) held several GB at once.  Here nodes are bucketed into
square cells one radius wide; the neighbours of a node are among the nodes of
its own and the eight surrounding cells, so a neighbourhood is built row by row
straight into compressed sparse rows (CSR), and a kernel can also find a node's
neighbours on the fly without any table (near repeats, :mod:`hotspot_sim.sim.kernels`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np


class CellIndex(NamedTuple):
    """Nodes bucketed into square cells (row-major from the south-west corner).

    ``nodes[ptr[c]:ptr[c + 1]]`` are the nodes of cell ``c`` in increasing order;
    ``grid`` is ``[x0, y0, size, nx, ny]`` (metres and cell counts).
    """

    ptr: np.ndarray    # int64, (nx * ny + 1,)
    nodes: np.ndarray  # int32, (n_nodes,)
    grid: np.ndarray   # float64, (5,)


def cell_index(x: np.ndarray, y: np.ndarray, size_m: float) -> CellIndex:
    """Bucket nodes into square cells of side ``size_m``.

    Parameters
    ----------
    x, y : numpy.ndarray
        Node coordinates (British National Grid metres).
    size_m : float
        Side of a cell; radii up to ``size_m`` need only the 3 x 3 cells around a node.
        Smaller radii (down to 0, which finds the node itself) get cells about as many as
        the nodes: 1 m cells over a district would be a 1.3 GB index.

    Returns
    -------
    CellIndex
    """
    x0, y0 = float(np.min(x)), float(np.min(y))
    area = max(float(np.max(x)) - x0, 1.0) * max(float(np.max(y)) - y0, 1.0)
    size = max(float(size_m), math.sqrt(area / max(len(x), 1)), 1.0)
    nx = int((np.max(x) - x0) // size) + 1
    ny = int((np.max(y) - y0) // size) + 1
    cell = ((y - y0) // size).astype(np.int64) * nx + ((x - x0) // size).astype(np.int64)
    nodes = np.argsort(cell, kind="stable").astype(np.int32)
    ptr = np.zeros(nx * ny + 1, dtype=np.int64)
    np.cumsum(np.bincount(cell, minlength=nx * ny), out=ptr[1:])
    return CellIndex(ptr, nodes, np.array([x0, y0, size, nx, ny], dtype=np.float64))


@numba.njit(cache=True)
def candidates(x, y, ptr, nodes, grid, node, radius, out_j, out_d):
    """Nodes within ``radius`` of ``node`` (itself included), unsorted.

    Writes their indices and distances to ``out_j`` / ``out_d`` and returns how
    many; the caller gives buffers at least as long as the nine cells around the node.
    """
    x0, y0, size = grid[0], grid[1], grid[2]
    nx, ny = int(grid[3]), int(grid[4])
    cx = int((x[node] - x0) // size)
    cy = int((y[node] - y0) // size)
    n = 0
    for gy in range(max(cy - 1, 0), min(cy + 2, ny)):
        for gx in range(max(cx - 1, 0), min(cx + 2, nx)):
            c = gy * nx + gx
            for k in range(ptr[c], ptr[c + 1]):
                j = nodes[k]
                d = math.hypot(x[j] - x[node], y[j] - y[node])
                if d <= radius:
                    out_j[n] = j
                    out_d[n] = d
                    n += 1
    return n


@numba.njit(cache=True)
def _widest_block(ptr, grid):
    """Most nodes in any 3 x 3 block of cells (a bound on a neighbourhood's size)."""
    nx, ny = int(grid[3]), int(grid[4])
    most = 0
    for cy in range(ny):
        for cx in range(nx):
            total = 0
            for gy in range(max(cy - 1, 0), min(cy + 2, ny)):
                for gx in range(max(cx - 1, 0), min(cx + 2, nx)):
                    c = gy * nx + gx
                    total += ptr[c + 1] - ptr[c]
            most = max(most, total)
    return most


@numba.njit(cache=True)
def _count_rows(x, y, ptr, nodes, grid, radius, buf_j, buf_d):
    n_nodes = x.shape[0]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    for i in range(n_nodes):
        indptr[i + 1] = indptr[i] + candidates(x, y, ptr, nodes, grid, i, radius, buf_j, buf_d)
    return indptr


@numba.njit(cache=True)
def _fill_rows(x, y, ptr, nodes, grid, radius, indptr, buf_j, buf_d, idx, dist):
    for i in range(x.shape[0]):
        n = candidates(x, y, ptr, nodes, grid, i, radius, buf_j, buf_d)
        for k in range(n):
            if buf_j[k] == i:
                buf_d[k] = -1.0  # the node itself first, even among nodes at the same point
        # Order by distance, ties by node index: sort by node first, then a
        # stable sort by distance keeps that order among equal distances.
        by_node = np.argsort(buf_j[:n], kind="mergesort")
        js, ds = buf_j[:n][by_node], buf_d[:n][by_node]
        by_dist = np.argsort(ds, kind="mergesort")
        lo = indptr[i]
        for k in range(n):
            idx[lo + k] = js[by_dist[k]]
            dist[lo + k] = max(ds[by_dist[k]], 0.0)


def within_radius(x: np.ndarray, y: np.ndarray, radius_m: float,
                  index: CellIndex | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every node's neighbours within ``radius_m`` as CSR (indptr, indices, distance).

    Each row lists the node itself first (distance 0), then its neighbours by
    increasing distance, ties by node index.  Memory is the result plus two
    buffers of one neighbourhood: no pair list.

    Parameters
    ----------
    x, y : numpy.ndarray
        Node coordinates (metres).
    radius_m : float
        Straight-line radius, metres (>= 0).
    index : CellIndex, optional
        A cell index at least ``radius_m`` wide (built if omitted).

    Returns
    -------
    tuple of numpy.ndarray
        ``indptr`` (int64, n + 1), ``indices`` (int32) and ``distance`` (float64, metres).
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if index is None or index.grid[2] < radius_m:
        index = cell_index(x, y, radius_m)
    ptr, nodes, grid = index
    width = int(_widest_block(ptr, grid))
    buf_j, buf_d = np.empty(width, np.int32), np.empty(width, np.float64)
    indptr = _count_rows(x, y, ptr, nodes, grid, float(radius_m), buf_j, buf_d)
    idx = np.empty(indptr[-1], np.int32)
    dist = np.empty(indptr[-1], np.float64)
    _fill_rows(x, y, ptr, nodes, grid, float(radius_m), indptr, buf_j, buf_d, idx, dist)
    return indptr, idx, dist
