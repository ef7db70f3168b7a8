"""Every coordinate-system conversion in hotspot-sim, in one place.

hotspot-sim works in British National Grid metres (EPSG:27700) throughout:
street networks, crimes, GPS pings, hot spots and distances. Longitude and
latitude (WGS84, EPSG:4326) appear only at the edges: police.uk rows and
GPS exports come in as degrees, and GeoJSON files and web maps go out as
degrees. The functions here are the only ones that convert between the two.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

BNG = "EPSG:27700"
"""British National Grid: eastings and northings in metres."""

WGS84 = "EPSG:4326"
"""Longitude and latitude in degrees (GPS, police.uk, GeoJSON, web maps)."""


@lru_cache(maxsize=2)
def _transformer(source: str, target: str):
    """The (cached) pyproj transformer from `source` to `target`, x/y = lon/lat order."""
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


def to_bng(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitude/latitude to British National Grid metres.

    Parameters
    ----------
    lon, lat : array_like
        Degrees (EPSG:4326).

    Returns
    -------
    x, y : numpy.ndarray
        Easting and northing in metres (EPSG:27700).
    """
    x, y = _transformer(WGS84, BNG).transform(np.asarray(lon, dtype=float),
                                              np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Convert British National Grid metres to WGS84 longitude/latitude.

    Parameters
    ----------
    x, y : array_like
        Easting and northing in metres (EPSG:27700).

    Returns
    -------
    lon, lat : numpy.ndarray
        Degrees (EPSG:4326).
    """
    lon, lat = _transformer(BNG, WGS84).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def frame_to_bng(frame):
    """A GeoDataFrame (or GeoSeries) re-projected to British National Grid.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame or geopandas.GeoSeries
        With a coordinate system set (e.g. EPSG:4326 from a GeoJSON file).

    Returns
    -------
    geopandas.GeoDataFrame or geopandas.GeoSeries
        A copy in EPSG:27700.
    """
    return frame.to_crs(BNG)


def frame_to_lonlat(frame):
    """A GeoDataFrame (or GeoSeries) re-projected to WGS84 longitude/latitude.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame or geopandas.GeoSeries
        With a coordinate system set (EPSG:27700 in hotspot-sim).

    Returns
    -------
    geopandas.GeoDataFrame or geopandas.GeoSeries
        A copy in EPSG:4326, as GeoJSON requires.
    """
    return frame.to_crs(WGS84)


def graph_to_bng(graph):
    """An OSMnx street graph projected to British National Grid.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        As OSMnx reads or downloads it (node ``x``/``y`` in degrees).

    Returns
    -------
    networkx.MultiDiGraph
        The projected graph (node ``x``/``y`` and edge lengths in metres).
    """
    import osmnx as ox

    return ox.project_graph(graph, to_crs=BNG)
