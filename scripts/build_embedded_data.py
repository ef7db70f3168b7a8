#!/usr/bin/env python
"""Rebuild the embedded Welwyn Hatfield dataset shipped in ``hotspot_sim/data/datasets/``.

The embedded dataset is a small, compressed clip of the full Hertfordshire data
(``$HOTSPOT_SIM_DATA``, e.g. ``../shared/data``) in the *same layout*, so a
scenario's relative paths (``osm/welwyn_hatfield.osm``, ``police_uk``) resolve
in either place::

    osm/welwyn_hatfield.osm.bz2                      OSM XML, bzip2 (OSMnx reads it)
    osm/hatfield.osm.bz2
    police_uk/YYYY-MM/YYYY-MM-hertfordshire-street.csv.gz
                                                     police.uk bulk layout, gzip; only
                                                     the rows whose point lies in the box
    boundaries/herts_lsoa_2011.geojson.gz            the LSOA polygons that touch the box
    MANIFEST.json                                    sources, checksums, rows left out
    DATA_LICENSE.md                                  ODbL (OSM), OGL v3 (police.uk, ONS)

Rows are copied byte for byte (the police.uk reader checks the clip exactly as
it checks a bulk download). Rows left out are counted by reason in
``MANIFEST.json``, which ``hotspot-sim data summary`` reports.

Usage::

    HOTSPOT_SIM_DATA=../shared/data python scripts/build_embedded_data.py
    python scripts/build_embedded_data.py --source ../shared/data --box W S E N --out DIR
"""

from __future__ import annotations

import argparse
import bz2
import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "hotspot_sim" / "data" / "datasets"
SIZE_LIMIT = 2 * 1024 * 1024  # the package data must stay under 2 MB
OSM_FILES = ("welwyn_hatfield.osm", "hatfield.osm")
LSOA_FILE = "boundaries/herts_lsoa_2011.geojson"
FORCE = "hertfordshire"


# The reader turns a scenario's lon/lat study area into the British National Grid
# rectangle that holds it, which is a little larger than the lon/lat box; the
# clip keeps a margin so that every row the reader would keep is in it.
MARGIN_DEG = 0.01


def default_box() -> list[float]:
    """The default scenario's study area (lon/lat) widened by the margin."""
    with open(REPO / "scenarios" / "welwyn_hatfield.toml", "rb") as fh:
        west, south, east, north = tomllib.load(fh)["crime"]["study_area"]
    return [west - MARGIN_DEG, south - MARGIN_DEG, east + MARGIN_DEG, north + MARGIN_DEG]


DATA_LICENSE = """\
# Licences of the embedded data

This folder is a small clip of public data about Welwyn Garden City and Hatfield
(Hertfordshire), built by `scripts/build_embedded_data.py` from the full files; see
`MANIFEST.json` for the sources, their checksums and the rows left out. The licences of
the sources apply to it.

## Street networks: `osm/*.osm.bz2`

© OpenStreetMap contributors. Available under the Open Database Licence (ODbL) 1.0,
https://opendatacommons.org/licenses/odbl/1-0/ ; see https://www.openstreetmap.org/copyright.
Derived from Geofabrik's Hertfordshire extract (car-navigable roads). If you publish maps
or data made from it, attribute "© OpenStreetMap contributors" and share derived
databases under the ODbL.

## Street-level crime: `police_uk/*/*.csv.gz`

Hertfordshire Constabulary street-level crime, 2021-01 to 2021-10, from https://data.police.uk
(bulk download layout), clipped to the study area. Contains public sector information
licensed under the Open Government Licence v3.0,
https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/

## Boundaries: `boundaries/herts_lsoa_2011.geojson.gz`

Lower Layer Super Output Areas (2011), generalised, the polygons that touch the study
area. Source: Office for National Statistics, licensed under the Open Government Licence
v3.0. Contains OS data © Crown copyright and database right. Contains National
Statistics data © Crown copyright and database right.
"""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def in_box(lon: str, lat: str, box: list[float]) -> bool | None:
    """True/False for a row's point; None when it has no usable coordinates."""
    try:
        x, y = float(lon), float(lat)
    except ValueError:
        return None
    if x != x or y != y:  # nan
        return None
    west, south, east, north = box
    return west <= x <= east and south <= y <= north


def clip_police_month(src: Path, box: list[float]) -> tuple[bytes, dict]:
    """Keep the header and every record whose point lies in ``box``, byte for byte."""
    text = src.read_bytes().decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    ilon, ilat = header.index("Longitude"), header.index("Latitude")
    kept, counts = [lines[0]], {"rows": 0, "kept": 0, "no_coordinates": 0, "outside_box": 0}
    for line in lines[1:]:
        if not line.strip():
            continue
        row = next(csv.reader([line]))
        counts["rows"] += 1
        where = in_box(row[ilon], row[ilat], box) if len(row) == len(header) else None
        if where:
            kept.append(line)
            counts["kept"] += 1
        elif where is None:
            counts["no_coordinates"] += 1
        else:
            counts["outside_box"] += 1
    return "".join(kept).encode("utf-8"), counts


def polygon_touches_box(geometry: dict, box: list[float]) -> bool:
    """Whether a GeoJSON (Multi)Polygon's bounding box overlaps ``box``."""
    coords: list = []

    def walk(c):
        if c and isinstance(c[0], (int, float)):
            coords.append(c)
        else:
            for item in c:
                walk(item)

    walk(geometry["coordinates"])
    xs, ys = [c[0] for c in coords], [c[1] for c in coords]
    west, south, east, north = box
    return not (max(xs) < west or min(xs) > east or max(ys) < south or min(ys) > north)


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def gzip_bytes(data: bytes) -> bytes:
    # mtime=0: the same input gives the same bytes, so a rebuild shows no spurious change
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0) as fh:
        fh.write(data)
    return buf.getvalue()


def build(source: Path, out: Path, box: list[float]) -> dict:
    manifest: dict = {
        "what": "Welwyn Hatfield clip of the Hertfordshire data, in the HOTSPOT_SIM_DATA layout",
        "built_by": "scripts/build_embedded_data.py",
        "built_on": dt.date.today().isoformat(),
        "study_area_lonlat": box,
        "files": {},
        "police_uk_left_out": {"no_coordinates": 0, "outside_box": 0},
    }
    for name in OSM_FILES:
        raw = (source / "osm" / name).read_bytes()
        packed = bz2.compress(raw, 9)
        write(out / "osm" / (name + ".bz2"), packed)
        manifest["files"][f"osm/{name}.bz2"] = {"source": f"osm/{name}", "source_sha256": sha256(raw)}

    months = sorted(p.name for p in (source / "police_uk").iterdir() if p.is_dir())
    for month in months:
        rel = f"police_uk/{month}/{month}-{FORCE}-street.csv"
        src = source / rel
        if not src.is_file():
            continue
        clipped, counts = clip_police_month(src, box)
        write(out / (rel + ".gz"), gzip_bytes(clipped))
        manifest["files"][rel + ".gz"] = {"source": rel, "source_sha256": sha256(src.read_bytes()),
                                          **counts}
        for reason in manifest["police_uk_left_out"]:
            manifest["police_uk_left_out"][reason] += counts[reason]

    lsoa = json.loads((source / LSOA_FILE).read_text(encoding="utf-8"))
    n_all = len(lsoa["features"])
    lsoa["features"] = [f for f in lsoa["features"] if polygon_touches_box(f["geometry"], box)]
    write(out / (LSOA_FILE + ".gz"), gzip_bytes(json.dumps(lsoa, separators=(",", ":")).encode()))
    manifest["files"][LSOA_FILE + ".gz"] = {
        "source": LSOA_FILE, "source_sha256": sha256((source / LSOA_FILE).read_bytes()),
        "features": len(lsoa["features"]), "features_in_source": n_all}

    write(out / "DATA_LICENSE.md", DATA_LICENSE.encode())
    write(out / "MANIFEST.json", (json.dumps(manifest, indent=2) + "\n").encode())
    return manifest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", type=Path, default=os.environ.get("HOTSPOT_SIM_DATA"),
                   help="the full data folder (default: $HOTSPOT_SIM_DATA)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    p.add_argument("--box", type=float, nargs=4, metavar=("W", "S", "E", "N"),
                   help="clip box in lon/lat (default: the welwyn_hatfield scenario's study area "
                        f"plus {MARGIN_DEG} degrees)")
    args = p.parse_args(argv)
    if args.source is None or not Path(args.source).is_dir():
        p.error("give --source DIR or set HOTSPOT_SIM_DATA to the full data folder "
                "(osm/, police_uk/, boundaries/)")
    manifest = build(Path(args.source), args.out, args.box or default_box())
    sizes = {f: (args.out / f).stat().st_size for f in manifest["files"]}
    total = sum(sizes.values())
    kept = sum(v.get("kept", 0) for v in manifest["files"].values())
    print(f"wrote {len(sizes)} files to {args.out}: {total / 1024:,.0f} KiB; "
          f"police.uk rows kept {kept:,}, left out {manifest['police_uk_left_out']}")
    if total > SIZE_LIMIT:
        print(f"error: {total:,} bytes is over the {SIZE_LIMIT:,}-byte limit for package data",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
