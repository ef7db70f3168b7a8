"""The validation report: inputs and predictions apart, each prediction with its control.

Written as ``validation.md``, ``validation.html`` and ``validation.csv`` (one row per
check), plus ``inputs.csv`` (each parameter, its value and where it came from) and
the tables the report shows (change by crime type, forecast scores).
"""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path

import pandas as pd

from ..io import write_csv
from ..trial.report import markdown
from ..settings import ASSUMPTION, Scenario
from .evidence import INPUT, OPERATIONS, PREDICTION, Check

# The sections whose values are claims about the world (not choices of data or run).
MODEL_SECTIONS = ("offenders", "risk", "deterrence", "calls", "officers")


def input_table(scenario: Scenario, fitted: dict | None = None) -> pd.DataFrame:
    """Every model parameter, its value in the scenario and where it came from.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    fitted : dict, optional
        ``"section.key" -> text`` for values fitted by ``calibrate`` (said instead of
        the field's default source).

    Returns
    -------
    pandas.DataFrame
        ``parameter, value, source, kind`` (``from evidence``, ``fitted to data``,
        ``assumption`` or ``setting``).
    """
    fitted = fitted or {}
    rows = []
    for section in MODEL_SECTIONS:
        values = getattr(scenario, section)
        for f in dataclasses.fields(values):
            key = f"{section}.{f.name}"
            source = fitted.get(key) or f.metadata.get("source", ASSUMPTION)
            kind = ("fitted to data" if key in fitted or "fitted" in source else
                    "setting" if source == "setting" else
                    "assumption" if source.startswith(ASSUMPTION) else "from evidence")
            rows.append({"parameter": key, "value": _short(getattr(values, f.name)),
                         "source": source, "kind": kind})
    return pd.DataFrame(rows)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_rows(checks: list[Check]) -> pd.DataFrame:
    """The checks as a table (the CSV's rows)."""
    return pd.DataFrame([{
        "check": c.name, "kind": c.kind, "model": c.model, "published evidence": c.evidence,
        "tolerance": c.tolerance, "verdict": c.verdict, "negative control": c.control,
        "control gave": c.control_model, "control verdict": c.control_verdict,
        "set from this evidence": c.inputs, "explanation": c.explanation} for c in checks])


def summary_line(checks: list[Check]) -> str:
    """Counts for the report's header, as plain ``bool`` counts (never numpy booleans)."""
    preds = [c for c in checks if c.kind == PREDICTION]
    judged = [c for c in preds if c.verdict in ("PASS", "FAIL")]
    passed = sum(1 for c in judged if c.verdict == "PASS")
    with_control = [c for c in checks if c.control]
    controls_fail = sum(1 for c in with_control if c.control_passed is False)
    inputs = [c for c in checks if c.kind == INPUT]
    reproduced = sum(1 for c in inputs if c.verdict == "reproduces its input")
    return (f"Predictions: {passed} of {len(preds)} pass ({len(preds) - len(judged)} could not "
            f"be judged or cannot discriminate). Negative controls: {controls_fail} of "
            f"{len(with_control)} fail, as they must. Inputs reproduced: {reproduced} of "
            f"{len(inputs)}.")


def _section(checks: list[Check], kind: str) -> pd.DataFrame:
    rows = check_rows([c for c in checks if c.kind == kind])
    if rows.empty:
        return rows
    drop = ["kind"] + (["set from this evidence"] if kind != INPUT else [])
    return rows.drop(columns=drop)


INTRO = (
    "Pattern-oriented validation (Grimm et al. 2005): parameters are set from some patterns in "
    "the evidence and the others are kept as independent tests. **Predictions** compare the "
    "model with evidence that was not used to set or tune any parameter: only they pass or "
    "fail. Rows marked **reproduces its input** compare the model with evidence that set a "
    "parameter: agreement there shows the mechanism works as built, not that it is right. "
    "Every row is also run on a **negative control**, the model with the mechanism under test "
    "removed; the control must FAIL, or the row cannot tell a working model from a broken one. "
    "Verdicts are judged on the model's 95% interval against the evidence's own interval or "
    "range; with too few events a row says so instead of passing.")


def report_markdown(checks: list[Check], inputs: pd.DataFrame, tables: dict,
                    heading: str) -> str:
    """The whole report as Markdown.

    Parameters
    ----------
    checks : list of Check
        Every check.
    inputs : pandas.DataFrame
        :func:`input_table`.
    tables : dict of str to (str, pandas.DataFrame)
        Extra sections: title -> (text above the table, table).
    heading : str
        What was run (days, replications, scenario, code version).

    Returns
    -------
    str
    """
    md = ["# Validation against the published evidence", "", heading, "",
          f"**{summary_line(checks)}**", "", INTRO, ""]
    for title, kind in (("Predictions", PREDICTION), ("Operations", OPERATIONS),
                        ("Reproduces its input", INPUT)):
        rows = _section(checks, kind)
        if not rows.empty:
            md += [f"## {title}", "", markdown(rows), ""]
    failing = [c for c in checks if c.verdict not in ("PASS", "reproduces its input")]
    md += ["## What the model does not reproduce", ""]
    md += [f"- **{c.name}**: {c.verdict}. {c.explanation}".rstrip() for c in failing] or [
        "- Every check passes or reproduces its input on these runs."]
    md += ["", "## Inputs: each parameter and where it came from", "",
           "Inputs are not evidence: these values were taken from a source, fitted to the "
           "training months of the data, or assumed.", "", markdown(inputs), ""]
    for title, (text, df) in tables.items():
        md += [f"## {title}", "", text, "", markdown(df, ".2f"), ""]
    return "\n".join(md) + "\n"


def report_html(markdown_text: str) -> str:
    """A standalone HTML page of the report (verdict cells coloured).

    Parameters
    ----------
    markdown_text : str
        :func:`report_markdown` output.

    Returns
    -------
    str
    """
    body = []
    in_table = False
    for line in markdown_text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            tag = "th" if not in_table else "td"
            body.append("<table>" if not in_table else "")
            in_table = True
            body.append("<tr>" + "".join(f"<{tag} class='{_css(c)}'>{html.escape(c)}</{tag}>"
                                         for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{html.escape(line.lstrip('# '))}</h{level}>")
        elif line.strip():
            body.append(f"<p>{html.escape(line).replace('**', '')}</p>")
    if in_table:
        body.append("</table>")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>hotspot-sim validation"
            "</title><style>body{font-family:sans-serif;margin:2em;max-width:1400px}"
            "table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;"
            "padding:5px;vertical-align:top;font-size:0.9em}th{background:#eee}"
            ".pass{background:#d4f4dd;font-weight:bold}.fail{background:#f9d6d5;"
            "font-weight:bold}.weak{background:#fff3c4}</style></head><body>"
            + "\n".join(body) + "</body></html>")


def _css(cell: str) -> str:
    if cell in ("PASS", "FAIL (as it must)", "reproduces its input"):
        return "pass"
    if cell in ("FAIL", "PASS (should fail)", "does not reproduce its input") or \
            cell.startswith("cannot discriminate"):
        return "fail"
    return "weak" if cell.startswith(("not enough", "control not judged")) else ""


def write_report(checks: list[Check], inputs: pd.DataFrame, tables: dict, out: Path,
                 heading: str) -> tuple[Path, Path]:
    """Write ``validation.md``, ``validation.html``, ``validation.csv`` and the tables.

    Parameters
    ----------
    checks, inputs, tables, heading
        As for :func:`report_markdown`.
    out : pathlib.Path
        An existing folder.

    Returns
    -------
    tuple of pathlib.Path
        The Markdown and HTML paths.
    """
    out = Path(out)
    write_csv(check_rows(checks), out / "validation.csv")
    write_csv(inputs, out / "inputs.csv")
    for title, (_, df) in tables.items():
        write_csv(df, out / (title.split(":")[0].lower().replace(" ", "_") + ".csv"))
    text = report_markdown(checks, inputs, tables, heading)
    (out / "validation.md").write_text(text)
    (out / "validation.html").write_text(report_html(text))
    return out / "validation.md", out / "validation.html"
