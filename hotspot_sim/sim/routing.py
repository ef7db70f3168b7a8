"""Shortest-path routing tables for the kernels.

Agents only ever travel to a limited set of destinations (activity places,
homes, hot spots, call locations, the station).  For each destination we keep
one shortest-path tree computed by scipy's Dijkstra: ``hop[row, v]`` is the
CSR edge index of the next step from ``v`` toward the destination (the next
node is ``indices[hop[row, v]]``, the edge length ``edge_length[hop[row, v]]``;
-1 at the destination itself) and ``dist[row, v]`` the distance in metres.
An edge index rather than the next node because the kernels need both the node
and the edge length: with the node alone they scanned v's CSR row for the
length, two more cache misses per step.  Trees are computed in batches when a
destination is first needed and cached, so nothing searches a path in the
simulation loop.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import dijkstra

from ..network import StreetNetwork


class Router:
    """Next-hop and distance tables toward a growing set of destination nodes.

    Parameters
    ----------
    network : StreetNetwork
        The street network.
    capacity : int
        Rows allocated at first (the tables grow by a quarter when full).
    """

    def __init__(self, network: StreetNetwork, capacity: int = 64):
        self.network = network
        self._graph = network.csgraph()
        n = network.n_nodes
        self.hop = np.full((capacity, n), -1, dtype=np.int32)
        self.dist = np.full((capacity, n), np.inf, dtype=np.float32)
        self.rows: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def rows_for(self, nodes) -> np.ndarray:
        """Row of each node's tree, computing the missing trees in one batch.

        Parameters
        ----------
        nodes : array-like of int
            Destination nodes (repeats allowed).

        Returns
        -------
        numpy.ndarray
            int32 row per node, in order.
        """
        nodes = np.asarray(nodes, dtype=np.int64).ravel()
        missing = [int(v) for v in dict.fromkeys(nodes.tolist()) if v not in self.rows]
        if missing:
            self._add(missing)
        return np.array([self.rows[int(v)] for v in nodes], dtype=np.int32)

    def row(self, node: int) -> int:
        """Row of ``node``'s tree (computed if new)."""
        return int(self.rows_for([node])[0])

    def distance(self, dest: int, sources) -> np.ndarray:
        """Network distance from each source node to ``dest``.

        Parameters
        ----------
        dest : int
            Destination node.
        sources : array-like of int
            Source nodes.

        Returns
        -------
        numpy.ndarray
            Metres (float32), one per source.
        """
        return self.dist[self.row(dest), np.asarray(sources, dtype=np.int64)]

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
        out = [int(source)]
        indices = self.network.indices
        while out[-1] != dest:
            out.append(int(indices[self.hop[r, out[-1]]]))
        return out

    def _add(self, nodes: list[int]) -> None:
        need = len(self.rows) + len(nodes)
        if need > self.hop.shape[0]:
            # grow by a quarter (not doubling): each row is a full tree, 8 bytes a node
            cap = max(need, self.hop.shape[0] + self.hop.shape[0] // 4 + 16)
            self.hop = np.vstack([self.hop, np.full((cap - self.hop.shape[0], self.hop.shape[1]),
                                                    -1, np.int32)])
            self.dist = np.vstack([self.dist, np.full((cap - self.dist.shape[0],
                                                       self.dist.shape[1]), np.inf, np.float32)])
        dist, pred = dijkstra(self._graph, directed=False, indices=nodes, return_predecessors=True)
        start = len(self.rows)
        # On an undirected graph the predecessor of v in the tree rooted at the
        # destination is the next hop from v toward it.
        self.hop[start:start + len(nodes)] = self._edge_index(pred)
        self.dist[start:start + len(nodes)] = dist
        for i, v in enumerate(nodes):
            self.rows[v] = start + i

    def _edge_index(self, pred: np.ndarray) -> np.ndarray:
        """CSR index of the edge v -> pred[r, v] for every row r and node v (-1 where no pred).

        Each edge gets the key ``u * n + w``; one searchsorted over the sorted
        keys finds every edge at once.
        """
        net = self.network
        n = net.n_nodes
        keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(net.indptr)) * n + net.indices
        by_key = np.argsort(keys, kind="stable")  # identity when CSR rows are sorted
        ok = pred >= 0
        v = np.broadcast_to(np.arange(n, dtype=np.int64), pred.shape)
        out = np.full(pred.shape, -1, dtype=np.int32)
        out[ok] = by_key[np.searchsorted(keys[by_key], v[ok] * n + pred[ok])]
        return out
