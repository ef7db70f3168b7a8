"""Where hotspot-sim finds things: the data root and the shipped scenario and experiment files.

The data root is the folder named by ``HOTSPOT_SIM_DATA`` or, when it is unset, the
embedded Welwyn Hatfield dataset in ``hotspot_sim/data/datasets``; scenario data paths
(``osm/...``, ``police_uk``) are relative to it.  Scenarios and experiments are found by
path or by the name of a file shipped with the package.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import ConfigError

DATA_ENV_VAR = "HOTSPOT_SIM_DATA"

EMBEDDED_DATA = Path(__file__).resolve().parent / "data" / "datasets"
"""The embedded Welwyn Hatfield dataset: a compressed clip of the full data in the
same layout (built by ``scripts/build_embedded_data.py``; see its ``MANIFEST.json``)."""

COMPRESSED_SUFFIXES = (".bz2", ".gz")
"""A data file may be stored compressed: ``x.osm`` is also found as ``x.osm.bz2``."""


def data_root() -> Path:
    """The data folder: ``$HOTSPOT_SIM_DATA`` when set, else the embedded dataset.

    Returns
    -------
    Path
        The folder that scenario data paths (``osm/...``, ``police_uk``) are relative to.

    Raises
    ------
    ConfigError
        If ``HOTSPOT_SIM_DATA`` is set but names no folder (never a silent fallback
        to the embedded data: results would then come from other data than asked).
    """
    value = os.environ.get(DATA_ENV_VAR)
    if not value:
        return EMBEDDED_DATA
    root = Path(value).expanduser()
    if not root.is_dir():
        raise ConfigError(f"{DATA_ENV_VAR}={value!r} is not a folder: point it at the folder "
                          "holding osm/ and police_uk/, or unset it to use the embedded "
                          "Welwyn Hatfield data")
    return root


def data_source() -> dict[str, str]:
    """Which data is in use, for summaries and run metadata.

    Returns
    -------
    dict
        ``kind`` (``"embedded"`` or ``"HOTSPOT_SIM_DATA"``), ``root`` and a one-line
        ``description``.
    """
    root = data_root()
    if root == EMBEDDED_DATA:
        manifest = json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))
        left_out = manifest["police_uk_left_out"]
        return {"kind": "embedded", "root": str(root),
                "description": "embedded Welwyn Hatfield clip shipped with hotspot-sim "
                               "(set HOTSPOT_SIM_DATA for the full county data)",
                "clip_note": f"the clip was cut from the county files by "
                             f"{manifest['built_by']}: {left_out['outside_box']:,} rows outside "
                             f"the study area and {left_out['no_coordinates']:,} without "
                             "coordinates were left out then (see MANIFEST.json)"}
    return {"kind": DATA_ENV_VAR, "root": str(root),
            "description": f"{DATA_ENV_VAR}={os.environ[DATA_ENV_VAR]}"}


def find_data_file(path: Path) -> Path:
    """``path`` itself, or its compressed copy (``.bz2``, ``.gz``) when only that exists.

    Returns ``path`` unchanged when neither exists, so the caller's "not found"
    message names the file the scenario asked for.
    """
    if path.exists():
        return path
    for suffix in COMPRESSED_SUFFIXES:
        packed = path.with_name(path.name + suffix)
        if packed.exists():
            return packed
    return path


def resolve_data_path(relative: str) -> Path:
    """Resolve a scenario data path: absolute paths as they are, others under the data root.

    A file stored compressed (``.bz2``/``.gz``) is found under its plain name.
    """
    path = Path(relative).expanduser()
    return find_data_file(path if path.is_absolute() else data_root() / path)


def data_location_hint() -> str:
    """Where data paths are looked for, for error messages."""
    source = data_source()
    if source["kind"] == "embedded":
        return (f"relative to the embedded dataset {source['root']}, which holds only Welwyn "
                f"Hatfield; set {DATA_ENV_VAR} to a folder with your own data")
    return f"relative to {source['description']}"


PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_folder(kind: str) -> Path:
    """The folder of shipped ``"scenarios"`` or ``"experiments"``.

    A wheel carries them inside the package (``pyproject.toml`` maps the
    repository's top-level folders there); an editable install imports the
    package from the checkout, where they are the package's siblings.
    """
    inside = PACKAGE_DIR / kind
    return inside if inside.is_dir() else PACKAGE_DIR.parent / kind


def shipped_names(kind: str) -> list[str]:
    """Names of the shipped scenario or experiment files (without ``.toml``)."""
    folder = shipped_folder(kind)
    return sorted(p.relative_to(folder).with_suffix("").as_posix() for p in folder.rglob("*.toml"))


def resolve_toml(ref: str | Path, kind: str, relative_to: Path | None = None) -> Path:
    """Find a scenario or experiment file from a path or a shipped name.

    Parameters
    ----------
    ref
        A path (absolute, or relative to ``relative_to`` or the working directory),
        or the bare name of a shipped file (``"welwyn_hatfield"``,
        ``"policy_comparison"``; ``"scenarios/welwyn_hatfield.toml"`` also works
        from any working directory).
    kind
        ``"scenarios"`` or ``"experiments"``.
    relative_to
        The folder of the file that names ``ref`` (an experiment naming its scenario).

    Returns
    -------
    Path

    Raises
    ------
    ConfigError
        Naming ``ref``, the places looked in and the shipped names.
    """
    path = Path(ref).expanduser()
    if path.is_absolute():
        candidates = [path]
    else:
        shipped = shipped_folder(kind)
        inner = Path(*path.parts[1:]) if path.parts[0] == kind and len(path.parts) > 1 else path
        candidates = [(relative_to / path) if relative_to else None, path,
                      shipped / inner, shipped / inner.with_name(inner.name + ".toml")]
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return candidate
    what = kind[:-1]
    raise ConfigError(f"{what} {str(ref)!r} not found: it is not a file (looked in "
                      f"{Path.cwd()}{' and ' + str(relative_to) if relative_to else ''}) nor a "
                      f"shipped {what} ({', '.join(shipped_names(kind))})")
