"""What a plan's figures rest on: the model's validation, the evidence behind deterrence, and
where the recommendation is weak.

A recommended plan is only as good as the model that scored it.  This module writes the
parts of the plan report that say so (issue 16, "honest by construction"):

- :func:`find_validation` reads the latest ``hotspot-sim validate`` results
  (``validation.csv`` and ``validation.md``, written by
  :func:`hotspot_sim.validation.report.write_report`) and says whether they were made by
  the code that scored the plans (:func:`hotspot_sim.trial.runs.code_version`).
- :func:`validation_lines` states which predictions pass and fail, or says plainly that
  no validation of this code is on file and how to make one.
- :func:`deterrence_evidence` lists each deterrence parameter with the source of its
  default (the ``source=`` metadata of :class:`hotspot_sim.settings.DeterrenceSettings`)
  and the validation rows that checked it.
- :func:`edge_warnings` and :func:`reliance_warnings` warn when the recommended plan sits
  at the edge of the searched range, or relies on something the validation could not
  check.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

#: Where ``hotspot-sim validate`` writes by default (its ``--out``, relative to the
#: working directory: hotspot_sim/cli/check.py).
DEFAULT_VALIDATION_FOLDER = Path("results/validation")
#: The project's own report of its last full validation (docs/validation.md, written by
#: ``hotspot-sim validate --docs``): read when no results folder holds one (a source checkout).
SHIPPED_VALIDATION_FOLDER = Path(__file__).resolve().parents[2] / "docs"
#: The validation report's table sections and the kind of check each holds
#: (hotspot_sim/validation/report.py).
SECTION_KINDS = {"Predictions": "prediction", "Operations": "operations",
                 "Reproduces its input": "reproduces its input"}
#: Verdicts that mean a check did its job (evidence.py's words).
CHECKED_VERDICTS = ("PASS", "reproduces its input")
#: How to make a validation of this code (the full run of hotspot_sim/cli/check.py's help).
HOW_TO_VALIDATE = ("run `hotspot-sim validate --workers 2` in the folder you plan from (about "
                   "30-60 minutes; it writes results/validation/, which this report reads), then "
                   "run the same `hotspot-sim plan` again: it resumes and writes the report anew "
                   "(from Python: `write_plan_report(out, validation=[folder])`)")
#: A recommendation within this share of a numeric range's width of its end is "at the edge".
EDGE_SHARE = 0.05

_CODE_RE = re.compile(r"code (\S+?)\.?$", re.MULTILINE)
_SUMMARY_RE = re.compile(r"^\*\*(Predictions:.*)\*\*$", re.MULTILINE)


@dataclass(frozen=True)
class Validation:
    """The validation on file for the code that scored the plans.

    Attributes
    ----------
    state : str
        ``"current"`` (made by this code), ``"other code"`` or ``"missing"``.
    folder : Path or None
        Where it was read from.
    code : str
        The code version that made it ("" when missing).
    summary : str
        Its header line (predictions passing, controls failing), "" when missing.
    checks : pandas.DataFrame
        ``validation.csv``: one row per check (empty when missing).
    looked_in : tuple of Path
        The folders searched.
    """

    state: str
    folder: Path | None
    code: str
    summary: str
    checks: pd.DataFrame
    looked_in: tuple


def find_validation(folders=None, code: str | None = None) -> Validation:
    """The newest validation among ``folders`` made by ``code`` (else the newest at all).

    Parameters
    ----------
    folders : sequence of path, optional
        Folders holding ``validation.md`` and ``validation.csv`` (or a ``validation.md``
        alone, its tables read); default :data:`DEFAULT_VALIDATION_FOLDER`, then
        :data:`SHIPPED_VALIDATION_FOLDER`.
    code : str, optional
        The code version that scored the plans (default: this code's
        :func:`~hotspot_sim.trial.runs.code_version`).

    Returns
    -------
    Validation
        ``state`` says whether it is of this code, of other code, or missing.
    """
    if code is None:
        from ..trial.runs import code_version
        code = code_version()
    looked = tuple(Path(f) for f in (folders or (DEFAULT_VALIDATION_FOLDER,
                                                 SHIPPED_VALIDATION_FOLDER)))
    found = [v for v in (_read_validation(f, code) for f in looked) if v is not None]
    found.sort(key=lambda v: (v.state == "current", (v.folder / "validation.md").stat().st_mtime),
               reverse=True)
    if found:
        return dataclasses.replace(found[0], looked_in=looked)
    return Validation("missing", None, "", "", pd.DataFrame(), looked)


def _read_validation(folder: Path, code: str) -> Validation | None:
    """One folder's validation, or None when it holds none."""
    md, csv = folder / "validation.md", folder / "validation.csv"
    if not md.is_file():
        return None
    text = md.read_text(encoding="utf-8", errors="replace")
    made_by = _CODE_RE.search(text)
    summary = _SUMMARY_RE.search(text)
    checks = pd.read_csv(csv, dtype=str, keep_default_na=False) if csv.is_file() \
        else checks_from_markdown(text)
    if checks.empty:
        return None
    made = made_by.group(1) if made_by else "unknown"
    return Validation("current" if made == code else "other code", folder, made,
                      summary.group(1) if summary else "", checks, ())


def checks_from_markdown(text: str) -> pd.DataFrame:
    """The checks of a ``validation.md`` (its Predictions, Operations and Reproduces its
    input tables) as ``validation.csv`` rows, with ``kind`` from the section.

    Parameters
    ----------
    text : str
        A report written by :func:`hotspot_sim.validation.report.report_markdown`.

    Returns
    -------
    pandas.DataFrame
        One row per check (empty when the text holds no such table).
    """
    rows, kind, header = [], None, None
    for line in text.splitlines():
        if line.startswith("## "):
            kind, header = SECTION_KINDS.get(line[3:].strip()), None
        elif kind and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            elif not set("".join(cells)) <= set("-"):
                rows.append({**dict(zip(header, cells)), "kind": kind})
    return pd.DataFrame(rows).fillna("")


def shown(path: Path) -> str:
    """A path for the report: the project's own docs/ relative to the checkout (the same on
    every machine), any other path as given."""
    try:
        return Path(path).relative_to(SHIPPED_VALIDATION_FOLDER.parent).as_posix()
    except ValueError:
        return str(path)


def validation_lines(v: Validation, code: str) -> list[str]:
    """The report's "Validation status" section as Markdown lines.

    Parameters
    ----------
    v : Validation
        From :func:`find_validation`.
    code : str
        The code version that scored the plans.

    Returns
    -------
    list of str
    """
    if v.state == "missing":
        where = ", ".join(f"`{f}`" for f in v.looked_in)
        return [f"**No validation of this code ({code}) is on file** (looked in {where}). "
                "Nothing below has been checked against the published trials on this code: "
                f"{HOW_TO_VALIDATE}."]
    lines = []
    if v.state == "other code":
        lines.append(f"**The validation on file (`{shown(v.folder)}`) was made by other code "
                     f"({v.code}), not the code that scored these plans ({code})**: its "
                     f"verdicts are shown for reference only; to validate this code, "
                     f"{HOW_TO_VALIDATE}.")
    else:
        lines.append(f"Validation of this code ({code}), read from `{shown(v.folder)}`.")
    if v.summary:
        lines += ["", v.summary]
    lines += ["", "| check | kind | verdict |", "|---|---|---|"]
    lines += [f"| {_cell(r['check'])} | {r['kind']} | {r['verdict']} |"
              for _, r in v.checks.iterrows()]
    return lines


def _cell(text: str, width: int = 110) -> str:
    """A long check name cut for a table cell ('|' would end the cell)."""
    text = str(text).replace("|", "/")
    return text if len(text) <= width else text[:width - 3] + "..."


def deterrence_evidence(checks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each deterrence parameter, the source of its default and the checks of it.

    Parameters
    ----------
    checks : pandas.DataFrame, optional
        ``validation.csv`` rows (:attr:`Validation.checks`); without them no
        parameter counts as checked.

    Returns
    -------
    pandas.DataFrame
        ``parameter, default, source, checked by`` (the validation rows whose "set from
        this evidence" names the parameter, each with its verdict; "not checked" when
        none does).
    """
    from ..settings import DeterrenceSettings

    rows = []
    for f in dataclasses.fields(DeterrenceSettings):
        rows.append({"parameter": f"deterrence.{f.name}", "default": f.default,
                     "source": f.metadata.get("source", "assumption"),
                     "checked by": "; ".join(_checks_naming(f.name, checks)) or "not checked"})
    return pd.DataFrame(rows)


def _checks_naming(name: str, checks: pd.DataFrame | None) -> list[str]:
    """``"<check> (<verdict>)"`` for each validation row that set ``name`` from its evidence."""
    if checks is None or checks.empty or "set from this evidence" not in checks:
        return []
    word = re.compile(rf"\b{re.escape(name)}\b")
    return [f"{_cell(r['check'], 60)} ({r['verdict']})" for _, r in checks.iterrows()
            if word.search(str(r["set from this evidence"]))]


def edge_warnings(plan: Mapping[str, Any], space: Mapping[str, Any]) -> list[str]:
    """Warnings for each numeric decision variable the plan takes at an end of its range.

    Parameters
    ----------
    plan : mapping
        The recommended plan's decision variables (a row of ``plans.parquet``).
    space : mapping
        The searched space as ``manifest.json`` gives it: variable -> its values
        (``{"values": [...], "step": ..}`` as :meth:`hotspot_sim.plan.space.PlanSpace.to_dict`
        writes, or a plain list), or ``{"min": .., "max": ..}`` (also ``low``/``high``,
        ``lo``/``hi``).  Words (``rank_by``, ``mode``) and a single value have no edge.

    Returns
    -------
    list of str
        One sentence per variable at an edge (empty when the plan is inside every range).
        An end that is the variable's own limit (no officers kept for response, all 24
        hours: :data:`hotspot_sim.plan.space.VARIABLES`) is no edge: nothing lies beyond.
    """
    from .space import VARIABLES

    out = []
    for name, spec in space.items():
        bounds = _numeric_range(spec)
        if bounds is None or name not in plan:
            continue
        lo, hi = bounds
        value = float(plan[name])
        near = EDGE_SHARE * (hi - lo)
        side = "lowest" if value <= lo + near else "highest" if value >= hi - near else ""
        limit = VARIABLES.get(name, ())[1:] if len(VARIABLES.get(name, ())) == 3 else ()
        if side and hi > lo and value not in limit:
            out.append(f"`{name}` = {value:g} is at the {side} end of the searched range "
                       f"{lo:g}-{hi:g}: the best plan may lie beyond it; widen the range "
                       "(`--space`) and search again before relying on this value.")
    return out


def _numeric_range(spec: Any) -> tuple[float, float] | None:
    """``(low, high)`` of a numeric variable in any of the manifest's forms, else None."""
    if isinstance(spec, Mapping):
        if "values" in spec:
            spec = spec["values"]
        else:
            for lo_key, hi_key in (("low", "high"), ("lo", "hi"), ("min", "max")):
                if lo_key in spec and hi_key in spec:
                    spec = [spec[lo_key], spec[hi_key]]
                    break
            else:
                return None
    if (isinstance(spec, (list, tuple)) and spec
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in spec)
            and all(math.isfinite(x) for x in spec)):
        return float(min(spec)), float(max(spec))
    return None


#: What a plan's figures rely on, by the deterrence parameters a validation row set: the
#: objective it touches, in a lead's words.
RELIANCE = {
    "diffusion_radius_m": "area-wide harm prevented (the recommendation's objective) counts "
                          "displacement and diffusion of benefits",
    "residual_peak": "the size of every plan's harm prevented comes from the strength of "
                     "residual deterrence, tuned to the trials' effect size",
    "long_hold_days": "harm prevented between visits and between patrol days rests on the "
                      "carry-over",
    "onset_minutes": "the best minutes per visit follow the Koper curve",
}


MIN_REPS_FOR_DECISIONS = 5
"""Replications per plan below which the report calls its figures provisional: a t-interval
on fewer than four degrees of freedom is wide and unstable (and the default search runs 5)."""


def precision_warnings(n_reps: int, days: float) -> list[str]:
    """A warning when the plans rest on too few replications to decide on.

    Parameters
    ----------
    n_reps : int
        Replications each plan was run.
    days : float
        Simulated days per run.

    Returns
    -------
    list of str
        Empty from :data:`MIN_REPS_FOR_DECISIONS` replications on.
    """
    if n_reps >= MIN_REPS_FOR_DECISIONS:
        return []
    # rape's weight: Cambridge Crime Harm Index median, Sherman, Neyroud & Neyroud 2016
    # (/work/shared/REFERENCE.md, "Harm")
    return [f"Each plan was run only {n_reps} time(s) for {days:g} days: the 95% intervals "
            f"rest on {max(n_reps - 1, 0)} degree(s) of freedom, and harm differences this "
            "small come from a few serious crimes (one rape weighs 2,555 CHI days), so the "
            "ranking of plans is provisional. Use these figures to see the search work; "
            f"decide on a search with at least {MIN_REPS_FOR_DECISIONS} replications "
            "(the default, without --quick, runs 5 of 28 days) or more with --reps."]


def reliance_warnings(v: Validation) -> list[str]:
    """Warnings for what the plans rely on that the validation could not check.

    Parameters
    ----------
    v : Validation
        From :func:`find_validation`.

    Returns
    -------
    list of str
        One sentence per validation row that did not pass (or reproduce its input) and
        set a parameter the plans rely on; without a validation, one sentence naming the
        deterrence parameters whose defaults are assumptions.
    """
    if v.state == "missing":
        unchecked = deterrence_evidence()
        assumed = unchecked[unchecked["source"].str.startswith("assumption")]["parameter"]
        return ["No validation is on file, so nothing the plans rely on has been checked: "
                f"in particular {', '.join(assumed)} are assumptions."]
    out = [] if v.state == "current" else [
        f"The validation on file ({shown(v.folder / 'validation.md')}) was made by other code "
        f"({v.code}): this code is not validated, and what follows is from that code."]
    for _, row in v.checks.iterrows():
        if row["verdict"] in CHECKED_VERDICTS:
            continue
        used = [why for name, why in RELIANCE.items()
                if re.search(rf"\b{name}\b", str(row.get("set from this evidence", "")))]
        for why in used:
            out.append(f"{why[0].upper()}{why[1:]}, and the validation could not check it: "
                       f"'{_cell(row['check'], 80)}' {row['verdict']}. "
                       f"{str(row.get('explanation', '')).strip()}".rstrip())
    return out


__all__ = ["CHECKED_VERDICTS", "DEFAULT_VALIDATION_FOLDER", "Validation", "deterrence_evidence",
           "edge_warnings", "find_validation", "MIN_REPS_FOR_DECISIONS", "precision_warnings",
           "reliance_warnings", "validation_lines"]
