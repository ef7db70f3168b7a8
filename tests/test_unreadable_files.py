"""Files that cannot be read, and run folders that must hold one run (issue 11, items 3-4).

Each case ends in one clear message naming the file and what to do, never a
traceback; run folders are replaced only when asked, atomically, without
stale files; files are never written through a symbolic link planted at a
temporary name.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from hotspot_sim import io
from hotspot_sim.trial import runner, runs
from hotspot_sim.sim import outputs
from hotspot_sim.cli import main
from hotspot_sim.errors import ConfigError, DataError


def run_cli(argv, capsys) -> tuple[int, str, str]:
    """Run ``hotspot-sim ARGV`` in this process; (exit code, stdout, stderr), no traceback."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def parquet_bytes() -> bytes:
    import io

    buf = io.BytesIO()
    pd.DataFrame({"a": range(100), "b": [f"row {i}" for i in range(100)]}).to_parquet(buf)
    return buf.getvalue()


BROKEN_PARQUET = {"zero-byte": (b"", "empty (0 bytes)"),
                  "truncated": (parquet_bytes()[:300], "damaged or not parquet")}


def fake_run(folder: Path, policy: str = "hotspot_koper") -> Path:
    """A run folder as an earlier run of ``policy`` left it (with hot spots and a dose plan)."""
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps(
        {"policy": policy, "days": 2.0, "seed": 1, "written": "2021-01-01T00:00:00",
         "start": "2021-11-05T06:00", "minutes": 2880}))
    for name in ("gps", "crimes", "hotspots", "dose_plan"):
        (folder / f"{name}.parquet").write_bytes(parquet_bytes())
    return folder


# --------------------------------------------------------------------------- damaged parquet


@pytest.mark.parametrize("case", BROKEN_PARQUET)
def test_track_names_a_damaged_parquet_in_a_run_folder(tmp_path, capsys, case):
    raw, problem = BROKEN_PARQUET[case]
    run_dir = fake_run(tmp_path / "run")
    (run_dir / "gps.parquet").write_bytes(raw)
    code, _, err = run_cli(["track", run_dir], capsys)
    assert code == 2
    assert str(run_dir / "gps.parquet") in err and problem in err
    assert "rerun that run" in err and "--overwrite" in err


def test_track_names_a_damaged_run_json(tmp_path, capsys):
    run_dir = fake_run(tmp_path / "run")
    (run_dir / "run.json").write_text('{"policy": "none", "da')
    code, _, err = run_cli(["track", run_dir], capsys)
    assert code == 2 and str(run_dir / "run.json") in err and "rerun that run" in err


@pytest.mark.parametrize("case", BROKEN_PARQUET)
@pytest.mark.parametrize("table", ["runs", "spotdays"])
def test_report_names_a_damaged_parquet_in_an_experiment_folder(tmp_path, capsys, case, table):
    raw, problem = BROKEN_PARQUET[case]
    folder = tmp_path / "exp"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"experiment": "x", "tasks": []}))
    (folder / "runs.parquet").write_bytes(parquet_bytes())
    (folder / f"{table}.parquet").write_bytes(raw)
    code, _, err = run_cli(["report", folder], capsys)
    assert code == 2
    assert str(folder / f"{table}.parquet") in err and problem in err and "--fresh" in err


@pytest.mark.parametrize("case", BROKEN_PARQUET)
def test_collecting_runs_names_a_damaged_run_file(tmp_path, case):
    raw, problem = BROKEN_PARQUET[case]
    (tmp_path / "runs").mkdir()
    (tmp_path / "spotdays").mkdir()
    (tmp_path / "runs" / "none-r0.parquet").write_bytes(raw)
    with pytest.raises(DataError) as exc:
        runs.collect(tmp_path)
    msg = str(exc.value)
    assert str(tmp_path / "runs" / "none-r0.parquet") in msg and problem in msg
    assert "redo that run" in msg and "--fresh" in msg


# --------------------------------------------------------------------------- Dask scheduler


def test_unreachable_scheduler_is_a_clear_message_within_seconds(tmp_path, capsys):
    started = time.perf_counter()
    code, _, err = run_cli(["experiment", "policy_comparison", "--quick", "--quiet",
                            "--scheduler", "tcp://127.0.0.1:1", "--out", tmp_path / "exp"], capsys)
    assert code == 2
    assert "--scheduler tcp://127.0.0.1:1: cannot connect to a Dask scheduler" in err
    assert "leave out --scheduler" in err
    assert time.perf_counter() - started < runner.SCHEDULER_TIMEOUT_S + 25


def test_malformed_scheduler_address_is_a_clear_message():
    from dask.distributed import Client

    with pytest.raises(ConfigError, match="--scheduler nonsense: cannot connect"):
        runner.connect_scheduler(Client, "nonsense")


# --------------------------------------------------------------------------- one run per folder


def test_run_out_refuses_a_folder_holding_another_run_then_overwrite_replaces_it(tmp_path, capsys):
    run_dir = fake_run(tmp_path / "run", policy="hotspot_koper")
    before = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    argv = ["run", "--policy", "none", "--days", "0.02", "--quiet", "--out", run_dir]
    code, _, err = run_cli(argv, capsys)
    assert code == 2
    assert f"{run_dir} already holds a run (policy hotspot_koper" in err and "--overwrite" in err
    assert {p.name: p.read_bytes() for p in run_dir.iterdir()} == before  # untouched

    code, out, _ = run_cli(argv + ["--overwrite"], capsys)
    assert code == 0
    names = {p.name for p in run_dir.iterdir()}
    assert "hotspots.parquet" not in names and "dose_plan.parquet" not in names  # stale: gone
    assert json.loads((run_dir / "run.json").read_text())["policy"] == "none"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folder left behind


def test_run_never_replaces_a_folder_that_holds_no_run(tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    for overwrite in (False, True):
        with pytest.raises(ConfigError, match="holds no run.*notes.txt.*never replaced"):
            io.check_run_folder(folder, overwrite=overwrite)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        io.check_run_folder(tmp_path / "file", overwrite=True)
    io.check_run_folder(tmp_path / "new")  # absent: fine
    (tmp_path / "empty").mkdir()
    io.check_run_folder(tmp_path / "empty")  # empty: fine


def test_write_run_swaps_in_a_whole_new_folder(tmp_path):
    from .test_model import small_model

    run_dir = fake_run(tmp_path / "run", policy="hotspot_koper")
    (run_dir / "track").mkdir()  # an old track of the old run
    model = small_model(policy="none")
    model.run_for(60)
    with pytest.raises(ConfigError, match="already holds a run"):
        outputs.write_run(model, run_dir)
    manifest = outputs.write_run(model, run_dir, overwrite=True)
    assert manifest["policy"] == "none"
    names = {p.name for p in run_dir.iterdir()}
    assert not names & {"hotspots.parquet", "dose_plan.parquet", "track"}
    assert {"gps.parquet", "crimes.parquet", "run.json", "scenario.json"} <= names
    assert run_dir.stat().st_mode & 0o777 == 0o777 & ~io._umask()  # not private like mkdtemp
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


# --------------------------------------------------------------------------- symbolic links


@pytest.mark.parametrize("write", [
    lambda path: io.write_parquet(pd.DataFrame({"a": [1]}), path),
    lambda path: io.write_text(path, "{}"),
], ids=["write_parquet", "write_text"])
@pytest.mark.parametrize("name", ["table.parquet", "manifest.json"])
def test_a_symlink_planted_at_the_temporary_name_is_not_followed(tmp_path, write, name):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / name
    for planted in {path.with_suffix(path.suffix + ".tmp"), path.with_name(path.name + ".tmp")}:
        planted.symlink_to(victim)  # the names the writers used to use
    write(path)
    assert victim.read_text() == "precious"
    assert path.is_file() and not path.is_symlink()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temp file left
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~io._umask()  # not private like mkstemp


def test_run_out_refuses_before_the_data_loads(tmp_path, capsys, monkeypatch):
    run_dir = fake_run(tmp_path / "run")

    def no_model(*args, **kwargs):
        raise AssertionError("the model was built before the run folder was checked")

    monkeypatch.setattr("hotspot_sim.sim.model.PatrolModel.__init__", no_model)
    code, _, err = run_cli(["run", "--days", "1", "--out", run_dir], capsys)
    assert code == 2 and "already holds a run" in err
