"""LSOAs: the harm index per Lower Layer Super Output Area, and its map.

Hertfordshire's Community Safety and Criminal Justice Plan ranks LSOAs by a
harm index built from crimes and ASB incidents; :func:`aggregate_by_lsoa`
computes it from cleaned police.uk rows and :func:`lsoa_harm_map` puts it on
the ONS boundary polygons read by :func:`read_lsoa_boundaries`.
"""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
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
