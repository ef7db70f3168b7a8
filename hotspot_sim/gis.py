"""GeoPackage files for GIS users: hot spots, catchments and crimes in EPSG:27700.

A GeoPackage (``.gpkg``) opens directly in QGIS and ArcGIS, holds several
layers in one file and keeps British National Grid coordinates as they are
(GeoJSON must be longitude/latitude).  ``target`` writes ``hotspots.gpkg``
(hot spot points and their catchment circles); ``run`` writes ``crimes.gpkg``
in the run folder (crimes, every attempt including deterred ones, and the
policy's hot spots and catchments when it has them).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import DataError
from .projection import BNG as CRS

DEFAULT_RADIUS_M = 100.0


def points(table: pd.DataFrame, what: str):
    """``table`` as a GeoDataFrame of points at its ``x``, ``y`` columns (EPSG:27700).

    Parameters
    ----------
    table : pandas.DataFrame
        Any table with British National Grid ``x``, ``y`` (other columns kept).
    what : str
        What the rows are, for the error message (e.g. ``"hot spot"``).

    Returns
    -------
    geopandas.GeoDataFrame
        The rows, index reset, with point geometry.

    Raises
    ------
    DataError
        When ``x`` or ``y`` is missing.
    """
    import geopandas as gpd

    missing = {"x", "y"} - set(table.columns)
    if missing:
        raise DataError(f"{what} table lacks column(s) {sorted(missing)} (British National "
                        "Grid metres) needed for the GeoPackage")
    table = table.reset_index(drop=True)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["x"], table["y"]), crs=CRS)


def catchments(hotspots: pd.DataFrame):
    """Circles of each hot spot's ``radius_m`` (100 m when absent) around its centre.

    Parameters
    ----------
    hotspots : pandas.DataFrame
        ``x``, ``y`` and optionally ``radius_m`` (missing values: 100 m).

    Returns
    -------
    geopandas.GeoDataFrame
        The hot spots with polygon geometry (16 segments a quarter circle).
    """
    gdf = points(hotspots, "hot spot")
    radius = gdf["radius_m"].fillna(DEFAULT_RADIUS_M) if "radius_m" in gdf else DEFAULT_RADIUS_M
    return gdf.set_geometry(gdf.buffer(radius, quad_segs=16))


def write_layers(layers: dict, path) -> Path:
    """Write ``{layer name: GeoDataFrame}`` to one GeoPackage, replacing any old file.

    Empty layers are written too (with their columns), so a run without crime
    still gives a file with every layer a GIS project expects.

    Parameters
    ----------
    layers : dict of str to geopandas.GeoDataFrame
        Layer name to contents (``catchments`` is written as polygons, others as points).
    path : str or pathlib.Path
        The ``.gpkg`` file (folders made).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # the GPKG driver would add layers to an old file
    for name, gdf in layers.items():
        kind = "Polygon" if name == "catchments" else "Point"
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio", geometry_type=kind)
    return path


def write_hotspots_gpkg(hotspots: pd.DataFrame, path) -> Path:
    """``hotspots.gpkg``: layers ``hotspots`` (points) and ``catchments`` (circles).

    Parameters
    ----------
    hotspots : pandas.DataFrame
        The target table (``x``, ``y``; ``radius_m`` optional).
    path : str or pathlib.Path
        The ``.gpkg`` file.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    return write_layers({"hotspots": points(hotspots, "hot spot"),
                         "catchments": catchments(hotspots)}, path)


def write_run_gpkg(tables: dict[str, pd.DataFrame], path) -> Path:
    """``crimes.gpkg`` of a run: layers ``crimes`` and ``attempts`` (with the outcome:
    committed, deterred or displaced), plus ``hotspots`` and ``catchments`` when the
    policy chose hot spots.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        A run's tables by name (``crimes``, ``attempts``, ``hotspots`` used when present).
    path : str or pathlib.Path
        The ``.gpkg`` file.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    layers = {name: points(tables[name], name) for name in ("crimes", "attempts")
              if name in tables}
    if "hotspots" in tables and len(tables["hotspots"]):
        layers["hotspots"] = points(tables["hotspots"], "hot spot")
        layers["catchments"] = catchments(tables["hotspots"])
    return write_layers(layers, path)
