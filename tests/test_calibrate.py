"""Calibration's pieces: the optimiser's coordinates, the objective, the fit's files."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest

from hotspot_sim.settings import load_scenario
from hotspot_sim.validation.calibrate import (Fit, format_fit, initial_simplex, loss, micro_place,
                                              pack, rank_correlation, unpack, within_tolerance,
                                              write_fit)

from .conftest import SCENARIOS


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIOS / "welwyn_hatfield.toml")


def stats(volume=0.0, by_type=0.0, conc=0.0, rho=1.0) -> dict:
    return {"per_month": {"observed": 100.0, "simulated": 100 * (1 + volume), "rel_error": volume},
            "per_type": {"Burglary": {"observed": 10.0, "simulated": 10 * (1 + by_type),
                                      "rel_error": by_type},
                         "Robbery": {"observed": 1.0, "simulated": 3.0, "rel_error": 2.0}},
            "concentration_50pct": {"observed_at_same_volume": 0.02, "simulated": 0.02 * (1 + conc),
                                    "rel_error": conc},
            "spearman_micro_places": rho}


def test_pack_and_unpack_are_inverse(scenario):
    values = unpack(pack(scenario))
    assert values["risk.base_rate"] == pytest.approx(scenario.risk.base_rate)
    assert values["risk.background_share"] == pytest.approx(scenario.risk.background_share)
    assert values["offenders.attractor_exponent"] == pytest.approx(
        scenario.offenders.attractor_exponent)
    assert unpack(np.array([0.0, 0.0, 9.0]))["offenders.attractor_exponent"] == 3.0  # clipped
    assert initial_simplex(pack(scenario)).shape == (4, 3)


def test_loss_weighs_volume_types_concentration_and_rank():
    assert loss(stats()) == 0.0  # Robbery (1 a month) is too rare to count
    assert loss(stats(volume=0.1)) == pytest.approx(0.01)
    assert loss(stats(by_type=0.1)) == pytest.approx(0.2 * 0.01)
    assert loss(stats(conc=float("nan"))) == pytest.approx(1.0)  # unknown: as bad as 100%
    assert loss(stats(rho=float("nan"))) == pytest.approx(1.0)


def test_tolerances_are_ten_and_twenty_percent():
    ok = within_tolerance(stats(volume=0.09, by_type=0.11, conc=-0.19))
    assert ok == {"volume_total": True, "volume_by_type": {"Burglary": False},
                  "concentration": True}
    assert not within_tolerance(stats(conc=0.21))["concentration"]


def test_micro_places_and_their_rank_correlation():
    net = types.SimpleNamespace(x=np.array([0.0, 100, 600, 1200, 1300]),
                                y=np.array([0.0, 0, 0, 0, 700]))
    cells = micro_place(net)
    assert cells[0] == cells[1] and len(set(cells)) == 4
    obs = np.array([5, 5, 3, 1, 0])
    assert rank_correlation(net, obs * 2, obs) == pytest.approx(1.0)
    assert np.isnan(rank_correlation(net, np.zeros(5), np.array([1, 0, 0, 0, 0])))


def test_fit_is_written_as_a_usable_scenario_and_printed(scenario, tmp_path):
    fit = Fit(params={"risk.base_rate": 4e-5, "risk.type_weights": {"Burglary": 1.5}},
              stats=stats(volume=0.05), evaluations=3, seconds=1.0)
    toml_path, json_path = write_fit(fit, scenario, tmp_path)
    assert load_scenario(toml_path).risk.base_rate == pytest.approx(4e-5)
    assert json.loads(json_path.read_text())["within_tolerance"]["volume_total"] is True
    text = format_fit(fit)
    assert "risk.base_rate = 4e-05" in text and "Burglary: 1.50" in text
    assert "Incidents per month: observed 100.0, simulated 105.0 (+5.0%, within +-10%)" in text
