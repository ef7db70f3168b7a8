"""Judging the model against the evidence, on made-up results (no model runs).

Every check must be able to fail: each test below shows a result that passes and one
that fails (or cannot be judged) for the same check.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.validation import evidence as ev
from hotspot_sim.validation.controls import CONTROLS, NO_DETERRENCE
from hotspot_sim.validation.report import (check_rows, input_table, report_markdown,
                                           summary_line, write_report)


def test_interval_says_why_there_is_none():
    assert ev.interval(-20.14, -3.4) == "95% interval -20.1% to -3.4%"
    assert ev.interval(math.nan, 1.0).startswith("no interval (fewer than")


@pytest.mark.parametrize("lo, hi, events, finding, band, passed", [
    (-14.0, -9.0, 500, "reduction", (-16.0, -8.0), True),
    (-30.0, -20.0, 500, "reduction", (-16.0, -8.0), False),   # too strong for the evidence
    (-12.0, 3.0, 500, "reduction", (-16.0, -8.0), False),     # interval includes 0
    (-12.0, -3.0, 500, "reduction", None, True),               # direction only
    (-12.0, -9.0, 10, "reduction", (-16.0, -8.0), None),      # too few events to judge
    (20.0, 60.0, 500, "increase", None, True),                  # Armadale: crime returns
    (-5.0, 30.0, 500, "increase", None, False),
    (-3.0, 2.0, 500, "no difference", (-5.0, 5.0), True),
    (-12.6, -9.6, 500, "no difference", (-5.0, 5.0), False),  # random patrol cutting 11%
    (math.nan, math.nan, 500, "reduction", None, None),       # no interval
])
def test_a_change_is_judged_on_its_interval(lo, hi, events, finding, band, passed):
    pct = (lo + hi) / 2 if not math.isnan(lo) else -10.0
    f = ev.judge_change(pct, lo, hi, events, finding, band)
    assert f.passed is passed
    assert (ev.NOT_ENOUGH in f.text) == (passed is None)


def effect_runs(koper_at_hotspots: list[int], none_at_hotspots: list[int]) -> pd.DataFrame:
    n = len(none_at_hotspots)
    return pd.DataFrame({
        "arm": ["none"] * n + ["koper"] * n, "grid_index": 0, "replication": list(range(n)) * 2,
        "crimes": [1000] * 2 * n, "crimes_hotspots": none_at_hotspots + koper_at_hotspots,
        "crimes_ring100_200": ([60, 66, 57, 63] + [61, 64, 58, 62])[:2 * n], "crimes_elsewhere": [700] * 2 * n})


def test_effect_passes_a_braga_sized_reduction_and_fails_none():
    none = [200, 210, 190, 205]
    model = ev.effect_finding(effect_runs([176, 185, 170, 181], none), "koper")  # about -12%
    broken = ev.effect_finding(effect_runs(none, none), "koper")         # deterrence removed
    assert model.passed is True and broken.passed is not True
    check = ev.make_check(ev.EFFECT, model, NO_DETERRENCE, broken)
    assert check.discriminates and check.verdict == "reproduces its input"  # never a "PASS"


def test_a_check_whose_control_passes_cannot_discriminate():
    good = ev.Finding("-12%", True)
    check = ev.make_check(ev.FORECAST, good, NO_DETERRENCE, ev.Finding("-12%", True))
    assert check.verdict.startswith("cannot discriminate")
    assert ev.make_check(ev.FORECAST, good, NO_DETERRENCE,
                         ev.Finding("0%", False)).verdict == "PASS"
    assert ev.make_check(ev.FORECAST, ev.Finding("few", None)).verdict == ev.NOT_ENOUGH


def test_diffusion_fails_a_significant_rise_in_the_ring():
    runs = effect_runs([180, 185, 170, 181], [200, 210, 190, 205])
    assert ev.diffusion_finding(runs).passed is True
    runs.loc[runs["arm"] == "koper", "crimes_ring100_200"] = [80, 84, 79, 82]
    assert ev.diffusion_finding(runs).passed is False


def test_duration_passes_a_four_day_carry_over_and_fails_none():
    control = np.full(10, 100.0)
    carry_over = np.array([60, 60, 70, 80, 90, 100, 100, 100, 100, 100], float)
    ok = ev.carry_over_finding(carry_over, control)
    assert ok.passed is True and "days 7-10 1.00" in ok.text
    assert ev.carry_over_finding(control.copy(), control).passed is False  # no carry-over
    noisy = np.array([95, 97, 94, 98, 99, 100, 101, 100, 99, 100], float)  # within chance
    assert ev.carry_over_finding(noisy, control).passed is False
    assert ev.carry_over_finding(control, np.ones(10)).passed is None    # too few crimes


def test_rate_ratio_interval_widens_with_fewer_counts():
    r, lo, hi = ev.rate_ratio_interval(50, 100)
    assert r == 0.5 and lo < 0.5 < hi < 1
    assert ev.rate_ratio_interval(5, 10)[1] < lo
    assert math.isnan(ev.rate_ratio_interval(0, 10)[0])


def spells(chance_by_bin: dict[str, float], n: int = 400, within: float = 20.0) -> pd.DataFrame:
    """Visits whose share with a crime ``within`` minutes is the given chance, per bin."""
    rows = []
    for label, p in chance_by_bin.items():
        crimes = int(round(p * n))
        rows += [{"bin": label, "duration": within, "crime": True}] * crimes
        rows += [{"bin": label, "duration": 600.0, "crime": False}] * (n - crimes)
    return pd.DataFrame(rows)


def test_best_dwell_is_the_shortest_visit_near_the_lowest_chance():
    from hotspot_sim.track import bin_labels

    koper = {label: 0.15 for label in bin_labels()}
    koper.update({"10-15": 0.05, "15-20": 0.045})
    check = ev.best_dwell_finding(spells(koper))
    assert check.passed is True and check.text.startswith("best 10-15 minutes")
    flat = ev.best_dwell_finding(spells({label: 0.1 for label in bin_labels()}))
    assert flat.passed is False and flat.text.startswith("best 0-5")  # no dose-response
    assert ev.best_dwell_finding(spells({"0-5": 0.1}, n=10)).passed is None


def test_koper_ratio_passes_koper_and_fails_a_flat_curve():
    koper = ev.koper_ratio_finding(spells({"0-5": 0.15, "10-15": 0.04, "15-20": 0.04}, n=800))
    flat = ev.koper_ratio_finding(spells({"0-5": 0.04, "10-15": 0.04, "15-20": 0.04}, n=800))
    assert koper.passed is True and "ratio 3.75" in koper.text
    assert flat.passed is False
    assert ev.koper_ratio_finding(spells({"0-5": 0.01, "10-15": 0.01}, n=50)).passed is None


def test_concentration_is_judged_against_the_held_out_share():
    assert ev.concentration_finding(np.array([0.30, 0.32, 0.31]), 0.33, 900).passed is True
    assert ev.concentration_finding(np.array([0.05, 0.06, 0.05]), 0.33, 150).passed is False
    assert ev.concentration_finding(np.array([0.30, 0.32, 0.31]), 0.33, 5).passed is None


def test_response_needs_grade_1_faster_and_mostly_within_target():
    runs = pd.DataFrame({"grade1_median_response_min": [8.0, 9.0],
                         "grade2_median_response_min": [14.0, 15.0],
                         "grade1_met_target_pct": [80.0, 75.0]})
    assert ev.response_finding(runs).passed is True
    slow = runs.assign(grade1_median_response_min=[20.0, 21.0], grade1_met_target_pct=[30., 25.])
    assert ev.response_finding(slow).passed is False
    assert ev.response_finding(runs.drop(columns="grade2_median_response_min")).passed is None


def test_forecast_must_beat_chance_and_the_weakest_data_method():
    scores = pd.DataFrame({"method": ["count", "prospective", "model"], "coverage": 0.01,
                           "pai": [40.0, 11.0, 20.0]})
    assert ev.forecast_finding(scores).passed is True
    assert ev.forecast_finding(scores.assign(pai=[40.0, 11.0, 1.0])).passed is False


def test_every_control_removes_something_named():
    for key, control in CONTROLS.items():
        assert control.key == key and control.removes and control.overrides


def test_report_keeps_inputs_and_predictions_apart_and_counts_plain_booleans(tmp_path):
    from hotspot_sim.settings import Scenario

    pred = ev.make_check(ev.FORECAST, ev.Finding("PAI 20", np.bool_(True)), NO_DETERRENCE,
                         ev.Finding("PAI 1", np.bool_(False)))
    fails = ev.make_check(ev.CONCENTRATION, ev.Finding("5%", False), NO_DETERRENCE,
                          ev.Finding("4%", False))
    inp = ev.make_check(ev.CARRY_OVER, ev.Finding("0.7", True), NO_DETERRENCE,
                        ev.Finding("1.0", False))
    checks = [pred, fails, inp]
    assert summary_line(checks).startswith("Predictions: 1 of 2 pass")
    assert "Negative controls: 3 of 3 fail" in summary_line(checks)
    inputs = input_table(Scenario())
    row = inputs.set_index("parameter").loc["deterrence.long_hold_days"]
    assert row["kind"] == "from evidence" and "Barnes" in row["source"]
    assert inputs.set_index("parameter").loc["risk.base_rate", "kind"] == "fitted to data"
    md, page = write_report(checks, inputs, {"Extra": ("text", pd.DataFrame({"a": [1]}))},
                            tmp_path, "heading")
    text = md.read_text()
    assert text.index("## Predictions") < text.index("## Reproduces its input") < \
        text.index("## Inputs: each parameter")
    assert "## What the model does not reproduce" in text and ev.CONCENTRATION.name in text
    assert "class='fail'>FAIL<" in page.read_text()
    assert (tmp_path / "inputs.csv").is_file() and (tmp_path / "extra.csv").is_file()
    assert list(check_rows(checks)["verdict"]) == ["PASS", "FAIL", "reproduces its input"]
    assert report_markdown([], inputs, {}, "h").count("## Predictions") == 0


def test_a_check_prints_its_verdict_control_and_why():
    c = ev.make_check(ev.CONCENTRATION, ev.Finding("5%", False), NO_DETERRENCE,
                      ev.Finding("4%", False))
    text = ev.format_check(c)
    assert text.startswith("[FAIL] Concentration") and "negative control (no deterrence" in text
    assert "-> FAIL (as it must)" in text and "why:" in text


def test_a_trial_that_set_a_parameter_is_an_input_and_the_others_predictions():
    from hotspot_sim.validation.trials import PUBLISHED_TRIALS

    kinds = {k: ev.trial_pattern(t).kind for k, t in PUBLISHED_TRIALS.items()}
    assert kinds.pop("armadale") == ev.INPUT
    assert set(kinds.values()) == {ev.PREDICTION}
    assert "long_hold_days" in ev.trial_pattern(PUBLISHED_TRIALS["armadale"]).inputs
