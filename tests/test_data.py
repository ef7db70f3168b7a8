"""Tests of hotspot_sim.data: crafted tiny CSVs with known answers, plus real-data checks."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspot_sim import data
from hotspot_sim.io import read_csv_text
from hotspot_sim.projection import to_bng
from hotspot_sim.errors import DataError, OfflineError

CATEGORIES = [
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
]

# Hatfield town centre and a point ~1 km east; a box around both in BNG metres.
LON0, LAT0 = -0.2240, 51.7630
LON1, LAT1 = -0.2095, 51.7630
BBOX_X, BBOX_Y = to_bng([-0.26, -0.17], [51.73, 51.79])
BBOX = (BBOX_X[0], BBOX_Y[0], BBOX_X[1], BBOX_Y[1])


def row(crime_type, lon=LON0, lat=LAT0, month="2021-01", cid="abc", loc="On or near High Street", lsoa=("E01", "WH 001A")):
    """One police.uk record as a list of 12 strings."""
    return [
        cid if crime_type != "Anti-social behaviour" else "",
        month,
        "Hertfordshire Constabulary",
        "Hertfordshire Constabulary",
        "" if lon is None else f"{lon:.6f}",
        "" if lat is None else f"{lat:.6f}",
        loc,
        lsoa[0],
        lsoa[1],
        crime_type,
        "",
        "",
    ]


def write_month(root: Path, month: str, rows, header=data.POLICE_UK_COLUMNS) -> Path:
    """Write a bulk-layout CSV for `month` under `root`."""
    path = data.police_uk_path(root, month)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def crafted(tmp_path):
    """Two months of crafted rows with known drops: 1 no-coords, 1 outside, 2 unknown type."""
    write_month(
        tmp_path,
        "2021-01",
        [
            row("Burglary"),
            row("Anti-social behaviour"),
            row("Robbery", lon=None, lat=None),  # no coordinates
            row("Shoplifting", lon=-1.5, lat=52.5),  # outside the box
            row("Made up crime"),  # unknown type
        ],
    )
    write_month(
        tmp_path,
        "2021-02",
        [
            row("Violence and sexual offences", LON1, LAT1, month="2021-02", loc="On or near Park", lsoa=("E02", "WH 002B")),
            row("Made up crime", month="2021-02"),  # unknown type
            row("Shoplifting", month="2021-02"),
        ],
    )
    return tmp_path


# --------------------------------------------------------------------------- #
# months, paths, reading
# --------------------------------------------------------------------------- #


def test_month_range():
    assert data.month_range("2021-01", "2021-03") == ["2021-01", "2021-02", "2021-03"]
    assert data.month_range("2020-11", "2021-02") == ["2020-11", "2020-12", "2021-01", "2021-02"]
    assert data.month_range("2021-05", "2021-05") == ["2021-05"]


@pytest.mark.parametrize("first,last", [("2021-1", "2021-03"), ("2021-13", "2021-14"), ("2021-03", "2021-01")])
def test_month_range_errors_name_values(first, last):
    with pytest.raises(DataError) as exc:
        data.month_range(first, last)
    assert first in str(exc.value)


def test_police_uk_path():
    p = data.police_uk_path(Path("/x"), "2021-04", "kent")
    assert p == Path("/x/2021-04/2021-04-kent-street.csv")


def test_read_adds_source_columns_and_keeps_all_rows(crafted):
    raw = data.read_police_uk(crafted, ["2021-01", "2021-02"])
    assert len(raw) == 8
    assert list(raw.columns[:12]) == list(data.POLICE_UK_COLUMNS)
    assert raw["source_row"].tolist() == [2, 3, 4, 5, 6, 2, 3, 4]
    assert raw["source_file"].iloc[0].endswith("2021-01-hertfordshire-street.csv")
    assert raw["Longitude"].dtype == float and raw["Longitude"].isna().sum() == 1
    assert raw["Crime ID"].isna().sum() == 1  # the ASB row


def test_read_single_month_string(crafted):
    assert len(data.read_police_uk(crafted, "2021-02")) == 3


def test_missing_file_names_file_and_hints(tmp_path):
    with pytest.raises(DataError) as exc:
        data.read_police_uk(tmp_path, ["2021-01"])
    msg = str(exc.value)
    assert "2021-01-hertfordshire-street.csv" in msg
    assert "HOTSPOT_SIM_DATA" in msg and "download_police_uk" in msg


def test_missing_file_suggests_police_uk_subfolder(crafted):
    # The user passed the data folder rather than its police_uk/ subfolder.
    parent = crafted.parent / "datadir"
    (parent / "police_uk").mkdir(parents=True)
    write_month(parent / "police_uk", "2021-01", [row("Burglary")])
    with pytest.raises(DataError, match="police_uk"):
        data.read_police_uk(parent, ["2021-01"])


def test_missing_column_names_column_and_file(tmp_path):
    header = [c for c in data.POLICE_UK_COLUMNS if c != "Crime type"]
    path = write_month(tmp_path, "2021-01", [row("Burglary")[:9] + row("Burglary")[10:]], header=header)
    with pytest.raises(DataError) as exc:
        data.read_police_uk(tmp_path, ["2021-01"])
    assert "Crime type" in str(exc.value) and str(path) in str(exc.value)


@pytest.mark.parametrize("bad", [row("Burglary") + ["extra"], row("Burglary")[:7]])
def test_malformed_row_names_file_and_line(tmp_path, bad):
    path = write_month(tmp_path, "2021-01", [row("Burglary"), row("Drugs"), bad, row("Robbery")])
    with pytest.raises(DataError) as exc:
        data.read_police_uk(tmp_path, ["2021-01"])
    assert str(path) in str(exc.value) and "line 4" in str(exc.value)


def test_non_numeric_coordinate_names_line_and_column(tmp_path):
    bad = row("Burglary")
    bad[5] = "north"
    path = write_month(tmp_path, "2021-01", [row("Drugs"), bad])
    with pytest.raises(DataError) as exc:
        data.read_police_uk(tmp_path, ["2021-01"])
    msg = str(exc.value)
    assert str(path) in msg and "line 3" in msg and "Latitude" in msg


def test_empty_file(tmp_path):
    path = data.police_uk_path(tmp_path, "2021-01")
    path.parent.mkdir(parents=True)
    path.write_text("")
    with pytest.raises(DataError, match="empty"):
        data.read_police_uk(tmp_path, ["2021-01"])


# --------------------------------------------------------------------------- #
# files that are not plain UTF-8 CSV
# --------------------------------------------------------------------------- #


def csv_text(rows, header=data.POLICE_UK_COLUMNS) -> str:
    """A police.uk CSV as text (header + rows), as Excel or a force system would save it."""
    lines = [",".join(header)] + [",".join(f'"{v}"' if "," in v else v for v in r) for r in rows]
    return "\r\n".join(lines) + "\r\n"


def write_month_bytes(root: Path, month: str, raw: bytes) -> Path:
    path = data.police_uk_path(root, month)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


@pytest.mark.parametrize("encoding,places", [
    ("latin-1", ["On or near Café Street", "On or near Ålesund Close"]),
    ("cp1252", ["On or near O’Neill’s Bar", "On or near Sainte–Marie Road"]),  # curly quote, en dash
])
def test_non_utf8_export_is_read_with_a_counted_warning(tmp_path, caplog, encoding, places):
    rows = [row("Burglary", loc=places[0]), row("Robbery"), row("Drugs", loc=places[1])]
    path = write_month_bytes(tmp_path, "2021-01", csv_text(rows).encode(encoding))
    with caplog.at_level(logging.WARNING, logger="hotspot_sim.io"):
        raw = data.read_police_uk(tmp_path, "2021-01")
    assert raw["Location"].tolist() == [places[0], "On or near High Street", places[1]]
    msg = caplog.text
    assert str(path) in msg and "not UTF-8" in msg and "line 2" in msg
    assert "Windows-1252 (cp1252)" in msg and "2 line(s)" in msg


def test_bytes_cp1252_leaves_undefined_are_read_as_latin1(tmp_path, caplog):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n1,Caf\xe9\x81\n")  # 0x81 has no Windows-1252 character
    with caplog.at_level(logging.WARNING, logger="hotspot_sim.io"):
        assert read_csv_text(path, "test") == "a,b\n1,Caf\xe9\x81\n"
    assert "read it as latin-1 (ISO-8859-1)" in caplog.text


@pytest.mark.parametrize("encode", [
    lambda text: "\ufeff".encode() + text.encode("utf-8"),  # Excel's "CSV UTF-8"
    lambda text: text.encode("utf-16"),  # UTF-16 with its byte-order mark
], ids=["utf-8-bom", "utf-16-bom"])
def test_byte_order_marks_are_read(tmp_path, encode):
    write_month_bytes(tmp_path, "2021-01", encode(csv_text([row("Burglary", loc="On or near Café")])))
    raw = data.read_police_uk(tmp_path, "2021-01")
    assert raw["Crime ID"].tolist() == ["abc"] and raw["Location"].tolist() == ["On or near Café"]


def test_mixed_encodings_name_the_line_and_byte(tmp_path):
    text = csv_text([row("Burglary", loc="On or near Café"), row("Robbery", loc="On or near Caf\x00")])
    raw = text.encode("utf-8").replace(b"Caf\x00", b"Caf\xe9")  # line 3: a latin-1 e-acute
    path = write_month_bytes(tmp_path, "2021-01", raw)
    with pytest.raises(DataError) as exc:
        data.read_police_uk(tmp_path, "2021-01")
    msg = str(exc.value)
    assert str(path) in msg and "line 3" in msg and "0xE9" in msg and "UTF-8" in msg


@pytest.mark.parametrize("raw,expect", [
    (b"PK\x03\x04" + bytes(range(256)) * 4, "Excel .xlsx"),
    (b"PAR1" + bytes(200), "parquet"),
    (bytes(range(256)) * 40, "line 1 holds byte 0x00"),
    (b"Crime ID,Month\n" + bytes([1, 2, 3, 0]) * 100, "line 2 holds byte 0x01"),
])
def test_binary_file_is_not_a_text_csv(tmp_path, raw, expect):
    path = write_month_bytes(tmp_path, "2021-01", raw)
    with pytest.raises(DataError) as exc:
        data.read_police_uk(tmp_path, "2021-01")
    msg = str(exc.value)
    assert str(path) in msg and "not a text CSV" in msg and expect in msg


def test_header_only_file_has_no_rows(tmp_path):
    path = write_month_bytes(tmp_path, "2021-01", csv_text([]).encode())
    with pytest.raises(DataError) as exc:
        data.read_police_uk(tmp_path, "2021-01")
    assert str(path) in str(exc.value) and "no rows" in str(exc.value)


@pytest.mark.parametrize("raw", [b"", b"\xef\xbb\xbf", b"\r\n \r\n"])
def test_empty_file_says_how_many_bytes(tmp_path, raw):
    path = write_month_bytes(tmp_path, "2021-01", raw)
    with pytest.raises(DataError) as exc:
        data.read_police_uk(tmp_path, "2021-01")
    assert str(path) in str(exc.value) and f"empty ({len(raw)} bytes)" in str(exc.value)


def test_damaged_gzip_is_named(tmp_path):
    import gzip

    raw = gzip.compress(csv_text([row("Burglary")]).encode())
    path = write_month_bytes(tmp_path, "2021-01", raw[: len(raw) // 2])
    with pytest.raises(DataError) as exc:
        data.read_police_uk(tmp_path, "2021-01")
    assert str(path) in str(exc.value) and "damaged gzip" in str(exc.value)


def test_months_that_leave_no_crime_say_why(tmp_path):
    from hotspot_sim.network import synthetic_grid
    from hotspot_sim.settings import scenario_from_dict
    from hotspot_sim.study import load_study

    write_month(tmp_path, "2021-03", [row("Burglary", lon=None, lat=None, month="2021-03"),
                                      row("Robbery", lon=None, lat=None, month="2021-03"),
                                      row("Drugs", lon=-1.5, lat=52.5, month="2021-03")])
    scenario = scenario_from_dict({"scenario": {"name": "grid"}, "network": {"osm_file": "synthetic"},
                                   "crime": {"police_uk_dir": str(tmp_path), "first_month": "2021-03",
                                             "last_month": "2021-03"}}, source="test.toml")
    with pytest.raises(DataError) as exc:
        load_study(scenario, synthetic_grid(6, 6))
    msg = str(exc.value)
    assert "no crime left" in msg and "months 2021-03 to 2021-03" in msg and "test.toml" in msg
    assert "3 police.uk rows read" in msg and "no coordinates 2" in msg and "outside study area 1" in msg


# --------------------------------------------------------------------------- #
# harm weights
# --------------------------------------------------------------------------- #


def test_default_harm_table_covers_all_categories():
    harm = data.load_harm_weights()
    assert sorted(harm.index) == sorted(CATEGORIES)
    assert harm.loc["Robbery", "chi_days"] == 365
    assert harm.loc["Shoplifting", "chi_days"] == 1
    assert harm.loc["Anti-social behaviour", "chi_days"] == 0
    assert harm["is_asb"].sum() == 1 and harm.loc["Anti-social behaviour", "is_asb"]
    assert (harm["chi_days"] >= 0).all()
    # mixed categories document their assumption and sit between their parts
    assert 183.5 < harm.loc["Burglary", "chi_days"] < 273.5
    assert 10 < harm.loc["Violence and sexual offences", "chi_days"] < 5475
    for t in ("Burglary", "Violence and sexual offences", "Drugs", "Criminal damage and arson"):
        assert "mix" in harm.loc[t, "assumption"]
    text = data.DEFAULT_HARM_FILE.read_text()
    assert "#" not in text


def test_asb_weight_applies_to_asb_rows_only():
    harm = data.load_harm_weights(asb_weight=2.5)
    assert harm.loc["Anti-social behaviour", "chi_days"] == 2.5
    assert harm.loc["Robbery", "chi_days"] == 365


def write_harm(tmp_path, text) -> Path:
    p = tmp_path / "harm.csv"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "text,expect",
    [
        ("crime_type,is_asb\nRobbery,false\n", "chi_days"),
        ("crime_type,chi_days\nRobbery,365\nDrugs,-1\n", "line 3"),
        ("crime_type,chi_days\nRobbery,365\nDrugs,lots\n", "line 3"),
        ("crime_type,chi_days\nRobbery,365\nDrugs,3\nRobbery,300\n", "Robbery"),
        ("crime_type,chi_days,is_asb\nRobbery,365,perhaps\n", "is_asb"),
    ],
)
def test_bad_harm_file_names_file_and_problem(tmp_path, text, expect):
    path = write_harm(tmp_path, text)
    with pytest.raises(DataError) as exc:
        data.load_harm_weights(path)
    assert str(path) in str(exc.value) and expect in str(exc.value)


def test_harm_file_without_is_asb_column(tmp_path):
    harm = data.load_harm_weights(write_harm(tmp_path, "crime_type,chi_days\nAnti-social behaviour,9\nRobbery,365\n"), asb_weight=1)
    assert harm.loc["Anti-social behaviour", "chi_days"] == 1 and harm["is_asb"].sum() == 1


def test_harm_file_saved_by_excel_as_cp1252_is_read_with_a_warning(tmp_path, caplog):
    path = tmp_path / "harm.csv"
    path.write_bytes("crime_type,chi_days,assumption\nRobbery,365,“Sentencing” £ guideline\n"
                     .encode("cp1252"))
    with caplog.at_level(logging.WARNING, logger="hotspot_sim.data"):
        harm = data.load_harm_weights(path)
    assert harm.loc["Robbery", "chi_days"] == 365
    assert str(path) in caplog.text and "harm weight file is not UTF-8" in caplog.text


def test_binary_harm_file_is_not_a_text_csv(tmp_path):
    path = tmp_path / "harm.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(DataError, match="not a text CSV.*Excel .xlsx"):
        data.load_harm_weights(path)


# --------------------------------------------------------------------------- #
# cleaning, snapping, aggregation
# --------------------------------------------------------------------------- #


def test_to_bng_known_point():
    # The BNG true origin (OSGB36 lon -2, lat 49) is (400,000, -100,000); WGS84 differs by < 200 m.
    x, y = to_bng([-2.0], [49.0])
    assert x[0] == pytest.approx(400_000, abs=200) and y[0] == pytest.approx(-100_000, abs=200)


def test_clean_counts_drops_by_reason_and_attaches_harm(crafted, caplog):
    raw = data.read_police_uk(crafted, ["2021-01", "2021-02"])
    harm = data.load_harm_weights()
    with caplog.at_level(logging.WARNING, logger="hotspot_sim.data"):
        crimes, report = data.clean_crimes(raw, BBOX, harm)
    assert report.total_in == 8
    assert report.no_coordinates == 1
    assert report.outside_study_area == 1
    assert report.unknown_crime_type == 2
    assert report.unknown_types == {"Made up crime": 2}
    assert report.kept == len(crimes) == 4
    d = report.as_dict()
    assert d["kept"] == 4 and d["total_in"] == 8
    assert d["dropped"] == {"no_coordinates": 1, "outside_study_area": 1, "unknown_crime_type": 2, "beyond_snap_distance": 0}
    assert d["unknown_crime_types"] == {"Made up crime": 2}
    assert "unknown_crime_type" in str(report) and "Made up crime" in str(report)
    assert {"no_coordinates", "outside_study_area", "unknown_crime_type"} <= {
        r for r in data.DropReport.REASONS if any(r in m for m in caplog.messages)
    }
    by_type = crimes.set_index("Crime type")
    assert by_type.loc["Burglary", "harm"] == harm.loc["Burglary", "chi_days"]
    assert by_type.loc["Anti-social behaviour", "harm"] == 0
    assert bool(by_type.loc["Anti-social behaviour", "is_asb"]) and not by_type.loc["Burglary", "is_asb"]
    assert crimes["month"].tolist() == ["2021-01", "2021-01", "2021-02", "2021-02"]
    assert crimes["x"].between(BBOX[0], BBOX[2]).all() and crimes["y"].between(BBOX[1], BBOX[3]).all()


def test_snap_respects_max_distance(crafted):
    raw = data.read_police_uk(crafted, ["2021-01", "2021-02"])
    crimes, report = data.clean_crimes(raw, BBOX, data.load_harm_weights())
    x0, y0 = to_bng([LON0], [LAT0])
    # node 0 is 30 m from the Hatfield point; node 1 is 5 km away from everything
    node_x = np.array([x0[0] + 30.0, x0[0] + 5000.0])
    node_y = np.array([y0[0], y0[0]])
    snapped = data.snap_to_nodes(crimes, node_x, node_y, max_distance_m=50, report=report)
    assert report.beyond_snap_distance == 1  # the point ~1 km east
    assert report.kept == len(snapped) == 3
    assert (snapped["node"] == 0).all()
    assert snapped["snap_distance_m"].to_numpy() == pytest.approx(30.0, abs=1e-6)
    # a generous radius keeps everything
    report2 = data.DropReport(total_in=len(crimes))
    assert len(data.snap_to_nodes(crimes, node_x, node_y, 5000, report2)) == 4
    assert report2.beyond_snap_distance == 0


def _toy_crimes():
    return pd.DataFrame(
        {
            "node": [0, 0, 0, 2, 2],
            "Crime type": ["Burglary", "Burglary", "Anti-social behaviour", "Robbery", "Anti-social behaviour"],
            "is_asb": [False, False, True, False, True],
            "harm": [246.5, 246.5, 0.0, 365.0, 0.0],
            "Location": ["On or near A", "On or near A", "On or near B", "On or near C", "On or near C"],
            "LSOA code": ["E1", "E1", "E1", "E2", "E2"],
            "LSOA name": ["L1", "L1", "L1", "L2", "L2"],
        }
    )


def test_aggregate_by_node_totals():
    agg = data.aggregate_by_node(_toy_crimes(), 4, CATEGORIES)
    assert list(agg.index) == [0, 1, 2, 3]
    assert agg["crimes"].tolist() == [2, 0, 1, 0]
    assert agg["asb"].tolist() == [1, 0, 1, 0]
    assert agg["harm"].tolist() == [493.0, 0.0, 365.0, 0.0]
    assert agg["Burglary"].tolist() == [2, 0, 0, 0]
    assert agg["Anti-social behaviour"].sum() == 2 and agg["Drugs"].sum() == 0
    assert agg.loc[0, "location"] == "On or near A" and agg.loc[2, "lsoa"] == "E2"
    assert pd.isna(agg.loc[1, "location"])


def test_aggregate_by_node_rejects_out_of_range():
    with pytest.raises(DataError, match="out of range"):
        data.aggregate_by_node(_toy_crimes(), 2, CATEGORIES)


def test_aggregate_by_lsoa_totals_and_index():
    agg = data.aggregate_by_lsoa(_toy_crimes(), asb_weight_in_index=10)
    assert list(agg.index) == ["E1", "E2"]  # 493 + 10 > 365 + 10
    assert agg.loc["E1", "LSOA name"] == "L1"
    assert agg.loc["E1", ["crimes", "asb"]].tolist() == [2, 1]
    assert agg.loc["E1", "harm_index"] == pytest.approx(503.0)
    assert agg["crimes"].sum() + agg["asb"].sum() == 5
    # ASB heavy enough reorders the ranking
    toy = _toy_crimes()
    toy.loc[5] = [2, "Anti-social behaviour", True, 0.0, "On or near C", "E2", "L2"]
    agg2 = data.aggregate_by_lsoa(toy, asb_weight_in_index=200)
    assert list(agg2.index) == ["E2", "E1"]


@pytest.mark.parametrize(
    "values,share,expected",
    [
        ([10] + [0] * 9, 0.5, 0.1),
        ([10] + [0] * 9, 1.0, 0.1),
        ([1] * 10, 0.5, 0.5),
        ([5, 3, 1, 1], 0.5, 0.25),  # 5 of 10
        ([4, 3, 2, 1], 0.5, 0.5),  # 4 < 5, 4 + 3 >= 5
        ([0, 0, 6, 2, 2], 0.75, 0.4),  # 6 < 7.5, 8 >= 7.5
    ],
)
def test_concentration(values, share, expected):
    assert data.concentration(values, share) == pytest.approx(expected)


def test_concentration_degenerate():
    assert np.isnan(data.concentration([0, 0, 0]))
    assert np.isnan(data.concentration([]))


# --------------------------------------------------------------------------- #
# download (never touches the network)
# --------------------------------------------------------------------------- #


def test_download_offline_message(monkeypatch, tmp_path):
    import requests

    def refuse(*args, **kwargs):
        raise requests.ConnectionError("Name or service not known")

    monkeypatch.setattr(requests, "get", refuse)
    with pytest.raises(OfflineError) as exc:
        data.download_police_uk(["2021-01"], tmp_path, (-0.3, 51.7, -0.1, 51.8))
    msg = str(exc.value)
    assert "no internet" in msg and "data.police.uk/data" in msg and "HOTSPOT_SIM_DATA" in msg


def test_download_writes_bulk_layout(monkeypatch, tmp_path):
    """A fake API answer is written in the 12-column bulk layout that read_police_uk reads."""
    import requests

    class Resp:
        def __init__(self, payload, status=200):
            self.payload, self.status_code, self.url, self.text = payload, status, "fake", ""

        def json(self):
            return self.payload

    crime = {
        "category": "violent-crime",
        "persistent_id": "p1",
        "month": "2021-01",
        "location": {"latitude": "51.763", "longitude": "-0.224", "street": {"name": "On or near Park"}},
        "context": "",
        "outcome_status": {"category": "Under investigation"},
        "id": 1,
    }
    asb = dict(crime, category="anti-social-behaviour", persistent_id="", outcome_status=None, id=2)

    def fake_get(url, params=None, timeout=None):
        if "forces" in url:
            return Resp({"name": "Hertfordshire Constabulary"})
        return Resp([crime, asb])

    monkeypatch.setattr(requests, "get", fake_get)
    paths = data.download_police_uk("2021-01", tmp_path, (-0.3, 51.7, -0.1, 51.8))
    assert paths == [data.police_uk_path(tmp_path, "2021-01")]
    raw = data.read_police_uk(tmp_path, ["2021-01"])
    assert raw["Crime type"].tolist() == ["Violence and sexual offences", "Anti-social behaviour"]
    assert raw["Reported by"].iloc[0] == "Hertfordshire Constabulary"
    assert raw["Latitude"].iloc[0] == pytest.approx(51.763)


# --------------------------------------------------------------------------- #
# real data (HOTSPOT_SIM_DATA)
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def real_root(county_data) -> Path:
    """The police_uk folder of the full county data (these tests count rows
    outside the study area, which the embedded clip does not hold)."""
    return county_data / "police_uk"


@pytest.fixture(scope="module")
def real_raw(real_root) -> pd.DataFrame:
    return data.read_police_uk(real_root, data.month_range("2021-01", "2021-10"))


def test_real_read_ten_months(real_raw):
    assert 80_000 < len(real_raw) < 90_000
    assert sorted(real_raw["Month"].unique()) == data.month_range("2021-01", "2021-10")
    assert (real_raw["source_row"] >= 2).all()


def test_real_all_categories_known(real_raw):
    harm = data.load_harm_weights()
    assert set(real_raw["Crime type"].unique()) == set(harm.index)


def test_real_clean_drop_report(real_raw):
    harm = data.load_harm_weights()
    # Hertfordshire county, generously: about lon -0.75..0.20, lat 51.60..52.08
    x, y = to_bng([-0.75, 0.20], [51.60, 52.08])
    crimes, report = data.clean_crimes(real_raw, (x[0], y[0], x[1], y[1]), harm)
    assert report.no_coordinates > 0
    assert report.no_coordinates / report.total_in == pytest.approx(0.016, abs=0.005)
    assert report.outside_study_area > 0  # crimes snapped outside the county
    assert report.unknown_crime_type == 0
    assert report.kept == len(crimes) > 75_000
    assert crimes["harm"].gt(0).sum() == (~crimes["is_asb"]).sum()


def test_real_concentration_in_welwyn_hatfield(real_raw):
    x, y = to_bng([-0.319, -0.116], [51.716, 51.810])
    crimes, _ = data.clean_crimes(real_raw, (x[0], y[0], x[1], y[1]), data.load_harm_weights())
    assert 8_000 < len(crimes) < 14_000
    per_point = crimes.groupby(["x", "y"]).size().to_numpy()
    # README: about 5% of snap points hold about a third of rows
    assert 0.02 < data.concentration(per_point, 1 / 3) < 0.10
    lsoa = data.aggregate_by_lsoa(crimes)
    assert lsoa["crimes"].sum() + lsoa["asb"].sum() == len(crimes)
    assert lsoa["harm_index"].is_monotonic_decreasing


def test_a_file_from_another_period_is_an_error(tmp_path):
    write_month(tmp_path, "2021-01", [row("Burglary"), row("Burglary", month="2021-05")])
    with pytest.raises(DataError, match=r"2021-01-hertfordshire-street\.csv: line 3, column "
                       r"'Month' is '2021-05', but the file's name says 2021-01 \(1 of 2 rows"):
        data.read_police_uk(tmp_path, ["2021-01"])


def test_rows_of_another_force_are_a_counted_warning(tmp_path, caplog):
    odd = row("Burglary")
    odd[3] = "Bedfordshire Police"
    write_month(tmp_path, "2021-01", [row("Burglary"), odd])
    assert len(data.read_police_uk(tmp_path, ["2021-01"])) == 2
    assert "line 3, column 'Falls within' is 'Bedfordshire Police', but the file's name says " \
           "the hertfordshire force (1 of 2 rows" in caplog.text


def test_force_names_match_their_slug_whatever_the_spelling():
    from hotspot_sim.data.police_uk import _letters

    assert _letters("devon-and-cornwall") in _letters("Devon & Cornwall Police")
    assert _letters("dyfed-powys") in _letters("Dyfed-Powys Police")
