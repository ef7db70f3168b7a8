"""The embedded Welwyn Hatfield dataset and name resolution: hotspot-sim works with
only the repository (no HOTSPOT_SIM_DATA), from any working directory."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hotspot_sim.errors import ConfigError
from hotspot_sim.locations import (EMBEDDED_DATA, data_root, data_source, resolve_data_path,
                                   resolve_toml)
from hotspot_sim.settings import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = ROOT / "scripts" / "build_embedded_data.py"


def _build_module():
    spec = importlib.util.spec_from_file_location("build_embedded_data", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _without_data_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "HOTSPOT_SIM_DATA"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


# --------------------------------------------------------------------------- the data root


def test_embedded_data_is_the_default(monkeypatch):
    monkeypatch.delenv("HOTSPOT_SIM_DATA", raising=False)
    assert data_root() == EMBEDDED_DATA
    assert data_source()["kind"] == "embedded"
    # the scenario's plain names find the compressed files
    assert resolve_data_path("osm/welwyn_hatfield.osm").name == "welwyn_hatfield.osm.bz2"


def test_data_variable_naming_no_folder_is_an_error_not_a_fallback(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTSPOT_SIM_DATA", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="is not a folder"):
        data_root()


def test_a_file_missing_from_the_embedded_data_says_so(monkeypatch):
    from hotspot_sim.errors import NetworkError
    from hotspot_sim.network import osm_path
    from hotspot_sim.settings import NetworkSettings

    monkeypatch.delenv("HOTSPOT_SIM_DATA", raising=False)
    with pytest.raises(NetworkError, match="embedded dataset .* only Welwyn Hatfield"):
        osm_path(NetworkSettings(osm_file="osm/st_albans.osm"))


def test_embedded_data_is_small_licensed_and_listed():
    manifest = json.loads((EMBEDDED_DATA / "MANIFEST.json").read_text())
    files = [EMBEDDED_DATA / name for name in manifest["files"]]
    assert all(f.is_file() for f in files)
    shipped = [p for p in EMBEDDED_DATA.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in shipped) < 2 * 1024 * 1024
    assert {p.relative_to(EMBEDDED_DATA).as_posix() for p in shipped} == \
        set(manifest["files"]) | {"MANIFEST.json", "DATA_LICENSE.md"}
    licence = (EMBEDDED_DATA / "DATA_LICENSE.md").read_text()
    for words in ("OpenStreetMap contributors", "Open Database Licence",
                  "Open Government Licence v3.0", "Crown copyright"):
        assert words in licence


# --------------------------------------------------------------------------- clip == full data


def test_build_script_rebuilds_the_committed_clip_exactly(county_data, tmp_path):
    build = _build_module()
    manifest = build.build(county_data, tmp_path, build.default_box())
    committed = json.loads((EMBEDDED_DATA / "MANIFEST.json").read_text())
    for m in (manifest, committed):
        m.pop("built_on")
    assert manifest == committed
    for name in list(manifest["files"]) + ["DATA_LICENSE.md"]:
        assert (tmp_path / name).read_bytes() == (EMBEDDED_DATA / name).read_bytes(), name


def test_embedded_study_equals_the_county_data_on_the_study_area(county_data, monkeypatch,
                                                                  wh_scenario):
    from hotspot_sim.study import load_study

    monkeypatch.setenv("HOTSPOT_SIM_DATA", str(county_data))
    full = load_study(wh_scenario)
    monkeypatch.delenv("HOTSPOT_SIM_DATA")
    clip = load_study(wh_scenario)
    assert np.array_equal(full.network.x, clip.network.x)
    cols = ["node", "Crime type", "harm", "Month", "Location", "LSOA code"]
    assert full.crimes[cols].equals(clip.crimes[cols])
    assert clip.drops.kept == full.drops.kept
    # the clip left out, when it was built, what the full read drops here
    assert clip.drops.no_coordinates == 0 < full.drops.no_coordinates
    assert clip.drops.outside_study_area < full.drops.outside_study_area


# --------------------------------------------------------------------------- names


def test_shipped_names_resolve_from_any_directory(monkeypatch, tmp_path):
    from hotspot_sim.trial import load_experiment

    monkeypatch.chdir(tmp_path)
    assert load_scenario("welwyn_hatfield").scenario.name == "welwyn_hatfield"
    assert load_scenario("scenarios/welwyn_hatfield.toml").scenario.name == "welwyn_hatfield"
    assert load_scenario("calibrated/welwyn_hatfield").source.endswith("calibrated/welwyn_hatfield.toml")
    exp = load_experiment("policy_comparison")
    assert exp.name == "policy_comparison"
    assert load_experiment("experiments/koper_dose.toml").name == "koper_dose"


def test_a_local_file_wins_over_a_shipped_name(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "scenarios" / "welwyn_hatfield.toml").read_text()
    (tmp_path / "welwyn_hatfield.toml").write_text(text.replace('name = "welwyn_hatfield"',
                                                                'name = "mine"'))
    assert load_scenario("welwyn_hatfield.toml").scenario.name == "mine"
    assert load_scenario("welwyn_hatfield").scenario.name == "welwyn_hatfield"


def test_unknown_name_lists_what_ships(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"scenario 'welwin' not found.*welwyn_hatfield"):
        resolve_toml("welwin", "scenarios")
    with pytest.raises(ConfigError, match=r"experiment 'nope' not found.*policy_comparison"):
        resolve_toml("nope", "experiments")


def test_experiment_scenario_is_found_beside_the_experiment_file(tmp_path, monkeypatch):
    from hotspot_sim.trial import load_experiment, scenario_for

    folder = tmp_path / "study"
    folder.mkdir()
    text = (ROOT / "scenarios" / "welwyn_hatfield.toml").read_text()
    (folder / "town.toml").write_text(text.replace('name = "welwyn_hatfield"', 'name = "town"'))
    (folder / "exp.toml").write_text('[experiment]\nname = "e"\nscenario = "town.toml"\ndays = 1\n'
                                     'replications = 1\n[[arms]]\nname = "none"\npolicy = "none"\n')
    monkeypatch.chdir(tmp_path)
    exp = load_experiment(folder / "exp.toml")
    assert scenario_for(exp, exp.arms[0], {}).scenario.name == "town"


# --------------------------------------------------------------------------- a new user


@pytest.mark.slow
def test_main_job_runs_from_another_directory_without_the_data_variable(tmp_path):
    exe = Path(sys.executable).with_name("hotspot-sim")
    cmd = [str(exe), "run", "--policy", "hotspot_koper", "--days", "1", "--quiet"]
    done = subprocess.run(cmd, cwd=tmp_path, env=_without_data_env(), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    out = done.stdout
    assert "embedded Welwyn Hatfield" in out and "dose delivered" in out
    runs = list((tmp_path / "results" / "runs").iterdir())
    assert len(runs) == 1 and (runs[0] / "crimes.parquet").is_file()
    assert f"hotspot-sim track {Path('results') / 'runs' / runs[0].name}" in out
    summary = json.loads((runs[0] / "run.json").read_text())["summary"]
    assert summary["crimes"] > 0 and f"crimes {summary['crimes']:,}" in out


@pytest.mark.slow
def test_wheel_carries_data_scenarios_and_experiments(tmp_path):
    # Built from a clean copy: setuptools reuses an old build/ folder in the tree, which
    # would ship modules that have since moved (hotspot_sim/data.py beside data/).
    source = tmp_path / "source"
    for name in ("hotspot_sim", "scenarios", "experiments"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(tmp_path), str(source)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = tmp_path.glob("hotspot_sim-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        data_bytes = sum(i.file_size for i in zf.infolist()
                         if i.filename.startswith("hotspot_sim/data/datasets/"))
    manifest = json.loads((EMBEDDED_DATA / "MANIFEST.json").read_text())
    for name in list(manifest["files"]) + ["MANIFEST.json", "DATA_LICENSE.md"]:
        assert f"hotspot_sim/data/datasets/{name}" in names
    assert "hotspot_sim/scenarios/welwyn_hatfield.toml" in names
    package = ROOT / "hotspot_sim"
    modules = {f"hotspot_sim/{p.relative_to(package).as_posix()}" for p in package.rglob("*.py")}
    shipped = {n for n in names if n.startswith("hotspot_sim/") and n.endswith(".py")}
    assert shipped == modules  # every subpackage (pyproject lists them by name), nothing stale
    assert "hotspot_sim/scenarios/calibrated/welwyn_hatfield.toml" in names
    assert "hotspot_sim/experiments/policy_comparison.toml" in names
    assert data_bytes < 2 * 1024 * 1024


# --------------------------------------------------------------------------- LSOA boundaries


def test_lsoa_harm_map_covers_the_study_area(wh_study):
    lsoa = wh_study.lsoa_harm_map()
    assert lsoa.crs.to_epsg() == 27700
    assert lsoa["lsoa_name"].str.startswith("Welwyn Hatfield").sum() >= 50
    # every incident with an LSOA code lands on a polygon of the study area
    assert lsoa["crimes"].sum() + lsoa["asb"].sum() == wh_study.crimes["LSOA code"].notna().sum()
    assert lsoa["harm_index"].is_monotonic_decreasing
    top = wh_study.by_lsoa.index[0]
    assert lsoa["lsoa_code"].iloc[0] == top


def test_boundaries_of_another_place_are_an_error(wh_study, tmp_path):
    from hotspot_sim import data
    from hotspot_sim.errors import DataError

    elsewhere = json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"LSOA11CD": "E01000001", "LSOA11NM": "City of London 001A"},
        "geometry": {"type": "Polygon", "coordinates": [[[-0.1, 51.51], [-0.09, 51.51],
                                                         [-0.09, 51.52], [-0.1, 51.51]]]}}]})
    path = tmp_path / "london.geojson"
    path.write_text(elsewhere)
    with pytest.raises(DataError, match="another place"):
        data.lsoa_harm_map(wh_study.by_lsoa, data.read_lsoa_boundaries(path), source=str(path))


@pytest.mark.parametrize("text, problem", [
    ("not json", "not a readable GeoJSON"),
    ('{"type": "FeatureCollection", "features": []}', "no LSOA polygons"),
    ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": 1}, '
     '"geometry": {"type": "Point", "coordinates": [0, 51]}}]}', "LSOA code and name field"),
])
def test_unreadable_boundaries_name_the_file(tmp_path, text, problem):
    from hotspot_sim import data
    from hotspot_sim.errors import DataError

    path = tmp_path / "b.geojson"
    path.write_text(text)
    with pytest.raises(DataError, match=f"b.geojson.*{problem}"):
        data.read_lsoa_boundaries(path)
