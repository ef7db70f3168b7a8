"""Score places by crime, harm or both, and describe how concentrated harm is.

Places are street-network nodes with their catchment (every node within
``radius_m``) or square micro-places of ``cell_m`` metres; a place's score is
its crime count (ASB excluded), its Cambridge Crime Harm Index days, or a
composite that also counts ASB incidents as the Hertfordshire plan's harm
index does. The power-few curve tells how few places hold most of the harm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import ConfigError, DataError
from ..network import StreetNetwork
from .settings import LEVELS, RANK_BY, check_choice


def micro_places(network: StreetNetwork, size_m: float = 125.0) -> np.ndarray:
    """Assign each node to a square micro-place ``size_m`` metres across.

    Cells are aligned to multiples of ``size_m`` in British National Grid
    metres and numbered 0..n_cells-1 (only cells holding a node), in order
    of (column, row).

    Parameters
    ----------
    network : StreetNetwork
        The nodes to assign.
    size_m : float
        Cell size in metres (trial hot spots are 100-150 m across).

    Returns
    -------
    numpy.ndarray
        Cell id per node (int64).

    Raises
    ------
    ConfigError
        If ``size_m`` is not positive.
    """
    if not size_m > 0:
        raise ConfigError(f"size_m must be > 0, got {size_m!r}")
    col = np.floor(network.x / size_m).astype(np.int64)
    row = np.floor(network.y / size_m).astype(np.int64)
    _, cell = np.unique(np.column_stack([col, row]), axis=0, return_inverse=True)
    return cell.ravel().astype(np.int64)


def node_street_length(network: StreetNetwork) -> np.ndarray:
    """Street length belonging to each node: half the length of every edge at it.

    Parameters
    ----------
    network : StreetNetwork
        The patrol graph.

    Returns
    -------
    numpy.ndarray
        Metres per node; sums to the network's total street length.
    """
    return 0.5 * np.add.reduceat(network.edge_length, network.indptr[:-1]) * \
        (np.diff(network.indptr) > 0)


def crime_values(crimes: pd.DataFrame, n_nodes: int) -> pd.DataFrame:
    """Non-ASB crimes, ASB incidents and harm (CHI days) per node.

    Parameters
    ----------
    crimes : pandas.DataFrame
        Snapped crimes with ``node``, ``is_asb`` and ``harm``.
    n_nodes : int
        Nodes in the network.

    Returns
    -------
    pandas.DataFrame
        Index 0..n_nodes-1; columns ``crimes``, ``asb``, ``harm`` (float).

    Raises
    ------
    DataError
        If a column is missing or a node index is outside the network.
    """
    missing = {"node", "is_asb", "harm"} - set(crimes.columns)
    if missing:
        raise DataError(f"crimes table lacks column(s) {sorted(missing)}")
    node = crimes["node"].to_numpy(np.int64)
    if node.size and (node.min() < 0 or node.max() >= n_nodes):
        raise DataError(f"crime node index out of range 0..{n_nodes - 1}")
    asb = crimes["is_asb"].to_numpy(bool)
    return pd.DataFrame({
        "crimes": np.bincount(node[~asb], minlength=n_nodes).astype(float),
        "asb": np.bincount(node[asb], minlength=n_nodes).astype(float),
        "harm": np.bincount(node, weights=crimes["harm"].to_numpy(float), minlength=n_nodes),
    })


def score_values(values: pd.DataFrame, rank_by: str, w_asb: float = 1.0,
                 w_count: float = 0.0) -> np.ndarray:
    """The ranking score of each place from its :func:`crime_values` columns.

    Parameters
    ----------
    values : pandas.DataFrame
        ``crimes``, ``asb`` and ``harm`` per place.
    rank_by : str
        ``count`` = crimes (ASB excluded); ``harm`` = CHI days; ``composite`` =
        harm + ``w_asb`` * ASB + ``w_count`` * crimes.
    w_asb, w_count : float
        Weights of the composite score.

    Returns
    -------
    numpy.ndarray
        One score per place.
    """
    check_choice(rank_by, RANK_BY, "rank_by")
    if rank_by == "count":
        return values["crimes"].to_numpy(float)
    if rank_by == "harm":
        return values["harm"].to_numpy(float)
    return (values["harm"] + w_asb * values["asb"] + w_count * values["crimes"]).to_numpy(float)


def catchment_matrix(network: StreetNetwork, radius_m: float) -> sp.csr_matrix:
    """Which nodes lie in each node's catchment, as a sparse 0/1 matrix.

    Parameters
    ----------
    network : StreetNetwork
        The patrol graph.
    radius_m : float
        Catchment radius (straight-line metres).

    Returns
    -------
    scipy.sparse.csr_matrix
        (n_nodes, n_nodes); row i marks the nodes within ``radius_m`` of node i.
    """
    indptr, indices, _ = network.neighbours_within(radius_m)
    n = network.n_nodes
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n, n))


def score_places(crimes: pd.DataFrame, network: StreetNetwork, rank_by: str = "harm",
                 level: str = "node", radius_m: float = 100.0, cell_m: float = 125.0,
                 w_asb: float = 1.0, w_count: float = 0.0) -> np.ndarray:
    """Score of each node as a candidate hot spot centre.

    ``level="node"``: the score of the crimes within ``radius_m`` of the node
    (its catchment; 0 scores the node's own crimes only).  ``level="micro"``:
    each micro-place's total is given to one node in it, the node with the
    highest own score (ties: lowest index); every other node scores 0.

    Parameters
    ----------
    crimes : pandas.DataFrame
        Snapped crimes (``node``, ``is_asb``, ``harm``).
    network : StreetNetwork
        The patrol graph.
    rank_by : str
        ``"harm"``, ``"count"`` or ``"composite"`` (see :func:`score_values`).
    level : str
        ``"node"`` or ``"micro"``.
    radius_m : float
        Catchment radius for ``level="node"``.
    cell_m : float
        Micro-place size for ``level="micro"``.
    w_asb, w_count : float
        Weights of the composite score.

    Returns
    -------
    numpy.ndarray
        One score per node.
    """
    check_choice(level, LEVELS, "level")
    own = score_values(crime_values(crimes, network.n_nodes), rank_by, w_asb, w_count)
    if level == "node":
        return catchment_matrix(network, radius_m) @ own if radius_m > 0 else own
    cell = micro_places(network, cell_m)
    total = np.bincount(cell, weights=own)
    order = np.lexsort((np.arange(len(own)), -own, cell))  # by cell, best node first
    first = order[np.r_[True, cell[order][1:] != cell[order][:-1]]]
    out = np.zeros_like(own)
    out[first] = total[cell[first]]
    return out


def month_column(crimes: pd.DataFrame) -> pd.Series:
    """The ``month`` (or police.uk ``Month``) column as 'YYYY-MM' text.

    Parameters
    ----------
    crimes : pandas.DataFrame
        Crimes with a ``month`` or ``Month`` column.

    Returns
    -------
    pandas.Series
        The month of each crime.

    Raises
    ------
    DataError
        If the table has neither column.
    """
    for col in ("month", "Month"):
        if col in crimes:
            return crimes[col].astype(str)
    raise DataError("crimes table has no 'month' or 'Month' column")


def select_months(crimes: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    """The crimes of the given months.

    Parameters
    ----------
    crimes : pandas.DataFrame
        Crimes with a ``month`` or ``Month`` column.
    months : sequence of str
        Months ``YYYY-MM`` to keep.

    Returns
    -------
    pandas.DataFrame
        The rows of those months (index kept).
    """
    return crimes[month_column(crimes).isin(list(months)).to_numpy()]


def power_few_curve(values) -> pd.DataFrame:
    """Cumulative share of the total held by the top places.

    Parameters
    ----------
    values : array_like
        Non-negative harm or count per place (zeros count as places).

    Returns
    -------
    pandas.DataFrame
        One row per place, largest first: ``rank`` (1..n), ``value``,
        ``share_of_places`` (rank / n), ``share_of_total`` (cumulative).
        E.g. values [6, 3, 1, 0] give shares of total 0.6, 0.9, 1.0, 1.0.
    """
    v = _check_values(values)
    v = np.sort(v)[::-1]
    total = v.sum()
    cum = np.cumsum(v) / total if total > 0 else np.full(v.size, np.nan)
    rank = np.arange(1, v.size + 1)
    return pd.DataFrame({"rank": rank, "value": v, "share_of_places": rank / max(v.size, 1),
                         "share_of_total": cum})


def share_of_total_in_top(values, pct: float) -> float:
    """Share of the total held by the top ``pct`` percent of places.

    The number of places is ``ceil(n * pct / 100)`` (at least one), so
    ``share_of_total_in_top([6, 3, 1, 0], 25) == 0.6``.  Weisburd (2015):
    0.4-1.6% of street segments hold 25% of crime.

    Parameters
    ----------
    values : array_like
        Non-negative harm or count per place.
    pct : float
        Percent of places, in (0, 100].

    Returns
    -------
    float
        Share in [0, 1]; NaN when there are no places.

    Raises
    ------
    ConfigError
        If ``pct`` is outside (0, 100] or a value is negative or not finite.
    """
    if isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 < pct <= 100:
        raise ConfigError(f"pct must be a percent in (0, 100], got {pct!r}")
    curve = power_few_curve(values)
    if curve.empty:
        return float("nan")
    n_top = max(1, math.ceil(len(curve) * pct / 100 - 1e-9))
    return float(curve["share_of_total"].iloc[n_top - 1])


def _check_values(values) -> np.ndarray:
    """`values` as a flat float array, or ConfigError if any is negative or not finite."""
    v = np.asarray(values, dtype=float).ravel()
    if v.size and (not np.all(np.isfinite(v)) or v.min() < 0):
        raise ConfigError("values must be finite and non-negative")
    return v


def place_totals(study, level: str = "node", cell_m: float = 125.0,
                 column: str = "harm") -> np.ndarray:
    """Crimes, ASB incidents or harm per place, for power-few curves.

    Parameters
    ----------
    study : Study
        Network and snapped crimes.
    level : str
        ``"node"`` or ``"micro"``.
    cell_m : float
        Micro-place size for ``level="micro"``.
    column : str
        ``"crimes"``, ``"asb"`` or ``"harm"``.

    Returns
    -------
    numpy.ndarray
        One total per node or micro-place.
    """
    v = crime_values(study.crimes, study.network.n_nodes)[column].to_numpy()
    check_choice(level, LEVELS, "level")
    return v if level == "node" else np.bincount(micro_places(study.network, cell_m), weights=v)
