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
