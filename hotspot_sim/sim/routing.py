"""Shortest-path routing for the kernels, in a fixed memory budget.

Agents only ever travel to a limited set of destinations (activity places,
homes, hot spots, call locations, the station).  For each destination we keep
one shortest-path tree computed by scipy's Dijkstra, stored compactly:
``hop[row, v]`` is the *slot* of the next step within ``v``'s CSR row, so the
edge is ``e = indptr[v] + hop[row, v]``, the next node ``indices[e]`` and the
edge length ``edge_length[e]`` (the kernels need both; with the next node alone
they scanned v's row for the length, two more cache misses per step).  A slot
fits in one byte while no node has more than 254 streets (``Router.no_step``,
the dtype's largest value, marks the destination itself and unreachable nodes),
so a tree costs one byte per node instead of an int32 edge index and a float32
distance (eight).  Wider slots are used only for networks with busier nodes.

The tree table is capped by a memory budget (``[routing] memory_mb``): when a
new tree is needed and the table is full, the least recently requested tree
that no agent needs now (see :attr:`Router.pinned`) gives up its row.  Trees
are computed in small batches, so scipy's dense distance and predecessor
output stays small too.

Distances are not kept at all: :meth:`Router.distance` walks each source's
path along the destination's tree and adds the edge lengths from the
destination outward in float64, exactly as scipy's Dijkstra built its distance
(``dist[v] = dist[next] + length``), so the float32 values equal those the
full distance table held and dispatch chooses the same officers.
"""

from __future__ import annotations

import logging
from typing import Callable

import numba
import numpy as np
from scipy.sparse.csgraph import dijkstra

from ..network import StreetNetwork

log = logging.getLogger(__name__)

MB = 2 ** 20
TREE_BATCH_ROWS = 32          # trees per scipy call ...
TREE_BATCH_BYTES = 32 * MB    # ... and at most this much of its dense output (8 + 4 bytes a node)


def slot_dtype(max_degree: int) -> np.dtype:
    """The narrowest unsigned dtype holding slots ``0..max_degree-1`` and a no-step value.

    Parameters
    ----------
    max_degree : int
        Most streets leaving one node.

    Returns
    -------
    numpy.dtype
        uint8 up to 254 streets a node, then uint16, then uint32.
    """
    for dtype in (np.uint8, np.uint16, np.uint32):
        if max_degree < np.iinfo(dtype).max:
            return np.dtype(dtype)
    raise ValueError(f"a node with {max_degree} streets")


class Router:
    """Next-hop trees toward a changing set of destination nodes, in a memory budget.

    Parameters
    ----------
    network : StreetNetwork
        The street network.
    capacity : int
        Rows allocated at first (the table grows by a quarter when full, up to the budget).
    memory_mb : float or None
        Most MB the tree table may hold; None: no limit.  Trees agents need now
        are never evicted: if they alone need more, the table grows past the
        budget and a warning says so once.

    Attributes
    ----------
    hop : numpy.ndarray
        (rows, n_nodes) slot of the next step in each tree; replaced when the table grows.
    rows : dict
        Row of each destination node whose tree is in the table.
    pinned : callable or None
        Returns the rows agents need now (their destinations and queued
        orders); those trees are never evicted.  Set by the model.
    evictions : int
        Trees evicted so far.
    """

    def __init__(self, network: StreetNetwork, capacity: int = 64,
                 memory_mb: float | None = None):
        self.network = network
        self._graph = network.csgraph()
        n = network.n_nodes
        degree = np.diff(network.indptr)
        self.max_degree = int(degree.max()) if n else 0
        dtype = slot_dtype(self.max_degree)
        self.no_step = int(np.iinfo(dtype).max)
        self.memory_mb = memory_mb
        self._row_limit = (None if memory_mb is None
                           else max(1, int(memory_mb * MB // max(1, n * dtype.itemsize))))
        capacity = max(1, capacity if self._row_limit is None else min(capacity, self._row_limit))
        self.hop = np.full((capacity, n), self.no_step, dtype=dtype)
        self.rows: dict[int, int] = {}
        self._node_of_row = np.full(capacity, -1, dtype=np.int64)
        self._last_use = np.zeros(capacity, dtype=np.int64)
        self._clock = 0
        self.pinned: Callable[[], np.ndarray] | None = None
        self.evictions = 0
        self._warned = False
        # scratch of distance(): metres to the destination of the current call, by node
        self._memo = np.zeros(n, dtype=np.float64)
        self._seen = np.zeros(n, dtype=np.int64)
        self._stamp = 0

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def nbytes(self) -> int:
        """Bytes held: the tree table and the scratch of :meth:`distance`."""
        return self.hop.nbytes + self._memo.nbytes + self._seen.nbytes

    # ------------------------------------------------------------------ trees

    def rows_for(self, nodes) -> np.ndarray:
        """Row of each node's tree, computing the missing trees.

        Parameters
        ----------
        nodes : array-like of int
            Destination nodes (repeats allowed).  Their trees are all in the
            table when this returns (none of them is evicted to make room).

        Returns
        -------
        numpy.ndarray
            int32 row per node, in order.
        """
        nodes = np.asarray(nodes, dtype=np.int64).ravel()
        wanted = list(dict.fromkeys(nodes.tolist()))
        missing = [v for v in wanted if v not in self.rows]
        if missing:
            self._add(missing, keep=[self.rows[v] for v in wanted if v in self.rows])
        self._clock += 1
        rows = np.array([self.rows[int(v)] for v in nodes], dtype=np.int32)
        self._last_use[rows] = self._clock
        return rows

    def row(self, node: int) -> int:
        """Row of ``node``'s tree (computed if new)."""
        return int(self.rows_for([node])[0])

    def path(self, source: int, dest: int) -> list[int]:
        """The node sequence the kernels follow from ``source`` to ``dest``.

        Parameters
        ----------
        source, dest : int
            Start and end nodes.

        Returns
        -------
        list of int
            From ``source`` to ``dest``, both included.
        """
        r = self.row(dest)
        net = self.network
        out = [int(source)]
        while out[-1] != dest:
            v = out[-1]
            out.append(int(net.indices[net.indptr[v] + self.hop[r, v]]))
        return out

    def _add(self, nodes: list[int], keep: list[int] = ()) -> None:
        """Compute the trees of ``nodes`` into free or evicted rows (not the rows in ``keep``)."""
        free = self._free_rows(len(nodes), keep)
        n = self.network.n_nodes
        batch = max(1, min(TREE_BATCH_ROWS, TREE_BATCH_BYTES // max(1, 12 * n)))
        for i in range(0, len(nodes), batch):
            chunk, rows = nodes[i:i + batch], free[i:i + batch]
            self.hop[rows] = self._tree_slots(chunk)
            self._node_of_row[rows] = chunk
            self.rows.update(zip(chunk, rows.tolist()))

    def _tree_slots(self, nodes: list[int]) -> np.ndarray:
        """Slot of the next hop toward each of ``nodes`` from every node (one row each).

        On an undirected graph the predecessor of v in the tree rooted at the
        destination is the next hop from v toward it; its edge is the first
        v -> pred[v] edge of v's CSR row, as the full edge-index table had it.
        """
        # [1]: the dense distances are dropped at once
        pred = dijkstra(self._graph, directed=False, indices=nodes, return_predecessors=True)[1]
        out = np.full(pred.shape, self.no_step, dtype=self.hop.dtype)
        _fill_slots(self.network.indptr, self.network.indices, pred, out)
        return out

    # ------------------------------------------------------------------ memory budget

    def _free_rows(self, count: int, keep: list[int]) -> np.ndarray:
        """``count`` rows to write new trees into: unused rows, else evicted ones, else new."""
        free = np.flatnonzero(self._node_of_row < 0)
        if len(free) < count:
            self._grow(within_budget=True, need=count - len(free))
            free = np.flatnonzero(self._node_of_row < 0)
        if len(free) < count:
            free = np.concatenate([free, self._evict(count - len(free), keep)])
        if len(free) < count:
            self._warn_over_budget()
            self._grow(within_budget=False, need=count - len(free))
            free = np.flatnonzero(self._node_of_row < 0)
        return free[:count]

    def _grow(self, within_budget: bool, need: int) -> None:
        # by a quarter (not doubling): each row is a whole tree
        have = self.hop.shape[0]
        cap = max(have + need, have + have // 4 + 16)
        if within_budget and self._row_limit is not None:
            cap = min(cap, self._row_limit)
        if cap <= have:
            return
        extra = cap - have
        # One new table with the old rows copied in: vstack of the old table and a filled
        # block held both the block and the result (340 MB at once for 13k trees).
        grown = np.full((cap, self.hop.shape[1]), self.no_step, self.hop.dtype)
        grown[:have] = self.hop
        self.hop = grown
        self._node_of_row = np.concatenate([self._node_of_row, np.full(extra, -1, np.int64)])
        self._last_use = np.concatenate([self._last_use, np.zeros(extra, np.int64)])

    def _evict(self, count: int, keep: list[int]) -> np.ndarray:
        """Free up to ``count`` rows: the least recently used trees no agent needs now."""
        held = self._node_of_row >= 0
        held[np.asarray(keep, dtype=np.int64)] = False
        if self.pinned is not None:
            held[np.asarray(self.pinned(), dtype=np.int64)] = False
        candidates = np.flatnonzero(held)
        victims = candidates[np.argsort(self._last_use[candidates], kind="stable")[:count]]
        for r in victims.tolist():
            del self.rows[int(self._node_of_row[r])]
        self._node_of_row[victims] = -1
        self.evictions += len(victims)
        return victims

    def _warn_over_budget(self) -> None:
        if self._warned or self._row_limit is None:
            return
        self._warned = True
        log.warning("routing: the trees agents need now take more than [routing] memory_mb = %g "
                    "(%d trees of %d nodes); the table grows past the budget (raise the setting "
                    "to silence this)", self.memory_mb, self._row_limit, self.network.n_nodes)

    # ------------------------------------------------------------------ distances

    def distance(self, dest: int, sources) -> np.ndarray:
        """Network distance from each source node to ``dest`` along the routes agents take.

        The destination's tree is computed if it is not in the table (an agent
        is usually sent there next).

        Parameters
        ----------
        dest : int
            Destination node.
        sources : array-like of int
            Source nodes.

        Returns
        -------
        numpy.ndarray
            Metres (float32), one per source; inf where ``dest`` cannot be reached.
        """
        net = self.network
        row = self.rows.get(int(dest))  # dispatch asks twice a call: skip row()'s arrays
        if row is None:
            row = self.row(dest)
        self._clock += 1
        self._last_use[row] = self._clock
        sources = np.atleast_1d(np.asarray(sources, dtype=np.int64))
        self._stamp += 1
        metres = _tree_distances(net.indptr, net.indices, net.edge_length, self.hop[row],
                                 self.no_step, int(dest), sources, self._memo, self._seen,
                                 self._stamp)
        return metres.astype(np.float32)


@numba.njit(cache=True)
def _tree_distances(indptr, indices, edge_length, slots, no_step, dest, sources, memo, seen,
                    stamp):
    """Length of each source's path along one tree, summed from the destination outward.

    That is the order scipy's Dijkstra adds lengths in, so the float64 sums are
    bit for bit its distances.  Each node's sum is remembered (``memo`` where
    ``seen == stamp``), so paths that meet stop walking where they meet.
    """
    out = np.empty(sources.shape[0], np.float64)
    edges = np.empty(64, np.int64)
    for i in range(sources.shape[0]):
        v, m = sources[i], 0
        while slots[v] != no_step and seen[v] != stamp:
            if m == edges.shape[0]:
                grown = np.empty(2 * m, np.int64)
                grown[:m] = edges
                edges = grown
            edges[m] = indptr[v] + slots[v]
            v = indices[edges[m]]
            m += 1
        if seen[v] == stamp:
            total = memo[v]
        else:
            total = 0.0 if v == dest else np.inf
        for j in range(m - 1, -1, -1):
            e = edges[j]
            total += edge_length[e]
            # the edge leaves the node one step further out: find it from the next edge
            u = sources[i] if j == 0 else indices[edges[j - 1]]
            memo[u] = total
            seen[u] = stamp
        out[i] = total
    return out


@numba.njit(cache=True)
def _fill_slots(indptr, indices, pred, out):
    """``out[r, v]``: the slot of v's first CSR edge to ``pred[r, v]`` (left as is where < 0)."""
    for r in range(pred.shape[0]):
        for v in range(pred.shape[1]):
            p = pred[r, v]
            if p < 0:
                continue
            for e in range(indptr[v], indptr[v + 1]):
                if indices[e] == p:
                    out[r, v] = e - indptr[v]
                    break
