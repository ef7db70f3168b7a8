"""Experiment reports: per-arm results with intervals, change against control,
displacement, trial statistics and cost-benefit, as CSV, Markdown and PNG.

Replications of different arms share seeds (common random numbers, see
:func:`hotspot_sim.trial.runs.make_tasks`), so changes against the control arm
are computed on paired replications.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError
from ..io import write_csv
from ..track.zones import MIN_CRIMES, displacement_quotient
from ..wording import for_people, money
from .economics import DEFAULT_COST_PER_OFFICER_HOUR, cost_benefit
from .results import load_results
from .stats import permutation_test, rate_ratio_glm

# The fewest replications that give a usable 95% t-interval.  With 2 the t quantile is 12.7
# (one degree of freedom): on a ratio scale the interval spans orders of magnitude (e.g.
# -59% to +347,130%) and says nothing, so the report says it cannot conclude instead.
MIN_REPLICATIONS = 3


def _interval_note(values) -> str:
    """Why no interval can be given across ``values`` ("" when one can)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) < MIN_REPLICATIONS:
        return _too_few_replications(len(v))
    if np.ptp(v) == 0:
        return f"{NO_VARIATION} (n={len(v)})"
    return ""


NO_VARIATION = "no interval: every replication gave the same value"


def _too_few_replications(n: int) -> str:
    return f"not enough replications for an interval (n={n})"


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-interval across replications.

    The interval is NaN when it cannot be given (:func:`_interval_note` says why): fewer
    than ``MIN_REPLICATIONS`` values, or no variation among them (a zero-width interval
    would claim certainty that a few runs cannot give).

    Parameters
    ----------
    values : array-like of float
        One value per replication; NaN values are left out.
    level : float
        Confidence level of the interval.

    Returns
    -------
    mean, ci_low, ci_high : float
        All NaN without values; the bounds NaN when no interval can be given.
    """
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if _interval_note(v):
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return m, m - half, m + half


def place_columns(runs: pd.DataFrame) -> list[str]:
    """The places measured in ``runs``: hot spots, the rings and elsewhere.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` of an experiment.

    Returns
    -------
    list of str
        Place names from the ``crimes_<place>`` columns, e.g. ``["hotspots",
        "ring100_200", "elsewhere"]``.
    """
    return [c.removeprefix("crimes_") for c in runs.columns
            if c.startswith("crimes_") and c != "crimes_"]


def arm_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per arm and grid point: mean and 95% interval of crimes and harm, total and by place.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` of an experiment.

    Returns
    -------
    pandas.DataFrame
        ``arm, grid_index, replications``, the grid values, and for each metric its mean
        with ``<metric>_ci_low`` and ``<metric>_ci_high`` (:func:`mean_ci`).
    """
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
    0.5 is added to counts so that a zero does not give an infinite ratio.  ``note``
    says why a change or its interval is not given: fewer than ``MIN_CRIMES`` crimes in
    the control arm's runs at that place (the ratio would be mostly the 0.5), or not
    enough replications (:func:`_interval_note`).

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` of an experiment.
    control : str
        The reference arm.

    Returns
    -------
    pandas.DataFrame
        ``arm, grid_index, place, pairs, pct_change, ci_low, ci_high, note``; place
        ``"all"`` and each of :func:`place_columns`.

    Raises
    ------
    ConfigError
        ``control`` is not an arm of the results.
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
            rows.append({"arm": arm, "grid_index": gi, "place": place, "pairs": len(pair),
                         **paired_change(pair[col], pair[f"{col}_ctl"])})
    return pd.DataFrame(rows)


def paired_change(arm_counts, control_counts) -> dict:
    """% change of paired counts: exp(mean log ratio) - 1 with a t-interval.

    0.5 is added to counts so that a zero does not give an infinite ratio; with
    fewer than ``MIN_CRIMES`` control crimes in all runs together no change is
    given (the ratio would be mostly the 0.5).

    Parameters
    ----------
    arm_counts, control_counts : array-like of int
        Counts of the arm and of the control, one per paired replication.

    Returns
    -------
    dict
        ``pct_change, ci_low, ci_high`` (percent, NaN when not given), ``control_crimes``
        and ``note`` (why a change or its interval is not given, else "").
    """
    a, c = np.asarray(arm_counts, float), np.asarray(control_counts, float)
    logs = np.log((a + 0.5) / (c + 0.5))
    m, lo, hi = mean_ci(logs)
    base = int(c.sum())
    note = (f"too few crimes for a % change ({base} in the control arm's runs)"
            if base < MIN_CRIMES else _interval_note(logs))
    if base < MIN_CRIMES:
        m = lo = hi = math.nan
    return {"pct_change": 100 * (math.exp(m) - 1), "ci_low": 100 * (math.exp(lo) - 1),
            "ci_high": 100 * (math.exp(hi) - 1), "control_crimes": base, "note": note}


TYPE_PLACES = {"all": "type:", "hotspots": "hotspot_type:"}


def change_by_type(runs: pd.DataFrame, control: str) -> pd.DataFrame:
    """% change against ``control`` by crime type, area-wide and at the hot spots.

    Deterrence is the same for every crime type in the model (an assumption:
    no source in the evidence gives type-specific deterrence), so differences
    between types come from where and when each type happens, not from the
    deterrence parameters.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` of an experiment (``type:<name>`` and ``hotspot_type:<name>``
        columns).
    control : str
        The reference arm.

    Returns
    -------
    pandas.DataFrame
        ``arm, grid_index, place, crime_type, pairs, pct_change, ci_low, ci_high,
        control_crimes, note``; empty when the runs carry no counts by type.
    """
    if control not in set(runs["arm"]):
        raise ConfigError(f"control arm {control!r} is not in the results "
                          f"({', '.join(sorted(set(runs['arm'])))})")
    cols = [c for c in runs.columns if c.startswith(tuple(TYPE_PLACES.values()))]
    counts = runs[["arm", "grid_index", "replication"] + cols].fillna({c: 0 for c in cols})
    ctl = counts[counts["arm"] == control]
    rows = []
    for (arm, gi), g in counts[counts["arm"] != control].groupby(["arm", "grid_index"],
                                                                   sort=False):
        pair = g.merge(ctl, on=["grid_index", "replication"], suffixes=("", "_ctl"))
        for place, prefix in TYPE_PLACES.items():
            for col in (c for c in cols if c.startswith(prefix)):
                rows.append({"arm": arm, "grid_index": gi, "place": place,
                             "crime_type": col.removeprefix(prefix), "pairs": len(pair),
                             **paired_change(pair[col], pair[f"{col}_ctl"])})
    columns = ["arm", "grid_index", "place", "crime_type", "pairs", "pct_change", "ci_low",
               "ci_high", "control_crimes", "note"]
    return pd.DataFrame(rows, columns=columns)


def wdq_table(arms: pd.DataFrame, control: str, places: list[str],
              changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Weighted displacement quotient (Bowers & Johnson 2003) of each arm against control.

    Treatment area A = hot spots, buffer B = the first catchment ring, control
    area C = elsewhere; the control arm plays the 'before' period:
    WDQ = (B_a/C_a - B_b/C_b) / (A_a/C_a - A_b/C_b).  With fewer crimes at the
    hot spots, WDQ > 0 means diffusion of benefits to the buffer, < 0 displacement.

    The quotient is only defined when its denominator means something: crimes fell at
    the hot spots (relative to elsewhere), and the control arm had at least
    ``MIN_CRIMES`` crimes there and some elsewhere; otherwise ``wdq`` is NaN and
    ``reading`` says why.  Given ``changes`` (:func:`change_table`), a fall at the hot
    spots whose 95% interval does not exclude no change is reported, not interpreted.

    Parameters
    ----------
    arms : pandas.DataFrame
        :func:`arm_table` of the results.
    control : str
        The reference arm.
    places : list of str
        :func:`place_columns`; the first ``ring...`` is the buffer.
    changes : pandas.DataFrame, optional
        :func:`change_table`, to withhold a reading when the fall may be chance.

    Returns
    -------
    pandas.DataFrame
        ``arm, grid_index, buffer, wdq, reading``; empty without a ring.
    """
    ring = next((p for p in places if p.startswith("ring")), None)
    if ring is None:
        return pd.DataFrame()
    base = arms[arms["arm"] == control].set_index("grid_index")
    rows = []
    for _, r in arms[arms["arm"] != control].iterrows():
        b = base.loc[r["grid_index"]]
        wdq, reading = _wdq_value(r, b, ring)
        fall = None if changes is None else changes[
            (changes["arm"] == r["arm"]) & (changes["grid_index"] == r["grid_index"])
            & (changes["place"] == "hotspots")]
        if not math.isnan(wdq) and fall is not None and len(fall) \
                and not fall["ci_high"].iloc[0] < 0:
            why = fall["note"].iloc[0] or (f"95% interval {fall['ci_low'].iloc[0]:+.1f}% to "
                                           f"{fall['ci_high'].iloc[0]:+.1f}%")
            reading = f"not interpreted: the fall at the hot spots may be chance ({why})"
        rows.append({"arm": r["arm"], "grid_index": r["grid_index"], "buffer": ring, "wdq": wdq,
                     "reading": reading})
    return pd.DataFrame(rows)


def _wdq_value(arm: pd.Series, control: pd.Series, ring: str) -> tuple[float, str]:
    """The WDQ of one arm's mean counts against the control arm's, and how to read it.

    The control arm plays the before period and elsewhere the control area
    (:func:`hotspot_sim.track.zones.displacement_quotient`); the fewest-crimes rule
    counts the crimes at the hot spots in all the control arm's runs.

    Parameters
    ----------
    arm, control : pandas.Series
        Rows of :func:`arm_table`: ``crimes_hotspots``, ``crimes_<ring>``,
        ``crimes_elsewhere`` (means) and, for the control, ``replications``.
    ring : str
        The buffer's place name, e.g. ``"ring100_200"``.

    Returns
    -------
    wdq : float
        NaN when not defined.
    reading : str
        How to read it, or why it is not defined.
    """
    q = displacement_quotient(
        (control["crimes_hotspots"], arm["crimes_hotspots"]),
        (control[f"crimes_{ring}"], arm[f"crimes_{ring}"]),
        (control["crimes_elsewhere"], arm["crimes_elsewhere"]),
        counted=control["crimes_hotspots"] * control["replications"],
        control_area="elsewhere (the control area)", counted_in="the control arm's runs")
    return q.wdq, q.reading


def markdown(df: pd.DataFrame, floatfmt: str = ".1f") -> str:
    """A table for people: headings and places in words (:func:`wording.for_people`).

    Parameters
    ----------
    df : pandas.DataFrame
        Any table.
    floatfmt : str
        Format of float cells (NaN is written ``n/a``).

    Returns
    -------
    str
        A Markdown table, or ``"_(none)_"`` for an empty one.
    """
    if df.empty:
        return "_(none)_"
    df = for_people(df)
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        # a "|" or a line break inside a cell would end the cell or the table
        cells = [("n/a" if math.isnan(v) else format(v, floatfmt))
                 if isinstance(v, (float, np.floating))
                 else str(v).replace("|", "/").replace("\n", " ") for v in r]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _interval_text(lo: float, hi: float, why: str, fmt: str = ".1f", unit: str = "") -> str:
    """``"lo to hi"`` for a table, or why there is no interval."""
    if math.isnan(lo) or math.isnan(hi):
        return why or "no interval"
    return f"{lo:{fmt}}{unit} to {hi:{fmt}}{unit}"


def _arms_for_text(arms: pd.DataFrame) -> pd.DataFrame:
    """The arm table as the report prints it: intervals as text saying when there is none."""
    show = ["arm", "grid_index"] + [c for c in arms if c.startswith("grid:")] + \
        [c for c in ("replications", "crimes", "harm", "crimes_hotspots", "patrol_hours")
         if c in arms]
    df = arms[show].copy()
    df.insert(show.index("crimes") + 1, "crimes 95% interval", [
        _interval_text(r.crimes_ci_low, r.crimes_ci_high,
                       _too_few_replications(r.replications)
                       if r.replications < MIN_REPLICATIONS else NO_VARIATION)
        for r in arms.itertuples()])
    return df


def _changes_for_text(changes: pd.DataFrame) -> pd.DataFrame:
    """The change table as the report prints it (interval or the reason there is none)."""
    cols = ["arm", "grid_index", "place"] + (["crime_type"] if "crime_type" in changes else [])
    df = changes[cols + ["pairs", "pct_change"]].copy()
    df["95% interval"] = [_interval_text(lo, hi, why, "+.1f", "%") for lo, hi, why
                          in zip(changes["ci_low"], changes["ci_high"], changes["note"])]
    return df


def trial_statistics(spotdays: pd.DataFrame, n_permutations: int = 999,
                     outcome: str = "crimes") -> pd.DataFrame:
    """What the real trial would report, on each simulated replication of a randomised design.

    Rate ratio of the outcome on treated vs control spot-days from a Poisson GLM with
    hot spot fixed effects (statsmodels), and a randomisation test of the same
    fixed-effects rate ratio that re-draws the daily assignment (crossover design).  ``trial analyse`` reports a
    real trial with this same function (:mod:`hotspot_sim.trial.field`).

    Parameters
    ----------
    spotdays : pandas.DataFrame
        ``spotdays.parquet`` of an experiment (``task_id`` plus the spot-day columns).
    n_permutations : int
        Re-drawn assignments of the randomisation test.
    outcome : str
        The spot-day column analysed: ``"crimes"`` (counts) or ``"harm"`` (Crime Harm
        Index days; see :func:`spot_day_statistics`).

    Returns
    -------
    pandas.DataFrame
        One row per run with both treated and control spot-days: ``task_id, spot_days,
        treated, rate_ratio, ci_low, ci_high, p_glm, p_permutation, mean_treated,
        mean_control``, or ``task_id, note`` when the statistics cannot be computed.
    """
    rows = []
    for task_id, g in spotdays.groupby("task_id", sort=True):
        if g["treated"].nunique() < 2:
            continue  # not a randomised design (no control spot-days)
        rows.append({"task_id": task_id, **spot_day_statistics(g, outcome, n_permutations)})
    return pd.DataFrame(rows)


def spot_day_statistics(spotdays: pd.DataFrame, outcome: str = "crimes",
                        n_permutations: int = 999, design: str = "crossover") -> dict:
    """One trial's GLM rate ratio and randomisation test, as its protocol pre-registers them.

    The GLM's terms and errors are :func:`hotspot_sim.trial.protocol.analysis_plan`'s
    for the design: hot spot fixed effects (crossover), none (parallel) or pairs
    (block); counts with model-based errors in a crossover, harm (CHI days, a
    quasi-likelihood: one crime weighs up to thousands of days) with cluster-robust
    errors and a t reference.  The randomisation test re-draws the assignment as the
    design drew it, with the GLM's own rate ratio as its statistic: the raw ratio of
    means mixes places up when some are treated on more days than others (a daily
    draw: 3 to 8 of 14 days) and then disagrees with the GLM.

    Parameters
    ----------
    spotdays : pandas.DataFrame
        The trial's spot-days (``block`` too for a block design).
    outcome : str
        ``"crimes"`` or ``"harm"`` (or another count column, analysed as counts).
    n_permutations : int
        Re-drawn assignments of the randomisation test (seed 0).
    design : {"crossover", "parallel", "block"}
        How the trial assigned treatment.

    Returns
    -------
    dict
        ``spot_days, treated, rate_ratio, ci_low, ci_high, p_glm, p_permutation,
        mean_treated, mean_control``, or ``note`` alone when they cannot be computed.
    """
    from .protocol import analysis_plan

    plan = analysis_plan(design)
    glm_args = dict(plan["primary"] if outcome == "harm" else plan["secondary_counts"],
                    outcome=outcome)
    try:
        glm = rate_ratio_glm(spotdays, **glm_args)
        perm = permutation_test(spotdays, outcome=outcome, n_permutations=n_permutations,
                                seed=0, design=design, statistic="glm")
    except (ConfigError, ValueError) as exc:  # e.g. no crimes at all in a short run
        return {"note": str(exc)}
    return {"spot_days": len(spotdays), "treated": int(spotdays["treated"].sum()),
            "rate_ratio": glm.rate_ratio, "ci_low": glm.ci_low, "ci_high": glm.ci_high,
            "p_glm": glm.p_value, "p_permutation": perm["p_value"],
            "mean_treated": glm.mean_treated, "mean_control": glm.mean_control}


def dose_by_arm(spotdays: pd.DataFrame, cluster: str = "hotspot_id",
                level: float = 0.95) -> pd.DataFrame:
    """Presence minutes per spot-day on treated and on control spot-days, with intervals.

    Control places get background patrol too (response travel, random patrol): Southend
    about 2 minutes a day on control days (Basford et al. 2021), Peterborough about 16
    (Ariel et al. 2016).  The interval is cluster-robust: spot-days of one ``cluster``
    (a hot spot in one trial, a run across replications) are not independent, so the
    standard error of the mean comes from the clusters' summed deviations, with a t
    reference on (clusters - 1) degrees of freedom.

    Parameters
    ----------
    spotdays : pandas.DataFrame
        Spot-days with ``treated`` and ``dose_minutes`` and the ``cluster`` column.
    cluster : str
        The column grouping dependent spot-days.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per assignment (``treated``, ``control``): ``assignment, spot_days,
        clusters, mean_minutes, ci_low, ci_high, median_minutes, share_with_presence,
        note`` (why there is no interval, else "").

    Raises
    ------
    DataError
        No ``dose_minutes`` column.
    """
    from ..errors import DataError

    if "dose_minutes" not in spotdays:
        raise DataError("the spot-days have no dose_minutes column: the dose was not measured "
                        "(a run without GPS pings, or results written before it was)")
    rows = []
    for name, on in (("treated", True), ("control", False)):
        g = spotdays[spotdays["treated"].astype(bool) == on]
        rows.append({"assignment": name, **_clustered_mean(g["dose_minutes"], g[cluster], level)})
    return pd.DataFrame(rows)


def _clustered_mean(values: pd.Series, clusters: pd.Series, level: float) -> dict:
    """Mean of ``values`` with a cluster-robust t-interval (CR1 standard error)."""
    y = values.to_numpy(float)
    n, n_clusters = len(y), int(clusters.nunique())
    out = {"spot_days": n, "clusters": n_clusters, "mean_minutes": math.nan,
           "ci_low": math.nan, "ci_high": math.nan, "median_minutes": math.nan,
           "share_with_presence": math.nan, "note": ""}
    if n == 0:
        return {**out, "note": "no spot-days"}
    mean = float(y.mean())
    out.update(mean_minutes=mean, median_minutes=float(np.median(y)),
               share_with_presence=float((y > 0).mean()))
    if n_clusters < 2:
        return {**out, "note": f"no interval: one cluster ({n_clusters})"}
    resid = pd.Series(y - mean).groupby(clusters.to_numpy()).sum().to_numpy()
    se = math.sqrt(n_clusters / (n_clusters - 1) * float((resid ** 2).sum())) / n
    half = float(stats.t.ppf(0.5 + level / 2, n_clusters - 1)) * se
    # minutes cannot be negative: a t-interval on a skewed mean can reach below 0
    return {**out, "ci_low": max(0.0, mean - half), "ci_high": mean + half}


def experiment_dose(runs: pd.DataFrame, spotdays: pd.DataFrame) -> pd.DataFrame:
    """:func:`dose_by_arm` of each experiment arm, spot-days clustered by run.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` (``task_id, arm, grid_index``).
    spotdays : pandas.DataFrame
        ``spotdays.parquet`` with ``dose_minutes``.

    Returns
    -------
    pandas.DataFrame
        ``arm, grid_index`` and the columns of :func:`dose_by_arm`; rows with no
        spot-day (a control assignment in an arm that treats every spot-day) left out.
    """
    arm_of = runs.set_index("task_id")[["arm", "grid_index"]]
    sd = spotdays.join(arm_of, on="task_id")
    parts = [dose_by_arm(g, cluster="task_id").assign(arm=arm, grid_index=gi)
             for (arm, gi), g in sd.groupby(["arm", "grid_index"], sort=False)]
    out = pd.concat(parts, ignore_index=True)
    out = out[out["spot_days"] > 0]
    return out[["arm", "grid_index"] + [c for c in out if c not in ("arm", "grid_index")]]


def _dose_text(dose: pd.DataFrame) -> list[str]:
    """The dose per arm as report lines."""
    show = dose.drop(columns=["ci_low", "ci_high", "note"]).copy()
    show.insert(show.columns.get_loc("mean_minutes") + 1, "95% interval", [
        _interval_text(lo, hi, why) for lo, hi, why
        in zip(dose["ci_low"], dose["ci_high"], dose["note"])])
    return ["## Dose per spot-day, treated and control (GPS presence minutes)", "",
            "Every officer's GPS pings within the hot spot radius count, so control places "
            "get background presence too (response travel, random patrol), as real trials "
            "measure it (Southend about 2 min/day at controls, Basford et al. 2021; "
            "Peterborough about 16, Ariel et al. 2016). Interval: cluster-robust, the "
            "clusters being the runs (replications).", "",
            markdown(show), ""]


def _change_figure(changes: pd.DataFrame, path: Path, title: str) -> list[str]:
    """Draw the % change figure from the changes that have an interval (grid point 0).

    Without any, the axis would show bare points or spans of orders of magnitude, so no
    figure is drawn (an old one is removed) and the returned report lines say why.
    """
    rows = changes[changes["place"].isin(["hotspots", "all", "elsewhere"])
                   & (changes["grid_index"] == 0)]
    drawable = rows.dropna(subset=["pct_change", "ci_low", "ci_high"])
    if drawable.empty:
        path.unlink(missing_ok=True)
        why = "; ".join(dict.fromkeys(n for n in rows["note"] if n)) or "no change to show"
        return [f"_No change figure: no change has an interval ({why})._", ""]
    from .. import plots  # pictures are a later stage, loaded only to draw

    plots.change_by_arm(drawable, path, title=title)
    return []


def _by_type_text(by_type: pd.DataFrame) -> list[str]:
    """The change by crime type as report lines (types with enough crimes only)."""
    shown = by_type[by_type["control_crimes"] >= MIN_CRIMES]
    if shown.empty:
        return []
    left_out = by_type["crime_type"].nunique() - shown["crime_type"].nunique()
    return ["## Change by crime type (paired replications, 95% interval)", "",
            "Deterrence is the same for every crime type in the model (an assumption: the "
            "evidence gives no type-specific figures), so differences between types come from "
            "where and when each type happens, not from a finding about deterrence."
            + (f" {left_out} types with fewer than {MIN_CRIMES} crimes in the control arm are "
               "left out (see change_by_type.csv)." if left_out else ""), "",
            markdown(_changes_for_text(shown)), ""]


def _sweep_figure(runs: pd.DataFrame, arms: pd.DataFrame, path: Path) -> None:
    """Crimes at the hot spots against the first swept setting, if it takes two values or more."""
    grid_cols = [c for c in runs.columns if c.startswith("grid:")]
    if not grid_cols or runs[grid_cols[0]].nunique() < 2:
        path.unlink(missing_ok=True)  # a sweep of one value has no axis to draw
        return
    summ = arms.rename(columns={"crimes_hotspots": "mean", "crimes_hotspots_ci_low": "ci_low",
                                "crimes_hotspots_ci_high": "ci_high"})
    from .. import plots  # pictures are a later stage, loaded only to draw

    plots.metric_by_grid(summ, grid_cols[0], "crimes_hotspots", path)


def build_report(folder: Path, cost_per_hour: float = DEFAULT_COST_PER_OFFICER_HOUR,
                 control: str | None = None, n_permutations: int = 999) -> tuple[str, dict]:
    """Write the report's tables (CSV), text (Markdown) and figures (PNG) into ``folder/report``.

    Parameters
    ----------
    folder : Path
        An experiment's results folder (``runs.parquet``, ``manifest.json``).
    cost_per_hour : float
        Cost of one officer hour for the cost-benefit; the default
        (``DEFAULT_COST_PER_OFFICER_HOUR``, 40 GBP) is an assumption, not a source.
    control : str, optional
        Reference arm (default: the experiment's ``control``).
    n_permutations : int
        Re-drawn assignments per run for the randomisation test.

    Returns
    -------
    text : str
        The report in Markdown (also written to ``folder/report/report.md``).
    tables : dict of str to pandas.DataFrame
        ``arms``, ``change_vs_control``, ``wdq``, ``cost_benefit`` and, for randomised
        designs, ``trial_statistics`` (each also written as CSV).

    Raises
    ------
    ConfigError
        Results that do not match their manifest, or an unknown control arm.
    DataError
        A damaged results file.
    """
    folder = Path(folder)
    runs, manifest, spotdays = load_results(folder)
    out = folder / "report"
    out.mkdir(exist_ok=True)
    control = control or manifest.get("control")
    arms = arm_table(runs)
    tables: dict[str, pd.DataFrame] = {"arms": arms}
    lines = _heading(manifest, runs, arms)
    if control:
        lines += _against_control(runs, arms, control, cost_per_hour, tables)
        lines += _change_figure(tables["change_vs_control"], out / "change_vs_control.png",
                                f"{manifest['experiment']}: change against {control}")
    _sweep_figure(runs, arms, out / "sweep.png")
    if spotdays is not None and "dose_minutes" in spotdays:
        tables["dose_by_arm"] = experiment_dose(runs, spotdays)
        lines += _dose_text(tables["dose_by_arm"])
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


def _heading(manifest: dict, runs: pd.DataFrame, arms: pd.DataFrame) -> list[str]:
    """Title, what was run, a warning when too few replications, and the per-arm table."""
    lines = [f"# Experiment `{manifest['experiment']}`", "",
             manifest.get("description", ""), "",
             f"Scenario `{manifest['scenario']}`, {manifest['days']:g} days, "
             f"{runs.groupby(['arm', 'grid_index']).size().max()} replications per arm and grid "
             f"point, root seed {manifest['root_seed']}, code {manifest['code_version']}"
             + (" (the --quick version)" if manifest.get("quick") else "") + ".", ""]
    fewest = int(arms["replications"].min())
    if fewest < MIN_REPLICATIONS:
        lines += [f"**{_too_few_replications(fewest).capitalize()} per arm and grid point**: "
                  "means are shown without intervals and the change figure is not drawn, so "
                  f"this report cannot conclude; run at least {MIN_REPLICATIONS} replications "
                  "(the full experiment rather than --quick).", ""]
    return lines + ["## Crimes per run (mean and 95% interval across replications)", "",
                    markdown(_arms_for_text(arms)), ""]


def _against_control(runs: pd.DataFrame, arms: pd.DataFrame, control: str,
                     cost_per_hour: float, tables: dict) -> list[str]:
    """% change, displacement and cost-benefit against ``control``, added to ``tables``."""
    changes = change_table(runs, control)
    wdq = wdq_table(arms, control, place_columns(runs), changes)
    costs = pd.concat([cost_benefit(g, control, cost_per_hour).assign(grid_index=gi)
                       for gi, g in runs.groupby("grid_index")], ignore_index=True)
    by_type = change_by_type(runs, control)
    tables.update({"change_vs_control": changes, "change_by_type": by_type, "wdq": wdq,
                   "cost_benefit": costs})
    return [f"## Change against `{control}` (paired replications, 95% interval)", "",
            markdown(_changes_for_text(changes)), "",
            *_by_type_text(by_type),
            "## Displacement or diffusion (weighted displacement quotient)", "",
            markdown(wdq, ".3f"), "",
            f"## Cost-benefit at {money(cost_per_hour, 2)} per officer hour", "",
            markdown(costs[["arm", "grid_index", "extra_hours", "extra_cost",
                            "crimes_prevented", "harm_prevented",
                            "cost_per_crime_prevented", "cost_per_harm_day_prevented",
                            "note"]]), ""]
