"""Read a force's own crime export (CSV) through a small TOML column mapping.

A force's records management system exports crimes with its own column
names, date format and offence codes. A mapping file says which column is
which, so the export is read as it is::

    mapping = read_force_mapping(Path("examples/force_crimes_mapping.toml"))
    crimes, report = read_force_crimes(Path("examples/force_crimes.csv"), mapping)

The result has the columns :func:`~hotspot_sim.data.cleaning.clean_crimes`
gives police.uk rows (``Crime type``, ``Longitude``, ``Latitude``, ``x``,
``y``, ``harm``, ``is_asb``, ``month``, ``Location``, ``LSOA code`` ...), so
:func:`~hotspot_sim.data.cleaning.snap_to_nodes` and the aggregation steps
take it unchanged, plus ``datetime``: unlike police.uk (month only) a force's
records carry the time of the offence. The cleaning itself is
:func:`clean_crimes`; this module only adds the steps police.uk rows do not
need (date-time, duplicate ids, offence codes, BNG input). The format and the
mapping keys are documented in ``examples/README.md``.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..io import read_csv_text
from ..projection import to_lonlat
from ..settings import read_toml
from .cleaning import DropReport, clean_crimes
from .harm import load_harm_weights
from .police_uk import POLICE_UK_COLUMNS, check_month

log = logging.getLogger(__name__)

REQUIRED_COLUMN_KEYS: tuple[str, ...] = ("id", "datetime", "offence")
"""``[columns]`` keys every mapping must give (plus one coordinate pair)."""

COORDINATE_PAIRS: tuple[tuple[str, str], ...] = (("x", "y"), ("lon", "lat"))
"""BNG easting/northing in metres, or WGS84 longitude/latitude in degrees."""

OPTIONAL_COLUMN_KEYS: tuple[str, ...] = ("harm", "location", "lsoa")
"""Optional ``[columns]`` keys: per-record harm weight (days), location text, LSOA code."""

COLUMN_KEYS: tuple[str, ...] = (*REQUIRED_COLUMN_KEYS, "x", "y", "lon", "lat", *OPTIONAL_COLUMN_KEYS)
SECTIONS: tuple[str, ...] = ("columns", "format", "offence_map")
FORMAT_KEYS: tuple[str, ...] = ("datetime",)

GB_GRID_BOX: tuple[float, float, float, float] = (0.0, 0.0, 700_000.0, 1_300_000.0)
"""The extent of the British National Grid (metres): the default study area, so
only coordinates that cannot be in Great Britain are dropped as outside it."""

UK_TIME_ZONE = "Europe/London"
"""Local time of the records: date-times exported with a UTC offset are converted to it."""

MAX_LINES_NAMED = 10
"""Line numbers listed in one warning; the count is always complete."""


# --------------------------------------------------------------------------- #
# Mapping
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class ExportMapping:
    """Which export column is which, and how its dates read (any force export).

    Attributes
    ----------
    columns : dict of str to str
        ``[columns]``: mapping key to the export's column name.
    datetime_format : str or None
        ``[format] datetime``: a :func:`time.strptime` format such as
        ``"%d/%m/%Y %H:%M"``; None reads ISO 8601 (``2024-01-05T23:45``).
    source : str
        The mapping file, for messages.
    """

    columns: dict[str, str]
    datetime_format: str | None = None
    source: str = "<mapping>"

    @property
    def has_bng(self) -> bool:
        """True when coordinates are BNG ``x``/``y``; False for ``lon``/``lat``."""
        return "x" in self.columns


@dataclass(frozen=True)
class ForceRecordsMapping(ExportMapping):
    """Which crime-export column is which, how dates read, and local offence codes.

    Attributes
    ----------
    columns : dict of str to str
        ``[columns]``: mapping key (``id``, ``datetime``, ``offence``, ``x``/``y``
        or ``lon``/``lat``, optional ``harm``, ``location``, ``lsoa``) to the
        export's column name.
    datetime_format : str or None
        See :class:`ExportMapping`.
    source : str
        The mapping file, for messages.
    offence_map : dict of str to str
        ``[offence_map]``: local or Home Office offence code to police.uk
        category; values not listed are taken as police.uk categories.
    """

    offence_map: dict[str, str] = field(default_factory=dict)


def string_table(raw: dict, section: str, allowed: tuple[str, ...] | None, source: str) -> dict[str, str]:
    """A TOML section as str -> str, rejecting keys not in `allowed` and non-text values."""
    table = raw.get(section, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [{section}] must be a table of names, got {table!r}")
    for key, value in table.items():
        if allowed is not None and key not in allowed:
            raise ConfigError(f"{source}: [{section}] key {key!r} is not known; known keys: {list(allowed)}")
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{source}: [{section}] {key} must be a non-empty text, got {value!r}")
    return {str(k): v.strip() for k, v in table.items()}


def check_coordinate_keys(columns: dict[str, str], source: str) -> None:
    """Exactly one full coordinate pair must be mapped."""
    pairs = [p for p in COORDINATE_PAIRS if any(k in columns for k in p)]
    if len(pairs) != 1 or not all(k in columns for k in pairs[0]):
        raise ConfigError(f"{source}: [columns] must map exactly one coordinate pair, x and y (BNG metres) "
                          f"or lon and lat (degrees); got {sorted(k for p in COORDINATE_PAIRS for k in p if k in columns)}")


def export_columns(raw: dict, source: str, sections: tuple[str, ...], keys: tuple[str, ...],
                   required: tuple[str, ...], holding: str) -> tuple[dict[str, str], str | None]:
    """The checked ``[columns]`` and ``[format] datetime`` of a force-export mapping.

    Parameters
    ----------
    raw : dict
        The parsed TOML.
    source : str
        Where `raw` came from, for messages.
    sections : tuple of str
        The sections this kind of mapping may have.
    keys, required : tuple of str
        The ``[columns]`` keys allowed, and those that must be given.
    holding : str
        What the required columns hold, for the message when one is missing.

    Returns
    -------
    columns : dict of str to str
    datetime_format : str or None

    Raises
    ------
    ConfigError
        Naming `source` and the section/key: unknown section or key, a
        required column key missing, not one coordinate pair, a non-text value.
    """
    unknown = [s for s in raw if s not in sections]
    if unknown:
        raise ConfigError(f"{source}: unknown section(s) {unknown}; known sections: {list(sections)}")
    columns = string_table(raw, "columns", keys, source)
    missing = [k for k in required if k not in columns]
    if missing:
        raise ConfigError(f"{source}: [columns] lacks key(s) {missing} (the export columns holding "
                          f"{holding})")
    check_coordinate_keys(columns, source)
    return columns, string_table(raw, "format", FORMAT_KEYS, source).get("datetime")


def mapping_from_dict(raw: dict, source: str = "<dict>") -> ForceRecordsMapping:
    """Build and check a :class:`ForceRecordsMapping` from a parsed TOML dict.

    Parameters
    ----------
    raw : dict
        Sections ``columns`` (required), ``format`` and ``offence_map``.
    source : str
        Where `raw` came from, for messages.

    Returns
    -------
    ForceRecordsMapping

    Raises
    ------
    ConfigError
        Naming `source` and the section/key: unknown section or key, a
        required column key missing, not one coordinate pair, a non-text value.
    """
    columns, datetime_format = export_columns(raw, source, SECTIONS, COLUMN_KEYS, REQUIRED_COLUMN_KEYS,
                                              "the record id, date-time and offence")
    offence_map = string_table(raw, "offence_map", None, source)
    return ForceRecordsMapping(columns, datetime_format, source, offence_map)


def read_force_mapping(path: Path) -> ForceRecordsMapping:
    """Read a force-records mapping TOML file (see ``examples/force_crimes_mapping.toml``).

    Raises
    ------
    ConfigError
        If the file is missing, not TOML, or not a valid mapping (naming file and key).
    """
    return read_mapping_file(path, "force-records mapping", mapping_from_dict)


def read_mapping_file(path: Path, what: str, build):
    """``build(parsed TOML, source=path)``: a mapping file read and checked (ConfigError naming it)."""
    path = Path(path)
    return build(read_toml(path, what), source=str(path))


# --------------------------------------------------------------------------- #
# Drop report
# --------------------------------------------------------------------------- #


@dataclass
class ForceDropReport(DropReport):
    """A :class:`DropReport` with the reasons only time-stamped force records have.

    Attributes
    ----------
    duplicate_id : int
        Rows whose id repeats an earlier row's (the first is kept).
    bad_datetime : int
        Rows whose date-time is empty or does not read with the mapping's format.
    outside_period : int
        Rows dated in the future, or outside the months asked for.
    """

    duplicate_id: int = 0
    bad_datetime: int = 0
    outside_period: int = 0

    REASONS: ClassVar[tuple[str, ...]] = ("duplicate_id", "bad_datetime", "outside_period",
                                          *DropReport.REASONS)


def drop_lines(df: pd.DataFrame, mask: np.ndarray, report: ForceDropReport, reason: str,
                path: Path, detail: str) -> pd.DataFrame:
    """Drop rows where `mask` is true, counting them and naming their file lines in a warning."""
    n = int(np.count_nonzero(mask))
    if n:
        setattr(report, reason, getattr(report, reason) + n)
        _warn_lines(path, df["source_row"].to_numpy()[mask], f"{reason} ({detail})")
    return df.loc[~mask]


def _warn_lines(path: Path, lines: np.ndarray, why: str) -> None:
    shown = ", ".join(str(int(v)) for v in lines[:MAX_LINES_NAMED])
    more = f" and {len(lines) - MAX_LINES_NAMED} more" if len(lines) > MAX_LINES_NAMED else ""
    log.warning("%s: dropped %d row(s), line(s) %s%s: %s", path, len(lines), shown, more, why)


# --------------------------------------------------------------------------- #
# Reading
# --------------------------------------------------------------------------- #


def read_export_table(path: Path, mapping: ExportMapping, what: str = "crime") -> pd.DataFrame:
    """The export as text columns plus ``source_row`` (file line; header = line 1).

    `what` names the records (``"crime"``, ``"call"``) in messages.

    Line numbers assume one record per line, as records-system exports write
    them; a quoted field holding a line break shifts the numbers after it.
    """
    text = read_csv_text(path, f"force {what}")
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, on_bad_lines="error")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: cannot be read as CSV: {exc}") from exc
    df.columns = [str(c).strip() for c in df.columns]
    missing = {k: c for k, c in mapping.columns.items() if c not in df.columns}
    if missing:
        named = ", ".join(f"{k} = {c!r}" for k, c in missing.items())
        raise DataError(f"{path}: column(s) named in {mapping.source} [columns] not in the file: {named}; "
                        f"the file has columns {list(df.columns)}")
    if df.empty:
        raise DataError(f"{path}: the file has a header (line 1) but no {what} records")
    df["source_row"] = np.arange(2, len(df) + 2, dtype=np.int64)
    return df


def parse_datetimes(table: pd.DataFrame, mapping: ExportMapping, path: Path) -> pd.Series:
    """Date-times of the mapped column; an empty or unreadable one -> NaT (dropped later).

    A format that is not a format, or that reads none of the dates, is the
    mapping's fault rather than the rows': that is an error, not 100% dropped.
    Date-times with a UTC offset (``2024-04-01T10:00+01:00``, ``...Z``) are
    converted to UK local time (:data:`UK_TIME_ZONE`), as times without one are read.
    """
    column, fmt = mapping.columns["datetime"], mapping.datetime_format
    text = table[column].str.strip()
    try:
        when = pd.to_datetime(text, format=fmt or "ISO8601", errors="coerce")
    except ValueError as exc:
        if "timezone" not in str(exc).lower():
            raise ConfigError(f"{mapping.source}: [format] datetime {fmt!r} is not a date format: "
                              f"{exc}") from None
        # mixed UTC offsets (GMT and BST stamps in one export): read them all as instants
        when = pd.to_datetime(text, format=fmt or "ISO8601", errors="coerce", utc=True)
    if when.dt.tz is not None:  # stamps with an offset: the UK clock time the profiles count by
        when = when.dt.tz_convert(UK_TIME_ZONE).dt.tz_localize(None)
    if when.isna().all():
        raise DataError(f"{path}: no value of column {column!r} reads as a date-time with "
                        f"{mapping.source} [format] datetime = {fmt or 'ISO 8601'!r} (line 2 holds "
                        f"{text.iat[0]!r}); set the format to match, e.g. \"%d/%m/%Y %H:%M\"")
    return when


def export_coordinates(df: pd.DataFrame, mapping: ExportMapping) -> tuple[np.ndarray, ...]:
    """The mapped coordinate pair as floats (NaN when missing or non-numeric).

    Raises
    ------
    ConfigError
        If the pair is mapped as BNG ``x``/``y`` but every coordinate reads as
        degrees: BNG metres that small lie in the sea off Scilly, and near the
        Greenwich meridian they would pass the whole-grid area check unnoticed.
    """
    a_key, b_key = ("x", "y") if mapping.has_bng else ("lon", "lat")
    a = pd.to_numeric(df[mapping.columns[a_key]].str.strip(), errors="coerce").to_numpy(float)
    b = pd.to_numeric(df[mapping.columns[b_key]].str.strip(), errors="coerce").to_numpy(float)
    ok = np.isfinite(a) & np.isfinite(b)
    if mapping.has_bng and ok.any() and np.all((np.abs(a[ok]) <= 180) & (np.abs(b[ok]) <= 90)):
        raise ConfigError(f"{mapping.source}: [columns] x = {mapping.columns['x']!r}, y = "
                          f"{mapping.columns['y']!r} hold degrees (e.g. {a[ok][0]:g}, {b[ok][0]:g}), "
                          "not British National Grid metres: map them as lon and lat instead")
    return a, b


def _lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude of BNG points, NaN where a coordinate is missing."""
    ok = np.isfinite(x) & np.isfinite(y)
    lon, lat = np.full(x.shape, np.nan), np.full(x.shape, np.nan)
    lon[ok], lat[ok] = to_lonlat(x[ok], y[ok])
    return lon, lat


def optional_text(df: pd.DataFrame, mapping: ExportMapping, key: str) -> pd.Series:
    """A mapped optional text column (empty -> missing), or all missing when not mapped."""
    if key not in mapping.columns:
        return pd.Series(pd.NA, index=df.index, dtype=object)
    text = df[mapping.columns[key]].str.strip()
    return text.where(text != "")


def _as_police_uk(df: pd.DataFrame, mapping: ForceRecordsMapping, when: pd.Series) -> pd.DataFrame:
    """The rows in the police.uk column layout that :func:`clean_crimes` reads."""
    a, b = export_coordinates(df, mapping)
    lon, lat = _lonlat(a, b) if mapping.has_bng else (a, b)
    offence = optional_text(df, mapping, "offence")  # empty -> missing, counted as "<missing>" type
    out = pd.DataFrame({c: pd.Series(pd.NA, index=df.index, dtype=object) for c in POLICE_UK_COLUMNS})
    out["Crime ID"] = optional_text(df, mapping, "id")
    out["Month"] = when.dt.strftime("%Y-%m")
    out["Longitude"], out["Latitude"] = lon, lat
    out["Location"] = optional_text(df, mapping, "location")
    out["LSOA code"] = optional_text(df, mapping, "lsoa")
    out["Crime type"] = offence.map(mapping.offence_map).fillna(offence)
    out["offence"] = offence
    out["datetime"] = when
    out["record_harm"] = _record_harm(df, mapping)
    out["source_row"] = df["source_row"]
    if mapping.has_bng:  # kept to restore the exported metres after clean_crimes re-projects
        out["input_x"], out["input_y"] = a, b
    return out


def _record_harm(df: pd.DataFrame, mapping: ForceRecordsMapping) -> np.ndarray:
    """Per-record harm weights (days), NaN where not given; junk or negative is a DataError."""
    if "harm" not in mapping.columns:
        return np.full(len(df), np.nan)
    column = mapping.columns["harm"]
    text = df[column].str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(float)
    bad = (text != "").to_numpy() & ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"line {df['source_row'].iat[i]}, column {column!r} (harm): {text.iat[i]!r} is not "
                        f"a number >= 0 ({int(bad.sum())} such row(s))")
    return values


def _check_offence_map(mapping: ForceRecordsMapping, harm: pd.DataFrame) -> None:
    """Every code must map onto a category the harm table weights."""
    wrong = {k: v for k, v in mapping.offence_map.items() if v not in harm.index}
    if wrong:
        raise ConfigError(f"{mapping.source}: [offence_map] maps to categories the harm table does not "
                          f"know: {wrong}; known categories: {list(harm.index)}")


def outside_period(when: pd.Series, months: tuple[str, str] | None) -> np.ndarray:
    """Rows dated after now (a typing error: no record is from the future) or outside ``months``."""
    outside = (when > pd.Timestamp.now()).to_numpy().copy()
    if months is not None:
        month = when.dt.strftime("%Y-%m")
        outside |= ((month < check_month(months[0])) | (month > check_month(months[1]))).to_numpy()
    return outside


def period_detail(months: tuple[str, str] | None) -> str:
    if months is None:
        return "dated in the future"
    return f"dated in the future or outside {months[0]} to {months[1]}"


def drop_ids_and_times(rows: pd.DataFrame, id_column: str, report: ForceDropReport,
                       mapping: ExportMapping, path: Path, months: tuple[str, str] | None) -> pd.DataFrame:
    """Drop, count and name the lines of repeated ids, unreadable date-times and dates out of period.

    Parameters
    ----------
    rows : pandas.DataFrame
        With `id_column` (missing = no id), ``datetime`` (NaT = unreadable) and ``source_row``.
    id_column : str
        The record-id column of `rows`.
    report : ForceDropReport
        Counts ``duplicate_id``, ``bad_datetime`` and ``outside_period`` (updated in place).
    mapping : ExportMapping
        Names the export's columns in the warnings.
    path : Path
        The export, named in the warnings.
    months : tuple of str or None
        First and last month to keep.

    Returns
    -------
    pandas.DataFrame
        The rows kept.
    """
    # An empty id is no id (police.uk leaves ASB ids blank too): kept, never a duplicate.
    repeated = (rows[id_column].duplicated() & rows[id_column].notna()).to_numpy()
    rows = drop_lines(rows, repeated, report, "duplicate_id",
                      path, f"id column {mapping.columns['id']!r} repeats an earlier row")
    rows = drop_lines(rows, rows["datetime"].isna().to_numpy(), report, "bad_datetime", path,
                      f"column {mapping.columns['datetime']!r} does not read as "
                      f"{mapping.datetime_format or 'ISO 8601'}")
    return drop_lines(rows, outside_period(rows["datetime"], months), report,
                      "outside_period", path, period_detail(months))


def read_force_crimes(
    path: Path,
    mapping: ForceRecordsMapping,
    bbox_bng: tuple[float, float, float, float] = GB_GRID_BOX,
    harm: pd.DataFrame | None = None,
    months: tuple[str, str] | None = None,
) -> tuple[pd.DataFrame, ForceDropReport]:
    """Read and clean a force's crime export.

    Rows are dropped, in this order, for: an id already seen (the first row
    is kept; an empty id is kept and never a duplicate); an empty or
    unreadable date-time (read as exported, in local time: no time zone is
    applied); a date-time in the future or outside ``months``; then, by
    :func:`clean_crimes`, missing or non-numeric coordinates, a point outside
    `bbox_bng`, an offence that is not (or does not map to) a category of
    `harm`. Every drop is counted in the report and warned with the file and
    its line numbers.

    Parameters
    ----------
    path : Path
        The export (CSV; UTF-8, UTF-16 with BOM or Windows-1252, gzip allowed:
        see :func:`~hotspot_sim.io.read_csv_text`).
    mapping : ForceRecordsMapping
        From :func:`read_force_mapping`.
    bbox_bng : tuple of float
        Study area ``(xmin, ymin, xmax, ymax)`` in BNG metres; default the whole grid.
    months : tuple of str, optional
        ``("YYYY-MM", "YYYY-MM")``: the first and last month to keep (a record from
        another period is dropped and counted, not mixed in).
    harm : pandas.DataFrame, optional
        From :func:`load_harm_weights`; default the packaged CHI table.

    Returns
    -------
    crimes : pandas.DataFrame
        As :func:`clean_crimes` returns for police.uk rows (``Crime ID`` is the
        record id, ``Month`` and ``month`` are ``YYYY-MM``), plus ``datetime``
        (pandas Timestamp), ``offence`` (the code as exported), ``source_file``
        and ``source_row`` (line in the file; header = line 1). ``harm`` is the
        record's own weight where the mapped ``harm`` column gives one, else
        the table's weight for its category.
    report : ForceDropReport
        Rows read and dropped, by reason.

    Raises
    ------
    DataError
        If the file cannot be read, lacks a mapped column (naming the key and
        column), or holds a harm weight that is not a number >= 0 (naming the line).
    ConfigError
        If the mapping's ``[offence_map]`` names a category not in `harm`.
    """
    path = Path(path)
    harm = load_harm_weights() if harm is None else harm
    _check_offence_map(mapping, harm)
    table = read_export_table(path, mapping)
    when = parse_datetimes(table, mapping, path)
    try:
        rows = _as_police_uk(table, mapping, when)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None
    report = ForceDropReport(total_in=len(rows))
    rows = drop_ids_and_times(rows, "Crime ID", report, mapping, path, months)
    crimes, cleaned = clean_crimes(rows.reset_index(drop=True), bbox_bng, harm)
    _merge_clean_report(report, cleaned, rows, crimes, path)
    own = crimes.pop("record_harm").to_numpy(float)
    crimes["harm"] = np.where(np.isfinite(own), own, crimes["harm"].to_numpy(float))
    if mapping.has_bng:  # the export's own metres, not a mm-off round trip through degrees
        crimes["x"], crimes["y"] = crimes.pop("input_x").to_numpy(float), crimes.pop("input_y").to_numpy(float)
    crimes["source_file"] = str(path)
    return crimes, report


def _merge_clean_report(report: ForceDropReport, cleaned: DropReport, before: pd.DataFrame,
                        after: pd.DataFrame, path: Path) -> None:
    """Add :func:`clean_crimes`' counts to `report` and name the lines it dropped."""
    for reason in DropReport.REASONS:
        setattr(report, reason, getattr(report, reason) + getattr(cleaned, reason))
    report.unknown_types = dict(cleaned.unknown_types)
    gone = np.setdiff1d(before["source_row"].to_numpy(), after["source_row"].to_numpy())
    if gone.size:
        _warn_lines(path, gone, "no coordinates, outside the study area or unknown offence "
                    f"(counts by reason: {cleaned.as_dict()['dropped']})")
