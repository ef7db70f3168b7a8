"""The county scenario (scenarios/hertfordshire.toml): what it declares and how it fails offline."""

from __future__ import annotations

import pytest

from hotspot_sim.cli import main
from hotspot_sim.settings import load_scenario

from .conftest import SCENARIOS

COUNTY = SCENARIOS / "hertfordshire.toml"


def test_county_downloads_the_whole_county_by_place():
    s = load_scenario(COUNTY)
    assert s.network.place == "Hertfordshire, England"
    assert s.network.osm_file is None and s.network.bbox is None
    assert s.crime.force == "hertfordshire"
    # the box must hold the whole county: Tring (west), Bishop's Stortford (east),
    # Potters Bar (south), Royston (north)
    west, south, east, north = s.crime.study_area
    assert west < -0.66 and east > 0.16 and south < 51.68 and north > 52.05


def test_county_staffing_and_calls_are_the_default_scaled_by_population():
    """Officers, response cars and calls x10 (1.2 million people / Welwyn Hatfield's ~120k)."""
    county, default = load_scenario(COUNTY), load_scenario(SCENARIOS / "welwyn_hatfield.toml")
    assert county.officers.count == 10 * default.officers.count
    assert county.officers.response_units == 10 * default.officers.response_units
    for grade in ("grade1_per_day", "grade2_per_day", "grade3_per_day"):
        assert getattr(county.calls, grade) == pytest.approx(10 * getattr(default.calls, grade))
    # offenders scale by recorded crime (82,805 county rows / 10,597 in the study area)
    assert county.offenders.count == pytest.approx(default.offenders.count * 82_805 / 10_597,
                                                   rel=0.01)


def test_county_uses_the_default_scenarios_fit():
    """Not refitted for the county: the default's fitted values, updated with it."""
    county, default = load_scenario(COUNTY), load_scenario(SCENARIOS / "welwyn_hatfield.toml")
    assert county.offenders.attractor_exponent == default.offenders.attractor_exponent
    assert county.risk.base_rate == default.risk.base_rate
    assert county.risk.background_share == default.risk.background_share


def test_county_offline_is_one_clear_line(monkeypatch, tmp_path, capsys):
    import osmnx as ox
    import requests

    def refuse(*a, **k):
        raise requests.ConnectionError("no route to host")

    monkeypatch.setattr(ox, "graph_from_place", refuse)
    monkeypatch.setenv("HOTSPOT_SIM_CACHE", str(tmp_path))  # no prepared network to reuse
    assert main(["data", "summary", "--scenario", str(COUNTY)]) == 2
    err = capsys.readouterr().err
    assert "could not download the street network for 'Hertfordshire, England'" in err
    assert "osm_file" in err and "Traceback" not in err
