"""Static figures (matplotlib) used by reports and notebooks.

Every function takes tidy tables, draws one figure, saves it when given a path
and returns the matplotlib Figure.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

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

    ``changes``: columns ``arm``, ``place``, ``pct_change``, ``ci_low``, ``ci_high``.
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
                label=place.replace("_", " "), color=colour)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(np.arange(len(arms)) + height * (len(places) - 1) / 2, arms)
    ax.set_xlabel("% change in crimes against the control arm (95% interval)")
    ax.set_title(title or "Simulated crime reduction by policy and place")
    ax.legend(loc="best", fontsize=8)
    ax.invert_yaxis()
    return _finish(fig, path)


def metric_by_grid(summary: pd.DataFrame, grid_col: str, metric: str, path: Path | None = None,
                   title: str = ""):
    """Mean and 95% interval of ``metric`` against a swept parameter, one line per arm."""
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


def daily_series(daily: pd.DataFrame, path: Path | None = None, title: str = ""):
    """Crimes per day for each arm (mean over replications)."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for arm, sub in daily.groupby("arm", sort=False):
        ax.plot(sub["day"], sub["crimes"], label=arm, lw=1.2)
    ax.set_xlabel("day of the simulation")
    ax.set_ylabel("crimes per day at the hot spots")
    ax.set_title(title or "Crimes at the hot spots by day")
    ax.grid(alpha=0.3)
    ax.legend()
    return _finish(fig, path)
