"""Watch the patrol model run in a browser: a Mesa ``SolaraViz`` page.

Start it with ``hotspot-sim view`` (or ``solara run hotspot_sim.sim.app:Page``)
and open the address it prints.  The sidebar holds Mesa's controls (Reset,
Play/Pause, Step) and the model parameters (policy, officers, offenders,
seed: they take effect on Reset); the main area shows

- a map of the street network with a heat layer (offending risk ``A`` or
  deterrence, switchable), officers coloured by status, offenders, and the
  crimes of the last 24 simulated hours;
- a strip of figures for the current simulated day;
- crimes and deterred attempts per day, and officers by status now.

One *step* of the page advances ``minutes per step`` simulated minutes (10 by
default, a slider above the map), since one minute a frame is too slow to
watch.  The scenario comes from ``$HOTSPOT_SIM_LIVE_SCENARIO`` (set by
``hotspot-sim view --scenario``); its street network and crime data are
loaded once per server process and shared by every reset.

Offline use: :mod:`hotspot_sim.sim.app_assets` keeps the page's web assets
locally; for the same reason the page draws its own main area instead of
Mesa's draggable grid, which loads one more library from the CDN.  What the
page draws is in :mod:`hotspot_sim.sim.app_figures`; its heat layers come from
the kernels: one formula, one place.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import threading
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import solara  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.user_param import Slider  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from ..settings import Scenario, load_scenario  # noqa: E402
from ..study import Study, load_study  # noqa: E402
from .app_figures import (CRIME_COLOUR, DETERRED_COLOUR, HEAT_LAYERS,  # noqa: E402
                          STATUS_COLOURS, deterrence_by_node, draw_daily, draw_map,
                          draw_status, png, risk_by_node)
from .model import PatrolModel  # noqa: E402
from .policies import REGISTRY  # noqa: E402

SCENARIO_ENV = "HOTSPOT_SIM_LIVE_SCENARIO"
POLICY_ENV = "HOTSPOT_SIM_LIVE_POLICY"
DEFAULT_SCENARIO = "welwyn_hatfield"

# Per browser session: solara keeps a reactive's value per connected page.
heat_layer = solara.reactive("risk")
minutes_per_step = solara.reactive(10)


# --------------------------------------------------------------------------- the model


def default_scenario_path() -> str:
    """The scenario the page shows: ``$HOTSPOT_SIM_LIVE_SCENARIO`` or ``welwyn_hatfield``."""
    return os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO


_LOAD_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _load_cached(path: str) -> tuple[Scenario, Study]:
    config = load_scenario(path)
    return config, load_study(config)


def load(path: str | os.PathLike) -> tuple[Scenario, Study]:
    """The scenario and its observed data, loaded once per process (resets are fast).

    Parameters
    ----------
    path : str or os.PathLike
        A scenario name or TOML file.

    Returns
    -------
    tuple
        ``(Scenario, Study)``.
    """
    with _LOAD_LOCK:
        return _load_cached(str(Path(path).resolve()))


class LivePatrolModel(PatrolModel):
    """:class:`PatrolModel` built from keyword arguments, as Mesa's ``SolaraViz`` needs.

    One ``step()`` advances ``minutes_per_step`` simulated minutes.
    """

    def __init__(self, policy: str | None = None, officers: int | None = None,
                 offenders: int | None = None, seed: int | str | None = None,
                 minutes_per_step: int = 10, scenario_path: str | None = None):
        base, study = load(scenario_path or default_scenario_path())
        overrides = {}
        if officers is not None:
            overrides["officers.count"] = int(officers)
        if offenders is not None:
            overrides["offenders.count"] = int(offenders)
        if seed not in (None, ""):
            overrides["scenario.seed"] = int(seed)
        config = base.replace(overrides) if overrides else base
        # A different policy than the scenario's runs with its own defaults.
        other = policy if policy and policy != base.policy.name else None
        super().__init__(config, study=study, policy=other)
        self.minutes_per_step = int(minutes_per_step)
        self.step = self._live_step

    def _live_step(self) -> None:
        self.run_for(max(1, int(self.minutes_per_step)))

    @property
    def now(self) -> dt.datetime:
        """The simulated date-time now."""
        return self.datetime_at(self.tick)


# --------------------------------------------------------------------------- page


def today_summary(m: PatrolModel) -> dict:
    """Figures for the current simulated day so far.

    Parameters
    ----------
    m : PatrolModel
        The running model.

    Returns
    -------
    dict
        ``crimes, deterred, harm, calls, on_duty``.
    """
    a = m.attempts_table()
    a = a[a["tick"] >= m.day_start_tick(m.tick)]
    deterred = a["outcome"] == "deterred"
    start = m.day_start_tick(m.tick)
    return {"crimes": int((~deterred).sum()), "deterred": int(deterred.sum()),
            "harm": float(a.loc[~deterred, "harm"].sum()),
            "calls": sum(1 for c in m.dispatch.calls if c.time >= start),
            "on_duty": sum(1 for o in m.officer_agents if o.on_duty)}


CSS = """
.hs-kpi { padding: 6px 16px; border-radius: 8px; background: #f4f6f8; min-width: 120px; }
.hs-kpi .hs-value { font-size: 22px; font-weight: 600; line-height: 1.2; }
.hs-kpi .hs-label { font-size: 12px; color: #666; }
.hs-clock { font-size: 20px; font-weight: 600; }
.hs-map img, .hs-chart img { max-width: 100%; height: auto; }
"""


@solara.component
def Kpi(label: str, value: str, colour: str = "#222"):
    """One headline figure with its label."""
    with solara.Column(classes=["hs-kpi"], gap="0px"):
        solara.HTML(tag="div", unsafe_innerHTML=value, classes=["hs-value"],
                    style={"color": colour})
        solara.Text(label, classes=["hs-label"])


@solara.component
def Dashboard(model: solara.Reactive):
    """Clock, today's figures, the map and the charts; redrawn after every step."""
    update_counter.get()  # Mesa bumps this after each step
    m = model.value
    m.minutes_per_step = minutes_per_step.value
    now = m.datetime_at(m.tick)
    s = today_summary(m)
    with solara.Column(style={"padding": "8px 16px", "width": "100%"}):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "12px"}):
            with solara.Column(gap="0px", style={"margin-right": "12px"}):
                solara.Text(now.strftime("%a %d %b %Y %H:%M"), classes=["hs-clock", "sim-clock"])
                solara.Text(f"simulated minute {m.tick:,} · {m.minutes_per_step} min per step",
                            style={"color": "#666", "font-size": "12px"})
            Kpi("crimes today", f"{s['crimes']}", CRIME_COLOUR)
            Kpi("deterred today", f"{s['deterred']}", DETERRED_COLOUR)
            Kpi("harm today (CHI days)", f"{s['harm']:,.0f}")
            Kpi("calls today", f"{s['calls']}")
            Kpi("officers on duty", f"{s['on_duty']} / {len(m.officer_agents)}",
                STATUS_COLOURS["patrolling"])
        with solara.Columns([8, 4], gutters_dense=True):
            with solara.Card(margin=0, classes=["hs-map"]):
                with solara.Row(style={"align-items": "center", "gap": "24px",
                                       "flex-wrap": "wrap"}):
                    solara.ToggleButtonsSingle(value=heat_layer, values=list(HEAT_LAYERS),
                                               dense=True)
                    with solara.Div(style={"min-width": "260px"}):
                        solara.SliderInt("Minutes per step", value=minutes_per_step, min=1,
                                         max=120)
                solara.Image(png(draw_map(m, heat_layer.value)), width="100%",
                             classes=["hotspot-map"])
            with solara.Column():
                with solara.Card(margin=0, classes=["hs-chart"]):
                    solara.Image(png(draw_daily(m)), width="100%", classes=["hotspot-daily"])
                with solara.Card(margin=0, classes=["hs-chart"]):
                    solara.Image(png(draw_status(m)), width="100%", classes=["hotspot-status"])
                solara.HTML(  # plain HTML: solara.Markdown would load mermaid from the CDN
                    tag="div", style={"font-size": "12px", "color": "#555", "padding": "4px"},
                    unsafe_innerHTML=(
                        "Heat: <b>risk</b> is the chance an offender passing a street node "
                        "offends there (base rate by hour of week plus the near-repeat boost); "
                        "<b>deterrence</b> is the share of attempts an officer's presence or "
                        "residual effect would stop. Model parameters take effect on "
                        "<b>Reset</b>."))


def model_params(config: Scenario) -> dict:
    """The sidebar's model parameters (policy, officers, offenders, seed) for ``SolaraViz``.

    Parameters
    ----------
    config : Scenario
        The scenario shown (its values are the defaults).

    Returns
    -------
    dict
    """
    return {
        "policy": {"type": "Select", "value": os.environ.get(POLICY_ENV) or config.policy.name,
                   "values": sorted(REGISTRY), "label": "Patrol policy"},
        "officers": Slider("Officers", config.officers.count, 1, 80, 1),
        "offenders": Slider("Offenders", config.offenders.count, 20, 2000, 20),
        "seed": {"type": "InputText", "value": str(config.scenario.seed), "label": "Seed"},
        "scenario_path": str(Path(default_scenario_path()).resolve()),
    }


@solara.component
def Page():
    """The page: Mesa's controls and the dashboard of a :class:`LivePatrolModel`."""
    config, _ = load(default_scenario_path())

    def first_model():
        return LivePatrolModel(policy=os.environ.get(POLICY_ENV) or None)

    initial = solara.use_memo(first_model, [])
    model = solara.use_reactive(initial)
    with solara.Column(style={"width": "100%"}) as main:
        solara.Style(CSS)
        solara.Title("hotspot-sim live")
        SolaraViz(model, components=[], model_params=model_params(config),
                  name=f"hotspot-sim live: {config.scenario.name}", play_interval=150)
        Dashboard(model)
    return main


page = Page


def _warm_up() -> None:
    """Load the data and compile the kernels while the server waits for a browser."""
    try:
        m = LivePatrolModel(officers=1, offenders=20)
        m.run_for(2)
        risk_by_node(m), deterrence_by_node(m)  # the heat layers' kernels too
    except Exception:  # noqa: BLE001 - the page reports real errors when it builds its model
        pass


if os.environ.get("SOLARA_APP", "").startswith(__name__):
    threading.Thread(target=_warm_up, name="hotspot-sim-warm-up", daemon=True).start()
