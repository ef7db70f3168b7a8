"""The world from the data: risk surface, crime-type mix, attractors, station, offenders."""

from __future__ import annotations

import numpy as np
import pytest

from hotspot_sim.errors import ConfigError
from hotspot_sim.sim.routing import Router
from hotspot_sim.sim.world import build_world, place_offenders, smoothing_matrix, top_nodes
from hotspot_sim.study import synthetic_study

from .test_model import GRID, HOT, small_scenario


@pytest.fixture(scope="module")
def built():
    s = small_scenario()
    study = synthetic_study(s, GRID, HOT)
    router = Router(GRID)
    return s, study, router, build_world(s, study, router)


def test_risk_is_highest_where_crime_was_observed(built):
    s, _, _, w = built
    base = w.net.base
    assert base[17] > np.median(base) and base.min() > 0  # background share: no zero risk
    assert w.net.time_factor.shape == (168,)
    assert np.allclose(w.net.type_cum[:, -1], 1.0) and (np.diff(w.net.type_cum, axis=1) >= 0).all()
    assert w.attractors[0] in (17, 200)  # the most crime (three records each)
    assert list(w.attractors) == list(top_nodes(w.observed_intensity, s.offenders.attractors))


def test_station_and_attractors_have_routing_rows(built):
    _, _, router, w = built
    assert {int(w.station), *map(int, w.attractors)} <= set(router.rows)
    cx, cy = GRID.x.mean(), GRID.y.mean()
    d = np.hypot(GRID.x - cx, GRID.y - cy)
    assert d[w.station] == pytest.approx(d.min())


def test_offenders_live_at_home_places_and_visit_attractors(built):
    s, _, router, w = built
    of = place_offenders(s, w, router, np.random.default_rng(1), week_minute0=0)
    again = place_offenders(s, w, router, np.random.default_rng(1), week_minute0=0)
    assert np.array_equal(of.home_node, again.home_node) and np.array_equal(of.wake, again.wake)
    assert len(set(of.home_node.tolist())) <= s.offenders.home_places
    assert set(of.aw_node.ravel().tolist()) <= set(w.attractors.tolist())
    assert np.allclose(of.aw_cum[:, -1], 1.0) and (of.wake >= 0).all()
    assert (of.pos.node == of.home_node).all()


def test_unknown_crime_type_weights_are_refused():
    s = small_scenario(risk={"type_weights": {"No such crime": 2.0}})
    with pytest.raises(ConfigError, match="unknown crime type"):
        build_world(s, synthetic_study(s, GRID, HOT), Router(GRID))


def test_helpers():
    assert list(top_nodes(np.array([1.0, 3.0, 3.0, 0.0]), 3)) == [1, 2, 0]  # ties by index
    none = smoothing_matrix(GRID, 0.0)
    assert (none.diagonal() == 1).all() and none.nnz == GRID.n_nodes
