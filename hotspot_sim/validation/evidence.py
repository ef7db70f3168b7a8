"""The published evidence, and how the model's results are held up against it.

Each ``check_*`` function turns a model result into one :class:`Check` (one row of
the validation report): what the model gave, what the studies named in the row
found, the tolerance, PASS/FAIL and, where the model differs, why that may be.
:func:`write_report` writes the rows as Markdown, HTML and CSV.  The runs that
produce the results are in :mod:`hotspot_sim.validation.validate`.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..trial.report import MIN_REPLICATIONS, arm_table, change_table, place_columns, wdq_table
from ..io import write_csv


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
class Check:
    """One row of the validation report.

    Attributes
    ----------
    name : str
        What is checked.
    model : str
        What the model gave.
    evidence : str
        What the published studies found (each named).
    tolerance : str
        What counts as agreement.
    passed : bool or None
        PASS, FAIL, or None when the runs are too small to judge.
    explanation : str
        Why the model may differ (empty when it passes).
    """

    name: str
    model: str
    evidence: str
    tolerance: str
    passed: bool | None
    explanation: str = ""



def format_check(c) -> str:
    """One validation check as a few indented lines, led by PASS, FAIL or n/a."""
    flag = {True: "PASS", False: "FAIL", None: "n/a "}[c.passed]
    return (f"[{flag}] {c.name}\n       model: {c.model}\n       evidence: {c.evidence}"
            f"\n       tolerance: {c.tolerance}" + (f"\n       why: {c.explanation}"
                                                   if c.explanation else ""))

def check_effect(runs: pd.DataFrame) -> Check:
    """Koper patrol's % change in hot spot crime against no patrol (Braga et al. 2019).

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` of the effect experiment.

    Returns
    -------
    Check
        PASS for a reduction between 5% and 40%.
    """
    ch = change_table(runs, "none")
    row = ch[(ch["arm"] == "koper") & (ch["place"] == "hotspots")].iloc[0]
    pct = row["pct_change"]
    ok = -40.0 <= pct <= -5.0
    return Check("Hot spot patrol effect against no patrol (crimes at the hot spots)",
                 f"{pct:+.1f}% ({interval(row['ci_low'], row['ci_high'])})",
                 "Braga et al. 2019: small significant mean effect, d ≈ 0.1–0.3, about 8–16% "
                 "fewer crimes; Sherman & Weisburd 1995: crime calls −6 to −13%",
                 "a reduction between 5% and 40%", ok,
                 "" if ok else "The simulated effect depends on presence_effect, residual_peak and "
                 "the patrol dose per hot spot; trials deliver 15–40 minutes a day, the model's "
                 "Koper policy delivers more when officers have no calls to answer.")


def check_diffusion(runs: pd.DataFrame) -> Check:
    """Change in the 100 m catchment ring and the WDQ of Koper patrol against no patrol.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``runs.parquet`` of the effect experiment.

    Returns
    -------
    Check
        PASS unless the ring's interval lies wholly above 0 (displacement).
    """
    arms = arm_table(runs)
    w = wdq_table(arms, "none", place_columns(runs))
    row = w[w["arm"] == "koper"].iloc[0] if len(w) else None
    ch = change_table(runs, "none")
    ring = ch[(ch["arm"] == "koper") & ch["place"].str.startswith("ring")].iloc[0]
    wdq = row["wdq"] if row is not None else math.nan
    ok = not (ring["ci_low"] > 0)  # displacement would show as a significant rise in the ring
    return Check("Diffusion of benefits or displacement in the 100 m catchment",
                 f"catchment change {ring['pct_change']:+.1f}% "
                 f"({interval(ring['ci_low'], ring['ci_high'])}); WDQ {wdq:.2f}",
                 "Braga et al. 2019: diffusion more common than displacement; Bland et al. 2021: "
                 "no displacement into 100 m buffers",
                 "no significant rise in the catchment (interval not wholly above 0)", ok,
                 "" if ok else "Displaced attempts land within displacement_radius_m (200 m) of "
                 "a deterred one; a high displacement_probability moves crime into the rings.")


def check_best_dwell(spells: pd.DataFrame, window: int = 60, min_spells: int = 200) -> Check:
    """Shortest visit-length bin whose chance of crime within ``window`` minutes after the
    officer leaves is within 20% of the lowest (Koper: diminishing returns after ~15).

    Parameters
    ----------
    spells : pandas.DataFrame
        :func:`dose_spells` output.
    window : int
        Minutes after the officer leaves.
    min_spells : int
        Bins with fewer visits are left out (too noisy).

    Returns
    -------
    Check
        PASS when that bin is 10-15 or 15-20 minutes; None with too few visits.
    """
    from ..track import bin_labels, kaplan_meier, survival_at

    rows = []
    for label in bin_labels():
        b = spells[spells["bin"] == label]
        if len(b) >= min_spells:
            p = 1.0 - survival_at(kaplan_meier(b["duration"], b["crime"]), window)
            rows.append((label, len(b), p))
    if not rows:
        return Check("Best visit length (Koper curve from GPS visits)", "too few visits",
                     "Koper 1995: about 10 minutes needed, best 11-15", "10-20 minutes", None)
    lowest = min(p for _, _, p in rows)
    best = next(label for label, _, p in rows if p <= 1.2 * lowest)
    ok = best in ("10-15", "15-20")
    detail = ", ".join(f"{label} min: {100 * p:.1f}% (n={n:,})" for label, n, p in rows)
    return Check("Best visit length (chance of crime within 60 min after the officer leaves)",
                 f"best {best} minutes; by visit length: {detail}",
                 "Koper 1995: about 10 minutes needed, best 11-15, diminishing after 15; ~15% "
                 "chance of crime within 30 min after a drive-by, ~4% after a 10-16 min stop",
                 "the shortest visit within 20% of the lowest chance is 10-20 minutes long", ok,
                 "" if ok else "The onset of residual deterrence (deterrence.onset_minutes) sets "
                 "where the curve bends; with few crimes per hot spot the bins are noisy.")


def check_duration(treated: np.ndarray, control: np.ndarray) -> Check:
    """How long deterrence outlasts the last patrol day (Barnes et al. 2020: about 4 days).

    Parameters
    ----------
    treated, control : numpy.ndarray
        :func:`after_patrol_stops` output.

    Returns
    -------
    Check
        PASS when days 1-4 are lower than no patrol and days 7-10 back at its level;
        None with fewer than 20 control crimes.
    """
    ratio = np.where(control > 0, treated / np.maximum(control, 1), np.nan)
    early = treated[:4].sum() / max(control[:4].sum(), 1)
    late = treated[6:].sum() / max(control[6:].sum(), 1)
    ok = bool(early < late and early <= 0.95 and 0.85 <= late <= 1.15) \
        if control.sum() >= 20 else None
    detail = ", ".join(f"{i + 1}: {r:.2f}" for i, r in enumerate(ratio))
    return Check("How long deterrence lasts after the last patrol day",
                 f"hot spot crime against no patrol on days 1-4 after the stop {early:.2f}, "
                 f"days 7-{len(treated)} {late:.2f} (day by day: {detail})",
                 "Barnes et al. 2020: about 4 days after the last patrol day, then an abrupt end",
                 "lower on days 1-4 (ratio <= 0.95 and below days 7-10), back to the no-patrol "
                 "level by days 7-10 (ratio 0.85-1.15)", ok,
                 "" if ok else "Daily counts at 20 hot spots are small; more replications "
                 "(--replications) narrow the day-by-day ratios." if ok is False else
                 "Too few crimes at the hot spots after the stop to judge.")


def check_concentration(folder: Path) -> Check:
    """Share of simulated crime (no patrol) within 100 m of the 20 top-harm hot spots.

    Parameters
    ----------
    folder : pathlib.Path
        Results folder of the effect experiment.

    Returns
    -------
    Check
        PASS for 15% to 60%.
    """
    runs = pd.read_parquet(folder / "runs.parquet")
    none = runs[runs["arm"] == "none"]
    share = none["crimes_hotspots"].sum() / max(none["crimes"].sum(), 1)
    return Check("Concentration: share of crime at the 20 top-harm hot spots (no patrol)",
                 f"{100 * share:.1f}% of simulated crime within 100 m of 20 hot spots",
                 "Weisburd 2015: 2.1–6.0% of street segments hold 50% of crime; "
                 "Basford et al. 2021: 20 hot spots held 41% of harm on 2.6% of the area",
                 "between 15% and 60% of crime at the 20 hot spots", 0.15 <= share <= 0.60,
                 "" if 0.15 <= share <= 0.60 else "Calibrate risk.background_share and "
                 "risk.smoothing_radius_m ('hotspot-sim calibrate').")


def check_targeting(scenario: str) -> Check:
    """Out-of-sample PAI of the harm ranking at 1% of street length (Mohler et al. 2015).

    Parameters
    ----------
    scenario : str
        Scenario name or TOML path (its observed data is split by month).

    Returns
    -------
    Check
        PASS when the harm ranking's PAI is over 1 and at least 0.8x the last-month baseline.
    """
    from ..settings import load_scenario
    from ..study import load_study
    from ..target import default_split, out_of_sample

    study = load_study(load_scenario(scenario))
    train, test = default_split(study.months)
    oos = out_of_sample(study, train, test)
    at1 = oos[np.isclose(oos["coverage"], 0.01)].set_index("method")
    harm_pai, naive = at1.loc["harm", "pai"], at1.loc["last_month", "pai"]
    ok = harm_pai > 1 and harm_pai >= 0.8 * naive
    return Check("Out-of-sample targeting accuracy (PAI at 1% of street length)",
                 ", ".join(f"{m}: {r.pai:.1f}" for m, r in at1.iterrows()),
                 "Mohler et al. 2015: forecasts caught 1.4–2.2x the crime of analysts' maps; "
                 "any useful method has PAI > 1",
                 "harm ranking PAI > 1 and at least 0.8x the last-month baseline", bool(ok),
                 "" if ok else "police.uk snaps crimes to anonymous points with monthly dates, "
                 "which blurs prospective methods.")


def write_report(checks: list[Check], out: Path, days: float, reps: int) -> tuple[Path, Path]:
    """Write the checks as ``validation.csv``, ``validation.md`` and ``validation.html``.

    Parameters
    ----------
    checks : list of Check
        The report's rows.
    out : pathlib.Path
        An existing folder.
    days, reps : float, int
        Run length and replications, stated in the report.

    Returns
    -------
    tuple of pathlib.Path
        The Markdown and HTML paths.
    """
    rows = [{"check": c.name, "model": c.model, "published evidence": c.evidence,
             "tolerance": c.tolerance,
             "result": {True: "PASS", False: "FAIL", None: "n/a"}[c.passed],
             "explanation": c.explanation} for c in checks]
    write_csv(pd.DataFrame(rows), out / "validation.csv")
    passed = sum(c.passed is True for c in checks)
    (out / "validation.md").write_text(report_markdown(rows, passed, days, reps))
    (out / "validation.html").write_text(report_html(rows, passed, days, reps))
    return out / "validation.md", out / "validation.html"


def report_markdown(rows: list[dict], passed: int, days: float, reps: int) -> str:
    """The report as a Markdown page (one table row per check; ``|`` in text becomes ``/``).

    Parameters
    ----------
    rows : list of dict
        One dict per check, keyed by column heading.
    passed : int
        Checks that pass.
    days, reps : float, int
        Run length and replications, stated above the table.

    Returns
    -------
    str
        The page, ending in a newline.
    """
    md = ["# Validation against the published evidence", "",
          f"{passed} of {len(rows)} checks pass ({days:g}-day runs, {reps} replications per "
          "arm; each row names the study its evidence comes from).", "",
          "| check | model | published evidence | tolerance | result | explanation |",
          "|---|---|---|---|---|---|"]
    md += ["| " + " | ".join(str(v).replace("|", "/") for v in r.values()) + " |" for r in rows]
    return "\n".join(md) + "\n"


def report_html(rows: list[dict], passed: int, days: float, reps: int) -> str:
    """The report as a standalone HTML page, PASS cells green and FAIL cells red.

    Parameters
    ----------
    rows, passed, days, reps
        As for :func:`report_markdown`.

    Returns
    -------
    str
        The page.
    """
    table = "".join("<tr>" + "".join(
        f"<td class='{'pass' if v == 'PASS' else 'fail' if v == 'FAIL' else ''}'>"
        f"{html.escape(str(v))}</td>" for v in r.values()) + "</tr>" for r in rows)
    return f"""<!doctype html><html><head><meta charset='utf-8'><title>hotspot-sim validation</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:6px;vertical-align:top}}th{{background:#eee}}
.pass{{background:#d4f4dd;font-weight:bold}}.fail{{background:#f9d6d5;font-weight:bold}}</style>
</head><body><h1>Validation against the published evidence</h1>
<p>{passed} of {len(rows)} checks pass ({days:g}-day runs, {reps} replications per arm).</p>
<table><tr>{''.join(f'<th>{h}</th>' for h in rows[0])}</tr>{table}</table></body></html>"""
