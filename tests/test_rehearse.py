"""Rehearsing a designed trial: the simulation follows the pack's schedule, and analyses."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.cli import main
from hotspot_sim.errors import ConfigError
from hotspot_sim.trial.rehearse import POLICY, rehearse_pack

from .conftest import ROOT, SCENARIOS

EXAMPLES = ROOT / "examples"


@pytest.fixture
def pack(tmp_path):
    """The shipped example schedule and hot spots laid out as a trial pack."""
    folder = tmp_path / "pack"
    folder.mkdir()
    shutil.copyfile(EXAMPLES / "trial_schedule.csv", folder / "schedule.csv")
    shutil.copyfile(EXAMPLES / "trial_analysis_hotspots.csv", folder / "hotspots.csv")
    return folder


def model_for(schedule, start="2021-11-01T00:00"):
    from hotspot_sim.settings import load_scenario
    from hotspot_sim.sim.model import PatrolModel
    from hotspot_sim.study import load_study

    scenario = load_scenario(SCENARIOS / "welwyn_hatfield.toml").replace(
        {"scenario.start": start})
    return PatrolModel(scenario, load_study(scenario), policy=POLICY, build_space=False,
                       policy_params={"schedule": str(schedule)})


def test_the_policy_treats_exactly_the_scheduled_spot_days(pack):
    model = model_for(pack / "schedule.csv")
    model.run_days(2)
    got = model.policy.assignment_table().set_index(["day", "hotspot_id"])["treated"]
    plan = pd.read_csv(pack / "schedule.csv").set_index(["day", "hotspot_id"])["treated"]
    days = got.index.get_level_values("day") < 2
    assert got[days].equals(plan.reindex(got[days].index).astype(bool))
    dose = model.policy.dose_plan()
    assert set(dose["planned_minutes"]) == {15.0} and dose["treated"].all()


def test_a_rehearsed_pack_analyses_with_the_schedules_own_assignment(pack, tmp_path, capsys):
    files = rehearse_pack(pack / "schedule.csv", tmp_path / "files", seed=3)
    assert main(["trial", "analyse", "--schedule", str(pack / "schedule.csv"),
                 "--gps", str(files["gps"]), "--crimes", str(files["crimes"]),
                 "--permutations", "99", "--out", str(tmp_path / "out")]) == 0
    assert "8 hot spots x 10 days" in capsys.readouterr().out
    compliance = pd.read_csv(tmp_path / "out" / "compliance_overall.csv").iloc[0]
    # most scheduled visits were made (calls for service take officers away from some)
    assert compliance["share_planned_days_met"] > 0.75
    dose = pd.read_csv(tmp_path / "out" / "dose_by_arm.csv").set_index("assignment")
    assert dose.loc["treated", "mean_minutes"] > dose.loc["control", "mean_minutes"]
    assert np.isfinite(pd.read_csv(tmp_path / "out" / "statistics.csv")["rate_ratio"]).all()


def test_a_model_starting_on_another_day_is_refused(pack):
    with pytest.raises(ConfigError, match="set scenario.start = \"2021-11-01T00:00\""):
        model_for(pack / "schedule.csv", start="2021-11-08T00:00")


def test_hot_spots_off_the_study_area_are_refused(pack):
    hotspots = pd.read_csv(pack / "hotspots.csv")
    hotspots.loc[0, "x"] += 50_000  # 50 km east: not a place of Welwyn Hatfield
    hotspots.drop(columns=["lon", "lat"]).to_csv(pack / "hotspots.csv", index=False)
    with pytest.raises(ConfigError, match="from the nearest street"):
        model_for(pack / "schedule.csv")


def test_a_packs_own_node_column_does_not_confuse_the_reader(pack):
    from hotspot_sim.track.inputs import read_hotspots_csv

    hotspots = pd.read_csv(pack / "hotspots.csv")
    hotspots.assign(node=123).to_csv(pack / "hotspots.csv", index=False)  # trial design's
    read = read_hotspots_csv(pack / "hotspots.csv")
    assert list(read.columns).count("node") == 1 and (read["node"] == -1).all()
    model = model_for(pack / "schedule.csv")
    assert model.policy.hotspots["node"].nunique() == len(hotspots)


def test_a_schedule_with_several_doses_is_refused(pack):
    schedule = pd.read_csv(pack / "schedule.csv")
    first = schedule.index[schedule["treated"]][0]
    schedule.loc[first, "planned_minutes"] = 30.0  # the rehearsal gives one dose to all
    schedule.to_csv(pack / "schedule.csv", index=False)
    with pytest.raises(ConfigError, match="2 different doses .30 planned minutes in 1 visit.s., 15 planned"):
        model_for(pack / "schedule.csv")
