"""An experiment on a prepared study: runs end to end through the report with no data files.

A synthetic street grid with made-up crime stands in for the county data, so the Test
pipeline (tasks, run keys, runner, measuring, report) is checked offline; the study's
content is part of every run key, so runs made on other data are never reused.
"""

from __future__ import annotations

import pandas as pd
import pytest

from hotspot_sim.errors import ConfigError
from hotspot_sim.network import synthetic_grid
from hotspot_sim.settings import load_scenario
from hotspot_sim.study import synthetic_study
from hotspot_sim.trial import (
    Arm,
    Experiment,
    build_report,
    make_tasks,
    run_experiment,
    study_fingerprint,
)
from hotspot_sim.trial.runs import MODEL_FOLDERS, MODEL_SOURCES, PACKAGE, model_files

SCENARIO = """\
[scenario]
name = "grid"
seed = 7
start = "2021-11-05T06:00"

[network]
osm_file = "synthetic"

[officers]
count = 4
shift_starts = [6, 14, 22]

[offenders]
count = 60
attractors = 8
home_places = 20

[risk]
base_rate = 0.004
"""
GRID = synthetic_grid(30, 30, spacing_m=50.0, drop_fraction=0.2, seed=1)  # 1.45 km square
# Crime concentrated at a few places far apart (node i * 30 + j sits at column i, row j),
# as at real hot spots, with some scattered elsewhere.
CRIME_NODES = [62] * 8 + [85] * 6 + [752] * 5 + [775] * 4 + [434, 434, 300, 301, 600, 610]


def grid_experiment(folder, **changes) -> Experiment:
    """Two arms (no patrol, Koper-style hot spot patrol) on the grid scenario."""
    path = folder / "grid.toml"
    path.write_text(SCENARIO)
    settings = dict(name="grid", scenario=str(path), days=1.0, replications=3, seed=5,
                    control="none", hotspots=3, source=str(folder / "exp.toml"),
                    arms=(Arm("none", "none"), Arm("koper", "hotspot_koper", {"k": 3})))
    return Experiment(**{**settings, **changes})


def grid_study(folder, nodes=CRIME_NODES):
    return synthetic_study(load_scenario(folder / "grid.toml"), GRID, nodes)


@pytest.fixture
def no_data(tmp_path, monkeypatch):
    """A data root with nothing in it: any attempt to read data files fails."""
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("HOTSPOT_SIM_DATA", str(empty))
    return empty


def test_tiny_experiment_on_a_synthetic_study_runs_through_the_report(tmp_path, no_data):
    exp = grid_experiment(tmp_path)
    study = grid_study(tmp_path)
    out = run_experiment(exp, tmp_path / "res", progress=False, study=study)
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 6 and set(runs["arm"]) == {"none", "koper"}
    assert runs["crimes"].sum() > 0 and (runs["patrol_hours"] > 0).any()
    # common random numbers: replication r has the same seed in both arms
    seeds = runs.pivot(index="replication", columns="arm", values="seed")
    assert (seeds["none"] == seeds["koper"]).all()
    spotdays = pd.read_parquet(out / "spotdays.parquet")
    assert set(spotdays.columns) >= {"task_id", "hotspot_id", "day", "treated", "crimes"}
    assert spotdays.groupby("task_id").size().eq(3 * 2).all()  # 3 hot spots x 2 calendar days

    text, tables = build_report(out, cost_per_hour=40.0)
    assert "Change against `none`" in text and "per officer hour" in text
    assert set(tables["change_vs_control"]["arm"]) == {"koper"}
    costs = tables["cost_benefit"].set_index("arm")
    assert costs.loc["none", "note"] == "control arm (reference)"
    assert (out / "report" / "report.md").is_file()


def test_the_same_study_is_reused_and_another_study_is_refused(tmp_path, no_data):
    exp = grid_experiment(tmp_path, replications=1)
    out = run_experiment(exp, tmp_path / "res", progress=False, study=grid_study(tmp_path))
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    rebuilt = grid_study(tmp_path)  # same content, another object: its runs are reused
    run_experiment(exp, out, progress=False, study=rebuilt)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")} == stamps
    other = grid_study(tmp_path, CRIME_NODES + [5])
    with pytest.raises(ConfigError, match=r"made with other settings[\s\S]*- data \w+ -> \w+"):
        run_experiment(exp, out, progress=False, study=other)


def test_study_fingerprint_follows_content(tmp_path):
    grid_experiment(tmp_path)  # writes the scenario file
    a, b = grid_study(tmp_path), grid_study(tmp_path)
    assert study_fingerprint(a) == study_fingerprint(b)
    a.crimes["source_file"] = "/here/2021-01-hertfordshire-street.csv"
    b.crimes["source_file"] = "/elsewhere/2021-01-hertfordshire-street.csv"
    assert study_fingerprint(a) == study_fingerprint(b)  # where the files lay is not content
    moved = grid_study(tmp_path, [n + 1 for n in CRIME_NODES])
    assert study_fingerprint(moved) != study_fingerprint(a)
    other_net = synthetic_study(a.scenario, synthetic_grid(30, 30, spacing_m=60.0), CRIME_NODES)
    assert study_fingerprint(other_net) != study_fingerprint(a)


def test_run_keys_name_the_study_and_differ_with_it(tmp_path):
    exp = grid_experiment(tmp_path, replications=2)
    study = grid_study(tmp_path)
    tasks = make_tasks(exp, study)
    assert len(tasks) == 4 and len({t.key for t in tasks}) == 4
    assert all(f'"data":"{study_fingerprint(study)}"' in t.config for t in tasks)
    again = make_tasks(exp, grid_study(tmp_path))
    assert [t.key for t in again] == [t.key for t in tasks]
    other = make_tasks(exp, grid_study(tmp_path, CRIME_NODES[:-1]))
    assert not {t.key for t in other} & {t.key for t in tasks}
    assert [t.seed for t in other] == [t.seed for t in tasks]  # seeds do not depend on data


def test_every_model_source_in_the_code_version_exists():
    # A module moved or renamed without updating MODEL_SOURCES would silently drop out
    # of the code version, and runs made by other code would be reused.
    missing = [name for name in MODEL_SOURCES if not (PACKAGE / name).is_file()]
    assert not missing
    assert all((PACKAGE / folder).is_dir() for folder in MODEL_FOLDERS)
    names = {f.relative_to(PACKAGE).as_posix() for f in model_files()}
    assert {"sim/model.py", "sim/kernels.py", "trial/measure.py", "track/zones.py"} <= names
    assert any(n.startswith("sim/policies/") for n in names)
    assert any(n.startswith("data/") and n.endswith(".csv") for n in names)
