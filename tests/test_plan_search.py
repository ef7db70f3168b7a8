"""hotspot-sim plan, the search engine (issue 16): space, policy, evaluation, search, resume.

The known-optimum tests use an evaluator whose harm peaks at a visit length set by
construction (and a negative control with the peak moved); the resume test runs the real
evaluator (experiment runner, common random numbers) on a synthetic grid for one day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.errors import ConfigError, DataError
from hotspot_sim.plan.evaluate import BASELINE_ARM, OBJECTIVES, PlanSetup, measure_plans
from hotspot_sim.plan.report import recommend
from hotspot_sim.plan.search import SearchSettings, run_plan, search_plans
from hotspot_sim.plan.space import DEFAULT_SPACE, PlanSpace, Variable, load_space, plan_of
from hotspot_sim.sim.policies import get_policy

# ----------------------------------------------------------------------------- space


@pytest.mark.parametrize("text, message", [
    ("dwel_minutes = [10]", "unknown decision variable.*dwel_minutes"),
    ("dwell_minutes = [0, 10]", "dwell_minutes = 0"),
    ("dwell_minutes = {min = 20, max = 10}", "dwell_minutes: min = 20 is above max = 10"),
    ("dwell_minutes = {min = 5, max = 10, step = 0}", "dwell_minutes step = 0"),
    ("mode = ['bike']", "mode = 'bike': choose from foot, car"),
    ("response_share = [1.5]", "response_share = 1.5"),
    ("visits_per_shift = []", "visits_per_shift = \\[\\]"),
    ("k = [2.5]", "k = 2.5: expected a whole number"),
])
def test_a_bad_space_file_names_the_key(tmp_path, text, message):
    path = tmp_path / "space.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=message) as err:
        load_space(path)
    assert str(path) in str(err.value)


def test_a_space_file_replaces_only_the_variables_it_names(tmp_path):
    path = tmp_path / "space.toml"
    path.write_text("dwell_minutes = {min = 5, max = 25, step = 10}\nmode = ['car']\n")
    space = load_space(path)
    assert space.by_name["dwell_minutes"].values == (5, 15, 25)
    assert space.by_name["mode"].fixed and space.by_name["mode"].values == ("car",)
    assert space.by_name["k"] == DEFAULT_SPACE.by_name["k"]
    assert space.size() < DEFAULT_SPACE.size()
    with pytest.raises(ConfigError, match="needs each of k, rank_by"):
        PlanSpace(space.variables[1:])


def test_a_candidate_maps_to_scenario_overrides_and_policy_parameters():
    values = {v.name: v.values[-1] for v in DEFAULT_SPACE.variables}
    plan = plan_of(values)
    assert plan.overrides == {"officers.mode": values["mode"]}
    assert "mode" not in plan.params and plan.params["dwell_minutes"] == 30
    checked = get_policy("planned_patrol").check_params(plan.params)
    assert checked["visits_per_shift"] == values["visits_per_shift"]
    assert plan_of(dict(reversed(list(values.items())))).plan_id == plan.plan_id
    assert plan_of({**values, "dwell_minutes": 25}).plan_id != plan.plan_id
    with pytest.raises(ConfigError, match="rank_by = 'nearest'"):
        get_policy("planned_patrol").check_params({"rank_by": "nearest"})


# ----------------------------------------------------------------------------- the policy


def planned_run(**params):
    """One day of planned_patrol on the small test grid (4 officers, no calls)."""
    from .test_policies import targeted_model

    m = targeted_model("planned_patrol", {"k": 4, "dwell_minutes": 12, "patrol_start_hour": 16,
                                          "patrol_hours": 4, "response_share": 0.25, **params})
    m.run_for(1440)
    gps = m.gps_table()
    gps["hour"] = [m.datetime_at(int(t)).hour for t in gps["tick"]]
    return m, gps


@pytest.mark.parametrize("visits", [2, 3])
def test_the_policy_makes_its_visits_within_the_patrol_hours(visits):
    from .test_policies import visit_lengths

    m, gps = planned_run(visits_per_shift=visits)
    status = gps["status"].astype(str)
    on_patrol = gps[status.isin(["at_hotspot", "travelling"])]
    assert len(on_patrol) and on_patrol["hour"].between(16, 19).all()
    # only the 14:00 shift overlaps 16:00-20:00: each hot spot gets `visits` visits of 12 min
    plan = m.policy.dose_plan()
    assert len(plan) == 4 and (plan["planned_minutes"] == 12 * visits).all()
    lengths = visit_lengths(gps)
    assert len(lengths) == 4 * visits and np.median(lengths) == 12
    # the share kept for response (a quarter of each shift, rounded: one of the 06:00 pair)
    # never goes to a hot spot
    assert m.policy.responders == {0}
    assert not on_patrol["officer"].isin(list(m.policy.responders)).any()


# ----------------------------------------------------------------------------- evaluation


def paired_runs():
    """A plan and its three replications' runs beside the baseline's (harm falls by 2, 3, 2)."""
    plan = plan_of({v.name: v.values[0] for v in DEFAULT_SPACE.variables})
    return plan, pd.DataFrame({
        "arm": [BASELINE_ARM] * 3 + [plan.plan_id] * 3, "replication": [0, 1, 2] * 2,
        "harm": [10.0, 20.0, 30.0, 8.0, 17.0, 28.0], "harm_hotspots": [4.0, 6.0, 8.0, 2, 3, 4],
        "patrol_hours": [0.0, 0, 0, 6.0, 6.0, 6.0], "grade1_met_target_pct": [90.0] * 6})


def test_objectives_are_paired_with_the_baseline_replication_by_replication():
    plan, runs = paired_runs()
    row = measure_plans([plan], runs, days=2.0).iloc[0]
    # paired differences 2, 3, 2 CHI days over 2 days: 7/6 a day, a narrow interval
    assert row["harm_prevented_area_mean"] == pytest.approx(7 / 6)
    assert row["harm_prevented_area_lo"] < 7 / 6 < row["harm_prevented_area_hi"]
    assert row["harm_prevented_area_hi"] - row["harm_prevented_area_lo"] < 2.5
    assert row["harm_prevented_hotspots_mean"] == pytest.approx(1.5)  # 2, 3, 4 over 2 days
    assert row["officer_hours_per_day_mean"] == 3.0 and row["n_reps"] == 3
    shuffled = runs.sample(frac=1.0, random_state=1)  # pairs by replication, not by row order
    assert measure_plans([plan], shuffled, 2.0).iloc[0]["harm_prevented_area_mean"] == \
        pytest.approx(7 / 6)



@pytest.mark.parametrize("damage, words", [
    (lambda r: r.assign(harm=r["harm"].where(r.index != 4)), "NaN or infinite"),
    (lambda r: r.drop(columns="patrol_hours"), "no column\\(s\\) patrol_hours"),
    (lambda r: r[r.index != 2], "baseline has no run of replication\\(s\\) \\[2\\]"),
    (lambda r: r[r["arm"] == BASELINE_ARM], "no finished runs"),
])
def test_runs_that_would_give_a_nan_or_unpaired_objective_are_refused(damage, words):
    plan, runs = paired_runs()
    assert measure_plans([plan], runs, 2.0)["harm_prevented_area_mean"].notna().all()
    with pytest.raises(DataError, match=words):
        measure_plans([plan], damage(runs), 2.0)


TINY_SPACE = PlanSpace((
    Variable("k", (2, 3), 1), Variable("rank_by", ("harm",)),
    Variable("dwell_minutes", (5, 15, 25), 10), Variable("visits_per_shift", (2,)),
    Variable("patrol_start_hour", (7,)), Variable("patrol_hours", (6,)),
    Variable("mode", ("foot",)), Variable("response_share", (0.0,))), source="test")


def grid_setup(folder):
    """A one-day, two-replication setup on the synthetic grid of test_runs, and its study."""
    from hotspot_sim.settings import load_scenario
    from hotspot_sim.study import synthetic_study

    from .test_runs import CRIME_NODES, GRID, SCENARIO

    scenario = folder / "grid.toml"
    scenario.write_text(SCENARIO)
    study = synthetic_study(load_scenario(scenario), GRID, CRIME_NODES)
    return PlanSetup(scenario=str(scenario), days=1.0, replications=2, seed=5, hotspots=3), study


def test_resume_and_extend_never_rerun_a_finished_plan(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOT_SIM_DATA", str(tmp_path))  # no data files: the grid only
    setup, study = grid_setup(tmp_path)
    scenario = setup.scenario
    out = tmp_path / "plan"

    def search(trials, **changes):
        settings = SearchSettings(**{"trials": trials, "seed": 3, "budget_hours": 50.0,
                                     "batch_size": 2, **changes})
        return run_plan(setup, TINY_SPACE, settings, out, "grid", study=study)

    first = search(2)
    runs = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert len(runs) == 2 * (1 + first["plan_id"].nunique())  # baseline + plans, 2 reps each
    assert first["n_reps"].eq(2).all()
    assert first[[f"{o}_mean" for o in OBJECTIVES]].notna().all().all()
    again = search(2)  # nothing left to do: nothing runs
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")} == runs
    pd.testing.assert_frame_equal(again, first)
    more = search(3)  # extended: one more plan, the first two kept as they were
    assert len(more) == 3
    pd.testing.assert_frame_equal(more.iloc[:2], first)
    now = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert all(now[name] == t for name, t in runs.items())
    manifest = (out / "manifest.json").read_text()
    assert '"budget_hours_per_day": 50.0' in manifest and '"optuna_version"' in manifest
    with pytest.raises(ConfigError, match="another budget_hours"):
        search(3, budget_hours=10.0)
    setup = PlanSetup(scenario=scenario, days=1.0, replications=3, seed=5, hotspots=3)
    with pytest.raises(ConfigError, match="another setup \\(replications 2 -> 3\\)"):
        search(4)  # every plan is measured alike, or the search is refused
    assert len(pd.read_parquet(out / "plans.parquet")) == 3


def test_two_workers_evaluate_the_same_plans_to_the_same_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTSPOT_SIM_DATA", str(tmp_path))
    setup, study = grid_setup(tmp_path)
    settings = SearchSettings(trials=2, seed=3, batch_size=2)
    one, two = (run_plan(setup, TINY_SPACE, settings, tmp_path / f"w{w}", "grid", workers=w,
                         study=study) for w in (1, 2))
    pd.testing.assert_frame_equal(one, two)
    other = run_plan(setup, TINY_SPACE, SearchSettings(trials=2, seed=4, batch_size=2),
                     tmp_path / "seed4", "grid", study=study)
    assert other["plan_id"].tolist() != one["plan_id"].tolist()


# ----------------------------------------------------------------------------- the search

SEARCH_SPACE = PlanSpace(tuple(
    v if v.name in ("k", "dwell_minutes", "visits_per_shift") else Variable(v.name, v.values[:1])
    for v in DEFAULT_SPACE.variables), source="test")


def peaked_evaluator(best_dwell: int, reverse: bool = False):
    """Harm prevented peaks at ``best_dwell`` minutes a visit (whatever else the plan is);
    officer hours grow with hot spots, visits and minutes.  ``reverse`` returns the rows in
    reverse order (as a pool of workers might finish them)."""
    def evaluate(plans):
        rows = []
        for p in plans:
            v = p.values
            harm = 10.0 - (v["dwell_minutes"] - best_dwell) ** 2 / 25.0
            hours = v["k"] * v["visits_per_shift"] * (v["dwell_minutes"] + 10) / 60.0
            row = {"plan_id": p.plan_id, **v, "n_reps": 3, "days": 7.0}
            for name, value in zip(OBJECTIVES, (harm, harm, hours, 90.0)):
                row.update({f"{name}_mean": value, f"{name}_lo": value - 1,
                            f"{name}_hi": value + 1})
            rows.append(row)
        return pd.DataFrame(rows[::-1] if reverse else rows)
    return evaluate


@pytest.mark.parametrize("best_dwell", [15, 25])
def test_the_search_recovers_the_visit_length_set_by_construction(tmp_path, best_dwell):
    settings = SearchSettings(trials=24, seed=3, budget_hours=40.0)
    plans = search_plans(SEARCH_SPACE, peaked_evaluator(best_dwell), tmp_path, settings)
    best = recommend(plans, 40.0, None).plan  # the report's rule: most harm prevented within budget
    assert best["dwell_minutes"] == best_dwell  # the negative control moves it: 15 -> 25
    assert best["officer_hours_per_day_mean"] <= 40.0
    assert (plans["feasible"] == (plans["officer_hours_per_day_mean"] <= 40.0)).all()
    assert pd.read_parquet(tmp_path / "plans.parquet")["plan_id"].tolist() == \
        plans["plan_id"].tolist()


def test_the_same_seed_proposes_the_same_plans_whatever_order_results_come_in(tmp_path):
    def plans(folder, seed, reverse):
        settings = SearchSettings(trials=12, seed=seed, budget_hours=40.0)
        return search_plans(SEARCH_SPACE, peaked_evaluator(15, reverse), tmp_path / folder,
                            settings)["plan_id"].tolist()

    first = plans("a", 3, False)
    assert plans("b", 3, True) == first
    assert plans("c", 4, False) != first


def test_a_plan_is_evaluated_once_and_a_small_space_ends_the_search(tmp_path):
    calls = []

    def counting(plans):
        calls.extend(p.plan_id for p in plans)
        return peaked_evaluator(15)(plans)

    small = PlanSpace(tuple(Variable(v.name, v.values[:3] if v.name == "dwell_minutes"
                                     else v.values[:1]) for v in DEFAULT_SPACE.variables))
    plans = search_plans(small, counting, tmp_path, SearchSettings(trials=10, seed=3))
    assert small.size() == 3 and len(plans) == 3  # every plan once, then the search stops
    assert sorted(calls) == sorted(set(calls)) and plans["plan_id"].is_unique
    assert sorted(plans["dwell_minutes"]) == [5, 10, 15]


def test_plans_a_stopped_session_asked_for_are_evaluated_first(tmp_path):
    from hotspot_sim.plan.search import ask_plan, open_study

    settings = SearchSettings(trials=3, seed=3, budget_hours=40.0)
    study = open_study(tmp_path, settings, SEARCH_SPACE)
    asked = ask_plan(study.ask(), SEARCH_SPACE)  # stopped before its runs finished
    study.ask()  # stopped while being drawn: no values
    plans = search_plans(SEARCH_SPACE, peaked_evaluator(15), tmp_path, settings)
    assert plans["plan_id"].iloc[0] == asked.plan_id and plans["trial"].iloc[0] == 0
    assert len(plans) == 3 and 1 not in plans["trial"].tolist()


def test_the_command_names_a_bad_space_key_in_one_line(tmp_path, capsys):
    from hotspot_sim.cli import main

    bad = tmp_path / "space.toml"
    bad.write_text("visits_per_shift = {min = 1, max = 60}\n")
    assert main(["plan", "--space", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "visits_per_shift = 60" in err and str(bad) in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing written or run


def test_a_round_that_does_not_fit_the_order_queue_is_refused(monkeypatch):
    """More visits a round than an officer's queue holds would be cut short silently (some hot
    spots never visited): the plan is refused at setup, naming the shift and the numbers."""
    from hotspot_sim.sim.policies import planned

    monkeypatch.setattr(planned, "MAX_ORDERS", 1)  # the test grid has 4 places at most
    with pytest.raises(ConfigError, match="visits a round; at most 1 fit"):
        planned_run()
    monkeypatch.setattr(planned, "MAX_ORDERS", 4)  # every officer's share fits
    planned_run()
