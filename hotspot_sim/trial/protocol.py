"""The one-page trial protocol, ready to pre-register: Markdown and HTML.

:func:`analysis_plan` is the analysis the protocol promises, as data (it goes into
``design.json`` so that ``hotspot-sim trial analyse`` can run exactly it);
:func:`protocol_markdown` writes the page from a
:class:`~hotspot_sim.trial.design.TrialPlan`; :func:`protocol_html` renders it with
Python-Markdown and a small stylesheet.
"""

from __future__ import annotations

import html

import pandas as pd

from .design import CAR_SPEED_KMH, TrialPlan

#: Randomisation-test draws promised in the protocol (p-values to about +-0.004 at 0.05).
N_PERMUTATIONS = 9999
#: Power a trial is conventionally designed for.
TARGET_POWER = 0.8
#: Ring around each hot spot where displacement is measured: 100 m, as Bland et al. (2021)
#: and Operations Savvy/Style (REFERENCE.md).
BUFFER_M = 100.0

DESIGN_TEXT = {
    "crossover": "daily crossover: every day a fixed number of the hot spots is drawn at "
                 "random for patrol and the rest are controls; each hot spot is its own "
                 "control on other days (Basford et al. 2021, Southend; Bland et al. 2021, "
                 "Bedfordshire)",
    "parallel": "parallel groups: a random half of the hot spots is patrolled on every day "
                "of the trial, the others never (Sherman & Weisburd 1995, Minneapolis)",
    "block": "randomised blocks: hot spots are paired by their baseline crimes and one of "
             "each pair, drawn at random, is patrolled for the whole trial; the other is its "
             "matched control",
}

_STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       max-width: 60em; margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 1.5em; border-bottom: 2px solid #1d3557; padding-bottom: .2em; }
h2 { font-size: 1.1em; color: #1d3557; margin-top: 1.4em; }
table { border-collapse: collapse; font-size: .9em; margin: .5em 0; }
th, td { border: 1px solid #c8ccd2; padding: .2em .5em; text-align: left; }
th { background: #eef1f5; }
td:nth-child(n+4) { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f3f4f6; padding: 0 .2em; border-radius: 3px; }
@page { size: A4; margin: 10mm; }
@media print { body { margin: 0; padding: 0; max-width: none; font-size: 9px;
                      line-height: 1.3; }
               h1 { margin: 0 0 .3em; font-size: 1.4em; } h2 { margin: .6em 0 .2em; }
               p, ul { margin: .3em 0; } table { font-size: 8px; margin: .2em 0; }
               th, td { padding: 0 .4em; } }
"""


def analysis_plan(design: str) -> dict:
    """The pre-registered analysis for a design, as the trial statistics functions take it.

    Primary outcome: crime harm (Cambridge Crime Harm Index days) per spot-day, by a
    Poisson quasi-likelihood GLM with cluster-robust errors and a t reference (harm is
    not a count); secondary: crime counts by the same GLM, with model-based errors in a
    crossover (:func:`~hotspot_sim.trial.stats.rate_ratio_glm`).  Fixed effects: hot
    spots (crossover: each is its own control), none (parallel), pairs (block).  For a
    crossover this is what ``hotspot-sim trial analyse`` runs
    (:func:`~hotspot_sim.trial.report.trial_statistics`).  A randomisation test
    (:func:`~hotspot_sim.trial.stats.permutation_test`, seed 0 as ``trial analyse``)
    re-draws the assignment as the design drew it; on harm it is the primary test
    (exact size however skewed harm is; the GLM gives the estimate and interval).

    Parameters
    ----------
    design : {"crossover", "parallel", "block"}

    Returns
    -------
    dict
        ``primary_test``, ``primary`` and ``secondary_counts`` (keyword arguments of
        ``rate_ratio_glm``), ``randomisation_test`` (of ``permutation_test``),
        ``alpha``, ``sides``, ``buffer_m``.
    """
    fixed = {"crossover": ["hotspot_id"], "parallel": [], "block": ["block"]}[design]
    cluster = "block" if design == "block" else "hotspot_id"
    glm = {"family": "poisson", "fixed_effects": fixed, "day_effects": False,
           "cov": "cluster", "cluster": cluster, "use_t": True}
    counts = dict(glm, cov="model", use_t=False) if design == "crossover" else dict(glm)
    return {"primary_test": "randomisation_test on harm",
            "primary": {"outcome": "harm", **glm},
            "secondary_counts": {"outcome": "crimes", **counts},
            "randomisation_test": {"design": design, "statistic": "glm",
                                   "n_permutations": N_PERMUTATIONS, "seed": 0},
            "alpha": 0.05, "sides": 2, "buffer_m": BUFFER_M}


def protocol_markdown(plan: TrialPlan, info: dict) -> str:
    """The one-page protocol as Markdown.

    Parameters
    ----------
    plan : TrialPlan
        From :func:`~hotspot_sim.trial.design.plan_trial`.
    info : dict
        ``title`` (place), ``schedule_sha256``, ``command`` (that re-makes the
        schedule; may be empty), ``version`` (see
        :func:`~hotspot_sim.trial.pack.write_pack`).

    Returns
    -------
    str
    """
    parts = [_header(plan, info), _hotspot_section(plan), _design_section(plan, info),
             _dose_section(plan), _outcome_section(), _analysis_section(plan),
             _power_section(plan), _resource_section(plan), _sources()]
    return "\n\n".join(parts) + "\n"


def protocol_html(markdown_text: str, title: str) -> str:
    """The protocol as a stand-alone HTML page (Python-Markdown, tables extension).

    Parameters
    ----------
    markdown_text : str
        From :func:`protocol_markdown`.
    title : str
        The page title.

    Returns
    -------
    str
    """
    import markdown

    body = markdown.markdown(markdown_text, extensions=["tables"])
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def _header(plan: TrialPlan, info: dict) -> str:
    d = plan.design
    end = d.dates[-1].date()
    return (f"# Trial protocol: hot spot patrol in {info['title']}\n\n"
            f"{d.design.capitalize()} randomised trial of {len(plan.hotspots)} hot spots for "
            f"{d.days} days, {d.start:%A %d %B %Y} to {end:%A %d %B %Y}. Question: does "
            f"patrol ({_visits(d.visits)} of {d.minutes:g} minutes a day) reduce crime harm "
            "at a hot spot on the days it is patrolled? Written by hotspot-sim "
            f"{info['version']} for pre-registration, before the first day.")


def _hotspot_section(plan: TrialPlan) -> str:
    t = plan.hotspots
    loc = t["location"].astype(str) if "location" in t else pd.Series("", index=t.index)
    rows = ["| Rank | Hot spot | Place | Centre (lat, lon) | Radius m | Crimes | Per day | Arm |",
            "|---|---|---|---|---|---|---|---|"]
    for r, place in zip(t.itertuples(index=False), loc):
        arm = r.arm if r.block == 0 else f"{r.arm} (pair {r.block})"
        rows.append(f"| {r.rank} | {_cell(r.hotspot_id)} | {_cell(place)} | "
                    f"{r.lat:.5f}, {r.lon:.5f} | {r.radius_m:g} | {r.crimes:g} | "
                    f"{r.baseline_per_day:.3f} | {arm} |")
    return (f"## 1. Hot spots\n\n{plan.hotspot_source} Crimes: {plan.baseline} "
            f"({plan.baseline_days:.0f} days; ASB excluded), within each radius.\n\n"
            + "\n".join(rows) + "\n\nGeofences: `geofences.geojson`, `geofences.gpx` "
            "(circles of the radius above, WGS84).")


def _design_section(plan: TrialPlan, info: dict) -> str:
    d, res = plan.design, plan.resources
    per_day = {"crossover": f"{round(d.share * len(plan.hotspots))} of "
                            f"{len(plan.hotspots)} hot spots patrolled each day",
               "parallel": f"{(plan.hotspots['arm'] == 'treatment').sum()} hot spots "
                           "patrolled throughout",
               "block": f"{plan.hotspots['block'].nunique()} blocks, "
                        f"{(plan.hotspots['arm'] == 'treatment').sum()} hot spots patrolled "
                        "throughout"}[d.design]
    remake = f"`{info['command']}`" if info["command"] else \
        f"hotspot-sim {info['version']} with the same hot spots, design and seed"
    return (f"## 2. Design and randomisation\n\n- Design: {DESIGN_TEXT[d.design]}.\n"
            f"- {per_day}: {res['treated_spot_days']:,} patrol and "
            f"{res['control_spot_days']:,} control spot-days.\n"
            f"- Randomisation: by computer, numpy PCG64 seeded with SeedSequence(**{d.seed}**),"
            " by the code that draws the simulated trials behind the power figure. "
            f"`schedule.csv` (SHA-256 `{info['schedule_sha256']}`) lists every hot spot and "
            f"day; {remake} re-makes it byte for byte.\n"
            "- The schedule is fixed before day 0: a missed patrol is recorded as missed, "
            "never re-drawn.")


def _dose_section(plan: TrialPlan) -> str:
    d = plan.design
    return (f"## 3. Intervention and dose\n\nOn a patrol day: {_visits(d.visits)} of "
            f"{d.minutes:g} minutes, high-visibility, at unpredictable times (Koper 1995: "
            "about 11-15 minutes is best). Control days: no directed "
            "patrol; response and ordinary patrol carry on as usual. Dose is tracked in both "
            "arms from officers' GPS (`hotspot-sim track --gps GPS.csv --hotspots hotspots.csv "
            "--plan schedule.csv`).")


def _outcome_section() -> str:
    return ("## 4. Outcomes\n\n- **Primary:** crime harm at the hot spot per spot-day "
            "(Cambridge Crime Harm Index days; Sherman, Neyroud & Neyroud 2016), recorded "
            "crimes inside the geofence on the day.\n"
            "- **Secondary:** crime counts; counts and harm by crime type; displacement or "
            f"diffusion in the {BUFFER_M:g} m buffer ring around each hot spot; dose "
            "delivered (GPS minutes inside the geofence) in both arms, including background "
            "patrol in control places (Ariel et al. 2016: 16 minutes a day); compliance with "
            "the schedule.")


def _analysis_section(plan: TrialPlan) -> str:
    d = plan.design.design
    spec = analysis_plan(d)
    primary, counts = spec["primary"], spec["secondary_counts"]
    names = {"hotspot_id": "hot spot", "block": "pair"}
    terms = [names[c] for c in primary["fixed_effects"]] + \
        (["day"] if primary["day_effects"] else [])
    fe = f"{' and '.join(terms)} fixed effects" if terms else "one intercept"
    errors = (", model-based for counts" if counts["cov"] == "model" else "")
    test = {"crossover": "within each day, the patrolled labels re-drawn among the hot spots",
            "parallel": "the patrolled half re-drawn", "block": "the patrolled member of "
            "each pair re-drawn"}[d]
    n = spec["randomisation_test"]["n_permutations"]
    return (f"## 5. Analysis\n\nRate ratio, patrol vs control spot-days, from a Poisson GLM "
            f"with {fe}; standard errors cluster-robust by {names[primary['cluster']]} "
            f"with a t reference for harm (a quasi-likelihood: harm is not a count){errors}. "
            f"Randomisation test ({n:,} re-draws: {test}) of the GLM's rate ratio. The primary "
            "test is the randomisation test on harm: its size is exact however skewed harm "
            "is (a few crimes weigh thousands of days), where the GLM's p-value can be too "
            "small; the GLM gives the rate ratio and its interval. Two-sided, alpha = 0.05; "
            "every spot-day analysed as randomised (intention to treat). Command: "
            "`hotspot-sim trial analyse "
            f"--schedule schedule.csv --gps GPS.csv --crimes CRIMES.csv --permutations {n}` "
            "(the analysis is also stored in `design.json`).")


def _power_section(plan: TrialPlan) -> str:
    p = plan.power
    text = (f"## 6. Power\n\nPower to detect a rate ratio of {p['effect']:g} "
            f"({100 * (1 - p['effect']):.0f}% fewer crimes; Braga et al. 2019 find mean "
            f"effects of about 8-16%), from {p['n_sims']:,} simulated trials of this design "
            "with these hot spots' baseline rates "
            f"({plan.hotspots['baseline_per_day'].mean():.2f} crimes per hot spot per day on "
            "average; Poisson counts, no seasonality), each analysed as above; 95% Wilson "
            "intervals of the simulation: ")
    if "harm" in p:
        h = p["harm"]
        text += (f"harm, the primary test, **{100 * h['power']:.0f}%** "
                 f"({100 * h['ci_low']:.0f}-{100 * h['ci_high']:.0f}%; each simulated crime's "
                 "harm drawn from the hot spots' own crimes; randomisation test), ")
    text += (f"crime counts **{100 * p['power']:.0f}%** ({100 * p['ci_low']:.0f}-"
             f"{100 * p['ci_high']:.0f}%; GLM).")
    return text + _power_warning(min(p["power"], p.get("harm", p)["power"]))


def _resource_section(plan: TrialPlan) -> str:
    r = plan.resources
    return (f"## 7. Officer time and cost\n\n{r['treated_spot_days']:,} patrol spot-days x "
            f"{_visits(plan.design.visits)} x {plan.design.minutes:g} minutes = "
            f"**{r['patrol_hours']:,.0f} officer hours** at the hot spots, "
            f"£{r['patrol_cost']:,.0f} at £{r['cost_per_hour']:g} an hour. Travel is extra: "
            f"about {r['travel_km']:,.0f} km, {r['travel_hours']:,.0f} hours "
            f"(£{r['travel_cost']:,.0f}), estimated as one car touring each day's patrolled "
            f"hot spots in straight lines at {CAR_SPEED_KMH:g} km/h, without trips to and "
            "from the station: a low estimate.")


def _sources() -> str:
    return ("## Sources\n\nAriel, Weinborn & Sherman (2016), J. Experimental Criminology 12; "
            "Basford et al. (2021) and Bland et al. (2021), Cambridge J. Evidence-Based "
            "Policing 5; Braga, Turchan, Papachristos & Hureau (2019), Campbell Systematic "
            "Reviews 15; Koper (1995) and Sherman & Weisburd (1995), Justice Quarterly 12; "
            "Sherman (2013), Crime and Justice 42; Sherman, Neyroud & Neyroud (2016), "
            "Policing 10.")


def _power_warning(power: float) -> str:
    """A warning when the power is below the conventional 80%."""
    if power >= TARGET_POWER:
        return ""
    return (f" **Below the conventional {100 * TARGET_POWER:.0f}%:** more hot spots or days "
            "(`hotspot-sim power` finds how many) or a larger expected effect are needed for "
            "this trial to be likely to detect it.")


def _visits(n: int) -> str:
    """'1 visit' or '3 visits'."""
    return f"{n} visit" if n == 1 else f"{n} visits"


def _cell(text) -> str:
    """Text from a force's file made safe in a Markdown table cell: no cell breaks, and no
    markup (Markdown passes raw HTML through to the page)."""
    safe = html.escape(str(text), quote=False)
    return safe.replace("|", "/").replace("\n", " ").replace("*", "\\*").replace("_", "\\_")


__all__ = ["BUFFER_M", "N_PERMUTATIONS", "analysis_plan", "protocol_html", "protocol_markdown"]
