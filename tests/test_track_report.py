"""track.report and track.input_checks called directly: plan checks, run folders, tables."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspot_sim.errors import DataError
from hotspot_sim.track.input_checks import check_plan
from hotspot_sim.track.report import format_track, read_run, track_frames, write_tables

T0 = pd.Timestamp("2021-03-01 00:00")
HOTSPOTS = pd.DataFrame({"hotspot_id": [1, 2], "x": [0.0, 1000.0], "y": [0.0, 0.0]})


def test_plan_days_outside_the_gps_are_left_out_with_a_warning():
    plan = pd.DataFrame({"day": [0, 1, 5], "hotspot_id": [1, 2, 1], "planned_minutes": 15.0})
    notes = []
    kept = check_plan(plan, HOTSPOTS, 2, T0, lambda *note: notes.append(note))
    assert kept["day"].tolist() == [0, 1]
    assert notes[0][0] == "plan outside the GPS period" and notes[0][2] == 1
    with pytest.raises(DataError, match="not among the hot spots"):
        check_plan(plan.assign(hotspot_id=[1, 9, 1]), HOTSPOTS, 2, T0, notes.append)


def test_frames_tables_written_and_printed(tmp_path):
    time = T0 + pd.to_timedelta(range(20), unit="min")
    gps = pd.DataFrame({"officer": 1, "time": time, "tick": range(20), "x": 10.0, "y": 0.0})
    tables = track_frames(gps, HOTSPOTS)
    assert tables["visits"]["minutes"].tolist() == [20.0]
    assert tables["warnings"].empty
    paths = write_tables(tables, tmp_path / "out")
    assert paths["dose"] == tmp_path / "out" / "dose.csv"
    assert pd.read_csv(paths["dose"])["minutes"].sum() == 20.0
    text = format_track(tables)
    assert text.startswith("Track: 1 visits by 1 officers to 2 hot spots over 1 day(s) "
                           "(radius 100 m)")
    assert "No dose plan: delivered dose only." in text


def test_read_run_of_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(DataError, match="run folder not found"):
        read_run(tmp_path / "nowhere")
    empty = read_run(tmp_path)  # a folder without run files: nothing to read, no origin
    assert empty["gps"] is None and empty["origin"] is None and empty["manifest"] == {}
