"""Broken inputs to ``trial rehearse`` and ``trial export``: one clear line, exit status 2.

Each case ends with exit status 2, one error line that names what is wrong, and no
traceback (see ``tests/test_bad_inputs.py`` for the rest of the command line).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hotspot_sim.cli import main

from . import test_rehearse


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    """Exit status and stderr of ``hotspot-sim ARGV`` run in this process."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    return code, capsys.readouterr().err


def assert_one_clear_error(code: int, err: str, expect: str) -> None:
    """Exit status 2, no traceback, exactly one error line, and it says ``expect``."""
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and expect in errors[0], err


pack = test_rehearse.pack  # the shipped example schedule laid out as a trial pack


def rehearse(pack, *extra) -> list:
    return ["trial", "rehearse", pack, "--out", pack.parent / "out", *extra]


# --------------------------------------------------------------------------- trial rehearse


def test_a_missing_pack_folder(tmp_path, capsys):
    code, err = run_cli(rehearse(tmp_path / "nowhere"), capsys)
    assert_one_clear_error(code, err, f"trial pack folder not found: {tmp_path / 'nowhere'}")


def test_a_pack_without_its_schedule(pack, capsys):
    (pack / "schedule.csv").unlink()
    code, err = run_cli(rehearse(pack), capsys)
    assert_one_clear_error(code, err, f"{pack}: no schedule.csv")


def test_a_pack_without_its_hot_spots(pack, capsys):
    (pack / "hotspots.csv").unlink()
    code, err = run_cli(rehearse(pack), capsys)
    assert_one_clear_error(code, err, "hotspots.csv: not found; a trial pack has hotspots.csv")


def test_a_scheduled_hot_spot_missing_from_the_hot_spots(pack, capsys):
    hotspots = pd.read_csv(pack / "hotspots.csv")
    hotspots[hotspots["hotspot_id"] != 8].to_csv(pack / "hotspots.csv", index=False)
    code, err = run_cli(rehearse(pack), capsys)
    assert_one_clear_error(code, err, "1 scheduled hot spot id(s) are not in")


@pytest.mark.parametrize("days", ["0", "-2", "1.5", "nan"])
def test_days_that_are_not_a_positive_whole_number(pack, days, capsys):
    code, err = run_cli(rehearse(pack, "--days", days), capsys)
    assert_one_clear_error(code, err, f"argument --days: {days!r}")


def test_more_days_than_the_schedule_has(pack, capsys):
    code, err = run_cli(rehearse(pack, "--days", "11"), capsys)
    assert_one_clear_error(code, err, "days = 11: rehearse 1 to 10 days")


def test_days_that_leave_out_an_arm(pack, capsys):
    schedule = pd.read_csv(pack / "schedule.csv")
    first = schedule["day"] == 0
    schedule.loc[first, ["treated", "planned_minutes", "visits"]] = [False, 0.0, 0]
    schedule.to_csv(pack / "schedule.csv", index=False)
    code, err = run_cli(rehearse(pack, "--days", "1"), capsys)
    assert_one_clear_error(code, err, "the first 1 day(s)")
    assert "have no treated spot-day" in err


def test_a_pack_designed_on_a_scenario_that_is_not_shipped(pack, capsys):
    (pack / "design.json").write_text(json.dumps({"design": "crossover",
                                                  "scenario": "my_force_area"}))
    code, err = run_cli(rehearse(pack), capsys)
    assert_one_clear_error(code, err, "designed on scenario 'my_force_area'")
    assert "--scenario FILE.toml" in err


def test_an_unknown_scenario(pack, capsys):
    code, err = run_cli(rehearse(pack, "--scenario", "nowhere_at_all"), capsys)
    assert_one_clear_error(code, err, "nowhere_at_all")


def test_officers_the_scenario_does_not_have(pack, capsys):
    code, err = run_cli(rehearse(pack, "--officers", "1", "999"), capsys)
    assert_one_clear_error(code, err, "officers 999: no such officer; the scenario's officers "
                                      "are 0 to")


# --------------------------------------------------------------------------- trial export


def export(run_dir, *extra) -> list:
    return ["trial", "export", run_dir, "--out", run_dir.parent / "files", *extra]


def test_a_missing_run_folder(tmp_path, capsys):
    code, err = run_cli(export(tmp_path / "nowhere"), capsys)
    assert_one_clear_error(code, err, f"run folder not found: {tmp_path / 'nowhere'}")


def test_a_folder_that_is_not_a_run(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    code, err = run_cli(export(tmp_path / "run"), capsys)
    assert_one_clear_error(code, err, "no run.json")


@pytest.fixture(scope="module")
def koper_run(tmp_path_factory):
    """A short run of a policy that does not randomise (hotspot_koper)."""
    folder = tmp_path_factory.mktemp("koper") / "run"
    assert main(["run", "--policy", "hotspot_koper", "--param", "k=3", "--days", "0.1",
                 "--quiet", "--out", str(folder)]) == 0
    return folder


def test_a_run_that_is_not_randomised(koper_run, capsys):
    code, err = run_cli(export(koper_run), capsys)
    assert_one_clear_error(code, err, "export a run of a randomised policy")


@pytest.mark.parametrize("extra, expect", [
    (["--ping-every", "0"], "argument --ping-every: '0'"),
    (["--officers", "x"], "argument --officers: 'x'"),
    (["--radius", "-5"], "argument --radius: '-5'"),
])
def test_bad_export_options(koper_run, extra, expect, capsys):
    code, err = run_cli(export(koper_run, *extra), capsys)
    assert_one_clear_error(code, err, expect)
