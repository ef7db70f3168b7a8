"""How simulated crime is compared with observed crime, for calibration and its checks.

The spans (training and held-out months, and a study of a span only), the observed
targets, concentration at equal counts, the rank correlation per 500 m cell, and the
seeded runs of policy ``none`` (:class:`Design`, :class:`Simulator`) whose statistics
:func:`run_stats` averages over the seeds.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..data import concentration, month_range
from ..errors import ConfigError
from ..settings import Scenario
from ..study import Study, load_study
from ..target.evaluation import default_split, parse_months
from ..target.ranking import select_months

DAYS_PER_MONTH = 365.25 / 12
RANK_CELL_M = 500.0              # cells for the rank correlation of places
HELDOUT_MONTHS = 3               # default held-out span: the scenario's last 3 months
DEFAULT_SEEDS = 5


@dataclass(frozen=True)
class Design:
    """How one evaluation is simulated.

    Attributes
    ----------
    seeds : tuple of int
        The runs' seeds; the same in every evaluation (common random numbers).
    days : float
        Days measured in each run.
    warmup_days : float
        Days simulated before measuring (not measured).
    """

    seeds: tuple[int, ...]
    days: float
    warmup_days: float

    def to_dict(self) -> dict:
        """The design as plain JSON values."""
        return {"seeds": list(self.seeds), "days": self.days, "warmup_days": self.warmup_days}

    @classmethod
    def from_dict(cls, d: dict) -> Design:
        """The inverse of :meth:`to_dict`."""
        return cls(tuple(int(s) for s in d["seeds"]), float(d["days"]), float(d["warmup_days"]))

    @classmethod
    def for_scenario(cls, scenario: Scenario, seeds: int = DEFAULT_SEEDS, days: float = 45.0,
                     warmup_days: float = 28.0) -> Design:
        """``seeds`` seeds from the scenario's own seed onwards."""
        return cls(tuple(scenario.scenario.seed + i for i in range(seeds)), days, warmup_days)


# --------------------------------------------------------------------------- spans

def split_months(study: Study, train=None, heldout=None) -> tuple[list[str], list[str]]:
    """The training and held-out months (default: the last :data:`HELDOUT_MONTHS` held out).

    Parameters
    ----------
    study : Study
        The study with every month (training and held-out).
    train, heldout : str, optional
        ``"2021-01:2021-07"`` style spans; ``heldout=""`` holds nothing out.

    Returns
    -------
    train, heldout : list of str

    Raises
    ------
    ConfigError
        A span names months outside the study, is not contiguous, or held-out months
        do not all come after the training months.
    """
    if train is None and heldout is None:
        train, held = default_split(study.months, HELDOUT_MONTHS)
    else:
        held = parse_months(heldout, study.months, "heldout") if heldout else []
        rest = [m for m in study.months if not held or m < held[0]]
        train = parse_months(train, study.months, "train") if train else rest
    if held and max(train) >= min(held):
        raise ConfigError(f"heldout months must all come after the training months (training "
                          f"ends {max(train)}, held-out starts {min(held)})")
    for name, months in (("train", train), ("heldout", held)):
        if months and months != month_range(months[0], months[-1]):
            raise ConfigError(f"{name}: months must be one contiguous span, got {months}")
    return list(train), list(held)


def span_study(scenario: Scenario, months: list[str], network=None) -> Study:
    """The study of ``months`` only, loaded as the scenario would load it.

    The model's risk surface is built from its study's crime, so a model fitted or
    scored out of sample must be built from the training months only.

    Parameters
    ----------
    scenario : Scenario
        The scenario (its other data settings are kept).
    months : list of str
        A contiguous span of months.
    network : StreetNetwork, optional
        An already prepared street network.

    Returns
    -------
    Study
        ``crime.first_month``/``last_month`` set to the span.
    """
    scenario = scenario.replace({"crime.first_month": months[0], "crime.last_month": months[-1]})
    return load_study(scenario, network=network)


def span_days(months: list[str]) -> float:
    """Days in a span of months (the held-out span's length, for a forecast of it)."""
    return float(sum(pd.Period(m, "M").days_in_month for m in months))


# --------------------------------------------------------------------------- targets

def observed_targets(study: Study, months: list[str] | None = None) -> dict:
    """What the simulation is compared with: the study's police.uk crime in ``months``.

    Parameters
    ----------
    study : Study
        The prepared study (crimes snapped to street nodes).
    months : list of str, optional
        Months to count (default: all the study's months).

    Returns
    -------
    dict
        ``per_month_by_type`` (crimes per month by police.uk type), ``events_by_type``
        (crimes in the span by type), ``per_month`` (all crimes per month) and
        ``node_counts`` (crimes per street node).
    """
    months = list(months or study.months)
    crimes = select_months(study.crimes, months)
    counts = crimes["Crime type"].value_counts()
    return {"per_month_by_type": (counts / len(months)).to_dict(),
            "events_by_type": counts.to_dict(), "per_month": len(crimes) / len(months),
            "node_counts": np.bincount(crimes["node"], minlength=study.network.n_nodes)}


def micro_place(network, size_m: float = RANK_CELL_M) -> np.ndarray:
    """The square cell of side ``size_m`` that holds each street node.

    Parameters
    ----------
    network : StreetNetwork
        Node coordinates ``x``, ``y`` in British National Grid metres.
    size_m : float
        Cell side in metres.

    Returns
    -------
    numpy.ndarray
        One integer cell id per node (ids are not contiguous).
    """
    ix = np.floor((network.x - network.x.min()) / size_m).astype(np.int64)
    iy = np.floor((network.y - network.y.min()) / size_m).astype(np.int64)
    return ix * (iy.max() + 1) + iy


def thinned_concentration(counts: np.ndarray, n: int, seed: int = 0) -> float:
    """Concentration of ``counts`` after thinning to ``n`` events (compare like with like).

    Fewer events always look more concentrated, so the larger of two counts is
    sampled down (without replacement) to the size of the smaller before the two
    are compared.

    Parameters
    ----------
    counts : numpy.ndarray
        Events per place.
    n : int
        Events to keep.
    seed : int
        Seed of the thinning draw.

    Returns
    -------
    float
        Share of places holding 50% of the kept events; NaN when there is nothing to keep.
    """
    total = int(counts.sum())
    if total == 0 or n <= 0:
        return math.nan
    if n >= total:
        return concentration(counts, 0.5)
    rng = np.random.default_rng(seed)
    sample = rng.multivariate_hypergeometric(counts.astype(np.int64), n)
    return concentration(sample, 0.5)


def concentration_at_equal_counts(sim: np.ndarray, obs: np.ndarray) -> tuple[float, float]:
    """Simulated and observed concentration, the larger thinned to the smaller's size.

    Parameters
    ----------
    sim, obs : numpy.ndarray
        Simulated and observed events per place.

    Returns
    -------
    simulated, observed : float
        Shares of places holding 50% of events (:func:`thinned_concentration`).
    """
    n = int(min(sim.sum(), obs.sum()))
    return thinned_concentration(sim, n), thinned_concentration(obs, n)


def rank_correlation(network, sim_nodes: np.ndarray, obs_nodes: np.ndarray) -> float:
    """Spearman correlation of simulated and observed incidents per :data:`RANK_CELL_M` cell.

    Cells with no incident in either are left out (ties at zero say nothing).

    Parameters
    ----------
    network : StreetNetwork
        The street network the node counts refer to.
    sim_nodes, obs_nodes : numpy.ndarray
        Simulated and observed incidents per street node.

    Returns
    -------
    float
        The rank correlation; NaN with fewer than three cells holding incidents, or when
        one side is the same in every cell (e.g. nothing simulated).
    """
    place = micro_place(network)
    sim_place = np.bincount(place, weights=sim_nodes)
    obs_place = np.bincount(place, weights=obs_nodes)
    used = (sim_place + obs_place) > 0
    sim_place, obs_place = sim_place[used], obs_place[used]
    if used.sum() <= 2 or np.ptp(sim_place) == 0 or np.ptp(obs_place) == 0:
        return math.nan  # a constant side has no ranks
    return float(stats.spearmanr(sim_place, obs_place).statistic)


# --------------------------------------------------------------------------- simulating

def simulate_crimes(scenario: Scenario, study: Study, days: float,
                    warmup_days: float) -> pd.DataFrame:
    """Crimes of one run of policy ``none``, after the warm-up.

    Parameters
    ----------
    scenario : Scenario
        The settings (its ``scenario.seed`` is the run's seed).
    study : Study
        The observed data the model is built from.
    days, warmup_days : float
        Days measured, after ``warmup_days`` not measured.

    Returns
    -------
    pandas.DataFrame
        ``node`` and ``crime_type`` of each measured crime.
    """
    from ..sim.model import PatrolModel, models_freed_after

    with models_freed_after():  # the run freed before the next is built
        # crimes are all that is measured: no GPS ping is kept (months of them otherwise)
        model = PatrolModel(scenario, study, policy="none", build_space=False, keep_gps=False)
        model.run_days(warmup_days + days)
        crimes = model.crimes_table()
        del model
    return crimes.loc[crimes["tick"] >= warmup_days * 1440, ["node", "crime_type"]] \
        .reset_index(drop=True)


_WORKER_STUDY: Study | None = None


def _init_worker(study: Study) -> None:
    """Keep the study in a worker process (sent once, not with every run)."""
    global _WORKER_STUDY
    _WORKER_STUDY = study


def _worker_run(scenario: Scenario, days: float, warmup_days: float) -> pd.DataFrame:
    """:func:`simulate_crimes` on the worker's study."""
    return simulate_crimes(scenario, _WORKER_STUDY, days, warmup_days)


class Simulator:
    """Runs the seeds of a :class:`Design` on one study, in this process or in workers.

    Parameters
    ----------
    study : Study
        The study every run is built from (the training months).
    workers : int
        Processes; 1 runs in this process.
    """

    def __init__(self, study: Study, workers: int = 1):
        self.study = study
        self.pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(study,)) \
            if workers > 1 else None

    def runs(self, scenario: Scenario, design: Design) -> list[pd.DataFrame]:
        """Each seed's measured crimes (:func:`simulate_crimes`), in seed order."""
        scenarios = [scenario.replace({"scenario.seed": s}) for s in design.seeds]
        if self.pool is None:
            return [simulate_crimes(s, self.study, design.days, design.warmup_days)
                    for s in scenarios]
        return list(self.pool.map(_worker_run, scenarios, [design.days] * len(scenarios),
                                  [design.warmup_days] * len(scenarios)))

    def close(self) -> None:
        """Stop the worker processes."""
        if self.pool is not None:
            self.pool.shutdown()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_stats(runs: list[pd.DataFrame], study: Study, targets: dict, days: float) -> dict:
    """Compare each seed's run with the observed targets and average over the seeds.

    Parameters
    ----------
    runs : list of pandas.DataFrame
        :meth:`Simulator.runs`: measured crimes of each seed.
    study : Study
        The study (its network) the runs were made on.
    targets : dict
        :func:`observed_targets` of the months compared with.
    days : float
        Days measured in each run.

    Returns
    -------
    dict
        ``per_month`` and ``per_type`` (observed, simulated, relative error),
        ``concentration_50pct`` (observed and simulated at equal counts) and
        ``spearman_micro_places``: each the mean over the seeds; ``seeds`` runs.
    """
    months = days / DAYS_PER_MONTH
    obs_nodes = targets["node_counts"]
    n_nodes = study.network.n_nodes
    volume, by_type, conc_sim, conc_obs, rho = [], [], [], [], []
    for crimes in runs:
        sim_nodes = np.bincount(crimes["node"], minlength=n_nodes)
        volume.append(len(crimes) / months)
        by_type.append(crimes["crime_type"].value_counts() / months)
        c_sim, c_obs = concentration_at_equal_counts(sim_nodes, obs_nodes)
        conc_sim.append(c_sim)
        conc_obs.append(c_obs)
        rho.append(rank_correlation(study.network, sim_nodes, obs_nodes))
    sim_type = pd.concat(by_type, axis=1).fillna(0.0).mean(axis=1) if by_type else pd.Series()
    per_type = {t: _compare(v, float(sim_type.get(t, 0.0)))
                for t, v in targets["per_month_by_type"].items()}
    for t, v in per_type.items():
        v["events"] = int(targets.get("events_by_type", {}).get(t, 0))
    c_obs, c_sim = _mean(conc_obs), _mean(conc_sim)
    return {"per_month": _compare(targets["per_month"], _mean(volume)), "per_type": per_type,
            "concentration_50pct": {"observed_at_same_volume": c_obs, "simulated": c_sim,
                                    "rel_error": (c_sim - c_obs) / c_obs if c_obs else math.nan},
            "spearman_micro_places": _mean(rho), "seeds": len(runs)}


def _compare(observed: float, simulated: float) -> dict:
    """Observed and simulated per month (rounded) and the relative error."""
    return {"observed": round(observed, 1), "simulated": round(simulated, 1),
            "rel_error": round(simulated / observed - 1, 3) if observed else math.nan}


def _mean(values: list[float]) -> float:
    """Mean of the finite values; NaN when there are none."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def simulate_stats(scenario: Scenario, simulator: Simulator, targets: dict,
                   design: Design) -> dict:
    """Run the design's seeds of ``scenario`` and compare them with ``targets`` (:func:`run_stats`)."""
    return run_stats(simulator.runs(scenario, design), simulator.study, targets, design.days)
