"""The published evidence, and how a model result is judged against it.

Pattern-oriented validation (Grimm et al. 2005): a model is credible when it
reproduces several patterns at once, with parameters set from some patterns and
the others kept as independent tests.  So every row of the report says which
kind it is:

- ``PREDICTION``: evidence that was **not** used to set or tune any parameter;
  only these rows can PASS or FAIL.
- ``INPUT``: evidence that set a parameter (Koper's onset, Barnes's hold, the
  effect size the deterrence strength was tuned to).  The model can only
  *reproduce its input*; such a row is never counted as a pass.
- ``OPERATIONS``: what a policing lead checks before reading on (response times);
  the staffing behind it is a stated assumption.

Each row is also judged on a *negative control* (:mod:`.controls`): the model with
the mechanism under test removed, which must FAIL.  Tolerances come from the
evidence's own intervals and are judged on the model's 95% interval, not its
point estimate; with too few events a row says so instead of passing.

The ``*_finding`` functions turn one set of results into a :class:`Finding`;
:func:`make_check` pairs the model's finding with its control's.  The runs are
made in :mod:`.validate`, the report is written by :mod:`.report`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..trial.report import MIN_REPLICATIONS, NO_VARIATION, change_table, mean_ci

PREDICTION, INPUT, OPERATIONS = "prediction", "reproduces its input", "operations"
MIN_EVENTS = 30  # fewer crimes than this at the places compared: not enough to judge
NOT_ENOUGH = "not enough events to judge"


def interval(lo: float, hi: float) -> str:
    """A 95% interval in percent for the report, or why there is none.

    Parameters
    ----------
    lo, hi : float
        Interval bounds in percent (NaN when there is no interval).

    Returns
    -------
    str
        E.g. ``"95% interval -20.1% to -3.4%"``.
    """
    if math.isnan(lo) or math.isnan(hi):
        return f"no interval (fewer than {MIN_REPLICATIONS} replications, or no variation)"
    return f"95% interval {lo:+.1f}% to {hi:+.1f}%"


@dataclass
class Finding:
    """What one set of runs gave for a check, and whether it agrees with the evidence.

    Attributes
    ----------
    text : str
        The result in words, with its interval.
    passed : bool or None
        Agreement with the evidence; None when there is too little to judge.
    """

    text: str
    passed: bool | None

    def __post_init__(self):
        # numpy booleans (np.True_ is not True) once made the report miscount its passes
        if self.passed is not None:
            self.passed = bool(self.passed)


@dataclass(frozen=True)
class Pattern:
    """A pattern from the evidence that the model is held up against.

    Attributes
    ----------
    name : str
        What is checked.
    kind : str
        :data:`PREDICTION`, :data:`INPUT` or :data:`OPERATIONS`.
    evidence : str
        What the published studies found (each named).
    tolerance : str
        What counts as agreement.
    why_differs : str
        Why the model may differ, shown when it does.
    inputs : str
        For ``INPUT`` rows: the parameters this evidence set.
    control_note : str
        Why the negative control may pass too, shown when it does.
    """

    name: str
    kind: str
    evidence: str
    tolerance: str
    why_differs: str = ""
    inputs: str = ""
    control_note: str = ""


@dataclass
class Check:
    """One row of the validation report: a pattern, the model's finding and its control's.

    Attributes
    ----------
    name, kind, evidence, tolerance : str
        From the :class:`Pattern`.
    model : str
        What the model gave.
    passed : bool or None
        Agreement with the evidence (None: not enough events to judge).
    control : str
        What the negative control removed ("" when the row has none).
    control_model : str
        What the control gave.
    control_passed : bool or None
        The control's agreement: it must be False for the row to mean anything.
    explanation : str
        Why the model may differ (empty when it agrees).
    inputs : str
        For ``INPUT`` rows, the parameters the evidence set.
    """

    name: str
    kind: str
    evidence: str
    tolerance: str
    model: str
    passed: bool | None
    control: str = ""
    control_model: str = ""
    control_passed: bool | None = None
    explanation: str = ""
    inputs: str = ""

    @property
    def discriminates(self) -> bool:
        """True when the negative control fails, as it must."""
        return self.control_passed is False

    @property
    def verdict(self) -> str:
        """PASS / FAIL for predictions, "reproduces its input" for inputs, or why neither."""
        if self.passed is None:
            return NOT_ENOUGH
        if self.control and self.control_passed is True:
            return "cannot discriminate (its negative control passes too)"
        if self.control and self.control_passed is None:
            return "control not judged (" + NOT_ENOUGH + ")"
        if self.kind == INPUT:
            return "reproduces its input" if self.passed else "does not reproduce its input"
        return "PASS" if self.passed else "FAIL"

    @property
    def control_verdict(self) -> str:
        """FAIL (as it must), PASS (the check cannot discriminate) or not judged."""
        if not self.control:
            return ""
        return {True: "PASS (should fail)", False: "FAIL (as it must)",
                None: NOT_ENOUGH}[self.control_passed]


def make_check(pattern: Pattern, model: Finding, control=None,
               control_finding: Finding | None = None) -> Check:
    """A report row from a pattern, the model's finding and its negative control's.

    Parameters
    ----------
    pattern : Pattern
        The evidence.
    model : Finding
        What the model gave.
    control : Control, optional
        The negative control (:mod:`.controls`).
    control_finding : Finding, optional
        What the control gave.

    Returns
    -------
    Check
    """
    control_passed = control_finding.passed if control_finding else None
    why = [pattern.why_differs if model.passed is False else "",
           pattern.control_note if control_passed else ""]
    return Check(pattern.name, pattern.kind, pattern.evidence, pattern.tolerance, model.text,
                 model.passed, control.removes if control else "",
                 control_finding.text if control_finding else "", control_passed,
                 " ".join(w for w in why if w), pattern.inputs)


def format_check(c: Check) -> str:
    """One validation check as a few indented lines, led by its verdict."""
    lines = [f"[{c.verdict}] {c.name} ({c.kind})", f"       model: {c.model}",
             f"       evidence: {c.evidence}", f"       tolerance: {c.tolerance}"]
    if c.control:
        lines.append(f"       negative control ({c.control}): {c.control_model} -> "
                     f"{c.control_verdict}")
    if c.explanation:
        lines.append(f"       why: {c.explanation}")
    return "\n".join(lines)


# -- judging a change with its interval -------------------------------------------------------

def overlaps(lo: float, hi: float, band: tuple[float, float]) -> bool:
    """Whether the interval ``[lo, hi]`` meets ``band`` (both in percent)."""
    return lo <= max(band) and hi >= min(band)


def judge_change(pct: float, lo: float, hi: float, events: int, finding: str,
                 band: tuple[float, float] | None) -> Finding:
    """Judge a model % change with its 95% interval against a published finding.

    Parameters
    ----------
    pct, lo, hi : float
        The model's % change and 95% interval.
    events : int
        Crimes the change rests on (control arm, places compared).
    finding : str
        ``"reduction"``: the interval must lie wholly below 0 and, when ``band`` is
        given, meet it (``"increase"``: wholly above 0).  ``"no difference"``: the
        interval must meet ``band`` (an equivalence band around 0).
    band : tuple of float or None
        The published interval or range in percent.

    Returns
    -------
    Finding
        None-valued when there are fewer than :data:`MIN_EVENTS` events or no interval.
    """
    text = f"{pct:+.1f}% ({interval(lo, hi)}; {events:,} crimes in the comparison)"
    if events < MIN_EVENTS or math.isnan(lo) or math.isnan(hi):
        return Finding(f"{text}; {NOT_ENOUGH}", None)
    if finding == "reduction":
        ok = hi < 0 and (band is None or overlaps(lo, hi, band))
    elif finding == "increase":
        ok = lo > 0 and (band is None or overlaps(lo, hi, band))
    else:
        ok = overlaps(lo, hi, band or (-5.0, 5.0))
    return Finding(text, bool(ok))


def change_at(runs: pd.DataFrame, arm: str, place: str, control: str = "none") -> dict:
    """One row of :func:`hotspot_sim.trial.report.change_table` as a dict.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` of an experiment.
    arm, place, control : str
        The arm, the place (``"all"``, ``"hotspots"``, a ring) and the reference arm.

    Returns
    -------
    dict
        ``pct_change, ci_low, ci_high`` and ``events`` (control arm crimes there).
    """
    ch = change_table(runs, control)
    row = ch[(ch["arm"] == arm) & (ch["place"].str.startswith(place))].iloc[0]
    ctl = runs[runs["arm"] == control]
    col = "crimes" if place == "all" else next(c for c in runs.columns
                                               if c.startswith(f"crimes_{place}"))
    lo, hi = row["ci_low"], row["ci_high"]
    if str(row["note"]).startswith(NO_VARIATION):  # every replication gave exactly this change
        lo = hi = row["pct_change"]
    return {"pct_change": row["pct_change"], "ci_low": lo, "ci_high": hi,
            "events": int(ctl[col].sum())}


# -- the patterns -----------------------------------------------------------------------------

BRAGA_RANGE = (-16.0, -8.0)  # Braga et al. 2019: d ~ 0.12 (about 8%) to about 16% on log RRs

# The dose trials delivered: three 15-minute visits a day (Ariel et al. 2016, Peterborough;
# Operations Savvy and Style: about 3 patrols a shift), not Koper's every-2-hours advice.
TRIAL_DOSE_ARM = "koper_trial_dose"
TRIAL_DOSE = {"dwell_minutes": 15, "revisit_minutes": 480}

EFFECT = Pattern(
    "Hot spot patrol effect at the hot spots (15-minute visits about 3 times a day, the dose "
    "trials delivered, against no patrol)", INPUT,
    "Braga et al. 2019: small significant mean effect, about 8% (d ~ 0.12) to 16% (log rate "
    "ratios) fewer crimes",
    "95% interval wholly below 0 and meeting -16% to -8%",
    "Too strong: between their three visits a day the arm's officers patrol at random, so the "
    "hot spots also get passing presence (presence_effect 0.9 while an officer is within "
    "100 m); residual_peak and long_effect were set to this range before the patrol-day rule "
    "changed and have not been set again. Treat the model's absolute effect sizes as upper "
    "bounds; comparisons between policies are what it is for.",
    "deterrence.residual_peak and deterrence.long_effect were set so the effect falls in this "
    "range")


def effect_finding(runs: pd.DataFrame, arm: str = TRIAL_DOSE_ARM) -> Finding:
    """Hot spot patrol's % change in crime at the hot spots against no patrol.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` of the effect experiment (arms ``none`` and ``arm``).
    arm : str
        The patrol arm (default: Koper visits at the dose trials delivered).

    Returns
    -------
    Finding
    """
    c = change_at(runs, arm, "hotspots")
    return judge_change(c["pct_change"], c["ci_low"], c["ci_high"], c["events"], "reduction",
                        BRAGA_RANGE)


DIFFUSION = Pattern(
    "Diffusion of benefits, not displacement, in the 100 m catchment ring", INPUT,
    "Braga et al. 2019: diffusion of benefits more common than displacement; Bland et al. "
    "2021: no displacement into 100 m buffers",
    "the catchment's 95% interval is not wholly above 0 (no significant rise)",
    "Displaced attempts land within displacement_radius_m of a deterred one; a high "
    "displacement_probability moves crime into the ring.",
    "deterrence.diffusion_radius_m and deterrence.displacement_probability were set from this "
    "evidence",
    "Officers walking to and from the hot spots cross the catchment and deter there while "
    "present, so crime in the ring can fall even when every deterred attempt is displaced: "
    "at this scale the check cannot separate displacement from patrol presence in transit.")


def diffusion_finding(runs: pd.DataFrame) -> Finding:
    """Change in the first catchment ring of Koper patrol against no patrol.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` of an experiment with arms ``none`` and ``koper``.

    Returns
    -------
    Finding
        Passes unless the ring's interval lies wholly above 0 (displacement).
    """
    c = change_at(runs, "koper", "ring")
    text = (f"catchment ring {c['pct_change']:+.1f}% ({interval(c['ci_low'], c['ci_high'])}; "
            f"{c['events']:,} crimes in the comparison)")
    if c["events"] < MIN_EVENTS or math.isnan(c["ci_low"]):
        return Finding(f"{text}; {NOT_ENOUGH}", None)
    return Finding(text, not c["ci_low"] > 0)


KANSAS_EQUIVALENCE = (-5.0, 5.0)


def trial_pattern(trial) -> Pattern:
    """The pattern of a published trial (:mod:`hotspot_sim.validation.trials`).

    Parameters
    ----------
    trial : PublishedTrial
        The trial.

    Returns
    -------
    Pattern
        A ``PREDICTION``, or ``INPUT`` when the trial's figures set a parameter.
    """
    if trial.finding in ("reduction", "increase"):
        side = "below" if trial.finding == "reduction" else "above"
        tol = (f"95% interval wholly {side} 0" + (
            f" and meeting the published {trial.published_range[0]:+.0f}% to "
            f"{trial.published_range[1]:+.0f}%" if trial.published_range else
            " (the study gives no interval to compare sizes with; sizes compared in words)"))
    else:
        band = trial.published_range or KANSAS_EQUIVALENCE
        tol = (f"95% interval meets {band[0]:+.0f}% to {band[1]:+.0f}% (differences a study of "
               "that size could not have detected; the band is our assumption)")
    return Pattern(f"{trial.citation}: {trial.design}", INPUT if trial.sets else PREDICTION,
                   f"{trial.citation}: {trial.published}", tol, trial.why_differs,
                   f"{trial.sets} were set from this trial" if trial.sets else "",
                   control_note=trial.why_differs)


def trial_finding(trial, estimate) -> Finding:
    """Judge a simulated published trial against the published finding.

    Parameters
    ----------
    trial : PublishedTrial
        The trial.
    estimate : TrialEstimate
        The model's estimate (:func:`hotspot_sim.validation.trials.simulate_trial`).

    Returns
    -------
    Finding
    """
    f = judge_change(estimate.pct, estimate.ci_low, estimate.ci_high, estimate.events,
                     trial.finding, trial.published_range
                     or (KANSAS_EQUIVALENCE if trial.finding == "no difference" else None))
    return Finding(f"{trial.measure}: {f.text}. {estimate.detail}", f.passed)


CONCENTRATION = Pattern(
    "Concentration on held-out months: share of crime at the 20 top-harm places of the "
    "training months", PREDICTION,
    "police.uk, Welwyn Hatfield, held-out months (not used to build or fit the model); "
    "Weisburd 2015: crime concentrates at few places and stays there",
    "95% interval of the simulated share meets the observed held-out share +-20% (relative)",
    "Compare the share the data gives in the training months (in brackets): when the model "
    "misses that too, the fault is not the held-out months but the model's spatial fit. "
    "Calibration fits how many places hold half of all crime, not how much the very top "
    "places hold, and offenders' activity places are drawn towards the places with most "
    "recorded crime (offenders.attractor_exponent), which can over-fill the top places.")


def concentration_finding(shares: np.ndarray, observed: float, events: int,
                          in_sample: float | None = None) -> Finding:
    """Simulated share of crime at the training hot spots against the held-out share.

    Parameters
    ----------
    shares : numpy.ndarray
        Simulated share per replication.
    observed : float
        Observed share of held-out crime at the same places.
    events : int
        Simulated crimes in all, all replications (the shares' denominator).
    in_sample : float, optional
        Observed share of the training months' crime there (for the text: how much the
        places cooled between the spans).

    Returns
    -------
    Finding
    """
    m, lo, hi = mean_ci(shares)
    if len(shares) and np.ptp(shares) == 0:
        lo = hi = m  # every replication gave exactly this share
    text = (f"simulated {100 * m:.1f}% (95% interval {100 * lo:.1f}% to {100 * hi:.1f}%) against "
            f"observed {100 * observed:.1f}% of held-out crime"
            + (f" ({100 * in_sample:.1f}% of the training months' crime)"
               if in_sample is not None else "") + f"; {events:,} simulated crimes")
    if events < MIN_EVENTS or math.isnan(lo):
        return Finding(f"{text}; {NOT_ENOUGH}", None)
    return Finding(text, bool(overlaps(lo, hi, (0.8 * observed, 1.2 * observed))))


KOPER_RATIO = 15.0 / 4.0  # Koper 1995: ~15% after a drive-through, ~4% after a 10-16 min stop
KOPER_RATIO_BAND = (KOPER_RATIO / 2, KOPER_RATIO * 2)

KOPER_CURVE = Pattern(
    "Koper's post-visit curve in relative terms: chance of crime within 30 min after a short "
    "pass against after a 10-20 minute stop", INPUT,
    "Koper 1995: about 15% after a drive-through, about 4% after a 10-16 minute stop "
    f"(ratio {KOPER_RATIO:.2f})",
    f"95% interval of the ratio meets {KOPER_RATIO_BAND[0]:.2f} to {KOPER_RATIO_BAND[1]:.1f} "
    "(half to twice Koper's ratio: Koper gives no interval)",
    "The ratio depends on residual_peak (tuned to the effect size) and on how few crimes fall "
    "within 100 m in 30 minutes; the absolute chances are far below Koper's because "
    "Minneapolis hot spots were busier than Welwyn Hatfield's.",
    inputs="deterrence.onset_minutes, onset_width_minutes and short_decay_minutes were set from "
    "Koper 1995",
    control_note="Short passes happen more where officers walk between busy places, so the "
    "ratio is above 1 even without residual deterrence.")


def chance_within(spells: pd.DataFrame, window: float) -> float:
    """Kaplan-Meier chance of a crime within ``window`` minutes after the officer leaves."""
    from ..track import kaplan_meier, survival_at

    return 1.0 - survival_at(kaplan_meier(spells["duration"], spells["crime"]), window)


def koper_ratio_finding(spells: pd.DataFrame, window: float = 30.0, n_boot: int = 400,
                        seed: int = 0) -> Finding:
    """Chance of crime within ``window`` minutes after a short visit over after a long one.

    Short: visits under 5 minutes (a pass); long: 10-20 minutes.  The interval is a
    bootstrap over visits.

    Parameters
    ----------
    spells : pandas.DataFrame
        :func:`hotspot_sim.validation.validate.dose_spells` output.
    window : float
        Minutes after the officer leaves.
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    Finding
    """
    short = spells[spells["bin"] == "0-5"]
    long = spells[spells["bin"].isin(["10-15", "15-20"])]
    events = int(short["crime"].sum() + long["crime"].sum())
    if min(len(short), len(long)) == 0:
        return Finding(f"no visits of one length; {NOT_ENOUGH}", None)
    p_short, p_long = chance_within(short, window), chance_within(long, window)
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(n_boot):
        s = short.iloc[rng.integers(0, len(short), len(short))]
        g = long.iloc[rng.integers(0, len(long), len(long))]
        boot.append(chance_within(s, window) / max(chance_within(g, window), 1e-9))
    lo, hi = np.percentile(boot, [2.5, 97.5])
    ratio = p_short / max(p_long, 1e-9)
    text = (f"{100 * p_short:.2f}% after a pass under 5 min (n={len(short):,}), "
            f"{100 * p_long:.2f}% after 10-20 min (n={len(long):,}): ratio {ratio:.2f} "
            f"(95% bootstrap interval {lo:.2f} to {hi:.2f}; {events:,} crimes within the window "
            "or later)")
    if int((short["crime"] & (short["duration"] <= window)).sum()) < 10:
        return Finding(f"{text}; {NOT_ENOUGH}", None)
    return Finding(text, bool(overlaps(lo, hi, KOPER_RATIO_BAND)))


BEST_DWELL = Pattern(
    "Best visit length (chance of crime within 60 min after the officer leaves)", INPUT,
    "Koper 1995: about 10 minutes needed, best 11-15, diminishing after 15",
    "the shortest visit within 20% of the lowest chance is 10-20 minutes long",
    "With few crimes per hot spot the bins are noisy.",
    "deterrence.onset_minutes = 11 and onset_width_minutes were set from Koper 1995")


def best_dwell_finding(spells: pd.DataFrame, window: int = 60, min_spells: int = 200) -> Finding:
    """Shortest visit-length bin whose chance of crime within ``window`` minutes after the
    officer leaves is within 20% of the lowest.

    Parameters
    ----------
    spells : pandas.DataFrame
        :func:`hotspot_sim.validation.validate.dose_spells` output.
    window : int
        Minutes after the officer leaves.
    min_spells : int
        Bins with fewer visits are left out (too noisy).

    Returns
    -------
    Finding
        Passes when that bin is 10-15 or 15-20 minutes.
    """
    from ..track import bin_labels

    rows = [(label, len(b), chance_within(b, window)) for label in bin_labels()
            if len(b := spells[spells["bin"] == label]) >= min_spells]
    events = int(spells["crime"].sum()) if len(spells) else 0
    if len(rows) < 2 or events < MIN_EVENTS:
        return Finding(f"{len(spells):,} visits, {events} followed by a crime; {NOT_ENOUGH}",
                       None)
    lowest = min(p for _, _, p in rows)
    best = next(label for label, _, p in rows if p <= 1.2 * lowest)
    detail = ", ".join(f"{label} min: {100 * p:.1f}% (n={n:,})" for label, n, p in rows)
    return Finding(f"best {best} minutes; by visit length: {detail}",
                   best in ("10-15", "15-20"))


CARRY_OVER = Pattern(
    "How long deterrence lasts after the last patrol day", INPUT,
    "Barnes et al. 2020: about 4 days after the last patrol day, then an abrupt end",
    "hot spot crime against no patrol on days 1-4 after the stop: 95% interval wholly below 1; "
    "days 7-10: 95% interval meets 0.85-1.15 (back to the no-patrol level)",
    "Daily counts at 20 hot spots are small; more replications narrow the intervals.",
    "deterrence.long_hold_days = 4 and long_decay_days were set from Barnes et al. 2020")


def rate_ratio_interval(a: float, b: float, z: float = 1.96) -> tuple[float, float, float]:
    """Ratio of two Poisson counts with its 95% interval on the log scale.

    Parameters
    ----------
    a, b : float
        Counts (numerator, denominator).
    z : float
        Normal quantile.

    Returns
    -------
    ratio, low, high : float
        NaN when either count is 0.
    """
    if a <= 0 or b <= 0:
        return math.nan, math.nan, math.nan
    r, se = a / b, math.sqrt(1 / a + 1 / b)
    return r, r * math.exp(-z * se), r * math.exp(z * se)


def carry_over_finding(treated: np.ndarray, control: np.ndarray) -> Finding:
    """Hot spot crime on each day after patrol stops, against the same days without patrol.

    Parameters
    ----------
    treated, control : numpy.ndarray
        :func:`hotspot_sim.validation.validate.after_patrol_stops` output (daily counts
        summed over replications).

    Returns
    -------
    Finding
        Passes when days 1-4 are significantly lower and days 7-10 back at the
        no-patrol level (Poisson intervals on the summed counts).
    """
    early = rate_ratio_interval(treated[:4].sum(), control[:4].sum())
    late = rate_ratio_interval(treated[6:].sum(), control[6:].sum())
    ratio = np.where(control > 0, treated / np.maximum(control, 1), np.nan)
    detail = ", ".join(f"{i + 1}: {r:.2f}" for i, r in enumerate(ratio))
    text = (f"hot spot crime against no patrol on days 1-4 after the stop {early[0]:.2f} "
            f"(95% interval {early[1]:.2f} to {early[2]:.2f}), days 7-{len(treated)} "
            f"{late[0]:.2f} ({late[1]:.2f} to {late[2]:.2f}); day by day: {detail}; "
            f"{int(control.sum())} crimes without patrol")
    if control.sum() < MIN_EVENTS or math.isnan(early[0]) or math.isnan(late[0]):
        return Finding(f"{text}; {NOT_ENOUGH}", None)
    return Finding(text, bool(early[2] < 1.0 and overlaps(late[1], late[2], (0.85, 1.15))))


RESPONSE = Pattern(
    "Emergency response: grade 1 answered faster than grade 2, most within 15 minutes",
    OPERATIONS,
    "English police operations: grade 1 (immediate) within about 15 minutes in towns, grade 2 "
    "within about an hour",
    "grade 1 median below grade 2's and over half of grade 1 calls within 15 minutes "
    "(mean over replications)",
    "Response depends on the staffing assumption (officers and response units on duty, their "
    "speed) and on how calls pre-empt patrol.")


def response_finding(runs: pd.DataFrame) -> Finding:
    """Median response by grade and grade 1 calls within target, over an experiment's runs.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` with ``grade<g>_median_response_min`` and ``grade1_met_target_pct``.

    Returns
    -------
    Finding
    """
    need = ["grade1_median_response_min", "grade2_median_response_min", "grade1_met_target_pct"]
    if any(c not in runs for c in need) or runs[need].isna().all().any():
        return Finding(f"no calls answered; {NOT_ENOUGH}", None)
    g1, g2, met = (float(runs[c].mean()) for c in need)
    text = (f"median response grade 1 {g1:.1f} min, grade 2 {g2:.1f} min; {met:.0f}% of grade 1 "
            f"within 15 min (mean of {len(runs)} runs)")
    return Finding(text, bool(g1 < g2 and met > 50.0))


FORECAST = Pattern(
    "The model as a forecaster: its no-patrol crime by place over the held-out months", PREDICTION,
    "police.uk held-out months; Mohler et al. 2015: any useful forecast has PAI > 1 and good "
    "ones catch 1.4-2.2x what analysts' maps catch",
    "the model's PAI at 1% of street length is above 1 and at least that of the prospective "
    "method (the weakest data method here)",
    "The model adds offender routines and near repeats to the training months' crime; where "
    "crime moved between the spans it cannot know.")


def forecast_finding(scores: pd.DataFrame, model_method: str = "model") -> Finding:
    """Judge the model's out-of-sample PAI at 1% against the data methods.

    Parameters
    ----------
    scores : pandas.DataFrame
        ``method, coverage, pai`` (and ``hit_rate``) rows, the model's under
        ``model_method``.
    model_method : str
        The model's method name in ``scores``.

    Returns
    -------
    Finding
    """
    at1 = scores[np.isclose(scores["coverage"], 0.01)].set_index("method")["pai"]
    if model_method not in at1:
        return Finding(f"no model forecast; {NOT_ENOUGH}", None)
    text = "PAI at 1%: " + ", ".join(f"{m} {v:.1f}" for m, v in at1.items())
    floor = at1.get("prospective", 1.0)
    return Finding(text, bool(at1[model_method] > 1 and at1[model_method] >= floor))
