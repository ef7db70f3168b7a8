"""Trial statistics on a spot-day table: GLM rate ratio, fast estimator, randomisation test.

* :func:`rate_ratio_glm` -- the rate ratio a trial report would quote: a
  Poisson or negative binomial GLM (log link) of the outcome on the treatment
  indicator with hot spot fixed effects, with a 95% CI and a Wald p-value,
  model-based or cluster-robust by hot spot (statsmodels);
* :func:`conditional_poisson` -- the same Poisson fixed-effects estimate,
  computed by the fast conditional estimator (:mod:`.estimator`);
* :func:`permutation_test` -- a randomisation test that re-draws the
  assignment exactly as the design did.

The table's columns are described in :mod:`hotspot_sim.trial.spot_days`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import ConfigError, DataError
from .estimator import _stratified_poisson
from .spot_days import (
    COVS,
    DESIGNS,
    TrialResult,
    _check_choice,
    _check_effect_sides,
    _check_table,
    _check_varies,
    _codes,
    _drop_empty_strata,
    _result,
    _wald,
)

FAMILIES = ("poisson", "negbin")
STATISTICS = ("log_ratio", "glm")
# Cap on elements of one chunk of permutations (permutations x spot-days) or of
# simulated trials (sims x spots x days): about 32 MB of float64 per array, so
# neither a permutation test nor the power grid ever needs much memory.
CHUNK_ELEMENTS = 4_000_000


# --------------------------------------------------------------------------- GLM


def _mm_alpha(y: np.ndarray, mu: np.ndarray) -> float:
    """Method-of-moments NB2 dispersion from a Poisson fit.

    Var(y) = mu + alpha * mu**2, so alpha = sum((y - mu)**2 - y) / sum(mu**2)
    (Cameron & Trivedi 2013, section 3.2).  Clipped at 1e-8 (no
    over-dispersion means the negative binomial is the Poisson).
    """
    alpha = float(np.sum((y - mu) ** 2 - y) / np.sum(mu**2))
    return max(alpha, 1e-8)


def rate_ratio_glm(df: pd.DataFrame, outcome: str = "crimes", family: str = "poisson",
                   fixed_effects: Sequence[str] = ("hotspot_id",), day_effects: bool = False,
                   cov: str = "model", cluster: str = "hotspot_id",
                   use_t: bool = False) -> TrialResult:
    """Rate ratio of the outcome on treated vs control spot-days by GLM.

    Fits ``log E[y] = beta * treated + fixed effects`` with statsmodels GLM.

    Parameters
    ----------
    df : DataFrame
        Spot-day table (see module docstring).
    outcome : str
        Outcome column: ``"crimes"`` (counts) or ``"harm"`` (CHI days; then
        the Poisson GLM is a quasi-likelihood and ``cov="cluster"`` is the
        honest choice).
    family : {"poisson", "negbin"}
        ``"negbin"``: GLM negative binomial (NB2) with alpha fixed at the
        method-of-moments estimate from the Poisson fit with the same terms,
        ``sum((y - mu)^2 - y) / sum(mu^2)``.  This avoids the unstable joint
        ML of alpha with many fixed effects; the alpha used is reported.
    fixed_effects : sequence of str
        Columns whose levels get their own intercept.  Hot spot effects for a
        crossover (each place is its own control); ``()`` for a parallel
        design (one intercept); ``("block",)`` for a block design.
    day_effects : bool
        Also add one effect per ``day`` (seasonality, weekday).
    cov : {"model", "cluster"}
        Model-based standard errors, or cluster-robust (CRV1, statsmodels'
        small-sample correction) by the ``cluster`` column.
    cluster : str
        Column to cluster on: the hot spot, or ``"block"`` for a block design
        (with pairs, clustering by hot spot under block fixed effects halves
        the variance and gives far too many false positives).
    use_t : bool
        Student t reference for the CI and p-value: G - 1 degrees of freedom
        with ``cov="cluster"`` (G clusters), n - k otherwise.  Advisable with
        fewer than about 40 clusters.

    Returns
    -------
    TrialResult

    Raises
    ------
    DataError
        Missing columns, negative or missing outcomes, no treated or no
        control days, an outcome that is zero everywhere or in one arm.
    ConfigError
        Unknown family/cov, or treatment constant within every fixed-effect
        group (not identified).
    """
    _check_choice("family", family, FAMILIES)
    _check_choice("cov", cov, COVS)
    fe = tuple(fixed_effects)
    need = [*fe, *(["day"] if day_effects else []), *([cluster] if cov == "cluster" else [])]
    data = _check_table(df, outcome, need)
    data, n_dropped = _drop_empty_strata(data, outcome, fe)
    _check_effect_sides(data, outcome)
    _check_varies(data, fe)
    X = _design_matrix(data, fe, day_effects)
    y = data[outcome].to_numpy(float)
    fit_kw = {}
    if cov == "cluster":
        groups = _codes(data, [cluster])
        if len(np.unique(groups)) < 2:  # statsmodels divides by (clusters - 1)
            raise DataError(f"cluster-robust errors need at least 2 clusters ({cluster!r}) with "
                            f"{outcome} after empty strata are dropped; this table has "
                            f"{len(np.unique(groups))}")
        fit_kw = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    res, alpha = _fit_glm(y, X, family, fit_kw)
    beta, se = float(res.params[0]), float(res.bse[0])
    df_t = None
    if use_t:
        df_t = (float(data[cluster].nunique() - 1) if cov == "cluster"
                else float(len(y) - X.shape[1]))
    rr, lo, hi, p = _wald(beta, se, df_t)
    terms = ", ".join([f"FE {'+'.join(fe)}"] if fe else ["intercept"]) + \
        (", day FE" if day_effects else "")
    fam = "poisson" if family == "poisson" else f"negbin (MoM alpha={alpha:.4g})"
    return _result(data, outcome, rr, lo, hi, p, f"{fam} GLM, {terms}, cov={cov}", beta, se,
                   cov, alpha, n_dropped, df_t)


def _design_matrix(data: pd.DataFrame, fe: Sequence[str], day_effects: bool) -> np.ndarray:
    """[treated, FE dummies (full set for the first), day dummies minus one]."""
    n = len(data)
    blocks = [data["treated"].to_numpy(float)[:, None]]
    groups = [list(fe)] if fe else []
    if not fe:
        blocks.append(np.ones((n, 1)))
    if day_effects:
        groups.append(["day"])
    for i, cols in enumerate(groups):
        codes = _codes(data, cols)
        k = int(codes.max()) + 1
        dummies = np.zeros((n, k))
        dummies[np.arange(n), codes] = 1.0
        drop = 1 if (i > 0 or not fe) else 0  # one full set only
        blocks.append(dummies[:, drop:])
    return np.hstack(blocks)


def _fit_glm(y: np.ndarray, X: np.ndarray, family: str, fit_kw: dict):
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, PerfectSeparationWarning,
                                         RuntimeWarning))
        pois = sm.GLM(y, X, family=sm.families.Poisson()).fit(**fit_kw)
        if family == "poisson":
            return pois, None
        alpha = _mm_alpha(y, pois.fittedvalues)
        nb = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=alpha)).fit(
            start_params=pois.params, **fit_kw)
        return nb, alpha



# --------------------------------------------------------------------------- fast estimator


def conditional_poisson(df: pd.DataFrame, outcome: str = "crimes",
                        strata: Sequence[str] = ("hotspot_id",), cov: str = "model",
                        cluster: str = "hotspot_id", use_t: bool = False) -> TrialResult:
    """Poisson rate ratio with stratum fixed effects by the fast conditional estimator.

    Gives the same estimate, standard error and p-value as
    ``rate_ratio_glm(df, family="poisson", fixed_effects=strata, cov=cov,
    cluster=cluster, use_t=use_t)``
    (to about 1e-8) without building a design matrix: see
    :func:`hotspot_sim.trial.estimator._stratified_poisson`.  No day effects.

    Parameters
    ----------
    df : DataFrame
        Spot-day table.
    outcome : str
        Outcome column.
    strata : sequence of str
        Fixed-effect columns (``()`` = one intercept, for a parallel design).
    cov : {"model", "cluster"}
        Model-based or cluster-robust (by ``cluster``) standard errors.
    cluster : str
        Cluster column.
    use_t : bool
        Student t reference (see :func:`rate_ratio_glm`).

    Returns
    -------
    TrialResult
        As :func:`rate_ratio_glm` (``alpha`` is None: Poisson only).

    Raises
    ------
    DataError
        As :func:`rate_ratio_glm`.
    ConfigError
        Unknown ``cov``, or treatment constant within every stratum.
    """
    _check_choice("cov", cov, COVS)
    fe = tuple(strata)
    data = _check_table(df, outcome, [*fe, cluster])
    data, n_dropped = _drop_empty_strata(data, outcome, fe)
    _check_effect_sides(data, outcome)
    _check_varies(data, fe)
    s_code = _codes(data, fe)
    g_code = _codes(data, [cluster])
    tr = data["treated"].to_numpy()
    y = data[outcome].to_numpy(float)
    cell = pd.DataFrame({"s": s_code, "g": g_code, "y1": y * tr, "n": y,
                         "t": tr.astype(float), "c": (~tr).astype(float)})
    agg = cell.groupby(["s", "g"], sort=False).sum().reset_index()
    beta, se, _, G = _stratified_poisson(
        agg[["y1"]].to_numpy().T, agg[["n"]].to_numpy().T, agg[["t"]].to_numpy().T,
        agg[["c"]].to_numpy().T, agg["s"].to_numpy()[None, :], agg["g"].to_numpy()[None, :],
        cov=cov)
    df_t = None
    if use_t:
        k = int(agg["s"].nunique()) + 1
        df_t = float(G[0] - 1) if cov == "cluster" else float(len(data) - k)
    rr, lo, hi, p = _wald(float(beta[0]), float(se[0]), df_t)
    terms = f"FE {'+'.join(fe)}" if fe else "intercept"
    return _result(data, outcome, rr, lo, hi, p,
                   f"conditional poisson, {terms}, cov={cov}", float(beta[0]), float(se[0]),
                   cov, None, n_dropped, df_t)


# --------------------------------------------------------------------------- permutation


def _perm_groups(data: pd.DataFrame, design: str):
    """How to re-draw the assignment: ('rows'|'spots', group codes, spot index)."""
    spot = _codes(data, ["hotspot_id"])
    constant = (data.groupby(spot)["treated"].nunique() == 1).all()
    if design == "crossover":
        if "day" not in data.columns:
            raise DataError("df has no 'day' column, which design='crossover' needs")
        return "rows", _codes(data, ["day"]), spot
    if design == "parallel":
        if not constant:
            raise DataError("design='parallel' but df['treated'] changes within a hot spot; "
                            "use design='crossover'")
        return "spots", np.zeros(int(spot.max()) + 1, dtype=np.int64), spot
    if "block" not in data.columns:
        raise DataError("df has no 'block' column, which design='block' needs")
    if constant:
        first = data.groupby(spot)["block"].first()
        if (data.groupby(spot)["block"].nunique() > 1).any():
            raise DataError("df['block'] changes within a hot spot")
        return "spots", _codes(first.to_frame(), ["block"]), spot
    if "day" not in data.columns:
        raise DataError("df has no 'day' column; design='block' with daily assignment needs it")
    return "rows", _codes(data, ["block", "day"]), spot


def _permute_within(labels: np.ndarray, groups: np.ndarray, n_perm: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``n_perm`` permutations of ``labels`` within ``groups`` (shape (n_perm, n))."""
    order = np.argsort(groups, kind="stable")
    g_sorted = groups[order].astype(float)
    keys = rng.random((n_perm, len(labels))) + g_sorted
    perm = np.argsort(keys, axis=1)  # stays inside each group's slots
    out = np.empty((n_perm, len(labels)), dtype=labels.dtype)
    out[:, order] = labels[order][perm]
    return out


def _two_sided_p(observed: np.ndarray, null: np.ndarray) -> np.ndarray:
    """Two-sided permutation p-value with the +1 correction, per column of ``null``.

    Twice the smaller one-sided p-value, each (1 + #as extreme) / (P + 1),
    capped at 1.  Doubling (rather than comparing absolute values) stays
    valid when the permutation distribution is not centred on 0, as with the
    log ratio in blocks of unequal treated share.
    """
    P = null.shape[0]
    tol = 1e-12 * np.maximum(np.abs(observed), 1.0)
    with np.errstate(invalid="ignore"):
        lower = (null <= observed + tol).sum(0)
        upper = (null >= observed - tol).sum(0)
    return np.minimum(1.0, 2 * (1 + np.minimum(lower, upper)) / (P + 1))


def _log_ratio(s1, n1, total, n):
    """log(mean treated / mean control) from treated sum/count and overall sum/count."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(s1 / n1) - np.log((total - s1) / (n - n1))


def permutation_test(df: pd.DataFrame, outcome: str = "crimes", n_permutations: int = 2000,
                     seed: int = 0, design: str = "crossover",
                     statistic: str = "log_ratio") -> dict:
    """Randomisation test of "no effect" that re-draws the assignment as the design did.

    * ``crossover``: within each day the treated labels are shuffled among the
      hot spots observed that day, so every day keeps its number treated.
    * ``parallel``: which hot spots are treated is shuffled; each keeps its
      label for every day (the treatment must be constant within a spot).
    * ``block``: labels are shuffled within blocks -- among hot spots when the
      treatment is fixed per spot, otherwise within block x day.

    Parameters
    ----------
    df : DataFrame
        Spot-day table.
    outcome : str
        Outcome column (counts or harm).
    n_permutations : int
        Re-drawn assignments (>= 1).
    seed : int
        Seed: the same seed gives the same p-value.
    design : {"crossover", "parallel", "block"}
        How the trial assigned treatment.
    statistic : {"log_ratio", "glm"}
        ``"log_ratio"``: log(mean treated / mean control).  ``"glm"``: the
        Poisson log rate ratio with hot spot fixed effects (crossover, or
        block fixed effects for block) by :func:`_stratified_poisson`; more
        powerful when hot spots differ a lot, slower.

    Returns
    -------
    dict
        ``statistic`` (observed), ``rate_ratio`` (exp of it), ``p_value``
        (two-sided: twice the smaller one-sided (1 + #as extreme) /
        (n_permutations + 1), capped at 1),
        ``n_permutations``, ``design``, ``null_mean`` and ``null_sd`` of the
        permutation distribution.

    Raises
    ------
    ConfigError
        Unknown design or statistic, or ``n_permutations`` not a positive
        integer.
    DataError
        A table :func:`rate_ratio_glm` would reject, a column the design needs
        (``day``, ``block``) missing, or an assignment that does not match the
        design (treatment changing within a hot spot of a parallel trial).
    """
    _check_choice("design", design, DESIGNS)
    _check_choice("statistic", statistic, STATISTICS)
    if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
        raise ConfigError(f"n_permutations={n_permutations!r} must be a positive integer")
    data = _check_table(df, outcome).reset_index(drop=True)
    level, groups, spot = _perm_groups(data, design)
    y = data[outcome].to_numpy(float)
    tr = data["treated"].to_numpy()
    if level == "spots":
        labels = data.groupby(spot)["treated"].first().to_numpy()
    else:
        labels = tr
    stat_fn = _perm_statistic(data, y, spot, level, design, statistic)
    observed = float(stat_fn(labels[None, :].astype(float))[0])
    rng = np.random.default_rng(seed)
    chunk = max(1, CHUNK_ELEMENTS // max(len(labels), 1) // 4)
    null = []
    for start in range(0, n_permutations, chunk):
        k = min(chunk, n_permutations - start)
        null.append(stat_fn(_permute_within(labels, groups, k, rng).astype(float)))
    null = np.concatenate(null)
    p_value = float(_two_sided_p(np.array([observed]), null[:, None])[0])
    return {"statistic": observed, "rate_ratio": float(np.exp(observed)),
            "p_value": p_value, "n_permutations": n_permutations,
            "design": design, "null_mean": float(np.nanmean(null[np.isfinite(null)])),
            "null_sd": float(np.nanstd(null[np.isfinite(null)]))}


def _perm_statistic(data, y, spot, level, design, statistic):
    """Function mapping assignments (P, n_labels) to statistics (P,)."""
    n_spots = int(spot.max()) + 1
    spot_y = np.bincount(spot, weights=y, minlength=n_spots)
    spot_n = np.bincount(spot, minlength=n_spots).astype(float)
    total, n = float(y.sum()), float(len(y))
    if statistic == "log_ratio":
        if level == "spots":
            return lambda L: _log_ratio(L @ spot_y, L @ spot_n, total, n)
        return lambda L: _log_ratio(L @ y, L.sum(1), total, n)
    # GLM statistic: strata are hot spots (crossover) or blocks; clusters are spots.
    if design == "block":
        s_code = _codes(data, ["block"])
    elif design == "crossover":
        s_code = spot
    else:
        s_code = np.zeros(len(data), dtype=np.int64)
    uniq, cell_idx = np.unique(s_code * n_spots + spot, return_inverse=True)
    strat = (uniq // n_spots)[None, :]
    spot_of_cell = uniq % n_spots
    n_cells = len(uniq)
    cy = np.bincount(cell_idx, weights=y, minlength=n_cells)
    cn = np.bincount(cell_idx, minlength=n_cells).astype(float)
    rows_to_cells = sp.csr_matrix((np.ones(len(y)), (cell_idx, np.arange(len(y)))),
                                  shape=(n_cells, len(y)))

    def fn(L: np.ndarray) -> np.ndarray:
        if level == "spots":  # a spot's label moves its whole cell
            Lc = L[:, spot_of_cell]
            y1, t = Lc * cy, Lc * cn
        else:
            y1 = np.asarray(rows_to_cells @ (L * y).T).T
            t = np.asarray(rows_to_cells @ L.T).T
        beta = _stratified_poisson(y1, np.broadcast_to(cy, y1.shape), t, cn - t,
                                   strat, strat)[0]
        return beta
    return fn


