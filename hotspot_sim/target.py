"""Target: rank places by harm and choose the hot spots to patrol.

The first of Sherman's (2013) three Ts: *target* the "power few" places
where crime harm concentrates.  This module

* scores places (street-network nodes, or ~125 m micro-places) by crime
  count, Cambridge Crime Harm Index (CHI) days, or a composite that also
  counts ASB incidents as the Hertfordshire plan's harm index does;
* chooses ``k`` hot spots greedily by score with a minimum separation, so
  that treated and untreated places in a trial do not contaminate each other;
* describes the power-few curve (share of harm in the top x% of places);
* writes the hot spot table as CSV and GeoJSON;
* checks out of sample whether places chosen on earlier months still hold
  crime in later months (hit rate and Predictive Accuracy Index, PAI).

Each default names its source where it is set.  police.uk dates are
months only, so every time in this module is in whole months.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from .errors import ConfigError, DataError
from .gis import write_hotspots_gpkg
from .network import StreetNetwork
from .io import write_csv

RANK_BY = ("harm", "count", "composite")
LEVELS = ("node", "micro")
_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class TargetSettings:
    """How hot spots are chosen.

    Attributes
    ----------
    k : int
        Hot spots to choose.  Southend-on-Sea used 20 (Basford et al. 2021),
        Bedfordshire 21 (Bland et al. 2021).
    min_separation_m : float
        Smallest straight-line distance between two hot spot centres.  300 m
        is two 100 m catchments plus the 100 m buffer in which Bland et al.
        (2021) found no displacement, so a treated hot spot's deterrence does
        not spill into an untreated one (Braga et al. 2019: diffusion of
        benefits is common).
    radius_m : float
        A hot spot's catchment: crimes within this distance of its centre
        node.  Trial hot spots are 100-150 m across (Ariel et al. 2016: 150 m
        radius; Bland et al. 2021: 100 m buffers); matches
        ``deterrence.radius_m``.
    rank_by : str
        ``"harm"`` (CHI days; Sherman 2013 ranks by harm), ``"count"``
        (crimes, ASB excluded) or ``"composite"``.
    w_asb, w_count : float
        Composite score = harm + ``w_asb`` * ASB incidents + ``w_count`` *
        crimes.  ``w_asb`` = 1 day per incident as in the Hertfordshire
        harm index (``crime.asb_weight_in_index``).
    level : str
        ``"node"``: each street node with its catchment is a candidate place;
        ``"micro"``: square micro-places of ``cell_m`` metres.
    cell_m : float
        Micro-place size (trial hot spots are 100-150 m across).
    windows : tuple of str
        Optional time-of-day windows ("18:00-02:00") stored with the hot
        spots for policies to use: one for all, or one per hot spot.
    """

    k: int = 20
    min_separation_m: float = 300.0
    radius_m: float = 100.0
    rank_by: str = "harm"
    w_asb: float = 1.0
    w_count: float = 0.0
    level: str = "node"
    cell_m: float = 125.0
    windows: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        check_positive_int(self.k, "k")
        check_non_negative(self.min_separation_m, "min_separation_m")
        check_non_negative(self.radius_m, "radius_m")
        check_non_negative(self.w_asb, "w_asb")
        check_non_negative(self.w_count, "w_count")
        check_choice(self.rank_by, RANK_BY, "rank_by")
        check_choice(self.level, LEVELS, "level")
        if not self.cell_m > 0:
            raise ConfigError(f"cell_m must be > 0, got {self.cell_m!r}")
        check_windows(self.windows, self.k)


@dataclass(frozen=True)
class ProspectiveSettings:
    """Prospective hotspotting (Bowers, Johnson & Pease 2004).

    A past crime ``d`` metres away and ``t`` months old adds
    ``1 / ((1 + d/distance_scale_m) (1 + t/time_scale_months))`` to a place,
    if ``d <= max_distance_m`` and ``t <= max_age_months``.  Bowers et al.
    measured distance in 50 m grid cells and time in weeks, cut off at about
    400 m and 8 weeks (near repeats last 2 weeks to 2 months; Johnson et al.
    2007).  police.uk gives months only, so a crime's age is taken from the
    middle of its month to the end of training: 0.5 months for the last
    training month, 1.5 for the one before; with the 8-week cut-off only the
    last two training months count.
    """

    distance_scale_m: float = 50.0
    time_scale_months: float = 7 / 30.4375  # one week
    max_distance_m: float = 400.0
    max_age_months: float = 8 * 7 / 30.4375  # eight weeks

    def __post_init__(self) -> None:
        for name in ("distance_scale_m", "time_scale_months", "max_distance_m", "max_age_months"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"prospective {name} must be > 0, got {getattr(self, name)!r}")


def check_positive_int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")


def check_non_negative(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 \
            or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")


def check_choice(value, choices: Sequence[str], name: str) -> None:
    if value not in choices:
        raise ConfigError(f"{name} = {value!r}: must be one of {', '.join(choices)}")


def parse_window(window: str) -> tuple[int, int]:
    """``"18:00-02:00"`` -> (1080, 120): start and end in minutes after midnight.

    An end before the start wraps past midnight.

    Raises
    ------
    ConfigError
        If the text is not ``HH:MM-HH:MM`` (24-hour clock).
    """
    m = _WINDOW_RE.match(str(window).strip())
    if not m:
        raise ConfigError(f"windows: {window!r} is not a time-of-day window like '18:00-02:00'")
    h1, m1, h2, m2 = map(int, m.groups())
    return 60 * h1 + m1, 60 * h2 + m2


def check_windows(windows, k: int) -> None:
    if isinstance(windows, str):
        raise ConfigError(f"windows must be a sequence of strings, got the string {windows!r}")
    if len(windows) not in (0, 1, k):
        raise ConfigError(f"windows: give none, one for all or one per hot spot (k={k}), "
                          f"got {len(windows)}")
    for w in windows:
        parse_window(w)


# --------------------------------------------------------------------------- places


def micro_places(network: StreetNetwork, size_m: float = 125.0) -> np.ndarray:
    """Assign each node to a square micro-place ``size_m`` metres across.

    Cells are aligned to multiples of ``size_m`` in British National Grid
    metres and numbered 0..n_cells-1 (only cells holding a node), in order
    of (column, row).

    Returns
    -------
    numpy.ndarray
        Cell id per node (int64).
    """
    if not size_m > 0:
        raise ConfigError(f"size_m must be > 0, got {size_m!r}")
    col = np.floor(network.x / size_m).astype(np.int64)
    row = np.floor(network.y / size_m).astype(np.int64)
    _, cell = np.unique(np.column_stack([col, row]), axis=0, return_inverse=True)
    return cell.ravel().astype(np.int64)


def node_street_length(network: StreetNetwork) -> np.ndarray:
    """Half the length of every edge at each node (metres); sums to the network length."""
    return 0.5 * np.add.reduceat(network.edge_length, network.indptr[:-1]) * \
        (np.diff(network.indptr) > 0)


def crime_values(crimes: pd.DataFrame, n_nodes: int) -> pd.DataFrame:
    """Non-ASB crimes, ASB incidents and harm (CHI days) per node.

    Returns
    -------
    pandas.DataFrame
        Index 0..n_nodes-1; columns ``crimes``, ``asb``, ``harm``.
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
    """The ranking score from :func:`crime_values` columns.

    ``count`` = crimes (ASB excluded); ``harm`` = CHI days; ``composite`` =
    harm + ``w_asb`` * ASB + ``w_count`` * crimes.
    """
    check_choice(rank_by, RANK_BY, "rank_by")
    if rank_by == "count":
        return values["crimes"].to_numpy(float)
    if rank_by == "harm":
        return values["harm"].to_numpy(float)
    return (values["harm"] + w_asb * values["asb"] + w_count * values["crimes"]).to_numpy(float)


def catchment_matrix(network: StreetNetwork, radius_m: float) -> sp.csr_matrix:
    """Sparse (n_nodes, n_nodes) 0/1 matrix: row i marks nodes within ``radius_m`` of node i."""
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


# --------------------------------------------------------------------------- choosing


def greedy_separated(scores: np.ndarray, x: np.ndarray, y: np.ndarray, k: int,
                     min_separation_m: float) -> np.ndarray:
    """Indices of up to ``k`` positive-score points, best first, pairwise >= min separation.

    Ties in score go to the lower index.
    """
    scores = np.asarray(scores, float)
    cand = np.flatnonzero(scores > 0)
    cand = cand[np.lexsort((cand, -scores[cand]))]
    chosen: list[int] = []
    for i in cand:
        if chosen and np.min(np.hypot(x[chosen] - x[i], y[chosen] - y[i])) < min_separation_m:
            continue
        chosen.append(int(i))
        if len(chosen) == k:
            break
    return np.asarray(chosen, dtype=np.int64)


def choose_hotspots(scores, network: StreetNetwork, k: int = 20, min_separation_m: float = 300.0,
                    *, crimes: pd.DataFrame | None = None, radius_m: float = 100.0,
                    windows: Sequence[str] = (), crime_types: Sequence[str] | None = None
                    ) -> pd.DataFrame:
    """Choose ``k`` hot spots greedily by score, at least ``min_separation_m`` apart.

    Parameters
    ----------
    scores : array_like
        One score per network node (e.g. from :func:`score_places`).  Only
        positive scores are candidates, so fewer than ``k`` may be returned.
    network : StreetNetwork
    k : int
        Hot spots wanted.
    min_separation_m : float
        Smallest straight-line distance between chosen centres (see
        :class:`TargetSettings` for why 300 m).
    crimes : pandas.DataFrame, optional
        Snapped crimes (``node``, ``is_asb``, ``harm``, ``Crime type``,
        ``Location``, ``LSOA code``) to describe each hot spot's catchment.
    radius_m : float
        Catchment radius around the centre node.
    windows : sequence of str
        Time-of-day windows: none, one for all, or one per chosen hot spot.
    crime_types : sequence of str, optional
        Count columns to include (default: the types present in ``crimes``).

    Returns
    -------
    pandas.DataFrame
        ``hotspot_id`` (1..), ``node``, ``x``, ``y`` (BNG m), ``lon``, ``lat``,
        ``location`` (most common police.uk Location in the catchment),
        ``lsoa``, one count per crime type, ``crimes`` (ASB excluded),
        ``asb``, ``harm``, ``score``, ``radius_m``, ``window``.
    """
    check_positive_int(k, "k")
    check_non_negative(min_separation_m, "min_separation_m")
    check_non_negative(radius_m, "radius_m")
    windows = tuple(windows)
    check_windows(windows, k)
    scores = np.asarray(scores, float).ravel()
    if scores.shape != (network.n_nodes,):
        raise ConfigError(f"scores: need one per node ({network.n_nodes}), got {scores.size}")
    nodes = greedy_separated(scores, network.x, network.y, k, min_separation_m)
    lon, lat = to_lonlat(network.x[nodes], network.y[nodes])
    table = pd.DataFrame({"hotspot_id": np.arange(1, len(nodes) + 1), "node": nodes,
                          "x": network.x[nodes], "y": network.y[nodes], "lon": lon, "lat": lat})
    if crimes is not None:
        table = table.join(describe_catchments(crimes, network, nodes, radius_m, crime_types))
    table["score"] = scores[nodes]
    table["radius_m"] = float(radius_m)
    table["window"] = (list(windows) * len(nodes) if len(windows) == 1
                       else list(windows[:len(nodes)]) if windows else "")
    return table


def describe_catchments(crimes: pd.DataFrame, network: StreetNetwork, nodes: np.ndarray,
                        radius_m: float, crime_types: Sequence[str] | None = None
                        ) -> pd.DataFrame:
    """Location, LSOA, counts by type, crimes, ASB and harm within ``radius_m`` of each node.

    A crime counts for a centre when its snapped node is within the radius.
    Returns one row per entry of ``nodes`` (index 0..len-1).
    """
    near = network.kdtree.query_ball_point(
        np.column_stack([network.x[nodes], network.y[nodes]]), r=radius_m)
    hs = np.repeat(np.arange(len(nodes)), [len(n) for n in near])
    pairs = pd.DataFrame({"hs": hs, "node": np.concatenate(near).astype(np.int64)
                          if len(hs) else np.zeros(0, np.int64)})
    rows = pairs.merge(crimes, on="node")
    types = list(crime_types) if crime_types is not None else \
        sorted(crimes["Crime type"].dropna().unique())
    idx = pd.RangeIndex(len(nodes))
    out = pd.DataFrame({"location": most_common(rows, "Location"),
                        "lsoa": most_common(rows, "LSOA code")}, index=idx)
    by_type = rows.groupby(["hs", "Crime type"]).size().unstack(fill_value=0)
    out = out.join(by_type.reindex(index=idx, columns=types, fill_value=0).fillna(0)
                   .astype(np.int64))
    asb = rows["is_asb"].to_numpy(bool)
    out["crimes"] = np.bincount(rows["hs"][~asb], minlength=len(nodes))
    out["asb"] = np.bincount(rows["hs"][asb], minlength=len(nodes))
    out["harm"] = np.bincount(rows["hs"], weights=rows["harm"].to_numpy(float),
                              minlength=len(nodes))
    return out


def most_common(rows: pd.DataFrame, col: str) -> pd.Series:
    """Most frequent non-missing ``col`` per ``hs`` (ties: alphabetically first)."""
    if col not in rows:
        return pd.Series(dtype=object)
    n = rows.groupby(["hs", col]).size().reset_index(name="_n")
    n = n.sort_values(["hs", "_n", col], ascending=[True, False, True])
    return n.drop_duplicates("hs").set_index("hs")[col]


@lru_cache(maxsize=1)
def _bng_to_wgs84():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid metres -> WGS84 longitude, latitude (degrees)."""
    lon, lat = _bng_to_wgs84().transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def target(study, settings: TargetSettings | None = None,
           months: Sequence[str] | None = None) -> pd.DataFrame:
    """Choose the hot spot table for a :class:`~hotspot_sim.study.Study`.

    Parameters
    ----------
    study : Study
    settings : TargetSettings, optional
    months : sequence of str, optional
        Use crimes of these months only (default: all the study's months).

    Raises
    ------
    ConfigError
        When fewer than ``settings.k`` places can be chosen (too few places with
        crime, or too far apart): a silent shortfall would look like a k-spot plan.
    """
    s = settings or TargetSettings()
    crimes = study.crimes if months is None else select_months(study.crimes, months)
    scores = score_places(crimes, study.network, s.rank_by, s.level, s.radius_m, s.cell_m,
                          s.w_asb, s.w_count)
    table = choose_hotspots(scores, study.network, s.k, s.min_separation_m, crimes=crimes,
                            radius_m=s.radius_m, windows=s.windows,
                            crime_types=study.crime_types)
    if len(table) < s.k:  # never fewer hot spots than asked for without saying so
        raise ConfigError(f"k = {s.k}: only {len(table)} places with a {s.rank_by} score above 0 "
                          f"are at least {s.min_separation_m:g} m apart in this study area and "
                          f"months; ask for at most {len(table)} hot spots (or a smaller "
                          "minimum separation)")
    return table


# --------------------------------------------------------------------------- power few


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
    v = check_values(values)
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
    """
    if isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 < pct <= 100:
        raise ConfigError(f"pct must be a percent in (0, 100], got {pct!r}")
    curve = power_few_curve(values)
    if curve.empty:
        return float("nan")
    n_top = max(1, math.ceil(len(curve) * pct / 100 - 1e-9))
    return float(curve["share_of_total"].iloc[n_top - 1])


def check_values(values) -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    if v.size and (not np.all(np.isfinite(v)) or v.min() < 0):
        raise ConfigError("values must be finite and non-negative")
    return v


def place_totals(study, level: str = "node", cell_m: float = 125.0,
                 column: str = "harm") -> np.ndarray:
    """``crimes``, ``asb`` or ``harm`` per place (node or micro-place) for power-few curves."""
    v = crime_values(study.crimes, study.network.n_nodes)[column].to_numpy()
    check_choice(level, LEVELS, "level")
    return v if level == "node" else np.bincount(micro_places(study.network, cell_m), weights=v)


# --------------------------------------------------------------------------- export


def write_hotspots(table: pd.DataFrame, folder) -> dict[str, Path]:
    """Write ``hotspots.csv``, ``hotspots.geojson`` (points, EPSG:4326) and
    ``hotspots.gpkg`` (points and catchment circles, EPSG:27700) to ``folder``.

    Every column is a GeoJSON property; NaN becomes null.

    Returns
    -------
    dict
        ``{"csv": path, "geojson": path, "gpkg": path}``.
    """
    missing = {"lon", "lat"} - set(table.columns)
    if missing:
        raise DataError(f"hot spot table lacks column(s) {sorted(missing)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"csv": folder / "hotspots.csv", "geojson": folder / "hotspots.geojson"}
    write_csv(table, paths["csv"])
    records = json.loads(table.to_json(orient="records"))  # numpy -> plain, NaN -> null
    features = [{"type": "Feature",
                 "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                 "properties": r} for r in records]
    paths["geojson"].write_text(json.dumps({"type": "FeatureCollection", "features": features},
                                           indent=1), encoding="utf-8")
    paths["gpkg"] = write_hotspots_gpkg(table, folder / "hotspots.gpkg")
    return paths


def write_lsoa_harm(lsoa_map, folder) -> dict[str, Path]:
    """Write the LSOA harm index map (:meth:`Study.lsoa_harm_map`) for GIS and people.

    ``lsoa_harm.geojson`` (EPSG:4326, as GeoJSON requires), ``lsoa_harm.gpkg``
    (EPSG:27700, opens in QGIS/ArcGIS) and ``lsoa_harm.csv`` (no geometry).

    Returns
    -------
    dict
        ``{"lsoa_geojson": path, "lsoa_gpkg": path, "lsoa_csv": path}``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"lsoa_geojson": folder / "lsoa_harm.geojson", "lsoa_gpkg": folder / "lsoa_harm.gpkg",
             "lsoa_csv": folder / "lsoa_harm.csv"}
    for path in (paths["lsoa_geojson"], paths["lsoa_gpkg"]):
        path.unlink(missing_ok=True)  # GDAL drivers append to an existing file
    lsoa_map.to_crs(4326).to_file(paths["lsoa_geojson"], driver="GeoJSON")
    lsoa_map.to_file(paths["lsoa_gpkg"], driver="GPKG", layer="lsoa_harm")
    write_csv(pd.DataFrame(lsoa_map.drop(columns="geometry")), paths["lsoa_csv"])
    return paths


# --------------------------------------------------------------------------- out of sample


def month_column(crimes: pd.DataFrame) -> pd.Series:
    """The ``month`` (or police.uk ``Month``) column as 'YYYY-MM' text."""
    for col in ("month", "Month"):
        if col in crimes:
            return crimes[col].astype(str)
    raise DataError("crimes table has no 'month' or 'Month' column")


def select_months(crimes: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    return crimes[month_column(crimes).isin(list(months)).to_numpy()]


def parse_months(spec, available: Sequence[str], name: str) -> list[str]:
    """Months from ``"2021-01:2021-07"``, ``"2021-08"`` or a list, checked against the data.

    Raises
    ------
    ConfigError
        Naming ``name`` if a month is malformed, missing from the data, or none given.
    """
    if isinstance(spec, str):
        first, _, last = spec.partition(":")
        last = last or first
        for m in (first, last):
            if not _MONTH_RE.match(m.strip()):
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
    """All but the last ``test_months`` months to train, the rest to test."""
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


METHODS = ("count", "harm", "composite", "prospective", "last_month")


def method_scores(method: str, crimes: pd.DataFrame, network: StreetNetwork,
                  train_months: Sequence[str], w_asb: float = 1.0, w_count: float = 0.0,
                  prospective: ProspectiveSettings | None = None) -> np.ndarray:
    """Per-node forecast score of one out-of-sample method from training crimes.

    ``count``/``harm``/``composite``: totals over all training months at the
    node; ``prospective``: :func:`prospective_scores`; ``last_month``: crimes
    in the last training month only (the naive baseline).
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
                  prospective: ProspectiveSettings | None = None) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        One row per method x coverage: ``method``, ``coverage``,
        ``n_places``, ``area_share`` (achieved), ``hit_rate``,
        ``harm_hit_rate``, ``pai``, ``harm_pai``, ``test_crimes``, ``test_harm``.
    """
    train, test = check_split(study, train_months, test_months)
    methods = check_methods(methods)
    coverages = check_coverages(coverages)
    check_choice(level, LEVELS, "level")
    net = study.network
    place = np.arange(net.n_nodes) if level == "node" else micro_places(net, cell_m)
    length = np.bincount(place, weights=node_street_length(net))
    truth = crime_values(select_months(study.crimes, test), net.n_nodes)
    hits = np.bincount(place, weights=truth["crimes"].to_numpy())
    harm = np.bincount(place, weights=truth["harm"].to_numpy())
    rows = []
    for method in methods:
        node_scores = method_scores(method, study.crimes, net, train, w_asb, w_count, prospective)
        scores = np.bincount(place, weights=node_scores)
        for cov in coverages:
            chosen = select_by_coverage(scores, length, cov)
            rows.append(score_selection(method, cov, chosen, length, hits, harm))
    return pd.DataFrame(rows)


def score_selection(method: str, coverage: float, chosen: np.ndarray, length: np.ndarray,
                    hits: np.ndarray, harm: np.ndarray) -> dict:
    """Hit rates and PAI of chosen places against test crimes and harm per place."""
    area = length[chosen].sum() / length.sum()
    hit = ratio(hits[chosen].sum(), hits.sum())
    harm_hit = ratio(harm[chosen].sum(), harm.sum())
    return {"method": method, "coverage": coverage, "n_places": int(chosen.size),
            "area_share": area, "hit_rate": hit, "harm_hit_rate": harm_hit,
            "pai": ratio(hit, area), "harm_pai": ratio(harm_hit, area),
            "test_crimes": int(hits.sum()), "test_harm": float(harm.sum())}


def ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def check_split(study, train_months, test_months) -> tuple[list[str], list[str]]:
    train = parse_months(train_months, study.months, "train_months")
    test = parse_months(test_months, study.months, "test_months")
    if max(train) >= min(test):
        raise ConfigError(f"test_months must all come after train_months (train ends "
                          f"{max(train)}, test starts {min(test)})")
    return train, test


def check_methods(methods) -> list[str]:
    methods = [methods] if isinstance(methods, str) else list(methods)
    if not methods:
        raise ConfigError("methods: give at least one method")
    for m in methods:
        check_choice(m, METHODS, "methods")
    return methods


def check_coverages(coverages) -> list[float]:
    coverages = list(np.atleast_1d(coverages))
    if not coverages or not all(isinstance(c, (int, float, np.floating)) and 0 < c <= 1
                                for c in coverages):
        raise ConfigError(f"coverages must be shares of street length in (0, 1], got {coverages}")
    return [float(c) for c in coverages]
