"""track.presence: hot spot radii, nearest hot spot, the minutes a ping stands for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspot_sim.errors import DataError
from hotspot_sim.track.presence import (DEFAULT_RADIUS_M, hotspot_radii, nearest_hotspot,
                                        ping_minutes, visits, visits_from_chunks)

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


def irregular_pings(seed: int = 3) -> pd.DataFrame:
    """Officers (text ids) pinging every 1 or 5 minutes or at random gaps, one only once,
    walking in and out of three hot spots of different radii."""
    rng = np.random.default_rng(seed)
    rows = []
    for officer, step, n in [("a", 1, 400), ("b", 5, 120), ("c", None, 300), ("d", 1, 1)]:
        gaps = rng.integers(1, 7, n) if step is None else np.full(n, step)
        tick = np.cumsum(gaps) + rng.integers(0, 30)
        walk = np.cumsum(rng.normal(0, 40, (n, 2)), axis=0)
        rows.append(pd.DataFrame({"officer": officer, "tick": tick, "x": walk[:, 0],
                                  "y": walk[:, 1]}))
    gps = pd.concat(rows, ignore_index=True)
    gps["time"] = pd.Timestamp("2021-11-01") + pd.to_timedelta(gps["tick"], unit="min")
    return gps


def time_chunks(gps: pd.DataFrame, edges, seed: int = 0) -> list[pd.DataFrame]:
    """``gps`` cut at the given ticks, each piece's rows shuffled."""
    cut = np.searchsorted(edges, gps["tick"].to_numpy(), side="right")
    return [g.sample(frac=1, random_state=seed) for _, g in gps.groupby(cut)]


@pytest.mark.parametrize("interval", [None, 2.0])
def test_visits_from_chunks_equal_visits_of_the_whole_log(interval):
    gps = irregular_pings()
    hotspots = pd.DataFrame({"hotspot_id": [7, 8, 9], "x": [0.0, 150.0, -200.0],
                             "y": [0.0, 100.0, 50.0], "radius_m": [120.0, 60.0, 150.0]})
    expected = visits(gps, hotspots, None, interval_min=interval)
    assert len(expected) > 10 and expected["officer"].nunique() > 1
    got = visits_from_chunks(time_chunks(gps, [50, 51, 200, 433]), hotspots, None,
                             interval_min=interval)
    pd.testing.assert_frame_equal(got, expected)
    far = hotspots.assign(x=hotspots["x"] + 1e6)  # no visit at all
    pd.testing.assert_frame_equal(visits_from_chunks(time_chunks(gps, [100]), far, None),
                                  visits(gps, far, None))


def test_visits_from_chunks_refuse_pings_that_go_back_in_time():
    gps = irregular_pings()
    hotspots = pd.DataFrame({"hotspot_id": [1], "x": [0.0], "y": [0.0]})
    late_first = time_chunks(gps, [200])[::-1]
    with pytest.raises(DataError, match="back in time"):
        visits_from_chunks(late_first, hotspots)
