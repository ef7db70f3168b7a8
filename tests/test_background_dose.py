"""Simulated dose in both arms: control places get background presence, as real trials measure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.errors import DataError
from hotspot_sim.trial.report import dose_by_arm, experiment_dose


@pytest.fixture(scope="module")
def crossover_run():
    """A 3-day daily crossover run on the small grid, measured as an experiment run is."""
    from hotspot_sim.trial.measure import measure_run

    from .test_policies import crossover_model

    model = crossover_model()
    model.run_for(3 * 1440)
    summary, spotdays = measure_run(model, model.policy.hotspots, 100.0, (100.0,))
    return model, spotdays


def test_spot_days_carry_the_gps_dose_of_treated_and_control_places(crossover_run):
    from hotspot_sim.track import visits
    from hotspot_sim.track.dose import dose_by_day

    model, spotdays = crossover_run
    days = spotdays["day"].nunique()  # calendar days: partial first and last ones too
    assert "dose_minutes" in spotdays and len(spotdays) == 10 * days and days >= 3
    # the same minutes track finds in the whole GPS table (not read chunk by chunk)
    hotspots = model.policy.hotspots
    v = visits(model.gps_table(), hotspots, 100.0)
    dose = dose_by_day(v, hotspots, days=days, origin=pd.Timestamp(model.start).normalize())
    want = dose.set_index(["hotspot_id", "day"])["minutes"]
    got = spotdays.set_index(["hotspot_id", "day"])["dose_minutes"]
    assert np.allclose(got, want.reindex(got.index))
    treated = spotdays[spotdays["treated"]]["dose_minutes"]
    control = spotdays[~spotdays["treated"]]["dose_minutes"]
    assert (treated >= 15).mean() > 0.8  # the planned 15-minute visit was delivered
    assert control.sum() > 0  # officers pass through control places too
    assert treated.mean() > control.mean()


def test_a_model_without_gps_gives_spot_days_without_dose(crossover_run):
    from hotspot_sim.trial.measure import spot_day_dose

    model, _ = crossover_run
    model.logbook.keep_gps, kept = False, model.logbook.keep_gps
    try:
        assert spot_day_dose(model, model.policy.hotspots, 100.0) is None
    finally:
        model.logbook.keep_gps = kept


def test_dose_by_arm_gives_a_cluster_robust_interval():
    spotdays = pd.DataFrame({"hotspot_id": [1, 1, 2, 2, 3, 3, 1, 2, 3],
                             "treated": [True] * 6 + [False] * 3,
                             "dose_minutes": [10.0, 20.0, 30.0, 40.0, 15.0, 15.0, 0.0, 4.0, 2.0]})
    table = dose_by_arm(spotdays).set_index("assignment")
    t = table.loc["treated"]
    assert t["spot_days"] == 6 and t["clusters"] == 3 and t["mean_minutes"] == 130 / 6
    # CR1: residual sums per hot spot, G/(G-1), t with G-1 degrees of freedom
    mean = 130 / 6
    resid = np.array([30 - 2 * mean, 70 - 2 * mean, 30 - 2 * mean])
    se = math.sqrt(3 / 2 * (resid ** 2).sum()) / 6
    from scipy import stats
    half = stats.t.ppf(0.975, 2) * se
    assert t["ci_high"] == pytest.approx(mean + half)
    assert t["ci_low"] == pytest.approx(max(0.0, mean - half))
    c = table.loc["control"]
    assert c["mean_minutes"] == 2.0 and c["share_with_presence"] == pytest.approx(2 / 3)


def test_dose_by_arm_says_why_there_is_no_interval():
    one = pd.DataFrame({"hotspot_id": [1, 1], "treated": [True, False],
                        "dose_minutes": [10.0, 1.0]})
    table = dose_by_arm(one)
    assert table["ci_low"].isna().all() and table["note"].str.contains("one cluster").all()
    with pytest.raises(DataError, match="dose_minutes"):
        dose_by_arm(one.drop(columns="dose_minutes"))


def test_experiment_dose_is_clustered_by_run():
    runs = pd.DataFrame({"task_id": [0, 1, 2, 3], "arm": ["x", "x", "x", "none"],
                         "grid_index": [0, 0, 0, 0]})
    spotdays = pd.DataFrame({"task_id": [0, 0, 1, 1, 2, 2, 3, 3],
                             "hotspot_id": [1, 2] * 4,
                             "treated": [True, False] * 3 + [False, False],
                             "dose_minutes": [20.0, 2.0, 30.0, 4.0, 25.0, 0.0, 1.0, 1.0]})
    table = experiment_dose(runs, spotdays)
    x = table[table["arm"] == "x"].set_index("assignment")
    assert x.loc["treated", "clusters"] == 3 and x.loc["treated", "mean_minutes"] == 25.0
    assert x.loc["control", "mean_minutes"] == 2.0
    none = table[table["arm"] == "none"]
    assert none["assignment"].tolist() == ["control"]  # an arm that treats nothing


def test_report_shows_dose_per_arm_of_a_simulated_trial(tmp_path, real_data):
    from hotspot_sim.trial import build_report, load_experiment, run_experiment

    from .test_experiment import tiny

    path = tiny(tmp_path)  # arms "none" and "koper", made a daily crossover of 3 x 1 day
    path.write_text(path.read_text().replace("replications = 2", "replications = 3")
                    .replace("days = 0.25", "days = 1").replace('"koper"', '"crossover"')
                    .replace('"hotspot_koper"', '"crossover_daily"'))
    out = run_experiment(load_experiment(path), tmp_path / "r", progress=False)
    text, tables = build_report(out, cost_per_hour=40.0, n_permutations=99)
    assert "Dose per spot-day, treated and control" in text
    dose = tables["dose_by_arm"]
    crossover = dose[dose["arm"] == "crossover"].set_index("assignment")
    assert set(crossover.index) == {"treated", "control"}
    assert crossover.loc["treated", "mean_minutes"] > crossover.loc["control", "mean_minutes"]
    assert crossover.loc["treated", "clusters"] == 3
    assert (out / "report" / "dose_by_arm.csv").is_file()
