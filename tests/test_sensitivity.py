"""Sensitivity's Morris design, design points and figure (the model runs are faked)."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspot_sim.validation import sensitivity
from hotspot_sim.validation.sensitivity import RANGES, morris_samples, plot_sensitivity


def test_morris_design_covers_every_range():
    problem, X = morris_samples(trajectories=2, seed=1)
    assert problem["names"] == list(RANGES) and X.shape == ((len(RANGES) + 1) * 2, len(RANGES))
    for j, (lo, hi) in enumerate(RANGES.values()):
        assert lo <= X[:, j].min() and X[:, j].max() <= hi


def test_design_point_compares_koper_with_random_on_the_same_seed(monkeypatch):
    seen = []

    def fake_run(exp, task):
        seen.append((task.arm.name, task.seed, task.arm.overrides))
        crimes = {"random": 9.5, "koper": 4.5}[task.arm.name]
        return {"summary": pd.DataFrame([{"crimes_hotspots": crimes}])}

    monkeypatch.setattr(sensitivity, "run_task", fake_run)
    base = sensitivity.Experiment(
        name="sensitivity", scenario="welwyn_hatfield", days=1.0, replications=1, seed=1,
        hotspots=20, arms=(sensitivity.Arm("random", "random"),
                           sensitivity.Arm("koper", "hotspot_koper")))
    row = sensitivity.run_design_point(base, {"offenders.count": 200})
    assert row["koper_vs_random_pct"] == pytest.approx(-50.0) and row["koper_beats_random"]
    assert row["offenders.count"] == 200
    assert [s[0] for s in seen] == ["random", "koper"] and seen[0][1] == seen[1][1]
    assert all(s[2] == {"offenders.count": 200} for s in seen)


def test_figure_is_written(tmp_path):
    indices = pd.DataFrame({"parameter": ["a", "b"], "mu_star": [3.0, 1.0],
                            "mu_star_conf": [0.5, 0.2], "sigma": [1.0, 0.5]})
    points = pd.DataFrame({"koper_vs_random_pct": [-10.0, 5.0, -3.0],
                           "koper_beats_random": [True, False, True]})
    plot_sensitivity(indices, points, tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 5000
