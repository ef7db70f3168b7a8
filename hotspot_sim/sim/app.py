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
Mesa's draggable grid, which loads one more library from the CDN.  The heat
layers come from the kernels (:func:`deterrence_by_node`, :func:`risk_by_node`):
one formula, one place.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
import threading
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import numpy as np  # noqa: E402
import solara  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import ListedColormap, Normalize, PowerNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402
from mesa.visualization.user_param import Slider  # noqa: E402
from mesa.visualization.utils import update_counter  # noqa: E402

from ..settings import Scenario, load_scenario  # noqa: E402
from ..study import Study, load_study  # noqa: E402
from .model import PatrolModel  # noqa: E402
from .policies import REGISTRY  # noqa: E402

SCENARIO_ENV = "HOTSPOT_SIM_LIVE_SCENARIO"
POLICY_ENV = "HOTSPOT_SIM_LIVE_POLICY"
DEFAULT_SCENARIO = "welwyn_hatfield"

# Officer statuses on the map and in the chart (off-duty officers are not drawn).
STATUS_COLOURS = {
    "patrolling": "#1f77b4",
    "travelling": "#17becf",
    "at_hotspot": "#2ca02c",
    "answering_call": "#ff7f0e",
    "available": "#9467bd",
    "off_duty": "#b0b0b0",
}
STATUS_LABELS = {
    "patrolling": "patrolling", "travelling": "travelling to hot spot",
    "at_hotspot": "at hot spot", "answering_call": "answering a call",
    "available": "available", "off_duty": "off duty",
}
CRIME_COLOUR = "#d62728"
DETERRED_COLOUR = "#2ca02c"
STREET_COLOUR = "#c9c9c4"
MAP_BACKGROUND = "#fbfaf6"
HEAT_LAYERS = ("risk", "deterrence", "none")
ATTRIBUTION = "© OpenStreetMap contributors"

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


def deterrence_by_node(m: PatrolModel) -> np.ndarray:
    """Share of attempts deterred at every node now: the kernels' own formula.

    Parameters
    ----------
    m : PatrolModel
        The running model.

    Returns
    -------
    numpy.ndarray
        One value per street node (:func:`hotspot_sim.sim.kernels.deterrence_surface`).
    """
    return m.kernels.deterrence_surface(m.nodes, m.tick, m.params)


def risk_by_node(m: PatrolModel) -> np.ndarray:
    """Offending risk (attractiveness A per minute) at every node now: the kernels' formula.

    Parameters
    ----------
    m : PatrolModel
        The running model.

    Returns
    -------
    numpy.ndarray
        One value per street node (:func:`hotspot_sim.sim.kernels.risk_surface`).
    """
    return m.kernels.risk_surface(m.net, m.nodes, m.tick, m.params)


# --------------------------------------------------------------------------- drawing


_SEGMENTS: dict = {}


def _street_segments(network) -> np.ndarray:
    """Street segments for a LineCollection, built once per network."""
    key = (id(network), network.n_nodes)
    if key not in _SEGMENTS:
        if len(_SEGMENTS) > 4:
            _SEGMENTS.clear()
        _SEGMENTS[key] = _segments(network)
    return _SEGMENTS[key]


def _segments(network) -> np.ndarray:
    e = np.asarray(network.edges())
    u, v = e[:, 0].astype(np.int64), e[:, 1].astype(np.int64)
    x, y = network.x, network.y
    return np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)


def _cmap(name: str, start: float) -> ListedColormap:
    """A matplotlib colormap without its palest part (it vanishes on the light map)."""
    return ListedColormap(matplotlib.colormaps[name](np.linspace(start, 1.0, 256)))


def _km(value, _pos) -> str:
    return f"{value / 1000:.0f}"


def _recent_crimes(m: PatrolModel, minutes: int = 1440):
    crimes = m.crimes_table()
    return crimes[crimes["tick"] > m.tick - minutes]


def draw_map(m: PatrolModel, layer: str = "risk", figsize=(9.0, 7.0)) -> Figure:
    """The street map with the heat layer, agents and the last 24 h of crime.

    Parameters
    ----------
    m : PatrolModel
        The running model.
    layer : str
        Heat layer: ``risk``, ``deterrence`` or ``none``.
    figsize : tuple of float
        Inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    net = m.network
    fig = Figure(figsize=figsize, dpi=100, facecolor="white")
    ax = fig.add_axes((0.075, 0.07, 0.86, 0.85))
    ax.set_facecolor(MAP_BACKGROUND)
    ax.add_collection(LineCollection(_street_segments(net), colors=STREET_COLOUR,
                                     linewidths=0.55, zorder=1))
    pad = 250.0
    ax.set_xlim(net.x.min() - pad, net.x.max() + pad)
    ax.set_ylim(net.y.min() - pad, net.y.max() + pad)
    ax.set_aspect("equal")

    # Heat layer: colour the nodes where the value matters.
    if layer in ("risk", "deterrence"):
        if layer == "risk":
            val = risk_by_node(m) * 1e4
            cut = np.quantile(val, 0.75)
            vmax = max(float(np.quantile(val, 0.998)), 1e-9)
            norm, cmap = PowerNorm(0.5, vmin=cut, vmax=vmax), _cmap("YlOrRd", 0.15)
            label = "Offending risk A (per 10,000 opportunities)"
        else:
            val = deterrence_by_node(m)
            cut = 0.01
            norm, cmap = Normalize(0.0, max(0.5, float(val.max()))), _cmap("YlGnBu", 0.3)
            label = "Deterrence (share of attempts deterred)"
        idx = np.flatnonzero(val > cut)
        idx = idx[np.argsort(val[idx])]  # strongest on top
        sc = ax.scatter(net.x[idx], net.y[idx], c=val[idx], s=9, cmap=cmap, norm=norm,
                        linewidths=0, alpha=0.85, zorder=2)
        cax = ax.inset_axes((0.66, 0.075, 0.3, 0.02))
        cb = fig.colorbar(sc, cax=cax, orientation="horizontal")
        lo, hi = norm.vmin, norm.vmax
        cb.set_ticks([lo, (lo + hi) / 2, hi], labels=[f"{v:.2g}" for v in (lo, (lo + hi) / 2, hi)])
        cb.ax.tick_params(labelsize=7, length=2, pad=1)
        cb.set_label(label, fontsize=7.5, labelpad=2)
        cax.xaxis.set_label_position("top")

    # Crimes of the last 24 h: red crosses, fading with age.
    crimes = _recent_crimes(m)
    if len(crimes):
        age = (m.tick - crimes["tick"].to_numpy()) / 1440.0
        rgba = np.tile(matplotlib.colors.to_rgba(CRIME_COLOUR), (len(crimes), 1))
        rgba[:, 3] = 1.0 - 0.65 * np.clip(age, 0, 1)
        ax.scatter(crimes["x"], crimes["y"], marker="x", s=38, c=rgba, linewidths=1.6, zorder=4)

    # Offenders: out and about in dark grey, at home faint.
    states = np.array([a.state for a in m.offender_agents])
    oxy = np.array([a.xy for a in m.offender_agents]).reshape(-1, 2)
    out = states != "at_home"
    ax.scatter(oxy[~out, 0], oxy[~out, 1], s=3, c="#6b6b6b", alpha=0.25, linewidths=0, zorder=3)
    ax.scatter(oxy[out, 0], oxy[out, 1], s=7, c="#303030", alpha=0.8, linewidths=0, zorder=3)

    # Officers on duty, by status.
    on = [a for a in m.officer_agents if a.on_duty]
    counts = {s: 0 for s in STATUS_COLOURS}
    if on:
        st = [a.status for a in on]
        xy = np.array([a.xy for a in on])
        for s in st:
            counts[s] += 1
        ax.scatter(xy[:, 0], xy[:, 1], s=70, c=[STATUS_COLOURS[s] for s in st],
                   edgecolors="white", linewidths=1.3, zorder=5)

    handles = [Line2D([], [], ls="", marker="o", ms=8, mfc=STATUS_COLOURS[s], mec="white",
                      label=f"{STATUS_LABELS[s]} ({counts[s]})")
               for s in STATUS_COLOURS if s != "off_duty" and counts[s]]
    handles += [
        Line2D([], [], ls="", marker="o", ms=3.5, color="#303030",
               label=f"offenders out ({int(out.sum())} of {len(states)})"),
        Line2D([], [], ls="", marker="x", ms=7, mew=1.6, color=CRIME_COLOUR,
               label=f"crimes, last 24 h ({len(crimes)})"),
    ]
    leg = ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=True, framealpha=0.92,
                    title=f"Officers on duty: {len(on)} of {len(m.officer_agents)}",
                    title_fontsize=8.5, borderpad=0.7, labelspacing=0.45)
    leg.get_frame().set_edgecolor("#dddddd")
    leg.set_zorder(10)

    # 1 km scale bar, axes in km, attribution.
    x0, y0 = ax.get_xlim()[0] + 600, ax.get_ylim()[0] + 500
    ax.plot([x0, x0 + 1000], [y0, y0], color="#333333", lw=2.5, solid_capstyle="butt", zorder=6)
    ax.text(x0 + 500, y0 + 180, "1 km", ha="center", va="bottom", fontsize=8, color="#333333",
            zorder=6)
    ax.xaxis.set_major_formatter(FuncFormatter(_km))
    ax.yaxis.set_major_formatter(FuncFormatter(_km))
    ax.tick_params(labelsize=8, colors="#555555")
    ax.set_xlabel("Easting (km, British National Grid)", fontsize=8.5, color="#555555")
    ax.set_ylabel("Northing (km, BNG)", fontsize=8.5, color="#555555")
    for side in ax.spines.values():
        side.set_color("#cccccc")
    ax.text(0.995, 0.004, ATTRIBUTION, transform=ax.transAxes, ha="right", va="bottom",
            fontsize=7, color="#444444", zorder=11,
            bbox={"boxstyle": "square,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.75})
    now = m.datetime_at(m.tick)
    fig.text(0.075, 0.935, now.strftime("%A %d %B %Y, %H:%M"), fontsize=14, weight="bold",
             color="#222222", ha="left", va="bottom")
    fig.text(0.935, 0.937, f"{m.config.scenario.name} · policy {m.policy_name} · "
             f"day {m.day_index(m.tick) - m.day_index(0) + 1}",
             fontsize=9, color="#555555", ha="right", va="bottom")
    return fig


def daily_counts(m: PatrolModel):
    """Crimes and deterred attempts per simulated day, today (partial) included.

    Parameters
    ----------
    m : PatrolModel
        The running model.

    Returns
    -------
    tuple
        ``(dates, crimes, deterred)``: a list of dates and two count arrays.
    """
    a = m.attempts_table()
    days = m.day_index(np.asarray(a["tick"], np.int64))
    first, today = m.day_index(0), m.day_index(m.tick)
    span = np.arange(first, today + 1)
    deterred = (a["outcome"] == "deterred").to_numpy()
    crimes = np.bincount(days[~deterred] - first, minlength=len(span))[:len(span)]
    det = np.bincount(days[deterred] - first, minlength=len(span))[:len(span)]
    dates = [m.datetime_at(int(d) * 1440 - m.minute_of_day0).date() for d in span]
    return dates, crimes, det


def draw_daily(m: PatrolModel, last: int = 14, figsize=(5.2, 3.3)) -> Figure:
    """Bar chart of crimes and deterred attempts for the last ``last`` days.

    Parameters
    ----------
    m : PatrolModel
        The running model.
    last : int
        Days shown.
    figsize : tuple of float
        Inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    dates, crimes, det = daily_counts(m)
    dates, crimes, det = dates[-last:], crimes[-last:], det[-last:]
    fig = Figure(figsize=figsize, dpi=100)
    ax = fig.add_subplot()
    x = np.arange(len(dates))
    w = 0.38
    alpha = np.where(x == len(x) - 1, 0.45, 0.95)  # today is not over yet
    for i in x:
        ax.bar(i - w / 2, crimes[i], w, color=CRIME_COLOUR, alpha=alpha[i])
        ax.bar(i + w / 2, det[i], w, color=DETERRED_COLOUR, alpha=alpha[i])
    ax.set_xticks(x, [d.strftime("%a\n%d") for d in dates], fontsize=7.5)
    ax.tick_params(axis="y", labelsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    ax.set_xlim(-0.6, max(len(x), 3) - 0.4)
    ax.set_title("Per day (today so far, pale)", fontsize=10, loc="left")
    ax.legend(handles=[Line2D([], [], lw=6, color=CRIME_COLOUR, label="crimes"),
                       Line2D([], [], lw=6, color=DETERRED_COLOUR, label="deterred attempts")],
              fontsize=8, frameon=False, loc="upper left")
    ax.set_ylim(0, max(5, int(max(crimes.max(initial=0), det.max(initial=0)) * 1.35) + 1))
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    ax.grid(axis="y", color="#eeeeee")
    ax.set_axisbelow(True)
    fig.tight_layout(pad=0.6)
    return fig


def draw_status(m: PatrolModel, figsize=(5.2, 2.7)) -> Figure:
    """Bar chart of officers by status now.

    Parameters
    ----------
    m : PatrolModel
        The running model.
    figsize : tuple of float
        Inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    counts = {s: 0 for s in STATUS_COLOURS}
    for a in m.officer_agents:
        counts[a.status] += 1
    names = list(STATUS_COLOURS)
    fig = Figure(figsize=figsize, dpi=100)
    ax = fig.add_subplot()
    y = np.arange(len(names))
    ax.barh(y, [counts[s] for s in names], color=[STATUS_COLOURS[s] for s in names], height=0.7)
    for i, s in enumerate(names):
        ax.text(counts[s] + 0.15, i, str(counts[s]), va="center", fontsize=8)
    ax.set_yticks(y, [STATUS_LABELS[s] for s in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max(counts.values(), default=1) * 1.15 + 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title("Officers by status now", fontsize=10, loc="left")
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    fig.tight_layout(pad=0.6)
    return fig


def png(fig: Figure) -> bytes:
    """``fig`` as PNG bytes (at its own dpi)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()


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
