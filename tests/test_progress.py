"""No silent waits: progress through every step, one compile notice, worker warnings once."""

from __future__ import annotations

import io
import logging
import warnings

import pytest

from hotspot_sim.cli import main
from hotspot_sim.progress import StepProgress, WarningTally, call_capturing_warnings

from .conftest import SCENARIOS

WH = str(SCENARIOS / "welwyn_hatfield.toml")


def test_step_progress_prints_start_and_end_of_each_step_in_a_log():
    out = io.StringIO()  # not a terminal: lines, not bars
    with StepProgress(stream=out) as progress:
        for i in range(3):
            progress("[1/2] first", i, 2)  # the third report is late (done > total): ignored
        progress("[2/2] second", 0, 5)
        progress("[2/2] second", 3, 5)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/2] first: 2 runs..." and lines[1].startswith("[1/2] first: done in")
    assert lines[2] == "[2/2] second: 5 runs..." and lines[3].startswith("[2/2] second: done")
    assert len(lines) == 4


def test_step_progress_quiet_prints_nothing():
    out = io.StringIO()
    with StepProgress(quiet=True, stream=out) as progress:
        progress("step", 0, 2)
        progress("step", 2, 2)
    assert out.getvalue() == ""


def _noisy_task(x):
    logging.getLogger("hotspot_sim.data").warning("dropped %d rows", 5)
    warnings.warn("old option", DeprecationWarning)
    return x * 2


def test_worker_warnings_are_captured_and_summarised_once():
    result, messages = call_capturing_warnings(_noisy_task, 21)
    assert result == 42
    assert messages == ["WARNING hotspot_sim.data: dropped 5 rows",
                        "DeprecationWarning: old option"]
    tally = WarningTally()
    for _ in range(8):
        tally.add(messages)
    tally.add(["WARNING x: only once"])
    assert tally.lines() == ["WARNING hotspot_sim.data: dropped 5 rows (repeated in 8 runs)",
                             "DeprecationWarning: old option (repeated in 8 runs)",
                             "WARNING x: only once"]


def test_compile_notice_only_when_the_numba_cache_is_cold(tmp_path, monkeypatch):
    import importlib.util

    from hotspot_sim.sim import kernel_builds as K

    src = tmp_path / "tiny_kernel.py"
    src.write_text("import numba\n\n@numba.njit(cache=True)\ndef f(x):\n    return x + 1\n")

    def fresh(name):  # a new process's view: a dispatcher with nothing loaded yet
        spec = importlib.util.spec_from_file_location(name, src)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.f

    monkeypatch.delenv(K.ANNOUNCED_ENV, raising=False)
    f = fresh("tiny_kernel_a")
    assert K.cache_is_cold(f)
    out = io.StringIO()
    assert K.announce_compile(f, stream=out) and "compiling the simulation kernels" in out.getvalue()
    assert not K.announce_compile(f, stream=out)  # once per process (and its workers)
    assert f(1) == 2  # compiles and writes the cache
    assert not K.cache_is_cold(f)
    assert not K.cache_is_cold(fresh("tiny_kernel_b"))  # a later process loads the cache
    monkeypatch.delenv(K.ANNOUNCED_ENV)
    assert not K.announce_compile(fresh("tiny_kernel_c"), stream=out)


@pytest.mark.realdata
def test_power_shows_progress_on_stderr(real_data, tmp_path, capsys):
    assert main(["power", "--scenario", WH, "--hotspots", "10,20", "--days", "14",
                 "--sims", "5", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "power: simulated trials per (hot spots, days) cell: 2 cells..." in err
    assert main(["power", "--scenario", WH, "--hotspots", "10", "--days", "14", "--sims", "5",
                 "--out", str(tmp_path), "--quiet"]) == 0
    assert "cell" not in capsys.readouterr().err


@pytest.mark.realdata
def test_sensitivity_shows_progress_on_stderr(real_data, tmp_path, capsys, monkeypatch):
    from hotspot_sim.validation import sensitivity

    monkeypatch.setattr(sensitivity, "RANGES", dict(list(sensitivity.RANGES.items())[:2]))
    assert main(["sensitivity", "--scenario", WH, "--trajectories", "2", "--days", "0.05",
                 "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "mu* (mean size of effect" in out and "mu_star" not in out  # words for people
    assert f"{sensitivity.SENSITIVITY_STEP}: 6 points..." in err
    assert f"{sensitivity.SENSITIVITY_STEP}: done in" in err


@pytest.mark.realdata
def test_calibrate_shows_progress_through_both_steps(real_data, tmp_path, capsys):
    from hotspot_sim.validation.calibrate import CALIBRATE_STEPS

    assert main(["calibrate", "--scenario", WH, "--evaluations", "2", "--days", "1",
                 "--warmup", "0", "--seeds", "1", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    for step in CALIBRATE_STEPS:
        assert f"{step}: " in err and f"{step}: done in" in err


@pytest.mark.realdata
def test_calibrate_without_simulated_crime_is_one_clear_error(real_data, tmp_path, capsys):
    assert main(["calibrate", "--scenario", WH, "--evaluations", "1", "--days", "0.002",
                 "--warmup", "0", "--seeds", "1", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no crime was simulated in 0.002 days" in err and "Traceback" not in err


def test_each_warning_once_across_tallies(capsys):
    """A plan search reports batch after batch: inside each_warning_once a message is printed
    once; outside it every tally prints its own lines again."""
    from hotspot_sim.progress import each_warning_once

    def batch():
        tally = WarningTally()
        tally.add(["WARNING data: dropped 5 rows"])
        tally.report()

    with each_warning_once():
        batch()
        batch()
    assert capsys.readouterr().err.count("dropped 5 rows") == 1
    batch()
    batch()
    assert capsys.readouterr().err.count("dropped 5 rows") == 2
