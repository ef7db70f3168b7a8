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


def format_target(study, s, table, power, n_places, oos, files, harm_index: str = "chi") -> str:
    """The chosen hot spots, the power few and the out-of-sample table as text."""
    unit = "street nodes" if s.level == "node" else f"{s.cell_m:.0f} m micro-places"
    ranked = s.rank_by if s.rank_by == "count" else f"{s.rank_by} ({harm_index})"
    out = [f"Scenario {study.scenario.scenario.name}: {len(table)} hot spots ranked by "
           f"{ranked} over {study.months[0]} to {study.months[-1]} "
           f"(catchment {s.radius_m:.0f} m, at least {s.min_separation_m:.0f} m apart)", "",
           f"  {'id':>3} {'crimes':>6} {'ASB':>4} {'harm':>9}  {'LSOA':<10} location"]
    for r in table.itertuples():
        window = f"  [{r.window}]" if r.window else ""
        out.append(f"  {r.hotspot_id:>3} {r.crimes:>6} {r.asb:>4} {r.harm:>9,.1f}  "
                   f"{str(r.lsoa):<10} {r.location}{window}")
    out += ["", f"Power few: the top 1% of {n_places:,} {unit} hold {100 * power['top_1pct']:.1f}% "
            f"of harm, the top 5% hold {100 * power['top_5pct']:.1f}%", "",
            "Out of sample: places chosen on training months, crimes of later months",
            f"  {'method':<12} {'coverage':>8} {'places':>6} {'hit rate':>8} "
            f"{'harm hit':>8} {'PAI':>6}"]
    for r in oos.itertuples():
        out.append(f"  {r.method:<12} {100 * r.coverage:>7.0f}% {r.n_places:>6} "
                   f"{100 * r.hit_rate:>7.1f}% {100 * r.harm_hit_rate:>7.1f}% {r.pai:>6.1f}")
    out += ["  (coverage and PAI by share of street length; PAI = hit rate / area share)", "",
            "Wrote " + ", ".join(str(p) for p in files.values())]
    return "\n".join(out)


def write_table(table: pd.DataFrame, folder, name: str, index: bool = False) -> Path:
    """Write one output table as ``folder/name`` (spreadsheet-safe CSV).

    Used for ``local_harm.csv`` (the local harm index per LSOA, index kept),
    ``excluded.csv`` (candidates left out by the eligibility rules) and
    ``harm_index_comparison.csv``.

    Parameters
    ----------
    table : pandas.DataFrame
        The table.
    folder : Path
        Output folder (created if needed).
    name : str
        File name.
    index : bool
        Write the index as the first column(s).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(table.reset_index() if index else table, path)
    return path


def format_local_harm(table: pd.DataFrame, unit: str, weights, top: int = 5) -> str:
    """The LSOAs with the highest local harm index, each layer's part shown."""
    how = (f"{weights.crime_harm:g} x crime harm ({unit}) + {weights.asb:g} per ASB incident + "
           f"{'/'.join(f'{w:g}' for w in weights.calls)} per call of grade 1/2/3"
           if weights.scale == "units" else
           f"each layer as shares of its total, weighted {weights.crime_harm:g} (crime harm, "
           f"{unit}) / {weights.asb:g} (ASB) / 1 (calls)")
    out = [f"Local harm index by LSOA: {how} (weights are assumptions; layers in "
           "local_harm.csv)",
           f"  {'LSOA':<10} {'index':>10} {'crime harm':>11} {'ASB':>7} {'calls':>7}"]
    fmt = ",.1f" if weights.scale == "units" else ".4f"  # shares are small fractions
    for code, r in table.head(top).iterrows():
        out.append(f"  {code:<10} {r['local_harm_index']:>10{fmt}} "
                   f"{r['crime_harm_part']:>11{fmt}} {r['asb_part']:>7{fmt}} "
                   f"{r['calls_part']:>7{fmt}}")
    n = min(10, len(table))
    by_harm = table.sort_values(["crime_harm"], ascending=False, kind="stable").head(n).index
    both = len(set(table.head(n).index) & set(by_harm))
    out.append(f"  {both} of the top {n} LSOAs by this index are in the top {n} by crime harm "
               "alone" + (" (ASB and calls move the others in)" if both < n else ""))
    return "\n".join(out)
