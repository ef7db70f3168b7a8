"""Test: the statistics a real hot spot trial reports, for simulated or real data.

The second of Sherman's (2013) three Ts: *test* a practice by randomised
experiment before making it routine.  This module takes a tidy spot-day table
(one row per hot spot per day) with columns

``hotspot_id``
    Any hashable label of the place.
``day``
    Integer day of the trial.
``treated``
    Bool (or 0/1): was the place patrolled that day?
``crimes``
    Non-negative count of crimes on that spot-day.
``harm`` (optional)
    Cambridge Crime Harm Index days on that spot-day.
``block`` (optional)
    Block label for blocked (matched-pair) designs.

and gives

* :func:`rate_ratio_glm` -- the rate ratio a trial report would quote: a
  Poisson or negative binomial GLM (log link) of the outcome on the treatment
  indicator with hot spot fixed effects, with a 95% CI and a Wald p-value,
  model-based or cluster-robust by hot spot;
* :func:`conditional_poisson` -- the same Poisson fixed-effects estimate,
  computed by a fast 1-D Newton iteration on the conditional likelihood;
* :func:`permutation_test` -- a randomisation test that re-draws the
  assignment exactly as the design did;
* :func:`simulate_trial` -- a spot-day table drawn for a crossover, parallel
  or blocked design with a known effect;
* :func:`power` and :func:`smallest_adequate` -- Monte Carlo power for a grid
  of hot spots x days and the cheapest design that reaches the target;
* :func:`cost_benefit` -- officer hours, crimes and harm prevented per arm,
  cost per crime and per CHI day prevented;
* :func:`plot_power` -- power curves;
* :func:`parse_range` -- ``"10:40:10"`` style lists for command lines.

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
import re
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from .errors import ConfigError, DataError

DESIGNS = ("crossover", "parallel", "block")
FAMILIES = ("poisson", "negbin")
COVS = ("model", "cluster")
ANALYSES = ("glm", "permutation")
STATISTICS = ("log_ratio", "glm")
# Cap on elements of one simulated (sims x spots x days) chunk: about 32 MB of
# float64 per array, so the power grid never needs much memory.
_CHUNK_ELEMENTS = 4_000_000


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class TrialResult:
    """The headline result of a trial analysis.

    Attributes
    ----------
    rate_ratio : float
        exp(beta): outcome rate on treated spot-days over the rate on control
        spot-days (below 1 = fewer crimes when patrolled).
    ci_low, ci_high : float
        95% confidence interval of the rate ratio (Wald, on the log scale).
    p_value : float
        Two-sided Wald p-value for "rate ratio = 1".
    method : str
        What was fitted, e.g. ``"poisson GLM, FE hotspot_id, cov=model"``.
    n_spot_days : int
        Rows used (after dropping fixed-effect groups with no outcome at all).
    n_treated : int
        Treated spot-days among them.
    n_hotspots : int
        Distinct hot spots among them.
    log_rate_ratio, se : float
        beta and its standard error.
    cov : str
        ``"model"`` or ``"cluster"`` (cluster-robust by hot spot, CRV1).
    alpha : float or None
        Negative binomial dispersion used (None for Poisson).
    mean_treated, mean_control : float
        Raw mean outcome per treated / control spot-day.
    n_dropped : int
        Rows dropped because their fixed-effect group had a zero outcome
        throughout (they carry no information on the treatment effect).
    df : float or None
        Degrees of freedom of the t reference (None = normal).
    """

    rate_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    method: str
    n_spot_days: int
    n_treated: int
    n_hotspots: int
    log_rate_ratio: float
    se: float
    cov: str
    alpha: float | None
    mean_treated: float
    mean_control: float
    n_dropped: int = 0
    df: float | None = None

    def as_dict(self) -> dict:
        """Plain dict of every field (for JSON or a DataFrame row)."""
        return asdict(self)


def _wald(beta: float, se: float, df: float | None = None) -> tuple[float, float, float, float]:
    """Rate ratio, 95% CI bounds and two-sided p-value from a log-scale estimate.

    Normal reference, or Student t with ``df`` degrees of freedom.
    """
    if not np.isfinite(se) or se <= 0:
        return math.exp(beta), 0.0, math.inf, 1.0
    dist = stats.norm if df is None else stats.t(df)
    z = float(dist.ppf(0.975))
    p = float(2 * dist.sf(abs(beta / se)))
    return (math.exp(beta), math.exp(beta - z * se), math.exp(beta + z * se), p)


# --------------------------------------------------------------------------- input checks


def _check_choice(name: str, value, choices: Sequence) -> None:
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(map(repr, choices))}")


def _check_table(df, outcome: str, need: Iterable[str] = ()) -> pd.DataFrame:
    """Validate a spot-day table and return a copy with a bool ``treated``."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    if df.empty:
        raise DataError("df is empty: a trial needs at least one spot-day")
    cols = ["hotspot_id", "treated", outcome, *need]
    missing = [c for c in dict.fromkeys(cols) if c not in df.columns]
    if missing:
        raise DataError(f"df has no column(s) {missing} (outcome={outcome!r}); "
                        f"columns are {list(df.columns)}")
    out = df.copy()
    treated = out["treated"]
    if treated.isna().any():
        raise DataError("df['treated'] has missing values")
    if not treated.isin([0, 1, True, False]).all():
        bad = treated[~treated.isin([0, 1, True, False])].iloc[0]
        raise DataError(f"df['treated'] must be bool or 0/1, found {bad!r}")
    out["treated"] = treated.astype(bool)
    y = pd.to_numeric(out[outcome], errors="coerce")
    if y.isna().any() or not np.isfinite(y.to_numpy(dtype=float)).all():
        raise DataError(f"df[{outcome!r}] (outcome) has missing, non-numeric or infinite values")
    if (y < 0).any():
        raise DataError(f"df[{outcome!r}] (outcome) has negative values; counts and harm "
                        "must be >= 0")
    out[outcome] = y.astype(float)
    for col in need:
        if out[col].isna().any():
            raise DataError(f"df[{col!r}] has missing values")
    n_t = int(out["treated"].sum())
    if n_t == 0 or n_t == len(out):
        raise DataError(f"df['treated'] is {'never' if n_t == 0 else 'always'} true: a trial "
                        "needs both treated and control spot-days")
    if float(out[outcome].sum()) == 0:
        raise DataError(f"df[{outcome!r}] (outcome) is zero on every spot-day: no rate ratio "
                        "can be estimated")
    return out


def _check_effect_sides(df: pd.DataFrame, outcome: str) -> None:
    """Reject data where one arm has no outcome at all (rate ratio 0 or infinite)."""
    y1 = float(df.loc[df["treated"], outcome].sum())
    y0 = float(df.loc[~df["treated"], outcome].sum())
    for total, arm, rr in ((y1, "treated", "0"), (y0, "control", "infinite")):
        if total == 0:
            raise DataError(f"df[{outcome!r}] (outcome) is zero on every {arm} spot-day: the "
                            f"rate ratio is {rr} and the Wald test is undefined; use "
                            "permutation_test")


# --------------------------------------------------------------------------- GLM


def _codes(df: pd.DataFrame, cols: Sequence[str]) -> np.ndarray:
    """Integer code of each row's combination of ``cols`` (0 everywhere if none)."""
    if not cols:
        return np.zeros(len(df), dtype=np.int64)
    return df.groupby(list(cols), sort=True, observed=True).ngroup().to_numpy(np.int64)


def _drop_empty_strata(df: pd.DataFrame, outcome: str, fe: Sequence[str]):
    """Drop rows of fixed-effect groups whose outcome is zero throughout."""
    if not fe:
        return df, 0
    total = df.groupby(list(fe), observed=True)[outcome].transform("sum")
    keep = total.to_numpy() > 0
    return df.loc[keep], int((~keep).sum())


def _check_varies(df: pd.DataFrame, fe: Sequence[str]) -> None:
    """Treatment must vary within at least one fixed-effect group."""
    if not fe:
        return
    spread = df.groupby(list(fe), observed=True)["treated"].agg(["min", "max"])
    if not (spread["min"] != spread["max"]).any():
        raise ConfigError(
            f"fixed_effects={tuple(fe)!r}: 'treated' never varies within a group, so the "
            "treatment effect is not identified (a parallel design with hot spot fixed "
            "effects?). Use fixed_effects=() (or ('block',) for a block design) with "
            "cov='cluster'")


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
    X, names = _design_matrix(data, fe, day_effects)
    y = data[outcome].to_numpy(float)
    fit_kw = {}
    if cov == "cluster":
        fit_kw = {"cov_type": "cluster", "cov_kwds": {"groups": _codes(data, [cluster])}}
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


def _design_matrix(data: pd.DataFrame, fe: Sequence[str], day_effects: bool):
    """[treated, FE dummies (full set for the first), day dummies minus one]."""
    n = len(data)
    blocks = [data["treated"].to_numpy(float)[:, None]]
    names = ["treated"]
    groups = [list(fe)] if fe else []
    if not fe:
        blocks.append(np.ones((n, 1)))
        names.append("const")
    if day_effects:
        groups.append(["day"])
    for i, cols in enumerate(groups):
        codes = _codes(data, cols)
        k = int(codes.max()) + 1
        dummies = np.zeros((n, k))
        dummies[np.arange(n), codes] = 1.0
        drop = 1 if (i > 0 or not fe) else 0  # one full set only
        blocks.append(dummies[:, drop:])
        names += [f"{'+'.join(cols)}[{j}]" for j in range(drop, k)]
    return np.hstack(blocks), names


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


def _result(data, outcome, rr, lo, hi, p, method, beta, se, cov, alpha, n_dropped, df=None):
    t = data["treated"].to_numpy()
    y = data[outcome].to_numpy(float)
    return TrialResult(rate_ratio=rr, ci_low=lo, ci_high=hi, p_value=p, method=method,
                       n_spot_days=len(data), n_treated=int(t.sum()),
                       n_hotspots=int(data["hotspot_id"].nunique()), log_rate_ratio=beta,
                       se=se, cov=cov, alpha=alpha, mean_treated=float(y[t].mean()),
                       mean_control=float(y[~t].mean()), n_dropped=n_dropped, df=df)


# --------------------------------------------------------------------------- fast estimator


def _group_sum(values: np.ndarray, idx: np.ndarray, n_groups: int) -> np.ndarray:
    """Row-wise sums of ``values`` (m, c) into ``n_groups`` groups by ``idx`` (m, c)."""
    m = values.shape[0]
    flat = (idx + np.arange(m)[:, None] * n_groups).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=m * n_groups).reshape(m, n_groups)


def _stratified_poisson(y1, n, t, c, stratum, cluster, cov: str = "model",
                        tol: float = 1e-12, max_iter: int = 100):
    """Poisson MLE of a binary treatment effect with stratum fixed effects.

    Vectorised over ``m`` data sets (simulations or permutations).  Each of
    the ``c`` cells is a (stratum, cluster) combination with ``y1`` outcome on
    ``t`` treated rows and ``n - y1`` outcome on ``c`` control rows.

    With a free intercept per stratum the Poisson likelihood factorises: given
    the stratum total N_s, the treated share of it is binomial with
    probability p_s(b) = T_s e^b / (T_s e^b + C_s).  The Poisson MLE of b with
    stratum fixed effects is therefore the root of the conditional score
    U(b) = sum_s (Y1_s - N_s p_s(b)), found by 1-D Newton steps with
    information I(b) = sum_s N_s p_s (1 - p_s); 1/I is also the model-based
    variance statsmodels reports for b (the profile information).  Strata with
    no treated or no control rows or no outcome contribute nothing.

    Cluster-robust variance (CRV1, as statsmodels with its default small-sample
    factor G/(G-1) * (n-1)/(n-k)): sum over clusters of the squared efficient
    score sum (x - p_s)(y - mu), divided by I^2.

    Returns
    -------
    beta, se, degenerate, n_clusters : ndarray of shape (m,)
        ``degenerate`` marks data sets where the MLE is infinite (no outcome
        in one arm of every informative stratum) or no stratum is
        informative; there beta is +-inf or NaN and se is inf.
        ``n_clusters`` counts clusters with rows in strata that have any
        outcome (those statsmodels would see).
    """
    y1, n, t, c = (np.asarray(a, dtype=float) for a in (y1, n, t, c))
    m = y1.shape[0]
    stratum = np.broadcast_to(stratum, y1.shape)
    cluster = np.broadcast_to(cluster, y1.shape)
    S = int(stratum.max()) + 1
    Y1, N, T, C = (_group_sum(a, stratum, S) for a in (y1, n, t, c))
    inform = (T > 0) & (C > 0) & (N > 0)
    y1_inf = (Y1 * inform).sum(1)
    n_inf = (N * inform).sum(1)
    degenerate = (n_inf == 0) | (y1_inf == 0) | (y1_inf == n_inf)
    beta = np.zeros(m)
    ok = ~degenerate
    for _ in range(max_iter):
        e = np.exp(beta)[:, None]
        p = _share(T, C, e)
        U = (Y1 - N * p).sum(1)
        info = (N * p * (1 - p)).sum(1)
        step = np.where(ok, U / np.where(info > 0, info, 1.0), 0.0)
        beta += np.clip(step, -3.0, 3.0)
        if np.all(np.abs(step) < tol):
            break
    e = np.exp(beta)[:, None]
    p = _share(T, C, e)
    info = (N * p * (1 - p)).sum(1)
    meat, G = _cluster_meat(y1, n, t, c, stratum, cluster, N, T, C, p, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = 1.0 / np.sqrt(info) if cov == "model" else np.sqrt(meat / info**2)
    beta = np.where(degenerate, np.where(n_inf == 0, np.nan,
                                         np.where(y1_inf == 0, -np.inf, np.inf)), beta)
    se = np.where(degenerate | ~np.isfinite(se), np.inf, se)
    return beta, se, degenerate, G


def _share(T: np.ndarray, C: np.ndarray, e: np.ndarray) -> np.ndarray:
    """p_s = T e / (T e + C), 0 where a stratum has no rows."""
    denom = T * e + C
    return np.divide(T * e, denom, out=np.zeros_like(denom), where=denom > 0)


def _cluster_meat(y1, n, t, c, stratum, cluster, N, T, C, p, e):
    """CRV1 meat (with statsmodels' small-sample factor) and cluster count."""
    lam = np.divide(N, T * e + C, out=np.zeros_like(N), where=(T * e + C) > 0)
    lam_c = np.take_along_axis(lam, stratum, 1)
    p_c = np.take_along_axis(p, stratum, 1)
    mu1 = lam_c * e * t
    mu = lam_c * (e * t + c)
    u = (y1 - mu1) - p_c * (n - mu)
    G_max = int(cluster.max()) + 1
    kept = np.take_along_axis(N > 0, stratum, 1)  # statsmodels sees only these rows
    rows = (t + c) * kept
    Ug = _group_sum(u * kept, cluster, G_max)
    G = (_group_sum(rows, cluster, G_max) > 0).sum(1)
    nobs = rows.sum(1)
    k = (N > 0).sum(1) + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = G / (G - 1.0) * (nobs - 1.0) / (nobs - k)
        return factor * (Ug**2).sum(1), G


def conditional_poisson(df: pd.DataFrame, outcome: str = "crimes",
                        strata: Sequence[str] = ("hotspot_id",), cov: str = "model",
                        cluster: str = "hotspot_id", use_t: bool = False) -> TrialResult:
    """Poisson rate ratio with stratum fixed effects by the fast conditional estimator.

    Gives the same estimate, standard error and p-value as
    ``rate_ratio_glm(df, family="poisson", fixed_effects=strata, cov=cov,
    cluster=cluster, use_t=use_t)``
    (to about 1e-8) without building a design matrix: see
    :func:`_stratified_poisson`.  No day effects.

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
    chunk = max(1, _CHUNK_ELEMENTS // max(len(labels), 1) // 4)
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


def simulate_trial(design: str, n_hotspots: int, n_days: int, baseline_rates, effect: float,
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


def _analyse_perm(design, Y, X, blocks, rates, P, treat_share, block_size, rng):
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


def power(design: str, hotspots: Sequence[int], days: Sequence[int], baseline_rates,
          effect: float, alpha: float = 0.05, n_sims: int = 200, analysis: str = "glm",
          seed: int = 0, dispersion: float | None = None, treat_share: float = 0.5,
          cov: str = "auto", use_t: bool | None = None, n_permutations: int = 199,
          block_size: int = 2, progress=None) -> pd.DataFrame:
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
    alpha = 0.05, the known small-sample bias of CRV1).  A simulated trial whose MLE is infinite (no crime at all in
    one arm) counts as not detecting the effect (its Wald test is undefined).

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
    hotspots, days : sequence of int
        Grid values (see :func:`parse_range`).
    baseline_rates, effect, dispersion, treat_share, block_size
        As :func:`simulate_trial`.  Rates are resampled per trial when there
        are not exactly as many as hot spots.
    alpha : float
        Significance level.
    n_sims : int
        Simulated trials per cell.
    analysis : {"glm", "permutation"}
    seed : int
        Root seed; each cell's stream depends only on (seed, hotspots, days),
        so a cell gives the same result in any grid.
    cov : {"auto", "model", "cluster"}
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
    chunk = max(1, _CHUNK_ELEMENTS // (H * D))
    ps, ests, degs = [], [], []
    for start in range(0, n_sims, chunk):
        m = min(chunk, n_sims - start)
        Y, X, blocks, spot_rates = _simulate(design, m, H, D, rates, effect, dispersion,
                                             treat_share, block_size, rng)
        if analysis == "glm":
            p, est, deg = _analyse_glm(design, Y, X, blocks, cov, use_t)
        else:
            p, est, deg = _analyse_perm(design, Y, X, blocks, spot_rates, n_perm, treat_share,
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


# --------------------------------------------------------------------------- ranges


_INT = r"\s*(\d+)\s*"
_RANGE_RE = re.compile(rf"^{_INT}:{_INT}(?::{_INT})?$")
_LIST_RE = re.compile(rf"^{_INT}(?:,{_INT})*$")


def parse_range(text: str, name: str = "range") -> list[int]:
    """Parse ``"start:stop[:step]"`` (inclusive), ``"30"`` or ``"10,20,35"``.

    Parameters
    ----------
    text : str
        The specification.
    name : str
        Argument name used in error messages (e.g. ``"--hotspots"``).

    Returns
    -------
    list of int
        Sorted, without duplicates, every value >= 1.

    Examples
    --------
    >>> parse_range("10:40:10")
    [10, 20, 30, 40]
    """
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{name}={text!r}: expected 'start:stop[:step]', 'n' or 'a,b,c'")
    m = _RANGE_RE.match(text)
    if m:
        start, stop = int(m.group(1)), int(m.group(2))
        step = int(m.group(3)) if m.group(3) else 1
        if step < 1 or stop < start:
            raise ConfigError(f"{name}={text!r}: need stop >= start and step >= 1")
        values = list(range(start, stop + 1, step))
    elif _LIST_RE.match(text):
        values = [int(v) for v in text.split(",")]
    else:
        raise ConfigError(f"{name}={text!r}: expected 'start:stop[:step]', 'n' or 'a,b,c' "
                          "with whole numbers")
    if any(v < 1 for v in values):
        raise ConfigError(f"{name}={text!r}: values must be >= 1")
    return sorted(set(values))


# --------------------------------------------------------------------------- cost-benefit


def cost_benefit(arms: pd.DataFrame, control: str, cost_per_officer_hour: float,
                 harm_col: str | None = "harm", crimes_col: str = "crimes",
                 hours_col: str = "patrol_hours", arm_col: str = "arm") -> pd.DataFrame:
    """Cost per crime and per CHI day prevented, each arm against the control arm.

    Parameters
    ----------
    arms : DataFrame
        One row per arm, or several (replicate runs, each of the same length)
        with the arm named in ``arm_col``; replicates are averaged.  Without
        an ``arm_col`` column the index names the arms.
    control : str
        The arm everything is compared with (usually no extra patrol).
    cost_per_officer_hour : float
        Fully loaded cost of one officer hour (any currency).
    harm_col, crimes_col, hours_col : str
        Columns of CHI days, crimes and officer patrol hours.  ``harm_col=None``
        skips harm.

    Returns
    -------
    DataFrame
        Per arm: ``n_runs, patrol_hours, cost, extra_hours, extra_cost,
        crimes, crimes_prevented, harm, harm_prevented,
        cost_per_crime_prevented, cost_per_harm_day_prevented, note``.

        Prevented = control minus arm.  Costs per unit prevented use the
        *extra* cost over the control arm (control places get background
        patrol too; Ariel et al. 2016), so they price the intervention, not
        routine policing.  Where nothing is prevented (prevented <= 0) at an
        extra cost the ratio is ``inf`` (never pays); where there is no
        extra cost and no change it is NaN (undefined, e.g. the control arm
        itself); a negative ratio means the arm is cheaper *and* prevents
        crime (dominant).  ``note`` says which case applies.
    """
    if not (isinstance(cost_per_officer_hour, numbers.Real)
            and math.isfinite(cost_per_officer_hour) and cost_per_officer_hour >= 0):
        raise ConfigError(f"cost_per_officer_hour={cost_per_officer_hour!r} must be a "
                          "finite number >= 0")
    agg = _arm_means(arms, crimes_col, hours_col, harm_col, arm_col)
    if control not in agg.index:
        raise ConfigError(f"control={control!r} is not an arm; arms are {list(agg.index)}")
    base = agg.loc[control]
    out = pd.DataFrame(index=agg.index)
    out["n_runs"] = agg["_n"].astype(int)
    out["patrol_hours"] = agg[hours_col]
    out["cost"] = agg[hours_col] * cost_per_officer_hour
    out["extra_hours"] = agg[hours_col] - base[hours_col]
    out["extra_cost"] = out["extra_hours"] * cost_per_officer_hour
    out["crimes"] = agg[crimes_col]
    out["crimes_prevented"] = base[crimes_col] - agg[crimes_col]
    if harm_col is not None:
        out["harm"] = agg[harm_col]
        out["harm_prevented"] = base[harm_col] - agg[harm_col]
    else:
        out["harm"] = out["harm_prevented"] = math.nan
    out["cost_per_crime_prevented"] = [
        _per_unit(c, p) for c, p in zip(out["extra_cost"], out["crimes_prevented"])]
    out["cost_per_harm_day_prevented"] = [
        _per_unit(c, p) for c, p in zip(out["extra_cost"], out["harm_prevented"])]
    out["note"] = [_note(a == control, c, p, h) for a, c, p, h in
                   zip(out.index, out["extra_cost"], out["crimes_prevented"],
                       out["harm_prevented"])]
    out.index.name = "arm"
    return out.reset_index()


def _arm_means(arms, crimes_col, hours_col, harm_col, arm_col) -> pd.DataFrame:
    if not isinstance(arms, pd.DataFrame) or arms.empty:
        raise DataError("arms must be a non-empty DataFrame, one row per arm (or run)")
    cols = [crimes_col, hours_col] + ([harm_col] if harm_col is not None else [])
    missing = [c for c in cols if c not in arms.columns]
    if missing:
        hint = " (pass harm_col=None to skip harm)" if harm_col in missing else ""
        raise DataError(f"arms has no column(s) {missing}{hint}; columns are "
                        f"{list(arms.columns)}")
    num = arms[cols].apply(pd.to_numeric, errors="coerce")
    if num.isna().any().any() or (num < 0).any().any():
        bad = num.columns[(num.isna() | (num < 0)).any()].tolist()
        raise DataError(f"arms column(s) {bad} must be numbers >= 0")
    keys = arms[arm_col] if arm_col in arms.columns else pd.Series(arms.index, index=arms.index)
    grouped = num.groupby(keys.to_numpy(), sort=False)
    out = grouped.mean()
    out["_n"] = grouped.size()
    return out


def _per_unit(extra_cost: float, prevented: float) -> float:
    if prevented > 0:
        return extra_cost / prevented
    if not np.isfinite(prevented):
        return math.nan
    if extra_cost > 0:
        return math.inf
    if extra_cost == 0 and prevented == 0:
        return math.nan
    return -math.inf if prevented == 0 else math.nan


def _note(is_control: bool, extra_cost: float, crimes: float, harm: float) -> str:
    if is_control:
        return "control arm (reference)"
    if crimes > 0 and extra_cost <= 0:
        return "dominant: no extra cost and fewer crimes"
    if crimes <= 0 and extra_cost > 0:
        return "no crimes prevented at extra cost: cost per crime prevented is inf"
    if crimes <= 0:
        return "no crimes prevented and no extra cost: cost per crime prevented undefined"
    if np.isfinite(harm) and harm <= 0:
        return "crimes prevented but no harm prevented: cost per CHI day is inf"
    return ""


# --------------------------------------------------------------------------- plot


def plot_power(table: pd.DataFrame, path, target: float = 0.8) -> Path:
    """Power curves by trial length, one line per number of hot spots.

    One panel per design in ``table``; shaded bands are the Monte Carlo 95%
    intervals; a dashed line marks the ``target`` power.  Uses the Agg canvas
    directly (no pyplot state, no display needed).

    Returns
    -------
    Path
        The written file (format from its suffix, e.g. ``.png``, ``.svg``).
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
