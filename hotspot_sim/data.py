"""Read, clean, weight and aggregate police.uk street-level crime data.

The pipeline is a chain of small functions::

    raw = read_police_uk(root, month_range("2021-01", "2021-10"))
    harm = load_harm_weights()
    crimes, report = clean_crimes(raw, bbox_bng, harm)
    crimes = snap_to_nodes(crimes, node_x, node_y, max_distance_m=100, report=report)
    per_node = aggregate_by_node(crimes, len(node_x), list(harm.index))

Nothing is dropped silently: every row removed is counted, by reason, in a
:class:`DropReport` and announced with a ``logging`` warning.

Input files follow the layout of the data.police.uk bulk download
(``<root>/YYYY-MM/YYYY-MM-<force>-street.csv``); :func:`download_police_uk`
writes the same layout from the data.police.uk API for users with internet.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import logging
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from hotspot_sim.errors import ConfigError, DataError, OfflineError
from hotspot_sim.settings import find_data_file

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

HARM_COLUMNS: tuple[str, ...] = ("crime_type", "chi_days")
"""Columns a harm-weight file must have (``is_asb``, ``assumption``, ``source`` are optional)."""

DEFAULT_HARM_FILE = Path(__file__).parent / "data_files" / "chi_police_uk.csv"
"""Cambridge Crime Harm Index weights mapped onto the 14 police.uk categories."""

DATA_ENV_VAR = "HOTSPOT_SIM_DATA"
POLICE_UK_API = "https://data.police.uk/api"

# data.police.uk API category slugs -> the category names used in the bulk CSVs.
API_CATEGORIES: dict[str, str] = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-crime": "Other crime",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
}

_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


# --------------------------------------------------------------------------- #
# Months and paths
# --------------------------------------------------------------------------- #


def _check_month(month: str, what: str = "month") -> str:
    """Return `month` if it reads ``YYYY-MM``, else raise DataError naming it."""
    if not isinstance(month, str) or not _MONTH_RE.match(month):
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
    _check_month(first, "first month")
    _check_month(last, "last month")
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
    _check_month(month)
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


# Known binary formats someone might export or rename to .csv by mistake.
_BINARY_SIGNATURES: dict[bytes, str] = {
    b"PK\x03\x04": "a zip archive or Excel .xlsx workbook",
    b"\xd0\xcf\x11\xe0": "an Excel .xls workbook",
    b"PAR1": "a parquet file",
    b"%PDF": "a PDF document",
    b"SQLite format 3": "an SQLite database",
}
# Control bytes text files never hold; a CSV with any NUL, or many of the others, is binary.
_NON_TEXT = re.compile(rb"[\x00-\x06\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _read_bytes(path: Path, what: str) -> bytes:
    """A file's bytes, gunzipped when it is gzip-compressed (``.csv.gz``)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the {what} file ({exc.strerror or exc})") from None
    if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: the {what} file is a damaged gzip file ({exc}); "
                            "download or compress it again") from None
    return raw


def _binary_problem(raw: bytes) -> str | None:
    """Why `raw` is not text (naming the format or the first odd byte), or None."""
    for signature, kind in _BINARY_SIGNATURES.items():
        if raw.startswith(signature):
            return f"it is {kind}"
    head = raw[:65536]
    n_odd = len(_NON_TEXT.findall(head))
    if b"\x00" in head or n_odd > 0.01 * len(head):
        pos = _NON_TEXT.search(head).start()
        line = head.count(b"\n", 0, pos) + 1
        return f"line {line} holds byte 0x{head[pos]:02X}, which text never holds"
    return None


def _decode_legacy(raw: bytes, pos: int, path: Path, what: str) -> str:
    """Decode a non-UTF-8 export as Windows-1252 (else latin-1), with a counted warning.

    Excel and older police systems save CSV as Windows-1252; latin-1 is the
    same for every printable character. A file that also holds valid UTF-8
    sequences mixes encodings: guessing would garble it, so that is an error.
    `pos` is the offset of the first byte that is not UTF-8.
    """
    line = raw.count(b"\n", 0, pos) + 1
    if _UTF8_MULTIBYTE.search(raw):
        raise DataError(f"{path}: line {line}: byte 0x{raw[pos]:02X} is not UTF-8, but other lines "
                        f"are: the {what} file mixes text encodings. Re-save it as UTF-8 "
                        "(e.g. Excel: 'CSV UTF-8').")
    try:
        text, encoding = raw.decode("cp1252"), "Windows-1252 (cp1252)"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "latin-1 (ISO-8859-1)"
    n_lines = sum(not ln.isascii() for ln in text.splitlines())
    log.warning("%s: the %s file is not UTF-8 (line %d: byte 0x%02X); read it as %s: %d line(s) "
                "hold non-ASCII characters. Re-save it as UTF-8 to silence this warning.",
                path, what, line, raw[pos], encoding, n_lines)
    return text


def read_csv_text(path: Path, what: str = "CSV") -> str:
    """The decoded text of a CSV file, or a DataError saying why it cannot be read.

    UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order
    mark are read as they are; a Windows-1252 / latin-1 export is read with a
    warning naming the encoding and counting the lines it affects; a gzip-
    compressed file is decompressed first.

    Parameters
    ----------
    path : Path
        The file.
    what : str
        What the file holds (``"police.uk"``, ``"GPS"``...), for messages.

    Returns
    -------
    str
        The text, without byte-order mark; line endings as in the file.

    Raises
    ------
    DataError
        Naming the file when it is missing or unreadable, empty (only
        whitespace), binary ("not a text CSV", with the format or the line
        and byte), or mixes UTF-8 with another encoding (line and byte).
    """
    path = Path(path)
    raw = _read_bytes(path, what)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: the {what} file starts as UTF-16 but byte {exc.start} is "
                            "not; re-save it as UTF-8") from None
    if not raw.removeprefix(codecs.BOM_UTF8).strip():
        raise DataError(f"{path}: the {what} file is empty ({len(raw)} bytes); expected a header "
                        "line and at least one row")
    problem = _binary_problem(raw)
    if problem:
        raise DataError(f"{path}: not a text CSV ({problem}); export the {what} data as a CSV "
                        "text file (UTF-8) and give that file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # offsets count from after the byte-order mark
        bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
        return _decode_legacy(raw, exc.start + bom, path, what)


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
        frames.append(_read_one(path))
    out = pd.concat(frames, ignore_index=True)
    log.info("read %d police.uk rows from %d file(s) under %s", len(out), len(frames), root)
    return out


# --------------------------------------------------------------------------- #
# Harm weights
# --------------------------------------------------------------------------- #


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
        ``data_files/chi_police_uk.csv``.
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


# --------------------------------------------------------------------------- #
# Drop report
# --------------------------------------------------------------------------- #


@dataclass
class DropReport:
    """Rows removed while cleaning, counted by reason.

    Attributes
    ----------
    total_in : int
        Rows handed to :func:`clean_crimes`.
    no_coordinates : int
        Rows without longitude/latitude (police.uk blanks them when the
        nearest anonymous map point is over 20 km away).
    outside_study_area : int
        Rows whose point lies outside the study bounding box.
    unknown_crime_type : int
        Rows whose ``Crime type`` is not in the harm table.
    beyond_snap_distance : int
        Rows farther than the maximum snap distance from every network node.
    unknown_types : dict of str to int
        The unknown crime type names and their row counts.
    """

    total_in: int = 0
    no_coordinates: int = 0
    outside_study_area: int = 0
    unknown_crime_type: int = 0
    beyond_snap_distance: int = 0
    unknown_types: dict[str, int] = field(default_factory=dict)

    REASONS: ClassVar[tuple[str, ...]] = ("no_coordinates", "outside_study_area", "unknown_crime_type", "beyond_snap_distance")

    @property
    def dropped(self) -> int:
        """Total rows dropped, all reasons."""
        return sum(getattr(self, r) for r in self.REASONS)

    @property
    def kept(self) -> int:
        """Rows that survived every step so far."""
        return self.total_in - self.dropped

    def as_dict(self) -> dict:
        """Plain dict for JSON output.

        ``{"total_in": n, "dropped": {reason: n, ...}, "kept": n,
        "unknown_crime_types": {name: n, ...}}``.
        """
        return {
            "total_in": self.total_in,
            "dropped": {r: getattr(self, r) for r in self.REASONS},
            "kept": self.kept,
            "unknown_crime_types": dict(self.unknown_types),
        }

    def __str__(self) -> str:
        labels = ["rows in", *(f"dropped: {r}" for r in self.REASONS), "kept"]
        counts = [self.total_in, *(getattr(self, r) for r in self.REASONS), self.kept]
        width = max(map(len, labels))
        lines = []
        for label, n in zip(labels, counts):
            share = f"  ({n / self.total_in:6.1%})" if self.total_in else ""
            lines.append(f"{label:<{width}}  {n:>9,}{share}")
        for name, n in sorted(self.unknown_types.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  unknown crime type {name!r}: {n:,}")
        return "\n".join(lines)


def _drop(df: pd.DataFrame, mask: np.ndarray, report: DropReport, reason: str, detail: str) -> pd.DataFrame:
    """Drop rows where `mask` is true, counting them in `report` with a warning."""
    n = int(np.count_nonzero(mask))
    if n:
        setattr(report, reason, getattr(report, reason) + n)
        log.warning("dropped %d of %d crime rows: %s (%s)", n, len(df), reason, detail)
    return df.loc[~mask]


# --------------------------------------------------------------------------- #
# Coordinates and cleaning
# --------------------------------------------------------------------------- #


@lru_cache(maxsize=1)
def _wgs84_to_bng():
    """The (cached) pyproj transformer WGS84 lon/lat -> British National Grid."""
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def to_bng(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitude/latitude to British National Grid metres.

    Parameters
    ----------
    lon, lat : array_like
        Degrees (EPSG:4326).

    Returns
    -------
    x, y : numpy.ndarray
        Easting and northing in metres (EPSG:27700).
    """
    x, y = _wgs84_to_bng().transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _require(df: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    """Raise DataError if `df` lacks any of `columns`."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"{where}: the crime table lacks column(s) {missing}; it has {list(df.columns)}")


def _check_bbox(bbox: Sequence[float], name: str) -> tuple[float, float, float, float]:
    """Return a (xmin, ymin, xmax, ymax) tuple or raise ConfigError."""
    try:
        xmin, ymin, xmax, ymax = (float(v) for v in bbox)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be 4 numbers (xmin, ymin, xmax, ymax), got {bbox!r}") from exc
    if not (xmin < xmax and ymin < ymax):
        raise ConfigError(f"{name} {bbox!r} is empty: need xmin < xmax and ymin < ymax")
    return xmin, ymin, xmax, ymax


def clean_crimes(
    raw: pd.DataFrame, bbox_bng: tuple[float, float, float, float], harm: pd.DataFrame
) -> tuple[pd.DataFrame, DropReport]:
    """Project, weight and filter raw police.uk rows.

    Rows are dropped, in this order, for: no coordinates; lying outside
    `bbox_bng` (bounds included); a crime type not in `harm`. Every drop is
    counted in the returned report and logged as a warning.

    Parameters
    ----------
    raw : pandas.DataFrame
        As returned by :func:`read_police_uk`.
    bbox_bng : tuple of float
        Study area ``(xmin, ymin, xmax, ymax)`` in British National Grid metres.
    harm : pandas.DataFrame
        As returned by :func:`load_harm_weights`.

    Returns
    -------
    crimes : pandas.DataFrame
        The kept rows (fresh 0..n-1 index) plus ``x``, ``y`` (BNG metres),
        ``harm`` (CHI days), ``is_asb`` (bool) and ``month`` (``YYYY-MM``).
    report : DropReport
        Counts of dropped rows by reason.
    """
    _require(raw, ("Longitude", "Latitude", "Crime type", "Month"), "clean_crimes")
    _require(harm, ("chi_days", "is_asb"), "clean_crimes (harm table)")
    bbox = _check_bbox(bbox_bng, "bbox_bng")
    xmin, ymin, xmax, ymax = bbox
    report = DropReport(total_in=len(raw))

    lon = pd.to_numeric(raw["Longitude"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(raw["Latitude"], errors="coerce").to_numpy(dtype=float)
    no_xy = ~(np.isfinite(lon) & np.isfinite(lat))
    df = _drop(raw, no_xy, report, "no_coordinates", "empty Longitude/Latitude").copy()

    df["x"], df["y"] = to_bng(lon[~no_xy], lat[~no_xy])
    outside = ~df["x"].between(xmin, xmax).to_numpy() | ~df["y"].between(ymin, ymax).to_numpy()
    box_text = ", ".join(f"{v:,.0f}" for v in bbox)
    df = _drop(df, outside, report, "outside_study_area", f"study-area box {box_text} (BNG metres)")

    types = df["Crime type"].fillna("<missing>")
    unknown = ~types.isin(harm.index).to_numpy()
    if unknown.any():
        report.unknown_types = {str(k): int(v) for k, v in types[unknown].value_counts().items()}
    df = _drop(df, unknown, report, "unknown_crime_type", f"types not in harm table: {report.unknown_types}")

    df = df.reset_index(drop=True)
    df["harm"] = harm["chi_days"].reindex(df["Crime type"]).to_numpy(dtype=float)
    df["is_asb"] = harm["is_asb"].reindex(df["Crime type"]).to_numpy(dtype=bool)
    df["month"] = df["Month"]
    return df, report


def snap_to_nodes(
    crimes: pd.DataFrame,
    node_x: np.ndarray,
    node_y: np.ndarray,
    max_distance_m: float,
    report: DropReport,
) -> pd.DataFrame:
    """Attach each crime to its nearest network node (straight-line distance).

    Parameters
    ----------
    crimes : pandas.DataFrame
        With ``x``, ``y`` in the same projected CRS as the nodes (BNG metres).
    node_x, node_y : numpy.ndarray
        Node coordinates; the returned ``node`` indexes into these arrays.
    max_distance_m : float
        Crimes farther than this from every node are dropped and counted in
        ``report.beyond_snap_distance``.
    report : DropReport
        Updated in place.

    Returns
    -------
    pandas.DataFrame
        Kept rows (fresh index) plus ``node`` (int) and ``snap_distance_m``.
    """
    from scipy.spatial import cKDTree

    _require(crimes, ("x", "y"), "snap_to_nodes")
    node_x = np.asarray(node_x, dtype=float).ravel()
    node_y = np.asarray(node_y, dtype=float).ravel()
    if node_x.size == 0 or node_x.shape != node_y.shape:
        raise ConfigError(
            f"snap_to_nodes needs equal-length, non-empty node_x/node_y, got {node_x.size} and {node_y.size}"
        )
    if not max_distance_m > 0:
        raise ConfigError(f"max_distance_m must be > 0, got {max_distance_m!r}")
    tree = cKDTree(np.column_stack([node_x, node_y]))
    dist, idx = tree.query(np.column_stack([crimes["x"].to_numpy(float), crimes["y"].to_numpy(float)]), k=1)
    out = crimes.assign(node=np.asarray(idx, dtype=np.int64), snap_distance_m=np.asarray(dist, dtype=float))
    far = out["snap_distance_m"].to_numpy() > max_distance_m
    out = _drop(out, far, report, "beyond_snap_distance", f"farther than {max_distance_m} m from any node")
    return out.reset_index(drop=True)


def require_crimes(crimes: pd.DataFrame, report: DropReport, where: str) -> pd.DataFrame:
    """Return `crimes`, or raise DataError when cleaning left none.

    Parameters
    ----------
    crimes : pandas.DataFrame
        The kept rows.
    report : DropReport
        Why the other rows were dropped; the message gives every count.
    where : str
        The study area and months asked for (and the file that set them).

    Raises
    ------
    DataError
        Naming `where`, the rows read and the rows dropped by reason.
    """
    if len(crimes):
        return crimes
    drops = ", ".join(f"{r.replace('_', ' ')} {getattr(report, r):,}" for r in report.REASONS)
    raise DataError(f"no crime left for {where}: {report.total_in:,} police.uk rows read, "
                    f"dropped by reason: {drops}. Check that the study area and months cover "
                    "the data (crime.study_area, crime.first_month/last_month, crime.force).")


# --------------------------------------------------------------------------- #
# Aggregation
# --------------------------------------------------------------------------- #


def _most_common(df: pd.DataFrame, key: str, col: str) -> pd.Series:
    """Most frequent non-missing `col` per `key` (ties: alphabetically first)."""
    counts = df.groupby([key, col]).size().reset_index(name="_n")
    counts = counts.sort_values([key, "_n", col], ascending=[True, False, True])
    return counts.drop_duplicates(key).set_index(key)[col]


def aggregate_by_node(crimes: pd.DataFrame, n_nodes: int, crime_types: list[str]) -> pd.DataFrame:
    """Count crimes, ASB incidents and harm at each network node.

    Parameters
    ----------
    crimes : pandas.DataFrame
        From :func:`snap_to_nodes` (``node``, ``is_asb``, ``harm``,
        ``Crime type``, ``Location``, ``LSOA code``).
    n_nodes : int
        Number of nodes; the result has one row per node 0..n_nodes-1.
    crime_types : list of str
        One count column per type (types not listed still count in
        ``crimes``/``asb``/``harm``).

    Returns
    -------
    pandas.DataFrame
        Index ``node``; columns ``crimes`` (non-ASB rows), ``asb``, ``harm``
        (CHI days), one count per crime type, and ``location`` / ``lsoa``:
        the most common police.uk ``Location`` text and ``LSOA code`` at the
        node (ties: alphabetically first; missing if the node has no rows).
    """
    _require(crimes, ("node", "is_asb", "harm", "Crime type", "Location", "LSOA code"), "aggregate_by_node")
    node = crimes["node"].to_numpy(dtype=np.int64)
    if node.size and (node.min() < 0 or node.max() >= n_nodes):
        raise DataError(f"aggregate_by_node: node index out of range 0..{n_nodes - 1} (min {node.min()}, max {node.max()})")
    asb = crimes["is_asb"].to_numpy(dtype=bool)
    out = pd.DataFrame(
        {
            "crimes": np.bincount(node[~asb], minlength=n_nodes),
            "asb": np.bincount(node[asb], minlength=n_nodes),
            "harm": np.bincount(node, weights=crimes["harm"].to_numpy(float), minlength=n_nodes),
        },
        index=pd.RangeIndex(n_nodes, name="node"),
    )
    per_type = crimes.groupby(["node", "Crime type"]).size().unstack(fill_value=0)
    per_type = per_type.reindex(index=out.index, columns=list(crime_types), fill_value=0)
    out = out.join(per_type.fillna(0).astype(np.int64))
    out["location"] = _most_common(crimes, "node", "Location").reindex(out.index)
    out["lsoa"] = _most_common(crimes, "node", "LSOA code").reindex(out.index)
    return out


def aggregate_by_lsoa(crimes: pd.DataFrame, asb_weight_in_index: float = 1.0) -> pd.DataFrame:
    """Crimes, ASB and harm per LSOA, ranked by a harm index.

    Hertfordshire's Community Safety and Criminal Justice Plan (2022-2027)
    builds a Harm Index at LSOA level from crimes and ASB incidents. Here::

        harm_index = harm + asb_weight_in_index * asb

    where ``harm`` is the sum of CHI days of the LSOA's crimes (Sherman,
    Neyroud & Neyroud 2016) and ``asb`` the count of ASB incidents, each
    given `asb_weight_in_index` days. Rows with no ``LSOA code`` are left
    out (with a logged warning).

    Parameters
    ----------
    crimes : pandas.DataFrame
        From :func:`clean_crimes` (``LSOA code``, ``LSOA name``, ``is_asb``, ``harm``).
    asb_weight_in_index : float
        Days of harm per ASB incident in the index.

    Returns
    -------
    pandas.DataFrame
        Index ``LSOA code``; columns ``LSOA name``, ``crimes``, ``asb``,
        ``harm``, ``harm_index``; sorted by ``harm_index`` descending
        (ties by code).
    """
    _require(crimes, ("LSOA code", "LSOA name", "is_asb", "harm"), "aggregate_by_lsoa")
    no_code = crimes["LSOA code"].isna().to_numpy()
    if no_code.any():
        log.warning("aggregate_by_lsoa: %d row(s) have no LSOA code and are left out", int(no_code.sum()))
    df = crimes.loc[~no_code]
    asb = df["is_asb"].astype(bool)
    grouped = df.assign(_crime=~asb, _asb=asb).groupby("LSOA code")
    out = pd.DataFrame(
        {
            "LSOA name": _most_common(df, "LSOA code", "LSOA name"),
            "crimes": grouped["_crime"].sum().astype(np.int64),
            "asb": grouped["_asb"].sum().astype(np.int64),
            "harm": grouped["harm"].sum().astype(float),
        }
    )
    out.index.name = "LSOA code"
    out["harm_index"] = out["harm"] + float(asb_weight_in_index) * out["asb"]
    out = out.reset_index().sort_values(["harm_index", "LSOA code"], ascending=[False, True])
    return out.set_index("LSOA code")


def concentration(values, share: float = 0.5) -> float:
    """Smallest fraction of places that together hold `share` of the total.

    Places are ranked by value, largest first; the result is k/n for the
    smallest k whose top-k sum reaches ``share * total``. All places passed
    count in n, including those with zero. Weisburd (2015, Criminology 53)
    finds that 2.1-6.0% of street segments hold 50% of crime (and 0.4-1.6%
    hold 25%) across cities.

    Parameters
    ----------
    values : array_like
        Non-negative count or harm per place.
    share : float
        Share of the total, in (0, 1].

    Returns
    -------
    float
        Fraction of places in (0, 1]; NaN if there are no places or the
        total is 0. E.g. ``concentration([10, 0, 0, 0, 0, 0, 0, 0, 0, 0]) == 0.1``.
    """
    v = np.asarray(values, dtype=float).ravel()
    if not 0 < share <= 1:
        raise ConfigError(f"share must be in (0, 1], got {share!r}")
    if v.size and (not np.all(np.isfinite(v)) or v.min() < 0):
        raise ConfigError("concentration needs finite, non-negative values")
    total = v.sum()
    if v.size == 0 or total <= 0:
        return float("nan")
    cum = np.cumsum(np.sort(v)[::-1])
    k = int(np.searchsorted(cum, share * total * (1 - 1e-12), side="left")) + 1
    return min(k, v.size) / v.size


# --------------------------------------------------------------------------- #
# LSOA boundaries (ONS)
# --------------------------------------------------------------------------- #

LSOA_CODE_FIELDS = ("LSOA11CD", "LSOA21CD", "lsoa_code")
LSOA_NAME_FIELDS = ("LSOA11NM", "LSOA21NM", "lsoa_name")


def read_lsoa_boundaries(path: Path):
    """LSOA polygons from an ONS GeoJSON file (plain or ``.gz``), in British National Grid.

    Parameters
    ----------
    path : Path
        GeoJSON FeatureCollection in lon/lat with an LSOA code and name per
        feature (``LSOA11CD``/``LSOA11NM``, the 2021 equivalents, or
        ``lsoa_code``/``lsoa_name``).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``lsoa_code``, ``lsoa_name``, ``geometry`` (EPSG:27700).

    Raises
    ------
    DataError
        Naming the file when it cannot be read, is not GeoJSON or lacks the fields.
    """
    import geopandas as gpd

    path = Path(path)
    try:
        with (gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz"
              else open(path, encoding="utf-8")) as fh:
            features = json.load(fh)["features"]
    except (OSError, EOFError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path}: not a readable GeoJSON FeatureCollection of LSOA boundaries "
                        f"({type(exc).__name__}: {exc})") from exc
    if not features:
        raise DataError(f"{path}: holds no LSOA polygons")
    props = features[0].get("properties") or {}
    code = next((f for f in LSOA_CODE_FIELDS if f in props), None)
    name = next((f for f in LSOA_NAME_FIELDS if f in props), None)
    if code is None or name is None:
        raise DataError(f"{path}: features need an LSOA code and name field (one of "
                        f"{LSOA_CODE_FIELDS} and {LSOA_NAME_FIELDS}); found {sorted(props)}")
    gdf = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    gdf = gdf.rename(columns={code: "lsoa_code", name: "lsoa_name"})
    return gdf[["lsoa_code", "lsoa_name", "geometry"]].to_crs(27700)


def lsoa_harm_map(by_lsoa: pd.DataFrame, boundaries, source: str = "boundaries"):
    """The LSOA harm index (:func:`aggregate_by_lsoa`) on the LSOA polygons.

    Every LSOA of the boundaries is kept (those with no recorded incident get
    0). Incidents in LSOAs the boundaries do not hold are counted and logged;
    when none of the crime data's LSOAs is in the boundaries, the two do not
    belong together (another place) and this is an error.

    Returns
    -------
    geopandas.GeoDataFrame
        ``lsoa_code``, ``lsoa_name``, ``crimes``, ``asb``, ``harm``,
        ``harm_index``, ``geometry`` (EPSG:27700), by harm index.
    """
    known = by_lsoa.index.isin(boundaries["lsoa_code"])
    if len(by_lsoa) and not known.any():
        raise DataError(f"{source}: none of the {len(by_lsoa)} LSOAs in the crime data is among "
                        f"its {len(boundaries)} polygons: the boundaries are of another place")
    if not known.all():
        missing = by_lsoa[~known]
        log.warning("%s: %d incident(s) in %d LSOA(s) without a polygon are left off the LSOA "
                    "map (e.g. %s)", source, int(missing["crimes"].sum() + missing["asb"].sum()),
                    len(missing), ", ".join(missing.index[:3]))
    values = by_lsoa[["crimes", "asb", "harm", "harm_index"]]
    out = boundaries.merge(values, left_on="lsoa_code", right_index=True, how="left")
    out[values.columns] = out[values.columns].fillna(0)
    out = out.astype({"crimes": np.int64, "asb": np.int64}).round({"harm": 1, "harm_index": 1})
    return out.sort_values(["harm_index", "lsoa_code"], ascending=[False, True]).reset_index(drop=True)


# --------------------------------------------------------------------------- #
# Download (data.police.uk API)
# --------------------------------------------------------------------------- #


def _offline_message(url: str, exc: Exception) -> str:
    """Explain that the service is unreachable and how to use local files."""
    return (
        f"cannot reach data.police.uk ({url}): {exc}. This machine seems to have no internet "
        f"connection. To work offline, download the street-level CSVs by hand from "
        f"https://data.police.uk/data on a connected machine, unpack them so that files sit at "
        f"<folder>/police_uk/YYYY-MM/YYYY-MM-<force>-street.csv, and set {DATA_ENV_VAR}=<folder>."
    )


def _get_json(url: str, params: dict, timeout: float):
    """GET `url` and return parsed JSON, or None on HTTP 503 (too many crimes)."""
    import requests

    try:
        resp = requests.get(url, params=params, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise OfflineError(_offline_message(url, exc)) from exc
    if resp.status_code == 503:
        return None
    if resp.status_code != 200:
        raise DataError(f"data.police.uk answered {resp.status_code} for {resp.url}: {resp.text[:200]!r}")
    return resp.json()


def _fetch_crimes(month: str, bbox: tuple, timeout: float, depth: int = 0) -> list[dict]:
    """Crimes of one month in a lon/lat box; splits the box when the API says >10,000."""
    lon0, lat0, lon1, lat1 = bbox
    poly = ":".join(f"{la:.6f},{lo:.6f}" for lo, la in ((lon0, lat0), (lon0, lat1), (lon1, lat1), (lon1, lat0)))
    data = _get_json(f"{POLICE_UK_API}/crimes-street/all-crime", {"poly": poly, "date": month}, timeout)
    if data is not None:
        return data
    if depth >= 4:
        raise DataError(f"data.police.uk refuses box {bbox} for {month} even after splitting (over 10,000 crimes)")
    lon_m, lat_m = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    quads = [(lon0, lat0, lon_m, lat_m), (lon_m, lat0, lon1, lat_m), (lon0, lat_m, lon_m, lat1), (lon_m, lat_m, lon1, lat1)]
    out, seen = [], set()
    for q in quads:
        for c in _fetch_crimes(month, q, timeout, depth + 1):
            if c.get("id") not in seen:
                seen.add(c.get("id"))
                out.append(c)
    return out


def _api_to_rows(crimes: list[dict], month: str, force_name: str) -> pd.DataFrame:
    """Convert API crime records to the 12 bulk-CSV columns."""
    rows = []
    for c in crimes:
        loc = c.get("location") or {}
        outcome = c.get("outcome_status") or {}
        rows.append(
            {
                "Crime ID": c.get("persistent_id") or "",
                "Month": c.get("month") or month,
                "Reported by": force_name,
                "Falls within": force_name,
                "Longitude": loc.get("longitude") or "",
                "Latitude": loc.get("latitude") or "",
                "Location": (loc.get("street") or {}).get("name") or "",
                "LSOA code": "",
                "LSOA name": "",
                "Crime type": API_CATEGORIES.get(c.get("category", ""), c.get("category", "")),
                "Last outcome category": outcome.get("category") or "",
                "Context": c.get("context") or "",
            }
        )
    return pd.DataFrame(rows, columns=list(POLICE_UK_COLUMNS))


def download_police_uk(
    months: Iterable[str] | str,
    dest: Path,
    bbox_lonlat: tuple[float, float, float, float],
    force: str = "hertfordshire",
    timeout: float = 30,
) -> list[Path]:
    """Download street-level crime from the data.police.uk API into the bulk layout.

    Queries ``/api/crimes-street/all-crime`` with a ``poly`` (the box) and
    ``date`` for each month and writes
    ``dest/YYYY-MM/YYYY-MM-<force>-street.csv`` with the 12
    :data:`POLICE_UK_COLUMNS`, so :func:`read_police_uk` reads the result
    (``root=dest``). Differences from the bulk files: the API returns crimes
    located in the box whatever force recorded them, rows without
    coordinates are not included, and ``LSOA code``/``LSOA name`` are empty.
    A box holding over 10,000 crimes in a month is split into quarters.

    Parameters
    ----------
    months : iterable of str or str
        Months ``YYYY-MM``.
    dest : Path
        Output folder (created if needed).
    bbox_lonlat : tuple of float
        ``(lon_min, lat_min, lon_max, lat_max)`` in degrees.
    force : str
        Force slug for the file names and the ``Reported by`` column.
    timeout : float
        Seconds per HTTP request.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OfflineError
        If data.police.uk cannot be reached (with how to supply local files).
    DataError
        If the service answers with an error.
    """
    months = [months] if isinstance(months, str) else list(months)
    for m in months:
        _check_month(m)
    bbox = _check_bbox(bbox_lonlat, "bbox_lonlat")
    info = _get_json(f"{POLICE_UK_API}/forces/{force}", {}, timeout) or {}
    force_name = info.get("name") or force
    written = []
    for month in months:
        crimes = _fetch_crimes(month, bbox, timeout)
        path = police_uk_path(Path(dest), month, force)
        path.parent.mkdir(parents=True, exist_ok=True)
        _api_to_rows(crimes, month, force_name).to_csv(path, index=False)
        log.info("wrote %d rows to %s", len(crimes), path)
        written.append(path)
    return written
