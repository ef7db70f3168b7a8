"""LSOAs: the harm index per Lower Layer Super Output Area, and its map.

Hertfordshire's Community Safety and Criminal Justice Plan ranks LSOAs by a
harm index built from crimes and ASB incidents; :func:`aggregate_by_lsoa`
computes it from cleaned police.uk rows and :func:`lsoa_harm_map` puts it on
the ONS boundary polygons read by :func:`read_lsoa_boundaries`.
:func:`local_harm_index` overlays the plan's three layers (crime harm by the
chosen index, ASB incidents, calls for service), each reported separately and
combined with the weights of :class:`LocalHarmWeights`.
"""

from __future__ import annotations

import gzip
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..choices import LOCAL_SCALES
from ..errors import ConfigError, DataError
from ..projection import WGS84, frame_to_bng
from .cleaning import most_common, require_columns

log = logging.getLogger(__name__)

LSOA_CODE_FIELDS = ("LSOA11CD", "LSOA21CD", "lsoa_code")
LSOA_NAME_FIELDS = ("LSOA11NM", "LSOA21NM", "lsoa_name")


def aggregate_by_lsoa(crimes: pd.DataFrame, asb_weight_in_index: float = 1.0) -> pd.DataFrame:
    """Crimes, ASB and harm per LSOA, ranked by a harm index.

    Hertfordshire's Community Safety and Criminal Justice Plan (2022-2027)
    builds a Harm Index at LSOA level from crimes and ASB incidents. Here::

        harm_index = harm + asb_weight_in_index * asb

    where ``harm`` is the sum of CHI days of the LSOA's crimes (Sherman,
    Neyroud & Neyroud 2016) and ``asb`` the count of ASB incidents, each
    given `asb_weight_in_index` days. Rows with no ``LSOA code`` are left
    out (with a logged warning).

    Parameters
    ----------
    crimes : pandas.DataFrame
        From :func:`clean_crimes` (``LSOA code``, ``LSOA name``, ``is_asb``, ``harm``).
    asb_weight_in_index : float
        Days of harm per ASB incident in the index.

    Returns
    -------
    pandas.DataFrame
        Index ``LSOA code``; columns ``LSOA name``, ``crimes``, ``asb``,
        ``harm``, ``harm_index``; sorted by ``harm_index`` descending
        (ties by code).
    """
    require_columns(crimes, ("LSOA code", "LSOA name", "is_asb", "harm"), "aggregate_by_lsoa")
    no_code = crimes["LSOA code"].isna().to_numpy()
    if no_code.any():
        log.warning("aggregate_by_lsoa: %d row(s) have no LSOA code and are left out", int(no_code.sum()))
    df = crimes.loc[~no_code]
    asb = df["is_asb"].astype(bool)
    grouped = df.assign(_crime=~asb, _asb=asb).groupby("LSOA code")
    out = pd.DataFrame(
        {
            "LSOA name": most_common(df, "LSOA code", "LSOA name"),
            "crimes": grouped["_crime"].sum().astype(np.int64),
            "asb": grouped["_asb"].sum().astype(np.int64),
            "harm": grouped["harm"].sum().astype(float),
        }
    )
    out.index.name = "LSOA code"
    out["harm_index"] = out["harm"] + float(asb_weight_in_index) * out["asb"]
    out = out.reset_index().sort_values(["harm_index", "LSOA code"], ascending=[False, True])
    return out.set_index("LSOA code")


def read_lsoa_boundaries(path: Path):
    """LSOA polygons from an ONS GeoJSON file (plain or ``.gz``), in British National Grid.

    Parameters
    ----------
    path : Path
        GeoJSON FeatureCollection in lon/lat with an LSOA code and name per
        feature (``LSOA11CD``/``LSOA11NM``, the 2021 equivalents, or
        ``lsoa_code``/``lsoa_name``).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``lsoa_code``, ``lsoa_name``, ``geometry`` (EPSG:27700).

    Raises
    ------
    DataError
        Naming the file when it cannot be read, is not GeoJSON or lacks the fields.
    """
    import geopandas as gpd

    path = Path(path)
    try:
        with (gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz"
              else open(path, encoding="utf-8")) as fh:
            features = json.load(fh)["features"]
    except (OSError, EOFError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: not a readable GeoJSON FeatureCollection of LSOA boundaries "
                        f"({type(exc).__name__}: {exc})") from exc
    if not features:
        raise DataError(f"{path}: holds no LSOA polygons")
    props = features[0].get("properties") or {}
    code = next((f for f in LSOA_CODE_FIELDS if f in props), None)
    name = next((f for f in LSOA_NAME_FIELDS if f in props), None)
    if code is None or name is None:
        raise DataError(f"{path}: features need an LSOA code and name field (one of "
                        f"{LSOA_CODE_FIELDS} and {LSOA_NAME_FIELDS}); found {sorted(props)}")
    gdf = gpd.GeoDataFrame.from_features(features, crs=WGS84)
    gdf = gdf.rename(columns={code: "lsoa_code", name: "lsoa_name"})
    return frame_to_bng(gdf[["lsoa_code", "lsoa_name", "geometry"]])


def lsoa_harm_map(by_lsoa: pd.DataFrame, boundaries, source: str = "boundaries"):
    """The LSOA harm index (:func:`aggregate_by_lsoa`) on the LSOA polygons.

    Every LSOA of the boundaries is kept (those with no recorded incident get
    0). Incidents in LSOAs the boundaries do not hold are counted and logged;
    when none of the crime data's LSOAs is in the boundaries, the two do not
    belong together (another place) and this is an error.

    Parameters
    ----------
    by_lsoa : pandas.DataFrame
        From :func:`aggregate_by_lsoa`.
    boundaries : geopandas.GeoDataFrame
        From :func:`read_lsoa_boundaries`.
    source : str
        Where the boundaries came from, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        ``lsoa_code``, ``lsoa_name``, ``crimes``, ``asb``, ``harm``,
        ``harm_index``, ``geometry`` (EPSG:27700), by harm index.

    Raises
    ------
    DataError
        When none of the crime data's LSOAs has a polygon (another place).
    """
    known = by_lsoa.index.isin(boundaries["lsoa_code"])
    if len(by_lsoa) and not known.any():
        raise DataError(f"{source}: none of the {len(by_lsoa)} LSOAs in the crime data is among "
                        f"its {len(boundaries)} polygons: the boundaries are of another place")
    if not known.all():
        missing = by_lsoa[~known]
        log.warning("%s: %d incident(s) in %d LSOA(s) without a polygon are left off the LSOA "
                    "map (e.g. %s)", source, int(missing["crimes"].sum() + missing["asb"].sum()),
                    len(missing), ", ".join(missing.index[:3]))
    values = by_lsoa[["crimes", "asb", "harm", "harm_index"]]
    out = boundaries.merge(values, left_on="lsoa_code", right_index=True, how="left")
    out[values.columns] = out[values.columns].fillna(0)
    out = out.astype({"crimes": np.int64, "asb": np.int64}).round({"harm": 1, "harm_index": 1})
    return out.sort_values(["harm_index", "lsoa_code"], ascending=[False, True]).reset_index(drop=True)


# ------------------------------------------------------------------ local harm index
CALL_GRADES = (1, 2, 3)
"""Call grades of the calls-for-service contract (1 = immediate, 2 = priority, 3 = scheduled)."""

LOCAL_LAYERS = ("crime_harm", "asb", "calls")
"""The layers of the local harm index, in report order."""



@dataclass(frozen=True)
class LocalHarmWeights:
    """Weights that combine the layers of the local harm index into one figure.

    The Hertfordshire Community Safety and Criminal Justice Plan (2022-2027)
    overlays crimes, ASB incidents and calls for service at LSOA level
    (REFERENCE.md) but states no weights, so every default below is an
    assumption, in the unit of the crime harm layer (e.g. CHI days).

    Attributes
    ----------
    crime_harm : float
        Multiplier of the crime harm layer: 1 (assumption: the chosen harm
        index as it is).
    asb : float
        Per ASB incident: 1 (assumption; the same as the scenario's
        ``crime.asb_weight_in_index``, one CHI day each, about a public order
        offence's 7.5 days / 7.5).
    calls : tuple of float
        Per call for service of grade 1, 2, 3: 1 each (assumption: a call
        counts like an ASB incident whatever its grade).
    scale : str
        ``units``: the parts are the layers times the weights, in the crime
        harm layer's unit (ASB and calls then count little beside harm
        days). ``share``: each weighted layer is first divided by its total
        over all LSOAs, so the crime harm and ASB parts sum to their weights
        and the calls parts to 1 (the grade weights then only mix the grades
        within the calls layer); with the default weights the three layers
        count equally (an assumption).
    """

    crime_harm: float = 1.0   # assumption: the chosen harm index as it is
    asb: float = 1.0          # assumption: as crime.asb_weight_in_index (1 day per incident)
    calls: tuple[float, float, float] = (1.0, 1.0, 1.0)  # assumption: 1 per call, any grade
    scale: str = "units"

    def __post_init__(self) -> None:
        if self.scale not in LOCAL_SCALES:
            raise ConfigError(f"local harm weights: scale {self.scale!r} must be one of "
                              f"{', '.join(LOCAL_SCALES)}")
        values = {"crime_harm": self.crime_harm, "asb": self.asb,
                  **{f"calls grade {g}": w for g, w in zip(CALL_GRADES, self.calls)}}
        if len(self.calls) != len(CALL_GRADES):
            raise ConfigError(f"local harm weights: calls needs one weight per grade "
                              f"{CALL_GRADES}, got {self.calls!r}")
        for name, value in values.items():
            if isinstance(value, bool) or not np.isfinite(value) or value < 0:
                raise ConfigError(f"local harm weight {name} must be a finite number >= 0, "
                                  f"got {value!r}")


def assign_lsoa(x, y, boundaries, max_distance_m: float = 100.0) -> pd.Series:
    """The LSOA of each point: the polygon it lies in, else the nearest within `max_distance_m`.

    Points on a boundary line belong to the first polygon holding them; a
    point outside every polygon (a call on the far side of the study edge,
    or a location rounded into a river) takes the nearest LSOA when it is
    at most `max_distance_m` away, else none.

    Parameters
    ----------
    x, y : array_like
        British National Grid metres.
    boundaries : geopandas.GeoDataFrame
        From :func:`read_lsoa_boundaries` (``lsoa_code``, EPSG:27700).
    max_distance_m : float
        Farthest a point outside every polygon may be from the LSOA it is given.

    Returns
    -------
    pandas.Series
        LSOA code per point (object; missing where none).
    """
    import geopandas as gpd

    x, y = np.asarray(x, float), np.asarray(y, float)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=boundaries.crs)
    polys = boundaries[["lsoa_code", "geometry"]]
    inside = gpd.sjoin(points, polys, how="left", predicate="within")
    inside = inside[~inside.index.duplicated(keep="first")]["lsoa_code"]
    out = inside.reindex(range(len(x))).astype(object)
    outside = out.isna().to_numpy()
    if outside.any() and max_distance_m > 0:
        near = gpd.sjoin_nearest(points[outside], polys, how="left", max_distance=max_distance_m)
        near = near[~near.index.duplicated(keep="first")]["lsoa_code"]
        out.loc[near.index] = near.to_numpy()
    return out.where(out.notna(), None)


def _crime_layers(crimes: pd.DataFrame, boundaries) -> pd.DataFrame:
    """Crimes, crime harm and ASB per LSOA (rows without an LSOA code placed by polygon)."""
    require_columns(crimes, ("is_asb", "harm"), "local_harm_index (crimes)")
    code = (crimes["LSOA code"] if "LSOA code" in crimes
            else pd.Series(None, index=crimes.index, dtype=object)).astype(object)
    missing = code.isna().to_numpy()
    if missing.any() and boundaries is not None and {"x", "y"} <= set(crimes.columns):
        code.loc[missing] = assign_lsoa(crimes.loc[missing, "x"], crimes.loc[missing, "y"],
                                        boundaries).to_numpy()
    lost = int(code.isna().sum())
    if lost:
        log.warning("local harm index: %d crime/ASB row(s) have no LSOA and are left out", lost)
    asb = crimes["is_asb"].astype(bool).to_numpy()
    df = pd.DataFrame({"lsoa_code": code.to_numpy(), "crimes": ~asb, "asb": asb,
                       "crime_harm": np.where(asb, 0.0, crimes["harm"].to_numpy(float))})
    return df.dropna(subset=["lsoa_code"]).groupby("lsoa_code")[
        ["crimes", "asb", "crime_harm"]].sum()


def _call_layer(calls: pd.DataFrame, boundaries) -> pd.DataFrame:
    """Calls for service per LSOA and grade (columns ``calls_grade_1..3``, ``calls``)."""
    require_columns(calls, ("x", "y", "grade"), "local_harm_index (calls)")
    grade = pd.to_numeric(calls["grade"], errors="coerce")
    wrong = ~grade.isin(CALL_GRADES).to_numpy()
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        which = f"call {calls['call_id'].iat[i]}" if "call_id" in calls else f"row {i}"
        raise DataError(f"calls for service: {int(wrong.sum())} call(s) with a grade outside "
                        f"{CALL_GRADES}, e.g. {which}: grade {str(calls['grade'].iat[i])!r}")
    code = assign_lsoa(calls["x"], calls["y"], boundaries)
    lost = int(code.isna().sum())
    if lost:
        log.warning("local harm index: %d call(s) lie over 100 m outside every LSOA and are "
                    "left out", lost)
    df = pd.DataFrame({"lsoa_code": code.to_numpy(), "grade": grade.astype(int).to_numpy()})
    table = (df.dropna(subset=["lsoa_code"]).groupby(["lsoa_code", "grade"]).size()
             .unstack(fill_value=0).reindex(columns=list(CALL_GRADES), fill_value=0))
    table.columns = [f"calls_grade_{g}" for g in CALL_GRADES]
    table["calls"] = table.sum(axis=1)
    return table


def local_harm_index(crimes: pd.DataFrame, calls: pd.DataFrame | None = None,
                     boundaries=None, weights: LocalHarmWeights | None = None) -> pd.DataFrame:
    """A local harm index per LSOA from crime harm, ASB incidents and calls for service.

    As the Hertfordshire plan describes (REFERENCE.md), three layers are
    counted per LSOA and reported separately, then combined::

        local_harm_index = crime_harm_part + asb_part + calls_part
        crime_harm_part  = weights.crime_harm * (harm of the LSOA's crimes, chosen index)
        asb_part         = weights.asb * ASB incidents
        calls_part       = sum over grades g of weights.calls[g] * calls of grade g

    With ``weights.scale == "share"`` each part is then divided by its total
    over the LSOAs (times ``weights.crime_harm`` / ``weights.asb`` for the
    first two; the calls layer counts 1), so the layers count by their
    weights, not by their units.

    Crimes are placed by their police.uk ``LSOA code`` (or, without one, by
    their point on `boundaries`); calls by point in polygon, or the nearest
    LSOA within 100 m (:func:`assign_lsoa`).

    Parameters
    ----------
    crimes : pandas.DataFrame
        Cleaned crimes (``is_asb``, ``harm``, ``LSOA code`` and/or ``x``, ``y``).
    calls : pandas.DataFrame, optional
        Calls for service (``x``, ``y``, ``grade`` 1..3; the shared CAD contract).
    boundaries : geopandas.GeoDataFrame, optional
        LSOA polygons (:func:`read_lsoa_boundaries`); needed for calls.
    weights : LocalHarmWeights, optional
        Default: all assumptions of 1 (see :class:`LocalHarmWeights`).

    Returns
    -------
    pandas.DataFrame
        Index ``lsoa_code``; ``crimes``, ``crime_harm``, ``asb``,
        ``calls_grade_1..3``, ``calls``, the parts ``crime_harm_part``,
        ``asb_part``, ``calls_part``, ``local_harm_index`` and each part's
        ``share_*`` of the index; every LSOA of the boundaries (0 where
        nothing happened); sorted by the index, highest first.

    Raises
    ------
    ConfigError
        If calls are given without boundaries.
    DataError
        If a column is missing or a call grade is not 1..3.
    """
    w = weights or LocalHarmWeights()
    if calls is not None and boundaries is None:
        raise ConfigError("calls for service need LSOA boundaries ([crime] lsoa_boundaries) "
                          "to be placed in LSOAs")
    table = _crime_layers(crimes, boundaries)
    call_cols = [f"calls_grade_{g}" for g in CALL_GRADES] + ["calls"]
    table = table.join(_call_layer(calls, boundaries), how="outer") if calls is not None \
        else table.assign(**{c: 0 for c in call_cols})
    if boundaries is not None:
        table = table.reindex(table.index.union(pd.Index(boundaries["lsoa_code"])))
    table = table.fillna(0)
    table.index.name = "lsoa_code"
    table = table.astype({c: np.int64 for c in ["crimes", "asb"] + call_cols})
    table["crime_harm_part"] = w.crime_harm * table["crime_harm"]
    table["asb_part"] = w.asb * table["asb"]
    table["calls_part"] = sum(wg * table[f"calls_grade_{g}"] for g, wg in zip(CALL_GRADES, w.calls))
    parts = ["crime_harm_part", "asb_part", "calls_part"]
    if w.scale == "share":  # each layer as its LSOAs' shares, times the layer's weight
        for part, weight in zip(parts, (w.crime_harm, w.asb, 1.0)):
            total = table[part].sum()
            table[part] = table[part] / total * weight if total > 0 else 0.0
    table["local_harm_index"] = table[parts].sum(axis=1)
    total = table["local_harm_index"].where(table["local_harm_index"] > 0)
    for part, layer in zip(parts, LOCAL_LAYERS):
        table[f"share_{layer}"] = (table[part] / total).fillna(0.0)
    return table.reset_index().sort_values(["local_harm_index", "lsoa_code"],
                                           ascending=[False, True]).set_index("lsoa_code")
