"""The simulation core: reproducibility, kernels vs reference, deterrence, risk, dispatch."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.sim import kernels as K
from hotspot_sim.errors import ConfigError
from hotspot_sim.sim.model import PatrolModel
from hotspot_sim.network import synthetic_grid
from hotspot_sim.settings import scenario_from_dict
from hotspot_sim.study import synthetic_study

GRID = synthetic_grid(16, 16, spacing_m=50.0, drop_fraction=0.2, seed=1)
HOT = [17, 17, 17, 40, 40, 120, 121, 200, 200, 200, 230]


def small_scenario(**sections):
    raw = {"scenario": {"name": "grid", "seed": 7, "start": "2021-11-05T06:00"},
           "network": {"osm_file": "synthetic"},
           "officers": {"count": 4, "shift_starts": [6, 14, 22], "response_units": 3},
           "offenders": {"count": 40, "attractors": 8, "home_places": 20},
           "risk": {"base_rate": 0.003},
           "calls": {"grade1_per_day": 6.0, "grade2_per_day": 6.0, "grade3_per_day": 6.0}}
    for name, table in sections.items():
        raw.setdefault(name, {}).update(table)
    return scenario_from_dict(raw, source="test")


def small_model(reference=False, policy=None, **sections) -> PatrolModel:
    s = small_scenario(**sections)
    return PatrolModel(s, synthetic_study(s, GRID, HOT), reference=reference, policy=policy)


def run_tables(model, minutes):
    model.run_for(minutes)
    return model.attempts_table(), model.gps_table(), model.calls_table()


def test_same_seed_same_outputs_and_other_seed_differs():
    a1, g1, c1 = run_tables(small_model(), 2 * 1440)
    a2, g2, c2 = run_tables(small_model(), 2 * 1440)
    pd.testing.assert_frame_equal(a1, a2)
    pd.testing.assert_frame_equal(g1, g2)
    pd.testing.assert_frame_equal(c1, c2)
    assert len(a1) > 20 and len(g1) > 1000
    a3, g3, _ = run_tables(small_model(scenario={"seed": 8}), 2 * 1440)
    assert not (len(a3) == len(a1) and a3["node"].equals(a1["node"]))
    assert not g3[["x", "y"]].equals(g1[["x", "y"]])


def test_compiled_kernels_match_pure_python_reference():
    fast = run_tables(small_model(), 720)
    slow = run_tables(small_model(reference=True), 720)
    for f, s in zip(fast, slow):
        pd.testing.assert_frame_equal(f, s)
    assert len(fast[0]) > 5 and len(fast[1]) > 100


def test_agents_never_leave_the_network():
    m = small_model()
    m.run_for(1440)
    gps = m.gps_table()
    assert gps["node"].between(0, GRID.n_nodes - 1).all()
    # every ping lies on an edge next to its node: within one edge length of it
    d = np.hypot(gps["x"] - GRID.x[gps["node"]], gps["y"] - GRID.y[gps["node"]])
    assert (d <= GRID.edge_length.max() + 1e-3).all()
    for pos in (m.offenders.pos, m.officers.pos):
        assert ((pos.node >= 0) & (pos.node < GRID.n_nodes)).all()
        moving = pos.nxt >= 0
        for i in np.flatnonzero(moving):  # the edge being walked exists
            u, v = pos.node[i], pos.nxt[i]
            assert v in GRID.indices[GRID.indptr[u]:GRID.indptr[u + 1]]
            assert 0 <= pos.prog[i] <= pos.elen[i]
    # Mesa sees them in the cells of their nodes
    for a in m.offender_agents:
        assert a.cell.coordinate == a.node
    assert m.space is not None and len(list(m.space)) == GRID.n_nodes


def offending_chance(m, node, t):
    """Chance that one offender passing ``node`` at ``t`` commits a crime there."""
    a = m.kernels.risk(m.net, m.nodes, node, t, m.params)
    return (1 - math.exp(-a)) * (1 - m.kernels.deterrence(m.nodes, node, t, m.params))


def visit(m, node, start, minutes):
    m.kernels.presence_begin(m.net, m.nodes, node, start)
    m.kernels.presence_end(m.net, m.nodes, m.params, node, start + minutes, 0)


def test_koper_visit_lowers_offending_then_recovers():
    m = small_model(officers={"count": 0})
    a_node, twin = 17, 200  # same observed counts (3 each), far apart
    assert m.net.base[a_node] == pytest.approx(m.net.base[twin])
    visit(m, a_node, 100, 15)
    after = offending_chance(m, a_node, 116)
    assert after < 0.5 * offending_chance(m, twin, 116)
    later = offending_chance(m, a_node, 116 + 6 * 60)
    assert after < later < offending_chance(m, twin, 116 + 6 * 60) * 1.0001
    # a drive-by (2 minutes) leaves almost nothing, a 15-minute stop a lot (Koper 1995)
    m2 = small_model(officers={"count": 0})
    visit(m2, a_node, 100, 2)
    assert m2.kernels.deterrence(m2.nodes, a_node, 103, m2.params) < 0.01
    assert m.kernels.deterrence(m.nodes, a_node, 116, m.params) > 0.5


def test_patrol_days_carry_over_then_end():
    m = small_model(officers={"count": 0})
    node = 40
    visit(m, node, 60, 20)  # 20 minutes on day 0 (the start is 06:00)
    m.kernels.close_day(m.nodes, m.params, 0, 18 * 60, -6 * 60, 10.0)
    P = m.params
    lt = lambda t: K.long_term(m.nodes.last_pday[node], t, P)  # noqa: E731
    end_of_day = 18 * 60
    assert lt(end_of_day + 3 * 1440) == pytest.approx(P[K.P_LONG])  # Barnes: ~4 days
    assert lt(end_of_day + 6 * 1440) < 0.05 * P[K.P_LONG]


def test_near_repeat_raises_neighbours_risk():
    m = small_model(officers={"count": 0})
    node = 120
    nb = GRID.indices[GRID.indptr[node]]
    before = m.kernels.risk(m.net, m.nodes, nb, 500, m.params)
    m.net.base[node] = 1e6  # the next opportunity there is surely taken
    m.kernels.attempt(m.net, m.nodes, m.logs, m.params, 500, node, 0)
    assert m.logs.counts[0] == 1 and m.logs.a_outcome[0] == K.COMMITTED
    after = m.kernels.risk(m.net, m.nodes, nb, 500, m.params)
    assert after > before
    far = m.kernels.risk(m.net, m.nodes, 255, 500, m.params)
    assert far == pytest.approx(m.net.base[255] * m.net.time_factor[int((500 + m.params[K.P_WEEK0]) % 10080 // 60)])
    # and it decays
    assert m.kernels.risk(m.net, m.nodes, nb, 500 + 60 * 1440, m.params) < after


def test_displacement_is_recorded():
    m = small_model(officers={"count": 0},
                    deterrence={"presence_effect": 1.0, "displacement_probability": 1.0})
    node = 120
    m.net.base[node] = 1e6
    m.kernels.presence_begin(m.net, m.nodes, node, 0)  # an officer stands at the node
    for t in range(1, 201):
        m.kernels.attempt(m.net, m.nodes, m.logs, m.params, t, node, 1)
    a = m.attempts_table()
    assert len(a) == 200
    assert set(a["outcome"]) <= {"deterred", "displaced"}
    displaced = a[a["outcome"] == "displaced"]
    assert len(displaced) > 20 and (displaced["origin_node"] == node).all()
    dist = np.hypot(GRID.x[displaced["node"]] - GRID.x[node], GRID.y[displaced["node"]] - GRID.y[node])
    assert (dist <= 200 + 1e-6).all() and (dist > 100).all()  # covered nodes deter too


def test_response_time_at_least_travel_time():
    m = small_model()
    m.run_for(3 * 1440)
    calls = m.calls_table().dropna(subset=["arrived"])
    # an interrupted call keeps its first arrival, before its last dispatch
    calls = calls[calls["interruptions"] == 0]
    assert len(calls) > 20
    speed = m.officers.speed[calls["officer"].to_numpy(int)]  # foot officers and response cars
    assert (calls["response_minutes"] + 1e-9 >= calls["travel_m"] / speed).all()
    assert (calls["arrived"] >= calls["dispatched"]).all()
    assert (calls["dispatched"] >= calls["time"] - 1e-9).all()


def test_officers_on_calls_are_unavailable_and_status_minutes_add_up():
    m = small_model()
    m.run_for(2 * 1440)
    status = m.status_table()
    per_officer_day = status.drop(columns=["day", "date", "officer"]).sum(axis=1)
    assert (per_officer_day <= 1440).all()
    gps = m.gps_table()
    assert {"patrolling", "answering_call"} <= set(gps["status"].astype(str))


def test_none_policy_waits_for_calls():
    m = small_model(policy="none")
    m.run_for(1440)
    statuses = set(m.gps_table()["status"].astype(str))
    assert "patrolling" not in statuses and "available" in statuses


def test_bad_policy_and_parameters_are_clear_errors():
    with pytest.raises(ConfigError, match="unknown policy 'zigzag'"):
        small_model(policy="zigzag")
    s = small_scenario(policy={"name": "random", "params": {"leg_minute": 3}})
    with pytest.raises(ConfigError, match="unknown parameter.*leg_minute"):
        PatrolModel(s, synthetic_study(s, GRID, HOT))
    with pytest.raises(ConfigError, match="cannot import"):
        small_model(policy="no_such_module:Policy")


def test_daily_series_and_datacollector():
    m = small_model()
    m.run_for(3 * 1440)
    daily = m.daily_table()
    assert len(daily) == 3
    series = m.datacollector.get_model_vars_dataframe()
    assert list(series["crimes"]) == list(daily["crimes"])
    crimes = m.crimes_table()
    last_midnight = 3 * 1440 - 6 * 60  # the run starts at 06:00; the last day is partial
    assert daily["crimes"].sum() == (crimes["tick"] < last_midnight).sum()


def test_heat_surfaces_are_the_per_node_formulas_compiled_and_reference():
    from hotspot_sim.sim.kernel_builds import kernels

    m = small_model()
    m.run_for(600)
    ref = kernels(reference=True)
    for build in (m.kernels, ref):
        det = build.deterrence_surface(m.nodes, m.tick, m.params)
        risk = build.risk_surface(m.net, m.nodes, m.tick, m.params)
        assert det.shape == risk.shape == (GRID.n_nodes,)
        for i in range(0, GRID.n_nodes, 7):
            assert det[i] == ref.deterrence(m.nodes, i, m.tick, m.params)
            assert risk[i] == ref.risk(m.net, m.nodes, i, m.tick, m.params)
    assert det.max() > 0  # officers have been about


def test_models_freed_after_frees_the_block_s_model_and_unfreezes():
    import gc
    import weakref

    from hotspot_sim.sim.model import models_freed_after

    gc.disable()  # only the block may collect: the model must not be freed by chance
    try:
        kept = small_model()
        with models_freed_after():
            model = small_model()
            model.run_for(60)
            inside = weakref.ref(model)
            del model
        assert inside() is None  # Mesa's cycles would otherwise keep it until a collection
        assert gc.get_freeze_count() == 0  # what existed before is collectable again
        outside = weakref.ref(kept)
        del kept
        assert outside() is not None  # not collected by the block, a normal collection frees it
        gc.collect()
        assert outside() is None
    finally:
        gc.enable()


def test_a_router_kept_for_the_next_run_does_not_keep_its_model_alive():
    import gc
    import weakref

    model = small_model()
    router = model.router
    assert len(router.pinned()) > 0  # the living model's destinations are pinned
    finished = weakref.ref(model)
    del model
    gc.collect()
    assert finished() is None  # a sweep keeps the router, not every model that used it
    assert len(router.pinned()) == 0
