"""Figures of a plan search: the Pareto front and the dose-response curves.

Each function takes tidy tables (rows of ``plans.parquet`` with their ``_mean``, ``_lo``
and ``_hi`` columns), draws one figure with every estimate's 95% interval, saves it
when given a path and returns the matplotlib Figure (as :mod:`hotspot_sim.plots`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..plots import _finish, plt

#: Koper (1995): a stop needs about 10 minutes to deter after police leave, best about
#: 11-15 minutes, diminishing after 15; practice advice: visits of 10-15 minutes
#: (/work/shared/REFERENCE.md).
KOPER_WINDOW_MINUTES = (10.0, 15.0)
HARM_LABEL = "harm prevented area-wide (CHI days a day, 95% interval)"
HOURS_LABEL = "officer hours a day on hot spot patrol (95% interval)"


def _bars(df: pd.DataFrame, prefix: str = "") -> np.ndarray:
    """Asymmetric error bars (mean to each end of the interval) of columns ``<prefix>mean``,
    ``<prefix>lo`` and ``<prefix>hi``."""
    mean = df[f"{prefix}mean"].to_numpy(float)
    return np.abs(np.vstack([mean - df[f"{prefix}lo"].to_numpy(float),
                             df[f"{prefix}hi"].to_numpy(float) - mean]))


def front_plot(plans: pd.DataFrame, front: pd.DataFrame, recommended: pd.Series | None,
               budget_hours: float | None, path: Path | None = None, title: str = ""):
    """Harm prevented against officer hours: every plan, the front, the budget, the choice.

    Parameters
    ----------
    plans : pandas.DataFrame
        Every evaluated plan (drawn faintly; infeasible ones hollow).
    front : pandas.DataFrame
        The Pareto front (drawn with interval bars, coloured by grade 1 within target).
    recommended : pandas.Series, optional
        The recommended plan (ringed and labelled).
    budget_hours : float, optional
        The budget of officer hours a day (a vertical line).
    path : pathlib.Path, optional
        Save the figure here (folders made).
    title : str
        Title (a default says what is drawn).

    Returns
    -------
    matplotlib.figure.Figure
    """
    x, y = "officer_hours_per_day", "harm_prevented_area"
    fig, ax = plt.subplots(figsize=(8.5, 5.2))
    feasible = plans["feasible"].astype(bool)
    ax.scatter(plans.loc[feasible, f"{x}_mean"], plans.loc[feasible, f"{y}_mean"], s=14,
               color="#b0b0b0", label="other plans evaluated", zorder=1)
    ax.scatter(plans.loc[~feasible, f"{x}_mean"], plans.loc[~feasible, f"{y}_mean"], s=14,
               facecolors="none", edgecolors="#b0b0b0", label="infeasible (budget or floor)",
               zorder=1)
    if not front.empty:
        _draw_front(ax, front.sort_values(f"{x}_mean"), x, y, fig)
    if budget_hours is not None:
        ax.axvline(budget_hours, color="#c0392b", ls="--", lw=1.2,
                   label=f"budget {budget_hours:g} h a day")
    if recommended is not None:
        at = (recommended[f"{x}_mean"], recommended[f"{y}_mean"])
        ax.scatter(*at, s=260, facecolors="none", edgecolors="black", lw=2, zorder=4,
                   label=f"recommended: {recommended['plan_id']}")
        ax.annotate(f"{int(recommended['k'])} hot spots, {int(recommended['visits_per_shift'])}"
                    f" visit(s) of {float(recommended['dwell_minutes']):g} min a shift", at,
                    xytext=(12, -16), textcoords="offset points", fontsize=8,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                          "alpha": 0.8}, zorder=5)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlabel(HOURS_LABEL)
    ax.set_ylabel(HARM_LABEL)
    ax.set_title(title or "Patrol plans: harm prevented against officer hours\n"
                 "(Pareto front with 95% intervals; colour = grade 1 calls within target)",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return _finish(fig, path)


def _draw_front(ax, front: pd.DataFrame, x: str, y: str, fig) -> None:
    """The front's plans with both intervals, joined by a step line, coloured by grade 1 %."""
    ax.errorbar(front[f"{x}_mean"], front[f"{y}_mean"], xerr=_bars(front, f"{x}_"),
                yerr=_bars(front, f"{y}_"), fmt="none", ecolor="#555555", elinewidth=0.9,
                capsize=2, zorder=2)
    ax.step(front[f"{x}_mean"], front[f"{y}_mean"], where="post", color="#555555", lw=0.8,
            alpha=0.6, zorder=2)
    dots = ax.scatter(front[f"{x}_mean"], front[f"{y}_mean"], s=46, zorder=3,
                      c=front["grade1_within_target_pct_mean"], cmap="viridis",
                      edgecolors="black", linewidths=0.5, label="Pareto front")
    fig.colorbar(dots, ax=ax, label="grade 1 calls within target (%)")


def dose_response_plot(near: pd.DataFrame, sweep: pd.DataFrame | None,
                       recommended: pd.Series | None, path: Path | None = None):
    """Harm prevented against minutes per visit and against visits per shift (two panels).

    Parameters
    ----------
    near : pandas.DataFrame
        ``variable, value, mean, lo, hi, plan_id``: evaluated plans near the
        recommendation (:func:`hotspot_sim.plan.dose_response.from_plans`).
    sweep : pandas.DataFrame, optional
        ``variable, value, mean, lo, hi``: a one-variable sweep around the
        recommendation with common random numbers (drawn as a line and band).
    recommended : pandas.Series, optional
        The recommended plan (marked on each panel).
    path : pathlib.Path, optional
        Save the figure here (folders made).

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = (("dwell_minutes", "minutes per visit"), ("visits_per_shift", "visits per shift"))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    for ax, (variable, label) in zip(axes, panels):
        _dose_panel(ax, variable, near, sweep, recommended)
        ax.set_xlabel(label)
        ax.axhline(0, color="black", lw=0.6)
        ax.grid(alpha=0.3)
    axes[0].axvspan(*KOPER_WINDOW_MINUTES, color="#f1c40f", alpha=0.25,
                    label="Koper 1995: 10-15 minutes")
    axes[0].set_ylabel(HARM_LABEL)
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="best")
    fig.suptitle("Dose-response: harm prevented by minutes per visit and visits per shift "
                 "(95% intervals)", fontsize=10)
    return _finish(fig, path)


def _dose_panel(ax, variable: str, near: pd.DataFrame, sweep: pd.DataFrame | None,
                recommended: pd.Series | None) -> None:
    """One panel: nearby plans as points with bars, the sweep as a line with a band."""
    pts = near[near["variable"] == variable]
    if not pts.empty:
        ax.errorbar(_dodged(pts["value"]), pts["mean"], yerr=_bars(pts), fmt="o", color="#7f8c8d",
                    ms=4, capsize=2, label="evaluated plans near the recommendation")
        if variable == "visits_per_shift":
            ax.xaxis.get_major_locator().set_params(integer=True)
    line = sweep[sweep["variable"] == variable].sort_values("value") if sweep is not None \
        else pd.DataFrame()
    if not line.empty:
        ax.plot(line["value"], line["mean"], marker="o", color="#2c7fb8",
                label="sweep around the recommendation (same seeds)")
        ax.fill_between(line["value"], line["lo"], line["hi"], color="#2c7fb8", alpha=0.2)
    if recommended is not None and variable in recommended:
        ax.axvline(float(recommended[variable]), color="black", ls=":", lw=1,
                   label=f"recommended: {float(recommended[variable]):g}")
    if pts.empty and line.empty:
        ax.text(0.5, 0.5, "no evaluated plans vary this alone", ha="center", va="center",
                transform=ax.transAxes, color="grey")


def _dodged(values: pd.Series) -> np.ndarray:
    """``values`` with plans at the same value spread side by side (2% of the axis apart),
    so their interval bars do not hide one another."""
    x = values.to_numpy(float)
    rank = values.groupby(values).cumcount().to_numpy()
    count = values.groupby(values).transform("size").to_numpy()
    width = 0.02 * ((x.max() - x.min()) or 1.0)
    return x + (rank - (count - 1) / 2) * width


__all__ = ["KOPER_WINDOW_MINUTES", "dose_response_plot", "front_plot"]
