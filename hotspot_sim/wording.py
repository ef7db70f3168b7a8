"""The words a reader sees for the model's internal names: places, columns and money.

Tables keep short, stable code names (``ring100_200``, ``crimes_hotspots``,
``extra_cost``) in parquet files and in code that reads them back; what a
person reads (printed and Markdown tables, figure labels) uses the words
here: "100–200 m ring", "crimes at the hot spots", "extra cost (£)".
"""

from __future__ import annotations

import math
import re

import pandas as pd

CURRENCY = "£"
"""Money in hotspot-sim is in pounds sterling (officer-hour costs of an English force)."""

_RING = re.compile(r"^ring(\d+)_(\d+)$")

PLACE_WORDS = {"hotspots": "hot spots", "elsewhere": "elsewhere", "all": "all places"}
PLACE_PHRASES = {"hotspots": "at the hot spots", "elsewhere": "elsewhere", "all": "in all places"}

COLUMN_WORDS = {
    "arm": "arm", "grid_index": "grid point", "replications": "replications",
    "pairs": "paired runs", "place": "place", "pct_change": "% change", "buffer": "buffer",
    "wdq": "weighted displacement quotient", "patrol_hours": "patrol hours",
    "n_runs": "runs", "cost": f"cost ({CURRENCY})", "extra_hours": "extra patrol hours",
    "extra_cost": f"extra cost ({CURRENCY})", "crimes_prevented": "crimes prevented",
    "harm_prevented": "harm prevented (CHI days)", "harm": "harm (CHI days)",
    "cost_per_crime_prevented": f"cost per crime prevented ({CURRENCY})",
    "cost_per_harm_day_prevented": f"cost per harm day prevented ({CURRENCY})",
    "note": "note", "crimes": "crimes",
    # Morris screening (hotspot-sim sensitivity)
    "mu_star": "mu* (mean size of effect, % points)", "mu_star_conf": "mu* 95% half-width",
    "sigma": "sigma (interactions or curvature)",
}


def place_words(name: str) -> str:
    """``"ring100_200"`` -> ``"100–200 m ring"``; ``"hotspots"`` -> ``"hot spots"``."""
    m = _RING.match(str(name))
    if m:
        return f"{m.group(1)}–{m.group(2)} m ring"
    return PLACE_WORDS.get(name, str(name).replace("_", " "))


def column_words(name: str) -> str:
    """A column's heading for people: ``crimes_ring100_200`` -> ``crimes in the 100–200 m ring``."""
    if name in COLUMN_WORDS:
        return COLUMN_WORDS[name]
    for suffix, end in (("_ci_low", "low"), ("_ci_high", "high")):
        if name.endswith(suffix):
            return f"{column_words(name.removesuffix(suffix))}, 95% interval {end}"
    for prefix, unit in (("crimes_", "crimes"), ("harm_", "harm")):
        place = name.removeprefix(prefix)
        if place != name and (place in PLACE_PHRASES or _RING.match(place)):
            return f"{unit} {PLACE_PHRASES.get(place) or 'in the ' + place_words(place)}"
    return name.replace("_", " ")


def for_people(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with column headings and place names in words (for printing)."""
    out = df.copy()
    for col in ("place", "buffer"):
        if col in out:
            out[col] = out[col].map(place_words)
    return out.rename(columns={c: column_words(c) for c in out.columns})


def money(value: float, decimals: int = 0) -> str:
    """``1234.5`` -> ``"£1,235"``; NaN -> ``"n/a"``; infinity -> ``"never pays"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "never pays" if value > 0 else "n/a"
    sign = "-" if value < 0 else ""
    return f"{sign}{CURRENCY}{abs(value):,.{decimals}f}"
