"""Read a force's calls-for-service (CAD) export through a small TOML column mapping.

A command-and-control system exports each call for service with its own
column names, date format and grade wording ("Immediate", "I1", "P"...). A
mapping file says which column is which and how grades read, so the export
is read as it is::

    mapping = read_calls_mapping(Path("examples/force_calls_mapping.toml"))
    calls, report = read_force_calls(Path("examples/force_calls.csv"), mapping)

The result is the calls DataFrame every part of hotspot-sim shares:
``call_id, datetime, grade (1..3), x, y, incident_type`` in British National
Grid metres and local time, plus ``source_file`` and ``source_row`` (the file
line). The reading steps are shared with the crime export
(:mod:`~hotspot_sim.data.force_records`); the format is documented in
``examples/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..projection import to_bng
from .force_records import (GB_GRID_BOX, ExportMapping, ForceDropReport, drop_ids_and_times,
                            drop_lines, export_columns, export_coordinates, optional_text,
                            parse_datetimes, read_export_table, read_mapping_file)

CALL_COLUMN_KEYS: tuple[str, ...] = ("id", "datetime", "grade", "x", "y", "lon", "lat", "incident_type")
"""``[columns]`` keys of a calls mapping (one coordinate pair; ``incident_type`` optional)."""
CALL_REQUIRED_KEYS: tuple[str, ...] = ("id", "datetime", "grade")
CALL_SECTIONS: tuple[str, ...] = ("columns", "format", "grade_map")
CALL_COLUMNS: tuple[str, ...] = ("call_id", "datetime", "grade", "x", "y", "incident_type")
"""The shared calls DataFrame contract (``node``, ``snap_m`` are added when snapped)."""


@dataclass(frozen=True)
class ForceCallsMapping(ExportMapping):
    """Which CAD-export column is which, how dates read, and what each grade value means.

    Attributes
    ----------
    columns : dict of str to str
        ``[columns]``: ``id``, ``datetime``, ``grade``, ``x``/``y`` or ``lon``/``lat``,
        optional ``incident_type``, to the export's column names.
    datetime_format : str or None
        ``[format] datetime`` (see :class:`~hotspot_sim.data.force_records.ExportMapping`).
    source : str
        The mapping file, for messages.
    grade_map : dict of str to int
        ``[grade_map]``: a grade value as exported (compared without case or
        surrounding spaces) to the grade 1 (immediate), 2 (priority) or 3
        (scheduled). Values ``1``, ``2``, ``3`` read as themselves.
    """

    grade_map: dict[str, int] = field(default_factory=dict)

    def grade_of(self, values: pd.Series) -> pd.Series:
        """Grades 1..3 of exported grade values (NaN where the value is not known)."""
        known = {"1": 1, "2": 2, "3": 3} | {k.strip().casefold(): v for k, v in self.grade_map.items()}
        return values.str.strip().str.casefold().map(known)


def _grade_map(raw: dict, source: str) -> dict[str, int]:
    table = raw.get("grade_map", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [grade_map] must be a table of grade values, got {table!r}")
    for key, value in table.items():
        if isinstance(value, bool) or value not in (1, 2, 3):
            raise ConfigError(f"{source}: [grade_map] {key!r} = {value!r}: a grade must be 1 "
                              "(immediate), 2 (priority) or 3 (scheduled)")
    return {str(k): int(v) for k, v in table.items()}


def calls_mapping_from_dict(raw: dict, source: str = "<dict>") -> ForceCallsMapping:
    """Build and check a :class:`ForceCallsMapping` from a parsed TOML dict.

    Raises
    ------
    ConfigError
        Naming `source` and the section/key: unknown section or key, a
        required column missing, not one coordinate pair, a grade not 1..3.
    """
    columns, datetime_format = export_columns(raw, source, CALL_SECTIONS, CALL_COLUMN_KEYS,
                                              CALL_REQUIRED_KEYS, "the call id, date-time and grade")
    return ForceCallsMapping(columns, datetime_format, source, _grade_map(raw, source))


def read_calls_mapping(path: Path) -> ForceCallsMapping:
    """Read a calls mapping TOML file (see ``examples/force_calls_mapping.toml``).

    Raises
    ------
    ConfigError
        If the file is missing, not TOML, or not a valid mapping (naming file and key).
    """
    return read_mapping_file(path, "calls mapping", calls_mapping_from_dict)


@dataclass
class CallDropReport(ForceDropReport):
    """Calls read and dropped, by reason (the crime reasons less the offence, plus the grade).

    Attributes
    ----------
    unknown_grade : int
        Calls whose grade value is neither 1..3 nor in ``[grade_map]``.
    unknown_types : dict of str to int
        The unknown grade values and their counts.
    """

    unknown_grade: int = 0

    REASONS: ClassVar[tuple[str, ...]] = ("duplicate_id", "bad_datetime", "outside_period",
                                          "no_coordinates", "unknown_grade", "outside_study_area",
                                          "beyond_snap_distance")

    def as_dict(self) -> dict:
        out = super().as_dict()
        out["unknown_grades"] = out.pop("unknown_crime_types")
        return out

    def __str__(self) -> str:
        return super().__str__().replace("unknown crime type", "unknown grade")


def _as_calls(table: pd.DataFrame, mapping: ForceCallsMapping, when: pd.Series) -> pd.DataFrame:
    """The rows in the calls contract's columns (grade text kept for the unknown-grade count)."""
    a, b = export_coordinates(table, mapping)
    ok = np.isfinite(a) & np.isfinite(b)
    x, y = a.copy(), b.copy()
    if not mapping.has_bng:
        x[ok], y[ok] = to_bng(a[ok], b[ok])
    grade_text = table[mapping.columns["grade"]].str.strip()
    return pd.DataFrame({
        "call_id": optional_text(table, mapping, "id"), "datetime": when,
        "grade": mapping.grade_of(grade_text), "x": x, "y": y,
        "incident_type": optional_text(table, mapping, "incident_type"),
        "grade_text": grade_text, "source_row": table["source_row"]})


def read_force_calls(path: Path, mapping: ForceCallsMapping,
                     bbox_bng: tuple[float, float, float, float] | None = None,
                     months: tuple[str, str] | None = None) -> tuple[pd.DataFrame, CallDropReport]:
    """Read and clean a force's calls-for-service export.

    Rows are dropped, in this order, for: an id already seen (first row kept;
    an empty id is kept); an empty or unreadable date-time (read as exported,
    local time); a date-time in the future or outside ``months``; a missing or
    non-numeric coordinate; a grade value not 1..3 and not in ``[grade_map]``;
    a point outside `bbox_bng`. Every drop is counted in the report and
    warned with the file and its line numbers.

    Parameters
    ----------
    path : Path
        The export (CSV; UTF-8, UTF-16 with BOM or Windows-1252, gzip allowed).
    mapping : ForceCallsMapping
        From :func:`read_calls_mapping`.
    bbox_bng : tuple of float, optional
        Study area ``(xmin, ymin, xmax, ymax)`` in BNG metres (bounds included);
        default the whole grid.
    months : tuple of str, optional
        ``("YYYY-MM", "YYYY-MM")``: the first and last month to keep.

    Returns
    -------
    calls : pandas.DataFrame
        ``call_id, datetime, grade, x, y, incident_type`` (grade int 1..3, x/y
        BNG metres, datetime a pandas Timestamp) plus ``source_file`` and
        ``source_row``, in file order with a fresh index.
    report : CallDropReport
        Rows read and dropped, by reason; ``unknown_types`` holds the unknown grade values.

    Raises
    ------
    DataError
        If the file cannot be read, lacks a mapped column, or no date-time reads
        with the mapping's format.
    """
    path = Path(path)
    table = read_export_table(path, mapping, "call")
    rows = _as_calls(table, mapping, parse_datetimes(table, mapping, path))
    report = CallDropReport(total_in=len(rows))
    rows = drop_ids_and_times(rows, "call_id", report, mapping, path, months)
    no_xy = ~(np.isfinite(rows["x"].to_numpy()) & np.isfinite(rows["y"].to_numpy()))
    coords = "/".join(mapping.columns[k] for k in (("x", "y") if mapping.has_bng else ("lon", "lat")))
    rows = drop_lines(rows, no_xy, report, "no_coordinates", path, f"column(s) {coords} empty or not a number")
    unknown = rows["grade"].isna().to_numpy()
    if unknown.any():
        report.unknown_types = {str(k): int(v) for k, v in rows["grade_text"][unknown].value_counts().items()}
    rows = drop_lines(rows, unknown, report, "unknown_grade", path,
                      f"grade not 1-3 nor in {mapping.source} [grade_map]: {report.unknown_types}")
    xmin, ymin, xmax, ymax = bbox_bng or GB_GRID_BOX
    outside = ~(rows["x"].between(xmin, xmax) & rows["y"].between(ymin, ymax)).to_numpy()
    rows = drop_lines(rows, outside, report, "outside_study_area", path,
                      f"study-area box {xmin:,.0f}, {ymin:,.0f}, {xmax:,.0f}, {ymax:,.0f} (BNG metres)")
    calls = rows.drop(columns="grade_text").reset_index(drop=True)
    calls["grade"] = calls["grade"].astype(np.int64)
    calls["source_file"] = str(path)
    return calls[[*CALL_COLUMNS, "source_file", "source_row"]], report
