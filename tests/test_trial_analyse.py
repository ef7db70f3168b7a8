"""``trial analyse``: a simulated trial exported as CSV and analysed gives back its own figures."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.cli import main
from hotspot_sim.errors import DataError
from hotspot_sim.track.export import export_trial
from hotspot_sim.trial.report import dose_by_arm, trial_statistics

from .conftest import ROOT, SCENARIOS

PERMUTATIONS = 199
EXAMPLES = ROOT / "examples"
EXAMPLE_HOTSPOTS = EXAMPLES / "trial_analysis_hotspots.csv"  # trial_hotspots.csv: design's


@pytest.fixture(scope="module")
def simulated_trial(tmp_path_factory):
    """A 10-day daily crossover trial at 8 hot spots: its own spot-days, run folder, CSVs."""
    from hotspot_sim.settings import load_scenario
    from hotspot_sim.sim.model import PatrolModel
    from hotspot_sim.sim.outputs import write_run
    from hotspot_sim.study import load_study
    from hotspot_sim.trial.measure import measure_run

    scenario = load_scenario(SCENARIOS / "welwyn_hatfield.toml").replace({"scenario.seed": 5})
    model = PatrolModel(scenario, load_study(scenario), policy="crossover_daily",
                        policy_params={"k": 8}, build_space=False)
    model.run_days(10)
    _, spotdays = measure_run(model, model.policy.hotspots, 100.0, (100.0,))
    root = tmp_path_factory.mktemp("trial")
    write_run(model, root / "run")
    files = export_trial(root / "run", root / "pack")
    return {"spotdays": spotdays, "root": root, "files": files}


def analyse(files: dict, out: Path, *extra: str, schedule: Path | None = None) -> int:
    return main(["trial", "analyse", "--schedule", str(schedule or files["schedule"]),
                 "--gps", str(files["gps"]), "--crimes", str(files["crimes"]),
                 "--permutations", str(PERMUTATIONS), "--out", str(out), *extra])


def by_spot_day(df: pd.DataFrame) -> pd.DataFrame:
    cols = ["hotspot_id", "day", "treated", "crimes", "harm", "dose_minutes"]
    return df[cols].sort_values(["hotspot_id", "day"]).reset_index(drop=True)


def test_analysing_the_exported_trial_gives_back_the_simulated_figures(simulated_trial, capsys):
    sim, files, out = simulated_trial["spotdays"], simulated_trial["files"], \
        simulated_trial["root"] / "analysis"
    assert analyse(files, out) == 0  # hot spots: the hotspots.csv beside the schedule
    assert "rate ratio" in capsys.readouterr().out
    got = pd.read_csv(out / "spot_days.csv")
    pd.testing.assert_frame_equal(by_spot_day(got), by_spot_day(sim), check_dtype=False)
    assert sim["crimes"].sum() > 20 and sim["treated"].any() and (~sim["treated"]).any()
    stats = pd.read_csv(out / "statistics.csv").set_index("outcome")
    for outcome in ("crimes", "harm"):
        own = trial_statistics(sim.assign(task_id=0), PERMUTATIONS, outcome).iloc[0]
        for col in ("rate_ratio", "ci_low", "ci_high", "p_glm", "p_permutation"):
            assert stats.loc[outcome, col] == pytest.approx(own[col], rel=1e-9), (outcome, col)
    dose = pd.read_csv(out / "dose_by_arm.csv").set_index("assignment")
    own_dose = dose_by_arm(sim).set_index("assignment")
    for col in ("spot_days", "mean_minutes", "ci_low", "ci_high"):
        assert np.allclose(dose[col], own_dose.loc[dose.index, col]), col
    # background presence at control places, as real trials measure it
    assert dose.loc["control", "mean_minutes"] > 0
    assert dose.loc["treated", "mean_minutes"] > dose.loc["control", "mean_minutes"]
    report = (out / "report.md").read_text()
    assert "Displacement" in report and "Cost-benefit" in report and "Compliance" in report
    assert (out / "dose.png").stat().st_size > 5_000


def test_a_shuffled_schedule_gives_other_figures(simulated_trial):
    files, root = simulated_trial["files"], simulated_trial["root"]
    schedule = pd.read_csv(files["schedule"])
    rng = np.random.default_rng(0)
    # the same number treated each day, other hot spots: what a wrong schedule would give
    schedule["treated"] = schedule.groupby("day")["treated"].transform(
        lambda t: rng.permutation(t.to_numpy()))
    shuffled = root / "shuffled" / "schedule.csv"
    shuffled.parent.mkdir()
    schedule.to_csv(shuffled, index=False)
    shutil.copyfile(files["hotspots"], shuffled.parent / "hotspots.csv")
    assert analyse(files, root / "shuffled_out", schedule=shuffled) == 0
    got = pd.read_csv(root / "shuffled_out" / "statistics.csv").set_index("outcome")
    own = trial_statistics(simulated_trial["spotdays"].assign(task_id=0), PERMUTATIONS).iloc[0]
    assert got.loc["crimes", "rate_ratio"] != pytest.approx(own["rate_ratio"], rel=1e-6)
    dose = pd.read_csv(root / "shuffled_out" / "dose_by_arm.csv").set_index("assignment")
    own_dose = dose_by_arm(simulated_trial["spotdays"]).set_index("assignment")
    assert dose.loc["treated", "mean_minutes"] != pytest.approx(
        own_dose.loc["treated", "mean_minutes"])


def test_a_schedule_for_other_hot_spots_is_refused(simulated_trial, capsys):
    files, root = simulated_trial["files"], simulated_trial["root"]
    schedule = pd.read_csv(files["schedule"])
    schedule["hotspot_id"] += 100
    other = root / "other" / "schedule.csv"
    other.parent.mkdir()
    schedule.to_csv(other, index=False)
    assert analyse(files, root / "other_out", "--hotspots", str(files["hotspots"]),
                   schedule=other) == 2
    err = capsys.readouterr().err
    assert "not in" in err and "hotspots.csv" in err and "101" in err


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.drop(columns="date"), "no 'date' column"),
    (lambda s: pd.concat([s, s.iloc[:1]]), "second time on one day"),
    (lambda s: s.assign(treated="true"), "every spot-day is treated"),
    (lambda s: s.assign(day=s["day"].astype(int) + 1), "is not the day of date 2021-11-01"),
    (lambda s: s.assign(date=s["date"].str.replace("2021", "2027")),
     "none of the 4,860 GPS pings is on a day of the schedule"),
])
def test_schedules_no_trial_can_use_are_named(tmp_path, edit, message, capsys):
    schedule = edit(pd.read_csv(EXAMPLES / "trial_schedule.csv", dtype=str))
    path = tmp_path / "schedule.csv"
    schedule.to_csv(path, index=False)
    shutil.copyfile(EXAMPLE_HOTSPOTS, tmp_path / "hotspots.csv")
    files = {"gps": EXAMPLES / "trial_gps.csv", "crimes": EXAMPLES / "trial_crimes.csv"}
    assert analyse(files, tmp_path / "out", schedule=path) == 2
    err = capsys.readouterr().err
    assert message in err and (str(path) in err or "trial_gps.csv" in err)


def test_missing_hot_spots_file_is_named(tmp_path, capsys):
    path = tmp_path / "schedule.csv"
    shutil.copyfile(EXAMPLES / "trial_schedule.csv", path)
    files = {"gps": EXAMPLES / "trial_gps.csv", "crimes": EXAMPLES / "trial_crimes.csv"}
    assert analyse(files, tmp_path / "out", schedule=path) == 2
    assert "hot spots file not found" in capsys.readouterr().err


def test_the_shipped_examples_analyse(tmp_path, capsys):
    files = {"gps": EXAMPLES / "trial_gps.csv", "crimes": EXAMPLES / "trial_crimes.csv"}
    assert analyse(files, tmp_path / "out", "--hotspots", str(EXAMPLE_HOTSPOTS),
                   schedule=EXAMPLES / "trial_schedule.csv") == 0
    printed = capsys.readouterr().out
    assert "8 hot spots x 10 days" in printed and "dose on control spot-days" in printed
    stats = pd.read_csv(tmp_path / "out" / "statistics.csv")
    assert np.isfinite(stats["rate_ratio"]).all() and len(stats) == 2
    dose = pd.read_csv(tmp_path / "out" / "dose_by_arm.csv").set_index("assignment")
    assert dose.loc["treated", "mean_minutes"] > dose.loc["control", "mean_minutes"]
    shipped = [EXAMPLES / "trial_schedule.csv", EXAMPLE_HOTSPOTS, *files.values()]
    assert sum(p.stat().st_size for p in shipped) < 1_000_000


def test_export_needs_a_randomised_run(tmp_path):
    from hotspot_sim.settings import load_scenario
    from hotspot_sim.sim.model import PatrolModel
    from hotspot_sim.sim.outputs import write_run
    from hotspot_sim.study import load_study

    scenario = load_scenario(SCENARIOS / "welwyn_hatfield.toml")
    model = PatrolModel(scenario, load_study(scenario), policy="hotspot_koper",
                        policy_params={"k": 3}, build_space=False)
    model.run_for(120)
    write_run(model, tmp_path / "run")
    with pytest.raises(DataError, match="randomised policy"):
        export_trial(tmp_path / "run", tmp_path / "pack")


def test_hot_spots_outside_the_schedule_are_left_out_with_a_warning(tmp_path, capsys):
    hotspots = pd.read_csv(EXAMPLE_HOTSPOTS)
    far = hotspots.iloc[:1].assign(hotspot_id=99, x=hotspots["x"].iloc[0] + 150)
    pd.concat([hotspots, far]).to_csv(tmp_path / "hotspots.csv", index=False)
    files = {"gps": EXAMPLES / "trial_gps.csv", "crimes": EXAMPLES / "trial_crimes.csv"}
    shutil.copyfile(EXAMPLES / "trial_schedule.csv", tmp_path / "schedule.csv")
    assert analyse(files, tmp_path / "out", schedule=tmp_path / "schedule.csv") == 0
    assert "1 hot spot(s) are not in the schedule" in capsys.readouterr().err
    assert analyse(files, tmp_path / "plain", "--hotspots", str(EXAMPLE_HOTSPOTS),
                   schedule=tmp_path / "schedule.csv") == 0
    # the reserve place 150 m away takes no crime from hot spot 1
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out" / "spot_days.csv"),
                                  pd.read_csv(tmp_path / "plain" / "spot_days.csv"))
    kept = pd.read_csv(tmp_path / "out" / "hotspots.csv")["hotspot_id"]
    assert 99 not in set(kept) and len(kept) == 8


def designed_schedule(tmp_path, design: str) -> Path:
    """The example schedule redrawn as a parallel or block (pairs) design."""
    s = pd.read_csv(EXAMPLES / "trial_schedule.csv")
    treated = s["hotspot_id"] <= 4 if design == "parallel" else s["hotspot_id"] % 2 == 1
    s = s.assign(treated=np.where(treated, "true", "false"), planned_minutes=treated * 15.0,
                 visits=treated.astype(int),
                 block=0 if design == "parallel" else (s["hotspot_id"] + 1) // 2)
    path = tmp_path / f"{design}.csv"
    s.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("design", ["parallel", "block"])
def test_parallel_and_block_schedules_are_analysed_as_drawn(tmp_path, design, capsys):
    files = {"gps": EXAMPLES / "trial_gps.csv", "crimes": EXAMPLES / "trial_crimes.csv"}
    assert analyse(files, tmp_path / "out", "--hotspots", str(EXAMPLE_HOTSPOTS),
                   schedule=designed_schedule(tmp_path, design)) == 0
    assert f"({design} design)" in capsys.readouterr().out
    stats = pd.read_csv(tmp_path / "out" / "statistics.csv")
    assert (stats["design"] == design).all() and np.isfinite(stats["rate_ratio"]).all()


def test_a_parallel_schedule_analysed_as_a_crossover_says_why_there_is_no_ratio(tmp_path,
                                                                               capsys):
    files = {"gps": EXAMPLES / "trial_gps.csv", "crimes": EXAMPLES / "trial_crimes.csv"}
    assert analyse(files, tmp_path / "out", "--hotspots", str(EXAMPLE_HOTSPOTS),
                   "--design", "crossover",
                   schedule=designed_schedule(tmp_path, "parallel")) == 0
    captured = capsys.readouterr()
    assert "looks like a parallel design" in captured.err
    assert "not identified" in captured.out
    assert pd.read_csv(tmp_path / "out" / "statistics.csv")["rate_ratio"].isna().all()


def test_the_randomisation_test_draws_follow_the_pack(tmp_path):
    """Without --permutations the analysis runs the draws design.json pre-registered; without a
    pack (or with a broken record) the default."""
    import json

    from hotspot_sim.cli.trial_analyse import DEFAULT_PERMUTATIONS, preregistered_permutations

    schedule = tmp_path / "schedule.csv"
    assert preregistered_permutations(schedule) == DEFAULT_PERMUTATIONS
    record = {"design": "crossover",
              "analysis": {"randomisation_test": {"n_permutations": 9999}}}
    (tmp_path / "design.json").write_text(json.dumps(record))
    assert preregistered_permutations(schedule) == 9999
    record["analysis"]["randomisation_test"]["n_permutations"] = "many"
    (tmp_path / "design.json").write_text(json.dumps(record))
    assert preregistered_permutations(schedule) == DEFAULT_PERMUTATIONS
