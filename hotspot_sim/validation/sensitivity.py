"""Global sensitivity: does "Koper patrol beats random patrol" hold across the
plausible range of the uncertain parameters?

Method: Morris elementary-effects screening (SALib; Morris 1991, Campolongo et
al. 2007), a documented screening design that needs (k + 1) x trajectories
points for k parameters.  At each point the model runs twice with the same
seed (common random numbers): random patrol and ``hotspot_koper``; the output
is the % change in crimes at the hot spots of Koper against random.  The
conclusion holds at a point when that change is below zero.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..trial import Arm, Experiment, make_tasks, run_task
from ..io import write_csv

# Plausible ranges; a comment names the study a range comes from, the others are assumptions.
RANGES = {
    # Koper 1995: deterrence lasts minutes to hours after a visit
    "deterrence.short_decay_minutes": (30.0, 240.0),
    # Barnes et al. 2020: about 4 days after the last patrol day
    "deterrence.long_hold_days": (1.0, 8.0),
    # Braga et al. 2019: diffusion more common than displacement (low values)
    "deterrence.displacement_probability": (0.0, 0.5),
    "deterrence.presence_effect": (0.5, 0.95),
    "offenders.count": (150, 600),
}


def morris_samples(trajectories: int, seed: int) -> tuple[dict, np.ndarray]:
    """The Morris design over :data:`RANGES` (4 levels).

    Parameters
    ----------
    trajectories : int
        Morris trajectories (at least 2).
    seed : int
        Seed of the design.

    Returns
    -------
    tuple
        The SALib problem (``names``, ``bounds``) and the design points, one row per
        point, ``(len(RANGES) + 1) * trajectories`` rows.
    """
    from SALib.sample import morris

    problem = {"num_vars": len(RANGES), "names": list(RANGES), "bounds": list(RANGES.values())}
    return problem, morris.sample(problem, trajectories, num_levels=4, seed=seed)


SENSITIVITY_STEP = "Morris design points (random and Koper runs at each)"


def run_sensitivity(scenario: str, out: Path, trajectories: int = 4, days: float = 14.0,
                    seed: int = 1, progress=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the screening design and write its tables and figure to ``out``.

    Parameters
    ----------
    scenario : str
        Scenario name or TOML path.
    out : pathlib.Path
        Folder for ``sensitivity_points.csv``, ``sensitivity_indices.csv`` and
        ``sensitivity.png`` (made if missing).
    trajectories : int
        Morris trajectories.
    days : float
        Days per run.
    seed : int
        Seed of the design and of every run (common random numbers).
    progress : callable, optional
        ``progress(step, done, total)``, told after each design point.

    Returns
    -------
    tuple of pandas.DataFrame
        The points with their outputs (``koper_vs_random_pct``, ``koper_beats_random``)
        and the Morris indices (``parameter``, ``mu_star``, ``mu_star_conf``, ``sigma``),
        largest ``mu_star`` first.
    """
    from SALib.analyze import morris as analyze

    problem, X = morris_samples(trajectories, seed)
    base = Experiment(name="sensitivity", scenario=scenario, days=days, replications=1, seed=seed,
                      hotspots=20, arms=(Arm("random", "random"), Arm("koper", "hotspot_koper")))
    rows = []
    for i, x in enumerate(X):
        overrides = {k: (int(round(v)) if k == "offenders.count" else float(v))
                     for k, v in zip(problem["names"], x)}
        rows.append(run_design_point(base, overrides))
        if progress:
            progress(SENSITIVITY_STEP, i + 1, len(X))
    points = pd.DataFrame(rows)
    Si = analyze.analyze(problem, X, points["koper_vs_random_pct"].to_numpy(), num_levels=4,
                         seed=seed, print_to_console=False)
    indices = pd.DataFrame({"parameter": problem["names"], "mu_star": Si["mu_star"],
                            "mu_star_conf": Si["mu_star_conf"], "sigma": Si["sigma"]})
    indices = indices.sort_values("mu_star", ascending=False).reset_index(drop=True)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(points, out / "sensitivity_points.csv")
    write_csv(indices, out / "sensitivity_indices.csv")
    plot_sensitivity(indices, points, out / "sensitivity.png")
    return points, indices


def run_design_point(base: Experiment, overrides: dict) -> dict:
    """Random patrol and Koper patrol at one design point, with the same seed.

    Parameters
    ----------
    base : Experiment
        The two-arm experiment (``random``, ``koper``), one replication.
    overrides : dict
        Scenario values of the point by ``section.key``.

    Returns
    -------
    dict
        ``overrides`` with each arm's hot spot crimes, ``koper_vs_random_pct`` (with
        0.5 added to both counts so an empty run gives a finite change) and
        ``koper_beats_random``.
    """
    exp = replace(base, arms=tuple(replace(a, overrides=overrides) for a in base.arms))
    results = {t.arm.name: run_task(exp, t)["summary"].iloc[0] for t in make_tasks(exp)}
    r, k = results["random"]["crimes_hotspots"], results["koper"]["crimes_hotspots"]
    change = 100 * ((k + 0.5) / (r + 0.5) - 1)
    return {**overrides, "random_hotspot_crimes": r, "koper_hotspot_crimes": k,
            "koper_vs_random_pct": change, "koper_beats_random": change < 0}


def plot_sensitivity(indices: pd.DataFrame, points: pd.DataFrame, path: Path) -> None:
    """Save the Morris mu* bars and the histogram of Koper's change against random.

    Drawn here rather than in :mod:`hotspot_sim.plots`, which sits to the right of
    validation in the package's one-way order.

    Parameters
    ----------
    indices, points : pandas.DataFrame
        :func:`run_sensitivity` output.
    path : pathlib.Path
        PNG file to write.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    a.barh(indices["parameter"], indices["mu_star"], xerr=indices["mu_star_conf"],
           color="#2c7fb8", capsize=3)
    a.invert_yaxis()
    a.set_xlabel("Morris mu* (effect on % change, Koper vs random)")
    a.set_title("Which parameters matter")
    share = points["koper_beats_random"].mean()
    b.hist(points["koper_vs_random_pct"], bins=15, color="#7fcdbb", edgecolor="white")
    b.axvline(0, color="black", lw=1)
    b.set_xlabel("% change in hot spot crimes, Koper against random patrol")
    b.set_ylabel("design points")
    b.set_title(f"Koper beats random at {100 * share:.0f}% of points")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
