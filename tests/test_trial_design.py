"""``hotspot-sim trial design``: the real trial's schedule, geofences and protocol.

The pack is written from the embedded (or $HOTSPOT_SIM_DATA) Welwyn Hatfield data with
few hot spots, few days and few simulated trials, so each test takes about a second.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.cli import main
from hotspot_sim.errors import ConfigError, DataError
from hotspot_sim.trial.design import TrialDesign, next_monday, plan_trial, randomise
from hotspot_sim.trial.pack import PACK_FILES
from hotspot_sim.trial.stats import permutation_test

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_HOTSPOTS = ROOT / "examples" / "trial_hotspots.csv"
EXAMPLE_PACK = ROOT / "examples" / "trial_pack"
GPX = "{http://www.topografix.com/GPX/1/1}"
START = "2027-01-04"


def design_pack(out: Path, *extra: str, seed: int = 11) -> Path:
    """Write a small pack (6 hot spots, 14 days, 20 simulated trials) and return its folder."""
    argv = ["trial", "design", "-k", "6", "--days", "14", "--start", START, "--sims", "20",
            "--seed", str(seed), "-q", "--out", str(out), *extra]
    assert main(argv) == 0
    return out


@pytest.fixture(scope="module")
def pack(tmp_path_factory, real_data) -> Path:
    return design_pack(tmp_path_factory.mktemp("pack") / "crossover")


# --------------------------------------------------------------------------- reproducible


def test_same_seed_same_bytes_other_seed_differs(tmp_path, pack, real_data):
    again = design_pack(tmp_path / "again")
    for name in PACK_FILES:
        assert (again / name).read_bytes() == (pack / name).read_bytes(), name
    other = design_pack(tmp_path / "other", seed=12)
    assert (other / "schedule.csv").read_bytes() != (pack / "schedule.csv").read_bytes()


def test_example_pack_is_what_the_documented_command_writes(tmp_path, real_data, monkeypatch):
    record = json.loads((EXAMPLE_PACK / "design.json").read_text())
    argv = record["command"].split()[1:] + ["--sims", "20", "-q", "--out", str(tmp_path)]
    monkeypatch.chdir(ROOT)  # the command names examples/trial_hotspots.csv from the root
    assert main(argv) == 0
    assert (tmp_path / "schedule.csv").read_bytes() == \
        (EXAMPLE_PACK / "schedule.csv").read_bytes()


# --------------------------------------------------------------------------- designs


RATES = np.array([0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.4, 0.8, 0.6, 0.05])


def design(kind: str, **kw) -> TrialDesign:
    return TrialDesign(kind, kw.pop("days", 30), dt.date(2027, 1, 4), seed=kw.pop("seed", 3),
                       **kw)


def test_crossover_treats_the_same_number_every_day_and_redraws():
    treated, block = randomise(design("crossover"), RATES)
    assert treated.shape == (10, 30)
    assert (treated.sum(axis=0) == 4).all()           # 40% of 10 every day (Southend share)
    assert (treated.any(axis=1) & ~treated.all(axis=1)).all()  # each spot in both arms
    assert (block == 0).all()


def test_parallel_treats_a_fixed_half_throughout():
    treated, _ = randomise(design("parallel"), RATES)
    assert (treated == treated[:, :1]).all()          # never changes arm
    assert treated[:, 0].sum() == 5


def test_block_treats_one_of_each_pair_of_similar_baseline():
    treated, block = randomise(design("block"), RATES)
    assert (treated == treated[:, :1]).all()
    assert sorted(np.bincount(block)[1:]) == [2] * 5
    for b in range(1, 6):
        members = np.flatnonzero(block == b)
        assert treated[members, 0].sum() == 1
        # pairs are neighbours in baseline order: no rate lies between the two
        lo, hi = np.sort(RATES[members])
        assert not ((RATES > lo) & (RATES < hi)).any()


def test_the_power_figure_is_for_the_schedule_written(pack):
    record = json.loads((pack / "design.json").read_text())
    schedule = (pack / "schedule.csv").read_text().splitlines()
    assert record["power"]["hotspots"] == record["hotspot_count"] == 6
    assert record["power"]["days"] == record["days"] == 14
    assert len(schedule) - 1 == 6 * 14
    on = sum(line.split(",")[3] == "true" for line in schedule[1:])
    assert on == record["resources"]["treated_spot_days"] == round(0.4 * 6) * 14
    assert record["resources"]["patrol_hours"] == pytest.approx(on * 15 / 60)


# --------------------------------------------------------------------------- files


def test_schedule_and_hotspots_read_back_by_track(pack):
    from hotspot_sim.track import read_hotspots_csv, read_plan_csv

    plan = read_plan_csv(pack / "schedule.csv")
    spots = read_hotspots_csv(pack / "hotspots.csv")
    assert set(plan["hotspot_id"]) == set(spots["hotspot_id"])
    assert str(plan["date"].min()) == START and plan["day"].max() == 13
    assert (plan.loc[~plan["treated"], "planned_minutes"] == 0).all()
    assert (plan.loc[plan["treated"], "planned_minutes"] == 15).all()
    blocks = [int(line.split(",")[6]) for line in
              (pack / "schedule.csv").read_text().splitlines()[1:]]
    assert blocks == plan["day"].tolist()  # a crossover's stratum is the day
    assert (spots["radius_m"] == 100).all()


def test_geojson_polygons_close_around_each_centre(pack):
    from hotspot_sim.projection import to_bng

    collection = json.loads((pack / "geofences.geojson").read_text())
    spots = (pack / "hotspots.csv").read_text().splitlines()[1:]
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 6
    for feature, line in zip(collection["features"], spots):
        ring = np.array(feature["geometry"]["coordinates"][0])
        assert feature["geometry"]["type"] == "Polygon"
        assert (ring[0] == ring[-1]).all() and len(ring) > 4
        assert {"id", "radius_m", "rank", "arm"} <= set(feature["properties"])
        x, y = to_bng(ring[:, 0], ring[:, 1])
        cx, cy = (float(v) for v in line.split(",")[2:4])
        assert np.hypot(x - cx, y - cy) == pytest.approx(100, abs=0.5)


def test_gpx_parses_with_a_waypoint_and_closed_track_per_hot_spot(pack):
    root = ET.parse(pack / "geofences.gpx").getroot()
    assert root.tag == f"{GPX}gpx" and root.get("version") == "1.1"
    assert len(root.findall(f"{GPX}wpt")) == 6
    tracks = root.findall(f"{GPX}trk")
    assert len(tracks) == 6
    for trk in tracks:
        points = trk.findall(f"{GPX}trkseg/{GPX}trkpt")
        assert points[0].attrib == points[-1].attrib and len(points) > 4


def test_protocol_states_seed_design_and_the_power_in_design_json(pack):
    record = json.loads((pack / "design.json").read_text())
    text = (pack / "protocol.md").read_text()
    assert f"SeedSequence(**{record['seed']}**)" in text and record["seed"] == 11
    assert "Crossover randomised trial of 6 hot spots for 14 days" in text
    assert f"**{100 * record['power']['power']:.0f}%**" in text
    harm = record["power"]["harm"]
    assert f"**{100 * harm['power']:.0f}%** ({100 * harm['ci_low']:.0f}-" in text
    ci = f"{100 * record['power']['ci_low']:.0f}-{100 * record['power']['ci_high']:.0f}%"
    assert ci in text
    assert record["schedule_sha256"] in text
    for section in ("Hot spots", "Design and randomisation", "Outcomes", "Analysis", "Power",
                    "Officer time and cost"):
        assert section in text
    page = (pack / "protocol.html").read_text()
    assert page.count("<tr>") == 7 and "<h2>" in page and "**" not in page


def test_hotspots_from_a_file_keep_ids_and_count_the_baseline(tmp_path, real_data):
    out = design_pack(tmp_path / "file", "--hotspots", str(EXAMPLE_HOTSPOTS), "--design",
                      "block")
    lines = (out / "hotspots.csv").read_text().splitlines()
    assert lines[1].split(",")[1] == "WH-A" and len(lines) == 7  # -k 6 of 8
    crimes = [float(line.split(",")[7]) for line in lines[1:]]
    assert min(crimes) > 0
    record = json.loads((out / "design.json").read_text())
    assert record["block_size"] == 2 and record["analysis"]["primary"]["cluster"] == "block"


def test_text_from_a_hot_spot_file_cannot_break_the_protocol(tmp_path, real_data):
    spots = tmp_path / "spots.csv"
    rows = EXAMPLE_HOTSPOTS.read_text().splitlines()[2:7]  # 5 more plain ones
    spots.write_text("hotspot_id,x,y,radius_m,location\n"
                     "A_1,521490,208747,100,<b>Kiosk</b> | *star*\n" + "\n".join(rows) + "\n")
    out = design_pack(tmp_path / "pack", "--hotspots", str(spots))
    page = (out / "protocol.html").read_text()
    assert "&lt;b&gt;Kiosk&lt;/b&gt; / *star*" in page and "<b>Kiosk" not in page
    assert "<td>A_1</td>" in page and page.count("<tr>") == 7


def test_file_hot_spots_get_the_crimes_target_counted(wh_study):
    from hotspot_sim.target import TargetSettings, target
    from hotspot_sim.trial.spots import crimes_within, harm_weights_within

    table = target(wh_study, TargetSettings(k=5))
    where = table["x"], table["y"], table["radius_m"]
    counted = crimes_within(wh_study, *where)
    assert counted.tolist() == table["crimes"].astype(float).tolist()
    weights = harm_weights_within(wh_study, *where)
    assert len(weights) == counted.sum() and (weights >= 0).all()
    assert weights.sum() == pytest.approx(table["harm"].sum())  # ASB weighs 0 days


@pytest.mark.parametrize("effect, low, high", [(1.0, 0.0, 0.12), (0.5, 0.8, 1.0)])
def test_harm_power_keeps_its_size_and_finds_a_large_effect(effect, low, high):
    from hotspot_sim.trial.design import harm_power

    weights = np.array([1.0, 2.0, 10.0, 365.0, 1000.0])
    out = harm_power(design("crossover", days=60), np.full(10, 0.8), weights, effect, 200,
                     0.05)
    assert low <= out["power"] <= high and out["ci_low"] <= out["power"] <= out["ci_high"]


@pytest.mark.parametrize("outcome, key", [("harm", "primary"), ("crimes", "secondary_counts")])
def test_the_preregistered_crossover_analysis_is_what_trial_analyse_runs(outcome, key):
    from hotspot_sim.trial import simulate_trial
    from hotspot_sim.trial.protocol import analysis_plan
    from hotspot_sim.trial.report import trial_statistics
    from hotspot_sim.trial.stats import rate_ratio_glm

    table = simulate_trial("crossover", 8, 40, 0.6, 0.8, seed=5)
    weights = np.random.default_rng(5).choice([1.0, 10.0, 365.0], size=len(table))
    table["harm"] = table["crimes"] * weights
    spec = dict(analysis_plan("crossover")[key])
    assert spec.pop("outcome") == outcome
    ours = rate_ratio_glm(table, outcome=outcome, **spec)
    theirs = trial_statistics(table.assign(task_id=0), 19, outcome=outcome).iloc[0]
    assert (ours.rate_ratio, ours.ci_low, ours.ci_high, ours.p_value) == pytest.approx(
        (theirs["rate_ratio"], theirs["ci_low"], theirs["ci_high"], theirs["p_glm"]))
    test = dict(analysis_plan("crossover")["randomisation_test"], n_permutations=19)
    assert permutation_test(table, outcome=outcome, **test)["p_value"] == \
        pytest.approx(theirs["p_permutation"])


@pytest.mark.parametrize("kind", ["crossover", "parallel", "block"])
def test_the_harm_power_tests_the_statistic_permutation_test_computes(kind):
    from hotspot_sim.trial import simulate_trial
    from hotspot_sim.trial.design import _randomisation_test

    table = simulate_trial(kind, 8, 20, 0.7, 0.8, seed=2)
    table["harm"] = table["crimes"] * (1 + table["day"] % 3) * 10.0
    shape = (1, 8, 20)
    blocks = table.groupby("hotspot_id")["block"].first().to_numpy()[None, :] \
        if kind == "block" else np.zeros((1, 8), dtype=np.int64)
    _, ours, _ = _randomisation_test(design(kind, days=20), table["harm"].to_numpy().reshape(
        shape), table["treated"].to_numpy().reshape(shape), blocks, np.random.default_rng(0))
    theirs = permutation_test(table, "harm", 9, design=kind, statistic="glm")["statistic"]
    assert ours[0] == pytest.approx(theirs)


def test_trial_analyse_reads_the_pack(tmp_path, capsys, real_data):
    """records in -> design pack out -> real-trial analysis: the pack's schedule and hot
    spots go straight into 'trial analyse' (with the example trial's GPS and crimes)."""
    examples = ROOT / "examples"
    out = tmp_path / "pack"
    assert main(["trial", "design", "--hotspots", str(examples / "trial_analysis_hotspots.csv"),
                 "--days", "10", "--start", "2021-11-01", "--seed", "4", "--sims", "20", "-q",
                 "--out", str(out)]) == 0
    assert main(["trial", "analyse", "--schedule", str(out / "schedule.csv"), "--gps",
                 str(examples / "trial_gps.csv"), "--crimes", str(examples / "trial_crimes.csv"),
                 "--permutations", "19", "--out", str(tmp_path / "analysis")]) == 0
    assert "8 hot spots x 10 days = 80 spot-days (30 treated)" in capsys.readouterr().out


def test_a_pack_from_python_as_a_notebook_writes_it(tmp_path, wh_study):
    from hotspot_sim.trial.design import design_trial
    from hotspot_sim.trial.pack import write_pack

    plan = design_trial(wh_study, TrialDesign("parallel", 7, dt.date(2027, 1, 4), seed=2),
                        k=4, eligibility=True, n_sims=10)
    files = write_pack(plan, tmp_path)
    text = files["protocol.md"].read_text()
    assert "Operations Savvy/Style rules" in text and "same hot spots, design and seed" in text
    assert (plan.hotspots["radius_m"] == 150).all()  # the rules' radius
    # the table 'target --eligibility' writes: officers get each place's name
    assert {"location", "lsoa"} <= set(plan.hotspots) and plan.hotspots["location"].ne("").all()
    assert sorted(plan.hotspots["arm"]) == ["control"] * 2 + ["treatment"] * 2
    with pytest.raises(ConfigError, match="not both"):
        design_trial(wh_study, TrialDesign("parallel", 7, dt.date(2027, 1, 4)),
                     eligibility=True, hotspots=EXAMPLE_HOTSPOTS)


def test_next_monday_is_after_today():
    assert next_monday(dt.date(2026, 12, 3)) == dt.date(2026, 12, 7)   # a Thursday
    assert next_monday(dt.date(2026, 12, 7)) == dt.date(2026, 12, 14)  # a Monday: next week


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("how, message", [
    ([], r"k = 5000: only \d+ places"),
    (["--eligibility"], r"k = 5000: only \d+ places meet the eligibility rules"),
])
def test_more_hot_spots_than_places_is_a_clear_error(tmp_path, capsys, real_data, how,
                                                      message):
    assert main(["trial", "design", "-k", "5000", "-q", "--out", str(tmp_path), *how]) == 2
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "schedule.csv").exists()


@pytest.mark.parametrize("argv, message", [
    (["--days", "0"], "argument --days: '0'"),
    (["--design", "latin"], "argument --design: invalid choice: 'latin'"),
    (["--start", "next week"], "not a date written YYYY-MM-DD"),
])
def test_bad_options_are_usage_errors(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as stop:
        main(["trial", "design", "--out", str(tmp_path), *argv])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_bad_hotspots_files_name_the_file(tmp_path, capsys, real_data):
    missing = tmp_path / "none.csv"
    assert main(["trial", "design", "--hotspots", str(missing), "--out", str(tmp_path)]) == 2
    assert f"hot spots file not found: {missing}" in capsys.readouterr().err
    broken = tmp_path / "broken.csv"
    broken.write_text("hotspot_id,x\n1,2\n")
    assert main(["trial", "design", "--hotspots", str(broken), "--out", str(tmp_path)]) == 2
    assert re.search(r"broken\.csv.*missing column", capsys.readouterr().err)
    far = tmp_path / "far.csv"  # Edinburgh: no crime of the scenario's data near
    far.write_text("hotspot_id,lon,lat\n1,-3.19,55.95\n2,-3.20,55.95\n")
    assert main(["trial", "design", "--hotspots", str(far), "--out", str(tmp_path)]) == 2
    assert "2 of 2 hot spot(s) (e.g. 1, 2) have no street" in capsys.readouterr().err
    mixed = tmp_path / "mixed.csv"  # one in the scenario's area, one in Edinburgh
    mixed.write_text("hotspot_id,lon,lat\nA,-0.24093,51.76423\nB,-3.19,55.95\n")
    assert main(["trial", "design", "--hotspots", str(mixed), "--out", str(tmp_path)]) == 2
    assert "1 of 2 hot spot(s) (e.g. B) have no street" in capsys.readouterr().err
    flat = tmp_path / "flat.csv"
    flat.write_text("hotspot_id,lon,lat,radius_m\nA,-0.24093,51.76423,0\n")
    assert main(["trial", "design", "--hotspots", str(flat), "--out", str(tmp_path)]) == 2
    assert "flat.csv: radius_m must be above 0 m" in capsys.readouterr().err
    assert not (tmp_path / "schedule.csv").exists()


def test_design_settings_are_checked():
    for kw, message in ((dict(days=0), "days=0"), (dict(minutes=0.0), "minutes=0.0"),
                        (dict(treat_share=1.0), "treat_share=1.0"), (dict(visits=0), "visits")):
        with pytest.raises(ConfigError, match=re.escape(message)):
            design("crossover", **kw)
    with pytest.raises(ConfigError, match="design='latin'"):
        design("latin")
    with pytest.raises(ConfigError, match="need at least one treated and one control"):
        randomise(design("crossover", treat_share=0.1), RATES[:3])
    with pytest.raises(ConfigError, match="at least 2 hot spots"):
        randomise(design("parallel"), RATES[:1])
    with pytest.raises(ConfigError, match="block design needs at least 2 blocks"):
        randomise(design("block"), RATES[:3])
    with pytest.raises(DataError, match="appears more than once"):
        plan_trial(pd.DataFrame({"hotspot_id": [1, 1], "x": [0, 1], "y": [0, 1],
                                 "radius_m": [100, 100], "crimes": [3, 4]}),
                   design("crossover"), 30.0)


def test_a_plan_scenario_gives_the_pack_its_dose_and_hot_spots(tmp_path, monkeypatch):
    """'hotspot-sim plan' writes its recommended plan as a planned_patrol scenario: trial
    design takes the plan's minutes, visits a day (visits per shift x shifts in its patrol
    hours), hot spot count and ranking from it; options given on the command line win."""
    from hotspot_sim.settings import load_scenario, to_toml

    monkeypatch.chdir(tmp_path)
    plan = {"k": 6, "rank_by": "count", "dwell_minutes": 12, "visits_per_shift": 2,
            "patrol_start_hour": 15, "patrol_hours": 8, "response_share": 0.25}
    scenario = load_scenario("welwyn_hatfield").replace(
        {"policy.name": "planned_patrol", "policy.params": plan})
    (tmp_path / "plan.toml").write_text(to_toml(scenario))
    common = ["trial", "design", "--scenario", str(tmp_path / "plan.toml"), "--days", "7",
              "--sims", "5", "--seed", "1", "--quiet"]
    assert main([*common, "--out", "from_plan"]) == 0
    record = json.loads((tmp_path / "from_plan" / "design.json").read_text())
    # shifts start 7, 15, 23 (8 h): only the 15:00 shift overlaps 15:00-23:00
    assert (record["dose_minutes"], record["visits"], record["hotspot_count"]) == (12, 2, 6)
    assert main([*common, "--minutes", "20", "--visits", "1", "-k", "4",
                 "--out", "given"]) == 0
    record = json.loads((tmp_path / "given" / "design.json").read_text())
    assert (record["dose_minutes"], record["visits"], record["hotspot_count"]) == (20, 1, 4)
