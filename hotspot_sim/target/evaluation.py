"""Out of sample: do places chosen on earlier months still hold crime in later ones?

Each method ranks places from training months; the top places covering a
share of street length are scored on later test months by hit rate and the
Predictive Accuracy Index (PAI; Chainey, Tompson & Uhlig 2008). police.uk
dates are months only, so every time here is in whole months.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from ..data.police_uk import MONTH_RE
from ..errors import ConfigError
from ..network import StreetNetwork
from .ranking import (crime_values, micro_places, month_column, node_street_length,
                      score_values, select_months)
from .settings import LEVELS, ProspectiveSettings, check_choice

METHODS = ("count", "harm", "composite", "prospective", "last_month")
"""Out-of-sample forecasting methods; ``last_month`` is the naive baseline."""


def parse_months(spec, available: Sequence[str], name: str) -> list[str]:
    """Months from ``"2021-01:2021-07"``, ``"2021-08"`` or a list, checked against the data.

    Parameters
    ----------
    spec : str or sequence of str
        A month, a range ``first:last`` (both included) or a list of months.
    available : sequence of str
        The data's months, in order.
    name : str
        The setting that gave `spec`, for messages.

    Returns
    -------
    list of str
        The data months `spec` names.

    Raises
    ------
    ConfigError
        Naming ``name`` if a month is malformed, missing from the data, or none given.
    """
    if isinstance(spec, str):
        first, _, last = spec.partition(":")
        last = last or first
        for m in (first, last):
            if not MONTH_RE.match(m.strip()):
                raise ConfigError(f"{name} = {spec!r}: months must be YYYY-MM or YYYY-MM:YYYY-MM")
        months = [m for m in available if first.strip() <= m <= last.strip()]
    else:
        months = list(spec)
        bad = [m for m in months if m not in available]
        if bad:
            raise ConfigError(f"{name}: month(s) {bad} not in the data ({available[0]} to "
                              f"{available[-1]})" if available else f"{name}: no data months")
    if not months:
        raise ConfigError(f"{name} = {spec!r}: no data months in that range "
                          f"(data: {', '.join(available)})")
    return months


def default_split(months: Sequence[str], test_months: int = 3) -> tuple[list[str], list[str]]:
    """All but the last ``test_months`` months to train, the rest to test.

    Parameters
    ----------
    months : sequence of str
        The data's months, in order.
    test_months : int
        Months to test on; at most half the months are taken.

    Returns
    -------
    train, test : list of str
        The training and the test months.

    Raises
    ------
    ConfigError
        If there are fewer than 2 months.
    """
    months = list(months)
    if len(months) < 2:
        raise ConfigError(f"out-of-sample check needs at least 2 months, got {months}")
    n_test = min(test_months, len(months) // 2)
    return months[:-n_test], months[-n_test:]


def prospective_scores(crimes: pd.DataFrame, network: StreetNetwork, train_months: Sequence[str],
                       settings: ProspectiveSettings | None = None) -> np.ndarray:
    """Prospective hotspotting risk at every node at the end of training.

    Each training crime (ASB excluded) no older than ``max_age_months``
    adds ``1/((1 + d/dscale)(1 + t/tscale))`` to each node within
    ``max_distance_m``; see :class:`ProspectiveSettings`.

    Parameters
    ----------
    crimes : pandas.DataFrame
        Snapped training crimes (``node``, ``is_asb``, ``month``).
    network : StreetNetwork
        The patrol graph.
    train_months : sequence of str
        The training months (a crime's age counts from the end of the last).
    settings : ProspectiveSettings, optional
        Distance and time decay (default: Bowers, Johnson & Pease 2004).

    Returns
    -------
    numpy.ndarray
        Risk per node.
    """
    p = settings or ProspectiveSettings()
    order = {m: i for i, m in enumerate(sorted(train_months))}
    c = crimes[~crimes["is_asb"].to_numpy(bool)]
    idx = month_column(c).map(order)
    age = (len(order) - 1 - idx.to_numpy(float)) + 0.5  # mid-month to end of training
    keep = np.isfinite(age) & (age <= p.max_age_months)
    if not keep.any():
        return np.zeros(network.n_nodes)
    node = c["node"].to_numpy(np.int64)[keep]
    time_w = np.bincount(node, weights=1 / (1 + age[keep] / p.time_scale_months),
                         minlength=network.n_nodes)
    src = np.flatnonzero(time_w)
    src_tree = cKDTree(np.column_stack([network.x[src], network.y[src]]))
    pairs = src_tree.sparse_distance_matrix(network.kdtree, p.max_distance_m,
                                            output_type="ndarray")
    w = time_w[src[pairs["i"]]] / (1 + pairs["v"] / p.distance_scale_m)
    # the "ndarray" output keeps zero-distance pairs, so a crime counts at its own node
    return np.bincount(pairs["j"], weights=w, minlength=network.n_nodes)


def method_scores(method: str, crimes: pd.DataFrame, network: StreetNetwork,
                  train_months: Sequence[str], w_asb: float = 1.0, w_count: float = 0.0,
                  prospective: ProspectiveSettings | None = None) -> np.ndarray:
    """Per-node forecast score of one out-of-sample method from training crimes.

    Parameters
    ----------
    method : str
        ``count``/``harm``/``composite``: totals over all training months at
        the node; ``prospective``: :func:`prospective_scores`; ``last_month``:
        crimes in the last training month only (the naive baseline).
    crimes : pandas.DataFrame
        Snapped crimes of every month.
    network : StreetNetwork
        The patrol graph.
    train_months : sequence of str
        The months to learn from.
    w_asb, w_count : float
        Weights of the composite score.
    prospective : ProspectiveSettings, optional
        Settings of the ``prospective`` method.

    Returns
    -------
    numpy.ndarray
        One score per node.
    """
    check_choice(method, METHODS, "methods")
    train = select_months(crimes, train_months)
    if method == "prospective":
        return prospective_scores(train, network, train_months, prospective)
    if method == "last_month":
        train = select_months(train, [max(train_months)])
        method = "count"
    return score_values(crime_values(train, network.n_nodes), method, w_asb, w_count)


def select_by_coverage(scores: np.ndarray, length: np.ndarray, coverage: float) -> np.ndarray:
    """Top places by score whose street length stays within ``coverage`` of the total.

    Only positive scores are chosen (ties: lower index first); the first
    place is always taken, so a place longer than the budget still counts.

    Parameters
    ----------
    scores : numpy.ndarray
        Score per place.
    length : numpy.ndarray
        Street length per place (metres).
    coverage : float
        Share of the total street length to cover, in (0, 1].

    Returns
    -------
    numpy.ndarray
        Indices of the chosen places, best first.
    """
    cand = np.flatnonzero(scores > 0)
    cand = cand[np.lexsort((cand, -scores[cand]))]
    budget = coverage * length.sum()
    n = int(np.searchsorted(np.cumsum(length[cand]), budget * (1 + 1e-12), side="right"))
    return cand[:max(n, min(1, cand.size))]


def out_of_sample(study, train_months, test_months,
                  methods: Sequence[str] = ("count", "harm", "prospective", "last_month"),
                  coverages: Sequence[float] = (0.01, 0.02, 0.05), level: str = "node",
                  cell_m: float = 125.0, w_asb: float = 1.0, w_count: float = 0.0,
                  prospective: ProspectiveSettings | None = None,
                  forecasts: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Choose places on training months, score them on later test months.

    Each method ranks places (nodes, or micro-places when ``level="micro"``)
    from training crimes; the top places are taken until they cover the
    ``coverage`` share of **street length** (a node's length is half of each
    street edge touching it; a micro-place's is the sum over its nodes).
    Then, over the test months:

    * ``hit_rate``: share of test crimes (ASB excluded) in the chosen places;
    * ``harm_hit_rate``: share of test harm (CHI days) in them;
    * ``pai``: Predictive Accuracy Index (Chainey, Tompson & Uhlig 2008) =
      hit rate / area share, with area share the chosen places' share of
      street length (1 = no better than patrolling streets at random);
      ``harm_pai`` likewise for harm.

    Parameters
    ----------
    study : Study
    train_months, test_months : str or sequence of str
        ``"2021-01:2021-07"`` or a list of months; every test month must
        come after every training month.
    methods : sequence of str
        From ``count``, ``harm``, ``composite``, ``prospective`` and
        ``last_month`` (counts in the last training month: the naive
        baseline).
    coverages : sequence of float
        Shares of street length, each in (0, 1].
    forecasts : mapping of str to numpy.ndarray, optional
        Scores per node made elsewhere from the training months (e.g. a
        simulation's crimes per node), ranked and scored exactly as the
        methods, under their own names.

    Returns
    -------
    pandas.DataFrame
        One row per method (then forecast) x coverage: ``method``, ``coverage``,
        ``n_places``, ``area_share`` (achieved), ``hit_rate``,
        ``harm_hit_rate``, ``pai``, ``harm_pai``, ``test_crimes``, ``test_harm``.
    """
    train, test = _check_split(study, train_months, test_months)
    methods = _check_methods(methods)
    coverages = _check_coverages(coverages)
    check_choice(level, LEVELS, "level")
    net = study.network
    place = np.arange(net.n_nodes) if level == "node" else micro_places(net, cell_m)
    length = np.bincount(place, weights=node_street_length(net))
    truth = crime_values(select_months(study.crimes, test), net.n_nodes)
    hits = np.bincount(place, weights=truth["crimes"].to_numpy())
    harm = np.bincount(place, weights=truth["harm"].to_numpy())
    node_scores = {m: method_scores(m, study.crimes, net, train, w_asb, w_count, prospective)
                   for m in methods} | dict(forecasts or {})
    rows = []
    for method, by_node in node_scores.items():
        scores = np.bincount(place, weights=by_node)
        for cov in coverages:
            chosen = select_by_coverage(scores, length, cov)
            rows.append(_score_selection(method, cov, chosen, length, hits, harm))
    return pd.DataFrame(rows)


def _score_selection(method: str, coverage: float, chosen: np.ndarray, length: np.ndarray,
                    hits: np.ndarray, harm: np.ndarray) -> dict:
    """Hit rates and PAI of chosen places against test crimes and harm per place."""
    area = length[chosen].sum() / length.sum()
    hit = _ratio(hits[chosen].sum(), hits.sum())
    harm_hit = _ratio(harm[chosen].sum(), harm.sum())
    return {"method": method, "coverage": coverage, "n_places": int(chosen.size),
            "area_share": area, "hit_rate": hit, "harm_hit_rate": harm_hit,
            "pai": _ratio(hit, area), "harm_pai": _ratio(harm_hit, area),
            "test_crimes": int(hits.sum()), "test_harm": float(harm.sum())}


def _ratio(a: float, b: float) -> float:
    """``a / b``, or NaN when ``b`` is not positive."""
    return float(a / b) if b > 0 else float("nan")


def _check_split(study, train_months, test_months) -> tuple[list[str], list[str]]:
    """Training and test months from their specs; every test month after every training month."""
    train = parse_months(train_months, study.months, "train_months")
    test = parse_months(test_months, study.months, "test_months")
    if max(train) >= min(test):
        raise ConfigError(f"test_months must all come after train_months (train ends "
                          f"{max(train)}, test starts {min(test)})")
    return train, test


def _check_methods(methods) -> list[str]:
    """The out-of-sample methods as a list, each one of :data:`METHODS`."""
    methods = [methods] if isinstance(methods, str) else list(methods)
    if not methods:
        raise ConfigError("methods: give at least one method")
    for m in methods:
        check_choice(m, METHODS, "methods")
    return methods


def _check_coverages(coverages) -> list[float]:
    """The coverages as a list of floats, each in (0, 1]."""
    coverages = list(np.atleast_1d(coverages))
    if not coverages or not all(isinstance(c, (int, float, np.floating)) and 0 < c <= 1
                                for c in coverages):
        raise ConfigError(f"coverages must be shares of street length in (0, 1], got {coverages}")
    return [float(c) for c in coverages]
