"""A force's own crime export read through a TOML column mapping (hotspot_sim.data.force_records)."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.data import ForceDropReport, read_force_crimes, read_force_mapping, snap_to_nodes
from hotspot_sim.data.force_records import mapping_from_dict
from hotspot_sim.errors import ConfigError, DataError
from hotspot_sim.projection import to_lonlat

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CSV = EXAMPLES / "force_crimes.csv"
MAPPING = EXAMPLES / "force_crimes_mapping.toml"


@pytest.fixture(scope="module")
def example():
    return read_force_crimes(CSV, read_force_mapping(MAPPING))


def test_example_keeps_good_rows_and_counts_each_bad_row_once(example):
    crimes, report = example
    assert isinstance(report, ForceDropReport)
    assert report.total_in == 200
    assert len(crimes) == report.kept == 196
    dropped = report.as_dict()["dropped"]
    for reason in ("duplicate_id", "bad_datetime", "no_coordinates", "unknown_crime_type"):
        assert dropped[reason] == 1, reason
    assert dropped["outside_study_area"] == 0
    assert report.unknown_types == {"XYZ99": 1}
    assert crimes["Crime ID"].is_unique
    assert set(crimes["Crime type"]) <= set(pd.read_csv(Path(__file__).resolve().parents[1]
                                                        / "hotspot_sim/data/chi_police_uk.csv")["crime_type"])


def test_drop_warnings_name_file_and_lines(caplog):
    with caplog.at_level(logging.WARNING, logger="hotspot_sim.data.force_records"):
        read_force_crimes(CSV, read_force_mapping(MAPPING))
    text = caplog.text
    assert "force_crimes.csv" in text
    assert "line(s) 201: duplicate_id" in text
    assert "line(s) 198: bad_datetime" in text
    assert "line(s) 199, 200" in text


def test_example_in_cleaned_shape_for_snapping(example):
    crimes, report = example
    for col in ("Crime type", "Longitude", "Latitude", "x", "y", "month", "harm", "is_asb",
                "Location", "LSOA code", "datetime", "source_row"):
        assert col in crimes.columns, col
    assert crimes["x"].between(520_000, 530_000).all() and crimes["y"].between(205_000, 214_000).all()
    # BNG input is kept to the exported metres, not re-projected through degrees
    raw = pd.read_csv(CSV, dtype=str).set_index("CrimeRef")
    first = crimes.iloc[0]
    assert first["x"] == float(raw.loc[first["Crime ID"], "Easting"])
    snapped = snap_to_nodes(crimes, np.array([525_000.0]), np.array([209_500.0]), 10_000.0, report)
    assert len(snapped) == len(crimes) and "node" in snapped.columns


def test_times_offence_codes_and_own_harm(example):
    crimes, _ = example
    first = crimes.iloc[0]
    assert first["datetime"] == pd.Timestamp("2024-01-05 23:45")
    assert first["month"] == "2024-01"
    assert first["offence"] == "BURG-RES" and first["Crime type"] == "Burglary"
    assert first["harm"] == pytest.approx(246.5)  # no own weight: the CHI table's
    own = crimes.set_index("Crime ID").loc["WH/24003/24"]
    assert own["harm"] == 365.0 and own["Crime type"] == "Vehicle crime"  # table says 5
    assert crimes["datetime"].dt.hour.nunique() > 12  # times, not midnight dates


def test_lonlat_input_gives_the_same_points_as_bng(tmp_path, example):
    crimes, _ = example
    raw = pd.read_csv(CSV, dtype=str, keep_default_na=False)
    x = pd.to_numeric(raw["Easting"], errors="coerce").to_numpy(float)
    y = pd.to_numeric(raw["Northing"], errors="coerce").to_numpy(float)
    ok = np.isfinite(x)
    lon, lat = np.full(len(raw), np.nan), np.full(len(raw), np.nan)
    lon[ok], lat[ok] = to_lonlat(x[ok], y[ok])
    raw = raw.drop(columns=["Easting", "Northing"]).assign(
        Lon=[f"{v:.8f}" if np.isfinite(v) else "" for v in lon],
        Lat=[f"{v:.8f}" if np.isfinite(v) else "" for v in lat])
    path = tmp_path / "lonlat.csv"
    raw.to_csv(path, index=False)
    text = MAPPING.read_text().replace('x = "Easting"', 'lon = "Lon"').replace('y = "Northing"', 'lat = "Lat"')
    (tmp_path / "m.toml").write_text(text)
    degrees, report = read_force_crimes(path, read_force_mapping(tmp_path / "m.toml"))
    assert report.kept == 196
    assert np.abs(degrees["x"].to_numpy() - crimes["x"].to_numpy()).max() < 1.0
    assert np.abs(degrees["y"].to_numpy() - crimes["y"].to_numpy()).max() < 1.0


def test_mapping_naming_a_missing_column_fails_naming_it(tmp_path):
    text = MAPPING.read_text().replace('offence = "OffenceCode"', 'offence = "Offence Type"')
    (tmp_path / "m.toml").write_text(text)
    with pytest.raises(DataError, match=r"force_crimes.csv.*offence = 'Offence Type'"):
        read_force_crimes(CSV, read_force_mapping(tmp_path / "m.toml"))


@pytest.mark.parametrize("raw, match", [
    ({"columns": {"id": "a", "datetime": "b", "offence": "c", "x": "d", "y": "e", "when": "f"}},
     r"m.toml: \[columns\] key 'when'"),
    ({"columns": {"id": "a", "datetime": "b", "x": "d", "y": "e"}}, r"lacks key\(s\) \['offence'\]"),
    ({"columns": {"id": "a", "datetime": "b", "offence": "c", "x": "d", "lat": "e"}}, "coordinate pair"),
    ({"columns": {"id": "a", "datetime": "b", "offence": "c", "x": "d", "y": "e"}, "colums": {}},
     r"unknown section\(s\) \['colums'\]"),
])
def test_invalid_mapping_keys_are_config_errors(raw, match):
    with pytest.raises(ConfigError, match=match):
        mapping_from_dict(raw, source="m.toml")


def test_offence_map_to_unknown_category_fails(tmp_path):
    text = MAPPING.read_text().replace('"VEH-THEFT" = "Vehicle crime"', '"VEH-THEFT" = "Car crime"')
    (tmp_path / "m.toml").write_text(text)
    with pytest.raises(ConfigError, match=r"m.toml: \[offence_map\].*'Car crime'"):
        read_force_crimes(CSV, read_force_mapping(tmp_path / "m.toml"))


def test_windows_1252_export_is_read(tmp_path, caplog):
    text = CSV.read_text().replace("Howardsgate", "Howardsgate Café", 1)
    path = tmp_path / "cp1252.csv"
    path.write_bytes(text.encode("cp1252"))
    with caplog.at_level(logging.WARNING):
        crimes, report = read_force_crimes(path, read_force_mapping(MAPPING))
    assert report.kept == 196 and crimes["Location"].iloc[0] == "Howardsgate Café"
    assert "not UTF-8" in caplog.text


def test_bad_harm_weight_names_the_line(tmp_path):
    lines = CSV.read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + ",lots"
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"bad.csv: line 3, column 'HarmWeight'"):
        read_force_crimes(path, read_force_mapping(MAPPING))


def test_empty_ids_are_kept_not_duplicates(tmp_path):
    lines = CSV.read_text().splitlines()
    for i in (1, 2):  # two records without id
        lines[i] = "," + lines[i].split(",", 1)[1]
    path = tmp_path / "no_ids.csv"
    path.write_text("\n".join(lines) + "\n")
    crimes, report = read_force_crimes(path, read_force_mapping(MAPPING))
    assert report.duplicate_id == 1 and report.kept == 196
    assert crimes["Crime ID"].isna().sum() == 2


@pytest.mark.parametrize("fmt, error, match", [
    ("%Y-%m-%d %H:%M", DataError, r"force_crimes.csv: no value of column 'Committed'.*line 2 holds '05/01/2024 23:45'"),
    ("%Q", ConfigError, r"m.toml: \[format\] datetime '%Q' is not a date format"),
])
def test_a_date_format_that_reads_nothing_is_an_error(tmp_path, fmt, error, match):
    text = MAPPING.read_text().replace('"%d/%m/%Y %H:%M"', f'"{fmt}"')
    (tmp_path / "m.toml").write_text(text)
    with pytest.raises(error, match=match) as caught:
        read_force_crimes(CSV, read_force_mapping(tmp_path / "m.toml"))
    assert str(caught.value).count("force_crimes.csv") <= 1


def test_example_snaps_to_the_welwyn_hatfield_network_and_aggregates(example, wh_scenario, wh_network):
    from hotspot_sim.data import DropReport, aggregate_by_node, load_harm_weights

    crimes, report = example
    report = ForceDropReport(**{k: v for k, v in vars(report).items()})  # the fixture's stays as read
    snapped = snap_to_nodes(crimes, wh_network.x, wh_network.y, wh_scenario.crime.max_snap_distance_m, report)
    assert report.beyond_snap_distance == 0 and len(snapped) == 196
    per_node = aggregate_by_node(snapped, wh_network.n_nodes, list(load_harm_weights().index))
    assert int(per_node["crimes"].sum() + per_node["asb"].sum()) == 196
    assert per_node["harm"].sum() == pytest.approx(snapped["harm"].sum())
    assert isinstance(report, DropReport) and report.kept == 196


def test_empty_offence_is_an_unknown_type_named_missing(tmp_path):
    lines = CSV.read_text().splitlines()
    lines[1] = lines[1].replace(",BURG-RES,", ",,")
    path = tmp_path / "no_offence.csv"
    path.write_text("\n".join(lines) + "\n")
    _, report = read_force_crimes(path, read_force_mapping(MAPPING))
    assert report.unknown_crime_type == 2 and report.unknown_types == {"<missing>": 1, "XYZ99": 1}


def test_records_from_the_future_or_another_period_are_dropped_and_counted(tmp_path):
    rows = list(csv.reader(open(CSV, newline="")))
    rows[1][1] = "05/01/2031 10:00"  # a typo: a year that has not come
    bad = tmp_path / "force_crimes.csv"
    with open(bad, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    mapping = read_force_mapping(MAPPING)
    _, report = read_force_crimes(bad, mapping)
    assert report.outside_period == 1
    crimes, report = read_force_crimes(bad, mapping, months=("2024-02", "2024-03"))
    assert report.outside_period > 1 and crimes["month"].min() == "2024-02"
