"""What the live view draws: the street map with a heat layer, and two small charts.

The heat layers are the kernels' own risk and deterrence at every node
(:func:`risk_by_node`, :func:`deterrence_by_node`): one formula, one place.
Figures are plain matplotlib ``Figure`` objects (no pyplot state), so the
page can draw them from any thread.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap, Normalize, PowerNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .model import PatrolModel

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
