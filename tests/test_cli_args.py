"""The cli package's parts: argument types, KEY=VALUE lists, command order, text formatters."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from hotspot_sim.cli import build_parser
from hotspot_sim.cli.args import (days_arg, finite_float, parse_assignments, positive_int,
                                  range_arg, seed_arg)
from hotspot_sim.validation.evidence import format_check
from hotspot_sim.errors import ConfigError


@pytest.mark.parametrize("parse, text, message", [
    (days_arg, "nan", "must be a finite number"),
    (days_arg, "4000", "must be <= 3660"),
    (positive_int(10), "0", "must be >= 1"),
    (positive_int(10), "1.5", "expected a whole number"),
    (seed_arg, "-1", "must be >= 0"),
    (finite_float(0, 1, lo_open=True), "0", "must be > 0"),
    (range_arg(100), "10:400:10", "values must be <= 100"),
    (range_arg(100), "40:10", "need stop >= start"),
])
def test_bad_values_are_usage_errors_naming_the_value(parse, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse(text)


def test_good_values_pass_through():
    assert days_arg("30") == 30.0 and seed_arg("7") == 7 and positive_int()("3") == 3
    assert range_arg(100)("10:40:10") == "10:40:10"  # checked, returned as text


def test_assignments_read_toml_values_and_keep_other_text():
    assert parse_assignments(["officers.count=10", "a.b=0.5", "name=Koper", "l=[1, 2]"],
                             "--set") == {"officers.count": 10, "a.b": 0.5, "name": "Koper",
                                          "l": [1, 2]}
    with pytest.raises(ConfigError, match="--set 'novalue': expected KEY=VALUE"):
        parse_assignments(["novalue"], "--set")


def test_commands_are_listed_in_the_order_of_the_work():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == ["data", "target", "run", "track", "experiment", "report",
                                 "power", "trial", "plan", "calibrate", "validate", "sensitivity",
                                 "view", "params"]


def test_python_m_runs_the_same_command_line():
    r = subprocess.run([sys.executable, "-m", "hotspot_sim.cli", "--help"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "exit status:" in r.stdout


def test_a_check_prints_its_result_evidence_and_why():
    from hotspot_sim.validation.evidence import BEST_DWELL, Finding, make_check

    text = format_check(make_check(BEST_DWELL, Finding("best 0-5", False)))
    assert text.splitlines()[:4] == [
        f"[does not reproduce its input] {BEST_DWELL.name} (reproduces its input)",
        "       model: best 0-5", f"       evidence: {BEST_DWELL.evidence}",
        f"       tolerance: {BEST_DWELL.tolerance}"]
    assert text.splitlines()[-1] == f"       why: {BEST_DWELL.why_differs}"
    assert "why:" not in format_check(make_check(BEST_DWELL, Finding("m", None)))