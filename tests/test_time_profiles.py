"""Time profiles from a force's time-stamped records, and their use in the model (hotspot_sim.data.time_profiles)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.data.time_profiles import (ASSUMED_CALL_HOURLY, ASSUMED_RISK_DAILY,
                                            ASSUMED_RISK_HOURLY, HOUR_PSEUDO_COUNTS,
                                            assumed_call_demand, call_demand, risk_profile,
                                            shrunk_profile)
from hotspot_sim.errors import ConfigError
from hotspot_sim.settings import CallSettings, load_scenario
from hotspot_sim.sim.dispatch import Dispatch
from hotspot_sim.sim.world import RISK_DAILY, RISK_HOURLY, risk_time_factor

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SCENARIO = ROOT / "examples" / "welwyn_hatfield_force.toml"
# A known shape unlike the assumed one: busiest at 04:00, quietest at 16:00.
TRUE_HOURLY = 1 + 0.7 * np.cos(2 * np.pi * (np.arange(24) - 4) / 24)


def _times(rng, n, hourly, start="2024-01-01", days=91):
    """`n` date-times with hours drawn from `hourly`, minutes 1..59 (never 00:00 exactly)."""
    hours = rng.choice(24, size=n, p=hourly / hourly.sum())
    day = rng.integers(0, days, size=n)
    minute = rng.integers(1, 60, size=n)
    return (pd.Timestamp(start) + pd.to_timedelta(day, "D") + pd.to_timedelta(hours, "h")
            + pd.to_timedelta(minute, "min"))


def test_many_records_recover_a_known_hourly_shape():
    when = _times(np.random.default_rng(1), 40_000, TRUE_HOURLY)
    profile = risk_profile(pd.DataFrame({"datetime": when}), "crimes.csv")
    truth = TRUE_HOURLY / TRUE_HOURLY.mean()
    assert np.abs(profile.hourly - truth).max() < 0.1
    assert profile.hourly.mean() == pytest.approx(1.0)
    assert np.argmax(profile.hourly) in (3, 4, 5) and np.argmin(profile.hourly) in (15, 16, 17)
    assert profile.hourly_source.startswith("estimated from crimes.csv: 40,000 records with a time")
    assert profile.estimated


def test_few_records_are_shrunk_towards_the_assumed_profile():
    when = _times(np.random.default_rng(2), 24, TRUE_HOURLY)
    hours = np.bincount(when.hour, minlength=24).astype(float)
    raw = 24 * hours / hours.sum()
    shrunk = risk_profile(pd.DataFrame({"datetime": when}), "few.csv").hourly
    assumed = ASSUMED_RISK_HOURLY / ASSUMED_RISK_HOURLY.mean()
    # 24 records against 48 pseudo-counts: one third of the way from the assumption
    weight = 24 / (24 + HOUR_PSEUDO_COUNTS)
    assert shrunk == pytest.approx(weight * raw + (1 - weight) * assumed)
    assert (shrunk > 0).all()


def test_shrinkage_with_no_records_is_the_assumed_profile():
    assert shrunk_profile(np.zeros(7), ASSUMED_RISK_DAILY, 14.0) == \
        pytest.approx(ASSUMED_RISK_DAILY / ASSUMED_RISK_DAILY.mean())


def test_all_midnight_times_fall_back_to_the_assumed_hours_and_say_why():
    when = pd.Series(pd.date_range("2024-01-01", periods=70, freq="D"))  # every time 00:00
    profile = risk_profile(pd.DataFrame({"datetime": when}), "dates_only.csv")
    assert profile.hourly is ASSUMED_RISK_HOURLY
    assert profile.hourly_source.startswith("assumed: all 70 times in dates_only.csv are 00:00")
    assert profile.daily_source.startswith("estimated from dates_only.csv: 70 records")
    # 70 days from a Monday: 10 of each weekday, so the week is the shrunk flat count
    assert profile.daily == pytest.approx(shrunk_profile(np.full(7, 10.0), ASSUMED_RISK_DAILY, 14.0))


def test_some_midnight_times_are_left_out_of_the_hours_only():
    rng = np.random.default_rng(3)
    when = pd.Series(list(_times(rng, 500, TRUE_HOURLY)) + [pd.Timestamp("2024-02-01")] * 300)
    profile = risk_profile(pd.DataFrame({"datetime": when}), "mixed.csv")
    assert "500 records with a time" in profile.hourly_source
    assert "300 at 00:00 left out as time unknown" in profile.hourly_source
    assert profile.hourly[0] < 2  # 300 'unknown' midnights did not pile onto hour 0
    assert "800 records" in profile.daily_source


def test_police_uk_rows_give_the_assumed_profile():
    profile = risk_profile(pd.DataFrame({"Month": ["2021-01"]}), "police.uk")
    assert profile.source == "assumed: police.uk dates are months only"
    assert profile.hourly is ASSUMED_RISK_HOURLY and not profile.estimated


def test_call_demand_by_grade_recovers_rates_and_shapes():
    rng = np.random.default_rng(4)
    night = TRUE_HOURLY
    day = 1 + 0.7 * np.cos(2 * np.pi * (np.arange(24) - 14) / 24)
    calls = pd.DataFrame({"datetime": np.concatenate([_times(rng, 9100, night), _times(rng, 18200, day)]),
                          "grade": [1] * 9100 + [3] * 18200})
    calls.loc[0, "datetime"] = pd.Timestamp("2024-01-01 00:01")  # pin the span to 91 days
    calls.loc[1, "datetime"] = pd.Timestamp("2024-03-31 23:59")
    demand = call_demand(calls, "cad.csv")
    assert demand.per_day == pytest.approx([100.0, 0.0, 200.0])
    assert np.argmax(demand.hourly[0]) in (3, 4, 5) and np.argmax(demand.hourly[2]) in (13, 14, 15)
    assert demand.hourly[1] == pytest.approx(ASSUMED_CALL_HOURLY)  # no grade 2 calls: assumed
    assert "over 91 days" in demand.per_day_source and demand.estimated


def test_call_demand_with_midnight_times_keeps_rates_but_not_hours(caplog):
    calls = pd.DataFrame({"datetime": pd.date_range("2024-01-01", periods=10, freq="D"),
                          "grade": [1, 2] * 5})
    demand = call_demand(calls, "cad.csv")
    assert "cad.csv: no call of grade 3 in 10 days" in caplog.text and "grade 1" not in caplog.text
    assert demand.hourly_source.startswith("assumed: all 10 call times in cad.csv are 00:00")
    assert demand.per_day == pytest.approx([0.5, 0.5, 0.0])


def test_assumed_risk_time_factor_is_the_old_one_bit_for_bit():
    old = (RISK_DAILY[:, None] * RISK_HOURLY[None, :]).ravel()
    profile = risk_profile(pd.DataFrame({"Month": ["2021-01"]}), "police.uk")
    assert np.array_equal(risk_time_factor(profile), old)


def test_estimated_time_factor_keeps_the_calibrated_mean():
    when = _times(np.random.default_rng(5), 5000, TRUE_HOURLY)
    factor = risk_time_factor(risk_profile(pd.DataFrame({"datetime": when}), "x.csv"))
    old = (RISK_DAILY[:, None] * RISK_HOURLY[None, :]).ravel()
    assert factor.mean() == pytest.approx(old.mean())
    assert np.argmax(factor.reshape(7, 24).mean(axis=0)) in (3, 4, 5)


def _dispatch(settings, demand, seed=7):
    return Dispatch(settings, np.random.default_rng(seed), np.array([1, 2]), np.array([1.0, 1.0]),
                    0, lambda call: None, lambda officer, call: None, demand=demand)


def test_dispatch_follows_estimated_demand_and_is_unchanged_without_it():
    settings = CallSettings()
    plain, assumed = _dispatch(settings, None), _dispatch(
        settings, assumed_call_demand((4.0, 8.0, 8.0), "test"))
    plain.run_until(3 * 1440)
    assumed.run_until(3 * 1440)
    assert [(c.time, c.grade, c.node) for c in plain.calls] == \
        [(c.time, c.grade, c.node) for c in assumed.calls]
    noon = np.full((3, 24), 0.01)
    noon[:, 12] = 1.0
    noon /= noon.mean(axis=1, keepdims=True)
    demand = assumed_call_demand((30.0, 0.0, 0.0), "test")
    demand = type(demand)(noon, np.array([30.0, 0.0, 0.0]), "estimated from t", "estimated from t")
    d = _dispatch(settings, demand)
    d.run_until(10 * 1440)
    hours = np.array([int(c.time % 1440 // 60) for c in d.calls])
    assert len(d.calls) == pytest.approx(300, rel=0.2)
    assert {c.grade for c in d.calls} == {1}
    assert (hours == 12).mean() == pytest.approx(1.0 / 1.23, abs=0.07)  # 1 against 23 x 0.01


# --------------------------------------------------------------------------- scenarios and runs


def test_records_paths_resolve_beside_the_scenario_and_need_a_mapping(tmp_path):
    scenario = load_scenario(EXAMPLE_SCENARIO)
    assert Path(scenario.crime.records) == (ROOT / "examples" / "force_crimes.csv").resolve()
    assert Path(scenario.calls.records_mapping).is_file()
    text = EXAMPLE_SCENARIO.read_text().replace('records_mapping = "force_calls_mapping.toml"\n', "")
    (tmp_path / "s.toml").write_text(text)
    with pytest.raises(ConfigError, match=r"\[calls\]: records and records_mapping go together"):
        load_scenario(tmp_path / "s.toml")
    bad = EXAMPLE_SCENARIO.read_text().replace('time_profile = "auto"', 'time_profile = "guess"')
    (tmp_path / "b.toml").write_text(bad)
    with pytest.raises(ConfigError, match="time_profile"):
        load_scenario(tmp_path / "b.toml")


def test_a_missing_records_file_is_a_config_error_naming_the_key(tmp_path):
    from hotspot_sim.study import load_study

    scenario = load_scenario(EXAMPLE_SCENARIO).replace({"calls.records": "no_such_cad.csv"})
    with pytest.raises(ConfigError, match=r"\[calls\] records = 'no_such_cad.csv': no such file"):
        load_study(scenario)


def test_the_cache_key_follows_the_records_content(tmp_path):
    from hotspot_sim.network import load_network
    from hotspot_sim.study import prepared_path

    scenario = load_scenario(EXAMPLE_SCENARIO)
    copy = tmp_path / "crimes.csv"
    copy.write_bytes(Path(scenario.crime.records).read_bytes())
    same = scenario.replace({"crime.records": str(copy)})
    network = load_network(scenario.network)
    key = prepared_path(same, network)
    copy.write_text(copy.read_text().replace("Howardsgate", "Howards Gate"))
    assert prepared_path(same, network) != key


def test_a_run_on_force_records_names_the_profile_sources(tmp_path):
    from hotspot_sim.cli import main

    out = tmp_path / "run"
    assert main(["run", "--scenario", str(EXAMPLE_SCENARIO), "--days", "1", "--out", str(out),
                 "--quiet"]) == 0
    sources = json.loads((out / "run.json").read_text())["time_profiles"]
    assert sources["risk"].startswith("hour of day estimated from")
    assert "force_crimes.csv: 196 records with a time" in sources["risk"]
    assert "force_calls.csv: 296 calls" in sources["calls"]
    calls = pd.read_parquet(out / "calls.parquet")
    assert 0 < len(calls) < 15  # about 3.3 a day from the records, not the 20 a day of [calls]


def test_without_records_the_model_states_the_assumed_profiles(wh_scenario, wh_study):
    from hotspot_sim.sim.model import PatrolModel

    model = PatrolModel(wh_scenario.replace({"officers.count": 2, "offenders.count": 5}), wh_study,
                        build_space=False)
    assert model.time_profile_sources == {
        "risk": "assumed: police.uk dates are months only",
        "calls": "assumed: no [calls] records given (grade*_per_day)"}
    assert model.dispatch.demand is None  # the assumed path, exactly as before
    assert np.array_equal(model.net.time_factor, (RISK_DAILY[:, None] * RISK_HOURLY[None, :]).ravel())


def test_force_records_study_comes_back_from_the_cache_with_its_drop_reasons(tmp_path, monkeypatch):
    from hotspot_sim.data import ForceDropReport
    from hotspot_sim.network import load_network
    from hotspot_sim.study import load_study

    scenario = load_scenario(EXAMPLE_SCENARIO)
    network = load_network(scenario.network)
    monkeypatch.setenv("HOTSPOT_SIM_CACHE", str(tmp_path))  # a fresh cache for the study table
    first = load_study(scenario, network)

    def no_cleaning(*args):
        raise AssertionError("cleaned again: the cached table was not read back")

    monkeypatch.setattr("hotspot_sim.study._clean_and_snap", no_cleaning)
    again = load_study(scenario, network)
    for study in (first, again):
        assert isinstance(study.drops, ForceDropReport)
        assert (study.drops.duplicate_id, study.drops.bad_datetime, len(study.crimes)) == (1, 1, 196)
        assert study.risk_profile.estimated and study.call_demand.estimated
    assert list(tmp_path.glob("study-*.parquet"))
    assert again.risk_profile.hourly == pytest.approx(first.risk_profile.hourly)
    assert set(again.calls.columns) >= {"call_id", "datetime", "grade", "x", "y", "incident_type",
                                        "node", "snap_m"}


def test_calls_outside_the_study_months_are_a_clear_error():
    from hotspot_sim.errors import DataError
    from hotspot_sim.study import load_study

    scenario = load_scenario(EXAMPLE_SCENARIO).replace({"crime.first_month": "2024-03",
                                                        "crime.last_month": "2024-03"})
    assert len(load_study(scenario).calls) < 296  # one month of three kept
    late = load_scenario(EXAMPLE_SCENARIO).replace({
        "crime.records": None, "crime.records_mapping": None,  # police.uk crime of 2021
        "crime.first_month": "2021-01", "crime.last_month": "2021-01"})
    with pytest.raises(DataError, match=r"no call left .* set them to the months the export covers"):
        load_study(late)  # the calls are from 2024


def test_recorded_calls_place_the_simulated_calls(wh_study):
    import dataclasses

    from hotspot_sim.sim.world import call_place_weights

    attractors = np.array([10, 2000, 4000])
    intensity = np.arange(wh_study.network.n_nodes, dtype=float)
    assert np.array_equal(call_place_weights(wh_study, attractors, intensity),
                          intensity[attractors] + 1e-9)  # no records: where crime is, as before
    net = wh_study.network
    calls = pd.DataFrame({"x": net.x[[2000, 2000, 4000]] + 5.0, "y": net.y[[2000, 2000, 4000]],
                          "datetime": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 11:00",
                                                      "2024-01-03 12:00"]), "grade": [1, 2, 3]})
    with_calls = dataclasses.replace(wh_study, calls=calls)
    assert call_place_weights(with_calls, attractors, intensity) == pytest.approx([0, 2, 1], abs=1e-6)
    assumed = dataclasses.replace(wh_study, calls=calls,
                                  scenario=wh_study.scenario.replace({"calls.demand": "assumed"}))
    assert np.array_equal(call_place_weights(assumed, attractors, intensity),
                          intensity[attractors] + 1e-9)


def test_data_summary_names_the_records_and_the_profile_sources(capsys):
    from hotspot_sim.cli import main

    assert main(["data", "summary", "--scenario", str(EXAMPLE_SCENARIO)]) == 0
    text = capsys.readouterr().out
    assert "force records" in text and "force_crimes.csv 2024-01 to 2024-03" in text
    assert "Calls for service read 302, kept 296" in text
    assert "risk: hour of day estimated from" in text and "calls: hour of day estimated from" in text
