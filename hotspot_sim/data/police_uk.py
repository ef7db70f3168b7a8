"""Read police.uk street-level crime files, checking every line.

Input files follow the layout of the data.police.uk bulk download
(``<root>/YYYY-MM/YYYY-MM-<force>-street.csv``, or ``.csv.gz``);
:func:`~hotspot_sim.data.download.download_police_uk` writes the same layout
from the data.police.uk API for users with internet. Nothing is dropped
here: :func:`read_police_uk` returns every record, and a file it cannot
read is an error naming the file and line.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..io import read_csv_text
from ..locations import DATA_ENV_VAR, find_data_file

log = logging.getLogger(__name__)

POLICE_UK_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
"""The 12 columns of a data.police.uk ``*-street.csv`` file, in file order."""

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
"""A month as police.uk writes it: ``YYYY-MM``."""


# --------------------------------------------------------------------------- #
# Months and paths
# --------------------------------------------------------------------------- #


def check_month(month: str, what: str = "month") -> str:
    """Return `month` if it reads ``YYYY-MM``.

    Parameters
    ----------
    month : str
        The month to check.
    what : str
        What the month is (``"first month"``...), for the message.

    Returns
    -------
    str
        `month` unchanged.

    Raises
    ------
    DataError
        Naming `what` when `month` is not ``YYYY-MM``.
    """
    if not isinstance(month, str) or not MONTH_RE.match(month):
        raise DataError(f"{what} {month!r} is not a month in the form YYYY-MM (e.g. '2021-01')")
    return month


def month_range(first: str, last: str) -> list[str]:
    """List the months from `first` to `last`, both included.

    Parameters
    ----------
    first, last : str
        Months as ``YYYY-MM``.

    Returns
    -------
    list of str
        E.g. ``month_range("2021-01", "2021-03") == ["2021-01", "2021-02", "2021-03"]``.

    Raises
    ------
    DataError
        If a month is not ``YYYY-MM`` or `first` is after `last`.
    """
    check_month(first, "first month")
    check_month(last, "last month")
    if first > last:
        raise DataError(f"first month {first!r} is after last month {last!r}")
    y0, m0 = map(int, first.split("-"))
    y1, m1 = map(int, last.split("-"))
    n = (y1 - y0) * 12 + (m1 - m0) + 1
    return [f"{y0 + (m0 - 1 + i) // 12:04d}-{(m0 - 1 + i) % 12 + 1:02d}" for i in range(n)]


def police_uk_path(root: Path, month: str, force: str = "hertfordshire") -> Path:
    """Path of one month's street-level CSV in the bulk-download layout.

    Parameters
    ----------
    root : Path
        Folder holding the ``YYYY-MM`` folders (for the shared data,
        ``$HOTSPOT_SIM_DATA/police_uk``).
    month : str
        ``YYYY-MM``.
    force : str
        Force slug as used in the file names, e.g. ``"hertfordshire"``.

    Returns
    -------
    Path
        ``root / month / f"{month}-{force}-street.csv"``.
    """
    check_month(month)
    return Path(root) / month / f"{month}-{force}-street.csv"



# --------------------------------------------------------------------------- #
# Reading police.uk files
# --------------------------------------------------------------------------- #


def _missing_file_message(path: Path, root: Path) -> str:
    """Explain a missing police.uk file and how to supply it."""
    msg = (
        f"police.uk file not found: {path}. Download the street-level CSVs from "
        f"https://data.police.uk/data (or call hotspot_sim.data.download_police_uk) and "
        f"point {DATA_ENV_VAR} at the folder holding them (files are read from "
        f"<root>/YYYY-MM/YYYY-MM-<force>-street.csv, or .csv.gz). Without {DATA_ENV_VAR} "
        f"only the embedded Welwyn Hatfield data (Hertfordshire, 2021-01 to 2021-10) is available."
    )
    nested = Path(root) / "police_uk" / path.relative_to(root)
    if nested.exists():
        msg += f" Did you mean root={Path(root) / 'police_uk'}? {nested} exists."
    return msg



def _open_text(path: Path) -> io.StringIO:
    """A police.uk CSV's decoded text as a file for :mod:`csv` (see :func:`read_csv_text`)."""
    return io.StringIO(read_csv_text(path, "police.uk"), newline="")


def _read_header(path: Path, reader) -> list[str]:
    """Read and check the header line of a police.uk CSV from its csv `reader`."""
    header = next(reader, None)
    if not header:
        raise DataError(f"{path}: file is empty (expected a header with columns {list(POLICE_UK_COLUMNS)})")
    header = [h.strip() for h in header]
    missing = [c for c in POLICE_UK_COLUMNS if c not in header]
    if missing:
        raise DataError(
            f"{path}: line 1 (header) is missing column(s) {missing}; "
            f"found {header}; expected the 12 police.uk columns {list(POLICE_UK_COLUMNS)}"
        )
    return header


def _read_rows(path: Path, reader, n_fields: int) -> tuple[list[list[str]], list[int]]:
    """Parse the data lines after the header, checking every record's field count.

    The csv module is used rather than ``pandas.read_csv`` because pandas pads
    short rows silently; here both short and long rows raise. Returns the
    records and the file line number (header = line 1) on which each starts.
    """
    rows: list[list[str]] = []
    lines: list[int] = []
    prev = reader.line_num
    for row in reader:
        start, prev = prev + 1, reader.line_num
        if not row:  # blank line: not a record
            continue
        if len(row) != n_fields:
            raise DataError(
                f"{path}: line {start} has {len(row)} fields, expected {n_fields} "
                f"(malformed row: {','.join(row)[:120]!r})"
            )
        rows.append(row)
        lines.append(start)
    if not rows:
        raise DataError(f"{path}: no rows: the file has a header (line 1) but no crime records; "
                        "download that month again (or drop it from the month range)")
    return rows, lines


def _parse_coordinates(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Turn Longitude/Latitude text into floats; empty -> NaN, junk -> DataError."""
    for col in ("Longitude", "Latitude"):
        text = df[col].str.strip()
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
        bad = values.isna() & (text != "")
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"{path}: line {df['source_row'].iat[i]}, column {col!r}: "
                f"{df[col].iat[i]!r} is not a number ({int(bad.sum())} such row(s))"
            )
        df[col] = values.astype(float)
    return df


def _read_one(path: Path) -> pd.DataFrame:
    """Read one police.uk CSV into a frame with source_file/source_row columns."""
    with _open_text(path) as fh:
        reader = csv.reader(fh)
        header = _read_header(path, reader)
        rows, lines = _read_rows(path, reader, len(header))
    df = pd.DataFrame(rows, columns=header, dtype=str)
    df = df.loc[:, list(POLICE_UK_COLUMNS)]
    df["source_file"] = str(path)
    df["source_row"] = np.asarray(lines, dtype=np.int64)
    df = _parse_coordinates(df, path)
    text_cols = [c for c in POLICE_UK_COLUMNS if c not in ("Longitude", "Latitude")]
    df[text_cols] = df[text_cols].apply(lambda s: s.where(s != ""))
    return df


def check_belongs(frame: pd.DataFrame, path: Path, month: str, force: str) -> None:
    """Check that a month's file holds that month and that force.

    A bulk-download file named ``YYYY-MM-<force>-street.csv`` whose rows carry
    another ``Month`` or fall within another force is a misplaced or renamed
    file: reading it would put crimes into the wrong period or place.

    Parameters
    ----------
    frame : pandas.DataFrame
        The file's rows (:func:`_read_one`).
    path : Path
        The file, for the message.
    month : str
        The month its name says (``YYYY-MM``).
    force : str
        The force slug its name says (``"hertfordshire"``).

    Raises
    ------
    DataError
        When a row's month disagrees, naming the file, the first such line, its value and
        how many do (another force is logged as a warning with the same details).
    """
    wrong_month = (frame["Month"] != month).to_numpy()
    if wrong_month.any():
        raise DataError(_disagreement(frame, wrong_month, path, "Month", month))
    # Slugs and names differ in spelling ("devon-and-cornwall", "Devon & Cornwall Police"):
    # compare letters only. A few slugs are abbreviations (btp), so this one is a warning.
    within = frame["Falls within"].fillna("").map(_letters)
    wrong_force = (~within.str.contains(_letters(force), regex=False)).to_numpy()
    if wrong_force.any():
        log.warning("%s", _disagreement(frame, wrong_force, path, "Falls within",
                                        f"the {force} force"))


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower().replace("&", "and") if ch.isalpha())


def _disagreement(frame: pd.DataFrame, bad: np.ndarray, path: Path, column: str,
                  expected: str) -> str:
    i = int(np.flatnonzero(bad)[0])
    return (f"{path}: line {frame['source_row'].iat[i]}, column {column!r} is "
            f"{frame[column].iat[i]!r}, but the file's name says {expected} "
            f"({int(bad.sum()):,} of {len(frame):,} rows disagree): is this file from "
            "another period or force, or renamed?")


def read_police_uk(
    root: Path, months: Iterable[str] | str, force: str = "hertfordshire"
) -> pd.DataFrame:
    """Read the street-level CSVs of several months into one frame.

    Parameters
    ----------
    root : Path
        Folder holding the ``YYYY-MM`` folders of the bulk download
        (for the shared data, ``$HOTSPOT_SIM_DATA/police_uk``).
    months : iterable of str or str
        Months ``YYYY-MM`` to read, e.g. from :func:`month_range`.
    force : str
        Force slug in the file names.

    Returns
    -------
    pandas.DataFrame
        Every record of every file (nothing is dropped), with the 12
        :data:`POLICE_UK_COLUMNS` (Longitude/Latitude as float, NaN when
        empty; empty text as missing) plus ``source_file`` (path) and
        ``source_row`` (line number in that file; header = line 1, so the
        first record is line 2).

    Raises
    ------
    DataError
        If a file is missing (with a hint on ``HOTSPOT_SIM_DATA`` and
        :func:`download_police_uk`), lacks a column (naming it and the
        file), has a record with the wrong number of fields or a
        non-numeric coordinate (naming file and line).
    """
    months = [months] if isinstance(months, str) else list(months)
    if not months:
        raise DataError(f"no months given to read from {root}")
    frames = []
    for month in months:
        path = find_data_file(police_uk_path(root, month, force))
        if not path.is_file():
            raise DataError(_missing_file_message(path, Path(root)))
        frame = _read_one(path)
        check_belongs(frame, path, month, force)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    log.info("read %d police.uk rows from %d file(s) under %s", len(out), len(frames), root)
    return out
