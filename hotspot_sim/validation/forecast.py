"""The model as a forecaster: does simulated crime fall where the held-out crime does?

The calibrated model, built from the training months only and run with no dedicated
patrol (policy ``none``) for as long as the held-out span, puts crime on places.  Its
simulated crimes per node are ranked like any hot-spot method's scores and scored on
the held-out months by the same hit rate and PAI code as ``hotspot-sim target``
(:func:`hotspot_sim.target.evaluation.out_of_sample`), side by side with the count and
prospective methods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import Scenario
from ..study import Study
from ..target.evaluation import out_of_sample
from .fit_stats import Design, Simulator, span_days

FORECAST_METHODS = ("count", "prospective")
FORECAST_COVERAGES = (0.01, 0.02, 0.05)   # shares of street length, as 'target' reports
MODEL_METHOD = "model"
ASB = "Anti-social behaviour"


def simulated_node_crimes(runs: list[pd.DataFrame], n_nodes: int) -> np.ndarray:
    """Simulated crimes per node over all runs, ASB left out (as the hit rate leaves it out).

    Parameters
    ----------
    runs : list of pandas.DataFrame
        Each run's crimes (``node``, ``crime_type``).
    n_nodes : int
        Nodes in the network.

    Returns
    -------
    numpy.ndarray
        Crimes per node, summed over the runs.
    """
    total = np.zeros(n_nodes)
    for crimes in runs:
        kept = crimes[crimes["crime_type"] != ASB]
        total += np.bincount(kept["node"].to_numpy(np.int64), minlength=n_nodes)
    return total


def forecast_scores(scenario: Scenario, study_train: Study, study: Study, heldout: list[str],
                    design=None, runs: list[pd.DataFrame] | None = None,
                    coverages=FORECAST_COVERAGES, methods=FORECAST_METHODS) -> pd.DataFrame:
    """Hit rate and PAI of the model's simulated crime as a forecast of the held-out months.

    Parameters
    ----------
    scenario : Scenario
        The calibrated scenario.
    study_train : Study
        The training months (the model is built from them; their months train the
        baseline methods).
    study : Study
        A study holding the training and the held-out months (the held-out crime).
    heldout : list of str
        The held-out months, all after the training months.
    design : Design, optional
        Seeds and warm-up of the model's runs (their days are the held-out span's);
        default: :meth:`hotspot_sim.validation.fit_stats.Design.for_scenario`.  Not needed when ``runs`` is given.
    runs : list of pandas.DataFrame, optional
        Runs already made (:meth:`hotspot_sim.validation.fit_stats.Simulator.runs`).
    coverages : sequence of float
        Shares of street length chosen.
    methods : sequence of str
        Baseline methods of :func:`~hotspot_sim.target.evaluation.out_of_sample`.

    Returns
    -------
    pandas.DataFrame
        :func:`~hotspot_sim.target.evaluation.out_of_sample` rows for ``methods`` and
        ``model`` (the simulated crimes of all runs, summed).
    """
    if runs is None:
        design = design or Design.for_scenario(scenario)
        design = Design(design.seeds, span_days(heldout), design.warmup_days)
        runs = Simulator(study_train).runs(scenario, design)
    model = simulated_node_crimes(runs, study.network.n_nodes)
    return out_of_sample(study, study_train.months, heldout, methods=methods,
                         coverages=coverages, forecasts={MODEL_METHOD: model})


def format_forecast(scores: pd.DataFrame) -> str:
    """The forecast table: PAI and hit rate per method and share of street length.

    Parameters
    ----------
    scores : pandas.DataFrame
        :func:`forecast_scores` output.

    Returns
    -------
    str
        A heading and one line per method.
    """
    covs = sorted(scores["coverage"].unique())
    head = "  ".join(f"{100 * c:>4g}%: PAI  hits" for c in covs)
    lines = [f"Forecast of the held-out months' crime (ASB excluded; {int(scores['test_crimes'].iloc[0])} "
             "crimes), places chosen up to a share of street length:",
             f"  {'method':<12} {head}"]
    for method, rows in scores.groupby("method", sort=False):
        cells = "  ".join(f"{r.pai:>9.1f} {100 * r.hit_rate:>4.0f}%"
                          for r in rows.sort_values("coverage").itertuples())
        lines.append(f"  {method:<12} {cells}")
    return "\n".join(lines)
