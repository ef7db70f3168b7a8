"""Hot spot geofences for officers' devices and fleet systems: GeoJSON and GPX.

Each hot spot is a circle of ``radius_m`` around its centre, drawn in British
National Grid metres (so the radius is true on the ground) and converted to
WGS84 longitude/latitude, as GeoJSON (RFC 7946) and GPX 1.1 require.

* :func:`geofences_geojson` -- a FeatureCollection of closed polygons with
  properties ``id, radius_m, rank, arm`` (and ``block``);
* :func:`geofences_gpx` -- GPX 1.1: a waypoint per centre and a closed track per
  boundary (first point repeated last), which GPS units, phones and fleet systems
  import.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd

from ..errors import DataError

#: Points on each circle (a 150 m circle drawn with 64 points is within 0.2 m of true).
CIRCLE_POINTS = 64
GPX_NS = "http://www.topografix.com/GPX/1/1"
#: Decimal places of degrees written: 7 places is about 1 cm.
DEGREE_DIGITS = 7


def circle_lonlat(x: float, y: float, radius_m: float,
                  n_points: int = CIRCLE_POINTS) -> np.ndarray:
    """A closed circle around a BNG point as WGS84 ``(lon, lat)`` rows.

    Parameters
    ----------
    x, y : float
        Centre in EPSG:27700 metres.
    radius_m : float
        Radius in metres (> 0).
    n_points : int
        Distinct points on the circle.

    Returns
    -------
    numpy.ndarray
        (n_points + 1, 2) longitude, latitude; the last row repeats the first,
        counter-clockwise (the exterior ring order RFC 7946 asks for).
    """
    from ..projection import to_lonlat

    angle = np.linspace(0, 2 * np.pi, n_points, endpoint=False)
    lon, lat = to_lonlat(x + radius_m * np.cos(angle), y + radius_m * np.sin(angle))
    ring = np.round(np.column_stack([lon, lat]), DEGREE_DIGITS)
    return np.vstack([ring, ring[:1]])


def geofences_geojson(hotspots: pd.DataFrame) -> dict:
    """The hot spots as GeoJSON polygons (EPSG:4326).

    Parameters
    ----------
    hotspots : pandas.DataFrame
        ``hotspot_id, x, y, radius_m`` and optional ``rank, arm, block, location``.

    Returns
    -------
    dict
        A FeatureCollection, one Feature per hot spot, properties ``id, radius_m,
        rank, arm`` (and ``block``, ``location`` when present).

    Raises
    ------
    DataError
        A missing column or a radius that is not above 0.
    """
    table = _checked(hotspots)
    features = []
    for row in table.itertuples(index=False):
        ring = circle_lonlat(row.x, row.y, row.radius_m)
        props = {"id": _plain(row.hotspot_id), "radius_m": float(row.radius_m),
                 "rank": _plain(getattr(row, "rank", None)), "arm": getattr(row, "arm", None)}
        for extra in ("block", "location"):
            if extra in table:
                props[extra] = _plain(getattr(row, extra))
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": "Polygon", "coordinates": [ring.tolist()]}})
    return {"type": "FeatureCollection", "features": features}


def geofences_gpx(hotspots: pd.DataFrame, name: str = "hot spots") -> str:
    """The hot spots as GPX 1.1 text: a waypoint per centre, a closed track per boundary.

    Parameters
    ----------
    hotspots : pandas.DataFrame
        ``hotspot_id, x, y, radius_m``, optional ``lon, lat`` (centre), ``arm``.
    name : str
        The file's name in its metadata.

    Returns
    -------
    str
        The GPX document (UTF-8 XML declaration included).

    Raises
    ------
    DataError
        A missing column or a radius that is not above 0.
    """
    from ..projection import to_lonlat

    table = _checked(hotspots)
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", {"version": "1.1", "creator": "hotspot-sim"})
    meta = ET.SubElement(root, f"{{{GPX_NS}}}metadata")
    ET.SubElement(meta, f"{{{GPX_NS}}}name").text = name
    lon, lat = to_lonlat(table["x"], table["y"])
    labels = [_label(row) for row in table.itertuples(index=False)]
    for label, lo, la, row in zip(labels, lon, lat, table.itertuples(index=False)):
        wpt = _point(root, "wpt", lo, la)
        ET.SubElement(wpt, f"{{{GPX_NS}}}name").text = label
        ET.SubElement(wpt, f"{{{GPX_NS}}}desc").text = \
            f"centre; geofence radius {row.radius_m:g} m" + _arm_text(row)
    for label, row in zip(labels, table.itertuples(index=False)):
        trk = ET.SubElement(root, f"{{{GPX_NS}}}trk")
        ET.SubElement(trk, f"{{{GPX_NS}}}name").text = f"{label} boundary"
        seg = ET.SubElement(trk, f"{{{GPX_NS}}}trkseg")
        for lo, la in circle_lonlat(row.x, row.y, row.radius_m):
            _point(seg, "trkpt", lo, la)
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="unicode", xml_declaration=False).join(
        ['<?xml version="1.0" encoding="UTF-8"?>\n', "\n"])


def geojson_text(collection: dict) -> str:
    """GeoJSON as compact, stable text (one feature per line)."""
    lines = [json.dumps(f, separators=(",", ":")) for f in collection["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def _point(parent: ET.Element, tag: str, lon: float, lat: float) -> ET.Element:
    return ET.SubElement(parent, f"{{{GPX_NS}}}{tag}",
                         {"lat": f"{lat:.{DEGREE_DIGITS}f}", "lon": f"{lon:.{DEGREE_DIGITS}f}"})


def _label(row) -> str:
    rank = getattr(row, "rank", None)
    return f"HS {row.hotspot_id}" + (f" (rank {rank})" if rank is not None else "")


def _arm_text(row) -> str:
    arm = getattr(row, "arm", None)
    return f"; arm: {arm}" if arm else ""


def _checked(hotspots: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("hotspot_id", "x", "y", "radius_m") if c not in hotspots]
    if missing:
        raise DataError(f"hot spot table lacks column(s) {missing} for the geofences")
    radius = hotspots["radius_m"].to_numpy(float)
    if not (np.isfinite(radius) & (radius > 0)).all():
        raise DataError("hot spot table: every radius_m must be a number of metres above 0 "
                        "to draw a geofence")
    return hotspots.reset_index(drop=True)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


__all__ = ["CIRCLE_POINTS", "circle_lonlat", "geofences_geojson", "geofences_gpx",
           "geojson_text"]
