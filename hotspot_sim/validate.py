"""Validation: does the model reproduce what the research knows?

``hotspot-sim validate`` runs a few small experiments (with the experiment
runner, so they are reproducible and can use several workers) and compares the
model's results with the published evidence (the studies named in each check), each
against a stated tolerance, in a Markdown and HTML report.  Where the model
differs, the report says why that may be.
"""

from __future__ import annotations

import html
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError
from .experiment import Arm, Experiment, make_tasks, move_aside, run_experiment, runs_to_do
from .report import MIN_REPLICATIONS, arm_table, change_table, place_columns, wdq_table
from .safe_csv import write_csv

log = logging.getLogger(__name__)

DWELLS = (2, 5, 10, 15, 20, 30)
VALIDATE_STEPS = ("[1/4] patrol effect runs (none, random, Koper)",
                  "[2/4] Koper visit-length runs", "[3/4] carry-over runs (patrol stops)",
                  "[4/4] concentration and out-of-sample targeting")


def interval(lo: float, hi: float) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return f"no interval (fewer than {MIN_REPLICATIONS} replications, or no variation)"
    return f"95% interval {lo:+.1f}% to {hi:+.1f}%"


def run_own_experiment(exp: Experiment, folder: Path, **kwargs) -> Path:
    """Run one of validate's own experiments, resuming its matching runs.

    Runs made with other settings (other --days, other code) are validate's own
    working files, not a user's results: they are moved aside (never deleted,
    never mixed in) and the experiment runs again.
    """
    try:
        runs_to_do(exp, folder, make_tasks(exp))
    except ConfigError as exc:
        moved = move_aside(folder)
        log.warning("%s held runs made with other settings; moved them to %s (%s)", folder,
                    moved, str(exc).splitlines()[1:2])
    return run_experiment(exp, folder, **kwargs)


@dataclass
class Check:
    name: str
    model: str
    evidence: str
    tolerance: str
    passed: bool | None
    explanation: str = ""


def experiments(scenario: str, days: float, reps: int, seed: int) -> dict[str, Experiment]:
    base = dict(scenario=scenario, days=days, replications=reps, seed=seed, hotspots=20)
    return {
        "effect": Experiment(name="validate_effect", control="none", arms=(
            Arm("none", "none"), Arm("random", "random"), Arm("koper", "hotspot_koper")), **base),
    }


def run_validation(scenario: str, out: Path, days: float = 30.0, replications: int = 4,
                   seed: int = 4, workers: int = 1, progress=None) -> list[Check]:
    """Run the validation experiments and write the report.

    ``progress`` is called as ``progress(step, done, total)`` through each of
    the four steps (effect runs, visit-length runs, carry-over runs, targeting).
    """
    out = Path(out)
    report = progress or (lambda step, done, total: None)
    exps = experiments(scenario, days, replications, seed)
    results = {k: run_own_experiment(e, out / e.name, workers=workers,
                                     progress=lambda _, d, n: report(VALIDATE_STEPS[0], d, n))
               for k, e in exps.items()}
    runs = {k: pd.read_parquet(p / "runs.parquet") for k, p in results.items()}
    checks = [check_effect(runs["effect"]), check_diffusion(runs["effect"]),
              check_best_dwell(dose_spells(scenario, days, replications, seed, report)),
              # daily counts at 20 hot spots are small: this check needs more replications
              check_duration(*after_patrol_stops(scenario, days, max(6, 2 * replications), seed,
                                                 report))]
    report(VALIDATE_STEPS[3], 0, 1)
    checks += [check_concentration(out / exps["effect"].name, scenario),
               check_targeting(scenario)]
    report(VALIDATE_STEPS[3], 1, 1)
    write_report(checks, out, days, replications)
    return checks


def check_effect(runs: pd.DataFrame) -> Check:
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


def dose_spells(scenario: str, days: float, reps: int, seed: int,
                progress=None) -> pd.DataFrame:
    """Koper's measurement, in silico: each visit's length and the time to the next crime.

    ``hotspot_koper`` runs with each dwell in ``DWELLS`` (same seeds for every
    dwell); the visits are read back from the GPS log alone, as a force would
    (:func:`hotspot_sim.track.visits`), and followed up to the next crime
    within 100 m (:func:`hotspot_sim.track.follow_up`).  ``progress(step, done, total)``
    is told before each run.
    """
    from . import track
    from .model import PatrolModel
    from .settings import load_scenario
    from .study import load_study

    base = load_scenario(scenario)
    study = load_study(base)
    spells = []
    total = len(DWELLS) * reps
    for i, (dwell, rep) in enumerate((d, r) for d in DWELLS for r in range(reps)):
        if progress:
            progress(VALIDATE_STEPS[1], i, total)
        model = PatrolModel(base.replace({"scenario.seed": seed + rep}), study,
                            policy="hotspot_koper", policy_params={"dwell_minutes": dwell},
                            build_space=False)
        model.run_days(days)
        hotspots = model.policy.hotspots
        visits = track.visits(model.gps_table(), hotspots, 100.0)
        spells.append(track.follow_up(visits, model.crimes_table(), hotspots, 100.0,
                                      end_time=pd.Timestamp(model.datetime_at(model.tick))))
    if progress:
        progress(VALIDATE_STEPS[1], total, total)
    return pd.concat(spells, ignore_index=True)


def check_best_dwell(spells: pd.DataFrame, window: int = 60, min_spells: int = 200) -> Check:
    """Shortest visit-length bin whose chance of crime within ``window`` minutes after the
    officer leaves is within 20% of the lowest (Koper: diminishing returns after ~15)."""
    from .track import bin_labels, kaplan_meier, survival_at

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


AFTER_DAYS = 10  # days followed up after patrol stops


def after_patrol_stops(scenario: str, days: float, reps: int, seed: int, progress=None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Crimes at the hot spots on each day after daily Koper patrol stops, and without patrol.

    Barnes et al. (2020) measured how long deterrence outlasts the last patrol
    day.  In silico: ``hotspot_koper`` for the first days, then no dedicated
    patrol for ``AFTER_DAYS`` days; the same seeds without any patrol are the
    comparison.  Returns daily hot-spot crimes (summed over replications) after
    the stop for both.  ``progress(step, done, total)`` is told before each run.
    """
    from .model import PatrolModel
    from .policies.basic import NoPatrol
    from .settings import load_scenario
    from .study import load_study

    base = load_scenario(scenario)
    study = load_study(base)
    patrol_days = max(1, int(days) - AFTER_DAYS)
    treated, control = np.zeros(AFTER_DAYS), np.zeros(AFTER_DAYS)
    for rep in range(reps):
        for stop, out in ((True, treated), (False, control)):
            if progress:
                progress(VALIDATE_STEPS[2], 2 * rep + (not stop), 2 * reps)
            model = PatrolModel(base.replace({"scenario.seed": seed + rep}), study,
                                policy="hotspot_koper" if stop else "none", build_space=False)
            nodes = model.policy.nodes if stop else None
            if stop:
                model.run_days(patrol_days)
                model.policy = NoPatrol(model)  # officers finish their round, then wait
                model.run_days(AFTER_DAYS)
            else:
                model.run_days(patrol_days + AFTER_DAYS)
            out += daily_hotspot_crimes(model, nodes, patrol_days)
    if progress:
        progress(VALIDATE_STEPS[2], 2 * reps, 2 * reps)
    return treated, control


def daily_hotspot_crimes(model, nodes, first_day: int) -> np.ndarray:
    """Crimes within 100 m of the Koper hot spots on each day from ``first_day``."""
    from .target import TargetSettings, target

    if nodes is None:
        nodes = target(model.study, TargetSettings(k=20))["node"].to_numpy()
    crimes = model.crimes_table()
    net = model.network
    d = np.min(np.hypot(crimes["x"].to_numpy()[:, None] - net.x[nodes][None, :],
                        crimes["y"].to_numpy()[:, None] - net.y[nodes][None, :]), axis=1) \
        if len(crimes) else np.zeros(0)
    day = crimes["tick"].to_numpy() // 1440 - first_day
    keep = (d <= 100.0) & (day >= 0) & (day < AFTER_DAYS)
    return np.bincount(day[keep].astype(np.int64), minlength=AFTER_DAYS)[:AFTER_DAYS]


def check_duration(treated: np.ndarray, control: np.ndarray) -> Check:
    ratio = np.where(control > 0, treated / np.maximum(control, 1), np.nan)
    early = treated[:4].sum() / max(control[:4].sum(), 1)
    late = treated[6:].sum() / max(control[6:].sum(), 1)
    ok = bool(early < late and early <= 0.95 and 0.85 <= late <= 1.15) \
        if control.sum() >= 20 else None
    detail = ", ".join(f"{i + 1}: {r:.2f}" for i, r in enumerate(ratio))
    return Check("How long deterrence lasts after the last patrol day",
                 f"hot spot crime against no patrol on days 1-4 after the stop {early:.2f}, "
                 f"days 7-{AFTER_DAYS} {late:.2f} (day by day: {detail})",
                 "Barnes et al. 2020: about 4 days after the last patrol day, then an abrupt end",
                 "lower on days 1-4 (ratio <= 0.95 and below days 7-10), back to the no-patrol "
                 "level by days 7-10 (ratio 0.85-1.15)", ok,
                 "" if ok else "Daily counts at 20 hot spots are small; more replications "
                 "(--replications) narrow the day-by-day ratios." if ok is False else
                 "Too few crimes at the hot spots after the stop to judge.")


def check_concentration(folder: Path, scenario: str) -> Check:
    from .data import concentration

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
    from .settings import load_scenario
    from .study import load_study
    from .target import default_split, out_of_sample

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
    rows = [{"check": c.name, "model": c.model, "published evidence": c.evidence,
             "tolerance": c.tolerance,
             "result": {True: "PASS", False: "FAIL", None: "n/a"}[c.passed],
             "explanation": c.explanation} for c in checks]
    df = pd.DataFrame(rows)
    write_csv(df, out / "validation.csv")
    passed = sum(c.passed is True for c in checks)
    md = [f"# Validation against the published evidence", "",
          f"{passed} of {len(checks)} checks pass ({days:g}-day runs, {reps} replications per "
          "arm; each row names the study its evidence comes from).", "",
          "| check | model | published evidence | tolerance | result | explanation |",
          "|---|---|---|---|---|---|"]
    md += ["| " + " | ".join(str(v).replace("|", "/") for v in r.values()) + " |" for r in rows]
    (out / "validation.md").write_text("\n".join(md) + "\n")
    table = "".join("<tr>" + "".join(
        f"<td class='{'pass' if v == 'PASS' else 'fail' if v == 'FAIL' else ''}'>"
        f"{html.escape(str(v))}</td>" for v in r.values()) + "</tr>" for r in rows)
    page = f"""<!doctype html><html><head><meta charset='utf-8'><title>hotspot-sim validation</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:6px;vertical-align:top}}th{{background:#eee}}
.pass{{background:#d4f4dd;font-weight:bold}}.fail{{background:#f9d6d5;font-weight:bold}}</style>
</head><body><h1>Validation against the published evidence</h1>
<p>{passed} of {len(checks)} checks pass ({days:g}-day runs, {reps} replications per arm).</p>
<table><tr>{''.join(f'<th>{h}</th>' for h in rows[0])}</tr>{table}</table></body></html>"""
    (out / "validation.html").write_text(page)
    return out / "validation.md", out / "validation.html"
