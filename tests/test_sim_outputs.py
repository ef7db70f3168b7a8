"""A run folder (sim/outputs.py): every table as parquet, a manifest that agrees with them."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.sim.outputs import format_summary, run_summary, write_run

from .test_policies import targeted_model


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    m = targeted_model("hotspot_koper", {"k": 3})
    m.run_days(2)
    folder = tmp_path_factory.mktemp("runs") / "r"
    return m, folder, write_run(m, folder, wall_seconds=1.5)


def test_every_table_is_written_and_counted(run):
    m, folder, manifest = run
    for name, rows in manifest["tables"].items():
        assert len(pd.read_parquet(folder / f"{name}.parquet")) == rows
    assert {"attempts", "crimes", "gps", "officer_status", "calls", "daily", "model_series",
            "hotspots", "dose_plan"} <= set(manifest["tables"])
    assert json.loads((folder / "run.json").read_text())["seed"] == m.config.scenario.seed
    assert json.loads((folder / "scenario.json").read_text()) == json.loads(
        json.dumps(m.config.to_dict(), default=str))
    assert manifest["policy"] == "hotspot_koper" and manifest["days"] == 2.0


def test_summary_agrees_with_the_tables(run):
    m, folder, manifest = run
    s = manifest["summary"]
    crimes = pd.read_parquet(folder / "crimes.parquet")
    attempts = pd.read_parquet(folder / "attempts.parquet")
    assert s["crimes"] == len(crimes) and s["crimes_per_day"] == round(len(crimes) / 2, 2)
    assert s["harm_chi_days"] == round(float(crimes["harm"].sum()), 1)
    assert s["attempts_deterred"] == int((attempts["outcome"] == "deterred").sum())
    status = pd.read_parquet(folder / "officer_status.parquet")
    # minutes are counted on duty: one 8-hour shift a day per officer
    oc = m.config.officers  # response cars are on duty too
    assert sum(s["officer_minutes"].values()) == 2 * 8 * 60 * (oc.count + oc.response_units)
    for name, minutes in s["officer_minutes"].items():
        assert minutes == int(status[name].sum())


def test_run_summary_response_by_grade():
    calls = pd.DataFrame({"grade": [1, 1, 2, 1], "arrived": [5.0, 20.0, 70.0, np.nan],
                          "response_minutes": [5.0, 20.0, 70.0, np.nan],
                          "met_target": [True, False, False, False]})
    empty = pd.DataFrame({"outcome": pd.Series([], dtype=str), "harm": pd.Series([], dtype=float)})
    tables = {"crimes": empty, "attempts": empty, "calls": calls,
              "officer_status": pd.DataFrame()}
    s = run_summary(SimpleNamespace(tick=1440), tables)
    assert s["calls"] == 4 and s["calls_answered"] == 3
    assert s["response"]["grade1"] == {"calls": 2, "median_response_min": 12.5,
                                       "met_target_pct": 50.0}
    assert s["response"]["grade2"]["met_target_pct"] == 0.0


def test_format_summary_prints_the_headline_figures(run):
    _, _, manifest = run
    text = format_summary(manifest)
    s = manifest["summary"]
    assert text.startswith("Run: scenario grid, policy hotspot_koper, 2.0 days, seed 7 (1.5 s)")
    assert f"crimes {s['crimes']:,}" in text and "officer time:" in text
