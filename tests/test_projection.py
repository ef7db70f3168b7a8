"""Tests of hotspot_sim.projection: the one place coordinates change system."""

from __future__ import annotations

import numpy as np
import pytest

from hotspot_sim import projection


def test_the_prime_meridian_at_greenwich_lands_just_east_of_the_airy_circle():
    # The Airy transit circle (the OSGB36 meridian) is at E 538874, N 177344; the WGS84
    # prime meridian runs about 100 m east of it. Swapped axes or a wrong CRS miss by km.
    x, y = projection.to_bng([0.0], [51.4779])
    assert 50 < x[0] - 538874 < 150 and abs(y[0] - 177344) < 50


def test_round_trip_keeps_points_to_the_millimetre():
    x = np.array([524000.0, 522500.5, 530000.0])
    y = np.array([213000.0, 208000.25, 215000.0])
    lon, lat = projection.to_lonlat(x, y)
    assert np.all((-0.4 < lon) & (lon < 0)) and np.all((51.7 < lat) & (lat < 51.9))
    back_x, back_y = projection.to_bng(lon, lat)
    assert np.abs(back_x - x).max() < 1e-3 and np.abs(back_y - y).max() < 1e-3


def test_outputs_are_float_arrays_even_for_scalars_and_lists():
    x, y = projection.to_bng(-0.2, 51.8)
    assert isinstance(x, np.ndarray) and x.dtype == float and x.shape == ()
    lon, lat = projection.to_lonlat([524000], [213000])
    assert lon.dtype == float and lon.shape == (1,)


def test_frames_change_crs_and_come_back():
    gpd = pytest.importorskip("geopandas")
    frame = gpd.GeoDataFrame({"id": [1]}, geometry=gpd.points_from_xy([524000.0], [213000.0]),
                             crs=projection.BNG)
    lonlat = projection.frame_to_lonlat(frame)
    assert lonlat.crs.to_epsg() == 4326 and frame.crs.to_epsg() == 27700  # a copy
    lon, lat = projection.to_lonlat([524000.0], [213000.0])
    assert lonlat.geometry.x.iloc[0] == pytest.approx(lon[0])
    back = projection.frame_to_bng(lonlat)
    assert back.crs.to_epsg() == 27700
    assert back.geometry.x.iloc[0] == pytest.approx(524000.0, abs=1e-3)
