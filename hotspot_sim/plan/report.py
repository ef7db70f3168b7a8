"""The plan report: the Pareto front, the recommended plan, its cost and how far to trust it.

:func:`write_plan_report` reads a ``hotspot-sim plan`` output folder (``plans.parquet``:
one row per evaluated plan, and ``manifest.json``: what was searched, written by
:mod:`hotspot_sim.plan.search`) and writes beside them:

``front.csv``, ``front.md``
    The Pareto front: the feasible plans no other feasible plan beats on every one of
    harm prevented area-wide (more), officer hours a day (fewer) and grade 1 calls
    answered within target (more).
``front.png``, ``dose_response.png``, ``dose_response.csv``
    :mod:`hotspot_sim.plan.figures`, :mod:`hotspot_sim.plan.dose_response`.
``plan_scenario.toml``, ``plan_experiment.toml``
    The recommended plan as files ``run --scenario``, ``experiment`` and
    ``trial design --scenario`` take.
``report.md``, ``report.html``
    All of it for a lead, with the validation status and warnings
    (:mod:`hotspot_sim.plan.honesty`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, DataError
from ..sim.policies.planned import visits_per_day

OBJECTIVES = ("harm_prevented_hotspots", "harm_prevented_area", "officer_hours_per_day",
              "grade1_within_target_pct")
DECISIONS = ("k", "rank_by", "dwell_minutes", "visits_per_shift", "patrol_start_hour",
             "patrol_hours", "mode", "response_share")
#: The front's objectives and their sense (+1 more is better, -1 fewer is better).
FRONT_GOALS = {"harm_prevented_area": 1, "officer_hours_per_day": -1,
               "grade1_within_target_pct": 1}
HARM_UNIT = "CHI days a day"
RULE = ("the plan that prevents the most harm area-wide (displacement included, mean over "
        "replications) within the budget of officer hours a day{floor}; ties go to fewer hours")
RERUN = "run 'hotspot-sim plan' again with the same --out to complete it"


def read_plans(out: str | Path) -> tuple[pd.DataFrame, dict]:
    """``plans.parquet`` and ``manifest.json`` of a plan search, checked.

    Parameters
    ----------
    out : str or Path
        The ``hotspot-sim plan`` output folder.

    Returns
    -------
    (pandas.DataFrame, dict)
        The plans and the manifest.

    Raises
    ------
    DataError
        A missing or unreadable file, no plans, or columns missing (named).
    """
    from ..io import read_json, read_parquet

    out = Path(out)
    for name in ("plans.parquet", "manifest.json"):
        if not (out / name).is_file():
            raise DataError(f"{out / name} does not exist: is {out} a 'hotspot-sim plan' "
                            "output folder?")
    plans = read_parquet(out / "plans.parquet", RERUN)
    manifest = read_json(out / "manifest.json", RERUN)
    needed = ["plan_id", *DECISIONS, "n_reps", "feasible", "days"] + [
        f"{o}_{s}" for o in OBJECTIVES for s in ("mean", "lo", "hi")]
    missing = [c for c in needed if c not in plans.columns]
    if missing:
        raise DataError(f"{out / 'plans.parquet'} has no column(s) {', '.join(missing)}")
    if plans.empty:
        raise DataError(f"{out / 'plans.parquet'} holds no evaluated plan; {RERUN}")
    # the sampler may propose a plan again: its runs are the same (same id, same seeds)
    return plans.drop_duplicates("plan_id").reset_index(drop=True), manifest


def within_limits(plans: pd.DataFrame, budget_hours: float | None,
                  grade1_floor: float | None, use_flag: bool = True) -> pd.Series:
    """Which plans keep to the budget and the grade 1 floor (on their means).

    Parameters
    ----------
    plans : pandas.DataFrame
        Rows of ``plans.parquet``.
    budget_hours : float, optional
        Most officer hours a day (None: no limit).
    grade1_floor : float, optional
        Least % of grade 1 calls within target (None: no floor).
    use_flag : bool
        Also require the search's own ``feasible`` flag (when the limits are the
        search's own).

    Returns
    -------
    pandas.Series of bool
    """
    ok = plans["feasible"].astype(bool) if use_flag else pd.Series(True, index=plans.index)
    if budget_hours is not None:
        ok &= plans["officer_hours_per_day_mean"] <= budget_hours
    if grade1_floor is not None:
        ok &= plans["grade1_within_target_pct_mean"] >= grade1_floor
    return ok


def pareto_front(plans: pd.DataFrame) -> pd.DataFrame:
    """The plans no other plan beats on every objective of :data:`FRONT_GOALS` (means).

    Parameters
    ----------
    plans : pandas.DataFrame
        Candidate plans (give only the feasible ones).

    Returns
    -------
    pandas.DataFrame
        The non-dominated rows, by officer hours.
    """
    cols = [f"{name}_mean" for name in FRONT_GOALS]
    signs = pd.Series(list(FRONT_GOALS.values()), index=cols)
    scores = plans[cols].mul(signs, axis=1).to_numpy(float)  # larger is better everywhere
    keep = [not ((scores >= row).all(axis=1) & (scores > row).any(axis=1)).any()
            for row in scores]
    return plans[keep].sort_values("officer_hours_per_day_mean").reset_index(drop=True)


@dataclass(frozen=True)
class Recommendation:
    """The recommended plan and the plans it cannot be told apart from.

    Attributes
    ----------
    plan : pandas.Series or None
        The chosen row (None when no plan keeps to the limits).
    rule : str
        How it was chosen, in words.
    alike : pandas.DataFrame
        Other plans within the limits whose 95% interval of harm prevented area-wide
        overlaps the chosen plan's: not distinguishable from it.
    reason : str
        Why there is no plan ("" when there is one).
    """

    plan: pd.Series | None
    rule: str
    alike: pd.DataFrame
    reason: str = ""


def recommend(plans: pd.DataFrame, budget_hours: float | None, grade1_floor: float | None,
              use_flag: bool = True) -> Recommendation:
    """Choose the plan for the budget by :data:`RULE`.

    Parameters
    ----------
    plans : pandas.DataFrame
        Rows of ``plans.parquet``.
    budget_hours, grade1_floor : float, optional
        The limits (None: none).
    use_flag : bool
        Also require the search's ``feasible`` flag (see :func:`within_limits`).

    Returns
    -------
    Recommendation
    """
    floor = f" and with at least {grade1_floor:g}% of grade 1 calls within target" \
        if grade1_floor is not None else ""
    rule = RULE.format(floor=floor)
    ok = plans[within_limits(plans, budget_hours, grade1_floor, use_flag)]
    if ok.empty:
        return Recommendation(None, rule, ok, "no evaluated plan keeps to the budget"
                              f"{' and the grade 1 floor' if floor else ''}: raise the budget, "
                              "lower the floor, or search more plans (--trials)")
    order = ok.sort_values(["harm_prevented_area_mean", "officer_hours_per_day_mean"],
                           ascending=[False, True])
    best = order.iloc[0]
    others = order[order["plan_id"] != best["plan_id"]]
    overlap = (others["harm_prevented_area_hi"] >= best["harm_prevented_area_lo"]) & \
              (others["harm_prevented_area_lo"] <= best["harm_prevented_area_hi"])
    return Recommendation(best, rule, others[overlap])


def cost_benefit(plan: pd.Series, cost_per_hour: float) -> dict:
    """Cost a day and cost per CHI day prevented of a plan, with the interval's range.

    As :func:`hotspot_sim.trial.economics.cost_benefit`: the hours priced are the extra
    hours on hot spot patrol over the baseline (routine random patrol), and a plan that
    prevents no harm never pays (``inf``).

    Parameters
    ----------
    plan : pandas.Series
        A row of ``plans.parquet``.
    cost_per_hour : float
        Cost of one officer hour.

    Returns
    -------
    dict
        ``cost_per_day``, ``per_harm_day`` (at the mean), ``per_harm_day_best`` and
        ``per_harm_day_worst`` (at the ends of harm prevented's 95% interval).

    Raises
    ------
    ConfigError
        A cost that is negative or not finite.
    """
    if not (math.isfinite(cost_per_hour) and cost_per_hour >= 0):
        raise ConfigError(f"cost_per_hour={cost_per_hour!r} must be a finite number >= 0")
    cost = float(plan["officer_hours_per_day_mean"]) * cost_per_hour

    def per(harm: float) -> float:
        return cost / harm if harm > 0 else math.inf

    return {"cost_per_day": cost, "per_harm_day": per(float(plan["harm_prevented_area_mean"])),
            "per_harm_day_best": per(float(plan["harm_prevented_area_hi"])),
            "per_harm_day_worst": per(float(plan["harm_prevented_area_lo"]))}


def _money(x: float) -> str:
    """An amount for the report: pence shown below 100, whole units above."""
    if math.isinf(x):
        return "never pays (no harm prevented)"
    return f"£{x:,.2f}" if abs(x) < 100 else f"£{x:,.0f}"


def interval_text(plan: pd.Series, name: str, fmt: str = ".1f") -> str:
    """``"mean (95% interval lo to hi)"`` of one objective of a plan.

    A percentage's interval is cut to 0-100: a t-interval from few replications can pass
    the ends of a share, which no share can.
    """
    lo, hi = plan[f"{name}_lo"], plan[f"{name}_hi"]
    if name.endswith("_pct"):
        lo, hi = max(lo, 0.0), min(hi, 100.0)
    return f"{plan[f'{name}_mean']:{fmt}} (95% interval {lo:{fmt}} to {hi:{fmt}})"


def plan_words(plan: pd.Series) -> str:
    """A plan's decisions in a lead's words."""
    return (f"{int(plan['k'])} hot spots ranked by {plan['rank_by']}, "
            f"{int(plan['visits_per_shift'])} visit(s) per shift of "
            f"{float(plan['dwell_minutes']):g} minutes, {plan['mode']} patrol from "
            f"{int(plan['patrol_start_hour']):02d}:00 for {int(plan['patrol_hours'])} hours, "
            f"{100 * float(plan['response_share']):.0f}% of officers kept for response")


def recommendation_lines(rec: Recommendation, cost_per_hour: float) -> list[str]:
    """The report's "Recommended plan" section (Markdown lines)."""
    lines = [f"Rule: {rec.rule}.", ""]
    if rec.plan is None:
        return lines + [f"**No plan to recommend**: {rec.reason}."]
    p = rec.plan
    money = cost_benefit(p, cost_per_hour)
    lines += [f"**Plan {p['plan_id']}**: {plan_words(p)}.", "",
              f"- harm prevented area-wide: {interval_text(p, 'harm_prevented_area', '.2f')} "
              f"{HARM_UNIT}",
              f"- harm prevented at the hot spots: "
              f"{interval_text(p, 'harm_prevented_hotspots', '.2f')} {HARM_UNIT}",
              f"- officer hours a day on hot spot patrol: "
              f"{interval_text(p, 'officer_hours_per_day')}",
              f"- grade 1 calls within target: {interval_text(p, 'grade1_within_target_pct')}%",
              f"- from {int(p['n_reps'])} replications of {float(p['days']):g} days each",
              "", f"Cost-benefit at £{cost_per_hour:,.0f} an officer hour: "
              f"{_money(money['cost_per_day'])} a day; cost per CHI day prevented "
              f"{_money(money['per_harm_day'])} (from {_money(money['per_harm_day_best'])} "
              f"to {_money(money['per_harm_day_worst'])} over harm prevented's interval)."]
    if not rec.alike.empty:
        cheapest = rec.alike.sort_values("officer_hours_per_day_mean").iloc[0]
        lines += ["", f"**{len(rec.alike)} other plan(s) within the limits are not "
                  "distinguishable from it** (their 95% intervals of harm prevented "
                  f"overlap): {', '.join(map(str, rec.alike['plan_id']))}. The cheapest of "
                  f"them, {cheapest['plan_id']}, uses "
                  f"{cheapest['officer_hours_per_day_mean']:.1f} officer hours a day "
                  f"({plan_words(cheapest)}); choose among them on hours, grade 1 response "
                  "or what officers can deliver."]
    return lines


def plain_value(value):
    """A numpy scalar as the Python value it holds (TOML and JSON need plain types)."""
    return value.item() if hasattr(value, "item") else value


def write_plan_files(plan: pd.Series, manifest: dict, folder: str | Path) -> dict[str, Path]:
    """The plan as a scenario and an experiment (plan against the baseline).

    Parameters
    ----------
    plan : pandas.Series
        A row of ``plans.parquet``.
    manifest : dict
        The search's ``manifest.json`` (its ``scenario``, ``root_seed`` and
        ``measured_hotspots``: the experiment measures the places the search measured).
    folder : str or Path
        Where to write ``plan_scenario.toml`` and ``plan_experiment.toml``.

    Returns
    -------
    dict
        ``{"scenario": path, "experiment": path}``.
    """
    from ..io import write_text
    from ..settings import load_scenario, to_toml
    from .space import POLICY, plan_of

    chosen = plan_of({d: plain_value(plan[d]) for d in DECISIONS})
    # the setup's scenario is the file the search ran (the name the user gave may be a
    # path relative to where the search was started)
    base = load_scenario(manifest.get("setup", {}).get("scenario") or manifest["scenario"])
    scenario = base.replace({**chosen.overrides, "policy.name": POLICY,
                             "policy.params": chosen.params})
    folder = Path(folder)
    paths = {"scenario": folder / "plan_scenario.toml",
             "experiment": folder / "plan_experiment.toml"}
    write_text(paths["scenario"], f"# Plan {plan['plan_id']} found by 'hotspot-sim plan' on "
               f"{base.source}:\n# {plan_words(plan)}.\n# Every key is written out; "
               f"docs/parameters.md explains them.\n\n" + to_toml(scenario))
    write_text(paths["experiment"], _experiment_toml(plan, manifest, chosen.params,
                                                     paths["scenario"].name))
    return paths


def _experiment_toml(plan: pd.Series, manifest: dict, params: dict, scenario_file: str) -> str:
    """An experiment comparing the plan with the baseline (random patrol), same officers."""
    from .space import POLICY

    # a JSON string, number or boolean is the same value in TOML
    inline = ", ".join(f"{k} = {json.dumps(v)}" for k, v in params.items())
    # the search's seed and measured places, so the plan's runs repeat the search's; when
    # the manifest lacks them, the experiment's own defaults apply
    same = [f"{key} = {int(manifest[name])}" for key, name in
            (("seed", "root_seed"), ("hotspots", "measured_hotspots")) if name in manifest]
    return "\n".join([
        f"# Plan {plan['plan_id']} against the baseline (the same officers patrolling at "
        "random), with the search's days, replications and seed.",
        "[experiment]", 'name = "plan_vs_baseline"',
        "description = " + json.dumps(f"plan {plan['plan_id']}: {plan_words(plan)}; "
                                      "against random patrol"),
        f"scenario = {json.dumps(scenario_file)}", f"days = {float(plan['days']):g}",
        f"replications = {max(int(plan['n_reps']), 2)}", *same, 'control = "baseline"', "",
        "[quick]", "days = 2", "replications = 3", "",
        "[[arms]]", 'name = "baseline"', 'policy = "random"', "",
        "[[arms]]", 'name = "plan"', f'policy = "{POLICY}"', f"params = {{ {inline} }}", ""])



def write_plan_report(out: str | Path, budget_hours: float | None = None,
                      grade1_floor: float | None = None, cost_per_hour: float | None = None,
                      validation=None, sweep: bool = True, workers: int = 1,
                      evaluate=None) -> tuple[str, dict[str, Path]]:
    """Write the plan report of a ``hotspot-sim plan`` output folder into that folder.

    Parameters
    ----------
    out : str or Path
        The folder holding ``plans.parquet`` and ``manifest.json``.
    budget_hours : float, optional
        Officer hours a day to plan within (default: the search's
        ``budget_hours_per_day``).
    grade1_floor : float, optional
        Least % of grade 1 calls within target (default: the search's
        ``grade1_floor_pct``, which may be none).
    cost_per_hour : float, optional
        Cost of an officer hour (default
        :data:`hotspot_sim.trial.economics.DEFAULT_COST_PER_OFFICER_HOUR`, an assumption).
    validation : sequence of path, optional
        Folders to look for ``hotspot-sim validate`` results in (default
        ``results/validation``).
    sweep : bool
        Also re-run the recommended plan at each searched minutes per visit and visits
        per shift with the search's seeds (:func:`hotspot_sim.plan.dose_response.sweep`:
        up to 14 plans more, fewer when some were evaluated already); False draws the
        dose-response from the evaluated plans only.
    workers : int
        Local worker processes for the sweep.
    evaluate : callable, optional
        ``evaluate(plans) -> DataFrame`` for the sweep (default: the search's own
        :func:`hotspot_sim.plan.evaluate.evaluate_plans` with its setup).

    Returns
    -------
    (str, dict)
        A short summary for the terminal, and file name -> path of everything written.

    Raises
    ------
    DataError
        The folder is not a complete plan search (see :func:`read_plans`).
    ConfigError
        A negative or non-finite cost.
    """
    from ..trial.economics import DEFAULT_COST_PER_OFFICER_HOUR

    out = Path(out)
    plans, manifest = read_plans(out)
    searched = (manifest.get("budget_hours_per_day"), manifest.get("grade1_floor_pct"))
    budget = budget_hours if budget_hours is not None else searched[0]
    floor = grade1_floor if grade1_floor is not None else searched[1]
    cost = DEFAULT_COST_PER_OFFICER_HOUR if cost_per_hour is None else cost_per_hour
    use_flag = (budget, floor) == searched
    ok = within_limits(plans, budget, floor, use_flag)
    front = pareto_front(plans[ok])
    rec = recommend(plans, budget, floor, use_flag)
    swept = None
    if sweep and rec.plan is not None:
        from .dose_response import sweep as dose_sweep
        swept = dose_sweep(out, rec.plan, manifest, evaluate, workers)
    files = _write_tables_and_figures(out, plans, front, rec, budget, swept)
    if rec.plan is not None:
        files.update({f"plan_{k}.toml": p for k, p in
                      write_plan_files(rec.plan, manifest, out).items()})
    honest = _honesty(rec, manifest, validation)
    honest["warnings"] = honesty_precision(plans) + no_effect_warning(rec) + honest["warnings"]
    text = _report_markdown(plans, front, rec, cost, (budget, floor), manifest, files, honest,
                            swept is not None)
    from ..io import write_text
    from ..trial.protocol import protocol_html

    files["report.md"], files["report.html"] = out / "report.md", out / "report.html"
    write_text(files["report.md"], text)
    # the trial protocol's page style; figures fit the page's width
    write_text(files["report.html"], protocol_html(text, f"Patrol plan: {out.name}")
               .replace("<img ", '<img style="max-width:100%" '))
    return _summary(rec, cost, budget, front, honest, files), files


def _write_tables_and_figures(out: Path, plans: pd.DataFrame, front: pd.DataFrame,
                              rec: Recommendation, budget: float | None,
                              sweep: pd.DataFrame | None) -> dict[str, Path]:
    """front.csv, front.md, front.png, dose_response.csv and dose_response.png."""
    from ..io import write_csv, write_text
    from ..trial.report import markdown
    from .dose_response import from_plans
    from .figures import dose_response_plot, front_plot

    files = {name: out / name for name in ("front.csv", "front.md", "front.png")}
    write_csv(front_columns(front), files["front.csv"])
    write_text(files["front.md"], markdown(compact_front(front), ".2f") + "\n")
    front_plot(plans, front, rec.plan, budget, files["front.png"])
    if rec.plan is not None:
        dose = from_plans(plans, rec.plan)
        if sweep is not None:
            dose = pd.concat([dose, sweep], ignore_index=True)
        files["dose_response.csv"] = write_csv(dose, out / "dose_response.csv")
        files["dose_response.png"] = out / "dose_response.png"
        dose_response_plot(dose[~dose["basis"].str.startswith("sweep")], sweep, rec.plan,
                           files["dose_response.png"])
    return files


def front_columns(front: pd.DataFrame) -> pd.DataFrame:
    """The front's table for people: id, decisions, then each objective's mean and interval."""
    cols = ["plan_id", *DECISIONS] + [f"{o}_{s}" for o in OBJECTIVES
                                      for s in ("mean", "lo", "hi")] + ["n_reps", "days"]
    return front[cols]


def no_effect_warning(rec: Recommendation) -> list[str]:
    """A warning when even the recommended plan is not shown to prevent harm: the search
    found the best of the plans tried, not a plan that works (nor one run once: no interval)."""
    if rec.plan is None or rec.plan["harm_prevented_area_lo"] > 0:  # NaN > 0 is False
        return []
    if math.isnan(rec.plan["harm_prevented_area_lo"]):
        measured = (f"({rec.plan['harm_prevented_area_mean']:.2f} CHI days a day) is not "
                    "shown to differ from no hot spot patrol: one replication gives no "
                    "95% interval")
    else:
        measured = (f"({interval_text(rec.plan, 'harm_prevented_area', '.2f')}) is not "
                    "distinguishable from no hot spot patrol: its 95% interval includes 0")
    return [f"The recommended plan's harm prevented area-wide {measured}. On this evidence no plan "
            "searched is shown to prevent harm; run more replications or days (--reps, "
            "--days), or widen the search, before acting on it."]


def honesty_precision(plans: pd.DataFrame) -> list[str]:
    """The precision warning for the fewest replications any plan had."""
    from .honesty import precision_warnings

    return precision_warnings(int(plans["n_reps"].min()), float(plans["days"].max()))


def _honesty(rec: Recommendation, manifest: dict, validation) -> dict:
    """The validation on file, the deterrence evidence and the warnings for the report."""
    from ..trial.runs import code_version
    from . import honesty

    code = manifest.get("code_version") or code_version()
    found = honesty.find_validation(validation, code)
    edges = honesty.edge_warnings(rec.plan, manifest.get("space", {})) \
        if rec.plan is not None else []
    return {"code": code, "validation": found,
            "status": honesty.validation_lines(found, code),
            "evidence": honesty.deterrence_evidence(found.checks),
            "warnings": edges + honesty.reliance_warnings(found)}


def shared_decisions(front: pd.DataFrame) -> dict:
    """The decisions every plan on the front shares (said once, not in every row)."""
    return {d: plain_value(front[d].iloc[0]) for d in DECISIONS
            if len(front) > 1 and front[d].nunique() == 1}


def compact_front(front: pd.DataFrame) -> pd.DataFrame:
    """The front for a page: the decisions that differ, then each objective as
    ``mean (lo to hi)``."""
    shared = shared_decisions(front)
    table = front[["plan_id", *(d for d in DECISIONS if d not in shared)]].copy()
    for name, fmt in (("harm_prevented_area", ".2f"), ("harm_prevented_hotspots", ".2f"),
                      ("officer_hours_per_day", ".1f"), ("grade1_within_target_pct", ".1f")):
        table[name] = [interval_text(row, name, fmt).replace("95% interval ", "")
                       for _, row in front.iterrows()]
    return table


def trial_design_command(plan: pd.Series, scenario_file: Path) -> str:
    """The ``trial design`` command that tests the plan's dose, every choice spelled out
    (``trial design --scenario`` alone takes the same from the plan's policy)."""
    from ..settings import load_scenario

    officers = load_scenario(scenario_file).officers
    visits = max(visits_per_day(plan, officers.shift_starts, officers.shift_hours), 1)
    return (f"hotspot-sim trial design --scenario {scenario_file} -k {int(plan['k'])} "
            f"--rank-by {plan['rank_by']} --minutes {float(plan['dwell_minutes']):g} "
            f"--visits {visits}")


def _report_markdown(plans, front, rec, cost, limits, manifest, files, honest, swept) -> str:
    """report.md: the recommendation first, then the front, the dose, the files, the evidence."""
    from ..trial.report import markdown

    budget, floor = limits
    limits = (f"a budget of {budget:g} officer hours a day" if budget is not None
              else "no budget") + (f" and a floor of {floor:g}% of grade 1 calls within target"
                                   if floor is not None else "")
    md = [f"# Patrol plan for {manifest.get('scenario', 'the scenario')}: {limits}", "",
          f"{len(plans)} plans evaluated, {len(front)} on the Pareto front; each plan run "
          f"{int(plans['n_reps'].max())} times for {float(plans['days'].max()):g} days with "
          f"the same seeds as every other plan (common random numbers), against the same "
          f"officers patrolling at random. Code {honest['code']}. Every figure is a mean over "
          "the replications with its 95% interval.", "",
          "## Before you rely on it", ""]
    md += [f"- {w}" for w in honest["warnings"]] or [
        "- The plan is inside every searched range and relies on nothing the validation "
        "failed to check."]
    md += ["", "## Recommended plan", "", *recommendation_lines(rec, cost), "",
           "## Pareto front", "",
           "Plans no other plan within the limits beats on all three of harm prevented "
           "area-wide, officer hours and grade 1 response (CSV: front.csv, every column)."
           + _shared_words(front), "",
           "![Pareto front](front.png)", "", markdown(compact_front(front), ".2f"), ""]
    md += _other_budgets(plans, budget, floor)
    md += _dose_and_files(rec, files, swept)
    md += ["## Validation status", "", *honest["status"], "",
           "## Evidence for each deterrence parameter", "",
           "Where each default comes from (settings.py) and which validation checks set or "
           "tested it.", "", markdown(honest["evidence"], ".2f"), ""]
    return "\n".join(md)


#: Budgets shown beside the stated one, as shares of it.
BUDGET_SHARES = (0.5, 0.75, 1.0, 1.25, 1.5)


def budget_table(plans: pd.DataFrame, budget: float, grade1_floor: float | None = None
                 ) -> pd.DataFrame:
    """The plan :func:`recommend` would choose at other budgets, among the evaluated plans.

    Parameters
    ----------
    plans : pandas.DataFrame
        Every evaluated plan.
    budget : float
        The stated budget (officer hours a day); the table shows the shares of it in
        :data:`BUDGET_SHARES`.
    grade1_floor : float, optional
        The floor, kept at every budget.

    Returns
    -------
    pandas.DataFrame
        ``budget_hours, plan_id, officer_hours_per_day, harm_prevented_area`` (mean and
        interval as text; "none" where no plan fits).
    """
    rows = []
    for share in BUDGET_SHARES:
        rec = recommend(plans, budget * share, grade1_floor, use_flag=False)
        p = rec.plan
        rows.append({"budget_hours": budget * share,
                     "plan_id": "none" if p is None else p["plan_id"],
                     "officer_hours_per_day": "" if p is None else
                     f"{p['officer_hours_per_day_mean']:.1f}",
                     "harm_prevented_area": "" if p is None else
                     interval_text(p, "harm_prevented_area", ".2f").replace("95% interval ", "")})
    return pd.DataFrame(rows)


def _other_budgets(plans: pd.DataFrame, budget: float | None, floor: float | None) -> list[str]:
    """The report's "What other budgets would buy" section (none without a budget)."""
    from ..trial.report import markdown

    if budget is None:
        return []
    return ["## What other budgets would buy", "",
            "The plan the same rule picks at other budgets, among the plans already evaluated. "
            "The search spent its plans within the stated budget, so plans for larger budgets "
            "were explored less: search again with that budget before relying on a row for a "
            "larger budget.", "", markdown(budget_table(plans, budget, floor), ".1f"), ""]


def _shared_words(front: pd.DataFrame) -> str:
    """" All share: k = 20, mode = foot." for the decisions the front's plans share."""
    shared = shared_decisions(front)
    return (" All of them share " + ", ".join(f"{k} = {v}" for k, v in shared.items()) + "."
            if shared else "")


def _dose_and_files(rec: Recommendation, files: dict, swept: bool) -> list[str]:
    """The report's dose-response and plan-files sections."""
    if rec.plan is None:
        return []
    scenario = files["plan_scenario.toml"]
    line = (" The line and band re-run the recommended plan at each value with the search's "
            "seeds (common random numbers), everything else unchanged." if swept else "")
    return [
        "## Dose-response", "",
        "Harm prevented against minutes per visit and visits per shift: the points are the "
        "evaluated plans nearest the recommendation (dose_response.csv says how near each "
        f"is).{line} The shaded band is Koper's (1995) 10-15 minutes.", "",
        "![Dose-response](dose_response.png)",
        "", "## The plan as files", "",
        f"- `{scenario.name}`: the scenario with the plan's policy and patrol mode: "
        f"`hotspot-sim run --scenario {scenario} --days 30`",
        f"- `{files['plan_experiment.toml'].name}`: the plan against random patrol: "
        f"`hotspot-sim experiment {files['plan_experiment.toml']} --quick` (without --quick, "
        "the search's days and replications)",
        f"- a real trial of the plan's dose: `{trial_design_command(rec.plan, scenario)}` "
        "(trial design takes the dose from --minutes and --visits, not from the scenario's "
        "policy; --visits is visits per day: visits per shift times the shifts inside the "
        "patrol hours)", ""]


def _summary(rec: Recommendation, cost: float, budget, front: pd.DataFrame, honest: dict,
             files: dict) -> str:
    """What the command prints: the recommendation, its interval, cost, warnings, files."""
    lines = [f"Pareto front: {len(front)} plan(s) within the limits (front.csv, front.png)"]
    if rec.plan is None:
        lines.append(f"No plan to recommend: {rec.reason}.")
    else:
        p = rec.plan
        money = cost_benefit(p, cost)
        lines += [f"Recommended for {budget:g} officer hours a day: {p['plan_id']}: "
                  f"{plan_words(p)}" if budget is not None else
                  f"Recommended: {p['plan_id']}: {plan_words(p)}",
                  f"  harm prevented area-wide {interval_text(p, 'harm_prevented_area', '.2f')} "
                  f"{HARM_UNIT}; officer hours a day {interval_text(p, 'officer_hours_per_day')}"
                  f"; grade 1 within target {interval_text(p, 'grade1_within_target_pct')}%",
                  f"  cost {_money(money['cost_per_day'])} a day at £{cost:,.0f} an hour; per CHI "
                  f"day prevented {_money(money['per_harm_day'])}"]
        if not rec.alike.empty:
            lines.append(f"  {len(rec.alike)} other plan(s) within the limits are not "
                         "distinguishable from it (overlapping 95% intervals): see report.md")
    v = honest["validation"]
    lines.append("Validation: " + {"current": f"this code's, {v.summary}",
                                   "other code": f"on file for other code ({v.code}) only",
                                   "missing": "none of this code on file"}[v.state])
    lines += [f"Warning: {w}" for w in honest["warnings"]]
    lines.append(f"Report: {files['report.md']} (and report.html)")
    return "\n".join(lines)
