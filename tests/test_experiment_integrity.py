"""Experiments never reuse runs made with other settings; reports say when they cannot conclude.

Every stored run carries a key of everything that made it (scenario content, policy and
parameters, days, seed, model code); resuming reuses only runs with the same key, and
``report`` refuses a folder whose runs disagree with its manifest.
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.cli import main
from hotspot_sim.errors import ConfigError
from hotspot_sim.trial import load_experiment, run_experiment
from hotspot_sim.trial import runs as run_keys
from hotspot_sim.trial.report import build_report, change_table, mean_ci, wdq_table

from .test_experiment import tiny

SETTINGS = {"days": 0.25, "replications": 2, "seed": 11, "k": 5, '"offenders.count"': 100}
QUICK = "\n[quick]\ndays = 0.5\nreplications = 1\n"


def write(folder, **changes):
    """tests/test_experiment.py's tiny experiment in ``folder``, with ``changes`` to SETTINGS."""
    text = tiny(folder).read_text()
    for key, value in changes.items():  # each key appears once in the file, as 'key = value'
        key = {"offenders": '"offenders.count"', "reps": "replications"}.get(key, key)
        assert f"{key} = {SETTINGS[key]}" in text
        text = text.replace(f"{key} = {SETTINGS[key]}", f"{key} = {value}")
    path = folder / "tiny.toml"
    path.write_text(text + QUICK)
    return path


def tables(folder) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = pd.read_parquet(folder / "runs.parquet").drop(columns="wall_seconds")
    return runs, pd.read_parquet(folder / "spotdays.parquet")


def stamps(folder) -> dict:
    return {p.name: p.stat().st_mtime_ns for p in (folder / "runs").glob("*.parquet")}


@pytest.fixture(scope="module")
def finished(tmp_path_factory, real_data):
    """A finished tiny experiment (SETTINGS), to copy for each case."""
    folder = tmp_path_factory.mktemp("finished")
    run_experiment(load_experiment(write(folder)), folder / "res", progress=False)
    return folder / "res"


@pytest.fixture
def res(tmp_path, finished):
    shutil.copytree(finished, tmp_path / "res")
    return tmp_path / "res"


# ----------------------------------------------------------------------------- resume


def test_quick_then_full_gives_the_clean_full_results(tmp_path, monkeypatch, real_data):
    path = write(tmp_path, days=1)
    monkeypatch.chdir(tmp_path)
    assert main(["experiment", str(path), "--quick", "-q"]) == 0
    assert main(["experiment", str(path), "-q"]) == 0
    assert main(["experiment", str(path), "-q", "--out", str(tmp_path / "clean")]) == 0
    quick_runs, _ = tables(tmp_path / "results" / "tiny-quick")
    full_runs, full_spots = tables(tmp_path / "results" / "tiny")
    clean_runs, clean_spots = tables(tmp_path / "clean")
    assert set(quick_runs["days"]) == {0.5} and len(quick_runs) == 2
    assert full_runs["crimes"].sum() > 0 and len(full_runs) == 4
    pd.testing.assert_frame_equal(full_runs, clean_runs)
    pd.testing.assert_frame_equal(full_spots, clean_spots)


@pytest.mark.parametrize("change, says", [
    ({"days": 0.3}, ["days 0.25 -> 0.3"]),
    ({"seed": 12}, ["[experiment] seed 11 -> 12", "run seed (4 runs"]),
    ({"k": 4}, ["holds 2 run(s)", "policy parameter k 5 -> 4\n"]),
    ({"offenders": 90}, ["holds 2 run(s)", "scenario [offenders] count 100 -> 90\n"]),
    ({"reps": 1}, ["2 run(s) that are not part of this experiment"]),
])
def test_edited_experiment_reuses_nothing_and_names_the_difference(res, change, says):
    before, manifest = stamps(res), (res / "manifest.json").read_text()
    exp = load_experiment(write(res.parent, **change))
    with pytest.raises(ConfigError, match="made with other settings") as e:
        run_experiment(exp, res, progress=False)
    message = str(e.value)
    for text in says:
        assert text in message
    assert "--fresh" in message and "--out" in message and "nothing was run" in message
    assert stamps(res) == before and (res / "manifest.json").read_text() == manifest


@pytest.mark.parametrize("function, value, says", [
    ("code_version", "0.1.0+src.otherversion", r"code version 0\.1\.0\+src\.\w+ -> 0\.1\.0\+src\.oth"),
    ("library_versions", {"numpy": "0.0"}, r"numpy version \S+ -> 0\.0"),
])
def test_other_model_code_is_not_reused(res, monkeypatch, function, value, says):
    monkeypatch.setattr(run_keys, function, lambda: value)
    with pytest.raises(ConfigError, match=says):
        run_experiment(load_experiment(write(res.parent)), res, progress=False)


def test_runs_are_tied_to_the_data_content_not_its_folder(res, tmp_path, monkeypatch):
    import gzip
    import shutil

    from hotspot_sim.locations import data_root

    copy = tmp_path / "data-copy"
    shutil.copytree(data_root(), copy)
    monkeypatch.setenv("HOTSPOT_SIM_DATA", str(copy))
    before = stamps(res)
    run_experiment(load_experiment(write(res.parent)), res, progress=False)  # same files: reused
    assert stamps(res) == before
    month = sorted((copy / "police_uk").glob("*/*street.csv*"))[-1]
    opener = gzip.open if month.suffix == ".gz" else open
    with opener(month, "rb") as fh:
        lines = fh.read().splitlines(keepends=True)
    with opener(month, "wb") as fh:  # one more recorded crime
        fh.write(b"".join(lines + lines[-1:]))
    with pytest.raises(ConfigError, match=r"\n  - data \w+ -> \w+"):
        run_experiment(load_experiment(write(res.parent)), res, progress=False)


def test_same_settings_resume_and_more_replications_run_only_the_new_ones(res):
    before = stamps(res)
    run_experiment(load_experiment(write(res.parent, reps=3)), res, progress=False)
    after = stamps(res)
    assert len(after) == 6 and all(after[name] == t for name, t in before.items())


def test_runs_from_before_keys_are_not_reused(res):
    path = next((res / "runs").glob("*.parquet"))
    pd.read_parquet(path).drop(columns=["run_key", "run_config"]).to_parquet(path)
    with pytest.raises(ConfigError, match="1 run\\(s\\) made by an older hotspot-sim"):
        run_experiment(load_experiment(write(res.parent)), res, progress=False)


def test_fresh_moves_the_old_runs_aside(res, capsys):
    old = {p.name: p.read_bytes() for p in (res / "runs").glob("*.parquet")}
    path = write(res.parent, days=0.3)
    assert main(["experiment", str(path), "--out", str(res), "-q"]) != 0
    assert "days 0.25 -> 0.3" in capsys.readouterr().err
    assert main(["experiment", str(path), "--out", str(res), "-q", "--fresh"]) == 0
    moved = [p for p in res.parent.iterdir() if p.name.startswith("res.old-")]
    assert len(moved) == 1 and "moved the old results" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in (moved[0] / "runs").glob("*.parquet")} == old
    assert set(tables(res)[0]["days"]) == {0.3}


def test_fresh_never_moves_a_folder_that_is_not_an_experiment(tmp_path, real_data, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    assert main(["experiment", str(write(tmp_path)), "--out", str(tmp_path / "mine"), "-q",
                 "--fresh"]) != 0
    assert "does not look like an experiment" in capsys.readouterr().err
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


# ----------------------------------------------------------------------------- report


def test_report_refuses_runs_that_disagree_with_the_manifest(res):
    runs = pd.read_parquet(res / "runs.parquet")
    runs.loc[0, "run_key"] = "0" * 64  # a run made with other settings
    runs.to_parquet(res / "runs.parquet")
    with pytest.raises(ConfigError, match=r"runs.parquet: 1 run\(s\) were made with other "
                                          r"settings than manifest.json.*--fresh"):
        build_report(res)


def test_report_refuses_missing_runs_and_says_it_can_resume(res):
    runs = pd.read_parquet(res / "runs.parquet")
    runs.iloc[1:].to_parquet(res / "runs.parquet")
    with pytest.raises(ConfigError, match=r"1 of 4 runs are missing .* can be resumed.*"
                                          r"hotspot-sim experiment .*tiny.toml --out"):
        build_report(res)


def test_report_refuses_results_without_keys(res):
    pd.read_parquet(res / "runs.parquet").drop(columns="run_key").to_parquet(
        res / "runs.parquet")
    with pytest.raises(ConfigError, match="older hotspot-sim .* cannot be checked"):
        build_report(res)


def test_report_with_one_replication_gives_no_interval(tmp_path, real_data):
    out = run_experiment(load_experiment(write(tmp_path, reps=1, days=1)), tmp_path / "one",
                         progress=False)
    (out / "report").mkdir()
    (out / "report" / "change_vs_control.png").write_bytes(b"an old figure")
    text, tabs = build_report(out)
    assert "not enough replications for an interval (n=1)" in text
    assert "cannot conclude" in text and "No change figure" in text
    assert not (out / "report" / "change_vs_control.png").exists()  # not drawn, old one gone
    assert tabs["change_vs_control"][["ci_low", "ci_high"]].isna().all().all()
    assert tabs["arms"]["crimes_ci_low"].isna().all()


# ----------------------------------------------------------------------------- statistics


def test_two_replications_or_no_variation_give_no_interval():
    assert math.isnan(mean_ci([0.5, -0.9])[1])  # t = 12.7: -59% to +347,130% says nothing
    assert math.isnan(mean_ci([3.0, 3.0, 3.0])[1])  # zero width would claim certainty
    m, lo, hi = mean_ci([1.0, 2.0, 3.0])
    assert m == 2.0 and lo < 2.0 < hi


def runs_table(hot_none, hot_koper, ring=(20, 20), elsewhere=(500, 500), reps=3):
    """Runs of two arms with the given crimes per run at the hot spots, ring, elsewhere."""
    rows = []
    for arm, hot, r, e in (("none", hot_none, ring[0], elsewhere[0]),
                           ("koper", hot_koper, ring[1], elsewhere[1])):
        for rep in range(reps):
            vary = (lambda n: n + rep - 1 if n else 0)  # some variation across replications
            rows.append({"arm": arm, "grid_index": 0, "replication": rep,
                         "crimes_hotspots": vary(hot), "crimes_ring100_200": vary(r),
                         "crimes_elsewhere": vary(e)})
    df = pd.DataFrame(rows)
    df["crimes"] = df[["crimes_hotspots", "crimes_ring100_200", "crimes_elsewhere"]].sum(axis=1)
    df["harm"] = df["crimes"] * 1.0
    for p in ("hotspots", "ring100_200", "elsewhere"):
        df[f"harm_{p}"] = df[f"crimes_{p}"] * 1.0
    return df


def wdq_of(runs):
    from hotspot_sim.trial.report import arm_table, place_columns

    return wdq_table(arm_table(runs), "none", place_columns(runs), change_table(runs, "none"))


@pytest.mark.parametrize("runs, reading", [
    (runs_table(50, 60), "WDQ not defined: crimes at the hot spots did not fall"),
    (runs_table(2, 1), "WDQ not defined: too few crimes at the hot spots (6 in the control"),
    (runs_table(50, 20, elsewhere=(0, 0)), "WDQ not defined: no crimes elsewhere"),
    (runs_table(50, 20, ring=(20, 15)), "diffusion of benefits"),
])
def test_wdq_is_labelled_only_when_its_denominator_means_something(runs, reading):
    row = wdq_of(runs).iloc[0]
    assert row["reading"].startswith(reading)
    assert np.isnan(row["wdq"]) == reading.startswith("WDQ not defined")


def test_wdq_with_a_fall_within_chance_is_not_interpreted():
    runs = runs_table(50, 48)  # 47 and 48 against 49 and 50, then one replication of 30
    runs.loc[(runs["arm"] == "koper") & (runs["replication"] == 2), "crimes_hotspots"] = 30
    row = wdq_of(runs).iloc[0]
    assert row["reading"].startswith("not interpreted: the fall at the hot spots may be chance")


def test_change_with_too_few_crimes_is_not_given():
    change = change_table(runs_table(1, 5), "none").set_index("place").loc["hotspots"]
    assert np.isnan(change["pct_change"]) and np.isnan(change["ci_low"])
    assert change["note"] == "too few crimes for a % change (3 in the control arm's runs)"



def test_change_by_type_pairs_replications_and_leaves_out_rare_types():
    from hotspot_sim.trial.report import change_by_type

    runs = pd.DataFrame({
        "arm": ["none"] * 3 + ["koper"] * 3, "grid_index": 0, "replication": [0, 1, 2] * 2,
        "type:Burglary": [40, 44, 42, 30, 34, 31], "hotspot_type:Burglary": [20, 22, 21, 10, 12, 11],
        "type:Robbery": [1, 0, 2, 0, 1, 1]})
    table = change_by_type(runs, "none").set_index(["place", "crime_type"])
    burglary = table.loc[("all", "Burglary")]
    assert burglary["pct_change"] < 0 and burglary["ci_low"] < burglary["pct_change"] < \
        burglary["ci_high"] < 0 and burglary["control_crimes"] == 126
    assert table.loc[("hotspots", "Burglary"), "pct_change"] == pytest.approx(-47.4, abs=1)
    robbery = table.loc[("all", "Robbery")]
    assert np.isnan(robbery["pct_change"]) and robbery["note"].startswith("too few crimes")
    with pytest.raises(ConfigError, match="control arm 'random' is not in the results"):
        change_by_type(runs, "random")
