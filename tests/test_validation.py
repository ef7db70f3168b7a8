"""Calibration, validation and sensitivity run from one command each (smoke tests, real data)."""

from __future__ import annotations

import json

import pytest

from hotspot_sim.validation.calibrate import loss, within_tolerance
from hotspot_sim.validation.fit_stats import thinned_concentration
from hotspot_sim.cli import main
from hotspot_sim.settings import load_scenario, to_toml

from .conftest import SCENARIOS


def test_to_toml_round_trips(tmp_path):
    s = load_scenario(SCENARIOS / "welwyn_hatfield.toml").replace(
        {"risk.base_rate": 3.5e-5, "policy.params": {"k": 10},
         "risk.type_weights": {"Violence and sexual offences": 1.2}})
    p = tmp_path / "s.toml"
    p.write_text(to_toml(s))
    back = load_scenario(p)
    assert back.to_dict() == s.to_dict()


def test_thinned_concentration_and_loss():
    import numpy as np

    counts = np.array([50, 30, 10, 5, 5] + [0] * 95)
    assert thinned_concentration(counts, 100) == pytest.approx(0.01)  # 1 place holds 50%
    stats = {"per_month": {"rel_error": 0.0},
             "per_type": {"a": {"observed": 10, "rel_error": 0.0}},
             "concentration_50pct": {"rel_error": 0.0}, "spearman_micro_places": 1.0}
    assert loss(stats) == 0.0
    assert within_tolerance(stats)["volume_total"]


@pytest.mark.realdata
def test_calibrate_command_writes_a_usable_scenario(real_data, tmp_path, capsys):
    assert main(["calibrate", "--days", "3", "--evaluations", "4", "--seeds", "2",
                 "--warmup", "0", "--out", str(tmp_path)]) == 0
    scenario = load_scenario(tmp_path / "welwyn_hatfield.toml")
    fit = json.loads((tmp_path / "welwyn_hatfield_fit.json").read_text())
    assert scenario.risk.base_rate == pytest.approx(fit["params"]["risk.base_rate"])
    assert fit["train_months"][-1] == "2021-07" and fit["heldout_months"][0] == "2021-08"
    out = capsys.readouterr().out
    assert "Incidents per month" in out and "Held-out months 2021-08..2021-10" in out
    assert "Forecast of the held-out months" in out


@pytest.mark.realdata
def test_validate_writes_every_row_with_its_control(real_data, tmp_path, tiny_validation):
    """The whole validation on a tiny scale: every row and control is made and reported."""
    from hotspot_sim.validation.evidence import NOT_ENOUGH
    from hotspot_sim.validation.report import summary_line

    validate = tiny_validation
    steps = []
    checks = validate.run_validation("welwyn_hatfield", tmp_path, days=0.5, replications=1,
                                     quick=True, progress=lambda s, d, n: steps.append(s))
    assert list(dict.fromkeys(steps)) == list(validate.VALIDATE_STEPS)  # progress through each
    names = " ".join(c.name for c in checks)
    for name in ("patrol effect", "Diffusion", "Emergency response", "Southend",
                 "Best visit length", "post-visit curve", "deterrence lasts", "Concentration",
                 "forecaster"):
        assert name in names
    assert all(c.control for c in checks)  # every row has its negative control
    assert any(NOT_ENOUGH in c.verdict for c in checks)  # half a day cannot judge most rows
    md = (tmp_path / "validation.md").read_text()
    assert summary_line(checks) in md and "## Inputs: each parameter" in md
    assert "## Change by crime type" in md and "## Forecasts" in md
    assert (tmp_path / "validation.html").is_file() and (tmp_path / "inputs.csv").is_file()
    assert (tmp_path / "trials-no_deterrence" / "southend" / "runs.parquet").is_file()


@pytest.mark.realdata
def test_sensitivity_runs_from_one_command(real_data, tmp_path, capsys):
    assert main(["sensitivity", "--trajectories", "2", "--days", "1", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "sensitivity.png").stat().st_size > 5000
    out = capsys.readouterr().out
    assert "Koper beats random" in out and "mu* (mean size of effect" in out


@pytest.mark.realdata
def test_validate_moves_its_own_stale_runs_aside_and_runs_again(real_data, tmp_path):
    from hotspot_sim.trial import Arm, Experiment
    from hotspot_sim.validation.validate import run_own_experiment

    def exp(days):
        return Experiment(name="validate_effect", scenario="welwyn_hatfield", days=days,
                          replications=1, seed=4, hotspots=5, control="none",
                          arms=(Arm("none", "none"),))

    folder = tmp_path / "validate_effect"
    run_own_experiment(exp(0.05), folder, progress=False)
    first = sorted(p.name for p in (folder / "runs").iterdir())
    run_own_experiment(exp(0.1), folder, progress=False)  # other days: not mixed in
    (old,) = tmp_path.glob("validate_effect.old-*")
    assert sorted(p.name for p in (old / "runs").iterdir()) == first
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["days"] == 0.1
