"""The one zoning of crimes and the one weighted displacement quotient (track.zones)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.track.zones import (HOT_SPOT, MIN_CRIMES, displacement_quotient, ring_labels,
                                     wdq_reading, zone_columns, zone_crimes, zone_names)

HOTSPOTS = pd.DataFrame({"hotspot_id": [1, 2], "x": [0.0, 10000.0], "y": [0.0, 0.0]})


def test_zone_edges_belong_to_the_inner_zone():
    x = [0.0, 100.0, 100.5, 200.0, 200.5, 300.0, 300.5, 9950.0]
    z = zone_crimes(x, np.zeros(len(x)), HOTSPOTS, rings=(100, 200), radius_m=100.0)
    assert z.zone.tolist() == [HOT_SPOT, HOT_SPOT, 1, 1, 2, 2, 3, HOT_SPOT]
    assert z.nearest.tolist() == [0] * 7 + [1]
    assert z.distance_m[1] == 100.0
    assert z.in_hot_spot.tolist() == [True, True] + [False] * 5 + [True]


def test_zone_radius_from_the_table():
    hs = HOTSPOTS.assign(radius_m=[50.0, 150.0])
    z = zone_crimes([60.0, 10140.0], [0.0, 0.0], hs, rings=(100,), radius_m=None)
    assert z.zone.tolist() == [1, HOT_SPOT]


def test_no_hotspots_or_no_crimes():
    none = zone_crimes([5.0], [5.0], HOTSPOTS.iloc[:0], rings=(100,))
    assert none.zone.tolist() == [2] and none.nearest.tolist() == [-1]  # elsewhere
    empty = zone_crimes([], [], HOTSPOTS, rings=(100,))
    assert len(empty.zone) == 0 and empty.zone.dtype == np.int64


def test_names_of_the_zones():
    assert zone_names((100, 200)) == ["hot spot", "ring +0-100 m", "ring +100-200 m", "elsewhere"]
    assert ring_labels((50.5,)) == ["ring +0-50.5 m"]
    assert zone_columns(100.0, (100.0, 200.0)) == ["hotspots", "ring100_200", "ring200_300",
                                                   "elsewhere"]


def test_wdq_of_a_fall_with_diffusion():
    # treated core 10 -> 5, buffer 2 -> 1, control 10 -> 10 (Bowers & Johnson 2003)
    q = displacement_quotient((10, 5), (2, 1), (10, 10))
    assert q.success == pytest.approx(-0.5) and q.buffer == pytest.approx(-0.1)
    assert q.wdq == pytest.approx(0.2) and q.reading == "diffusion of benefits"
    assert displacement_quotient((10, 5), (2, 6), (10, 10)).wdq == pytest.approx(-0.8)


@pytest.mark.parametrize("treated, control, counted, why", [
    ((10, 10), (10, 10), None, "crimes at the hot spots did not fall"),
    ((10, 12), (10, 10), None, "crimes at the hot spots did not fall"),
    ((4, 1), (10, 10), None, "too few crimes at the hot spots (4 in the before period)"),
    ((4, 1), (10, 10), 12, None),  # means over runs: the total counted decides
    ((10, 5), (0, 10), None, "no crimes in the control area"),
    ((10, 5), (10, 0), None, "no crimes in the control area"),
])
def test_wdq_defined_only_when_its_denominator_means_something(treated, control, counted, why):
    q = displacement_quotient(treated, (2, 2), control, counted=counted)
    if why is None:
        assert not math.isnan(q.wdq)
    else:
        assert math.isnan(q.wdq) and q.reading == f"WDQ not defined: {why}"


def test_wdq_minimum_and_wording_can_be_set():
    q = displacement_quotient((3, 1), (2, 2), (0, 4), control_area="elsewhere")
    assert q.reading == "WDQ not defined: no crimes elsewhere" and math.isnan(q.success)
    assert not math.isnan(displacement_quotient((3, 1), (2, 2), (5, 5), min_crimes=3).wdq)
    assert MIN_CRIMES == 10


@pytest.mark.parametrize("w, words", [
    (2.0, "diffusion of benefits larger than the direct effect"), (0.5, "diffusion of benefits"),
    (0.0, "no displacement or diffusion"),
    (-0.5, "displacement smaller than the direct effect (net benefit)"),
    (-2.0, "displacement larger than the direct effect (net loss)"),
    (math.nan, "WDQ not defined")])
def test_wdq_reading(w, words):
    assert wdq_reading(w) == words
