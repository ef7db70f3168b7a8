"""Presence: which hot spot a point is in, and how long officers stayed there.

Everything here reads positions in metres (British National Grid or any other
projected system), so GPS pings and crimes go through the same geometry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

DEFAULT_RADIUS_M = 100.0
"""Hot spot radius: trial hot spots are 100-150 m across (Bland et al. 2021 used
100 m buffers; Ariel et al. 2016 a 150 m radius); matches ``target``'s default."""


def hotspot_radii(hotspots: pd.DataFrame, radius_m: float | None = DEFAULT_RADIUS_M) -> np.ndarray:
    """Radius of each hot spot.

    Parameters
    ----------
    hotspots : pandas.DataFrame
        The hot spots [, ``radius_m``].
    radius_m : float or None
        One radius for all; None uses the table's ``radius_m`` column, or
        ``DEFAULT_RADIUS_M`` when there is none.

    Returns
    -------
    numpy.ndarray
        Float radius in metres, one per row of ``hotspots``.
    """
    if radius_m is None:
        if "radius_m" in hotspots:
            return hotspots["radius_m"].to_numpy(float)
        radius_m = DEFAULT_RADIUS_M
    return np.full(len(hotspots), float(radius_m))


def nearest_hotspot(x, y, hotspots: pd.DataFrame, radius_m: float | None = DEFAULT_RADIUS_M,
                    within: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Position (0-based row of ``hotspots``) of the nearest hot spot to each point.

    KD-tree on the hot spot centres.  With ``within`` the 8 nearest are
    checked, which is exact unless more than 8 overlapping hot spots of
    different radii cover one point.

    Parameters
    ----------
    x, y : array-like
        Point coordinates in metres.
    hotspots : pandas.DataFrame
        ``x, y`` [, ``radius_m``] of the hot spot centres.
    radius_m : float or None
        Hot spot radius (see :func:`hotspot_radii`); only used with ``within``.
    within : bool
        Count only hot spots whose radius covers the point.

    Returns
    -------
    position : numpy.ndarray
        int64 row of the nearest hot spot; -1 where none covers the point
        (``within``) or there are no hot spots.
    distance : numpy.ndarray
        Distance in metres to that hot spot's centre (NaN where position is -1).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(hotspots)
    if n == 0 or x.size == 0:
        return np.full(x.size, -1, np.int64), np.full(x.size, np.nan)
    tree = cKDTree(np.column_stack([hotspots["x"].to_numpy(float), hotspots["y"].to_numpy(float)]))
    pts = np.column_stack([x, y])
    if not within:
        d, i = tree.query(pts, k=1)
        return i.astype(np.int64), d
    radii = np.append(hotspot_radii(hotspots, radius_m), -1.0)  # index n = no neighbour
    k = min(8, n)
    d, i = tree.query(pts, k=k, distance_upper_bound=float(radii.max()))
    d, i = d.reshape(len(pts), k), i.reshape(len(pts), k)
    ok = d <= radii[i]
    first = ok.argmax(axis=1)
    hit = ok.any(axis=1)
    rows = np.arange(len(pts))
    return (np.where(hit, i[rows, first], -1).astype(np.int64),
            np.where(hit, d[rows, first], np.nan))
