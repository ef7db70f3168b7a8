"""Cost-benefit of patrol arms: officer hours, crimes and harm prevented, cost per unit."""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from ..choices import DEFAULT_COST_PER_OFFICER_HOUR
from ..errors import ConfigError, DataError

__all__ = ["DEFAULT_COST_PER_OFFICER_HOUR", "cost_benefit"]


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
        Fully loaded cost of one officer hour (any currency; the command line's
        default is :data:`DEFAULT_COST_PER_OFFICER_HOUR`, an assumption).
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

    Raises
    ------
    ConfigError
        A negative or non-finite cost, or a ``control`` that is not an arm.
    DataError
        ``arms`` empty, missing a column, or holding values that are not
        numbers >= 0.
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
