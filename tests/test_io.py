"""Tests of hotspot_sim.io: atomic writes, run folders, checked readers, safe CSV."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from hotspot_sim import io as hsio
from hotspot_sim.errors import ConfigError, DataError


def leftovers(folder):
    """Hidden temporary files or folders left beside the real ones."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_atomic_file_keeps_the_old_file_when_the_write_fails(tmp_path):
    path = tmp_path / "table.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with hsio.atomic_file(path) as fh:
            fh.write(b"half a new file")
            raise RuntimeError("killed")
    assert path.read_text() == "old" and leftovers(tmp_path) == []


def test_write_text_and_parquet_round_trip(tmp_path):
    hsio.write_text(tmp_path / "a.json", '{"é": 1}')
    assert hsio.read_json(tmp_path / "a.json", "fix") == {"é": 1}
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}, index=[5, 6])
    hsio.write_parquet(df, tmp_path / "t.parquet")
    back = hsio.read_parquet(tmp_path / "t.parquet", "fix")
    assert back.equals(df.reset_index(drop=True))  # the index is not written
    assert leftovers(tmp_path) == []


def fill_with(name, text="x"):
    """A run-folder filler writing one table-like file, returning its name."""
    def fill(folder):
        (folder / name).write_text(text)
        return name
    return fill


def test_write_run_folder_swaps_a_whole_new_run_in(tmp_path):
    run = tmp_path / "runs" / "r1"
    assert hsio.write_run_folder(run, fill_with("run.json", "{}")) == "run.json"
    assert sorted(p.name for p in run.iterdir()) == ["run.json"]
    with pytest.raises(ConfigError, match="already holds a run"):
        hsio.write_run_folder(run, fill_with("crimes.parquet"))
    hsio.write_run_folder(run, fill_with("crimes.parquet"), overwrite=True)
    # the new run does not inherit the old run's files
    assert sorted(p.name for p in run.iterdir()) == ["crimes.parquet"]
    assert leftovers(run.parent) == []


def test_write_run_folder_leaves_the_old_run_when_filling_fails(tmp_path):
    run = tmp_path / "r1"
    hsio.write_run_folder(run, fill_with("run.json", "old"))

    def broken(folder):
        (folder / "run.json").write_text("new")
        raise RuntimeError("simulation crashed")

    with pytest.raises(RuntimeError):
        hsio.write_run_folder(run, broken, overwrite=True)
    assert (run / "run.json").read_text() == "old" and leftovers(tmp_path) == []


def test_check_run_folder_never_replaces_other_files(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.docx").write_text("years of work")
    with pytest.raises(ConfigError, match="holds no run"):
        hsio.check_run_folder(tmp_path / "notes", overwrite=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        hsio.check_run_folder(tmp_path / "file", overwrite=True)


def test_refusal_describes_the_run_already_there(tmp_path):
    run = tmp_path / "r"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"policy": "random", "days": 2, "seed": 7,
                                              "written": "2026-01-01T00:00:00"}))
    with pytest.raises(ConfigError, match="policy random, 2 days, seed 7"):
        hsio.check_run_folder(run)


def fake_model(scenario: dict, policy="hotspot_koper", params=None):
    config = SimpleNamespace(to_dict=lambda: scenario)
    return SimpleNamespace(config=config, policy_name=policy,
                           policy=SimpleNamespace(params=params or {"minutes": 15}))


def test_holds_same_run_needs_every_setting_equal(tmp_path):
    scenario = {"scenario": {"seed": 1}, "officers": {"count": 4}}
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    (tmp_path / "run.json").write_text(json.dumps(
        {"policy": "hotspot_koper", "policy_params": {"minutes": 15}, "days": 2.0}))
    assert hsio.holds_same_run(tmp_path, fake_model(scenario), 2)
    assert not hsio.holds_same_run(tmp_path, fake_model(scenario), 3)
    assert not hsio.holds_same_run(tmp_path, fake_model(scenario, "random"), 2)
    assert not hsio.holds_same_run(tmp_path, fake_model(scenario, params={"minutes": 10}), 2)
    other = {"scenario": {"seed": 2}, "officers": {"count": 4}}
    assert not hsio.holds_same_run(tmp_path, fake_model(other), 2)
    (tmp_path / "run.json").write_text("{not json")
    assert not hsio.holds_same_run(tmp_path, fake_model(scenario), 2)  # unreadable: different


@pytest.mark.parametrize("content, what", [(b"", "empty (0 bytes)"), (b"PAR1 not really", "damaged")])
def test_read_parquet_names_the_file_and_the_fix(tmp_path, content, what):
    path = tmp_path / "gps.parquet"
    path.write_bytes(content)
    with pytest.raises(DataError, match=f"gps.parquet: cannot read this table: it is {re.escape(what)}.*rerun"):
        hsio.read_parquet(path, "rerun it")


def test_read_json_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(DataError, match="run.json: cannot read this JSON file .*; rerun"):
        hsio.read_json(tmp_path / "run.json", "rerun")
    (tmp_path / "run.json").write_text('{"a": ')
    with pytest.raises(DataError, match="run.json: cannot read this JSON file"):
        hsio.read_json(tmp_path / "run.json", "rerun")


def test_read_csv_text_reads_utf16_and_refuses_binary(tmp_path):
    path = tmp_path / "gps.csv"
    path.write_bytes("time,x\n2021,1\n".encode("utf-16"))
    assert hsio.read_csv_text(path, "GPS") == "time,x\n2021,1\n"
    path.write_bytes(b"PK\x03\x04rest of a workbook")
    with pytest.raises(DataError, match="not a text CSV .*Excel .xlsx"):
        hsio.read_csv_text(path, "GPS")
    path.write_bytes(b"  \n")
    with pytest.raises(DataError, match="the GPS file is empty"):
        hsio.read_csv_text(path, "GPS")


def test_write_csv_quotes_formulas_only(tmp_path):
    df = pd.DataFrame({"officer": ["=CMD()", "PC 1"], "minutes": [-5, 3]})
    path = hsio.write_csv(df, tmp_path / "out.csv")
    back = pd.read_csv(path)
    assert list(back["officer"]) == ["'=CMD()", "PC 1"]
    assert list(back["minutes"]) == [-5, 3]  # a negative number is not a formula
    assert list(back.columns) == ["officer", "minutes"]


ARROW_POOL_PROBE = """
import hotspot_sim, pyarrow as pa
from hotspot_sim.io import arrow_pool
arrow_pool()
print(pa.default_memory_pool().backend_name)
import pandas as pd, numpy as np
pd.DataFrame({"x": np.arange(1000)}).to_parquet("t.parquet")
pd.read_parquet("t.parquet")
print(pa.mimalloc_memory_pool().max_memory())
"""


@pytest.mark.parametrize("chosen, backend", [(None, "system"), ("mimalloc", "mimalloc")])
def test_arrow_allocates_from_the_system_allocator_unless_the_user_chose(tmp_path, chosen,
                                                                          backend):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    done = subprocess.run([sys.executable, "-c", ARROW_POOL_PROBE], capture_output=True,
                          text=True, env=env, cwd=tmp_path, check=True)
    name, after = done.stdout.split()
    assert name == backend
    # with the system pool, nothing (not even parquet's own pages) comes from mimalloc
    assert (int(after) == 0) == (backend == "system")
