"""A force's calls-for-service (CAD) export read through a TOML mapping (hotspot_sim.data.force_calls)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.data.force_calls import (CALL_COLUMNS, CallDropReport, calls_mapping_from_dict,
                                          read_calls_mapping, read_force_calls)
from hotspot_sim.errors import ConfigError, DataError
from hotspot_sim.projection import to_lonlat

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CSV = EXAMPLES / "force_calls.csv"
MAPPING = EXAMPLES / "force_calls_mapping.toml"
MONTHS = ("2024-01", "2024-03")
REASONS = ("duplicate_id", "bad_datetime", "outside_period", "no_coordinates", "unknown_grade",
           "outside_study_area")


@pytest.fixture(scope="module")
def example():
    return read_force_calls(CSV, read_calls_mapping(MAPPING), months=MONTHS)


def _mapping(**extra) -> dict:
    raw = {"columns": {"id": "Id", "datetime": "When", "grade": "G", "x": "E", "y": "N"}}
    raw.update(extra)
    return raw


def _write(tmp_path: Path, rows: list[str], header: str = "Id,When,G,E,N") -> Path:
    path = tmp_path / "cad.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_example_drops_one_row_per_reason_and_keeps_the_rest(example):
    calls, report = example
    assert isinstance(report, CallDropReport)
    assert report.total_in == 302
    dropped = report.as_dict()["dropped"]
    for reason in REASONS:
        assert dropped[reason] == 1, reason
    assert len(calls) == report.kept == 296
    assert report.as_dict()["unknown_grades"] == {"Z9": 1}
    assert "unknown grade 'Z9'" in str(report)


def test_example_has_the_shared_calls_columns(example):
    calls, _ = example
    assert list(calls.columns[:len(CALL_COLUMNS)]) == list(CALL_COLUMNS)
    assert calls["grade"].dtype == np.int64 and set(calls["grade"]) == {1, 2, 3}
    assert pd.api.types.is_datetime64_any_dtype(calls["datetime"])
    assert calls["x"].between(515_000, 531_000).all() and calls["y"].between(203_000, 215_000).all()
    assert calls["call_id"].is_unique
    first = calls.iloc[0]
    assert (first["call_id"], str(first["datetime"]), first["grade"]) == \
        ("CAD-0000", "2024-03-09 14:46:00", 1)  # "Immediate" on line 2


def test_warnings_name_the_file_and_line_of_each_drop(caplog):
    with caplog.at_level(logging.WARNING, logger="hotspot_sim.data.force_records"):
        read_force_calls(CSV, read_calls_mapping(MAPPING), months=MONTHS)
    text = caplog.text
    assert "force_calls.csv" in text
    for line, reason in zip(range(298, 304), REASONS):
        assert f"line(s) {line}: {reason}" in text, reason


def test_without_months_only_future_dates_are_out_of_period(tmp_path):
    path = _write(tmp_path, ["a,2024-04-15T10:00,1,523000,209000", "b,2099-01-01T10:00,1,523000,209000"])
    calls, report = read_force_calls(path, calls_mapping_from_dict(_mapping()))
    assert list(calls["call_id"]) == ["a"] and report.outside_period == 1


def test_times_with_a_utc_offset_are_read_as_uk_local_time(tmp_path):
    # GMT and BST stamps mixed in one export, and a UTC 'Z' stamp in summer time
    path = _write(tmp_path, ["a,2024-03-30T23:00+00:00,1,523000,209000",
                             "b,2024-04-01T10:00+01:00,1,523000,209000",
                             "c,2024-04-01T10:00Z,1,523000,209000"])
    calls, _ = read_force_calls(path, calls_mapping_from_dict(_mapping()))
    assert calls["datetime"].dt.tz is None
    assert calls["datetime"].dt.strftime("%m-%d %H:%M").tolist() == ["03-30 23:00", "04-01 10:00",
                                                                     "04-01 11:00"]


def test_degrees_mapped_as_bng_metres_are_a_config_error_not_kept(tmp_path):
    path = _write(tmp_path, ["a,2024-01-02T10:00,1,0.12,51.7", "b,2024-01-02T11:00,1,,"])
    with pytest.raises(ConfigError, match="degrees.*lon and lat"):
        read_force_calls(path, calls_mapping_from_dict(_mapping()))


def test_grade_values_read_through_the_map_without_case_or_spaces(tmp_path):
    path = _write(tmp_path, ["a,2024-01-02T10:00, immediate ,523000,209000",
                             "b,2024-01-02T11:00,P2,523000,209000",
                             "c,2024-01-02T12:00,3,523000,209000",
                             "d,2024-01-02T13:00,4,523000,209000"])
    mapping = calls_mapping_from_dict(_mapping(grade_map={"Immediate": 1, "P2": 2}))
    calls, report = read_force_calls(path, mapping)
    assert list(calls["grade"]) == [1, 2, 3]
    assert report.unknown_grade == 1 and report.unknown_types == {"4": 1}


def test_bbox_drops_points_outside_the_study_area(tmp_path):
    path = _write(tmp_path, ["a,2024-01-02T10:00,1,523000,209000", "b,2024-01-02T10:00,1,540000,209000"])
    calls, report = read_force_calls(path, calls_mapping_from_dict(_mapping()),
                                     bbox_bng=(520_000, 205_000, 530_000, 214_000))
    assert list(calls["call_id"]) == ["a"] and report.outside_study_area == 1


def test_lonlat_input_is_projected_to_bng(tmp_path):
    lon, lat = to_lonlat(np.array([523_000.0]), np.array([209_000.0]))
    path = _write(tmp_path, [f"a,2024-01-02T10:00,2,{lon[0]:.8f},{lat[0]:.8f}"])
    raw = {"columns": {"id": "Id", "datetime": "When", "grade": "G", "lon": "E", "lat": "N"}}
    calls, _ = read_force_calls(path, calls_mapping_from_dict(raw))
    assert calls["x"].iat[0] == pytest.approx(523_000, abs=0.5)
    assert calls["y"].iat[0] == pytest.approx(209_000, abs=0.5)


@pytest.mark.parametrize("raw, words", [
    (_mapping(grade_map={"Immediate": 4}), "grade must be 1"),
    (_mapping(grade_map={"Immediate": True}), "grade must be 1"),
    ({"columns": {"id": "Id", "datetime": "When", "x": "E", "y": "N"}}, "lacks key(s) ['grade']"),
    (_mapping(offence_map={}), "unknown section"),
    ({"columns": {"id": "Id", "datetime": "When", "grade": "G", "x": "E"}}, "coordinate pair"),
])
def test_bad_mappings_are_config_errors_naming_the_problem(raw, words):
    with pytest.raises(ConfigError, match=None) as info:
        calls_mapping_from_dict(raw, source="m.toml")
    assert words in str(info.value) and "m.toml" in str(info.value)


def test_a_mapped_column_missing_from_the_file_is_a_data_error(tmp_path):
    path = _write(tmp_path, ["a,2024-01-02T10:00,1,523000"], header="Id,When,G,E")
    with pytest.raises(DataError, match="N"):
        read_force_calls(path, calls_mapping_from_dict(_mapping()))


def test_a_date_format_reading_no_date_is_an_error_not_every_row_dropped(tmp_path):
    path = _write(tmp_path, ["a,02/01/2024 10:00,1,523000,209000"])
    with pytest.raises(DataError, match="reads as a date-time"):
        read_force_calls(path, calls_mapping_from_dict(_mapping()))


# --------------------------------------------------------------------------- hotspot-sim data records

CRIMES = EXAMPLES / "force_crimes.csv"
CRIMES_MAPPING = EXAMPLES / "force_crimes_mapping.toml"


def test_data_records_command_reports_drops_and_writes_tables_profiles_and_figure(tmp_path, capsys):
    from hotspot_sim.cli import main

    out = tmp_path / "records"
    code = main(["data", "records", "--crimes", str(CRIMES), "--mapping", str(CRIMES_MAPPING),
                 "--calls", str(CSV), "--calls-mapping", str(MAPPING), "--months", *MONTHS,
                 "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert "read 200, kept 196" in text and "read 302, kept 296" in text
    assert "unknown value 'Z9': 1" in text
    assert "Risk profile: hour of day estimated from" in text
    for name in ("crimes.csv", "calls.csv", "profile_hourly.csv", "profile_daily.csv",
                 "call_rates.csv", "drops.json", "profiles.png"):
        assert (out / name).stat().st_size > 0, name
    hourly = pd.read_csv(out / "profile_hourly.csv")
    assert len(hourly) == 24 and hourly["risk"].mean() == pytest.approx(1.0, abs=1e-3)
    rates = pd.read_csv(out / "call_rates.csv")
    assert rates["per_day"].sum() == pytest.approx(296 / 89, abs=1e-3)  # 296 calls over 89 days
    assert len(pd.read_csv(out / "calls.csv")) == 296


def test_data_records_with_a_scenario_snaps_to_its_streets(tmp_path, capsys):
    from hotspot_sim.cli import main

    code = main(["data", "records", "--crimes", str(CRIMES), "--mapping", str(CRIMES_MAPPING),
                 "--scenario", "welwyn_hatfield", "--out", str(tmp_path)])
    assert code == 0
    crimes = pd.read_csv(tmp_path / "crimes.csv")
    assert {"node", "snap_distance_m"} <= set(crimes.columns) and len(crimes) == 196
    text = capsys.readouterr().out
    assert "Calls for service" not in text and "Call demand" not in text


def test_data_records_calls_without_their_mapping_is_an_error(tmp_path, capsys):
    from hotspot_sim.cli import main

    code = main(["data", "records", "--crimes", str(CRIMES), "--mapping", str(CRIMES_MAPPING),
                 "--calls", str(CSV), "--out", str(tmp_path)])
    assert code != 0
    assert "--calls and --calls-mapping go together" in capsys.readouterr().err
    assert not (tmp_path / "crimes.csv").exists()


def test_data_records_with_no_call_left_is_a_clear_error(tmp_path, capsys):
    from hotspot_sim.cli import main

    code = main(["data", "records", "--crimes", str(CRIMES), "--mapping", str(CRIMES_MAPPING),
                 "--calls", str(CSV), "--calls-mapping", str(MAPPING), "--months", "2023-01",
                 "2023-02", "--out", str(tmp_path)])
    assert code == 2
    assert "no call left to estimate call demand from" in capsys.readouterr().err
