"""The validation checks against the published evidence, on made-up results (no model runs)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hotspot_sim.validation.evidence import (Check, check_best_dwell, check_duration, interval,
                                             report_markdown, write_report)


def test_interval_says_why_there_is_none():
    assert interval(-20.14, -3.4) == "95% interval -20.1% to -3.4%"
    assert interval(math.nan, 1.0).startswith("no interval (fewer than")


def test_duration_passes_a_four_day_carry_over_and_fails_none():
    control = np.full(10, 10.0)
    carry_over = np.array([6, 6, 7, 8, 9, 10, 10, 10, 10, 10], float)
    ok = check_duration(carry_over, control)
    assert ok.passed is True and "days 7-10 1.00" in ok.model
    assert check_duration(control.copy(), control).passed is False  # no carry-over at all
    assert check_duration(control, np.ones(10)).passed is None  # too few crimes to judge


def spells(chance_by_bin: dict[str, float], n: int = 400) -> pd.DataFrame:
    """Visits whose share with a crime within 60 minutes is the given chance, per bin."""
    rows = []
    for label, p in chance_by_bin.items():
        crimes = int(round(p * n))
        rows += [{"bin": label, "duration": 30.0, "crime": True}] * crimes
        rows += [{"bin": label, "duration": 600.0, "crime": False}] * (n - crimes)
    return pd.DataFrame(rows)


def test_best_dwell_is_the_shortest_visit_near_the_lowest_chance():
    from hotspot_sim.track import bin_labels

    labels = bin_labels()
    koper = {label: 0.15 for label in labels}
    koper.update({"10-15": 0.05, "15-20": 0.045})
    check = check_best_dwell(spells({k: v for k, v in koper.items() if k in labels}))
    assert check.passed is True and check.model.startswith("best 10-15 minutes")
    assert check_best_dwell(spells({labels[0]: 0.1}, n=10)).passed is None  # too few visits


def test_report_names_every_check_in_markdown_html_and_csv(tmp_path):
    checks = [Check("effect", "-10%", "Braga et al. 2019", "5-40%", True),
              Check("a | b", "x", "y", "z", False, "why"), Check("c", "m", "e", "t", None)]
    md, page = write_report(checks, tmp_path, days=3, reps=1)
    text = md.read_text()
    assert "1 of 3 checks pass (3-day runs, 1 replications" in text
    assert "| a / b | x | y | z | FAIL | why |" in text and "| n/a |" in text
    assert "<td class='pass'>PASS</td>" in page.read_text()
    assert list(pd.read_csv(tmp_path / "validation.csv", keep_default_na=False)["result"]) == [
        "PASS", "FAIL", "n/a"]
    assert report_markdown([], 0, 1, 1).endswith("|---|---|---|---|---|---|\n")
