"""The spot-day table every trial statistic reads: its checks and the result record.

A spot-day table has one row per hot spot per day, with columns

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

The helpers here are private to :mod:`hotspot_sim.trial`: they reject a table
that no trial statistic could use, with a message that says why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ConfigError, DataError

DESIGNS = ("crossover", "parallel", "block")
COVS = ("model", "cluster")



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
        """Plain dict of every field (for JSON or a DataFrame row).

        Returns
        -------
        dict
            Field name -> value.
        """
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



# --------------------------------------------------------------------------- grouping


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


def _result(data, outcome, rr, lo, hi, p, method, beta, se, cov, alpha, n_dropped, df=None):
    t = data["treated"].to_numpy()
    y = data[outcome].to_numpy(float)
    return TrialResult(rate_ratio=rr, ci_low=lo, ci_high=hi, p_value=p, method=method,
                       n_spot_days=len(data), n_treated=int(t.sum()),
                       n_hotspots=int(data["hotspot_id"].nunique()), log_rate_ratio=beta,
                       se=se, cov=cov, alpha=alpha, mean_treated=float(y[t].mean()),
                       mean_control=float(y[~t].mean()), n_dropped=n_dropped, df=df)


