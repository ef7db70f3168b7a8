"""Static figures (matplotlib) used by reports and notebooks.

Every function takes tidy tables, draws one figure, saves it when given a path
and returns the matplotlib Figure.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .errors import DataError  # noqa: E402
from .wording import place_words  # noqa: E402

PLACE_COLOURS = {"hotspots": "#c0392b", "ring": "#e67e22", "elsewhere": "#7f8c8d"}


def _finish(fig, path: Path | None):
    fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=130)
        plt.close(fig)
    return fig


def change_by_arm(changes: pd.DataFrame, path: Path | None = None, title: str = ""):
    """Horizontal bars of % change against control, by arm and place, with 95% intervals.

    Parameters
    ----------
    changes : pandas.DataFrame
        Columns ``arm``, ``place``, ``pct_change``, ``ci_low``, ``ci_high`` (as the
        experiment report's change table).
    path : pathlib.Path, optional
        Save the figure here (folders made).
    title : str
        Title (a default names what is drawn).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (closed after saving when ``path`` is given).
    """
    places = list(dict.fromkeys(changes["place"]))
    arms = list(dict.fromkeys(changes["arm"]))
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.55 * len(arms) * len(places)))
    height = 0.8 / max(len(places), 1)
    for j, place in enumerate(places):
        sub = changes[changes["place"] == place].set_index("arm").reindex(arms)
        ypos = np.arange(len(arms)) + j * height
        colour = PLACE_COLOURS.get(place.split("_")[0].rstrip("0123456789"), None)
        err = np.vstack([sub["pct_change"] - sub["ci_low"], sub["ci_high"] - sub["pct_change"]])
        ax.barh(ypos, sub["pct_change"], height=height, xerr=np.abs(err), capsize=3,
                label=place_words(place), color=colour)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(np.arange(len(arms)) + height * (len(places) - 1) / 2, arms)
    ax.set_xlabel("% change in crimes against the control arm (95% interval)")
    ax.set_title(title or "Simulated crime reduction by policy and place")
    ax.legend(loc="best", fontsize=8)
    ax.invert_yaxis()
    return _finish(fig, path)


def metric_by_grid(summary: pd.DataFrame, grid_col: str, metric: str, path: Path | None = None,
                   title: str = ""):
    """Mean and 95% interval of ``metric`` against a swept parameter, one line per arm.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``arm``, ``grid_col``, ``mean``, ``ci_low``, ``ci_high``.
    grid_col : str
        The swept parameter's column (``grid:`` prefix dropped in the label).
    metric : str
        What ``mean`` measures, for the axis label.
    path : pathlib.Path, optional
        Save the figure here (folders made).
    title : str
        Title (a default names what is drawn).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (closed after saving when ``path`` is given).
    """
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for arm, sub in summary.groupby("arm", sort=False):
        sub = sub.sort_values(grid_col)
        ax.plot(sub[grid_col], sub["mean"], marker="o", label=arm)
        ax.fill_between(sub[grid_col], sub["ci_low"], sub["ci_high"], alpha=0.2)
    ax.set_xlabel(grid_col.removeprefix("grid:"))
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_title(title or f"{metric.replace('_', ' ')} by {grid_col.removeprefix('grid:')}")
    ax.grid(alpha=0.3)
    ax.legend()
    return _finish(fig, path)


# --------------------------------------------------------------------------- maps and reductions

OSM_NOTE = "Streets © OpenStreetMap contributors (ODbL); crime: data.police.uk (OGL v3)"


def static_hotspot_map(network, hotspots: pd.DataFrame | None, crimes: pd.DataFrame | None = None,
                       path: Path | None = None, title: str = "", ax=None, gps=None,
                       figsize=(8, 7)):
    """A printable map: street network (grey), crimes (small dots), numbered hot spots.

    Axes are British National Grid kilometres (EPSG:27700) with equal aspect.
    ``hotspots`` is the table of :func:`hotspot_sim.target.target` (``x``,
    ``y``, ``hotspot_id``; ``radius_m`` used when present); ``crimes`` any
    table with BNG ``x``, ``y``.  ``gps`` (optional, ``officer``, ``x``,
    ``y``) draws current officer positions, e.g. the last ping of each
    officer for a live-view-like snapshot.

    Parameters
    ----------
    network : StreetNetwork
        Drawn in grey.
    hotspots : pandas.DataFrame or None
        Hot spots, drawn as numbered circles.
    crimes : pandas.DataFrame, optional
        Crimes, drawn as small dots.
    path : pathlib.Path, optional
        Save the figure here (folders made).
    title : str
        Title (default "Hot spots on the street network").
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    gps : pandas.DataFrame, optional
        Officer positions, drawn as triangles.
    figsize : tuple of float
        Size of a new figure in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (closed after saving when ``path`` is given).
    """
    from matplotlib.collections import LineCollection

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    else:
        fig = ax.figure
    km = 1000.0
    e = network.edges()
    segs = np.stack([np.column_stack([network.x[e[:, 0]], network.y[e[:, 0]]]),
                     np.column_stack([network.x[e[:, 1]], network.y[e[:, 1]]])], axis=1) / km
    ax.add_collection(LineCollection(segs, colors="#9a9a9a", linewidths=0.4, zorder=1))
    if crimes is not None and len(crimes):
        ax.scatter(crimes["x"] / km, crimes["y"] / km, s=2, c="#2c3e50", alpha=0.25,
                   linewidths=0, zorder=2, label=f"recorded crimes ({len(crimes):,})")
    if gps is not None and len(gps):
        ax.scatter(gps["x"] / km, gps["y"] / km, s=28, marker="^", c="#1f4e9c",
                   edgecolors="white", linewidths=0.6, zorder=5, label="officers")
    if hotspots is not None and len(hotspots):
        _draw_hotspots(ax, hotspots, km)
    ax.set_xlim(network.x.min() / km - 0.2, network.x.max() / km + 0.2)
    ax.set_ylim(network.y.min() / km - 0.2, network.y.max() / km + 0.2)
    ax.set_aspect("equal")
    ax.set_xlabel("easting (km, British National Grid)")
    ax.set_ylabel("northing (km)")
    ax.set_title(title or "Hot spots on the street network")
    ax.text(0.99, 0.01, OSM_NOTE, transform=ax.transAxes, ha="right", va="bottom", fontsize=7,
            color="#444444", bbox=dict(fc="white", ec="none", alpha=0.7, pad=1.5))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=8, markerscale=2, framealpha=0.85)
    return _finish(fig, path)


def _draw_hotspots(ax, hotspots: pd.DataFrame, km: float) -> None:
    """Numbered circles of each hot spot's radius (100 m when absent), with a legend entry."""
    from matplotlib.patches import Circle

    radius = hotspots["radius_m"].to_numpy(float) if "radius_m" in hotspots \
        else np.full(len(hotspots), 100.0)
    for (_, r), rad in zip(hotspots.iterrows(), radius):
        ax.add_patch(Circle((r["x"] / km, r["y"] / km), rad / km, facecolor="#c0392b",
                            edgecolor="#7b241c", alpha=0.35, lw=0.8, zorder=3))
        ax.annotate(str(r.get("hotspot_id", "")), (r["x"] / km, r["y"] / km),
                    xytext=(4, 4), textcoords="offset points", fontsize=8,
                    fontweight="bold", color="#7b241c", zorder=4,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7))
    ax.plot([], [], "o", color="#c0392b", alpha=0.5, ms=8,
            label=f"hot spots ({len(hotspots)}, {radius[0]:.0f} m)")


def crimes_by_place_day(crimes: pd.DataFrame, hotspots: pd.DataFrame, radius_m: float = 100.0,
                        days: int | None = None) -> pd.DataFrame:
    """Crimes per simulated day at the hot spots (within ``radius_m``) and in all places.

    ``crimes`` is a model's ``crimes_table`` (``tick``, ``x``, ``y``).  Returns
    ``day``, ``place`` (``"hot spots"`` / ``"all places"``), ``crimes``, with
    zero-crime days kept so that totals and means are right.

    Parameters
    ----------
    crimes : pandas.DataFrame
        ``tick``, ``x``, ``y``.
    hotspots : pandas.DataFrame
        Hot spot centres ``x``, ``y`` (None or empty: no crime is at a hot spot).
    radius_m : float
        Distance from the nearest centre that counts as at the hot spot.
    days : int, optional
        Days to report (default: up to the last crime's day).

    Returns
    -------
    pandas.DataFrame
        ``day``, ``place``, ``crimes``; days count from the run's start (``tick // 1440``).
    """
    from scipy.spatial import cKDTree

    day = (crimes["tick"].to_numpy() // 1440).astype(int)
    n_days = int(days) if days is not None else (int(day.max()) + 1 if len(day) else 1)
    if len(crimes) and hotspots is not None and len(hotspots):
        dist, _ = cKDTree(hotspots[["x", "y"]].to_numpy(float)).query(
            crimes[["x", "y"]].to_numpy(float))
        inside = dist <= radius_m
    else:
        inside = np.zeros(len(crimes), bool)
    rows = []
    for place, sel in (("hot spots", inside), ("all places", np.ones(len(crimes), bool))):
        counts = np.bincount(day[sel], minlength=n_days)[:n_days]
        rows += [{"day": d, "place": place, "crimes": int(c)} for d, c in enumerate(counts)]
    return pd.DataFrame(rows)


def crime_reduction(daily_by_arm: pd.DataFrame, path: Path | None = None, control: str | None = None,
                    title: str = ""):
    """Crimes per day by arm (left) and totals with % change against control (right).

    ``daily_by_arm``: columns ``arm``, ``day``, ``place``, ``crimes`` (e.g.
    :func:`crimes_by_place_day` of each arm's run, with ``arm`` added).  With a
    ``replication`` column the lines are means over replications.  One row of
    panels per place; ``control`` defaults to the first arm.

    Parameters
    ----------
    daily_by_arm : pandas.DataFrame
        ``arm``, ``day``, ``crimes`` (``place`` and ``replication`` optional).
    path : pathlib.Path, optional
        Save the figure here (folders made).
    control : str, optional
        The arm the % change is against.
    title : str
        Overall title (none by default).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (closed after saving when ``path`` is given).
    """
    df = daily_by_arm.copy()
    if "place" not in df:
        df["place"] = "all places"
    arms = list(dict.fromkeys(df["arm"]))
    places = list(dict.fromkeys(df["place"]))
    control = control or arms[0]
    n_rep = df.groupby("arm")["replication"].nunique() if "replication" in df else None
    colours = {a: c for a, c in zip(arms, plt.rcParams["axes.prop_cycle"].by_key()["color"])}
    fig, axes = plt.subplots(len(places), 2, figsize=(10, 3.1 * len(places)), squeeze=False,
                             gridspec_kw={"width_ratios": [1.7, 1]})
    for row, place in zip(axes, places):
        sub = df[df["place"] == place]
        _daily_lines(row[0], sub, arms, colours, place)
        reps = "" if n_rep is None else f" (mean of {int(n_rep.max())} runs)"
        _total_bars(row[1], sub, arms, colours, control, reps)
    if title:
        fig.suptitle(title)
    return _finish(fig, path)


def _daily_lines(ax, sub: pd.DataFrame, arms: list, colours: dict, place: str) -> None:
    """Crimes per day of each arm (mean over replications) at one place."""
    from matplotlib.ticker import MaxNLocator

    per_day = sub.groupby(["arm", "day"], sort=False)["crimes"].mean().reset_index()
    for arm in arms:
        a = per_day[per_day["arm"] == arm]
        ax.plot(a["day"] + 1, a["crimes"], marker="o", ms=3, lw=1.4, color=colours[arm],
                label=arm)
    ax.set_title(f"Crimes per day: {place}", fontsize=10)
    ax.set_xlabel("day of the simulation")
    ax.set_ylabel("crimes")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def _total_bars(ax, sub: pd.DataFrame, arms: list, colours: dict, control: str,
                reps: str) -> None:
    """Total crimes of each arm at one place, labelled with the % change against control."""
    if "replication" in sub:
        totals = sub.groupby(["arm", "replication"])["crimes"].sum().groupby("arm").mean()
    else:
        totals = sub.groupby("arm")["crimes"].sum()
    totals = totals.reindex(arms)
    bars = ax.bar(range(len(arms)), totals.to_numpy(), color=[colours[a] for a in arms])
    base = totals.get(control, np.nan)
    for b, arm in zip(bars, arms):
        v = totals[arm]
        txt = f"{v:.0f}" if arm == control or not base else f"{v:.0f}\n{100 * (v / base - 1):+.0f}%"
        ax.annotate(txt, (b.get_x() + b.get_width() / 2, b.get_height()),
                    xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                    fontsize=8)
    ax.set_xticks(range(len(arms)), arms, rotation=15, fontsize=8)
    ax.set_ylim(0, max(1.0, float(np.nanmax(totals.to_numpy()))) * 1.3)
    ax.set_title(f"Total{reps}; % vs {control}", fontsize=10)
    ax.grid(alpha=0.3, axis="y")


def planned_vs_delivered(by_hotspot: pd.DataFrame, path: Path | None = None, title: str = ""):
    """Planned and GPS-delivered patrol minutes per day at each hot spot (grouped bars).

    ``by_hotspot``: the ``compliance_by_hotspot`` table of
    :func:`hotspot_sim.track.track_run` (``hotspot_id``, ``planned_min_per_day``,
    ``delivered_min_per_day``).

    Parameters
    ----------
    by_hotspot : pandas.DataFrame
        One row per hot spot.
    path : pathlib.Path, optional
        Save the figure here (folders made).
    title : str
        Title (a default names what is drawn).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (closed after saving when ``path`` is given).
    """
    t = by_hotspot.sort_values("hotspot_id")
    pos = np.arange(len(t))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.38 * len(t) + 2), 3.8))
    ax.bar(pos - 0.2, t["planned_min_per_day"], width=0.4, color="#95a5a6", label="planned")
    ax.bar(pos + 0.2, t["delivered_min_per_day"], width=0.4, color="#2471a3",
           label="delivered (GPS)")
    ax.set_xticks(pos, t["hotspot_id"].astype(str))
    ax.set_xlabel("hot spot")
    ax.set_ylabel("minutes per day")
    ax.set_title(title or "Patrol dose per hot spot: planned vs delivered")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    return _finish(fig, path)


def plot_power(table: pd.DataFrame, path, target: float = 0.8) -> Path:
    """Power curves by trial length, one line per number of hot spots.

    One panel per design in ``table``; shaded bands are the Monte Carlo 95%
    intervals; a dashed line marks the ``target`` power.  Uses the Agg canvas
    directly (no pyplot state, no display needed).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`hotspot_sim.trial.power` (``hotspots``, ``days``,
        ``power``; ``design``, ``effect``, ``ci_low``, ``ci_high`` when present).
    path : str or Path
        File to write.
    target : float
        Power marked by the dashed line.

    Returns
    -------
    Path
        The written file (format from its suffix, e.g. ``.png``, ``.svg``).

    Raises
    ------
    DataError
        ``table`` is empty or lacks a needed column.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    need = ["hotspots", "days", "power"]
    if not isinstance(table, pd.DataFrame) or table.empty or \
            any(c not in table.columns for c in need):
        raise DataError(f"table must be a non-empty DataFrame with columns {need} "
                        "(the output of power)")
    designs = list(table["design"].unique()) if "design" in table.columns else [None]
    fig = Figure(figsize=(6.5 * len(designs), 4.5), constrained_layout=True)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(designs), squeeze=False)[0]
    for ax, design in zip(axes, designs):
        sub = table if design is None else table[table["design"] == design]
        for H, g in sub.groupby("hotspots"):
            g = g.sort_values("days")
            line, = ax.plot(g["days"], g["power"], marker="o", label=f"{H} hot spots")
            if {"ci_low", "ci_high"} <= set(g.columns):
                ax.fill_between(g["days"], g["ci_low"], g["ci_high"], alpha=0.15,
                                color=line.get_color())
        ax.axhline(target, ls="--", color="grey", label=f"{target:.0%} power")
        eff = f", rate ratio {sub['effect'].iloc[0]:g}" if "effect" in sub.columns else ""
        ax.set_title(f"Power of a {design or ''} hot spot trial{eff}".replace("  ", " "))
        ax.set_xlabel("Trial length (days)")
        ax.set_ylabel("Power (share of trials with p < alpha)")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(title="Hot spots", fontsize="small")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path


# ----------------------------------------------------------------------------- track

KOPER_30_MIN = {"drive-by": 0.85, "10-16 min stop": 0.96}
"""Koper (1995): share of visits with no crime within 30 minutes after police leave."""


def survival_floor(lowest: float) -> float:
    """Lower y limit of the survival plot: below the lowest curve and Koper's 85%, in 5% steps.

    Parameters
    ----------
    lowest : float
        Lowest survival drawn.

    Returns
    -------
    float
        The limit, a multiple of 0.05 in [0, 1).
    """
    return max(0.0, math.floor((min(lowest, min(KOPER_30_MIN.values())) - 0.01) * 20) / 20)


def _koper_references(ax) -> None:
    """Koper's 30-minute window and his two reference points, labelled on the plot."""
    ax.axvline(30, color="grey", ls=":", lw=1)
    ax.annotate("30 min after leaving", (30, 0), xycoords=("data", "axes fraction"),
                xytext=(3, 3), textcoords="offset points", fontsize=8, color="grey")
    for name, value in KOPER_30_MIN.items():
        ax.plot(30, value, marker="D", color="black", ms=5, zorder=5)
        ax.annotate(f"Koper 1995, {name}: {100 * value:.0f}% crime-free", (30, value),
                    xytext=(6, 0), textcoords="offset points", fontsize=8, va="center")


def plot_survival(table: pd.DataFrame, path, xmax: float = 240.0, title: str | None = None
                  ) -> Path:
    """Plot Kaplan-Meier crime-free curves by visit length and save a PNG.

    Parameters
    ----------
    table : pandas.DataFrame
        The ``survival`` frame of :func:`hotspot_sim.track.residual_deterrence`
        (``bin, time, at_risk, survival``, ...).
    path : str or Path
        PNG to write (folders created).
    xmax : float
        Minutes shown after police leave.
    title : str, optional
        Title (default: what is drawn, with Koper's 1995 reference figures).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from matplotlib.ticker import PercentFormatter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    drawn, lowest = 0, 1.0
    for label, c in table.groupby("bin", sort=False):
        if not len(c):
            continue
        n = int(c["at_risk"].iloc[0])
        t = np.r_[0.0, c["time"].to_numpy(float)]
        s = np.r_[1.0, c["survival"].to_numpy(float)]
        ax.step(t, s, where="post", label=f"{label} min visit (n={n})")
        lowest = min(lowest, float(np.nanmin(s[t <= xmax])))
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, "no visits with follow-up", ha="center", va="center",
                transform=ax.transAxes)
    _koper_references(ax)
    ax.set_xlim(0, xmax)
    # crime after a visit is rare, so the curves stay near 1: show only the range they and
    # Koper's reference points use, or they cannot be told apart
    ax.set_ylim(survival_floor(lowest), 1.005)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("minutes since police left the hot spot")
    ax.set_ylabel("share of visits with no crime yet (Kaplan-Meier)")
    ax.set_title(title or "Residual deterrence: crime-free time after a visit, by visit length\n"
                 "(Koper 1995: ~15% crime within 30 min after a drive-by, ~4% after 10-16 min)",
                 fontsize=10)
    if drawn:
        ax.legend(title="visit length", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
