"""Harm weights: Cambridge Crime Harm Index days per police.uk crime category.

The packaged table (``chi_police_uk.csv`` beside this module) maps the CHI
medians of Sherman, Neyroud & Neyroud (2016) onto the 14 police.uk
categories; its ``assumption`` column states the mix assumed where a
police.uk category is coarser than CHI.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..io import read_csv_text

HARM_COLUMNS: tuple[str, ...] = ("crime_type", "chi_days")
"""Columns a harm-weight file must have (``is_asb``, ``assumption``, ``source`` are optional)."""

DEFAULT_HARM_FILE = Path(__file__).parent / "chi_police_uk.csv"
"""Cambridge Crime Harm Index weights mapped onto the 14 police.uk categories."""

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def _parse_bool(values: pd.Series, path: Path, col: str) -> pd.Series:
    """Parse true/false text, raising DataError naming file, line and column."""
    text = values.fillna("").astype(str).str.strip().str.lower()
    bad = ~text.isin(_TRUE | _FALSE)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{path}: line {i + 2}, column {col!r}: {values.iat[i]!r} is not true/false")
    return text.isin(_TRUE)


def _check_harm_table(df: pd.DataFrame, path: Path) -> None:
    """Validate a harm-weight table: columns, names, weights, duplicates."""
    missing = [c for c in HARM_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; found {list(df.columns)}")
    names = df["crime_type"].fillna("").astype(str).str.strip()
    if (names == "").any():
        line = int(np.flatnonzero((names == "").to_numpy())[0]) + 2
        raise DataError(f"{path}: line {line}, column 'crime_type' is empty")
    days = pd.to_numeric(df["chi_days"], errors="coerce")
    for mask, what in ((days.isna(), "is not a number"), (days < 0, "is negative")):
        if mask.any():
            i = int(np.flatnonzero(mask.to_numpy())[0])
            raise DataError(
                f"{path}: line {i + 2} ({names.iat[i]!r}), column 'chi_days': "
                f"{df['chi_days'].iat[i]!r} {what}; weights are days >= 0"
            )
    dup = names.duplicated(keep=False)
    if dup.any():
        lines = (np.flatnonzero(dup.to_numpy()) + 2).tolist()
        raise DataError(
            f"{path}: crime type(s) {sorted(set(names[dup]))} listed more than once (lines {lines})"
        )


def load_harm_weights(path: Path | None = None, asb_weight: float = 0.0) -> pd.DataFrame:
    """Load harm weights (Cambridge Crime Harm Index days) per police.uk category.

    The default file maps the CHI medians of Sherman, Neyroud & Neyroud
    (2016) onto the 14 police.uk categories; where a police.uk category is
    coarser than CHI (burglary, violence and sexual offences, criminal
    damage and arson, drugs, other theft, other crime) its ``assumption``
    column states the mix assumed. Copy and edit it to change an assumption.

    Parameters
    ----------
    path : Path, optional
        CSV with columns ``crime_type, chi_days`` and optionally
        ``is_asb, assumption, source``. Default: the packaged
        ``hotspot_sim/data/chi_police_uk.csv``.
    asb_weight : float
        Weight (days) given to rows flagged ``is_asb`` (anti-social
        behaviour: incidents, not crimes, so CHI gives them none). Default 0.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``crime_type``, with ``chi_days`` (float), ``is_asb``
        (bool) and any other columns of the file.

    Raises
    ------
    DataError
        If the file is missing or unreadable, lacks a column, has an empty or
        duplicated crime type, or a non-numeric or negative weight (naming
        file and line).
    ConfigError
        If `asb_weight` is negative or not finite.
    """
    path = DEFAULT_HARM_FILE if path is None else Path(path)
    if not np.isfinite(asb_weight) or asb_weight < 0:
        raise ConfigError(f"asb_weight must be a finite number >= 0, got {asb_weight!r}")
    if not path.is_file():
        raise DataError(f"harm weight file not found: {path}")
    text = read_csv_text(path, "harm weight")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, on_bad_lines="error")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot be read as CSV: {exc}") from exc
    df.columns = [c.strip() for c in df.columns]
    _check_harm_table(df, path)
    df["crime_type"] = df["crime_type"].str.strip()
    df["chi_days"] = pd.to_numeric(df["chi_days"]).astype(float)
    if "is_asb" in df.columns:
        df["is_asb"] = _parse_bool(df["is_asb"], path, "is_asb")
    else:
        df["is_asb"] = df["crime_type"].eq("Anti-social behaviour")
    df.loc[df["is_asb"], "chi_days"] = float(asb_weight)
    return df.set_index("crime_type")
