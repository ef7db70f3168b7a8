"""Experiment runner: seeds, resume after a kill, backend equivalence, bad files, report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from hotspot_sim.errors import ConfigError
from hotspot_sim.trial import load_experiment, make_tasks, run_experiment

from .conftest import ROOT

TINY = """
[experiment]
name = "tiny"
scenario = "{scenario}"
days = 0.25
replications = 2
seed = 11
control = "none"
hotspots = 5

[[arms]]
name = "none"
policy = "none"

[[arms]]
name = "koper"
policy = "hotspot_koper"
params = {{ k = 5 }}
set = {{ "offenders.count" = 100 }}
"""


def tiny(tmp_path, extra: str = "", **fmt) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(TINY.format(scenario=ROOT / "scenarios" / "welwyn_hatfield.toml", **fmt) + extra)
    return p


def test_seeds_are_deterministic_and_shared_across_arms(tmp_path, real_data):
    exp = load_experiment(tiny(tmp_path, '\n[grid]\n"officers.count" = [4, 8]\n'))
    t1, t2 = make_tasks(exp), make_tasks(exp)
    assert [t.seed for t in t1] == [t.seed for t in t2]
    assert len(t1) == 2 * 2 * 2
    seeds = {(t.arm.name, t.grid_index, t.replication): t.seed for t in t1}
    # common random numbers: same grid point and replication, same seed in every arm
    assert seeds[("none", 1, 0)] == seeds[("koper", 1, 0)]
    assert len({s for (a, g, r), s in seeds.items() if a == "none"}) == 4  # otherwise distinct
    other = make_tasks(replace(exp, seed=12))
    assert [t.seed for t in other] != [t.seed for t in t1]


@pytest.mark.parametrize("text, match", [
    ("[experiment]\nname = 'x'\n", r"\[experiment\] scenario: required"),
    ("[experiment]\nname='x'\nscenario='s.toml'\nreplicates=3\n[[arms]]\npolicy='none'\n",
     r"unknown key\(s\) replicates"),
    ("[experiment]\nname='x'\nscenario='s.toml'\n", "at least one \\[\\[arms\\]\\]"),
    ("[experiment]\nname='x'\nscenario='s.toml'\ndays=-1\n[[arms]]\npolicy='none'\n",
     r"days = -1: must be >="),
    ("[experiment]\nname='x'\nscenario='s.toml'\ncontrol='nope'\n[[arms]]\npolicy='none'\n",
     "control = 'nope': not an arm"),
    ("[experiment]\nname='x'\nscenario='s.toml'\n[[arms]]\npolicy='none'\n[grid]\ncount=[1]\n",
     r"\[grid\] count: use 'section.key'"),
    ("[experimnt]\n", r"unknown table\(s\) experimnt"),
])
def test_bad_experiment_files_name_key_and_file(tmp_path, text, match):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match) as e:
        load_experiment(p)
    assert "bad.toml" in str(e.value)


def test_bad_scenario_override_is_caught_at_load(tmp_path, real_data):
    p = tiny(tmp_path)
    p.write_text(p.read_text().replace('"offenders.count" = 100', '"offenders.cunt" = 100'))
    with pytest.raises(ConfigError, match="arm 'koper'.*unknown key 'cunt'"):
        load_experiment(p)


def test_local_and_dask_backends_give_identical_results(tmp_path, real_data):
    exp = load_experiment(tiny(tmp_path))
    local = pd.read_parquet(run_experiment(exp, tmp_path / "local", workers=1,
                                           progress=False) / "runs.parquet")
    dask = pd.read_parquet(run_experiment(exp, tmp_path / "dask", workers=2, backend="dask",
                                          progress=False) / "runs.parquet")
    keep = [c for c in local.columns if c != "wall_seconds"]
    pd.testing.assert_frame_equal(local[keep], dask[keep])
    assert len(local) == 4 and local["crimes"].sum() > 0
    spot_local = pd.read_parquet(tmp_path / "local" / "spotdays.parquet")
    spot_dask = pd.read_parquet(tmp_path / "dask" / "spotdays.parquet")
    pd.testing.assert_frame_equal(spot_local, spot_dask)


def test_kill_loses_no_finished_run_and_resume_runs_only_the_rest(tmp_path, real_data):
    path = tiny(tmp_path).with_name("slow.toml")
    path.write_text(tiny(tmp_path).read_text().replace("replications = 2", "replications = 4"))
    out = tmp_path / "res"
    cmd = [sys.executable, "-m", "hotspot_sim.cli", "experiment", str(path), "--out", str(out),
           "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=os.environ.copy())
    runs = out / "runs"
    deadline = time.time() + 240
    while time.time() < deadline and len(list(runs.glob("*.parquet"))) < 2:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = sorted(runs.glob("*.parquet"))
    assert 2 <= len(finished) < 8, "the run should be killed part-way"
    stamps = {p.name: p.stat().st_mtime_ns for p in finished}
    for p in finished:  # every file that exists is complete (atomic writes)
        assert len(pd.read_parquet(p)) == 1
    assert not list(runs.glob("*.tmp"))
    subprocess.run(cmd, cwd=ROOT, check=True, env=os.environ.copy())
    after = sorted(runs.glob("*.parquet"))
    assert len(after) == 8
    assert all(p.stat().st_mtime_ns == stamps[p.name] for p in after if p.name in stamps)
    assert len(pd.read_parquet(out / "runs.parquet")) == 8


def test_report_on_tiny_experiment(tmp_path, real_data):
    from hotspot_sim.trial import build_report

    path = tiny(tmp_path)  # enough replications and crimes for intervals and the figure
    path.write_text(path.read_text().replace("replications = 2", "replications = 3")
                    .replace("days = 0.25", "days = 1"))
    out = run_experiment(load_experiment(path), tmp_path / "r", progress=False)
    text, tables = build_report(out, cost_per_hour=40.0)
    assert "Change against `none`" in text
    assert "Cost-benefit at £40.00 per officer hour" in text and "ring100_200" not in text
    change = tables["change_vs_control"]
    assert set(change["arm"]) == {"koper"} and set(change["place"]) >= {"all", "hotspots"}
    assert (out / "report" / "change_vs_control.png").stat().st_size > 10_000
    assert {"arms", "wdq", "cost_benefit"} <= set(tables)


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_experiments_load(path, real_data):
    exp = load_experiment(path)
    tasks = make_tasks(exp)
    assert len(tasks) == len(exp.arms) * len(exp.grid_points()) * exp.replications
    quick = exp.with_quick()
    assert quick.days <= 3 and quick.replications <= 3  # small, but enough for an interval


def test_grid_policy_parameter_nobody_has_is_an_error(tmp_path, real_data):
    with pytest.raises(ConfigError, match=r"\[grid\] policy.dwell: no arm's policy"):
        load_experiment(tiny(tmp_path, '\n[grid]\n"policy.dwell" = [1, 2]\n'))
