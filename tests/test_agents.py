"""Mesa agents are live views of the kernels' arrays, and their cells follow them."""

from __future__ import annotations

import pytest

from hotspot_sim.sim import kernels as K
from hotspot_sim.sim.agents import Offender, Officer

from .test_model import small_model


@pytest.fixture(scope="module")
def model():
    m = small_model()
    m.run_for(9 * 60 + 7)  # mid-shift: some officers on duty, offenders out
    return m


def test_agents_read_the_kernel_arrays(model):
    oc, of = model.officers, model.offenders
    for a in model.officer_agents:
        assert isinstance(a, Officer)
        assert a.node == int(oc.pos.node[a.index])
        assert a.status == K.STATUS_NAMES[int(oc.status[a.index])]
        assert a.on_duty == (a.status != "off_duty")
    assert any(a.on_duty for a in model.officer_agents)
    for a in model.offender_agents:
        assert isinstance(a, Offender)
        assert a.node == int(of.pos.node[a.index])
        assert a.home == int(of.home_node[a.index])
        assert a.state in ("at_home", "travelling", "at_activity")
    # a change in the arrays shows at once (no copy)
    a = model.offender_agents[0]
    saved = int(of.state[0])
    of.state[0] = K.OFF_DWELL
    assert a.state == "at_activity"
    of.state[0] = saved


def test_cells_follow_the_kernels_after_running(model):
    for a in model.offender_agents:
        assert a.cell.coordinate == a.node
    for a in model.officer_agents:
        assert (a.cell is None) == (not a.on_duty)
        if a.on_duty:
            assert a.cell.coordinate == a.node


def test_xy_is_part_way_along_the_edge(model):
    pos, net = model.offenders.pos, model.network
    i = 0
    node, nxt = int(pos.node[i]), int(pos.nxt[i])
    saved = (nxt, float(pos.prog[i]), float(pos.elen[i]))
    other = int(net.indices[net.indptr[node]])
    pos.nxt[i], pos.elen[i], pos.prog[i] = other, 40.0, 10.0
    x, y = model.offender_agents[i].xy
    assert x == pytest.approx(net.x[node] + 0.25 * (net.x[other] - net.x[node]))
    assert y == pytest.approx(net.y[node] + 0.25 * (net.y[other] - net.y[node]))
    pos.nxt[i], pos.prog[i], pos.elen[i] = saved
    assert "Offender(0" in repr(model.offender_agents[0])
    assert "Officer(0" in repr(model.officer_agents[0])
