"""Write the tutorial notebooks (without outputs) from the cells below.

    .venv/bin/python notebooks/make_notebooks.py

Edit the cells here, not the .ipynb files, and run this again.  Every notebook
starts with a cell tagged ``parameters`` (papermill convention) holding small
settings that CI keeps and a user can raise.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''\
import io
import tempfile
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Image, Markdown, display

from hotspot_sim.locations import data_source

# Data: $HOTSPOT_SIM_DATA when set (the full county data or your own), else the
# Welwyn Hatfield clip shipped inside hotspot-sim; works from any folder.
OUT = Path(OUT) if OUT else Path(tempfile.mkdtemp(prefix="hotspot-sim-"))
OUT.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 140, "display.max_columns", 30)


def show(fig, dpi: int = 90):
    """Show a matplotlib figure as a PNG (whatever the backend) and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    display(Image(buf.getvalue()))


print("data:", data_source()["description"])
print("outputs of this notebook:", OUT)'''

LOAD = '''\
from hotspot_sim.settings import load_scenario
from hotspot_sim.study import load_study

scenario = load_scenario("welwyn_hatfield")
study = load_study(scenario)
network = study.network
print(f"{scenario.scenario.name}: {network.n_nodes:,} street nodes, "
      f"{network.total_length_m / 1000:,.0f} km of street; "
      f"{len(study.crimes):,} police.uk records {study.months[0]} to {study.months[-1]}")'''


def nb(cells: list) -> nbformat.NotebookNode:
    book = new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}
    book.metadata["language_info"] = {"name": "python"}
    return book


def params(code: str):
    return new_code_cell(code, metadata={"tags": ["parameters"]})


md, code = new_markdown_cell, new_code_cell

# --------------------------------------------------------------------------- 01 quickstart

QUICKSTART = nb([
    md("""\
# 1. Quick start: from crime data to a simulated patrol

This notebook walks through the three steps of *target, test, track* (Sherman 2013) on real data
for **Welwyn Garden City and Hatfield**:

1. load the street network (OpenStreetMap) and ten months of recorded crime (police.uk);
2. choose the 20 places where crime harm concentrates (**hot spots**) and map them;
3. simulate a few days of policing with **no directed patrol** and with **hot spot patrols**
   (random-order visits of about 15 minutes, roughly every two hours, as Koper 1995 advises),
   and compare the simulated crime.

The settings in the next cell are deliberately small so that the notebook runs in about a
minute. Raise `DAYS` for steadier numbers."""),
    params('''\
DAYS = 3            # simulated days per policy (try 30)
HOTSPOTS = 20       # hot spots to choose (Southend used 20, Bedfordshire 21)
SEED = 20211101     # the same seed for both policies: same offenders, same calls
OUT = None          # folder for the maps (None: a temporary folder)'''),
    code(SETUP),
    md("""\
## Load the study area

`load_study` reads the OpenStreetMap extract and the police.uk files, drops records it cannot
use (no coordinates, outside the area, too far from a street — each counted) and snaps every
record to the nearest street node. It also attaches the **Cambridge Crime Harm Index** (CHI):
the days in prison a first offender would get for that offence, so that a robbery weighs far
more than a shoplifting. The same is available from the command line as
`hotspot-sim data summary`."""),
    code(LOAD + '''
study.crimes["Crime type"].value_counts().to_frame("records")'''),
    md("""\
## Target: choose the hot spots

`target` scores every street node by the harm recorded within 100 m of it and picks the highest,
keeping at least 300 m between hot spots so that patrols at one do not spill into another.
`location` is police.uk's anonymised "On or near ..." description and `lsoa` the census area.
(Command line: `hotspot-sim target -k 20`.)"""),
    code('''\
from hotspot_sim.target import TargetSettings, target

hotspots = target(study, TargetSettings(k=HOTSPOTS))
share = hotspots["harm"].sum() / study.crimes["harm"].sum()
print(f"{len(hotspots)} hot spots hold {share:.0%} of the recorded harm")
hotspots[["hotspot_id", "location", "lsoa", "crimes", "asb", "harm"]].round(0)'''),
    md("""\
## Map the hot spots

A static map for reports: streets in grey, each recorded crime as a small dot and the hot spots
as numbered 100 m circles."""),
    code('''\
from hotspot_sim import maps, plots

show(plots.static_hotspot_map(network, hotspots, study.crimes,
                              title=f"{HOTSPOTS} hot spots by crime harm, Welwyn Hatfield"))'''),
    md("""\
And an interactive map (zoom, click a hot spot for its details, switch layers on and off at the
top right). Dashed rings show the catchment areas 100 m and 200 m beyond each hot spot, where
crime could be displaced to — or where the benefits could spread. The map is also saved as an
HTML file you can send to colleagues; the background tiles load when it is opened."""),
    code('''\
fmap = maps.hotspot_map(network, hotspots, study.crimes, catchments_m=(100, 200),
                        path=OUT / "hotspots_map.html")
print("saved", OUT / "hotspots_map.html")
fmap'''),
    md("""\
## Test: simulate two policies

`PatrolModel` puts the scenario's officers and offenders on the street network. Offenders move
between home and activity places; where they pass an opportunity they may offend, unless a
police officer is (or recently was) nearby. Officers answer calls for service and, between calls,
follow the policy:

* `none` — answer calls only, no directed patrol (the control);
* `hotspot_koper` — visit the hot spots in random order, 15 minutes each, about every 2 hours.

Both runs use the same seed, so differences come from the policy, not from luck.
(Command line: `hotspot-sim run --policy hotspot_koper --days 30`.)"""),
    code('''\
import time

from hotspot_sim.sim.model import PatrolModel

runs, daily = {}, []
for policy in ("none", "hotspot_koper"):
    t0 = time.perf_counter()
    model = PatrolModel(scenario.replace({"scenario.seed": SEED}), study, policy=policy,
                        build_space=False)
    model.run_days(DAYS)
    runs[policy] = model
    crimes = model.crimes_table()
    daily.append(plots.crimes_by_place_day(crimes, hotspots, radius_m=100.0, days=DAYS)
                 .assign(arm=policy))
    print(f"{policy:>14}: {len(crimes):4d} crimes in {DAYS} days "
          f"({time.perf_counter() - t0:.1f} s)")
daily = pd.concat(daily, ignore_index=True)'''),
    md("""\
## Simulated crime reduction

Crimes per day and in total, at the hot spots (within 100 m) and everywhere. With only a few
simulated days and one run per policy the numbers are noisy; notebook 2 repeats the comparison
with replications and gives intervals."""),
    code('''\
show(plots.crime_reduction(daily, control="none",
                           title=f"Simulated crime, {DAYS} days: no patrol vs hot spot patrol"))
totals = daily.pivot_table(index="place", columns="arm", values="crimes", aggfunc="sum")
totals["change"] = (totals["hotspot_koper"] / totals["none"] - 1).map("{:+.0%}".format)
totals'''),
    md("""\
**Reading this.** A reduction at the hot spots with a smaller one overall is the pattern trials
report (Braga et al. 2019: hot spot policing reduces crime at the places patrolled, without
displacing it on average). The model's deterrence parameters come from the literature
(`hotspot-sim params`); treat the size of the effect as a planning assumption, not a forecast.

Next: notebook 2 compares more policies with intervals; notebook 3 sizes a real trial;
notebook 4 tracks the patrol dose from GPS."""),
])

# --------------------------------------------------------------------------- 02 policy comparison

COMPARISON = nb([
    md("""\
# 2. Comparing patrol policies, with intervals

The shipped experiment `policy_comparison` (`experiments/policy_comparison.toml`) compares five
policies on Welwyn Hatfield: no directed patrol (control), random patrol, Koper-style hot spot
visits, predictive (recent crime) and harm-weighted visits, with 20 replications of 90 days each.
Every replication of every arm uses the same seed (common random numbers), so differences are
paired.

Here we run a **quick** version (three arms, 2 days, 3 replications) so the notebook finishes in
about a minute; on the command line, from any folder, the full experiment is

```bash
hotspot-sim experiment policy_comparison --workers 2     # the full experiment
hotspot-sim report results/policy_comparison
hotspot-sim experiment policy_comparison --quick         # a minute, into results/policy_comparison-quick
```

If `RESULTS` points at a folder that already holds results, finished runs made with the same
settings (scenario, policy, days, seeds, code and data) are reused; runs made with other settings
stop the experiment with a message saying what differs, so results are never mixed."""),
    params('''\
DAYS = 2                                   # simulated days per run (the full file: 90)
REPLICATIONS = 3                           # runs per arm (the full file: 20)
ARMS = ["none", "random", "hotspot_koper"] # subset of the file's arms; None = all five
WORKERS = 1                                # parallel processes
RESULTS = None                             # results folder (None: a new temporary folder)
OUT = None'''),
    code(SETUP),
    md("""\
## Load the experiment and shrink it

`with_quick()` applies the file's `[quick]` settings; we then keep the chosen arms (always with
the control) and the notebook's days and replications."""),
    code('''\
import dataclasses

from hotspot_sim.trial import load_experiment, make_tasks, run_experiment

exp = load_experiment("policy_comparison").with_quick()
arms = tuple(a for a in exp.arms if ARMS is None or a.name in ARMS or a.name == exp.control)
exp = dataclasses.replace(exp, arms=arms, days=float(DAYS), replications=int(REPLICATIONS))
results = Path(RESULTS) if RESULTS else OUT / exp.name
print(f"{exp.name}: arms {[a.name for a in exp.arms]}, {exp.days:g} days, "
      f"{exp.replications} replications -> {len(make_tasks(exp))} runs into {results}")'''),
    md("""\
## Run it

Each run is written as soon as it finishes, so an interrupted experiment resumes where it
stopped. Every arm is measured at the same 20 top-harm hot spots, in two catchment rings around
them (100–200 m and 200–300 m from the centre) and elsewhere."""),
    code('''\
import time

t0 = time.perf_counter()
run_experiment(exp, results, workers=WORKERS, progress=False)
runs = pd.read_parquet(results / "runs.parquet")
print(f"{len(runs)} runs in {time.perf_counter() - t0:.0f} s")
runs[["arm", "replication", "crimes", "crimes_hotspots", "crimes_elsewhere", "harm",
      "patrol_hours"]].round(1)'''),
    md("""\
## The report

`build_report` (command line: `hotspot-sim report`) writes tables, a Markdown report and figures
into `results/<experiment>/report/`: mean crimes per arm with 95% intervals, the % change
against the control on paired replications, the weighted displacement quotient and a
cost-benefit table at an assumed £40 per officer hour."""),
    code('''\
from hotspot_sim.trial import build_report

text, tables = build_report(results, n_permutations=199)
display(Markdown(text))'''),
    md("""\
## Reduction by place

% change in crimes against no directed patrol, with 95% intervals, at the hot spots, in the
catchment rings, elsewhere and overall. A drop at the hot spots with no rise in the rings means
no displacement; a drop in the rings too is a *diffusion of benefits*. With only a couple of
short replications the intervals are wide (the chart is cut at +150%): raise `DAYS` and
`REPLICATIONS`."""),
    code('''\
from hotspot_sim import plots

changes = tables["change_vs_control"]
fig = plots.change_by_arm(changes[changes["grid_index"] == 0],
                          title="Change against no directed patrol, by place")
fig.axes[0].set_xlim(-100, 150)  # with few replications intervals can run far off the chart
show(fig)
changes.round(1)'''),
    md("""\
## Reduction by crime type

The same paired comparison for each type of crime the model simulates (the six most common)."""),
    code('''\
from hotspot_sim.trial import mean_ci

type_cols = [c for c in runs.columns if c.startswith("type:")]
top = runs.loc[runs["arm"] == exp.control, type_cols].sum().sort_values(ascending=False)
top = list(top.index[:6])
ctl = runs[runs["arm"] == exp.control].set_index("replication")
rows = []
for arm, g in runs[runs["arm"] != exp.control].groupby("arm", sort=False):
    g = g.set_index("replication")
    for col in top:
        logs = np.log((g[col].fillna(0) + 0.5) / (ctl.loc[g.index, col].fillna(0) + 0.5))
        m, lo, hi = mean_ci(logs)
        rows.append({"arm": arm, "place": col.removeprefix("type:"),
                     "pct_change": 100 * (np.exp(m) - 1), "ci_low": 100 * (np.exp(lo) - 1),
                     "ci_high": 100 * (np.exp(hi) - 1)})
by_type = pd.DataFrame(rows)
fig = plots.change_by_arm(by_type.fillna({"ci_low": by_type["pct_change"],
                                          "ci_high": by_type["pct_change"]}),
                          title="Change against no directed patrol, by crime type")
fig.axes[0].set_xlim(-100, 150)
show(fig)
by_type.round(1)'''),
    md("""\
## Crimes by place, mean per run

Absolute numbers behind the percentages (mean and 95% interval across replications)."""),
    code('''\
arms_table = tables["arms"]
places = ["hotspots", "ring100_200", "ring200_300", "elsewhere"]
fig, ax = plt.subplots(figsize=(8, 3.8))
width = 0.8 / len(arms_table)
for i, (_, r) in enumerate(arms_table.iterrows()):
    mean = np.array([r[f"crimes_{p}"] for p in places], float)
    lo = np.array([r[f"crimes_{p}_ci_low"] for p in places], float)
    hi = np.array([r[f"crimes_{p}_ci_high"] for p in places], float)
    err = np.nan_to_num(np.vstack([mean - lo, hi - mean]))
    ax.bar(np.arange(len(places)) + i * width, mean, width, yerr=err, capsize=3, label=r["arm"])
ax.set_xticks(np.arange(len(places)) + width * (len(arms_table) - 1) / 2,
              ["hot spots (0-100 m)", "ring 100-200 m", "ring 200-300 m", "elsewhere"])
ax.set_ylabel(f"crimes per run ({exp.days:g} days)")
ax.set_title("Simulated crimes by place and policy")
ax.legend(fontsize=8)
ax.grid(alpha=0.3, axis="y")
show(fig)'''),
])

# --------------------------------------------------------------------------- 03 trial design

TRIAL = nb([
    md("""\
# 3. Designing the trial: how many hot spots, for how long?

Before patrolling on the street, a force should know whether its trial can detect the effect it
hopes for. This notebook estimates **statistical power** — the chance that the trial's own
analysis finds the effect at the 5% level — by simulating thousands of trials.

* **Baseline rates** come from the real top-harm hot spots of Welwyn Hatfield: police.uk crimes
  within 100 m per day (ASB excluded).
* **Designs**: *crossover* (each day every hot spot is randomly patrolled or not; Basford et al.
  2021 in Southend, Bland et al. 2021 in Bedfordshire) and *parallel* (half the hot spots are
  patrolled for the whole trial; Sherman & Weisburd 1995).
* **Effect**: a rate ratio of 0.85 on patrolled spot-days (15% fewer crimes), in the range of
  the meta-analysis by Braga et al. (2019).

Command line: `hotspot-sim power --design crossover --hotspots 10:40:10 --days 30:180:30`."""),
    params('''\
N_SIMS = 200                      # simulated trials per cell (the CLI default; 1000 for a final answer)
HOTSPOTS = [10, 20, 30, 40]       # numbers of hot spots to try
DAYS = [30, 90, 180, 270, 365]    # trial lengths to try
EFFECT = 0.85                     # rate ratio on patrolled spot-days
TARGET = 0.8                      # power wanted
OUT = None'''),
    code(SETUP),
    code(LOAD),
    md("""\
## Baseline crime at the candidate hot spots

Crimes per day within 100 m of each of the top-harm hot spots over the ten months of data. Most
hot spots see well under one crime a day: that is why trials need many spot-days."""),
    code('''\
from hotspot_sim.target import TargetSettings, target

spots = target(study, TargetSettings(k=max(HOTSPOTS)))
days_observed = 30.4 * len(study.months)
rates = spots["crimes"].to_numpy(float) / days_observed
print(f"mean {rates.mean():.2f} crimes per hot spot per day (range {rates.min():.2f}-{rates.max():.2f})")
fig, ax = plt.subplots(figsize=(8, 3))
ax.bar(spots["hotspot_id"], rates, color="#c0392b")
ax.set_xlabel("hot spot (ranked by harm)")
ax.set_ylabel("crimes per day")
ax.set_title("Baseline crime at the top-harm hot spots (police.uk, 100 m)")
ax.grid(alpha=0.3, axis="y")
show(fig)'''),
    md("""\
## Power curves

For every number of hot spots and trial length, `power` simulates `N_SIMS` trials and analyses
each exactly as the real trial would be analysed (Poisson regression with hot spot fixed effects
for the crossover; cluster-robust errors for the parallel design). Shaded bands are the
Monte Carlo 95% intervals."""),
    code('''\
from hotspot_sim.plots import plot_power
from hotspot_sim.trial import power, smallest_adequate

table = pd.concat([power(design, HOTSPOTS, DAYS, rates, EFFECT, n_sims=N_SIMS, seed=1)
                   for design in ("crossover", "parallel")], ignore_index=True)
plot_power(table, OUT / "power.png", target=TARGET)
display(Image(filename=str(OUT / "power.png")))
table.pivot_table(index=["design", "hotspots"], columns="days", values="power").round(2)'''),
    md("""\
## The smallest adequate design

The cheapest design (fewest spot-days) whose estimated power reaches the target."""),
    code('''\
for design, sub in table.groupby("design"):
    best = smallest_adequate(sub, TARGET)
    if best is None:
        print(f"{design}: no design in the grid reaches {TARGET:.0%} power")
    else:
        print(f"{design}: {int(best['hotspots'])} hot spots for {int(best['days'])} days "
              f"(power {best['power']:.0%}, 95% MC interval {best['ci_low']:.0%}-{best['ci_high']:.0%})")'''),
    md("""\
**Why the parallel design struggles.** In a parallel design each hot spot is either always or
never patrolled, so the comparison is *between* places — and places differ far more than a 15%
patrol effect. A longer trial does not remove those differences. The crossover design compares
each hot spot with itself on patrolled and unpatrolled days, which is why the recent UK trials
used it.

## How big an effect can a 20 hot spot crossover detect?"""),
    code('''\
effects = [0.95, 0.9, 0.85, 0.8, 0.75]
sens = pd.concat([power("crossover", [20], DAYS, rates, e, n_sims=N_SIMS, seed=2)
                  for e in effects], ignore_index=True)
fig, ax = plt.subplots(figsize=(7, 4))
for e, g in sens.groupby("effect", sort=False):
    ax.plot(g["days"], g["power"], marker="o", label=f"rate ratio {e:g} ({1 - e:.0%} fewer)")
ax.axhline(TARGET, ls="--", color="grey")
ax.set_xlabel("trial length (days)")
ax.set_ylabel("power")
ax.set_ylim(0, 1.02)
ax.set_title("Crossover trial with 20 hot spots: power by effect size")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
show(fig)'''),
])

# --------------------------------------------------------------------------- 04 tracking

TRACKING = nb([
    md("""\
# 4. Tracking: did the officers deliver the patrol?

The third T. Officers' radios and phones report their position every minute or so; from those
GPS pings we can measure how long officers actually spent at each hot spot (the **dose**),
compare it with the plan, and see how long the deterrence lasted after they left
(**residual deterrence**, Koper 1995).

Here the GPS comes from a short simulated run; `track_run` reads a run folder, and the same
functions read a force's own exports (command line: `hotspot-sim track RUN_DIR`, or
`hotspot-sim track --gps pings.csv --hotspots hotspots.csv --crimes crimes.csv`)."""),
    params('''\
DAYS = 3                 # simulated days (try 14)
SEED = 20211101
DWELL_MINUTES = 15       # planned minutes per visit (Koper: 10-15)
REVISIT_MINUTES = 120    # about every two hours
OUT = None'''),
    code(SETUP),
    code(LOAD),
    md("""\
## A short hot spot patrol run, written to a run folder

`write_run` saves every table of the run (crimes, GPS pings, officer status minutes, calls, the
hot spots and the planned dose) as parquet files, as `hotspot-sim run` does."""),
    code('''\
from hotspot_sim.sim.model import PatrolModel
from hotspot_sim.sim.outputs import format_summary, write_run

model = PatrolModel(scenario.replace({"scenario.seed": SEED}), study, policy="hotspot_koper",
                    policy_params={"dwell_minutes": DWELL_MINUTES,
                                   "revisit_minutes": REVISIT_MINUTES}, build_space=False)
model.run_days(DAYS)
run_dir = OUT / "run_hotspot_koper"
manifest = write_run(model, run_dir)
print(format_summary(manifest))
print(sorted(p.name for p in run_dir.iterdir()))'''),
    md("""\
## Track the run

`track_run` joins consecutive GPS pings inside a hot spot (100 m) into visits, sums them into
the dose per hot spot per day, compares it with the plan and follows every visit to the next
crime at that hot spot."""),
    code('''\
from hotspot_sim.plots import plot_survival
from hotspot_sim.track import format_track, track_run

tables = track_run(run_dir)
print(format_track(tables))'''),
    md("""\
## Patrol traces

The GPS traces of a few officers on the first day, over the hot spots. On the interactive map
each officer has their own colour and every layer can be switched off."""),
    code('''\
from hotspot_sim import maps, plots

gps = pd.read_parquet(run_dir / "gps.parquet")
hotspots = pd.read_parquet(run_dir / "hotspots.parquet")
first_day = gps[gps["time"] < gps["time"].min().normalize() + pd.Timedelta(days=1)]
fig = plots.static_hotspot_map(network, hotspots, title="GPS traces of four officers, day 1")
ax = fig.axes[0]
for officer, g in first_day[first_day["officer"].isin(first_day["officer"].unique()[:4])].groupby("officer"):
    ax.plot(g["x"] / 1000, g["y"] / 1000, lw=0.9, alpha=0.8, label=f"officer {officer}")
pad = 0.6
ax.set_xlim(hotspots["x"].min() / 1000 - pad, hotspots["x"].max() / 1000 + pad)
ax.set_ylim(hotspots["y"].min() / 1000 - pad, hotspots["y"].max() / 1000 + pad)
ax.legend(loc="upper left", fontsize=7)
show(fig)'''),
    code('''\
crimes = pd.read_parquet(run_dir / "crimes.parquet")
fmap = maps.hotspot_map(network, hotspots, crimes, first_day, path=OUT / "patrol_map.html")
fmap'''),
    md("""\
## Dose per hot spot: planned vs delivered

Minutes per day at each hot spot. Delivered dose above the plan comes from officers passing
through between visits and answering calls nearby; below the plan, from calls for service that
took officers away (the minutes lost to calls are in the text above)."""),
    code('''\
show(plots.planned_vs_delivered(tables["compliance_by_hotspot"]))
tables["compliance_overall"].T'''),
    md("""\
## Residual deterrence: how long does crime stay away after a visit?

Kaplan–Meier curves of the time from the end of a visit to the next crime at the hot spot, by
visit length. Koper (1995) found about a 15% chance of crime within 30 minutes after a
drive-through and about 4% after a 10–16 minute stop. Short runs have few crimes, so the curves
are coarse; raise `DAYS` for a clearer picture."""),
    code('''\
plot_survival(tables["survival"], OUT / "survival.png")
display(Image(filename=str(OUT / "survival.png")))
tables["residual_deterrence"].round(3)'''),
    md("""\
## Crime by zone

Crimes in the patrolled hot spots, in the rings around them and elsewhere — the raw material
for a displacement check."""),
    code('''\
tables["displacement"]'''),
])

# --------------------------------------------------------------------------- 05 real trial

REAL_TRIAL = nb([
    md("""\
# 5. The real trial: a force's records in, the trial pack out, the analysis back

Notebooks 1–4 work on simulated policing. This one walks the path a policing lead takes to a
**real** hot spot patrol trial, with the same code the command line runs:

1. read the force's own crime and calls-for-service exports and estimate **when** crime and
   calls happen (`hotspot-sim data records`);
2. choose the hot spots by the eligibility rules real trials wrote down (`hotspot-sim target
   --eligibility`);
3. write the **trial pack**: randomisation schedule, geofences, a one-page protocol with power,
   officer hours and cost (`hotspot-sim trial design`);
4. **rehearse** the pack in the simulator: officers follow its schedule, and their GPS pings and
   the crimes come out as the CSV files a force would export;
5. **analyse** those files as the real trial will be analysed (`hotspot-sim trial analyse`):
   dose per arm, compliance, rate ratios with intervals and a randomisation test.

The force records are the synthetic examples in the repository's `examples/` folder (made-up
rows in a real export's shape; `examples/README.md` documents every column). The hot spots and
their baseline come from the data in use (police.uk). The rehearsal is short: its figures show
what the analysis reports, not what a trial would find."""),
    params('''\
HOTSPOTS = 10            # hot spots in the trial (Southend used 20)
DAYS = 14                # trial days designed and rehearsed (a real trial: 90 or more)
START = "2027-01-04"     # day 0 of the trial (a Monday)
SEED = 20270104          # randomisation seed, also the rehearsal's simulation seed
SIMS = 100               # simulated trials behind the power figure (the command line: 200)
PERMUTATIONS = 999       # randomisation-test re-draws (trial analyse's default; the protocol: 9999)
EXAMPLES = None          # the repository's examples/ folder (None: found beside hotspot_sim)
OUT = None'''),
    code(SETUP),
    md("""\
## 1. A force's own records

`read_force_crimes` and `read_force_calls` read the exports as they are: a small TOML file maps
the export's own column names (and local offence codes or call grades) onto what hotspot-sim
needs. Rows are never changed or guessed; every dropped row is counted by its reason and named,
with its file line, in a warning. The example files hold one bad row per reason on purpose."""),
    code('''\
import hotspot_sim
from hotspot_sim.data import (call_demand, read_calls_mapping, read_force_calls,
                              read_force_crimes, read_force_mapping, risk_profile)

examples = (Path(EXAMPLES) if EXAMPLES
            else Path(hotspot_sim.__file__).resolve().parents[1] / "examples")
if not (examples / "force_crimes.csv").is_file():
    raise FileNotFoundError(f"no example records in {examples}: set EXAMPLES to the "
                            "examples/ folder of a hotspot-sim checkout")
months = ("2024-01", "2024-03")  # records outside these months are dropped and counted
crimes, crime_drops = read_force_crimes(
    examples / "force_crimes.csv", read_force_mapping(examples / "force_crimes_mapping.toml"),
    months=months)
calls, call_drops = read_force_calls(
    examples / "force_calls.csv", read_calls_mapping(examples / "force_calls_mapping.toml"),
    months=months)
print(f"kept {len(crimes)} crimes and {len(calls)} calls for service")
pd.DataFrame({"crimes dropped": pd.Series(crime_drops.as_dict()["dropped"]),
              "calls dropped": pd.Series(call_drops.as_dict()["dropped"])}).fillna(0).astype(int)'''),
    md("""\
## When crime and calls happen: estimated against assumed

police.uk dates crimes by month only, so the model's offending risk by hour and weekday and
its call demand by hour are otherwise assumptions. Time-stamped records replace them. Each
profile is pulled towards the assumed one by a few dozen pseudo-records, so a small export moves
it only part of the way (196 crimes here); times of exactly 00:00 count as "time unknown".

What this changes in a simulation (scenario `examples/welwyn_hatfield_force.toml`): *when*
offending and calls happen, and how many calls a day of each grade. What it does not change:
*where* crime concentrates and how much of it there is. The estimated risk is risk per
opportunity, and simulated crimes by hour are that risk times the offenders out at that hour,
so they follow the records only partly (the README's section *The real trial* gives the
measured match)."""),
    code('''\
from hotspot_sim.data.time_profiles import profiles_figure

risk = risk_profile(crimes, "force_crimes.csv")
demand = call_demand(calls, "force_calls.csv")
print("risk profile:", risk.source)
print("call demand: ", demand.source)
show(profiles_figure(risk, demand))'''),
    md("""\
## 2. Eligible hot spots

The trial's hot spots must be places a trial can test: the Operations Savvy/Style rules take
places with 36–150 crimes in 12 months within 150 m, centres at least 500 m apart and a 100 m
buffer that no other hot spot overlaps, and list every excluded candidate with the rule it
failed. The counts come from the police.uk data in use (command line: `hotspot-sim target
--eligibility -k 10`, which writes `excluded.csv`)."""),
    code(LOAD + '''
from hotspot_sim.target import eligible_hotspots, format_eligibility

eligible = eligible_hotspots(study, k=HOTSPOTS, w_asb=scenario.crime.asb_weight_in_index)
print(format_eligibility(eligible))
eligible.table[["hotspot_id", "location", "lsoa", "crimes", "asb", "harm"]].round(0)'''),
    code('''\
from hotspot_sim import plots

show(plots.static_hotspot_map(network, eligible.table, study.crimes,
                              title=f"{HOTSPOTS} eligible hot spots (Savvy/Style rules)"))
print("one excluded candidate per rule:")
eligible.excluded.drop_duplicates("rule")[["rule", "crimes", "detail"]]'''),
    md("""\
## 3. The trial pack

`design_trial` chooses the same hot spots, draws the randomisation (a daily crossover: each day
40% of the hot spots are drawn afresh for a 15-minute visit, as in Southend and Bedfordshire)
and estimates the power of that very schedule by simulating trials on the hot spots' own
baseline. `write_pack` writes the seven files of `hotspot-sim trial design`."""),
    code('''\
import datetime as dt

from hotspot_sim.trial import TrialDesign, design_trial, write_pack

design = TrialDesign(design="crossover", days=DAYS, start=dt.date.fromisoformat(START),
                     seed=SEED)
plan = design_trial(study, design, k=HOTSPOTS, eligibility=True, n_sims=SIMS)
pack = OUT / "trial_pack"
files = write_pack(plan, pack)
p, harm, hours = plan.power, plan.power["harm"], plan.resources
print(plan.hotspot_source)
print(f"power to detect a rate ratio of {p['effect']:g} ({p['n_sims']} simulated trials, "
      f"95% intervals): crimes {p['power']:.0%} ({p['ci_low']:.0%}-{p['ci_high']:.0%}), "
      f"harm {harm['power']:.0%} ({harm['ci_low']:.0%}-{harm['ci_high']:.0%})")
print(f"{hours['treated_spot_days']} patrolled spot-days = {hours['patrol_hours']:g} officer "
      f"hours (£{hours['patrol_cost']:,.0f}) + travel about {hours['travel_hours']:.0f} h "
      f"(£{hours['travel_cost']:,.0f})")
print("pack:", ", ".join(sorted(f.name for f in files.values())))'''),
    md("""\
The power is low with these small settings: a short trial at ten hot spots cannot detect a 15%
reduction. `hotspot-sim power` (notebook 3) finds the trial size that can; the protocol says
so when power is below 80%.

The schedule is what officers get: one row per hot spot and day, patrol or not."""),
    code('''\
from matplotlib.colors import ListedColormap

schedule = plan.schedule
grid = (schedule.assign(patrol=schedule["treated"].eq("true"))
        .pivot(index="hotspot_id", columns="date", values="patrol")
        .loc[plan.hotspots["hotspot_id"]])
fig, ax = plt.subplots(figsize=(8, 0.3 * len(grid) + 1.3))
ax.imshow(grid.to_numpy(int), cmap=ListedColormap(["#ecf0f1", "#2980b9"]), aspect="auto")
ax.set_yticks(range(len(grid)), [f"hot spot {h}" for h in grid.index])
ax.set_xticks(range(grid.shape[1]), [pd.Timestamp(d).strftime("%a %d %b") for d in grid.columns],
              rotation=90, fontsize=7)
ax.set_title(f"Schedule: patrol (blue) and control (grey) spot-days, seed {SEED}")
show(fig)
display(Markdown((pack / "protocol.md").read_text(encoding="utf-8").split("\\n## ")[0]))'''),
    md("""\
## 4. Rehearse the pack in the simulator

`rehearse_pack` runs the model from the pack's first date with officers following its schedule
(policy `ScheduledPatrol`: the scheduled hot spots, the planned visits) and writes what a force
hands in after a real trial: the schedule and hot spots, the officers' GPS pings and the
recorded crimes, as CSV.
Command line: `hotspot-sim trial rehearse PACK_DIR --out rehearsal/`."""),
    code('''\
from hotspot_sim.trial import rehearse_pack

rehearsal = rehearse_pack(pack / "schedule.csv", OUT / "rehearsal", scenario=scenario, seed=SEED)
print("rehearsal files:", ", ".join(path.name for path in rehearsal.values()))
print(f"{len(pd.read_csv(rehearsal['gps'])):,} GPS pings, "
      f"{len(pd.read_csv(rehearsal['crimes'])):,} simulated crimes")'''),
    md("""\
## 5. Analyse it as the real trial will be analysed

`read_trial` reads the schedule (day 0 = its first date), the hot spots beside it, the GPS and the
crimes; `analyse_trial` gives every table of `hotspot-sim trial analyse`, which `write_analysis`
writes with `report.md`. The statistics are those the protocol pre-registered for the design."""),
    code('''\
from hotspot_sim.trial import analyse_trial, read_trial, write_analysis
from hotspot_sim.trial.field import headline

trial = read_trial(rehearsal["schedule"], rehearsal["gps"], rehearsal["crimes"])
tables = analyse_trial(trial, n_permutations=PERMUTATIONS,
                       cost_per_hour=hours["cost_per_hour"])
write_analysis(tables, OUT / "analysis", hours["cost_per_hour"], files=trial["files"])
print(headline(tables))'''),
    md("""\
### Dose per arm

Minutes of GPS presence within each hot spot's radius per spot-day, every ping counted. Control
places get patrol too, as real trials measured (Southend about 2 minutes a day, Basford et al.
2021; Peterborough about 16, Ariel et al. 2016): the trial tests the *difference* in dose, not
patrol against none. In the simulator, officers and response cars crossing these busy places
on their way elsewhere add presence in both arms, and the 150 m eligibility radius catches more
of it than a 100 m one; in a real trial, a control dose close to the treated dose would leave
little contrast to test."""),
    code('''\
dose = tables["dose_by_arm"]
fig, ax = plt.subplots(figsize=(5.5, 3.2))
err = np.nan_to_num(np.vstack([dose["mean_minutes"] - dose["ci_low"],
                               dose["ci_high"] - dose["mean_minutes"]]))
ax.bar(dose["assignment"], dose["mean_minutes"], yerr=err, capsize=4,
       color=["#2980b9", "#95a5a6"])
ax.axhline(design.minutes * design.visits, ls="--", color="black", lw=1,
           label="planned on a patrol day")
ax.set_ylabel("GPS minutes per spot-day")
ax.set_title("Dose delivered per arm (95% interval, clustered by hot spot)")
ax.legend(fontsize=8)
show(fig)
dose.round(1)'''),
    md("""\
### Rate ratios with intervals

Crimes and harm on patrolled against control spot-days (Poisson GLM with hot spot fixed
effects; harm with cluster-robust errors), by crime type, and in the 100 m buffer around each
hot spot (above 1: crime displaced; below 1: benefits diffused). `p_permutation` is the
randomisation test, which re-draws the assignment as the design drew it."""),
    code('''\
results = pd.concat([tables["statistics"], tables["by_crime_type"], tables["displacement"]],
                    ignore_index=True).dropna(subset=["rate_ratio"])
fig, ax = plt.subplots(figsize=(7, 0.35 * len(results) + 1.2))
y = np.arange(len(results))[::-1]
ax.errorbar(results["rate_ratio"], y, fmt="o", capsize=3,
            xerr=[results["rate_ratio"] - results["ci_low"],
                  results["ci_high"] - results["rate_ratio"]])
ax.axvline(1, color="grey", ls="--")
ax.set_xscale("log")
ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
ax.set_yticks(y, results["crimes_counted"] + ": " + results["outcome"])
ax.set_xlabel("rate ratio, patrolled against control spot-days (log scale)")
ax.set_title(f"Rehearsal, {DAYS} days x {HOTSPOTS} hot spots")
show(fig)
results[["crimes_counted", "outcome", "rate_ratio", "ci_low", "ci_high", "p_glm",
         "p_permutation"]].round(3)'''),
    md("""\
**Reading this.** A rehearsal this short says that the pack, the exports and the analysis fit
together, not whether patrol works: the intervals are wide, and with several crime types and
the buffer tested, one p-value below 0.05 is expected by chance alone. Judge the real trial
on its pre-registered primary outcome at its planned length; the cost-benefit table is in
`OUT/analysis/report.md`.

To analyse a real trial, give the force's own GPS and crime exports instead
(`hotspot-sim trial analyse --schedule pack/schedule.csv --gps gps.csv --crimes crimes.csv`;
`hotspot-sim track --help` gives the formats). The repository's `examples/trial_*.csv` are such
files for a 10-day trial."""),
])

# --------------------------------------------------------------------------- 06 plan

PLAN = nb([
    md("""\
# 6. A patrol plan for the officer hours you have

A lead's question is rarely "does hot spot patrol work?" but "with the hours I have, which
places, how long a visit, how many visits a shift, at what hours, on foot or by car, prevent the
most harm, and what does it cost in response times?". `hotspot-sim plan` searches patrol plans
for that question, and this notebook walks through what it gives back:

1. **the budget** and the plans to search (a small `--space` file here);
2. **the search**: each plan simulated against the same officers on random patrol, with the
   same seeds (common random numbers), several replications each;
3. **the Pareto front**: the plans nothing else beats on harm prevented, officer hours and
   grade 1 response at once;
4. **the recommended plan** for the budget, its interval, its cost, and how far to trust it;
5. **the dose-response**: harm prevented by minutes per visit (Koper's 10–15 minutes marked)
   and by visits per shift;
6. **the plan as files** that `run`, `experiment` and `trial design` take.

Command line: `hotspot-sim plan --budget-hours 16 --workers 2` (`--quick` for a first look).
The settings below are tiny so the notebook runs in well under a minute: with 2 replications
of 3 days every interval is wide. Raise `DAYS`, `REPS` and `TRIALS` for figures to act on."""),
    params('''\
BUDGET_HOURS = 16.0      # officer hours a day for hot spot patrol (the command line's default)
GRADE1_FLOOR = None      # least % of grade 1 calls within target (None: no floor)
TRIALS = 6               # plans to evaluate (the command line: 40)
DAYS = 3.0               # simulated days per run (the command line: 28)
REPS = 2                 # replications per plan, common random numbers (the command line: 5)
SEED = 20211101          # seeds every run and the sampler
WORKERS = 1              # local worker processes
OUT = None'''),
    code(SETUP),
    md("""\
## 1. What is searched

Each decision is a variable with a few allowed values. Any left out of a `--space` file keep
the values of the `--quick` space; one value fixes a decision. Here: five hot spots ranked by
harm, visits of 5, 15 or 25 minutes, one or three visits a shift in a late shift (15:00–23:00)
on foot, a quarter of the officers kept for response."""),
    code('''\
from hotspot_sim.plan.space import load_space

space_file = OUT / "space.toml"
space_file.write_text("""\\
k = [5]
dwell_minutes = {min = 5, max = 25, step = 10}
visits_per_shift = [1, 3]
""")
space = load_space(space_file, quick=True)
pd.DataFrame([{"decision": v.name, "values": ", ".join(map(str, v.values)),
               "searched": not v.fixed} for v in space.variables])'''),
    md("""\
## 2. The search

`run_plan` is what the command runs: Optuna's multi-objective sampler proposes plans, each is
simulated with the experiment runner against the baseline (random patrol by the same officers,
the same seeds), and every evaluated plan is kept in `plans.parquet`, so a search resumes and
extends. Plans over the budget are kept but marked infeasible."""),
    code('''\
from hotspot_sim.locations import resolve_toml
from hotspot_sim.plan.evaluate import PlanSetup
from hotspot_sim.plan.search import SearchSettings, run_plan

setup = PlanSetup(scenario=str(resolve_toml("welwyn_hatfield", "scenarios")), days=DAYS,
                  replications=REPS, seed=SEED, hotspots=max(space.by_name["k"].values))
settings = SearchSettings(trials=TRIALS, seed=SEED, budget_hours=BUDGET_HOURS,
                          grade1_floor=GRADE1_FLOOR)
search = OUT / "plan"
plans = run_plan(setup, space, settings, search, "welwyn_hatfield", workers=WORKERS)
plans[["plan_id", "dwell_minutes", "visits_per_shift", "harm_prevented_area_mean",
       "harm_prevented_area_lo", "harm_prevented_area_hi", "officer_hours_per_day_mean",
       "feasible"]].round(1)'''),
    md("""\
## 3. The Pareto front and 4. the recommended plan

`write_plan_report` (what the command prints after the search) chooses the plan that prevents
the most harm area-wide (displacement included) within the budget, names the plans whose
intervals overlap it (not distinguishable from it), prices it, and says what the figures rest
on: the model's validation status and the evidence behind each deterrence parameter. It also
re-runs the recommended plan at each searched visit length and visits per shift with the same
seeds, for the dose-response."""),
    code('''\
from hotspot_sim.plan.report import write_plan_report

text, files = write_plan_report(search, workers=WORKERS)
print(text)
display(Image(filename=str(files["front.png"]), width=760))'''),
    md("""\
Each dot is a plan's mean; the bars are its 95% intervals over the replications, in both
directions. Grey dots are plans something else beats; hollow ones are over the budget. The
report's first section, **Before you rely on it**, lists the warnings: a recommendation at the
edge of the searched range (search wider before trusting it), and what the validation could
not check."""),
    code('''\
report = files["report.md"].read_text(encoding="utf-8")
display(Markdown(report.split("\\n## Pareto front")[0]))'''),
    md("""\
## 5. Dose-response

Harm prevented against minutes per visit and visits per shift: the points are the evaluated
plans nearest the recommendation, the line and band the recommended plan re-run at each value
with the same seeds. Koper (1995) found a stop needs about 10 minutes to deter after police
leave, best about 11–15 (shaded); Operations Savvy and Style left the best number of visits per
shift open."""),
    code('''\
display(Image(filename=str(files["dose_response.png"]), width=900))
pd.read_csv(files["dose_response.csv"]).round(1)'''),
    md("""\
## 6. The plan as files

`plan_scenario.toml` is the scenario with the plan's policy (`planned_patrol` and its
parameters) and patrol mode; `plan_experiment.toml` compares the plan with random patrol by the
same officers. Both load like any scenario and experiment; the report gives the commands,
including the `trial design` command that tests the plan's dose in a real trial."""),
    code('''\
from hotspot_sim.settings import load_scenario
from hotspot_sim.trial.experiment import load_experiment

chosen = load_scenario(files["plan_scenario.toml"])
experiment = load_experiment(files["plan_experiment.toml"])
print("policy:", chosen.policy.name, chosen.policy.params, "| mode:", chosen.officers.mode)
print("experiment arms:", [(a.name, a.policy) for a in experiment.arms])
print(next(line for line in report.splitlines() if "trial design --scenario" in line))'''),
    md("""\
**Reading this.** With two replications of three days, the intervals are too wide to choose
between plans: the report says which plans cannot be told apart, and that is most of them here.
A real search uses the command line's sizes (40 plans, 5 replications of 28 days: one to two
hours on two cores) and can be resumed and extended (`--trials`). The model's absolute effect
sizes are upper bounds (see the validation status in the report); compare plans with each
other, then test the chosen dose in a real trial."""),
])

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_policy_comparison.ipynb": COMPARISON,
    "03_trial_design.ipynb": TRIAL,
    "04_tracking.ipynb": TRACKING,
    "05_real_trial.ipynb": REAL_TRIAL,
    "06_plan.ipynb": PLAN,
}


def main() -> None:
    for name, book in NOTEBOOKS.items():
        for i, cell in enumerate(book.cells):  # stable ids: regenerating gives no diff
            cell.id = f"{name[:2]}-{i:02d}"
        nbformat.validate(book)
        nbformat.write(book, HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
