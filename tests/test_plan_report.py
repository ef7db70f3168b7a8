"""The plan report (issue 16): front, recommendation, honesty, plan files, figures.

Every test reads a small synthetic ``plans.parquet`` written to the contract of
``hotspot-sim plan`` (hotspot_sim/plan/search.py), so none runs a simulation.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.errors import DataError
from hotspot_sim.plan import honesty
from hotspot_sim.plan.report import (FRONT_GOALS, pareto_front, read_plans, recommend,
                                     visits_per_day, within_limits, write_plan_report)

SPACE = {"k": {"values": [5, 10, 20], "step": None},
         "rank_by": {"values": ["harm"], "step": None},
         "dwell_minutes": {"values": [5, 10, 15, 20, 25, 30], "step": 5},
         "visits_per_shift": {"values": [1, 2, 3, 4], "step": 1},
         "patrol_start_hour": {"values": [15], "step": None},
         "patrol_hours": {"values": [8], "step": None},
         "mode": {"values": ["foot", "car"], "step": None},
         "response_share": {"values": [0.25], "step": None}}


def synthetic_plans(budget: float = 30.0) -> pd.DataFrame:
    """Plans whose harm prevented follows a Koper-like curve in the visit length (onset near
    11 minutes) and grows with places and visits; hours grow with all three."""
    rows = []
    for i, (k, dwell, visits) in enumerate(itertools.product((5, 10, 20), (5, 10, 15, 20, 25, 30),
                                                             (1, 2, 3, 4))):
        hours = k * visits * (dwell + 6) / 60
        harm = 0.5 * k * visits ** 0.6 / (1 + np.exp(-(dwell - 11) / 1.5))
        row = {"plan_id": f"plan-{i:03d}", "k": k, "rank_by": "harm", "dwell_minutes": dwell,
               "visits_per_shift": visits, "patrol_start_hour": 15, "patrol_hours": 8,
               "mode": "foot", "response_share": 0.25, "n_reps": 4, "days": 14.0,
               "feasible": hours <= budget}
        for name, mean, half in (("harm_prevented_hotspots", 0.8 * harm, 1.0),
                                 ("harm_prevented_area", harm, 1.5),
                                 ("officer_hours_per_day", hours, 0.5),
                                 ("grade1_within_target_pct", 92 - 0.3 * hours, 3.0)):
            row.update({f"{name}_mean": mean, f"{name}_lo": mean - half,
                        f"{name}_hi": mean + half})
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture()
def search_folder(tmp_path):
    plans = synthetic_plans()
    plans.to_parquet(tmp_path / "plans.parquet")
    manifest = {"scenario": "welwyn_hatfield", "budget_hours_per_day": 30.0,
                "grade1_floor_pct": None, "space": SPACE, "seed": 7}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def _dominated(row: pd.Series, others: pd.DataFrame) -> bool:
    signs = {f"{k}_mean": v for k, v in FRONT_GOALS.items()}
    better_eq = np.all([(others[c] * s >= row[c] * s) for c, s in signs.items()], axis=0)
    better = np.any([(others[c] * s > row[c] * s) for c, s in signs.items()], axis=0)
    return bool((better_eq & better).any())


def test_front_is_non_dominated_and_feasible_only():
    plans = synthetic_plans()
    feasible = plans[within_limits(plans, None, None)]
    front = pareto_front(feasible)
    assert front["feasible"].all() and len(front) > 3
    assert not any(_dominated(r, feasible) for _, r in front.iterrows())
    # every feasible plan left off is beaten by some feasible plan
    left = feasible[~feasible["plan_id"].isin(front["plan_id"])]
    assert len(left) and all(_dominated(r, feasible) for _, r in left.iterrows())
    # the plans with most harm are over budget: none of them is on the front
    top = plans.sort_values("harm_prevented_area_mean").iloc[-1]
    assert not top["feasible"] and top["plan_id"] not in set(front["plan_id"])


def test_recommendation_keeps_to_budget_and_floor():
    plans = synthetic_plans(budget=1e9)
    for budget, floor in ((30.0, None), (10.0, None), (30.0, 88.0)):
        rec = recommend(plans, budget, floor)
        p = rec.plan
        assert p["officer_hours_per_day_mean"] <= budget
        if floor is not None:
            assert p["grade1_within_target_pct_mean"] >= floor
        ok = within_limits(plans, budget, floor)
        assert p["harm_prevented_area_mean"] == plans.loc[ok, "harm_prevented_area_mean"].max()
    # a tighter budget picks a cheaper plan; no plan under it: none, with the reason
    assert recommend(plans, 10.0, None).plan["plan_id"] != recommend(plans, 30.0, None).plan[
        "plan_id"]
    none = recommend(plans, 0.1, None)
    assert none.plan is None and "budget" in none.reason


def test_plans_not_distinguishable_are_named():
    plans = synthetic_plans(budget=1e9)
    rec = recommend(plans, 30.0, None)
    lo, hi = rec.plan["harm_prevented_area_lo"], rec.plan["harm_prevented_area_hi"]
    assert len(rec.alike) and ((rec.alike["harm_prevented_area_hi"] >= lo)
                               & (rec.alike["harm_prevented_area_lo"] <= hi)).all()
    far = plans[plans["harm_prevented_area_hi"] < lo]
    assert not set(far["plan_id"]) & set(rec.alike["plan_id"])
    assert rec.plan["plan_id"] not in set(rec.alike["plan_id"])


def test_a_plan_proposed_twice_counts_once(tmp_path):
    plans = synthetic_plans()
    twice = pd.concat([plans, plans.iloc[[5, 5]]], ignore_index=True)
    twice.to_parquet(tmp_path / "plans.parquet")
    (tmp_path / "manifest.json").write_text(json.dumps({"scenario": "welwyn_hatfield"}))
    read, _ = read_plans(tmp_path)
    assert len(read) == len(plans) and read["plan_id"].is_unique


def test_edge_warning_fires_at_range_edge_not_inside():
    inside = {"k": 10, "dwell_minutes": 15, "visits_per_shift": 2, "mode": "foot"}
    assert honesty.edge_warnings(inside, SPACE) == []
    edge = {**inside, "k": 20, "dwell_minutes": 5}
    warnings = honesty.edge_warnings(edge, SPACE)
    assert len(warnings) == 2
    assert "`k` = 20 is at the highest end" in warnings[0]
    assert "`dwell_minutes` = 5 is at the lowest end" in warnings[1]
    # a fixed variable (one value) and words have no edge
    assert honesty.edge_warnings({"patrol_hours": 8, "mode": "car"}, SPACE) == []
    # nor has the variable's own limit: no share kept for response is below 0
    shares = {"response_share": {"values": [0.0, 0.25, 0.5]}}
    assert honesty.edge_warnings({"response_share": 0.0}, shares) == []
    assert len(honesty.edge_warnings({"response_share": 0.5}, shares)) == 1


def _validation_folder(folder, code: str):
    folder.mkdir()
    (folder / "validation.md").write_text(
        f"# Validation\n\nScenario `w`; 7-day runs; code {code}.\n\n**Predictions: 1 of 2 pass "
        "(0 could not be judged).**\n")
    pd.DataFrame([
        {"check": "Diffusion of benefits", "kind": "reproduces its input",
         "verdict": "cannot discriminate (its negative control passes too)",
         "set from this evidence": "deterrence.diffusion_radius_m and "
                                   "deterrence.displacement_probability were set",
         "explanation": "transit presence"},
        {"check": "Best visit length", "kind": "reproduces its input",
         "verdict": "reproduces its input",
         "set from this evidence": "deterrence.onset_minutes = 11", "explanation": ""},
    ]).to_csv(folder / "validation.csv", index=False)
    return folder


def test_no_validation_says_so_and_how_to_make_one(tmp_path):
    v = honesty.find_validation([tmp_path / "nowhere"], code="0.1.0+src.abc")
    text = "\n".join(honesty.validation_lines(v, "0.1.0+src.abc"))
    assert v.state == "missing"
    assert "No validation of this code (0.1.0+src.abc) is on file" in text
    assert "hotspot-sim validate" in text
    assert "are assumptions" in honesty.reliance_warnings(v)[0]


def test_validation_of_this_code_and_of_other_code(tmp_path):
    folder = _validation_folder(tmp_path / "val", "0.1.0+src.abc")
    mine = honesty.find_validation([folder], code="0.1.0+src.abc")
    assert mine.state == "current" and mine.summary.startswith("Predictions: 1 of 2")
    other = honesty.find_validation([folder], code="0.1.0+src.new")
    assert other.state == "other code" and other.code == "0.1.0+src.abc"
    assert "made by other code" in honesty.validation_lines(other, "0.1.0+src.new")[0]
    # the diffusion check could not discriminate: the area-wide objective is flagged, the
    # Koper check reproduced its input: no warning for it
    warnings = honesty.reliance_warnings(mine)
    assert len(warnings) == 1 and "Area-wide harm prevented" in warnings[0]
    evidence = honesty.deterrence_evidence(mine.checks).set_index("parameter")
    assert "Best visit length" in evidence.loc["deterrence.onset_minutes", "checked by"]
    assert evidence.loc["deterrence.presence_effect", "checked by"] == "not checked"
    assert evidence.loc["deterrence.onset_minutes", "source"].startswith("Koper 1995")


def test_report_files_load_and_figures_are_written(search_folder, tmp_path):
    from hotspot_sim.settings import load_scenario
    from hotspot_sim.trial.experiment import load_experiment

    text, files = write_plan_report(search_folder, validation=[tmp_path / "none"])
    plans, _ = read_plans(search_folder)
    rec = recommend(plans, 30.0, None)
    assert rec.plan["plan_id"] in text and "Recommended for 30 officer hours" in text
    for name in ("front.png", "dose_response.png"):
        assert files[name].stat().st_size > 10_000
    front = pd.read_csv(files["front.csv"])
    assert front["officer_hours_per_day_mean"].max() <= 30.0
    scenario = load_scenario(files["plan_scenario.toml"])
    assert scenario.policy.name == "planned_patrol"
    assert scenario.policy.params["dwell_minutes"] == rec.plan["dwell_minutes"]
    assert scenario.policy.params["visits_per_shift"] == rec.plan["visits_per_shift"]
    assert scenario.officers.mode == rec.plan["mode"]
    exp = load_experiment(files["plan_experiment.toml"])
    arms = {a.name: a for a in exp.arms}
    assert exp.control == "baseline" and arms["baseline"].policy == "random"
    assert arms["plan"].params == scenario.policy.params
    report = files["report.md"].read_text()
    assert "No validation of this code" in report and "Koper" in report
    page = files["report.html"].read_text()
    assert '<img style="max-width:100%" alt="Pareto front" src="front.png"' in page
    assert page.count("<table>") == 3  # the front, other budgets, the deterrence evidence
    assert f"--minutes {rec.plan['dwell_minutes']:g}" in report


def test_dose_response_uses_plans_differing_in_one_variable(search_folder):
    from hotspot_sim.plan.dose_response import ONLY_THIS, from_plans

    plans, _ = read_plans(search_folder)
    rec = recommend(plans, 30.0, None).plan
    dose = from_plans(plans, rec)
    dwell = dose[dose["variable"] == "dwell_minutes"]
    assert (dwell["basis"] == ONLY_THIS).all() and len(dwell) == 6
    chosen = plans.set_index("plan_id").loc[dwell["plan_id"]]
    assert (chosen["k"] == rec["k"]).all() and (chosen["visits_per_shift"]
                                                == rec["visits_per_shift"]).all()
    # the curve the synthetic plans were built with: 5-minute visits prevent least
    assert dwell.set_index("value")["mean"].idxmin() == 5


def test_visits_per_day_counts_shifts_inside_patrol_hours():
    plan = pd.Series({"patrol_start_hour": 15, "patrol_hours": 8, "visits_per_shift": 3})
    assert visits_per_day(plan, [7, 15, 23], 8.0) == 3
    assert visits_per_day(plan.replace(8, 16), [7, 15, 23], 8.0) == 6


def test_not_a_plan_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="plans.parquet does not exist"):
        read_plans(tmp_path)
    synthetic_plans().drop(columns=["feasible"]).to_parquet(tmp_path / "plans.parquet")
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(DataError, match="no column.*feasible"):
        read_plans(tmp_path)


def test_sweep_varies_one_dose_variable_with_the_search_setup(search_folder):
    from hotspot_sim.plan.dose_response import sweep

    plans, manifest = read_plans(search_folder)
    rec = recommend(plans, 30.0, None).plan
    by_id = synthetic_plans(budget=1e9)
    asked = []

    def evaluate(candidates):  # the synthetic plans stand in for runs
        asked.append(candidates)
        keys = ["k", "dwell_minutes", "visits_per_shift"]
        rows = by_id.merge(pd.DataFrame([c.values for c in candidates])[keys], on=keys)
        return rows.assign(plan_id=[c.plan_id for c in candidates])

    table = sweep(search_folder, rec, manifest, evaluate)
    assert [len(a) for a in asked] == [6, 4]  # the space's dwell and visits values
    for candidates, variable in zip(asked, ("dwell_minutes", "visits_per_shift")):
        for c in candidates:
            others = {k: v for k, v in c.values.items() if k != variable}
            assert others == {k: rec[k] for k in others}
    assert set(table["variable"]) == {"dwell_minutes", "visits_per_shift"}
    # without an evaluator or a setup to run with, no sweep
    assert sweep(search_folder, rec, manifest) is None
    text, files = write_plan_report(search_folder, evaluate=evaluate,
                                    validation=[search_folder / "none"])
    dose = pd.read_csv(files["dose_response.csv"])
    assert dose["basis"].str.startswith("sweep").sum() == 10
    assert "re-run the recommended plan" in files["report.md"].read_text()


def test_trial_design_command_from_the_report_takes_the_plans_dose(search_folder, tmp_path):
    import shlex

    from hotspot_sim.cli import main
    from hotspot_sim.plan.report import trial_design_command

    _, files = write_plan_report(search_folder, validation=[tmp_path / "none"])
    rec = recommend(read_plans(search_folder)[0], 30.0, None).plan
    command = trial_design_command(rec, files["plan_scenario.toml"])
    assert command in files["report.md"].read_text()
    pack = tmp_path / "pack"
    assert main(shlex.split(command)[1:] + ["--out", str(pack), "--seed", "1", "--days",
                                            "14"]) == 0
    design = json.loads((pack / "design.json").read_text())
    assert design["dose_minutes"] == rec["dwell_minutes"]
    # the plan's 15:00-23:00 patrol hours hold one of the 7, 15, 23 shifts
    assert design["visits"] == rec["visits_per_shift"]
    assert design["hotspot_count"] == rec["k"]


def test_sweep_with_the_search_setup_keeps_the_search_manifest(search_folder, monkeypatch):
    """The runner writes its own manifest.json into the folder; the search's must survive."""
    import hotspot_sim.plan.evaluate as evaluate_module
    from hotspot_sim.plan.dose_response import sweep

    import hotspot_sim.trial.runner as runner_module

    plans, manifest = read_plans(search_folder)
    manifest.update(kind="plan", setup={"scenario": "welwyn_hatfield", "days": 7.0,
                                        "replications": 2, "seed": 3, "hotspots": 20,
                                        "source": "hotspot-sim plan"})
    (search_folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    seen = []

    def fake_run_experiment(exp, out, **kwargs):  # the runner's manifest replaces the search's
        seen.append(exp)
        (out / "manifest.json").write_text('{"runner": true}')

    def fake_measure_plans(candidates, runs, days):
        keys = ["k", "dwell_minutes", "visits_per_shift"]
        rows = synthetic_plans().merge(pd.DataFrame([c.values for c in candidates])[keys],
                                       on=keys)
        return rows.assign(plan_id=[c.plan_id for c in candidates])

    monkeypatch.setattr(runner_module, "run_experiment", fake_run_experiment)
    monkeypatch.setattr(evaluate_module, "measure_plans", fake_measure_plans)
    rec = recommend(plans, 30.0, None).plan
    assert len(sweep(search_folder, rec, manifest)) == 10
    assert {e.seed for e in seen} == {3} and {e.days for e in seen} == {7.0}
    assert json.loads((search_folder / "manifest.json").read_text())["setup"]["seed"] == 3


def test_validation_read_from_a_report_without_its_csv(tmp_path):
    """docs/validation.md (a full run's report, no CSV beside it) is read from its tables."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "validation.md").write_text(
        "# Validation\n\nScenario `w`; code 0.1.0+src.old.\n\n**Predictions: 1 of 1 pass.**\n\n"
        "## Predictions\n\n| check | model | verdict | explanation |\n|---|---|---|---|\n"
        "| Minneapolis | -19% | PASS |  |\n\n## Reproduces its input\n\n"
        "| check | verdict | set from this evidence | explanation |\n|---|---|---|---|\n"
        "| Patrol effect | does not reproduce its input | deterrence.residual_peak was set "
        "| too strong |\n\n## Inputs: each parameter\n\n| parameter | value |\n|---|---|\n"
        "| deterrence.radius_m | 100 |\n")
    v = honesty.find_validation([tmp_path / "results", folder], code="0.1.0+src.new")
    assert v.state == "other code" and v.code == "0.1.0+src.old"
    assert list(v.checks["kind"]) == ["prediction", "reproduces its input"]
    warnings = honesty.reliance_warnings(v)
    assert "made by other code" in warnings[0] and "residual deterrence" in warnings[1]
    # a report without check tables is no validation
    (folder / "validation.md").write_text("# Validation\n\ncode 0.1.0+src.old.\n")
    assert honesty.find_validation([folder], code="x").state == "missing"


def test_the_plans_experiment_repeats_the_searchs_runs(tmp_path, monkeypatch):
    """The experiment file runs the recommended plan and the baseline with the search's seeds:
    the same runs, so the same figures (a one-day search on the synthetic grid)."""
    from hotspot_sim.plan.evaluate import PlanSetup
    from hotspot_sim.plan.search import SearchSettings, run_plan
    from hotspot_sim.plan.space import PlanSpace, Variable
    from hotspot_sim.settings import load_scenario
    from hotspot_sim.study import synthetic_study
    from hotspot_sim.trial import run_experiment
    from hotspot_sim.trial.experiment import load_experiment

    from .test_runs import CRIME_NODES, GRID, SCENARIO

    monkeypatch.setenv("HOTSPOT_SIM_DATA", str(tmp_path))  # no data files: the grid only
    scenario = tmp_path / "grid.toml"
    scenario.write_text(SCENARIO)
    study = synthetic_study(load_scenario(scenario), GRID, CRIME_NODES)
    space = PlanSpace((Variable("k", (3,)), Variable("rank_by", ("harm",)),
                       Variable("dwell_minutes", (5, 15), 10), Variable("visits_per_shift", (2,)),
                       Variable("patrol_start_hour", (7,)), Variable("patrol_hours", (6,)),
                       Variable("mode", ("foot",)), Variable("response_share", (0.0,))))
    setup = PlanSetup(scenario=str(scenario), days=1.0, replications=2, seed=5, hotspots=3)
    out = tmp_path / "plan"
    run_plan(setup, space, SearchSettings(trials=2, seed=3, budget_hours=50.0, batch_size=2),
             out, "grid", study=study)
    _, files = write_plan_report(out, sweep=False, validation=[tmp_path / "none"])
    plan_id = read_plans(out)[0].pipe(recommend, 50.0, None).plan["plan_id"]
    exp = load_experiment(files["plan_experiment.toml"])
    run_experiment(exp, tmp_path / "again", progress=False, study=study)
    cols = ["replication", "harm", "harm_hotspots", "patrol_hours"]
    searched = pd.read_parquet(out / "runs.parquet")
    again = pd.read_parquet(tmp_path / "again" / "runs.parquet")
    for arm, searched_arm in (("plan", plan_id), ("baseline", "baseline")):
        pd.testing.assert_frame_equal(
            again[again["arm"] == arm][cols].sort_values("replication", ignore_index=True),
            searched[searched["arm"] == searched_arm][cols].sort_values("replication",
                                                                        ignore_index=True))
    assert again.loc[again["arm"] == "plan", "patrol_hours"].gt(0).all()


def test_other_budgets_buy_more_harm_prevented_with_more_hours():
    from hotspot_sim.plan.report import budget_table

    plans = synthetic_plans(budget=1e9)
    table = budget_table(plans, 20.0)
    assert list(table["budget_hours"]) == [10.0, 15.0, 20.0, 25.0, 30.0]
    hours = table["officer_hours_per_day"].astype(float)
    assert (hours <= table["budget_hours"]).all()
    harm = table["harm_prevented_area"].str.split(" ").str[0].astype(float)
    assert harm.is_monotonic_increasing and harm.iloc[-1] > harm.iloc[0]
    assert table.loc[2, "plan_id"] == recommend(plans, 20.0, None).plan["plan_id"]
    assert budget_table(plans, 0.1).eq("none").any(axis=None)


def test_few_replications_make_the_ranking_provisional():
    """Two replications (the quick search) get a warning that the ranking is provisional;
    the default's five do not."""
    from hotspot_sim.plan.honesty import MIN_REPS_FOR_DECISIONS, precision_warnings

    (warning,) = precision_warnings(2, 7)
    assert "only 2 time(s) for 7 days" in warning and "provisional" in warning
    assert precision_warnings(MIN_REPS_FOR_DECISIONS, 28) == []


def test_a_recommendation_not_shown_to_prevent_harm_is_said_so():
    """The best of the plans tried is not a plan that works: when its interval of harm
    prevented area-wide includes 0 the report says so; when it is above 0 it does not."""
    from hotspot_sim.plan.report import Recommendation, no_effect_warning

    plan = pd.Series({"harm_prevented_area_mean": 50.0, "harm_prevented_area_lo": -130.0,
                      "harm_prevented_area_hi": 230.0})
    (warning,) = no_effect_warning(Recommendation(plan, "rule", pd.DataFrame()))
    assert "not distinguishable from no hot spot patrol" in warning and "-130.00" in warning
    plan["harm_prevented_area_lo"] = 5.0
    assert no_effect_warning(Recommendation(plan, "rule", pd.DataFrame())) == []
    plan["harm_prevented_area_lo"] = float("nan")  # one replication: no interval, no evidence
    (warning,) = no_effect_warning(Recommendation(plan, "rule", pd.DataFrame()))
    assert "one replication gives no 95% interval" in warning and "nan" not in warning
    assert no_effect_warning(Recommendation(None, "rule", pd.DataFrame(), "none fit")) == []
