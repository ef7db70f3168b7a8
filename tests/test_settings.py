"""Scenario loading and validation."""

from __future__ import annotations

import pytest

from hotspot_sim.errors import ConfigError
from hotspot_sim.settings import load_scenario, scenario_from_dict

from .conftest import SCENARIOS


def write(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


BASE = '[network]\nosm_file = "osm/x.osm"\n'


@pytest.mark.parametrize("name", sorted(str(p.relative_to(SCENARIOS))
                                         for p in SCENARIOS.rglob("*.toml")))
def test_shipped_scenarios_validate(name):
    s = load_scenario(SCENARIOS / name)
    assert s.scenario.name == name.removesuffix(".toml").split("/")[-1]


def test_unknown_key_names_key_and_file(tmp_path):
    p = write(tmp_path, BASE + "[officers]\ncont = 3\n")
    with pytest.raises(ConfigError, match=r"s\.toml \[officers\]: unknown key 'cont'"):
        load_scenario(p)


def test_unknown_section(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown section \[oficers\]"):
        load_scenario(write(tmp_path, BASE + "[oficers]\ncount = 3\n"))


def test_wrong_type_names_value(tmp_path):
    with pytest.raises(ConfigError, match=r"\[officers\] count = 'ten': expected int"):
        load_scenario(write(tmp_path, BASE + '[officers]\ncount = "ten"\n'))


def test_out_of_range(tmp_path):
    with pytest.raises(ConfigError, match=r"presence_effect = 1.5: must be <= 1"):
        load_scenario(write(tmp_path, BASE + "[deterrence]\npresence_effect = 1.5\n"))


def test_bool_is_not_a_number(tmp_path):
    with pytest.raises(ConfigError, match="expected int"):
        load_scenario(write(tmp_path, BASE + "[officers]\ncount = true\n"))


def test_choices(tmp_path):
    with pytest.raises(ConfigError, match="must be one of foot, car"):
        load_scenario(write(tmp_path, BASE + '[officers]\nmode = "horse"\n'))


def test_network_source_exactly_one():
    with pytest.raises(ConfigError, match="exactly one of osm_file, place or bbox"):
        scenario_from_dict({"network": {"osm_file": "a.osm", "place": "Watford"}})


def test_bad_boxes_and_months():
    with pytest.raises(ConfigError, match="study_area"):
        scenario_from_dict({"network": {"place": "x"}, "crime": {"study_area": [1, 2, 0, 3]}})
    with pytest.raises(ConfigError, match="first_month 2021-05 is after last_month 2021-01"):
        scenario_from_dict({"network": {"place": "x"},
                            "crime": {"first_month": "2021-05", "last_month": "2021-01"}})


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(write(tmp_path, "[network\n"))
    with pytest.raises(ConfigError, match="nope.toml' not found"):
        load_scenario(tmp_path / "nope.toml")


def test_overrides_are_validated():
    s = load_scenario(SCENARIOS / "welwyn_hatfield.toml")
    t = s.replace({"officers.count": 5})
    assert t.officers.count == 5 and s.officers.count == 20
    with pytest.raises(ConfigError, match="count = -1"):
        s.replace({"officers.count": -1})


def test_parameters_doc_is_current():
    from hotspot_sim.settings import PARAMETERS_DOC_HEADER, describe_settings

    doc = (SCENARIOS.parent / "docs" / "parameters.md").read_text()
    assert doc == PARAMETERS_DOC_HEADER + describe_settings() + "\n", \
        "docs/parameters.md is stale: regenerate it from hotspot_sim.settings.describe_settings()"


@pytest.mark.parametrize("section, key, value, match", [
    ("deterrence", "presence_effect", float("nan"), "presence_effect = nan: must be a finite"),
    ("deterrence", "short_decay_minutes", float("inf"), "= inf: must be a finite number"),
    ("deterrence", "radius_m", -float("inf"), "= -inf: must be a finite number"),
    ("offenders", "count", 10**9, r"count = 1000000000: must be <= 1000000"),
    ("calls", "service_minutes", [45.0, float("nan"), 30.0], "item 2 = nan must be a finite"),
    ("calls", "target_minutes", [15.0, 60.0, float("inf")], "item 3 = inf must be a finite"),
    ("network", "bbox", [-0.3, float("nan"), -0.1, 51.8], "bbox .*item 2 = nan"),
    ("risk", "type_weights", {"Burglary": float("nan")}, "'Burglary' = nan must be a finite"),
    ("risk", "type_weights", {"Burglary": -2.0}, "'Burglary' = -2.0 must be >= 0"),
    ("policy", "params", {"dwell_minutes": float("inf")}, "'dwell_minutes' = inf must be a fin"),
    ("scenario", "seed", 1.5, "seed = 1.5: expected int"),
])
def test_nan_inf_and_huge_values_never_pass(section, key, value, match):
    """Range checks compare as lo <= value <= hi: nan < lo is false, so nan would slip by."""
    raw = {"network": {"place": "x"}}
    raw.setdefault(section, {})[key] = value
    with pytest.raises(ConfigError, match=match):
        scenario_from_dict(raw)


def test_overrides_and_policy_params_refuse_nan():
    s = scenario_from_dict({"network": {"place": "x"}})
    with pytest.raises(ConfigError, match="residual_peak = nan"):
        s.replace({"deterrence.residual_peak": float("nan")})
    from hotspot_sim.sim.policies import get_policy

    koper = get_policy("hotspot_koper")
    for bad in (float("nan"), float("inf"), -1.0):
        with pytest.raises(ConfigError, match=f"min_separation_m = {bad}"):
            koper.check_params({"min_separation_m": bad})


@pytest.mark.parametrize("value, kw, problem", [
    (float("nan"), {}, "must be a finite number"),
    (float("-inf"), {"lo": 0}, "must be a finite number"),
    (True, {}, "expected a number"),
    ("3", {}, "expected a number"),
    (1.5, {"integer": True}, "expected a whole number"),
    (0, {"lo": 0, "lo_open": True}, "must be > 0"),
    (-1, {"lo": 0, "hi": 5}, "must be >= 0"),
    (6, {"lo": 0, "hi": 5}, "must be <= 5"),
    (5, {"lo": 0, "hi": 5, "integer": True}, None),
])
def test_number_problem(value, kw, problem):
    from hotspot_sim.checks import number_problem

    assert number_problem(value, **kw) == problem
