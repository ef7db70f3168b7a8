"""Calibration's pieces: the optimiser's coordinates, the objective, the fit's files."""

from __future__ import annotations

import json
import types

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.errors import ConfigError
from hotspot_sim.settings import load_scenario
from hotspot_sim.validation.calibrate import (SHORT_CHECK, Fit, format_fit, heldout_goals,
                                              initial_simplex, loss, pack, reproduction_errors,
                                              short_check, unpack, within_tolerance, write_fit)
from hotspot_sim.validation.fit_stats import (Design, concentration_at_equal_counts, micro_place,
                                              rank_correlation, run_stats, span_days, span_study,
                                              split_months)

from .conftest import SCENARIOS

CALIBRATED = SCENARIOS / "calibrated"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIOS / "welwyn_hatfield.toml")


def stats(volume=0.0, by_type=0.0, conc=0.0, rho=1.0) -> dict:
    return {"per_month": {"observed": 100.0, "simulated": 100 * (1 + volume), "rel_error": volume},
            "per_type": {"Burglary": {"observed": 10.0, "simulated": 10 * (1 + by_type),
                                      "rel_error": by_type, "events": 30},
                         "Robbery": {"observed": 1.0, "simulated": 3.0, "rel_error": 2.0,
                                     "events": 3}},
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
    expected = {"design": SHORT_CHECK.to_dict(), "volume": 100.0, "concentration": 0.01,
                "rank": 0.6}
    fit = Fit(params={"risk.base_rate": 4e-5, "risk.type_weights": {"Burglary": 1.5}},
              stats=stats(volume=0.05), evaluations=3, seconds=1.0,
              design=Design((7, 8), 10.0, 2.0), train_months=["2021-01", "2021-02"],
              heldout_months=["2021-03"], heldout=stats(volume=0.3, by_type=0.2),
              short_check=expected, code_version="0.1+src.abc")
    toml_path, json_path = write_fit(fit, scenario, tmp_path)
    assert load_scenario(toml_path).risk.base_rate == pytest.approx(4e-5)
    assert "code version 0.1+src.abc" in toml_path.read_text()
    record = json.loads(json_path.read_text())
    assert record["within_tolerance"]["volume_total"] is True
    assert record["code_version"] == "0.1+src.abc" and record["design"]["seeds"] == [7, 8]
    assert record["train_months"] == ["2021-01", "2021-02"]
    assert record["heldout_goals"] == {"volume": False, "concentration": True,
                                       "by_type": {"Burglary": True}}
    assert record["short_check"]["expected"] == expected
    text = format_fit(fit)
    assert "risk.base_rate = 4e-05" in text and "Burglary: 1.50" in text
    assert "Incidents per month: observed 100.0, simulated 105.0 (+5.0%, within +-10%)" in text
    assert "Held-out months 2021-03..2021-03" in text and "(+30.0%, outside +-10%)" in text


def test_spans_default_to_the_last_three_months_held_out():
    study = types.SimpleNamespace(months=[f"2021-{m:02d}" for m in range(1, 11)])
    train, held = split_months(study)
    assert train == study.months[:7] and held == study.months[7:]
    assert split_months(study, heldout="2021-09:2021-10")[0] == study.months[:8]
    assert split_months(study, "2021-02:2021-05", "") == (study.months[1:5], [])
    with pytest.raises(ConfigError, match="after the training months"):
        split_months(study, "2021-01:2021-08", "2021-08:2021-10")
    with pytest.raises(ConfigError, match="heldout"):
        split_months(study, None, "2022-01")
    assert span_days(["2021-08", "2021-09", "2021-10"]) == 92


def test_heldout_goals_judge_types_with_thirty_events_at_twenty_five_percent():
    goals = heldout_goals(stats(volume=-0.09, by_type=0.24, conc=0.21))
    assert goals == {"volume": True, "concentration": False, "by_type": {"Burglary": True}}
    assert heldout_goals(stats(by_type=-0.26))["by_type"] == {"Burglary": False}


def test_concentration_is_compared_at_the_smaller_count():
    spread = np.ones(100, dtype=np.int64)            # 100 events, one per place
    piled = np.array([1000] + [0] * 99)              # 1000 events at one place
    sim, obs = concentration_at_equal_counts(piled, spread)
    assert sim == pytest.approx(0.01) and obs == pytest.approx(0.5)


def test_run_stats_average_the_seeds():
    net = types.SimpleNamespace(x=np.array([0.0, 600, 1200]), y=np.zeros(3), n_nodes=3)
    study = types.SimpleNamespace(network=net)
    targets = {"per_month": 10.0, "per_month_by_type": {"Burglary": 10.0},
               "events_by_type": {"Burglary": 30}, "node_counts": np.array([20, 10, 1])}
    month = 365.25 / 12
    runs = [pd.DataFrame({"node": [0, 0, 1] * k, "crime_type": "Burglary"}) for k in (2, 4)]
    s = run_stats(runs, study, targets, month)
    assert s["per_month"]["simulated"] == pytest.approx(9.0) and s["seeds"] == 2
    assert s["per_type"]["Burglary"]["events"] == 30
    assert s["spearman_micro_places"] == pytest.approx(1.0)


def test_reproduction_errors_name_what_moved():
    stored = {"volume": 1000.0, "concentration": 0.01, "rank": 0.60}
    assert reproduction_errors(stored, {"volume": 1040.0, "concentration": 0.0109,
                                        "rank": 0.64}) == []
    errors = reproduction_errors(stored, {"volume": 1200.0, "concentration": 0.0080,
                                          "rank": 0.50})
    assert len(errors) == 3 and errors[0].startswith("volume: stored 1000, now 1200 (+20.0%")
    assert reproduction_errors(stored, {**stored, "volume": float("nan")})


def stored_calibration():
    """The stored calibrated scenario, its fit record and its training study."""
    record = json.loads((CALIBRATED / "welwyn_hatfield_fit.json").read_text())
    calibrated = load_scenario(CALIBRATED / "welwyn_hatfield.toml")
    return calibrated, record, span_study(calibrated, record["train_months"])


@pytest.mark.realdata
def test_stored_calibration_reproduces_its_short_check(real_data):
    """A model change that moves the calibrated fit must come with a new calibration."""
    from hotspot_sim.trial.runs import code_version

    calibrated, record, study = stored_calibration()
    stored = record["short_check"]
    got = short_check(calibrated, study, Design.from_dict(stored["expected"]["design"]))
    errors = reproduction_errors(stored["expected"], got, stored["tolerance"])
    assert not errors, (
        f"scenarios/calibrated/welwyn_hatfield.toml no longer reproduces its fit on this model "
        f"(fitted on code {record['code_version']}, now {code_version()}): {'; '.join(errors)}. "
        "Re-run 'hotspot-sim calibrate --out scenarios/calibrated' and update "
        "scenarios/welwyn_hatfield.toml.")


@pytest.mark.realdata
def test_short_check_fails_on_a_changed_model(real_data):
    """The check can fail: 20% more offending is seen (negative control)."""
    calibrated, record, study = stored_calibration()
    stored = record["short_check"]
    changed = calibrated.replace({"risk.base_rate": 1.2 * calibrated.risk.base_rate})
    got = short_check(changed, study, Design.from_dict(stored["expected"]["design"]))
    errors = reproduction_errors(stored["expected"], got, stored["tolerance"])
    assert errors and errors[0].startswith("volume")
