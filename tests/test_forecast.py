"""The model as a forecaster: simulated crime per node scored by the 'target' hit rate and PAI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot_sim import target as tg
from hotspot_sim.network import synthetic_grid
from hotspot_sim.validation.forecast import (format_forecast, forecast_scores,
                                             simulated_node_crimes)

from .test_target import fake_study, make_crimes


@pytest.fixture
def line():
    """Four nodes on a line 100 m apart; two training months, one test month."""
    net = synthetic_grid(4, 1, 100.0)
    rows = ([(1, "Shoplifting", 1.0, "2021-01")] * 5 + [(0, "Shoplifting", 1.0, "2021-02")] * 3
            + [(0, "Shoplifting", 1.0, "2021-03")] * 2
            + [(1, "Public order", 5.0, "2021-03"), (3, "Vehicle crime", 2.0, "2021-03")])
    return fake_study(net, make_crimes(net, rows), ["2021-01", "2021-02", "2021-03"])


def runs_at(*nodes_per_run, crime_type="Shoplifting") -> list[pd.DataFrame]:
    return [pd.DataFrame({"node": list(nodes), "crime_type": crime_type}) for nodes in nodes_per_run]


def test_a_forecast_is_scored_exactly_as_a_method(line):
    count = tg.method_scores("count", line.crimes, line.network, ["2021-01", "2021-02"])
    res = tg.out_of_sample(line, "2021-01:2021-02", ["2021-03"], methods=("count",),
                           coverages=(1 / 6, 0.5), forecasts={"copy": count})
    cols = ["n_places", "area_share", "hit_rate", "pai", "harm_pai"]
    assert (res[res.method == "copy"][cols].to_numpy()
            == res[res.method == "count"][cols].to_numpy()).all()


def test_simulated_crimes_per_node_leave_out_asb_and_add_the_runs():
    runs = runs_at([3, 3], [3, 0]) + runs_at([2], crime_type="Anti-social behaviour")
    assert simulated_node_crimes(runs, 4).tolist() == [1, 0, 0, 3]


def test_model_forecast_by_hand(line):
    train = fake_study(line.network, line.crimes[line.crimes.month < "2021-03"],
                       ["2021-01", "2021-02"])
    # simulated crime on node 3 only: at 1/6 of street length (50 m) node 3 (50 m) is
    # chosen and holds 1 of the 4 test crimes
    res = forecast_scores(None, train, line, ["2021-03"], runs=runs_at([3, 3, 3]),
                          coverages=(1 / 6,))
    model = res.set_index("method").loc["model"]
    assert model["hit_rate"] == pytest.approx(0.25)
    assert model["pai"] == pytest.approx(0.25 / (50 / 300))
    assert list(res["method"]) == ["count", "prospective", "model"]
    text = format_forecast(res)
    assert "model" in text and "4 crimes" in text and np.isfinite(res["pai"]).all()


@pytest.mark.realdata
def test_validation_entry_adds_the_model_to_the_data_methods(real_data, wh_study):
    from hotspot_sim.validation.calibrate import forecast_scores as from_scenario

    data = tg.out_of_sample(wh_study, "2021-01:2021-07", "2021-08:2021-10", coverages=(0.01,))
    res = from_scenario("welwyn_hatfield", "2021-01:2021-07", "2021-08:2021-10", days=3,
                        seeds=1, warmup_days=0, data_scores=data)
    assert list(res["method"]) == list(data["method"]) + ["model"]
    model = res.iloc[-1]
    assert model["test_crimes"] == data["test_crimes"].iloc[0] and 0 < model["pai"] < 1 / 0.01
