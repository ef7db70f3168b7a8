"""Simulated trials and their power: how many hot spots for how long?

* :func:`simulate_trial` -- a spot-day table drawn for a crossover, parallel
  or blocked design with a known effect;
* :func:`power` and :func:`smallest_adequate` -- Monte Carlo power for a grid
  of hot spots x days and the cheapest design that reaches the target.

Trial designs (published trials):

``crossover``
    Every hot spot is re-randomised every day, with a fixed number treated per
    day: Basford et al. (2021), 20 hot spots x 90 days, 8 treated a day (720
    treatment / 1,080 control place-days); Bland et al. (2021), 21 LSOAs, 7
    treated a day, 90 days; Barnes et al. (2020), 15 hot spots, 248 days.
``parallel``
    A fixed half of the hot spots is treated for the whole trial: Sherman &
    Weisburd (1995), 110 hot spots, 55 treated.
``block``
    Hot spots are ranked by baseline rate and grouped into consecutive blocks
    (pairs by default); within each block a fixed share is treated for the
    whole trial (matched-pair version of the parallel design).

Effect sizes to plan for: Braga et al. (2019) find a small mean effect, d about
0.12 (about 8% fewer crimes), about 16% on log rate ratios -- i.e. rate ratios
of about 0.84-0.92.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError, DataError
from .estimator import _group_sum, _stratified_poisson
from .spot_days import COVS, DESIGNS, _check_choice
from .stats import CHUNK_ELEMENTS, _log_ratio, _two_sided_p

ANALYSES = ("glm", "permutation")


# --------------------------------------------------------------------------- simulation


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def _check_rates(baseline_rates) -> np.ndarray:
    rates = np.atleast_1d(np.asarray(baseline_rates, dtype=float))
    if rates.ndim != 1 or rates.size == 0:
        raise ConfigError("baseline_rates must be a number or a non-empty 1-D array")
    if not np.isfinite(rates).all() or (rates < 0).any():
        raise ConfigError("baseline_rates must be finite and >= 0 (mean crimes per spot-day)")
    return rates


def _check_sim_args(design, n_hotspots, n_days, effect, dispersion, treat_share, block_size):
    _check_choice("design", design, DESIGNS)
    for name, v, lo in (("n_hotspots", n_hotspots, 2), ("n_days", n_days, 1),
                        ("block_size", block_size, 2)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
            raise ConfigError(f"{name}={v!r} must be an integer >= {lo}")
    if not (isinstance(effect, numbers.Real) and math.isfinite(effect) and effect >= 0):
        raise ConfigError(f"effect={effect!r} must be a rate ratio >= 0 (e.g. 0.85)")
    if dispersion is not None and not (isinstance(dispersion, numbers.Real)
                                       and math.isfinite(dispersion) and dispersion > 0):
        raise ConfigError(f"dispersion={dispersion!r} must be None (Poisson) or > 0 (NB alpha)")
    if not 0 < treat_share < 1:
        raise ConfigError(f"treat_share={treat_share!r} must be strictly between 0 and 1")
    if design != "block":
        k = _round_half_up(treat_share * n_hotspots)
        if not 0 < k < n_hotspots:
            raise ConfigError(f"treat_share={treat_share} with n_hotspots={n_hotspots} treats "
                              f"{k} hot spots; need at least one treated and one control")


def _block_of_rank(n: int, block_size: int) -> np.ndarray:
    """Block of each rank position: consecutive groups, remainder joins the last."""
    n_blocks = max(n // block_size, 1)
    return np.minimum(np.arange(n) // block_size, n_blocks - 1)


def _assign(design, m, H, D, rates, treat_share, block_size, rng):
    """Treatment (m, H, D) bool and block id (m, H) for ``m`` simulated trials."""
    blocks = np.zeros((m, H), dtype=np.int64)
    if design == "crossover":
        k = _round_half_up(treat_share * H)
        keys = rng.random((m, H, D))
        thr = np.partition(keys, k - 1, axis=1)[:, k - 1:k, :]
        return keys <= thr, blocks
    if design == "parallel":
        k = _round_half_up(treat_share * H)
        keys = rng.random((m, H))
        thr = np.partition(keys, k - 1, axis=1)[:, k - 1:k]
        return np.broadcast_to((keys <= thr)[:, :, None], (m, H, D)), blocks
    order = np.argsort(rates + rng.random((m, H)) * 1e-9, axis=1)  # rank by rate
    b_rank = _block_of_rank(H, block_size)
    sizes = np.bincount(b_rank)
    n_treat = np.clip(np.floor(treat_share * sizes + 0.5).astype(int), 1, sizes - 1)
    within = np.argsort(np.argsort(b_rank + rng.random((m, H)), axis=1), axis=1) \
        - np.concatenate([[0], np.cumsum(sizes)[:-1]])[b_rank]
    treat_rank = within < n_treat[b_rank]
    treat = np.empty((m, H), dtype=bool)
    np.put_along_axis(treat, order, treat_rank, axis=1)
    np.put_along_axis(blocks, order, np.broadcast_to(b_rank, (m, H)), axis=1)
    return np.broadcast_to(treat[:, :, None], (m, H, D)), blocks


def _simulate(design, m, H, D, rates, effect, dispersion, treat_share, block_size, rng):
    """Vectorised draw of ``m`` trials: counts (m, H, D), treated, blocks, rates (m, H)."""
    if rates.size == H:
        spot_rates = np.broadcast_to(rates, (m, H)).copy()
    else:
        spot_rates = rng.choice(rates, size=(m, H), replace=True)
    X, blocks = _assign(design, m, H, D, spot_rates, treat_share, block_size, rng)
    mu = spot_rates[:, :, None] * np.where(X, effect, 1.0)
    if dispersion is not None:
        mu = mu * rng.gamma(1.0 / dispersion, dispersion, size=mu.shape)
    return rng.poisson(mu), X, blocks, spot_rates


def simulate_trial(design: str, n_hotspots: int, n_days: int,
                   baseline_rates: float | Sequence[float] | np.ndarray, effect: float,
                   dispersion: float | None = None, treat_share: float = 0.5, seed: int = 0,
                   block_size: int = 2) -> pd.DataFrame:
    """Draw the spot-day table of one trial with a known effect.

    Parameters
    ----------
    design : {"crossover", "parallel", "block"}
        ``crossover``: every day exactly ``round(treat_share * n_hotspots)``
        hot spots are treated, drawn afresh each day (Basford et al. 2021,
        Bland et al. 2021).  ``parallel``: that many hot spots are treated on
        every day of the trial (Sherman & Weisburd 1995).  ``block``: hot
        spots ranked by baseline rate form consecutive blocks of
        ``block_size`` (a remainder joins the top block); in each block
        ``round(treat_share * size)`` (at least 1, at most size - 1) are
        treated for the whole trial.
    n_hotspots, n_days : int
        Trial size.
    baseline_rates : float or array
        Mean crimes per spot-day without patrol.  Used in order when it has
        exactly ``n_hotspots`` values; otherwise hot spot rates are drawn
        from it with replacement.
    effect : float
        Rate ratio on treated spot-days (0.85 = 15% fewer crimes; 1 = none).
    dispersion : float or None
        None: Poisson counts.  Otherwise negative binomial NB2 with this
        alpha (gamma-Poisson, Var = mu + alpha mu^2), independent by spot-day.
    treat_share : float
        Share of hot spots treated (per day, or for the trial).
    seed : int
        Random seed.
    block_size : int
        Block size for ``design="block"`` (2 = matched pairs).

    Returns
    -------
    DataFrame
        ``hotspot_id`` (0..n-1), ``day`` (0..n_days-1), ``treated``,
        ``crimes``, ``baseline_rate``, and ``block`` (block design only).

    Raises
    ------
    ConfigError
        Unknown design; sizes that are not whole numbers (at least 2 hot
        spots, 1 day, blocks of 2); a negative or non-finite effect, rate or
        dispersion; a ``treat_share`` that leaves no treated or no control
        hot spot.
    """
    _check_sim_args(design, n_hotspots, n_days, effect, dispersion, treat_share, block_size)
    rates = _check_rates(baseline_rates)
    rng = np.random.default_rng(seed)
    Y, X, blocks, spot_rates = _simulate(design, 1, n_hotspots, n_days, rates, effect,
                                         dispersion, treat_share, block_size, rng)
    H, D = n_hotspots, n_days
    out = pd.DataFrame({
        "hotspot_id": np.repeat(np.arange(H), D),
        "day": np.tile(np.arange(D), H),
        "treated": X[0].ravel(),
        "crimes": Y[0].ravel().astype(np.int64),
        "baseline_rate": np.repeat(spot_rates[0], D),
    })
    if design == "block":
        out["block"] = np.repeat(blocks[0], D)
    return out


# --------------------------------------------------------------------------- power


def _analyse_glm(design, Y, X, blocks, cov, use_t):
    """p-values and estimates of the design's own Poisson GLM, fast path.

    Strata: hot spots (crossover), none (parallel), blocks (block).  Clusters:
    hot spots, except blocks for the block design.
    """
    m, H, D = Y.shape
    y1 = (Y * X).sum(2).astype(float)
    n = Y.sum(2).astype(float)
    t = X.sum(2).astype(float)
    spots = np.broadcast_to(np.arange(H), (m, H))
    strata = {"crossover": spots, "parallel": np.zeros((m, H), dtype=np.int64),
              "block": blocks}[design]
    clusters = blocks if design == "block" else spots
    beta, se, deg, G = _stratified_poisson(y1, n, t, D - t, strata, clusters, cov=cov)
    if use_t:
        k = (_group_sum(n, strata, int(strata.max()) + 1) > 0).sum(1) + 1
        df = G - 1.0 if cov == "cluster" else H * D - k
        dist = stats.t(np.maximum(df, 1))
    else:
        dist = stats.norm
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(deg, 1.0, 2 * dist.sf(np.abs(beta / se)))
    return p, beta, deg


def _perm_assignments(design, H, D, treat_share, block_size, P, rng):
    """P re-drawn assignments (P, H*D) for the simulated designs.

    For the block design the blocks are in rank order of the baseline rate,
    which differs between simulated trials; the assignments are returned in
    rank space and mapped per trial by the caller.
    """
    rates = np.zeros((P, H))
    X, _ = _assign(design, P, H, D, rates + np.arange(H), treat_share, block_size, rng)
    return X.reshape(P, H * D).astype(float)


def _analyse_perm(design, Y, X, blocks, P, treat_share, block_size, rng):
    """Permutation p-values (log ratio statistic) for every simulated trial."""
    m, H, D = Y.shape
    Xp = _perm_assignments(design, H, D, treat_share, block_size, P, rng)  # (P, H*D)
    if design == "block":
        # Xp's blocks are consecutive rank positions; sorting each trial's spots
        # by its block id gives the same block sizes in the same positions.
        order = np.argsort(blocks, axis=1, kind="stable")[:, :, None]
        Y = np.take_along_axis(Y, order, axis=1)
        X = np.take_along_axis(X, order, axis=1)
    Yf = Y.reshape(m, H * D).astype(float)
    Xf = X.reshape(m, H * D).astype(float)
    total, n = Yf.sum(1), float(H * D)
    obs = _log_ratio((Xf * Yf).sum(1), Xf.sum(1), total, n)
    null = _log_ratio(Xp @ Yf.T, Xp.sum(1)[:, None], total[None, :], n)  # (P, m)
    p = _two_sided_p(obs, null)
    deg = total == 0
    return np.where(deg, 1.0, p), obs, deg


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if n == 0:
        return math.nan, math.nan
    ph = k / n
    den = 1 + z * z / n
    mid = (ph + z * z / (2 * n)) / den
    half = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


POWER_STEP = "power: simulated trials per (hot spots, days) cell"


def power(design: str, hotspots: Sequence[int], days: Sequence[int],
          baseline_rates: float | Sequence[float] | np.ndarray, effect: float,
          alpha: float = 0.05, n_sims: int = 200, analysis: str = "glm",
          seed: int = 0, dispersion: float | None = None, treat_share: float = 0.5,
          cov: str = "auto", use_t: bool | None = None, n_permutations: int = 199,
          block_size: int = 2,
          progress: Callable[[str, int, int], None] | None = None) -> pd.DataFrame:
    """Monte Carlo power of a trial for every (hot spots, days) combination.

    For each cell ``n_sims`` trials are drawn by the same mechanism as
    :func:`simulate_trial` and each is analysed as the trial would be; power
    is the share with a two-sided p < ``alpha``.

    ``analysis="glm"`` uses the design's own Poisson GLM by the fast
    conditional estimator (identical to statsmodels, see
    :func:`conditional_poisson`): hot spot fixed effects for a crossover; one
    intercept for a parallel design; block fixed effects for a block design.
    ``cov="auto"`` gives model-based errors for a crossover with Poisson
    counts, and cluster-robust errors otherwise: model errors ignore
    over-dispersion, and in parallel and block designs the differences
    between hot spots, and are then too small (clusters are hot spots, or
    blocks for the block design).  Cluster-robust p-values use
    a t reference with G - 1 degrees of freedom unless ``use_t=False``
    (with few clusters the normal reference rejects too often; even so a
    parallel design with 10-30 hot spots rejects about 7% of null trials at
    alpha = 0.05, the known small-sample bias of CRV1).  A simulated trial
    whose MLE is infinite (no crime at all in one arm) counts as not
    detecting the effect (its Wald test is undefined).

    ``analysis="permutation"`` runs the log-ratio randomisation test with
    ``n_permutations`` re-drawn assignments per trial (the same set of
    assignments serves all trials of a cell, which is valid for each trial);
    the smallest attainable p is 2/(n_permutations+1) and a trial counts as
    detecting the effect when p <= alpha (exact size alpha when
    alpha * (n_permutations + 1) / 2 is a whole number, as for 199 and 0.05).
    Few hot spots limit it: a block design with 5 pairs has only 32
    assignments.

    Parameters
    ----------
    design : {"crossover", "parallel", "block"}
        How the trial assigns treatment (see :func:`simulate_trial`).
    hotspots, days : sequence of int
        Grid values (see :func:`hotspot_sim.checks.parse_range`).
    baseline_rates, effect, dispersion, treat_share, block_size
        As :func:`simulate_trial`.  Rates are resampled per trial when there
        are not exactly as many as hot spots.
    alpha : float
        Significance level.
    n_sims : int
        Simulated trials per cell.
    analysis : {"glm", "permutation"}
        Wald test of the design's Poisson GLM, or the randomisation test.
    seed : int
        Root seed; each cell's stream depends only on (seed, hotspots, days),
        so a cell gives the same result in any grid.
    cov : {"auto", "model", "cluster"}
        Standard errors for ``analysis="glm"`` (``"auto"``: see above).
    use_t : bool or None
        t reference for the Wald test; None = with cluster-robust errors only.
    n_permutations : int
        Permutations per trial for ``analysis="permutation"``.
    progress : callable, optional
        ``progress(step, done, total)``, told after each cell.

    Returns
    -------
    DataFrame
        One row per cell: ``design, hotspots, days, spot_days, effect,
        power, ci_low, ci_high`` (Wilson 95% interval of the Monte Carlo
        estimate), ``n_sims, n_degenerate, median_rate_ratio, seconds``.

    Raises
    ------
    ConfigError
        Unknown analysis or cov, ``alpha`` outside (0, 1), counts that are not
        positive whole numbers, or trial settings :func:`simulate_trial`
        rejects.
    """
    _check_choice("analysis", analysis, ANALYSES)
    _check_choice("cov", cov, ("auto", *COVS))
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha={alpha!r} must be between 0 and 1")
    for name, v in (("n_sims", n_sims), ("n_permutations", n_permutations)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ConfigError(f"{name}={v!r} must be a positive integer")
    hotspots, days = _grid_values("hotspots", hotspots), _grid_values("days", days)
    rates = _check_rates(baseline_rates)
    for H in hotspots:
        _check_sim_args(design, H, days[0], effect, dispersion, treat_share, block_size)
    if cov == "auto":
        use_cov = "model" if design == "crossover" and dispersion is None else "cluster"
    else:
        use_cov = cov
    t_ref = (use_cov == "cluster") if use_t is None else bool(use_t)
    rows = []
    for H in hotspots:
        for D in days:
            if progress:
                progress(POWER_STEP, len(rows), len(hotspots) * len(days))
            t0 = time.perf_counter()
            rng = np.random.default_rng([seed, H, D])
            p, est, deg = _power_cell(design, H, D, rates, effect, dispersion, treat_share,
                                      block_size, n_sims, analysis, use_cov, t_ref,
                                      n_permutations, rng)
            k = int(np.sum(p <= alpha if analysis == "permutation" else p < alpha))
            lo, hi = _wilson(k, n_sims)
            finite = est[np.isfinite(est)]
            rows.append({"design": design, "hotspots": H, "days": D, "spot_days": H * D,
                         "effect": effect, "power": k / n_sims, "ci_low": lo, "ci_high": hi,
                         "n_sims": n_sims, "n_degenerate": int(deg.sum()),
                         "median_rate_ratio": float(np.exp(np.median(finite)))
                         if finite.size else math.nan,
                         "seconds": time.perf_counter() - t0})
    if progress:
        progress(POWER_STEP, len(rows), len(rows))
    return pd.DataFrame(rows)


def _grid_values(name: str, values) -> list[int]:
    if isinstance(values, (int, np.integer)):
        values = [values]
    try:
        out = [int(v) for v in values]
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={values!r} must be a list of positive integers") from None
    if not out or any(v < 1 for v in out) or any(int(v) != v for v in values):
        raise ConfigError(f"{name}={values!r} must be a non-empty list of positive integers")
    return out


def _power_cell(design, H, D, rates, effect, dispersion, treat_share, block_size, n_sims,
                analysis, cov, use_t, n_perm, rng):
    chunk = max(1, CHUNK_ELEMENTS // (H * D))
    ps, ests, degs = [], [], []
    for start in range(0, n_sims, chunk):
        m = min(chunk, n_sims - start)
        Y, X, blocks, _ = _simulate(design, m, H, D, rates, effect, dispersion,
                                    treat_share, block_size, rng)
        if analysis == "glm":
            p, est, deg = _analyse_glm(design, Y, X, blocks, cov, use_t)
        else:
            p, est, deg = _analyse_perm(design, Y, X, blocks, n_perm, treat_share,
                                        block_size, rng)
        ps.append(p)
        ests.append(est)
        degs.append(deg)
    return np.concatenate(ps), np.concatenate(ests), np.concatenate(degs)


def smallest_adequate(table: pd.DataFrame, target: float = 0.8,
                      conservative: bool = False) -> pd.Series | None:
    """The cheapest design in a power table that reaches the target power.

    Cheapest = fewest spot-days (hot spots x days); ties go to the higher
    power, then to fewer hot spots.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`power` (needs ``hotspots``, ``days``, ``power``, and
        ``ci_low`` when ``conservative``).
    target : float
        Power to reach (0.8 by convention).
    conservative : bool
        Require the lower end of the Monte Carlo interval (``ci_low``), not
        the estimate, to reach the target.

    Returns
    -------
    Series or None
        The chosen row, or None when no cell reaches the target.

    Raises
    ------
    ConfigError
        ``target`` outside (0, 1].
    DataError
        ``table`` is not a power table.
    """
    if not 0 < target <= 1:
        raise ConfigError(f"target={target!r} must be in (0, 1]")
    col = "ci_low" if conservative else "power"
    need = ["hotspots", "days", col]
    if not isinstance(table, pd.DataFrame) or any(c not in table.columns for c in need):
        raise DataError(f"table must be a DataFrame with columns {need} (the output of power)")
    t = table.assign(_spot_days=table["hotspots"] * table["days"])
    ok = t[t[col] >= target]
    if ok.empty:
        return None
    best = ok.sort_values(["_spot_days", col, "hotspots"], ascending=[True, False, True])
    return best.iloc[0].drop("_spot_days")


