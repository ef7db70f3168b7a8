"""Streamed logs (PatrolModel(log_dir=...)) give the same tables as logs kept in memory."""

from __future__ import annotations

import gc
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from hotspot_sim.cli import main
from hotspot_sim.errors import ConfigError
from hotspot_sim.sim.logbook import LogStream
from hotspot_sim.sim.outputs import write_run

from .conftest import SCENARIOS

DAYS = 3
TABLES = ("attempts_table", "crimes_table", "gps_table", "status_table", "daily_table",
          "calls_table")


def run_day_by_day(model, days: int) -> list[dict]:
    """Run ``days`` days; after each, what the log book holds in memory.  After day 1
    the GPS table is read mid-run, so a streamed log is finished and then goes on."""
    kept = []
    for day in range(days):
        model.run_days(1)
        kept.append({"chunks": model.logbook.kept_chunks(),
                     "bytes": sum(model.logbook.kept_bytes().values())})
        if day == 0:
            model.gps_table()
    return kept


@pytest.fixture(scope="module")
def pair(wh_scenario, wh_study, tmp_path_factory):
    """The default scenario run 3 days twice, logs in memory and streamed."""
    from hotspot_sim.sim.model import PatrolModel

    log_dir = tmp_path_factory.mktemp("logs")
    memory = PatrolModel(wh_scenario, wh_study, build_space=False)
    streamed = PatrolModel(wh_scenario, wh_study, build_space=False, log_dir=log_dir)
    kept = {"memory": run_day_by_day(memory, DAYS), "streamed": run_day_by_day(streamed, DAYS)}
    return memory, streamed, kept, log_dir


@pytest.mark.parametrize("table", TABLES)
def test_streamed_tables_equal_in_memory_tables(pair, table):
    memory, streamed, _, _ = pair
    expected = getattr(memory, table)()
    assert len(expected)  # a table with rows, else the comparison says little
    pd.testing.assert_frame_equal(getattr(streamed, table)(), expected)


def test_streamed_logs_are_parquet_files_with_a_row_group_per_flush(pair):
    memory, streamed, _, log_dir = pair
    streamed.close_logs()
    # the GPS table was read after day 1: that log went on in a second file
    assert sorted(p.name for p in log_dir.iterdir()) == [
        "attempts.parquet", "gps.1.parquet", "gps.parquet"]
    gps = pq.ParquetFile(log_dir / "gps.parquet")
    assert gps.metadata.num_row_groups >= 1
    rows = sum(pq.ParquetFile(log_dir / n).metadata.num_rows
               for n in ("gps.parquet", "gps.1.parquet"))
    assert rows == len(memory.gps_table())


def test_daily_totals_are_the_same_and_agree_with_the_attempts(pair):
    memory, streamed, _, _ = pair
    daily = streamed.daily_table()
    pd.testing.assert_frame_equal(daily, memory.daily_table())
    crimes = streamed.crimes_table()
    by_day = streamed.day_index(crimes["tick"].to_numpy())
    assert daily["crimes"].tolist() == [int((by_day == d).sum()) for d in daily["day"]]
    pd.testing.assert_frame_equal(streamed.datacollector.get_model_vars_dataframe(),
                                  memory.datacollector.get_model_vars_dataframe())


def test_memory_kept_by_the_log_book_does_not_grow_with_days_when_streaming(pair):
    _, _, kept, _ = pair
    assert kept["streamed"][0] == kept["streamed"][-1]
    assert kept["streamed"][-1]["bytes"] < 1_000_000  # today's attempts at most
    # kept in memory, the same logs grow day by day: the measure can tell them apart
    assert kept["memory"][-1]["bytes"] > 2 * kept["memory"][0]["bytes"] > 0


def test_run_folder_is_the_same_either_way(pair, tmp_path):
    memory, streamed, _, _ = pair
    m1 = write_run(memory, tmp_path / "memory")
    m2 = write_run(streamed, tmp_path / "streamed")
    assert_same_run_folders(tmp_path / "memory", tmp_path / "streamed")
    assert m1["tables"] == m2["tables"] and m1["summary"] == m2["summary"]
    assert m1["tables"]["gps"] == len(memory.gps_table()) > 0
    # gps.parquet, written chunk by chunk, reads back as the whole table would
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "streamed" / "gps.parquet"),
                                  memory.gps_table())


def assert_same_run_folders(a, b) -> None:
    """Every parquet table of two run folders equal, and the same files."""
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        if name.endswith(".parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(b / name), pd.read_parquet(a / name))


def test_cli_run_streams_its_logs_and_writes_the_same_run_folder(wh_scenario, wh_study,
                                                                  tmp_path, capsys):
    from hotspot_sim.sim.model import PatrolModel

    memory = PatrolModel(wh_scenario, wh_study)  # as `run` builds it, logs in memory
    memory.run_days(1)
    manifest = write_run(memory, tmp_path / "memory")
    out = tmp_path / "cli" / "run"
    assert main(["run", "--scenario", str(SCENARIOS / "welwyn_hatfield.toml"), "--days", "1",
                 "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    assert_same_run_folders(tmp_path / "memory", out)
    assert json.loads((out / "run.json").read_text())["summary"] == manifest["summary"]
    assert [p.name for p in (tmp_path / "cli").iterdir()] == ["run"]  # the logs folder went


def test_an_interrupted_stream_keeps_every_flushed_chunk(tmp_path):
    stream = LogStream(tmp_path, "gps")
    for start in (0, 5):
        stream.write({"g_tick": np.arange(start, start + 5, dtype=np.int64),
                      "g_x": np.ones(5, np.float32)})
    del stream  # a run stopped without closing its logs
    gc.collect()
    table = pq.read_table(tmp_path / "gps.parquet")
    assert table.column("g_tick").to_pylist() == list(range(10))
    assert table.schema.field("g_x").type == "float"  # float32, as the kernels log it
    assert pq.ParquetFile(tmp_path / "gps.parquet").metadata.num_row_groups == 2


def test_a_model_that_keeps_no_gps_says_so(wh_scenario, wh_study, tmp_path):
    from hotspot_sim.sim.model import PatrolModel

    model = PatrolModel(wh_scenario, wh_study, build_space=False, log_dir=tmp_path,
                        keep_gps=False)
    model.run_days(0.5)
    assert len(model.attempts_table())
    with pytest.raises(ConfigError, match="keep_gps=False"):
        model.gps_table()
    model.close_logs()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attempts.parquet"]


def test_gps_visits_from_the_log_chunks_equal_visits_of_the_whole_table(tmp_path):
    from hotspot_sim.sim.tables import gps_visits
    from hotspot_sim.track import visits

    from .test_policies import targeted_model

    model = targeted_model("hotspot_koper", {"k": 3})
    model.run_days(2)
    hotspots = model.policy.outputs()["hotspots"]
    expected = visits(model.gps_table(), hotspots, 100.0)
    assert len(expected) and expected["officer"].nunique() > 1
    pd.testing.assert_frame_equal(gps_visits(model, hotspots, 100.0), expected)
