"""Write the hot spots and the LSOA harm map for people and GIS.

``hotspots.csv`` (spreadsheet-safe), ``hotspots.geojson`` (points, EPSG:4326)
and ``hotspots.gpkg``; the LSOA harm index as GeoJSON, GeoPackage and CSV.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..gis import write_hotspots_gpkg
from ..io import write_csv
from ..projection import frame_to_lonlat


def write_hotspots(table: pd.DataFrame, folder) -> dict[str, Path]:
    """Write the hot spot table for people and GIS.

    ``hotspots.csv`` (spreadsheet-safe), ``hotspots.geojson`` (points,
    EPSG:4326; every column is a property, NaN becomes null) and
    ``hotspots.gpkg`` (points and catchment circles, EPSG:27700).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~hotspot_sim.target.selection.target` (needs ``lon``, ``lat``,
        ``x``, ``y``).
    folder : Path
        Output folder (created if needed).

    Returns
    -------
    dict
        ``{"csv": path, "geojson": path, "gpkg": path}``.

    Raises
    ------
    DataError
        If the table lacks ``lon`` or ``lat``.
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

    Parameters
    ----------
    lsoa_map : geopandas.GeoDataFrame
        From :func:`~hotspot_sim.data.lsoa.lsoa_harm_map` (EPSG:27700).
    folder : Path
        Output folder (created if needed).

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
    frame_to_lonlat(lsoa_map).to_file(paths["lsoa_geojson"], driver="GeoJSON")
    lsoa_map.to_file(paths["lsoa_gpkg"], driver="GPKG", layer="lsoa_harm")
    write_csv(pd.DataFrame(lsoa_map.drop(columns="geometry")), paths["lsoa_csv"])
    return paths
