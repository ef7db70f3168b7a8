"""Who answers a call: available officers only, the nearest by street distance."""

from __future__ import annotations

import pytest

from hotspot_sim.sim import kernels as K

from .test_model import small_model


@pytest.fixture
def model():
    m = small_model()
    m.run_for(1)  # officers 0 and 3 on duty, at the station
    return m


def test_only_officers_free_to_go_are_available(model):
    r, agents, oc = model.responders, model.officer_agents, model.officers
    assert not r.available(agents[1])  # off duty
    oc.status[0] = K.AVAILABLE
    assert r.available(agents[0])
    oc.status[0] = K.AT_HOTSPOT
    assert r.available(agents[0]) == model.config.calls.pull_hotspot_officers
    oc.status[0] = K.ON_CALL
    assert not r.available(agents[0])


def test_travel_distance_counts_the_rest_of_the_current_edge(model):
    r, pos, net = model.responders, model.officers.pos, model.network
    dest = 200
    pos.nxt[0], pos.prog[0] = -1, 0.0  # standing at a node
    at_node = r.travel_distance(dest, [0])[0]
    assert at_node == pytest.approx(model.router.distance(dest, [int(pos.node[0])])[0])
    node = int(pos.node[0])
    e = net.indptr[node]
    pos.nxt[0], pos.elen[0], pos.prog[0] = net.indices[e], net.edge_length[e], 10.0
    along = r.travel_distance(dest, [0])[0]
    ahead = model.router.distance(dest, [int(net.indices[e])])[0]
    assert along == pytest.approx(ahead + net.edge_length[e] - 10.0)


def test_the_nearest_available_officer_is_sent(model):
    from hotspot_sim.sim.dispatch import Call

    pos = model.officers.pos
    pos.node[3], pos.nxt[3] = 200, -1  # officer 3 stands at the call; officer 0 further away
    model.officers.status[[0, 3]] = K.AVAILABLE
    call = Call(priority=(1, 0.0), call_id=0, grade=1, time=0.0, node=200, service_minutes=20)
    assert model.responders.nearest(call) == 3
    model.responders.assign(3, call)
    assert model.officer_agents[3].on_call is call and call.travel_m == 0.0
    assert model.officers.q_node[3, 0] == 200 and model.officers.q_len[3] == 1
