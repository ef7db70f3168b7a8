"""Experiment reports: per-arm results with intervals, change against control,
displacement, trial statistics and cost-benefit, as CSV, Markdown and PNG.

Replications of different arms share seeds (common random numbers, see
:func:`hotspot_sim.experiment.make_tasks`), so changes against the control arm
are computed on paired replications.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from . import plots
from .errors import ConfigError, DataError
from .safe_csv import write_csv
from .wording import for_people, money

PLACES = ("hotspots", "elsewhere")
# An assumption, not from REFERENCE.md: a fully loaded constable hour in
# England is of the order of 40 GBP; give your force's figure with --cost-per-hour.
DEFAULT_COST_PER_OFFICER_HOUR = 40.0


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-interval across replications (NaN interval with one replication)."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if len(v) < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return m, m - half, m + half


def load_results(folder: Path) -> tuple[pd.DataFrame, dict, pd.DataFrame | None]:
    folder = Path(folder)
    runs_path = folder / "runs.parquet"
    if not runs_path.is_file():
        raise ConfigError(f"{folder}: no runs.parquet; run 'hotspot-sim experiment' first")
    manifest = json.loads((folder / "manifest.json").read_text())
    spot = folder / "spotdays.parquet"
    return pd.read_parquet(runs_path), manifest, (pd.read_parquet(spot) if spot.is_file() else None)


def place_columns(runs: pd.DataFrame) -> list[str]:
    return [c.removeprefix("crimes_") for c in runs.columns
            if c.startswith("crimes_") and c != "crimes_"]


def arm_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per arm and grid point: mean and 95% interval of crimes and harm, total and by place."""
    metrics = ["crimes", "harm"] + [f"crimes_{p}" for p in place_columns(runs)] + \
              [f"harm_{p}" for p in place_columns(runs)] + \
              [c for c in ("deterred", "displaced", "patrol_hours", "grade1_met_target_pct")
               if c in runs]
    rows = []
    for (arm, gi), g in runs.groupby(["arm", "grid_index"], sort=False):
        row = {"arm": arm, "grid_index": gi, "replications": len(g)}
        row.update({c: g[c].iloc[0] for c in runs.columns if c.startswith("grid:")})
        for m in metrics:
            row[m], row[f"{m}_ci_low"], row[f"{m}_ci_high"] = mean_ci(g[m])
        rows.append(row)
    return pd.DataFrame(rows)


def change_table(runs: pd.DataFrame, control: str) -> pd.DataFrame:
    """% change against ``control`` on paired replications (same grid point and seed).

    The change is exp(mean log ratio) - 1 with a t-interval on the log ratios;
    0.5 is added to counts so that a zero does not give an infinite ratio.
    """
    if control not in set(runs["arm"]):
        raise ConfigError(f"control arm {control!r} is not in the results "
                          f"({', '.join(sorted(set(runs['arm'])))})")
    ctl = runs[runs["arm"] == control].set_index(["grid_index", "replication"])[
        ["crimes"] + [f"crimes_{p}" for p in place_columns(runs)]]
    rows = []
    for (arm, gi), g in runs[runs["arm"] != control].groupby(["arm", "grid_index"], sort=False):
        pair = g.merge(ctl.reset_index(), on=["grid_index", "replication"],
                       suffixes=("", "_ctl"))
        for place in ("all",) + tuple(place_columns(runs)):
            col = "crimes" if place == "all" else f"crimes_{place}"
            logs = np.log((pair[col] + 0.5) / (pair[f"{col}_ctl"] + 0.5))
            m, lo, hi = mean_ci(logs)
            rows.append({"arm": arm, "grid_index": gi, "place": place, "pairs": len(pair),
                         "pct_change": 100 * (math.exp(m) - 1),
                         "ci_low": 100 * (math.exp(lo) - 1) if not math.isnan(lo) else math.nan,
                         "ci_high": 100 * (math.exp(hi) - 1) if not math.isnan(hi) else math.nan})
    return pd.DataFrame(rows)


def wdq_table(arms: pd.DataFrame, control: str, places: list[str]) -> pd.DataFrame:
    """Weighted displacement quotient (Bowers & Johnson 2003) of each arm against control.

    Treatment area A = hot spots, buffer B = the first catchment ring, control
    area C = elsewhere; the control arm plays the 'before' period:
    WDQ = (B_a/C_a - B_b/C_b) / (A_a/C_a - A_b/C_b).  With fewer crimes at the
    hot spots, WDQ > 0 means diffusion of benefits to the buffer, < 0 displacement.
    """
    ring = next((p for p in places if p.startswith("ring")), None)
    if ring is None:
        return pd.DataFrame()
    base = arms[arms["arm"] == control].set_index("grid_index")
    rows = []
    for _, r in arms[arms["arm"] != control].iterrows():
        b = base.loc[r["grid_index"]]
        A_a, B_a, C_a = r["crimes_hotspots"], r[f"crimes_{ring}"], r["crimes_elsewhere"]
        A_b, B_b, C_b = b["crimes_hotspots"], b[f"crimes_{ring}"], b["crimes_elsewhere"]
        if not (C_a and C_b):  # no crime in the control area: the quotient is undefined
            denom = wdq = math.nan
        else:
            denom = A_a / C_a - A_b / C_b
            wdq = (B_a / C_a - B_b / C_b) / denom if denom else math.nan
        rows.append({"arm": r["arm"], "grid_index": r["grid_index"], "buffer": ring, "wdq": wdq,
                     "reading": "diffusion of benefits" if wdq > 0 and denom < 0 else
                     "displacement" if wdq < 0 and denom < 0 else "no reduction at hot spots"})
    return pd.DataFrame(rows)


def markdown(df: pd.DataFrame, floatfmt: str = ".1f") -> str:
    """A table for people: headings and places in words (:func:`wording.for_people`)."""
    if df.empty:
        return "_(none)_"
    df = for_people(df)
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = [format(v, floatfmt) if isinstance(v, (float, np.floating)) else str(v)
                 for v in r]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def trial_statistics(spotdays: pd.DataFrame, n_permutations: int = 999) -> pd.DataFrame:
    """What the real trial would report, on each simulated replication of a randomised design.

    Rate ratio of crimes on treated vs control spot-days from a Poisson GLM with
    hot spot fixed effects (statsmodels), and a randomisation test that
    re-draws the daily assignment (crossover design).
    """
    from .trial import permutation_test, rate_ratio_glm

    rows = []
    for task_id, g in spotdays.groupby("task_id", sort=True):
        if g["treated"].nunique() < 2:
            continue  # not a randomised design (no control spot-days)
        try:
            glm = rate_ratio_glm(g, outcome="crimes", family="poisson")
            perm = permutation_test(g, outcome="crimes", n_permutations=n_permutations,
                                    seed=0, design="crossover")
        except (ConfigError, ValueError) as exc:  # e.g. no crimes at all in a short run
            rows.append({"task_id": task_id, "note": str(exc)})
            continue
        rows.append({"task_id": task_id, "spot_days": len(g), "treated": int(g["treated"].sum()),
                     "rate_ratio": glm.rate_ratio, "ci_low": glm.ci_low, "ci_high": glm.ci_high,
                     "p_glm": glm.p_value, "p_permutation": perm["p_value"],
                     "mean_treated": glm.mean_treated, "mean_control": glm.mean_control})
    return pd.DataFrame(rows)


def build_report(folder: Path, cost_per_hour: float = DEFAULT_COST_PER_OFFICER_HOUR,
                 control: str | None = None, n_permutations: int = 999) -> tuple[str, dict]:
    """Write the report's tables (CSV), text (Markdown) and figures (PNG) into ``folder/report``."""
    from .trial import cost_benefit

    folder = Path(folder)
    runs, manifest, spotdays = load_results(folder)
    out = folder / "report"
    out.mkdir(exist_ok=True)
    control = control or manifest.get("control")
    arms = arm_table(runs)
    tables: dict[str, pd.DataFrame] = {"arms": arms}
    lines = [f"# Experiment `{manifest['experiment']}`", "",
             manifest.get("description", ""), "",
             f"Scenario `{manifest['scenario']}`, {manifest['days']:g} days, "
             f"{runs.groupby(['arm', 'grid_index']).size().max()} replications per arm and grid "
             f"point, root seed {manifest['root_seed']}, code {manifest['code_version']}.", "",
             "## Crimes per run (mean and 95% interval across replications)", ""]
    show = ["arm", "grid_index"] + [c for c in arms if c.startswith("grid:")] + \
        [c for c in ("replications", "crimes", "crimes_ci_low", "crimes_ci_high", "harm",
                     "crimes_hotspots", "patrol_hours") if c in arms]
    lines += [markdown(arms[show]), ""]
    if control:
        changes = change_table(runs, control)
        wdq = wdq_table(arms, control, place_columns(runs))
        costs = pd.concat([cost_benefit(g, control, cost_per_hour).assign(grid_index=gi)
                           for gi, g in runs.groupby("grid_index")], ignore_index=True)
        tables.update({"change_vs_control": changes, "wdq": wdq, "cost_benefit": costs})
        lines += [f"## Change against `{control}` (paired replications, 95% interval)", "",
                  markdown(changes), "",
                  "## Displacement or diffusion (weighted displacement quotient)", "",
                  markdown(wdq, ".3f"), "",
                  f"## Cost-benefit at {money(cost_per_hour, 2)} per officer hour", "",
                  markdown(costs[["arm", "grid_index", "extra_hours", "extra_cost",
                                  "crimes_prevented", "harm_prevented",
                                  "cost_per_crime_prevented", "cost_per_harm_day_prevented",
                                  "note"]]), ""]
        plots.change_by_arm(changes[changes["place"].isin(["hotspots", "all", "elsewhere"])
                                    & (changes["grid_index"] == 0)],
                            out / "change_vs_control.png",
                            title=f"{manifest['experiment']}: change against {control}")
    grid_cols = [c for c in runs.columns if c.startswith("grid:")]
    if grid_cols:
        g = grid_cols[0]
        summ = arms.rename(columns={"crimes_hotspots": "mean",
                                    "crimes_hotspots_ci_low": "ci_low",
                                    "crimes_hotspots_ci_high": "ci_high"})
        plots.metric_by_grid(summ, g, "crimes_hotspots", out / "sweep.png")
    if spotdays is not None and spotdays["treated"].any():
        trials = trial_statistics(spotdays, n_permutations)
        tables["trial_statistics"] = trials
        lines += ["## The trial's own statistics, per simulated trial", "",
                  "Poisson GLM with hot spot fixed effects (rate ratio, treated vs control "
                  "spot-days) and a randomisation test re-drawing the daily assignment.", "",
                  markdown(trials, ".3f"), ""]
    for name, df in tables.items():
        write_csv(df, out / f"{name}.csv")
    text = "\n".join(lines)
    (out / "report.md").write_text(text)
    return text, tables
