"""Calibration: fit offender and risk parameters so a run without dedicated patrol
matches the observed police.uk crime of the study area.

Fitted: ``risk.base_rate`` (volume), ``risk.background_share`` and
``offenders.attractor_exponent`` (how concentrated crime is).  Targets, compared with
a no-dedicated-patrol run (policy ``none``; officers still answer calls):

- monthly volume per crime type (tolerance +-10%);
- concentration: the share of street nodes holding 50% of incidents, observed
  and simulated at the same number of incidents (tolerance +-20% relative);
- Spearman rank correlation of incidents per 500 m cell (finer cells are mostly
  empty in a short run, and ties at zero say nothing).

Runs start with a warm-up (near-repeat boosts build up over weeks) that is not
measured.

The optimiser is Nelder-Mead (scipy) on a deterministic objective: every
evaluation uses the same seed (common random numbers), so the search is not
misled by simulation noise.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import optimize, stats

from ..data import concentration
from ..errors import ConfigError
from ..settings import Scenario, to_toml
from ..study import Study

DAYS_PER_MONTH = 365.25 / 12
VOLUME_TOLERANCE = 0.10          # +-10% monthly volume per crime type (issue 7)
CONCENTRATION_TOLERANCE = 0.20   # +-20% relative share of places holding 50%
RANK_CELL_M = 500.0              # cells for the rank correlation of places


@dataclass
class Fit:
    """The result of :func:`calibrate`.

    Attributes
    ----------
    params : dict
        Fitted scenario values by ``section.key`` (``risk.type_weights`` is a dict).
    stats : dict
        :func:`simulate_stats` at the fitted values.
    evaluations : int
        Nelder-Mead model runs.
    seconds : float
        Wall-clock time of the whole fit.
    history : list of dict
        Each Nelder-Mead evaluation's values and loss, in order.
    """

    params: dict
    stats: dict
    evaluations: int
    seconds: float
    history: list = field(default_factory=list)


def observed_targets(study: Study) -> dict:
    """What the simulation is fitted to, from the study's police.uk crime.

    Parameters
    ----------
    study : Study
        The prepared study (crimes snapped to street nodes).

    Returns
    -------
    dict
        ``per_month_by_type`` (crimes per month by police.uk type), ``per_month`` (all
        crimes per month) and ``node_counts`` (crimes per street node).
    """
    crimes = study.crimes
    months = len(study.months)
    by_type = (crimes["Crime type"].value_counts() / months).to_dict()
    return {"per_month_by_type": by_type, "per_month": len(crimes) / months,
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

    A short simulation has fewer incidents than the observed months; fewer events
    always look more concentrated, so the observed counts are sampled down (without
    replacement) to the simulated number before the two are compared.

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


def simulate_stats(scenario: Scenario, study: Study, days: float, targets: dict,
                   warmup_days: float = 0.0) -> dict:
    """Run policy ``none`` for warm-up + ``days`` and compare ``days`` with the observed targets.

    Parameters
    ----------
    scenario : Scenario
        The settings to run.
    study : Study
        The prepared study (network and observed crime).
    days : float
        Days measured after the warm-up.
    targets : dict
        :func:`observed_targets` of ``study``.
    warmup_days : float
        Days simulated first and not measured (near-repeat boosts build up).

    Returns
    -------
    dict
        ``per_month`` and ``per_type`` (observed, simulated, relative error),
        ``concentration_50pct`` and ``spearman_micro_places``.
    """
    from ..sim.model import PatrolModel

    model = PatrolModel(scenario, study, policy="none", build_space=False)
    model.run_days(warmup_days + days)
    crimes = model.crimes_table()
    crimes = crimes[crimes["tick"] >= warmup_days * 1440]
    months = days / DAYS_PER_MONTH
    sim_type = (crimes["crime_type"].value_counts() / months).to_dict()
    sim_nodes = np.bincount(crimes["node"], minlength=study.network.n_nodes)
    obs_nodes = targets["node_counts"]
    rho = rank_correlation(study.network, sim_nodes, obs_nodes)
    per_type = {t: {"observed": round(v, 1), "simulated": round(sim_type.get(t, 0.0), 1),
                    "rel_error": round((sim_type.get(t, 0.0) - v) / v, 3)}
                for t, v in targets["per_month_by_type"].items()}
    conc_sim = concentration(sim_nodes, 0.5) if sim_nodes.sum() else math.nan
    conc_obs = thinned_concentration(obs_nodes, int(sim_nodes.sum()))
    return {"per_month": {"observed": round(targets["per_month"], 1),
                          "simulated": round(len(crimes) / months, 1),
                          "rel_error": round(len(crimes) / months / targets["per_month"] - 1, 3)},
            "per_type": per_type,
            "concentration_50pct": {"observed_at_same_volume": conc_obs, "simulated": conc_sim,
                                    "rel_error": (conc_sim - conc_obs) / conc_obs
                                    if conc_obs else math.nan},
            "spearman_micro_places": float(rho)}


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
        The rank correlation; NaN with fewer than three cells holding incidents.
    """
    place = micro_place(network)
    sim_place = np.bincount(place, weights=sim_nodes)
    obs_place = np.bincount(place, weights=obs_nodes)
    used = (sim_place + obs_place) > 0
    return stats.spearmanr(sim_place[used], obs_place[used]).statistic if used.sum() > 2 \
        else math.nan


def loss(s: dict) -> float:
    """The calibration objective: 0 when the simulation matches the data.

    Parameters
    ----------
    s : dict
        :func:`simulate_stats` output.

    Returns
    -------
    float
        Squared relative error of total volume, 0.2 x the mean squared relative error of
        the crime types with at least 5 a month, squared relative error of concentration
        (1 when unknown) and squared (1 - rank correlation).
    """
    vol = s["per_month"]["rel_error"]
    types = [abs(v["rel_error"]) for v in s["per_type"].values() if v["observed"] >= 5]
    conc = s["concentration_50pct"]["rel_error"]
    rho = s["spearman_micro_places"]
    conc = 1.0 if math.isnan(conc) else conc
    rho = 0.0 if math.isnan(rho) else rho
    return vol ** 2 + 0.2 * float(np.mean(np.square(types))) + conc ** 2 + (1 - rho) ** 2


def unpack(x: np.ndarray) -> dict:
    """Optimiser coordinates -> scenario values (log scale and squashing keep them in range).

    Parameters
    ----------
    x : numpy.ndarray
        log base rate, logit background share, attractor exponent.

    Returns
    -------
    dict
        ``risk.base_rate``, ``risk.background_share`` and
        ``offenders.attractor_exponent`` (clipped to 0..3).
    """
    return {"risk.base_rate": float(math.exp(x[0])),
            "risk.background_share": float(1 / (1 + math.exp(-x[1]))),
            "offenders.attractor_exponent": float(min(3.0, max(0.0, x[2])))}


def pack(scenario: Scenario) -> np.ndarray:
    """The scenario's fitted values as optimiser coordinates (the inverse of :func:`unpack`).

    Parameters
    ----------
    scenario : Scenario
        Settings whose ``risk`` and ``offenders`` values start the search.

    Returns
    -------
    numpy.ndarray
        log base rate, logit background share (kept off 0 and 1), attractor exponent.
    """
    r = scenario.risk
    share = min(max(r.background_share, 1e-4), 1 - 1e-4)
    return np.array([math.log(r.base_rate), math.log(share / (1 - share)),
                     scenario.offenders.attractor_exponent])


TYPE_ROUNDS = 2  # fixed-point rounds of the crime-type mix
FINISH_RUNS = TYPE_ROUNDS + 2  # then a volume check and the final statistics
CALIBRATE_STEPS = ("[1/2] fitting risk parameters (Nelder-Mead runs)",
                   "[2/2] crime-type mix and final volume check")


def calibrate(scenario: Scenario, study: Study, days: float = 60.0, max_evaluations: int = 40,
              progress=None, warmup_days: float = 28.0) -> Fit:
    """Fit the risk parameters with Nelder-Mead; returns the best values and their statistics.

    Parameters
    ----------
    scenario : Scenario
        Starting values and every other setting.
    study : Study
        The prepared study whose observed crime is the target.
    days : float
        Days measured in each run.
    max_evaluations : int
        Most Nelder-Mead model runs.
    progress : callable, optional
        ``progress(step, done, total, note)``, told after each model run: the
        Nelder-Mead evaluations (``note`` is the loss), then the crime-type mix and
        the final volume step (:data:`FINISH_RUNS` runs).
    warmup_days : float
        Days simulated before measuring in each run.

    Returns
    -------
    Fit
        The fitted values (with ``risk.type_weights``) and their statistics.

    Raises
    ------
    ConfigError
        When no crime is simulated at the fitted values (too few ``days``).
    """
    targets = observed_targets(study)
    report = progress or (lambda step, done, total, note="": None)
    history = []
    t0 = time.perf_counter()

    def objective(x):
        values = unpack(x)
        s = simulate_stats(scenario.replace(values), study, days, targets, warmup_days)
        value = loss(s)
        history.append({**values, "loss": value})
        report(CALIBRATE_STEPS[0], len(history), max_evaluations, f"loss {value:.3f}")
        return value

    result = optimize.minimize(objective, pack(scenario), method="Nelder-Mead",
                               options={"maxfev": max_evaluations, "xatol": 0.02, "fatol": 1e-3,
                                        "initial_simplex": initial_simplex(pack(scenario))})
    best = unpack(result.x)
    report(CALIBRATE_STEPS[1], 0, FINISH_RUNS)
    best["risk.type_weights"] = fit_type_weights(scenario.replace(best), study, days, targets,
                                                 warmup_days, rounds=TYPE_ROUNDS)
    report(CALIBRATE_STEPS[1], TYPE_ROUNDS, FINISH_RUNS)
    # volume is close to proportional to the base rate: one last proportional step
    check = simulate_stats(scenario.replace(best), study, days, targets, warmup_days)
    report(CALIBRATE_STEPS[1], TYPE_ROUNDS + 1, FINISH_RUNS)
    if check["per_month"]["simulated"] <= 0:
        raise ConfigError(f"calibrate: no crime was simulated in {days:g} days at the fitted "
                          "values, so the volume cannot be scaled; give more --days")
    best["risk.base_rate"] = float(best["risk.base_rate"] / (1 + check["per_month"]["rel_error"]))
    final = simulate_stats(scenario.replace(best), study, days, targets, warmup_days)
    report(CALIBRATE_STEPS[1], FINISH_RUNS, FINISH_RUNS)
    return Fit(params=best, stats=final, evaluations=len(history),
               seconds=time.perf_counter() - t0, history=history)


def fit_type_weights(scenario: Scenario, study: Study, days: float, targets: dict,
                     warmup_days: float, rounds: int = 2) -> dict:
    """Scale each crime type in the local mix by observed / simulated volume (fixed point).

    Offenders meet some kinds of place more than the data would have it (shops on their
    routes, parked cars in residential streets less), so the type mix is corrected after the
    spatial fit; the total volume barely moves because each node's mix is renormalised.

    Parameters
    ----------
    scenario, study, days, targets, warmup_days
        As for :func:`simulate_stats`.
    rounds : int
        Fixed-point rounds (one model run each).

    Returns
    -------
    dict
        ``risk.type_weights``: weight by police.uk crime type.
    """
    weights = dict(scenario.risk.type_weights)
    for _ in range(rounds):
        s = simulate_stats(scenario.replace({"risk.type_weights": weights}), study, days,
                           targets, warmup_days)
        for t, v in s["per_type"].items():
            if v["simulated"] > 0 and v["observed"] > 0:
                weights[t] = round(weights.get(t, 1.0) * v["observed"] / v["simulated"], 4)
    return weights


def initial_simplex(x0: np.ndarray) -> np.ndarray:
    """The Nelder-Mead start: ``x0`` and one step along each coordinate.

    Steps are x2 in base rate, +1 logit in background share and +0.3 in the attractor
    exponent: large enough to leave the noise of a short run.

    Parameters
    ----------
    x0 : numpy.ndarray
        :func:`pack` of the starting scenario.

    Returns
    -------
    numpy.ndarray
        A (4, 3) simplex.
    """
    steps = np.diag([math.log(2.0), 1.0, 0.3])
    return np.vstack([x0, x0 + steps])


def within_tolerance(s: dict) -> dict:
    """Which targets the fit meets (:data:`VOLUME_TOLERANCE`, :data:`CONCENTRATION_TOLERANCE`).

    Parameters
    ----------
    s : dict
        :func:`simulate_stats` output.

    Returns
    -------
    dict
        ``volume_total`` (bool), ``volume_by_type`` (bool per crime type with at least 5
        a month) and ``concentration`` (bool).
    """
    types_ok = {t: abs(v["rel_error"]) <= VOLUME_TOLERANCE for t, v in s["per_type"].items()
                if v["observed"] >= 5}
    return {"volume_total": abs(s["per_month"]["rel_error"]) <= VOLUME_TOLERANCE,
            "volume_by_type": types_ok,
            "concentration": abs(s["concentration_50pct"]["rel_error"]) <= CONCENTRATION_TOLERANCE}


def write_fit(fit: Fit, scenario: Scenario, out: Path) -> tuple[Path, Path]:
    """Write the calibrated scenario (TOML, usable with --scenario) and the fit statistics.

    Parameters
    ----------
    fit : Fit
        :func:`calibrate`'s result.
    scenario : Scenario
        The scenario that was calibrated.
    out : pathlib.Path
        Folder for ``<name>.toml`` and ``<name>_fit.json`` (made if missing).

    Returns
    -------
    tuple of pathlib.Path
        The TOML and JSON paths.
    """
    out.mkdir(parents=True, exist_ok=True)
    name = scenario.scenario.name
    calibrated = scenario.replace(fit.params)
    header = (f"# Calibrated from {scenario.source} by 'hotspot-sim calibrate' "
              f"({fit.evaluations} evaluations, {fit.seconds:.0f} s).\n"
              f"# Fit statistics: {name}_fit.json\n")
    toml_path = out / f"{name}.toml"
    toml_path.write_text(header + to_toml(calibrated))
    json_path = out / f"{name}_fit.json"
    json_path.write_text(json.dumps({"params": fit.params, "stats": fit.stats,
                                     "within_tolerance": within_tolerance(fit.stats),
                                     "evaluations": fit.evaluations, "seconds": fit.seconds,
                                     "history": fit.history}, indent=2, default=float))
    return toml_path, json_path


def format_fit(fit: Fit) -> str:
    """The fit as text for the terminal: values, volume by type, concentration, rank correlation.

    Parameters
    ----------
    fit : Fit
        :func:`calibrate`'s result.

    Returns
    -------
    str
        Lines without a trailing newline.
    """
    s = fit.stats
    ok = within_tolerance(s)
    lines = [f"Calibrated in {fit.evaluations} runs ({fit.seconds:.0f} s):"]
    lines += [f"  {k} = {v:.4g}" for k, v in fit.params.items() if not isinstance(v, dict)]
    if fit.params.get("risk.type_weights"):
        lines.append("  risk.type_weights = " + ", ".join(
            f"{t}: {w:.2f}" for t, w in fit.params["risk.type_weights"].items()))
    pm = s["per_month"]
    lines += ["", f"Incidents per month: observed {pm['observed']}, simulated {pm['simulated']} "
                  f"({100 * pm['rel_error']:+.1f}%, {'within' if ok['volume_total'] else 'outside'}"
                  " +-10%)"]
    lines.append(f"  {'crime type':<32} {'observed':>9} {'simulated':>9} {'error':>7}")
    for t, v in sorted(s["per_type"].items(), key=lambda kv: -kv[1]["observed"]):
        flag = "" if ok["volume_by_type"].get(t, True) else "  outside +-10%"
        lines.append(f"  {t:<32} {v['observed']:>9.1f} {v['simulated']:>9.1f} "
                     f"{100 * v['rel_error']:>+6.0f}%{flag}")
    c = s["concentration_50pct"]
    lines += ["", f"Share of nodes holding 50% of incidents: observed {100 * c['observed_at_same_volume']:.2f}% "
                  f"(at the simulated volume), simulated {100 * c['simulated']:.2f}% "
                  f"({100 * c['rel_error']:+.0f}%, {'within' if ok['concentration'] else 'outside'} +-20%)",
              f"Spearman rank correlation per {RANK_CELL_M:.0f} m cell: "
              f"{s['spearman_micro_places']:.2f}"]
    return "\n".join(lines)
