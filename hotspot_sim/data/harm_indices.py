"""Harm indices a force can choose: CHI, the ONS Crime Severity Score, or its own weights.

Three indices weight a crime by how harmful it is (REFERENCE.md, "Harm indices"):

* ``chi``: the Cambridge Crime Harm Index (Sherman, Neyroud & Neyroud 2016),
  days of imprisonment at the sentencing starting point; the shipped
  ``chi_police_uk.csv`` (:func:`~hotspot_sim.data.harm.load_harm_weights`).
* ``css``: the ONS Crime Severity Score (Office for National Statistics, 2016
  onwards), each Home Office offence code weighted by the average sentence
  actually handed down. ONS publishes it as a table by offence code; it is
  not shipped (no weights are made up here): download it with
  ``hotspot-sim data download-css`` or by hand, and read it with
  :func:`load_css_table`.
* a force's own weight table (:func:`load_force_weights`), by police.uk
  crime type or by offence code.

police.uk rows carry a category, not an offence code, so an index kept by
offence code needs a code -> category map (:func:`load_code_map`) and a rule
for the category's weight (:data:`CATEGORY_RULES`, default ``median``: the
median weight of the codes mapped to the category). **The rule is coarse**: it
ignores how common each offence is inside a category ("Violence and sexual
offences" runs from common assault to homicide), so two places with the same
category counts get the same harm whatever offences they hold. Where records
carry their own offence code (a force's export read with
:func:`~hotspot_sim.data.force_records.read_force_crimes` keeps it in
``offence``), :func:`apply_harm_index` weights each record by its own code
instead, and uses the category weight only for codes the table lacks.

Every index is returned as a :class:`HarmIndex` whose ``table`` has the shape
of :func:`load_harm_weights` (index ``crime_type``; the weight column keeps its
historical name ``chi_days`` because the cleaning and ranking code reads it,
and holds the chosen index's weight in its own unit).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..choices import CATEGORY_RULES, DEFAULT_CATEGORY_RULE
from ..errors import ConfigError, DataError
from ..io import read_csv_text
from .harm import load_harm_weights

HARM_INDEX_CHOICES: tuple[str, ...] = ("chi", "css")
"""Index names :func:`resolve_harm_index` knows; anything else is read as a force's weight file."""


CSS_DATASET_URL = ("https://www.ons.gov.uk/peoplepopulationandcommunity/crimeandjustice/"
                   "datasets/crimeseverityscoreexperimentalstatistics")
"""ONS dataset page of the Crime Severity Score (experimental statistics) and its weights."""

CSS_DEFAULT_FILE = Path("ons_css") / "crime_severity_score_weights.csv"
"""Where, under the data folder, ``data download-css`` saves the table and ``target`` looks."""

ASB_TYPE = "Anti-social behaviour"

# Header spellings of the published ONS layout and of hand-made copies, after _norm().
_CODE_HEADERS = ("offence_code", "home_office_offence_code", "ho_offence_code", "ho_code", "code")
_NAME_HEADERS = ("offence", "offence_description", "offence_name", "description")
_WEIGHT_HEADERS = ("weight", "css_weight", "severity_weight", "crime_severity_score_weight")
_TYPE_HEADERS = ("crime_type", "police_uk_category", "category")
_HEADER_SEARCH_LINES = 30  # published workbooks put title and notes rows above the header


@dataclass(frozen=True)
class HarmIndex:
    """A harm index ready to weight crimes.

    Attributes
    ----------
    name : str
        ``chi``, ``css`` or the force table's file name.
    unit : str
        What one unit of weight is (``CHI days``, ``CSS points``, ``force weight``).
    table : pandas.DataFrame
        Weight per police.uk category in the shape of :func:`load_harm_weights`
        (index ``crime_type``; ``chi_days`` = this index's weight, ``is_asb``,
        ``assumption``, ``source``).
    code_weights : pandas.Series or None
        Weight per normalised offence code (:func:`normalise_code`), when the
        index is kept by offence code.
    source : str
        The file(s) the weights came from.
    """

    name: str
    unit: str
    table: pd.DataFrame
    code_weights: pd.Series | None
    source: str


def normalise_code(code) -> str:
    """An offence code for matching: spaces trimmed, upper case, leading zeros dropped.

    ``normalise_code(" 028a ") == "28A"``; Home Office codes are written
    with and without leading zeros in different exports.
    """
    text = str(code).strip().upper()
    stripped = text.lstrip("0")
    return stripped if stripped else text


def _norm(header: str) -> str:
    """A header as lower-case words joined by ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", str(header).strip().lower()).strip("_")


def _find(headers: list[str], names: tuple[str, ...]) -> int | None:
    """Index of the first normalised header among `names`, or None."""
    normed = [_norm(h) for h in headers]
    return next((normed.index(n) for n in names if n in normed), None)


def _read_rows(path: Path, what: str) -> list[list[str]]:
    """All rows of a CSV (or, with openpyxl, the first sheet of an .xlsx) as text."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} file not found: {path}")
    if path.suffix.lower() in (".xlsx", ".xls"):
        try:
            sheet = pd.read_excel(path, header=None, dtype=str)
        except ImportError as exc:
            raise DataError(f"{path}: reading a spreadsheet needs openpyxl ({exc}); install it "
                            "(pip install openpyxl) or save the weights sheet as CSV") from exc
        except (ValueError, OSError) as exc:
            raise DataError(f"{path}: cannot be read as a spreadsheet: {exc}") from exc
        return sheet.fillna("").astype(str).values.tolist()
    text = read_csv_text(path, what)
    return [row for row in csv.reader(io.StringIO(text))]


def _table(path: Path, what: str, required: dict[str, tuple[str, ...]],
           optional: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """The rows under the first header row holding every `required` column, renamed.

    The frame keeps ``line`` (1-based line of each row in the file) for messages.
    """
    rows = _read_rows(path, what)
    for start, header in enumerate(rows[:_HEADER_SEARCH_LINES]):
        where = {key: _find(header, names) for key, names in required.items()}
        if all(i is not None for i in where.values()):
            break
    else:
        found = rows[0] if rows else []
        wanted = " and ".join(f"{k!r} (e.g. {names[0]!r})" for k, names in required.items())
        raise DataError(f"{path}: missing column(s): needs {wanted} in a header row within the "
                        f"first {_HEADER_SEARCH_LINES} lines; first row is {found}")
    for key, names in (optional or {}).items():
        i = _find(header, names)
        if i is not None:
            where[key] = i
    body = [r for r in rows[start + 1:]]
    lines = [start + 2 + i for i, r in enumerate(body) if any(c.strip() for c in r)]
    body = [r for r in body if any(c.strip() for c in r)]
    data = {key: [r[i].strip() if i < len(r) else "" for r in body] for key, i in where.items()}
    out = pd.DataFrame(data)
    out["line"] = lines
    if out.empty:
        raise DataError(f"{path}: holds no {what} rows under its header")
    return out


def _weights(df: pd.DataFrame, path: Path, label: str) -> np.ndarray:
    """The ``weight`` column as floats; DataError naming file, line and row on junk or < 0.

    Commas are read only as thousands separators (``1,234.5``): a decimal comma
    (``1,5``) is junk, not the 15 that dropping every comma would make of it.
    """
    text = df["weight"].str.strip()
    thousands = text.str.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d*)?")
    values = pd.to_numeric(text.where(~thousands, text.str.replace(",", "")),
                           errors="coerce").to_numpy(float)
    for bad, what in ((~np.isfinite(values), "is not a number"), (values < 0, "is negative")):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"{path}: line {df['line'].iat[i]} ({label} {df[label].iat[i]!r}): "
                            f"weight {df['weight'].iat[i]!r} {what}; weights must be numbers >= 0")
    return values


def _check_unique(keys: pd.Series, df: pd.DataFrame, path: Path, label: str) -> None:
    """DataError naming the lines of an empty or repeated key."""
    empty = (keys == "").to_numpy()
    if empty.any():
        raise DataError(f"{path}: line {df['line'].iat[int(np.flatnonzero(empty)[0])]}: "
                        f"empty {label}")
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError(f"{path}: {label} {keys[dup].iat[0]!r} listed more than once "
                        f"(lines {df['line'][dup].tolist()})")


def load_css_table(path: Path) -> pd.DataFrame:
    """Read the ONS Crime Severity Score weights in their published layout.

    ONS publishes one row per Home Office offence code: the code, the
    offence and its weight (Office for National Statistics, Crime Severity
    Score, 2016 onwards). Title and note rows above the header are skipped;
    header spellings such as ``Offence code``/``Home Office offence code``,
    ``Offence``/``Offence description`` and ``Weight`` are accepted; an
    ``.xlsx`` needs openpyxl (else save the sheet as CSV).

    Parameters
    ----------
    path : Path
        The CSV (or spreadsheet) of weights.

    Returns
    -------
    pandas.DataFrame
        ``offence_code`` (as written), ``code`` (:func:`normalise_code`),
        ``offence``, ``weight`` (float), ``line``.

    Raises
    ------
    DataError
        Naming the file (and line) when it is missing, lacks a column, or holds
        an empty or repeated code or a weight that is not a number >= 0.
    """
    path = Path(path)
    df = _table(path, "Crime Severity Score weight",
                {"offence_code": _CODE_HEADERS, "weight": _WEIGHT_HEADERS},
                {"offence": _NAME_HEADERS})
    if "offence" not in df:
        df["offence"] = ""
    df["code"] = df["offence_code"].map(normalise_code).where(df["offence_code"] != "", "")
    _check_unique(df["code"], df, path, "offence code")
    df["weight"] = _weights(df, path, "offence_code")
    return df[["offence_code", "code", "offence", "weight", "line"]]


def police_uk_categories() -> list[str]:
    """The 14 police.uk categories (those of the shipped CHI table)."""
    return list(load_harm_weights().index)


def _check_categories(types: pd.Series, df: pd.DataFrame, path: Path,
                      known: list[str]) -> None:
    """DataError naming file, line and the known categories for an unknown crime type."""
    unknown = ~types.isin(known).to_numpy()
    if unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise DataError(f"{path}: line {df['line'].iat[i]}: unknown crime type {types.iat[i]!r}; "
                        f"police.uk crime types are: {', '.join(known)}")


def load_code_map(path: Path, categories: list[str] | None = None) -> pd.DataFrame:
    """Read an offence code -> police.uk category map (CSV ``offence_code, crime_type``).

    Parameters
    ----------
    path : Path
        CSV with one row per offence code and the police.uk category it
        falls in (police.uk publishes which offences each category holds).
    categories : list of str, optional
        Allowed categories (default: the 14 police.uk categories).

    Returns
    -------
    pandas.DataFrame
        ``offence_code``, ``code`` (normalised), ``crime_type``, ``line``.

    Raises
    ------
    DataError
        Naming file and line for a missing column, an empty or repeated code,
        or a crime type that is not a police.uk category.
    """
    path = Path(path)
    known = categories or police_uk_categories()
    df = _table(path, "offence code map",
                {"offence_code": _CODE_HEADERS, "crime_type": _TYPE_HEADERS})
    df["code"] = df["offence_code"].map(normalise_code).where(df["offence_code"] != "", "")
    _check_unique(df["code"], df, path, "offence code")
    _check_categories(df["crime_type"], df, path, known)
    return df[["offence_code", "code", "crime_type", "line"]]


def category_weights(code_weights: pd.Series, code_map: pd.DataFrame, rule: str,
                     source: str, categories: list[str] | None = None,
                     unit: str = "weight") -> pd.DataFrame:
    """One weight per police.uk category from weights by offence code.

    Category weight = `rule` (median, mean or max) of the weights of the codes
    the map puts in it; codes of the map that the weights lack are left out
    (and named in the ``assumption`` column). ASB incidents are not notifiable
    offences and carry no offence-code weight: their category gets 0 unless
    the map gives it codes. The rule is coarse: it ignores how common each
    offence is within a category.

    Parameters
    ----------
    code_weights : pandas.Series
        Weight per normalised offence code.
    code_map : pandas.DataFrame
        From :func:`load_code_map`.
    rule : str
        One of :data:`CATEGORY_RULES`.
    source : str
        Files named in messages and in the ``source`` column.
    categories : list of str, optional
        Categories that need a weight (default: the 14 police.uk categories).
    unit : str
        The weight's unit, for the ``assumption`` text.

    Returns
    -------
    pandas.DataFrame
        Shaped like :func:`load_harm_weights` (index ``crime_type``; ``chi_days``
        holds this index's weight).

    Raises
    ------
    ConfigError
        If `rule` is unknown.
    DataError
        If a category (other than ASB) has no code with a weight, naming them.
    """
    if rule not in CATEGORY_RULES:
        raise ConfigError(f"category rule {rule!r}: must be one of {', '.join(CATEGORY_RULES)}")
    categories = categories or police_uk_categories()
    joined = code_map.assign(weight=code_map["code"].map(code_weights))
    rows = []
    for category in categories:
        mine = joined[joined["crime_type"] == category]
        weighted = mine["weight"].dropna()
        if weighted.empty and category != ASB_TYPE:
            continue
        weight = float(getattr(weighted, rule)()) if len(weighted) else 0.0
        unweighted = mine.loc[mine["weight"].isna(), "offence_code"].tolist()
        note = (f"{rule} of {len(weighted)} offence code(s) ({unit}); coarse: ignores how "
                "common each offence is in the category" if len(weighted) else
                "ASB incidents are not notifiable offences: no offence-code weight, 0")
        if unweighted:
            note += f"; code(s) without a weight left out: {', '.join(unweighted[:5])}"
        rows.append({"crime_type": category, "chi_days": weight,
                     "is_asb": category == ASB_TYPE, "assumption": note, "source": source})
    missing = [c for c in categories if c not in {r["crime_type"] for r in rows}]
    if missing:
        raise DataError(f"{source}: no offence code with a weight maps to the crime type(s) "
                        f"{missing}; add their codes to the code map (and the weights table)")
    return pd.DataFrame(rows).set_index("crime_type")


def load_css_index(css_path: Path, map_path: Path,
                   rule: str = DEFAULT_CATEGORY_RULE) -> HarmIndex:
    """The ONS Crime Severity Score as a :class:`HarmIndex`.

    Parameters
    ----------
    css_path : Path
        The ONS weights table (:func:`load_css_table`).
    map_path : Path
        Offence code -> police.uk category map (:func:`load_code_map`).
    rule : str
        How a category's weight is made from its codes' (:data:`CATEGORY_RULES`).

    Returns
    -------
    HarmIndex
        Named ``css``, in CSS points, with per-code weights.
    """
    css = load_css_table(css_path)
    code_weights = pd.Series(css["weight"].to_numpy(), index=css["code"])
    source = f"ONS Crime Severity Score weights {css_path}; code map {map_path}"
    table = category_weights(code_weights, load_code_map(map_path), rule, source,
                             unit="CSS points")
    return HarmIndex("css", "CSS points", table, code_weights, source)


def load_force_weights(path: Path, map_path: Path | None = None,
                       rule: str = DEFAULT_CATEGORY_RULE) -> HarmIndex:
    """A force's own harm weights: CSV by police.uk crime type or by offence code.

    By crime type: columns ``crime_type, weight`` with every police.uk
    category except ASB (ASB gets 0 when left out). By offence code: columns
    ``offence_code, weight`` and either a ``crime_type`` column or a code map
    (`map_path`); category weights then follow `rule` (coarse, see the module
    notes) and records with their own code are weighted by it.

    Parameters
    ----------
    path : Path
        The force's weight table.
    map_path : Path, optional
        Offence code -> category map, when the table has no ``crime_type``.
    rule : str
        Category rule for a table by offence code.

    Returns
    -------
    HarmIndex
        Named after the file, in ``force weight`` units.

    Raises
    ------
    DataError
        Naming file and line: missing column, unknown crime type, empty or
        repeated key, weight not a number >= 0, a category with no weight.
    """
    path = Path(path)
    rows = _read_rows(path, "force harm weight")[:_HEADER_SEARCH_LINES]
    if any(_find(row, _CODE_HEADERS) is not None for row in rows):  # a header with codes
        return _force_weights_by_code(path, map_path, rule)
    df = _table(path, "force harm weight", {"crime_type": _TYPE_HEADERS,
                                            "weight": _WEIGHT_HEADERS})
    known = police_uk_categories()
    _check_unique(df["crime_type"], df, path, "crime type")
    _check_categories(df["crime_type"], df, path, known)
    df["weight"] = _weights(df, path, "crime_type")
    missing = [c for c in known if c != ASB_TYPE and c not in set(df["crime_type"])]
    if missing:
        raise DataError(f"{path}: no weight for crime type(s) {missing}; every police.uk "
                        "crime type needs one (ASB may be left out: it then weighs 0)")
    table = pd.DataFrame({"crime_type": df["crime_type"], "chi_days": df["weight"],
                          "assumption": "the force's own weight", "source": str(path)})
    if ASB_TYPE not in set(table["crime_type"]):
        table.loc[len(table)] = [ASB_TYPE, 0.0, "not in the force's table: 0", str(path)]
    table["is_asb"] = table["crime_type"].eq(ASB_TYPE)
    return HarmIndex(path.stem, "force weight", table.set_index("crime_type"), None, str(path))


def _force_weights_by_code(path: Path, map_path: Path | None, rule: str) -> HarmIndex:
    """A force weight table keyed by offence code (see :func:`load_force_weights`)."""
    df = _table(path, "force harm weight", {"offence_code": _CODE_HEADERS,
                                            "weight": _WEIGHT_HEADERS},
                {"crime_type": _TYPE_HEADERS})
    df["code"] = df["offence_code"].map(normalise_code).where(df["offence_code"] != "", "")
    _check_unique(df["code"], df, path, "offence code")
    df["weight"] = _weights(df, path, "offence_code")
    if map_path is not None:
        code_map = load_code_map(map_path)
    elif "crime_type" in df:
        _check_categories(df["crime_type"], df, path, police_uk_categories())
        code_map = df[["offence_code", "code", "crime_type", "line"]]
    else:
        raise DataError(f"{path}: weights by offence code need a 'crime_type' column or a code "
                        "map (--code-map) saying which police.uk crime type each code is")
    code_weights = pd.Series(df["weight"].to_numpy(), index=df["code"])
    source = str(path) if map_path is None else f"{path}; code map {map_path}"
    table = category_weights(code_weights, code_map, rule, source, unit="force weight")
    return HarmIndex(path.stem, "force weight", table, code_weights, source)


def chi_index(table: pd.DataFrame | None = None) -> HarmIndex:
    """The Cambridge Crime Harm Index (the scenario's table, default the shipped one)."""
    table = load_harm_weights() if table is None else table
    return HarmIndex("chi", "CHI days", table, None, "Cambridge Crime Harm Index "
                     "(Sherman, Neyroud & Neyroud 2016), chi_police_uk.csv")


def resolve_harm_index(spec: str, chi_table: pd.DataFrame | None = None,
                       css_path: Path | None = None, map_path: Path | None = None,
                       rule: str = DEFAULT_CATEGORY_RULE) -> HarmIndex:
    """The harm index named by `spec`: ``chi``, ``css`` or a force's weight file.

    Parameters
    ----------
    spec : str
        ``chi``, ``css`` or the path of a force's weight table.
    chi_table : pandas.DataFrame, optional
        The scenario's CHI table (default: the shipped one).
    css_path : Path, optional
        ONS weights for ``css`` (default: :data:`CSS_DEFAULT_FILE` under the data folder).
    map_path : Path, optional
        Offence code -> category map (needed for ``css``).
    rule : str
        Category rule (:data:`CATEGORY_RULES`).

    Returns
    -------
    HarmIndex

    Raises
    ------
    ConfigError
        For ``css`` without a code map, or a spec that is neither a name nor a file.
    DataError
        From the loaders, naming file and line.
    """
    if spec == "chi":
        return chi_index(chi_table)
    if spec == "css":
        if css_path is None:
            css_path = default_css_path()
        if not Path(css_path).is_file():
            raise DataError(f"ONS Crime Severity Score table not found at {css_path}: run "
                            f"'hotspot-sim data download-css' or download it from "
                            f"{CSS_DATASET_URL} and give --css-table FILE")
        if map_path is None:
            raise ConfigError("--harm-index css needs --code-map FILE: a CSV saying which "
                              "police.uk crime type each Home Office offence code is "
                              "(offence_code, crime_type)")
        return load_css_index(Path(css_path), Path(map_path), rule)
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"--harm-index {spec!r}: not one of {', '.join(HARM_INDEX_CHOICES)} "
                          "and no such weight file")
    return load_force_weights(path, map_path, rule)


def default_css_path() -> Path:
    """Where the downloaded ONS table sits: :data:`CSS_DEFAULT_FILE` under the data folder."""
    from ..locations import resolve_data_path

    return Path(resolve_data_path(str(CSS_DEFAULT_FILE)))


def apply_harm_index(crimes: pd.DataFrame, index: HarmIndex) -> pd.DataFrame:
    """The crimes with ``harm`` set by `index` (a copy; ``harm_index`` names it).

    Each row gets its category's weight; when the index is kept by offence
    code and the rows carry an ``offence`` code (force records), a row whose
    code the index knows gets that code's weight instead. For ``chi`` the
    rows are returned unchanged (their harm already is CHI, including any
    per-record harm a force's export gave). Under any other index a
    per-record harm is replaced too: it is in CHI's place (days), not in the
    other index's unit.

    Parameters
    ----------
    crimes : pandas.DataFrame
        Cleaned crimes with ``Crime type`` and ``harm`` (optionally ``offence``).
    index : HarmIndex

    Returns
    -------
    pandas.DataFrame
        A copy with ``harm`` re-weighted and ``harm_source`` = ``code`` or ``category``.

    Raises
    ------
    DataError
        If a row's crime type has no weight in the index (naming the types).
    """
    out = crimes.copy()
    if index.name == "chi":
        out["harm_source"] = "category"
        return out
    weight = out["Crime type"].map(index.table["chi_days"])
    if weight.isna().any():
        raise DataError(f"{index.source}: no weight for crime type(s) "
                        f"{sorted(out.loc[weight.isna(), 'Crime type'].astype(str).unique())}")
    source = np.full(len(out), "category", dtype=object)
    if index.code_weights is not None and "offence" in out:
        by_code = out["offence"].map(lambda c: normalise_code(c) if isinstance(c, str) else "")
        code_weight = by_code.map(index.code_weights)
        has = code_weight.notna().to_numpy()
        weight = weight.where(~has, code_weight)
        source[has] = "code"
    out["harm"] = weight.astype(float).to_numpy()
    out["harm_source"] = source
    return out


__all__ = ["CATEGORY_RULES", "CSS_DATASET_URL", "CSS_DEFAULT_FILE", "DEFAULT_CATEGORY_RULE",
           "HARM_INDEX_CHOICES", "HarmIndex", "apply_harm_index", "category_weights",
           "chi_index", "default_css_path", "load_code_map", "load_css_index", "load_css_table",
           "load_force_weights", "normalise_code", "police_uk_categories",
           "resolve_harm_index"]
