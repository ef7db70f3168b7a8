"""The fast conditional Poisson estimator, vectorised over many data sets at once.

Power simulation and the GLM randomisation statistic fit the same Poisson
fixed-effects model to thousands of simulated or permuted trials; building a
statsmodels design matrix for each would take minutes.  This estimator gives
the same estimate and standard errors (to about 1e-8) from per-cell sums.
"""

from __future__ import annotations

import numpy as np


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


