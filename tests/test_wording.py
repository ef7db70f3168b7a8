"""What a person reads: places and columns in words, money in pounds, a readable survival plot."""

from __future__ import annotations

import math

import matplotlib
import pandas as pd
import pytest

from hotspot_sim.wording import column_words, for_people, money, place_words

matplotlib.use("Agg")


def test_places_and_columns_in_words():
    assert place_words("ring100_200") == "100–200 m ring"
    assert place_words("hotspots") == "hot spots"
    assert column_words("crimes_ring0_100") == "crimes in the 0–100 m ring"
    assert column_words("crimes_hotspots") == "crimes at the hot spots"
    assert column_words("harm_elsewhere") == "harm elsewhere"
    assert column_words("crimes_hotspots_ci_low") == "crimes at the hot spots, 95% interval low"
    assert column_words("extra_cost") == "extra cost (£)"
    table = for_people(pd.DataFrame({"place": ["hotspots", "ring100_200"], "pct_change": [-9.0, 2.0],
                                     "cost_per_crime_prevented": [12.0, math.inf]}))
    assert list(table.columns) == ["place", "% change", "cost per crime prevented (£)"]
    assert table["place"].tolist() == ["hot spots", "100–200 m ring"]


def test_money_carries_the_currency():
    assert money(1234.4) == "£1,234"
    assert money(40, 2) == "£40.00"
    assert money(-3.5, 1) == "-£3.5"
    assert money(math.inf) == "never pays" and money(math.nan) == "n/a"


def test_report_tables_print_words_not_code():
    from hotspot_sim.trial.report import markdown

    text = markdown(pd.DataFrame({"arm": ["koper"], "place": ["ring100_200"],
                                  "extra_cost": [320.0], "crimes_hotspots": [4.0]}))
    assert "ring100_200" not in text and "crimes_hotspots" not in text
    assert "| arm | place | extra cost (£) | crimes at the hot spots |" in text
    assert "100–200 m ring" in text


def test_report_help_gives_the_cost_in_pounds():
    from .test_cli import all_help_texts

    assert "£40" in all_help_texts()["report"]


def survival_table(low: float) -> pd.DataFrame:
    rows = []
    for label, drop in (("0-5", 1 - low), ("10-15", (1 - low) / 3)):
        for t, s in ((10.0, 1 - drop / 2), (60.0, 1 - drop)):
            rows.append({"bin": label, "time": t, "survival": s, "at_risk": 100})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("low, floor", [(0.95, 0.80), (0.82, 0.80), (0.5, 0.45)])
def test_survival_axis_fits_the_curves_and_koper_points(low, floor, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from hotspot_sim.plots import plot_survival

    figures = []
    monkeypatch.setattr(plt, "close", figures.append)  # keep the figure to look at it
    plot_survival(survival_table(low), tmp_path / "survival.png")
    ax = figures[0].axes[0]
    assert ax.get_ylim()[0] == pytest.approx(floor)  # not 0: curves near 1 stay apart
    labels = [t.get_text() for t in ax.texts]
    assert "Koper 1995, drive-by: 85% crime-free" in labels
    assert "Koper 1995, 10-16 min stop: 96% crime-free" in labels
    assert "30 min after leaving" in labels
    assert (tmp_path / "survival.png").stat().st_size > 10_000
