"""``trial rehearse`` and ``trial export``: a designed or simulated trial's files, ready for
``trial analyse``, from the command line (short runs: 4 hot spots, 2-3 days)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hotspot_sim.cli import main

START = "2021-11-01"  # inside the embedded data's months


def design_pack(folder, design: str = "crossover", days: int = 3) -> None:
    """``trial design`` of 4 hot spots for ``days`` days into ``folder`` (few power sims)."""
    assert main(["trial", "design", "-k", "4", "--days", str(days), "--sims", "20",
                 "--seed", "5", "--start", START, "--design", design, "--quiet",
                 "--out", str(folder)]) == 0


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """A 3-day daily crossover pack at 4 hot spots."""
    folder = tmp_path_factory.mktemp("pack") / "pack"
    design_pack(folder)
    return folder


@pytest.fixture(scope="module")
def rehearsal(pack, tmp_path_factory):
    """The pack's first 2 days rehearsed, with the text printed."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("rehearsal") / "files"
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        assert main(["trial", "rehearse", str(pack), "--days", "2", "--seed", "3",
                     "--out", str(out)]) == 0
    return out, text.getvalue()


def analyse(folder, out, *extra: str) -> int:
    return main(["trial", "analyse", "--schedule", str(folder / "schedule.csv"),
                 "--gps", str(folder / "gps.csv"), "--crimes", str(folder / "crimes.csv"),
                 "--permutations", "99", "--out", str(out), *extra])


def test_rehearse_writes_the_real_trials_files_for_its_days(pack, rehearsal):
    out, printed = rehearsal
    for name in ("schedule.csv", "hotspots.csv", "gps.csv", "crimes.csv", "design.json",
                 "rehearsal.json"):
        assert (out / name).is_file(), name
    schedule, full = pd.read_csv(out / "schedule.csv"), pd.read_csv(pack / "schedule.csv")
    pd.testing.assert_frame_equal(schedule, full[full["day"] < 2])
    assert (out / "hotspots.csv").read_bytes() == (pack / "hotspots.csv").read_bytes()
    for name in ("gps", "crimes"):
        days = pd.to_datetime(pd.read_csv(out / f"{name}.csv")["time"]).dt.strftime("%Y-%m-%d")
        assert set(days) == {"2021-11-01", "2021-11-02"}, name
    assert "off_duty" not in set(pd.read_csv(out / "gps.csv")["status"])
    info = json.loads((out / "rehearsal.json").read_text())
    assert (info["days"], info["of_days"], info["seed"]) == (2, 3, 3)
    assert "not evidence" in printed and "2 of 3 days" in printed
    assert f"trial analyse --schedule {out}/schedule.csv --gps {out}/gps.csv" in printed


def test_a_rehearsal_analyses_as_a_real_trial(rehearsal, tmp_path, capsys):
    out, _ = rehearsal
    assert analyse(out, tmp_path / "analysis") == 0
    assert "4 hot spots x 2 days" in capsys.readouterr().out
    compliance = pd.read_csv(tmp_path / "analysis" / "compliance_overall.csv").iloc[0]
    assert compliance["planned_spot_days"] == int(
        pd.read_csv(out / "schedule.csv")["treated"].sum())


def test_officers_and_ping_interval_thin_the_gps(pack, tmp_path):
    assert main(["trial", "rehearse", str(pack / "schedule.csv"), "--days", "1",
                 "--officers", "0", "1", "--ping-every", "5", "--out", str(tmp_path)]) == 0
    gps = pd.read_csv(tmp_path / "gps.csv")
    assert set(gps["officer"]) <= {0, 1} and len(gps)
    assert (pd.to_datetime(gps["time"]).dt.minute % 5 == 0).all()


def test_the_seed_changes_the_simulation(pack, rehearsal, tmp_path):
    out, _ = rehearsal
    assert main(["trial", "rehearse", str(pack), "--days", "2", "--seed", "4",
                 "--out", str(tmp_path)]) == 0
    assert (tmp_path / "crimes.csv").read_bytes() != (out / "crimes.csv").read_bytes()
    assert (tmp_path / "schedule.csv").read_bytes() == (out / "schedule.csv").read_bytes()


# --------------------------------------------------------------------------- trial export


def simulate(folder, policy: str) -> None:
    """``hotspot-sim run`` of ``policy`` at 4 hot spots for 2 days into ``folder``."""
    assert main(["run", "--policy", policy, "--param", "k=4", "--days", "2", "--seed", "2",
                 "--quiet", "--out", str(folder)]) == 0


@pytest.mark.parametrize("policy, design", [("crossover_daily", "crossover"),
                                            ("parallel_patrol", "parallel")])
def test_export_writes_a_run_as_the_real_trials_files(policy, design, tmp_path, capsys):
    simulate(tmp_path / "run", policy)
    capsys.readouterr()
    assert main(["trial", "export", str(tmp_path / "run"), "--out", str(tmp_path / "files"),
                 "--ping-every", "2", "--on-duty-only"]) == 0
    printed = capsys.readouterr().out
    assert "4 hot spots x 2 days" in printed and "trial analyse --schedule" in printed
    schedule = pd.read_csv(tmp_path / "files" / "schedule.csv")
    assignments = pd.read_parquet(tmp_path / "run" / "assignments.parquet")
    assert schedule["treated"].tolist() == \
        assignments.sort_values(["day", "hotspot_id"])["treated"].head(8).tolist()
    assert (schedule["block"] == 0).all() == (design == "parallel")
    gps = pd.read_csv(tmp_path / "files" / "gps.csv")
    assert (pd.to_datetime(gps["time"]).dt.minute % 2 == 0).all()
    assert "off_duty" not in set(gps["status"])
    assert analyse(tmp_path / "files", tmp_path / "analysis") == 0
    assert f"({design} design)" in capsys.readouterr().out


def test_export_is_in_the_track_package():
    from hotspot_sim import track
    from hotspot_sim.track.export import export_trial

    assert track.export_trial is export_trial and "export_trial" in track.__all__


# --------------------------------------------------------------------------- the pack's design


@pytest.mark.parametrize("design", ["parallel", "block"])
def test_a_rehearsed_pack_is_analysed_with_its_designs_terms(design, tmp_path, capsys):
    design_pack(tmp_path / "pack", design, days=2)
    assert main(["trial", "rehearse", str(tmp_path / "pack"), "--out",
                 str(tmp_path / "files")]) == 0
    assert analyse(tmp_path / "files", tmp_path / "analysis") == 0  # no --design
    captured = capsys.readouterr()
    assert f"({design} design)" in captured.out and "looks like" not in captured.err
    stats = pd.read_csv(tmp_path / "analysis" / "statistics.csv")
    assert (stats["design"] == design).all()


def test_the_packs_design_json_decides_over_the_schedules_look(rehearsal, tmp_path, capsys):
    import shutil

    folder = tmp_path / "files"
    shutil.copytree(rehearsal[0], folder)
    record = json.loads((folder / "design.json").read_text())
    (folder / "design.json").write_text(json.dumps({**record, "design": "parallel"}))
    assert analyse(folder, tmp_path / "analysis") == 0
    captured = capsys.readouterr()
    assert "(parallel design)" in captured.out
    assert "looks like a crossover design but is analysed as a parallel design (the pack's " \
           "design.json)" in captured.err
    (folder / "design.json").write_text(json.dumps({**record, "design": "zigzag"}))
    assert analyse(folder, tmp_path / "again") == 2
    assert "design.json: 'design' is 'zigzag'" in capsys.readouterr().err


def test_a_pack_without_design_json_leaves_none_behind(pack, rehearsal, tmp_path):
    import shutil

    out = tmp_path / "files"
    shutil.copytree(rehearsal[0], out)  # an earlier rehearsal, with its pack's design.json
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("schedule.csv", "hotspots.csv"):
        shutil.copyfile(pack / name, bare / name)
    assert main(["trial", "rehearse", str(bare), "--days", "1", "--out", str(out)]) == 0
    assert not (out / "design.json").exists()


def test_a_daily_draw_is_a_crossover_even_when_a_spot_keeps_its_arm():
    from hotspot_sim.trial.field import infer_design

    same_arm = pd.DataFrame({"hotspot_id": [1, 2, 1, 2], "treated": [True, False] * 2})
    assert infer_design(same_arm.assign(block=[0, 0, 1, 1])) == "crossover"  # block = day
    assert infer_design(same_arm.assign(block=[1, 2, 1, 2])) == "block"      # pairs
    assert infer_design(same_arm.assign(block=0)) == "parallel"
    assert infer_design(same_arm.assign(treated=[True, False, False, True])) == "crossover"


# --------------------------------------------------------------------------- hot spot files


def test_a_hot_spot_files_own_node_column_is_read_once(pack):
    from hotspot_sim.track.inputs import LINE, read_hotspots_csv

    read = read_hotspots_csv(pack / "hotspots.csv")  # trial design writes its street node
    assert "node" in pd.read_csv(pack / "hotspots.csv").columns
    assert list(read.columns).count("node") == 1 and (read["node"] == -1).all()
    assert list(read.columns).count(LINE) == 1 and read[LINE].tolist() == [2, 3, 4, 5]
    assert {"rank", "arm", "crimes", "location"} <= set(read.columns)  # the others are kept
