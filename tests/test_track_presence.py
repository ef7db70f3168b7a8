"""track.presence: hot spot radii, nearest hot spot, the minutes a ping stands for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.errors import DataError
from hotspot_sim.track.presence import (DEFAULT_RADIUS_M, hotspot_radii, nearest_hotspot,
                                        ping_minutes)

HOTSPOTS = pd.DataFrame({"hotspot_id": ["a", "b"], "x": [0.0, 150.0], "y": [0.0, 0.0]})


def test_radii_given_from_the_table_or_the_default():
    assert hotspot_radii(HOTSPOTS, 50).tolist() == [50.0, 50.0]
    assert hotspot_radii(HOTSPOTS, None).tolist() == [DEFAULT_RADIUS_M] * 2
    own = HOTSPOTS.assign(radius_m=[20.0, 200.0])
    assert hotspot_radii(own, None).tolist() == [20.0, 200.0]
    assert hotspot_radii(own, 70.0).tolist() == [70.0, 70.0]  # a given radius wins


def test_nearest_covering_hot_spot_or_none():
    own = HOTSPOTS.assign(radius_m=[20.0, 200.0])
    # x=30: nearer to a, but only b's radius covers it; x=400: covered by none
    pos, dist = nearest_hotspot([30.0, 400.0, 10.0], [0.0, 0.0, 0.0], own, None)
    assert pos.tolist() == [1, -1, 0]
    assert dist[0] == pytest.approx(120.0) and np.isnan(dist[1]) and dist[2] == 10.0
    pos, dist = nearest_hotspot([30.0, 400.0], [0.0, 0.0], own, None, within=False)
    assert pos.tolist() == [0, 1] and dist.tolist() == [30.0, 250.0]


def test_nearest_with_no_hot_spots_or_no_points():
    pos, dist = nearest_hotspot([1.0], [1.0], HOTSPOTS.iloc[:0])
    assert pos.tolist() == [-1] and np.isnan(dist[0])
    assert len(nearest_hotspot([], [], HOTSPOTS)[0]) == 0


def test_ping_minutes_is_each_officers_median_gap():
    t0 = pd.Timestamp("2021-03-01 06:00")
    gps = pd.DataFrame({"officer": [1, 1, 1, 2, 2, 3],
                        "time": t0 + pd.to_timedelta([0, 5, 10, 0, 1, 7], unit="min")})
    # officer 3 has a single ping: the median gap over everyone (1 and 5 -> 5)
    assert ping_minutes(gps).tolist() == [5.0, 5.0, 5.0, 1.0, 1.0, 5.0]
    assert ping_minutes(gps, 2).tolist() == [2.0] * 6
    with pytest.raises(DataError, match="interval_min must be > 0"):
        ping_minutes(gps, 0)
