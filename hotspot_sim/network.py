"""Street networks: load with OSMnx, prepare the patrol graph, export kernel arrays.

The flow is ``OSM (file or download) -> OSMnx graph -> EPSG:27700 -> largest
connected component -> undirected patrol graph -> long edges split -> arrays``.
The prepared :class:`StreetNetwork` holds only numpy arrays (CSR adjacency,
edge lengths in metres, node x/y in British National Grid metres), which is
what the compiled kernels use, and is cached on disk keyed by its input and
settings so that a second load skips OSMnx altogether.
"""

from __future__ import annotations

import bz2
import hashlib
import logging
import math
import os
import weakref
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from .errors import NetworkError, OfflineError
from .io import atomic_file
from .projection import BNG, graph_to_bng
from .locations import data_location_hint, resolve_data_path
from .settings import NetworkSettings

log = logging.getLogger(__name__)

CACHE_VERSION = "2"  # bump when the preparation below changes (2: nodes in Hilbert order)
CACHE_ENV_VAR = "HOTSPOT_SIM_CACHE"


@dataclass
class StreetNetwork:
    """A prepared, undirected, connected patrol graph as flat arrays.

    Nodes are numbered ``0..n_nodes-1``.  Neighbours of node ``i`` are
    ``indices[indptr[i]:indptr[i+1]]`` with lengths ``edge_length`` (metres),
    stored in both directions.

    Attributes
    ----------
    x, y : numpy.ndarray
        Node coordinates in EPSG:27700 metres.
    osmid : numpy.ndarray
        OSM node id, or -1 for nodes inserted when splitting long edges.
    indptr, indices, edge_length : numpy.ndarray
        CSR adjacency.
    source : str
        Where the network came from (file or place).
    dropped_nodes : int
        Nodes outside the largest connected component (reported, not silent).
    """

    x: np.ndarray
    y: np.ndarray
    osmid: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    edge_length: np.ndarray
    source: str = ""
    key: str = ""
    dropped_nodes: int = 0
    crs: str = BNG
    meta: dict = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return len(self.x)

    @property
    def n_edges(self) -> int:
        """Undirected edges."""
        return len(self.indices) // 2

    @property
    def total_length_m(self) -> float:
        return float(self.edge_length.sum() / 2)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return float(self.x.min()), float(self.y.min()), float(self.x.max()), float(self.y.max())

    @cached_property
    def kdtree(self) -> cKDTree:
        return cKDTree(np.column_stack([self.x, self.y]))

    def nearest_nodes(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node index and distance (m) for BNG points (vectorised)."""
        dist, idx = self.kdtree.query(np.column_stack([np.ravel(x), np.ravel(y)]))
        return idx.astype(np.int64), dist

    def csgraph(self) -> sp.csr_matrix:
        """The adjacency as a scipy sparse matrix of edge lengths."""
        n = self.n_nodes
        return sp.csr_matrix((self.edge_length, self.indices, self.indptr), shape=(n, n))

    def edges(self) -> np.ndarray:
        """Undirected edges as an (m, 2) array with u < v."""
        u = np.repeat(np.arange(self.n_nodes), np.diff(self.indptr))
        keep = u < self.indices
        return np.column_stack([u[keep], self.indices[keep]])

    def to_networkx(self) -> nx.Graph:
        """A NetworkX graph (nodes 0..n-1 with x, y; edges with length), e.g. for Mesa."""
        G = nx.Graph(crs=self.crs)
        G.add_nodes_from((i, {"x": float(xi), "y": float(yi)})
                         for i, (xi, yi) in enumerate(zip(self.x, self.y)))
        u = np.repeat(np.arange(self.n_nodes), np.diff(self.indptr))
        keep = u < self.indices
        G.add_weighted_edges_from(zip(u[keep].tolist(), self.indices[keep].tolist(),
                                      self.edge_length[keep].tolist()), weight="length")
        return G

    def neighbours_within(self, radius_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs of nodes within a straight-line radius, as CSR (indptr, indices, distance).

        Each node lists itself first (distance 0).  Radii in trial designs are
        straight-line buffers (e.g. 100 m, Bland et al. 2021), hence Euclidean.
        Cached on the network, per radius (models and policies ask repeatedly).
        """
        cache = self.meta.setdefault("neighbours_within", {})
        if float(radius_m) not in cache:
            cache[float(radius_m)] = self._neighbours_within(radius_m)
        return cache[float(radius_m)]

    def _neighbours_within(self, radius_m: float):
        from .neighbourhoods import within_radius  # numba: only where neighbourhoods are built

        return within_radius(self.x, self.y, radius_m)

    def save(self, path: Path) -> None:
        """Write the arrays as one ``.npz`` file, atomically (a killed process leaves no
        half-written cache; see :func:`hotspot_sim.io.atomic_file`)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as fh:
            np.savez(fh, x=self.x, y=self.y, osmid=self.osmid, indptr=self.indptr,
                     indices=self.indices, edge_length=self.edge_length,
                     info=np.array([self.source, self.key, str(self.dropped_nodes)]))

    @classmethod
    def load(cls, path: Path) -> StreetNetwork:
        """Read a network written by :meth:`save`."""
        with np.load(path) as z:
            source, key, dropped = z["info"].tolist()
            return cls(x=z["x"], y=z["y"], osmid=z["osmid"], indptr=z["indptr"],
                       indices=z["indices"], edge_length=z["edge_length"],
                       source=source, key=key, dropped_nodes=int(dropped))

    def summary(self) -> dict:
        """Source, size, street length, edge lengths and CRS, as plain data."""
        return {"source": self.source, "nodes": self.n_nodes, "edges": self.n_edges,
                "length_km": round(self.total_length_m / 1000, 1),
                "max_edge_m": round(float(self.edge_length.max()), 1),
                "mean_edge_m": round(float(self.edge_length.mean()), 1),
                "dropped_nodes_outside_largest_component": self.dropped_nodes,
                "crs": self.crs}


# --------------------------------------------------------------------------- loading


def load_network(settings: NetworkSettings, cache: bool = True) -> StreetNetwork:
    """Load the scenario's street network, from the cache when it can.

    Parameters
    ----------
    settings
        The scenario's ``[network]`` section.
    cache
        Read and write the prepared-network cache.

    Returns
    -------
    StreetNetwork
    """
    key = _cache_key(settings)
    path = cache_dir() / f"network-{key}.npz"
    if cache and (path, key) in _LOADED:
        return _LOADED[path, key]
    if cache and path.is_file():
        log.info("network from cache %s", path)
        net = _LOADED[path, key] = StreetNetwork.load(path)
        return net
    G = _load_osm_graph(settings)
    net = prepare_network(G, settings.max_node_spacing_m, source=_describe_source(settings))
    net.key = key
    if cache:
        net.save(path)
    return net


# Networks loaded in this process and still in use somewhere, by file and key: a
# validation loads the same network for each of its studies, and each copy built its
# own neighbourhoods.  Weak references: a network nobody uses is freed as before.
_LOADED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def cache_dir() -> Path:
    """Folder for prepared networks.

    Returns
    -------
    Path
        ``$HOTSPOT_SIM_CACHE``, or ``~/.cache/hotspot-sim`` when it is unset.
    """
    return Path(os.environ.get(CACHE_ENV_VAR, Path.home() / ".cache" / "hotspot-sim"))


def _cache_key(settings: NetworkSettings) -> str:
    """Hash of the input (file contents, or place/bbox) and the preparation settings."""
    h = hashlib.sha256(f"v{CACHE_VERSION}|{settings.max_node_spacing_m}|"
                       f"{settings.network_type}".encode())
    if settings.osm_file:
        h.update(osm_path(settings).read_bytes())
    else:
        h.update(repr((settings.place, settings.bbox)).encode())
    return h.hexdigest()[:16]


def _describe_source(settings: NetworkSettings) -> str:
    """The network's source in words: its file, place name or box."""
    if settings.osm_file:
        return settings.osm_file
    return settings.place or f"bbox {settings.bbox}"


def osm_path(settings: NetworkSettings) -> Path:
    """The scenario's OSM file, resolved against the data root.

    Parameters
    ----------
    settings : NetworkSettings
        With ``osm_file`` set (relative to the data root).

    Returns
    -------
    Path
        The file.

    Raises
    ------
    NetworkError
        If the file does not exist (with where data is looked for).
    """
    path = resolve_data_path(settings.osm_file)
    if not path.is_file():
        raise NetworkError(f"OSM file {path} does not exist (network.osm_file = "
                           f"{settings.osm_file!r}, {data_location_hint()})")
    return path


def _load_osm_graph(settings: NetworkSettings) -> nx.MultiDiGraph:
    """The raw OSMnx graph: from a local XML file, or downloaded by place or box."""
    import osmnx as ox

    if settings.osm_file:
        return _graph_from_file(osm_path(settings))
    try:
        if settings.place:
            return ox.graph_from_place(settings.place, network_type=settings.network_type)
        return ox.graph_from_bbox(tuple(settings.bbox), network_type=settings.network_type)
    except Exception as exc:  # requests' ConnectionError, OSMnx's response errors, ...
        if not _is_offline_error(exc):
            raise
        raise OfflineError(
            f"could not download the street network for {_describe_source(settings)!r} "
            f"({type(exc).__name__}): this machine seems to have no internet. Supply a local "
            "file instead: export the area as OSM XML (e.g. from openstreetmap.org 'Export' or a "
            "Geofabrik extract cut with osmium), put it under $HOTSPOT_SIM_DATA/osm/ and set "
            "[network] osm_file = \"osm/<name>.osm\" (and remove 'place'/'bbox')."
        ) from exc


def _is_offline_error(exc: BaseException) -> bool:
    """Whether `exc` (or an exception it was raised from) says the internet is unreachable."""
    import requests

    seen = exc
    while seen is not None:
        if isinstance(seen, (requests.ConnectionError, requests.Timeout, ConnectionError,
                             TimeoutError, OSError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return "InsufficientResponse" in type(exc).__name__ or "ResponseStatusCode" in type(exc).__name__


def _graph_from_file(path: Path) -> nx.MultiDiGraph:
    """``ox.graph_from_xml`` with errors that name the file."""
    import osmnx as ox

    _check_osm_xml(path)
    try:
        G = ox.graph_from_xml(path, retain_all=True)
    except Exception as exc:
        raise NetworkError(f"{path}: OSMnx could not build a graph: {exc}") from exc
    if G.number_of_edges() == 0:
        raise NetworkError(f"{path}: the file has no usable ways (no streets to patrol)")
    return G


def _check_osm_xml(path: Path) -> None:
    """Fail early, naming the file, on broken XML or a file without ways."""
    opener = bz2.open if path.suffix == ".bz2" else open
    ways = 0
    try:
        with opener(path, "rb") as fh:
            for _, elem in ET.iterparse(fh, events=("end",)):
                if elem.tag == "way":
                    ways += 1
                elem.clear()
    except (ET.ParseError, OSError, EOFError) as exc:
        raise NetworkError(f"{path}: not a readable OSM XML file: {exc}") from exc
    if ways == 0:
        raise NetworkError(f"{path}: the file has no <way> elements (no streets)")


# --------------------------------------------------------------------------- preparation


def prepare_network(G: nx.MultiDiGraph, max_spacing_m: float, source: str = "") -> StreetNetwork:
    """Project, keep the largest component, make undirected, split long edges.

    Parameters
    ----------
    G
        An OSMnx graph in lon/lat (or already projected).
    max_spacing_m
        Largest allowed distance between adjacent nodes; 0 keeps edges whole.
    source
        Text recorded with the network.
    """
    import osmnx as ox

    if G.number_of_edges() == 0:
        raise NetworkError(f"{source}: the network has no edges")
    G = graph_to_bng(G)
    n_before = len(G)
    G = ox.truncate.largest_component(G, strongly=False)
    dropped = n_before - len(G)
    if len(G) < 2 or G.number_of_edges() == 0:
        raise NetworkError(f"{source}: no connected component with at least one street")
    if dropped:
        log.warning("%s: dropped %d of %d nodes outside the largest connected component",
                    source, dropped, n_before)
    U = ox.convert.to_undirected(G)
    segments = _edge_segments(U, max_spacing_m)
    net = _network_from_segments(U, segments, source)
    net.dropped_nodes = dropped
    return net


def _edge_segments(U: nx.MultiGraph, max_spacing_m: float) -> list[tuple]:
    """Per undirected edge: (u, v, length, interior points) after splitting.

    Parallel edges between the same two nodes keep only the shortest (a patrol
    graph needs one way between two junctions); self-loops are dropped.
    """
    best: dict[tuple, tuple] = {}
    for u, v, data in U.edges(data=True):
        if u == v:
            continue
        k = (u, v) if u < v else (v, u)
        if k not in best or data["length"] < best[k][2]["length"]:
            best[k] = (u, v, data)
    out = []
    for u, v, data in best.values():
        length = float(data["length"])
        pieces = max(1, math.ceil(length / max_spacing_m)) if max_spacing_m > 0 else 1
        points = []
        if pieces > 1:
            geom = data.get("geometry")
            if geom is None:
                from shapely.geometry import LineString
                geom = LineString([(U.nodes[u]["x"], U.nodes[u]["y"]),
                                   (U.nodes[v]["x"], U.nodes[v]["y"])])
            # geometry may run v->u; orient it from u
            start = geom.coords[0]
            if math.dist(start, (U.nodes[u]["x"], U.nodes[u]["y"])) > \
                    math.dist(start, (U.nodes[v]["x"], U.nodes[v]["y"])):
                geom = geom.reverse()
            points = [geom.interpolate(k / pieces, normalized=True).coords[0]
                      for k in range(1, pieces)]
        out.append((u, v, length, points))
    return out


def _hilbert_order(x: np.ndarray, y: np.ndarray, bits: int = 16) -> np.ndarray:
    """Indices that sort points along a Hilbert curve over their bounding box.

    Why: the kernels index per-node arrays (node state, neighbourhood lists, a
    row of the next-hop table) by node number, and an agent only ever moves to
    a neighbour.  Numbered in OSM/insertion order, neighbours were scattered
    over the arrays, so nearly every step missed the caches.  Along a Hilbert
    curve nodes close in space get close numbers, so a walk (and a 100 m
    neighbourhood) stays within a few cache lines and pages.
    """
    side = (1 << bits) - 1
    span = max(float(np.ptp(x)), float(np.ptp(y)), 1e-9)
    xi = np.round((x - x.min()) / span * side).astype(np.int64)
    yi = np.round((y - y.min()) / span * side).astype(np.int64)
    d = np.zeros(len(x), dtype=np.int64)
    s = 1 << (bits - 1)
    while s > 0:  # the classic xy -> Hilbert distance, vectorised over points
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx) ^ ry)
        flip = ~ry  # rotate the quadrant so the curve stays continuous
        swap_x = np.where(flip & rx, side - xi, xi)
        swap_y = np.where(flip & rx, side - yi, yi)
        xi, yi = np.where(flip, swap_y, swap_x), np.where(flip, swap_x, swap_y)
        s >>= 1
    return np.argsort(d, kind="stable")


def _network_from_segments(U: nx.MultiGraph, segments: list[tuple], source: str) -> StreetNetwork:
    """Build CSR arrays, nodes numbered 0..n-1 along a Hilbert curve (see _hilbert_order)."""
    osm_nodes = list(U.nodes)
    index = {n: i for i, n in enumerate(osm_nodes)}
    xs = [U.nodes[n]["x"] for n in osm_nodes]
    ys = [U.nodes[n]["y"] for n in osm_nodes]
    ids = list(osm_nodes)
    src, dst, lengths = [], [], []
    for u, v, length, points in segments:
        chain = [index[u]]
        for px, py in points:
            chain.append(len(xs))
            xs.append(px)
            ys.append(py)
            ids.append(-1)
        chain.append(index[v])
        piece = length / (len(chain) - 1)
        src.extend(chain[:-1])
        dst.extend(chain[1:])
        lengths.extend([piece] * (len(chain) - 1))
    n = len(xs)
    xs, ys, ids = np.asarray(xs, float), np.asarray(ys, float), np.asarray(ids, np.int64)
    order = _hilbert_order(xs, ys)          # order[new] = old
    rank = np.empty(n, dtype=np.int64)     # rank[old] = new
    rank[order] = np.arange(n)
    a = rank[np.array(src + dst, dtype=np.int64)]
    b = rank[np.array(dst + src, dtype=np.int64)]
    w = np.array(lengths + lengths, dtype=np.float64)
    M = sp.csr_matrix((w, (a, b)), shape=(n, n))
    M.sort_indices()
    return StreetNetwork(x=xs[order], y=ys[order],
                         osmid=ids[order], indptr=M.indptr.astype(np.int64),
                         indices=M.indices.astype(np.int32), edge_length=M.data.astype(float),
                         source=source)


def synthetic_grid(nx_: int, ny: int, spacing_m: float = 50.0, origin=(524000.0, 210000.0),
                   drop_fraction: float = 0.0, seed: int = 0) -> StreetNetwork:
    """A connected grid street network for tests and scaling benchmarks.

    Parameters
    ----------
    nx_, ny : int
        Nodes across and up.
    spacing_m : float
        Distance between neighbouring nodes (metres).
    origin : tuple of float
        BNG coordinates of the first node (default: near Welwyn Garden City).
    drop_fraction : float
        Share of the edges removed at random (keeping the grid connected
        through a spanning tree) to make it less regular.
    seed : int
        Seed of the edges dropped.

    Returns
    -------
    StreetNetwork
        Nodes numbered column by column; every edge ``spacing_m`` long.
    """
    G = nx.grid_2d_graph(nx_, ny)
    if drop_fraction > 0:
        rng = np.random.default_rng(seed)
        tree = set(map(frozenset, nx.minimum_spanning_edges(G, data=False)))
        extra = [e for e in G.edges if frozenset(e) not in tree]
        drop = rng.choice(len(extra), int(drop_fraction * len(extra)), replace=False)
        G.remove_edges_from([extra[i] for i in drop])
    nodes = sorted(G.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    x = np.array([origin[0] + n[0] * spacing_m for n in nodes])
    y = np.array([origin[1] + n[1] * spacing_m for n in nodes])
    a = np.array([index[u] for u, v in G.edges] + [index[v] for u, v in G.edges])
    b = np.array([index[v] for u, v in G.edges] + [index[u] for u, v in G.edges])
    M = sp.csr_matrix((np.full(len(a), spacing_m), (a, b)), shape=(len(nodes), len(nodes)))
    M.sort_indices()
    return StreetNetwork(x=x, y=y, osmid=np.full(len(nodes), -1, np.int64),
                         indptr=M.indptr.astype(np.int64), indices=M.indices.astype(np.int32),
                         edge_length=M.data.astype(float), source=f"grid {nx_}x{ny}")
