"""Targeted patrol policies: visits have the configured dwell."""

from __future__ import annotations

import numpy as np
import pytest

from hotspot_sim.sim.policies import REGISTRY, get_policy

from .test_model import small_model


def targeted_model(policy: str, params: dict):
    """The small test model with a targeted policy, without calls.  Its synthetic grid has
    4 places with harm at least 300 m apart, so ``k`` is at most 4 (more is an error)."""
    from hotspot_sim.sim.model import PatrolModel
    from hotspot_sim.study import synthetic_study

    from .test_model import GRID, HOT, small_scenario

    s = small_scenario(calls={"grade1_per_day": 0.0, "grade2_per_day": 0.0,
                              "grade3_per_day": 0.0})
    return PatrolModel(s, synthetic_study(s, GRID, HOT), policy=policy, policy_params=params)


def test_more_hot_spots_than_the_grid_has_is_an_error():
    from hotspot_sim.errors import ConfigError

    with pytest.raises(ConfigError, match="parameter k = 5: only 4 places"):
        targeted_model("hotspot_koper", {"k": 5})


def visit_lengths(gps, status="at_hotspot"):
    """Lengths (minutes, 1-minute pings) of each officer's consecutive runs in ``status``."""
    out = []
    for _, g in gps.sort_values("tick").groupby("officer"):
        at = (g["status"].astype(str) == status).to_numpy()
        ticks = g["tick"].to_numpy()
        run = 0
        for i in range(len(at)):
            if at[i] and run and ticks[i] == ticks[i - 1] + 1:
                run += 1
            elif at[i]:
                if run:
                    out.append(run)
                run = 1
            elif run:
                out.append(run)
                run = 0
    return np.array(out)


def test_registry_lists_the_shipped_policies():
    assert {"none", "random", "hotspot_koper", "hotspot_static"} <= set(REGISTRY)
    assert get_policy("hotspot_sim.sim.policies.basic:RandomPatrol").name == "random"


@pytest.mark.parametrize("dwell", [10, 15])
def test_koper_visits_last_the_configured_dwell(dwell):
    m = targeted_model("hotspot_koper", {"k": 3, "dwell_minutes": dwell})
    m.run_for(1440)
    lengths = visit_lengths(m.gps_table())
    full = lengths[1:-1] if len(lengths) > 2 else lengths  # a shift boundary may cut one short
    assert len(full) > 10
    assert np.median(full) == dwell
    assert (np.abs(full - dwell) <= 1).mean() > 0.9
    hotspot_nodes = set(m.policy.nodes.tolist())
    gps = m.gps_table()
    at = gps[gps["status"].astype(str) == "at_hotspot"]
    assert set(at["node"].unique()) <= hotspot_nodes


NO_CALLS = {"grade1_per_day": 0.0, "grade2_per_day": 0.0, "grade3_per_day": 0.0}


def crossover_model(seed=7):
    from hotspot_sim.sim.model import PatrolModel
    from hotspot_sim.study import synthetic_study

    from .test_model import GRID, small_scenario

    crimes = [n for n in range(0, GRID.n_nodes, 9) for _ in range(1 + n % 4)]
    s = small_scenario(calls=NO_CALLS, scenario={"seed": seed},
                       policy={"name": "crossover_daily",
                               "params": {"k": 10, "min_separation_m": 100.0,
                                          "treat_share": 0.4, "dose_minutes": 15}})
    return PatrolModel(s, synthetic_study(s, GRID, crimes))


def test_crossover_assignments_balanced_and_reproducible():
    m1 = crossover_model()
    m1.run_for(3 * 1440)
    a1 = m1.policy.assignment_table()
    per_day = a1.groupby("day")["treated"].sum()
    assert (per_day == 4).all() and len(per_day) >= 3  # exactly 40% of 10 each day
    m2 = crossover_model()
    m2.run_for(3 * 1440)
    assert a1.equals(m2.policy.assignment_table())
    m3 = crossover_model(seed=8)
    m3.run_for(3 * 1440)
    assert not a1["treated"].equals(m3.policy.assignment_table()["treated"])
    # treated spots got their dose; the plan says so
    plan = m1.policy.dose_plan()
    assert set(plan["planned_minutes"]) == {15.0}
    lengths = visit_lengths(m1.gps_table())
    assert len(lengths) >= 8 and np.median(lengths) == 15


@pytest.mark.parametrize("name", ["harm_weighted", "predictive", "hotspot_static"])
def test_other_targeted_policies_run_and_visit_hotspots(name):
    m = targeted_model(name, {"k": 4})
    m.run_for(1440)
    gps = m.gps_table()
    at = gps[gps["status"].astype(str) == "at_hotspot"]
    assert len(at) > 60
    outputs = m.policy.outputs()
    assert {"hotspots", "dose_plan"} <= set(outputs)
    assert outputs["dose_plan"]["planned_minutes"].sum() > 0


class ArrivalRecorder(__import__("hotspot_sim.sim.policies", fromlist=["Policy"]).Policy):
    """A plug-in policy: two visits, asking to be told on arriving at the first."""

    name = "arrival_recorder"
    defaults = {}
    arrivals: list = []

    def decide(self, officer, event):
        from hotspot_sim.sim.policies import Visit

        if event == "arrival":
            type(self).arrivals.append((officer.index, officer.node, self.model.tick))
            return None  # keep the rest of the plan
        if event == "day_start":
            return None
        return [Visit(17, 5, notify=True), Visit(200, 5)]


def test_plugin_policy_by_module_path_is_told_of_arrivals():
    ArrivalRecorder.arrivals.clear()
    m = small_model(policy="tests.test_policies:ArrivalRecorder", calls=NO_CALLS)
    m.run_for(600)
    assert ArrivalRecorder.arrivals and all(node == 17 for _, node, _ in ArrivalRecorder.arrivals)
    gps = m.gps_table()
    assert {17, 200} <= set(gps.loc[gps["status"].astype(str) == "at_hotspot", "node"])


def test_a_text_parameter_outside_its_choices_is_refused_with_the_choices_named():
    """``Policy.choices`` is checked for every policy, a plugin's and a subclass's alike."""
    from hotspot_sim.errors import ConfigError
    from hotspot_sim.sim.policies.base import Policy

    class Shaded(Policy):
        name = "shaded"
        defaults = {"shade": "blue"}
        choices = {"shade": ("blue", "green")}

    assert Shaded.check_params({"shade": "green"}) == {"shade": "green"}
    with pytest.raises(ConfigError, match=r"^policy 'shaded': parameter shade = 'red'; "
                                          r"choose one of blue, green$"):
        Shaded.check_params({"shade": "red"})
    with pytest.raises(ConfigError, match=r"^policy 'parallel_patrol': parameter between = "
                                          r"'loiter'; choose one of station, walk$"):
        get_policy("parallel_patrol").check_params({"between": "loiter"})
    with pytest.raises(ConfigError, match=r"^policy 'planned_patrol': parameter rank_by = "
                                          r"'nearest'; choose one of harm, count, composite$"):
        get_policy("planned_patrol").check_params({"rank_by": "nearest"})
