"""Interactive maps (folium / Leaflet) of the street network, hot spots, crime and patrols.

:func:`hotspot_map` draws, each as a layer that can be switched on and off:

* the street network as thin grey lines (one MultiLineString GeoJSON layer,
  chains of short split edges merged, so even a town's network stays a small file);
* the hot spots as circles with a popup (id, police.uk location, LSOA, crimes,
  harm) and dashed catchment rings around them;
* crimes as a heat map and, per crime type, small coloured points;
* patrol traces from a GPS table: one thin polyline per officer per day.

Coordinates are British National Grid metres (EPSG:27700) everywhere else in
hotspot-sim; they are converted to longitude/latitude here with
:func:`hotspot_sim.projection.to_lonlat`.

Offline use: the HTML file is written without any internet access.  The map
tiles (OpenStreetMap) are fetched by the viewer's browser when the file is
opened; without internet the layers still draw on a blank background.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .network import StreetNetwork
from .projection import to_lonlat

ATTRIBUTION = "© OpenStreetMap contributors"
DATA_NOTE = (f"Street network {ATTRIBUTION} (ODbL). Crime data: data.police.uk "
             "(Open Government Licence v3.0).")
# Colours per police.uk crime type (tab20-like, readable on the OSM background).
TYPE_COLOURS = {
    "Anti-social behaviour": "#7f7f7f", "Bicycle theft": "#17becf", "Burglary": "#8c564b",
    "Criminal damage and arson": "#ff7f0e", "Drugs": "#9467bd", "Other crime": "#bcbd22",
    "Other theft": "#aec7e8", "Possession of weapons": "#000000", "Public order": "#e377c2",
    "Robbery": "#d62728", "Shoplifting": "#2ca02c", "Theft from the person": "#98df8a",
    "Vehicle crime": "#1f77b4", "Violence and sexual offences": "#c0392b",
}
OFFICER_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                   "#e377c2", "#17becf", "#bcbd22", "#393b79", "#637939", "#843c39"]
MAX_CRIME_POINTS = 20_000   # more than this: heat map only (points would make a huge file)


# --------------------------------------------------------------------------- geometry


def network_lines(network: StreetNetwork) -> list[list[int]]:
    """The network as node chains: runs of degree-2 nodes merged into one line each.

    Splitting long edges (``max_node_spacing_m``) puts many degree-2 nodes on
    every street; drawing each street once as a chain instead of one segment
    per edge halves the coordinates in the file.  Every edge is in exactly one
    chain.

    Parameters
    ----------
    network : StreetNetwork
        The prepared network (CSR ``indptr``, ``indices``).

    Returns
    -------
    list of list of int
        Node ids of each chain, in order along the street.
    """
    deg = np.diff(network.indptr)
    visited = set()
    chains: list[list[int]] = []
    indptr, indices = network.indptr, network.indices

    def walk(start: int, nxt: int) -> list[int]:
        chain = [start, nxt]
        visited.add((min(start, nxt), max(start, nxt)))
        prev, cur = start, nxt
        while deg[cur] == 2 and cur != start:
            a, b = indices[indptr[cur]:indptr[cur + 1]]
            step = int(b if a == prev else a)
            key = (min(cur, step), max(cur, step))
            if key in visited:
                break
            visited.add(key)
            chain.append(step)
            prev, cur = cur, step
        return chain

    for u in range(network.n_nodes):
        if deg[u] == 2:
            continue
        for v in indices[indptr[u]:indptr[u + 1]]:
            if (min(u, v), max(u, v)) not in visited:
                chains.append(walk(u, int(v)))
    # loops made only of degree-2 nodes
    for u, v in network.edges():
        if (int(u), int(v)) not in visited:
            chains.append(walk(int(u), int(v)))
    return chains


def network_geojson(network: StreetNetwork, decimals: int = 6) -> dict:
    """The street network as one GeoJSON MultiLineString feature (lon/lat).

    Parameters
    ----------
    network : StreetNetwork
        The prepared network (British National Grid coordinates).
    decimals : int
        Decimal places kept in longitude and latitude (6: about 0.1 m).

    Returns
    -------
    dict
        A GeoJSON FeatureCollection with one feature.
    """
    lon, lat = to_lonlat(network.x, network.y)
    lon, lat = np.round(lon, decimals), np.round(lat, decimals)
    lines = [[[float(lon[i]), float(lat[i])] for i in chain] for chain in network_lines(network)]
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "street network"},
        "geometry": {"type": "MultiLineString", "coordinates": lines}}]}


def _crime_type_column(crimes: pd.DataFrame) -> str | None:
    for col in ("Crime type", "crime_type"):
        if col in crimes.columns:
            return col
    return None


def _fmt(value, spec: str) -> str:
    try:
        return format(float(value), spec)
    except (TypeError, ValueError):
        return "-"


def _popup_html(row: pd.Series) -> str:
    def get(name, default="-"):
        v = row.get(name, default)
        return default if v is None or (isinstance(v, float) and np.isnan(v)) or v == "" else v

    return (f"<b>Hot spot {html.escape(str(get('hotspot_id')))}</b><br>"
            f"{html.escape(str(get('location')))}<br>"
            f"LSOA {html.escape(str(get('lsoa')))}<br>"
            f"crimes {_fmt(get('crimes', np.nan), '.0f')}"
            f" (+ ASB {_fmt(get('asb', np.nan), '.0f')})<br>"
            f"harm {_fmt(get('harm', np.nan), ',.0f')} CHI days")


# --------------------------------------------------------------------------- the map


def hotspot_map(network: StreetNetwork, hotspots: pd.DataFrame | None = None,
                crimes: pd.DataFrame | None = None, gps: pd.DataFrame | None = None,
                catchments_m: Sequence[float] = (100, 200), path=None,
                max_crime_points: int = MAX_CRIME_POINTS, zoom_start: int = 14):
    """An interactive Leaflet map of the network, hot spots, crime and patrol traces.

    Parameters
    ----------
    network : StreetNetwork
        Drawn as thin grey lines.
    hotspots : DataFrame, optional
        The table of :func:`hotspot_sim.target.target` (``hotspot_id``, ``x``,
        ``y``; ``location``, ``lsoa``, ``crimes``, ``asb``, ``harm`` and
        ``radius_m`` used when present; radius 100 m otherwise).
    crimes : DataFrame, optional
        BNG ``x``, ``y`` and a type column (``Crime type`` as in the police.uk
        study table, or ``crime_type`` as in a model's ``crimes_table``).
        Drawn as a heat map and as small points coloured by type (one layer
        per type; points omitted above ``max_crime_points``).
    gps : DataFrame, optional
        GPS pings (``officer``, ``time``, ``x``, ``y``) as from
        ``PatrolModel.gps_table``: one polyline per officer per day, broken
        where pings are more than 5 minutes apart.
    catchments_m : sequence of float
        Dashed rings this far beyond each hot spot's radius (as the
        experiment's ``rings_m``: with a 100 m hot spot, rings at 200 and 300 m).
    path : str or Path, optional
        Write the map to this HTML file (folders created).  Needs no internet:
        tiles are loaded by the browser that opens the file.
    max_crime_points : int
        More crimes than this are drawn as the heat map only.
    zoom_start : int
        Leaflet zoom level before the map fits the network's bounds.

    Returns
    -------
    folium.Map
    """
    import folium
    from folium.plugins import HeatMap

    lon, lat = to_lonlat(network.x, network.y)
    centre = [float(np.mean([lat.min(), lat.max()])), float(np.mean([lon.min(), lon.max()]))]
    # folium's default "OpenStreetMap" tiles carry the attribution
    # "© OpenStreetMap contributors" (with a link to the copyright page), as the
    # OSM tile usage policy and the ODbL require.
    fmap = folium.Map(location=centre, zoom_start=zoom_start, tiles="OpenStreetMap",
                      control_scale=True)
    fmap.fit_bounds([[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]])

    folium.GeoJson(network_geojson(network), name="Street network",
                   style_function=lambda _: {"color": "#555555", "weight": 1, "opacity": 0.6},
                   smooth_factor=1.0).add_to(fmap)

    if crimes is not None and len(crimes):
        _add_crimes(fmap, crimes, max_crime_points, HeatMap)
    if gps is not None and len(gps):
        _add_gps(fmap, gps)
    if hotspots is not None and len(hotspots):
        _add_hotspots(fmap, hotspots, catchments_m)

    folium.LayerControl(collapsed=False).add_to(fmap)
    note = (f'<div style="position: fixed; bottom: 4px; left: 4px; z-index: 9999; '
            f'background: rgba(255,255,255,0.8); padding: 2px 6px; font-size: 11px;">'
            f'{html.escape(DATA_NOTE)}</div>')
    fmap.get_root().html.add_child(folium.Element(note))
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fmap.save(str(path))
    return fmap


def _add_hotspots(fmap, hotspots: pd.DataFrame, catchments_m: Sequence[float]) -> None:
    import folium

    lon, lat = to_lonlat(hotspots["x"].to_numpy(float), hotspots["y"].to_numpy(float))
    radius = (hotspots["radius_m"].to_numpy(float) if "radius_m" in hotspots
              else np.full(len(hotspots), 100.0))
    spots = folium.FeatureGroup(name="Hot spots", show=True)
    rings = folium.FeatureGroup(name="Catchment rings", show=True)
    for i, (_, row) in enumerate(hotspots.reset_index(drop=True).iterrows()):
        where = [float(lat[i]), float(lon[i])]
        label = f"Hot spot {row.get('hotspot_id', i + 1)}"
        folium.Circle(where, radius=float(radius[i]), color="#c0392b", weight=2, fill=True,
                      fill_color="#c0392b", fill_opacity=0.25, tooltip=label,
                      popup=folium.Popup(_popup_html(row), max_width=300)).add_to(spots)
        for r in catchments_m:
            folium.Circle(where, radius=float(radius[i] + float(r)), color="#e67e22", weight=1.5,
                          fill=False, dash_array="6 6",
                          tooltip=f"{label}: {radius[i] + float(r):.0f} m").add_to(rings)
    rings.add_to(fmap)
    spots.add_to(fmap)


def _add_crimes(fmap, crimes: pd.DataFrame, max_points: int, HeatMap) -> None:
    import folium

    lon, lat = to_lonlat(crimes["x"].to_numpy(float), crimes["y"].to_numpy(float))
    ok = np.isfinite(lon) & np.isfinite(lat)
    HeatMap(np.column_stack([lat[ok], lon[ok]]).round(6).tolist(), name="Crime heat map",
            radius=12, blur=10, min_opacity=0.3, show=True).add_to(fmap)
    col = _crime_type_column(crimes)
    if col is None or len(crimes) > max_points:
        return
    types = crimes[col].fillna("unknown").astype(str).to_numpy()
    for ctype in sorted(set(types)):
        sel = (types == ctype) & ok
        colour = TYPE_COLOURS.get(ctype, "#333333")
        gj = {"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"type": ctype},
            "geometry": {"type": "MultiPoint", "coordinates":
                         np.column_stack([lon[sel], lat[sel]]).round(6).tolist()}}]}
        group = folium.FeatureGroup(name=f"Crimes: {ctype} ({int(sel.sum())})", show=False)
        folium.GeoJson(gj, marker=folium.CircleMarker(radius=3, weight=0, fill=True,
                                                      fill_opacity=0.8),
                       style_function=lambda _, c=colour: {"fillColor": c, "color": c},
                       tooltip=ctype).add_to(group)
        group.add_to(fmap)


def _add_gps(fmap, gps: pd.DataFrame, max_gap_min: float = 5.0) -> None:
    import folium

    g = gps.sort_values(["officer", "time"] if "time" in gps else ["officer", "tick"])
    lon, lat = to_lonlat(g["x"].to_numpy(float), g["y"].to_numpy(float))
    g = g.assign(_lon=np.round(lon, 6), _lat=np.round(lat, 6))
    if "time" in g:
        t = pd.to_datetime(g["time"])
        g["_day"] = t.dt.date.astype(str)
        g["_min"] = (t - t.min()).dt.total_seconds().to_numpy() / 60
    else:
        g["_day"] = (g["tick"] // 1440).astype(str)
        g["_min"] = g["tick"].astype(float)
    group = folium.FeatureGroup(name="Patrol traces (GPS)", show=True)
    officers = sorted(g["officer"].unique())
    for (officer, day), d in g.groupby(["officer", "_day"], sort=True):
        gap = np.diff(d["_min"].to_numpy(), prepend=-np.inf) > max_gap_min
        seg_id = np.cumsum(gap)
        xy = d[["_lat", "_lon"]].to_numpy()
        segments = []
        for s in np.unique(seg_id):
            pts = xy[seg_id == s]
            keep = np.r_[True, np.any(np.diff(pts, axis=0) != 0, axis=1)]  # drop standing still
            pts = pts[keep]
            if len(pts) >= 2:
                segments.append(pts.tolist())
        if not segments:
            continue
        colour = OFFICER_COLOURS[officers.index(officer) % len(OFFICER_COLOURS)]
        folium.PolyLine(segments, color=colour, weight=1.5, opacity=0.7,
                        tooltip=f"officer {officer}, {day}").add_to(group)
    group.add_to(fmap)


def layer_names(fmap) -> list[str]:
    """Names of the layers a map's layer control lists (for tests and checks).

    Parameters
    ----------
    fmap : folium.Map
        A map from :func:`hotspot_map`.

    Returns
    -------
    list of str
        Layer names in the order they were added.
    """
    return [child.layer_name for child in fmap._children.values()
            if getattr(child, "layer_name", None) and getattr(child, "control", False)]

