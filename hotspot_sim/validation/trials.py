"""Published hot spot trials re-run in the model, each analysed with the project's statistics.

Each :class:`PublishedTrial` copies a published design (places, dose, how treatment
was assigned, length; figures from /work/shared/REFERENCE.md, cited per trial) onto
a scenario's street network, builds it as an :class:`~hotspot_sim.trial.Experiment`
and reads the finished runs with the trial statistics of :mod:`hotspot_sim.trial`:

* daily crossovers (Southend, Bedfordshire, Armadale): Poisson rate ratio of
  treated vs control spot-days with place fixed effects
  (:func:`~hotspot_sim.trial.stats.conditional_poisson`, cluster-robust by place),
  and a randomisation test that re-draws each day's assignment
  (:func:`~hotspot_sim.trial.stats.permutation_test`);
* the parallel trial (Minneapolis): the same rate ratio with the hot spot as stratum,
  since every replication draws its own treated half, so a place is treated in some
  replications and a control in others; randomisation test by replication block;
* the area-wide patrol experiment (Kansas City): % change of area-wide crime
  against the reactive arm on paired replications
  (:func:`~hotspot_sim.trial.report.change_table`).

Pooling: the headline estimate pools every replication's spot-days (each place in
each replication is its own stratum and cluster, each replication's day its own
randomisation group), so it is the model's effect with the precision of many trials.
``detail`` adds what one trial of the published size would have found: the per-run
rate ratio (median, share of runs significant at 5%).

Sign convention: ``pct`` is the % change of the compared rate, treated over control
(negative = fewer crimes when patrolled), except for Armadale's carry-over contrast,
which is after-the-carry-over days over patrol days as Barnes et al. (2020) report it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..trial.experiment import Arm, Experiment

# Barnes et al. (2020): residual deterrence lasted about 4 days after the last patrol day.
# Used only to classify days after a patrol day in the Armadale analysis; the model's own
# carry-over is deterrence.long_hold_days (set from the same paper: an input, not a test).
BARNES_CARRYOVER_DAYS = 4
DEFAULT_SEED = 2021
N_PERMUTATIONS = 999
# The trial statistics' analyses (see the module docstring).
ANALYSES = ("crossover", "carryover", "parallel", "area")


@dataclass(frozen=True)
class PublishedTrial:
    """A published hot spot trial and how the model re-runs it.

    Attributes
    ----------
    key, citation, design, measure, published : str
        Name, source, the design in one line, what is compared, the published figure.
    published_pct : float or None
        Published % change (sign as in ``measure``); None when no number was published.
    published_range : tuple of float or None
        Published interval or range in %; None when none was published.
    finding : str
        ``"reduction"``, ``"increase"`` or ``"no difference"``.
    days, quick_days : float
        Simulated days of the full design and of the ``quick`` version.
    arms : tuple of Arm
        The policies run (one for a randomised trial with treated and control places).
    analysis : str
        One of ``ANALYSES``.
    hotspots : int
        Places measured (the top-harm places, as the policy chooses them).
    outcome : str
        Headline outcome: ``"crimes"`` or ``"harm"`` (CHI days, when the trial published
        harm).
    control : str or None
        Reference arm of an area-wide comparison.
    replications, quick_replications : int
        Default replications: full within about 2.5 minutes on 2 workers; quick 3 (the
        fewest that give an interval).  Building a model costs about 6 s, more than
        simulating 90 days, so a quick version saves replications more than days.
    sets : str
        The parameters this trial's figures were used to set ("" when none: then the
        trial is a prediction, not an input).
    why_differs : str
        Why the model and the trial may differ, for the validation report.
    """

    key: str
    citation: str
    design: str
    measure: str
    published: str
    published_pct: float | None
    published_range: tuple[float, float] | None
    finding: str
    days: float
    quick_days: float
    arms: tuple[Arm, ...] = ()
    analysis: str = "crossover"
    hotspots: int = 20
    outcome: str = "crimes"
    control: str | None = None
    replications: int = 6
    quick_replications: int = 3
    sets: str = ""
    why_differs: str = ""

    def default_replications(self, quick: bool) -> int:
        """Replications of the full design, or of the ``quick`` version."""
        return self.quick_replications if quick else self.replications

    def experiment(self, scenario: str, replications: int, seed: int, quick: bool,
                   overrides: dict) -> Experiment:
        """The trial as an experiment on ``scenario``.

        Parameters
        ----------
        scenario : str
            Scenario name or TOML path.
        replications : int
            Runs per arm (common random numbers across arms).
        seed : int
            Root seed.
        quick : bool
            Use ``quick_days`` instead of ``days``.
        overrides : dict
            Scenario overrides (``"section.key"`` -> value) applied to every arm, on top
            of the arm's own (e.g. switching deterrence off for a negative control).

        Returns
        -------
        Experiment
        """
        arms = tuple(Arm(a.name, a.policy, dict(a.params), {**a.overrides, **(overrides or {})})
                     for a in self.arms)
        return Experiment(name=self.key, scenario=scenario, arms=arms,
                          days=float(self.quick_days if quick else self.days),
                          replications=int(replications), seed=int(seed), control=self.control,
                          hotspots=self.hotspots, description=f"{self.citation}: {self.design}",
                          quick_version=bool(quick))


@dataclass
class TrialEstimate:
    """The model's estimate of a published trial's figure.

    Attributes
    ----------
    key : str
        The trial.
    pct, ci_low, ci_high : float
        % change with its 95% interval (NaN when none can be given).
    events : int
        Crimes the estimate rests on (at the places compared).
    detail : str
        Rate ratios, p-values and the other outcome, in words.
    """

    key: str
    pct: float
    ci_low: float
    ci_high: float
    events: int
    detail: str
    extra: dict = field(default_factory=dict)


def _crossover_arm(k: int, treat_share: float, dose: int) -> tuple[Arm, ...]:
    # crossover_patrol: officers go back to the station between visits, so the dose is
    # the planned one (crossover_daily's officers wait at the spot they just visited).
    return (Arm("patrol", "crossover_patrol",
                {"k": k, "treat_share": treat_share, "dose_minutes": dose, "visits": 1}),)


# Kansas City (Kelling et al. 1974): "normal" is the scenario's own patrol roster
# (officers.count; 20 for Welwyn Hatfield, about 7 on duty per 8-hour shift), the
# establishment the project simulates; Kelling had one car per beat, proactive beats two to
# three times that.  "Reactive" keeps the officers but gives no preventive patrol (policy
# "none": they wait at the station).  Calls are answered by the scenario's response cars
# (officers.response_units) in every arm, as Kelling's reactive beats were served by cars
# entering only to answer calls.
_KC_PROACTIVE_FACTOR = 2.5


def _kansas_city_arms(normal_officers: int) -> tuple[Arm, ...]:
    car = {"officers.mode": "car", "officers.count": normal_officers}
    return (Arm("reactive", "none", {}, car),
            Arm("normal", "random", {}, car),
            Arm("proactive", "random", {}, {**car, "officers.count":
                                             int(round(_KC_PROACTIVE_FACTOR * normal_officers))}))


PUBLISHED_TRIALS: dict[str, PublishedTrial] = {t.key: t for t in (
    PublishedTrial(
        key="southend", citation="Basford et al. 2021 (Southend-on-Sea)",
        design="20 hot spots, one 15-20 minute foot patrol a day (17 min simulated), daily "
               "randomisation of 40% (720 treatment / 1,080 control place-days), 90 days",
        measure="harm (CHI days) at treated vs control place-days (rate ratio)",
        published="serious-violence harm 88.5% lower on patrol days",
        published_pct=-88.5, published_range=None, finding="reduction",
        days=90, quick_days=30, arms=_crossover_arm(20, 0.4, 17), analysis="crossover",
        hotspots=20, outcome="harm", replications=10,
        why_differs="The published figure is serious-violence harm, rare and skewed (a few "
        "events give extreme ratios); the model's harm covers every crime type. At 40% daily "
        "treatment most control days fall within 4 days of a patrol day, so the carry-over "
        "protects control days too and only the visit itself is contrasted."),
    PublishedTrial(
        key="bedfordshire", citation="Bland et al. 2021 (Bedfordshire)",
        design="21 areas (LSOAs; simulated as 100 m hot spots), each day 7 get one 15-minute "
               "patrol and 14 none, 90 days",
        measure="harm (CHI days) at treated vs control place-days (rate ratio)",
        published="patrol days had 44% less serious-violence harm; no displacement into "
                  "100 m buffers",
        published_pct=-44.0, published_range=None, finding="reduction",
        days=90, quick_days=30, arms=_crossover_arm(21, 7 / 21, 15), analysis="crossover",
        hotspots=21, outcome="harm", replications=10,
        why_differs="The trial's places were LSOAs, much larger than 100 m hot spots, and its "
        "outcome serious-violence harm; the carry-over dilutes the contrast as in Southend."),
    PublishedTrial(
        key="armadale", citation="Barnes et al. 2020 (Armadale, Western Australia)",
        design="15 hot spots, about 13 minutes once on a treatment day, daily re-randomisation "
               "(50% assumed: REFERENCE gives no share), 248 days",
        measure="crimes on days after the ~4-day carry-over ended vs patrol days (rate ratio, "
                "Barnes' direction: positive = more crime once deterrence ends)",
        published="residual deterrence about 4 days after the last patrol day, then an abrupt "
                  "end: offences +66%, harm +395% against treatment days",
        published_pct=66.0, published_range=None, finding="increase",
        days=248, quick_days=60, arms=_crossover_arm(15, 0.5, 13), analysis="carryover",
        hotspots=15, outcome="crimes", replications=6,
        sets="deterrence.long_hold_days and long_decay_days (the 4-day hold and abrupt end)",
        why_differs="How large the rise is depends on long_effect (0.3, an assumption), which "
        "caps it near +43%; few place-days lie beyond the carry-over when half the places are "
        "patrolled each day."),
    PublishedTrial(
        key="minneapolis", citation="Sherman & Weisburd 1995 (Minneapolis)",
        design="110 hot spots, a random 55 with about twice the patrol presence (three 15-min "
               "stops a day on top of ordinary patrol), assigned once, one year",
        measure="crimes at treated vs control hot spots (rate ratio, parallel design)",
        published="crime calls down 6-13% at treated hot spots",
        published_pct=-9.5, published_range=(-13.0, -6.0), finding="reduction",
        days=365, quick_days=30,
        arms=(Arm("patrol", "parallel_patrol",
                  {"k": 110, "treat_share": 0.5, "dose_minutes": 15, "visits": 3,
                   "between": "walk"}),),
        analysis="parallel", hotspots=110, outcome="crimes", replications=4,
        why_differs="Braga et al. 2019's review, to whose range deterrence strength was set, "
        "includes Minneapolis, so this prediction is not fully independent. Which places happen "
        "to be treated dominates single parallel trials; the pooled estimate is the model's."),
    PublishedTrial(
        key="kansas_city", citation="Kelling et al. 1974 (Kansas City Preventive Patrol)",
        design="whole-area random car patrol for a year: reactive (cars answer calls only) / "
               "normal (the scenario's roster) / 2.5x normal",
        measure="area-wide crimes, proactive (2.5x) vs reactive arm (paired % change)",
        published="no significant differences in reported crime between the three conditions",
        published_pct=None, published_range=None, finding="no difference",
        days=365, quick_days=7, arms=_kansas_city_arms(20), analysis="area",
        control="reactive", hotspots=20, outcome="crimes", replications=3,
        why_differs="An earlier version of the model failed this check: every minute of "
        "presence, passing cars included, counted toward a patrol day, so the Barnes carry-over "
        "spread over whole areas. Patrol days now need stays of Koper's 10-minute onset "
        "(deterrence.patrol_day_min_stay_minutes, value from Koper 1995, not from this "
        "trial); the change was prompted by this check, so it is not fully independent."),
)}


# ----------------------------------------------------------------------------- running


def simulate_trial(trial: PublishedTrial, scenario: str, out: Path,
                   replications: int | None = None, seed: int = DEFAULT_SEED, workers: int = 1,
                   quick: bool = False, overrides: dict | None = None,
                   progress: bool | Callable[[str, int, int], None] | None = None
                   ) -> TrialEstimate:
    """Run a published trial's design (resuming runs already in ``out / trial.key``) and
    estimate its figure.

    Parameters
    ----------
    trial : PublishedTrial
        One of :data:`PUBLISHED_TRIALS`.
    scenario : str
        Scenario name or TOML path (e.g. ``"welwyn_hatfield"``).
    out : Path
        Parent folder; the runs go to ``out / trial.key``.  Runs with other settings
        (other ``overrides``) need another ``out``: the runner refuses to mix them.
    replications : int, optional
        Default: the trial's ``replications`` (``quick_replications`` when quick).
    seed : int
        Root seed (common random numbers across arms).
    workers : int
        Worker processes.
    quick : bool
        The short version (``quick_days``).
    overrides : dict, optional
        Scenario overrides applied to every arm.
    progress : bool or callable, optional
        As :func:`hotspot_sim.trial.runner.run_experiment` (default: no bar).

    Returns
    -------
    TrialEstimate
    """
    from ..trial.runner import run_experiment

    if replications is None:
        replications = trial.default_replications(quick)
    exp = trial.experiment(scenario, replications, seed, quick, overrides or {})
    folder = run_experiment(exp, Path(out) / trial.key, workers=workers,
                            progress=False if progress is None else progress)
    return estimate(trial, folder)


def estimate(trial: PublishedTrial, folder: Path) -> TrialEstimate:
    """The model's estimate of ``trial``'s published figure from a finished experiment folder.

    Parameters
    ----------
    trial : PublishedTrial
        The trial the folder's runs simulate.
    folder : Path
        Its results folder (:func:`simulate_trial` writes ``out / trial.key``).

    Returns
    -------
    TrialEstimate
        NaN figures with the reason in ``detail`` when the runs hold too few crimes.

    Raises
    ------
    ConfigError
        The folder is not a finished experiment, or ``trial.analysis`` is unknown.
    """
    from ..trial.results import load_results

    runs, _, spotdays = load_results(Path(folder))
    if trial.analysis == "area":
        return _area_estimate(trial, runs)
    if spotdays is None:
        raise ConfigError(f"{folder}: no spotdays.parquet; the trial needs spot-days")
    table = pooled_spot_days(runs, spotdays)
    if trial.analysis == "crossover":
        return _crossover_estimate(trial, table)
    if trial.analysis == "carryover":
        return _carryover_estimate(trial, table)
    if trial.analysis == "parallel":
        return _parallel_estimate(trial, table)
    raise ConfigError(f"trial {trial.key!r}: analysis {trial.analysis!r} is not one of "
                      f"{', '.join(ANALYSES)}")


# ----------------------------------------------------------------------------- analyses


def pooled_spot_days(runs: pd.DataFrame, spotdays: pd.DataFrame) -> pd.DataFrame:
    """Every replication's spot-days in one table, each place and day labelled per run.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` (``task_id, replication``).
    spotdays : pandas.DataFrame
        ``spotdays.parquet``.

    Returns
    -------
    pandas.DataFrame
        The spot-day columns plus ``place`` (the hot spot), ``replication``, ``unit``
        (replication x place: a stratum and cluster) and ``run_day`` (replication x day:
        a randomisation group of the crossover).
    """
    rep = runs.set_index("task_id")["replication"]
    out = spotdays.copy()
    out["replication"] = rep.reindex(out["task_id"]).to_numpy()
    out["place"] = out["hotspot_id"].astype(str)
    out["unit"] = out["replication"].astype(str) + ":" + out["place"]
    out["run_day"] = out["replication"].astype(np.int64) * 100_000 + out["day"].astype(np.int64)
    return out


def _rate_change(table: pd.DataFrame, outcome: str, strata: str, cluster: str) -> dict:
    """Pooled Poisson rate ratio (% change, 95% interval) or the reason it cannot be given."""
    from ..trial.stats import conditional_poisson

    try:
        r = conditional_poisson(table, outcome=outcome, strata=(strata,), cov="cluster",
                                cluster=cluster)
    except (DataError, ConfigError) as exc:
        return {"pct": math.nan, "ci_low": math.nan, "ci_high": math.nan, "rr": math.nan,
                "rr_low": math.nan, "rr_high": math.nan, "note": str(exc)}
    return {"pct": _pct(r.rate_ratio), "ci_low": _pct(r.ci_low), "ci_high": _pct(r.ci_high),
            "rr": r.rate_ratio, "rr_low": r.ci_low, "rr_high": r.ci_high, "note": ""}


def _pct(rate_ratio: float) -> float:
    return 100.0 * (rate_ratio - 1.0)


def _permutation_p(table: pd.DataFrame, outcome: str, design: str) -> float:
    """Randomisation p-value of the pooled table, re-drawing assignment as the design did."""
    from ..trial.stats import permutation_test

    try:
        return permutation_test(table, outcome=outcome, n_permutations=N_PERMUTATIONS, seed=0,
                                design=design)["p_value"]
    except (DataError, ConfigError):
        return math.nan


def _change_text(label: str, change: dict, p: float | None = None) -> str:
    if not math.isfinite(change["pct"]):
        return f"{label}: not estimable ({change['note']})"
    text = (f"{label} {change['pct']:+.1f}% (95% CI {change['ci_low']:+.1f}% to "
            f"{change['ci_high']:+.1f}%; rate ratio {change['rr']:.2f})")
    if p is not None and math.isfinite(p):
        text += f", permutation p={p:.3f}"
    return text


def _single_trials(table: pd.DataFrame, label: str, **fit) -> str:
    """What one trial of the published size finds: the rate ratio of each run on its own.

    ``fit`` are the :func:`~hotspot_sim.trial.stats.rate_ratio_glm` arguments of the
    trial's own analysis; with hot spot fixed effects (a crossover, as in
    :func:`~hotspot_sim.trial.report.trial_statistics`) the fast conditional estimator
    gives the same estimate and interval.
    """
    from ..trial.stats import conditional_poisson, rate_ratio_glm

    ratios, significant = [], 0
    for _, run in table.groupby("replication"):
        try:
            r = (conditional_poisson(run, outcome="crimes", strata=fit["fixed_effects"])
                 if fit.get("fixed_effects") else rate_ratio_glm(run, outcome="crimes", **fit))
        except (DataError, ConfigError):
            continue
        ratios.append(r.rate_ratio)
        significant += int(r.ci_high < 1 or r.ci_low > 1)
    if not ratios:
        return "single trials: no per-run estimate (too few crimes per run)"
    return (f"single trials (crimes, {label}, per run): median rate ratio "
            f"{np.median(ratios):.2f}, {significant} of {len(ratios)} runs significant at 5%")


def _crossover_estimate(trial: PublishedTrial, table: pd.DataFrame) -> TrialEstimate:
    """Treated vs control place-days, pooled over replications (place x run strata)."""
    perm_table = table.assign(hotspot_id=table["unit"], day=table["run_day"])
    changes = {o: _rate_change(table, o, "unit", "unit") for o in ("crimes", "harm")}
    ps = {o: _permutation_p(perm_table, o, "crossover") for o in ("crimes", "harm")}
    head = changes[trial.outcome]
    comparable = ("harm is the comparable figure (the trial published harm; the model's harm "
                  "is CHI days of all crime types, not serious violence only)"
                  if trial.outcome == "harm" else "crimes is the comparable figure")
    detail = "; ".join([_change_text("crimes", changes["crimes"], ps["crimes"]),
                        _change_text("harm", changes["harm"], ps["harm"]), comparable,
                        f"pooled over {table['replication'].nunique()} replications",
                        _single_trials(table, "hot spot fixed effects",
                                       fixed_effects=("hotspot_id",))])
    return TrialEstimate(trial.key, head["pct"], head["ci_low"], head["ci_high"],
                         int(table["crimes"].sum()), detail,
                         extra={"changes": changes, "p_permutation": ps})


def days_since_patrol(table: pd.DataFrame) -> pd.Series:
    """Days since the place's last treated day in the same run (NaN before its first).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`pooled_spot_days` output (``unit, day, treated``).

    Returns
    -------
    pandas.Series
        0 on treated days, 1 the day after, ...; aligned with ``table``.
    """
    ordered = table.sort_values(["unit", "day"])
    last = ordered["day"].where(ordered["treated"].astype(bool))
    last = last.groupby(ordered["unit"]).ffill()
    return (ordered["day"] - last).reindex(table.index)


def _carryover_estimate(trial: PublishedTrial, table: pd.DataFrame) -> TrialEstimate:
    """Barnes et al. (2020)'s contrast: days after the carry-over ended vs patrol days.

    Control days 1-4 after a patrol day are in the carry-over and left out; later control
    days are "after" (``treated`` = True here, so the rate ratio is after / patrol days).
    The plain crossover contrast (patrol vs all other days) is given in ``detail``.
    """
    since = days_since_patrol(table)
    after = since > BARNES_CARRYOVER_DAYS
    compared = table[table["treated"].astype(bool) | after].assign(treated=after)
    changes = {o: _rate_change(compared, o, "unit", "unit") for o in ("crimes", "harm")}
    plain = _rate_change(table, "crimes", "unit", "unit")
    head = changes[trial.outcome]
    detail = "; ".join([
        _change_text("crimes after the carry-over vs patrol days", changes["crimes"]),
        _change_text("harm", changes["harm"]),
        f"{int(after.sum())} place-days more than {BARNES_CARRYOVER_DAYS} days after a patrol "
        f"day ({int(table.loc[after, 'crimes'].sum())} crimes on them)",
        _change_text("patrol vs all non-patrol days (crimes)", plain),
        "the model's carry-over length (deterrence.long_hold_days = 4) was set from this "
        "trial: the contrast is an input check, not an independent test",
        f"pooled over {table['replication'].nunique()} replications"])
    return TrialEstimate(trial.key, head["pct"], head["ci_low"], head["ci_high"],
                         int(compared["crimes"].sum()), detail,
                         extra={"changes": changes, "patrol_vs_non_patrol": plain})


def _parallel_estimate(trial: PublishedTrial, table: pd.DataFrame) -> TrialEstimate:
    """Treated vs control hot spots, pooled over replications with the place as stratum.

    Each replication drew its own treated half, so a place is treated in some runs and a
    control in others: place strata remove the differences between places, which one
    parallel trial cannot.  The randomisation test re-draws the treated half within each
    replication (design ``block``, blocks = replications).
    """
    changes = {o: _rate_change(table, o, "place", "place") for o in ("crimes", "harm")}
    perm_table = table.assign(hotspot_id=table["unit"], block=table["replication"])
    p = _permutation_p(perm_table, "crimes", "block")
    head = changes[trial.outcome]
    detail = "; ".join([_change_text("crimes", changes["crimes"]),
                        f"randomisation test of the unstratified ratio (treated halves re-drawn "
                        f"within each replication) p={p:.3f}",
                        _change_text("harm", changes["harm"]),
                        "crimes is the comparable figure (crime calls)",
                        f"pooled over {table['replication'].nunique()} replications",
                        _single_trials(table, "one intercept, cluster-robust by hot spot",
                                       fixed_effects=(), cov="cluster", cluster="hotspot_id",
                                       use_t=True)])
    return TrialEstimate(trial.key, head["pct"], head["ci_low"], head["ci_high"],
                         int(table["crimes"].sum()), detail,
                         extra={"changes": changes, "p_permutation": p})


def _area_estimate(trial: PublishedTrial, runs: pd.DataFrame) -> TrialEstimate:
    """Area-wide crimes of each patrol arm against the reactive arm (paired replications)."""
    from ..trial.report import change_table

    changes = change_table(runs, trial.control)
    changes = changes[changes["grid_index"] == 0].set_index(["arm", "place"])
    parts = []
    for arm in [a.name for a in trial.arms if a.name != trial.control]:
        for place in ("all", "hotspots"):
            if (arm, place) in changes.index:
                row = changes.loc[(arm, place)]
                label = f"{arm} vs {trial.control}, {'area-wide' if place == 'all' else place}"
                parts.append(f"{label} {row['pct_change']:+.1f}% ({row['ci_low']:+.1f}% to "
                             f"{row['ci_high']:+.1f}%)" + (f" [{row['note']}]" if row["note"]
                                                           else ""))
    head_arm = trial.arms[-1].name
    head = changes.loc[(head_arm, "all")]
    events = int(runs.loc[runs["arm"].isin([trial.control, head_arm]), "crimes"].sum())
    hours = runs.groupby("arm")["patrol_hours"].mean() if "patrol_hours" in runs else None
    if hours is not None:
        parts.append("patrol hours per run: " + ", ".join(f"{a} {h:,.0f}"
                                                          for a, h in hours.items()))
    parts.append(f"paired over {runs['replication'].nunique()} replications")
    return TrialEstimate(trial.key, float(head["pct_change"]), float(head["ci_low"]),
                         float(head["ci_high"]), events, "; ".join(parts))
