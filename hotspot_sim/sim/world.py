"""The world the agents live in, built from observed data.

The risk surface (a base offending rate per node from smoothed observed crime,
by hour of the week, and the local crime-type mix), the neighbourhoods the
kernels spread deterrence and near-repeat risk over, the attractors offenders
travel to, the police station, and each offender's home and awareness space.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..data.time_profiles import ASSUMED_RISK_DAILY, ASSUMED_RISK_HOURLY, TimeProfile
from ..errors import ConfigError
from ..neighbourhoods import cell_index
from ..network import StreetNetwork
from ..settings import Scenario
from ..study import Study
from . import kernels as K
from .routing import Router
from .state import Net, Offenders, new_offenders, trip_hazard

# Offending risk by hour of day and by day of week, relative to the mean: the
# assumption used when no time-stamped records are given (police.uk gives months
# only), defined with the estimation in hotspot_sim.data.time_profiles.
RISK_HOURLY = ASSUMED_RISK_HOURLY
RISK_DAILY = ASSUMED_RISK_DAILY  # Monday..Sunday
TYPE_PRIOR_WEIGHT = 2.0     # pseudo-counts of the area-wide crime mix at each node


class World(NamedTuple):
    """The static arrays for the kernels and what the model and policies read from the data."""

    net: Net
    observed_intensity: np.ndarray  # smoothed observed crime per node
    attractors: np.ndarray          # nodes offenders travel to (most observed crime first)
    station: int                    # where shifts begin
    crime_types: list[str]
    type_harm: np.ndarray           # Crime Harm Index days per crime type


def build_world(config: Scenario, study: Study, router: Router) -> World:
    """The risk surface, neighbourhoods and places of a scenario on its street network.

    Parameters
    ----------
    config : Scenario
        The validated scenario.
    study : Study
        Observed crime on the network.
    router : Router
        Routing tables; rows for the attractors and the station are added.

    Returns
    -------
    World

    Raises
    ------
    ConfigError
        If ``[risk] type_weights`` names an unknown crime type or a weight is not a number >= 0.
    """
    net, c, d = study.network, config, config.deterrence
    counts = study.node_type_counts()
    smoothed_types = smoothing_matrix(net, c.risk.smoothing_radius_m) @ counts
    total = smoothed_types.sum(axis=1)
    scale = total[total > 0].mean() if (total > 0).any() else 1.0
    rel = total / scale
    base = c.risk.base_rate * ((1 - c.risk.background_share) * rel
                               + c.risk.background_share * rel.mean())
    area_mix = counts.sum(axis=0) / max(counts.sum(), 1.0)
    mix = (smoothed_types + TYPE_PRIOR_WEIGHT * area_mix) * type_weights(config, study)
    type_cum = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
    type_cum[:, -1] = 1.0
    det = net.neighbours_within(d.radius_m)
    dif = net.neighbours_within(d.diffusion_radius_m)
    cells = cell_index(net.x, net.y, c.risk.near_repeat_radius_m)  # near repeats, on the fly
    disp = net.neighbours_within(d.displacement_radius_m)
    attractors = top_nodes(total, c.offenders.attractors)
    station = station_node(net)
    router.rows_for(np.concatenate([attractors, [station]]))
    kernel_net = Net(
        indptr=net.indptr, indices=net.indices, elen=net.edge_length, x=net.x, y=net.y,
        det_ptr=det[0], det_idx=K.sorted_rows(det[0], det[1]),  # sorted: see presence_move
        dif_ptr=dif[0], dif_idx=dif[1], dif_w=np.exp(-dif[2] / max(d.diffusion_radius_m, 1e-9)),
        cell_ptr=cells.ptr, cell_nodes=cells.nodes, cell_grid=cells.grid,
        disp_ptr=disp[0], disp_idx=disp[1], base=base,
        time_factor=risk_time_factor(study.risk_profile), type_cum=type_cum,
        trip_cum=trip_hazard(c.offenders.trips_per_day),
        koper=K.koper_table(d.onset_minutes, d.onset_width_minutes, d.residual_peak),
        res_decay=K.decay_table(d.short_decay_minutes), hop=router.hop)
    crime_types = study.crime_types
    type_harm = study.harm_table.loc[crime_types, "chi_days"].to_numpy(float)
    return World(kernel_net, total, attractors, station, crime_types, type_harm)


def risk_time_factor(profile: TimeProfile) -> np.ndarray:
    """Risk multiplier of each hour of the week (Monday 00:00 first) from a risk profile.

    An estimated profile (mean 1) is scaled to the mean of the assumed one, so
    ``[risk] base_rate``, fitted by 'hotspot-sim calibrate' with the assumed
    profile, keeps its meaning per offending opportunity. The profile is risk
    per opportunity: simulated crimes by hour are this factor times the
    offenders out at that hour (their assumed trip profile), so they follow the
    records only as far as offenders are about, and the crimes a day change when
    the records put risk in hours when few are out (on the example records, 3
    seeds x 28 days: crimes a day -14%, correlation of simulated with recorded
    crimes by hour 0.58 against 0.18 with the assumed profile); refit
    ``base_rate`` with 'hotspot-sim calibrate' for volume. The assumed profile
    is used exactly as it is (scale 1.0).

    Parameters
    ----------
    profile : TimeProfile
        Hour-of-day (24) and day-of-week (7) factors.

    Returns
    -------
    numpy.ndarray
        (168,) factors, ``daily[d] * hourly[h]`` at ``24 d + h``.
    """
    hourly = profile.hourly * (RISK_HOURLY.mean() / profile.hourly.mean())
    daily = profile.daily * (RISK_DAILY.mean() / profile.daily.mean())
    return (daily[:, None] * hourly[None, :]).ravel()


def call_place_weights(study: Study, attractors: np.ndarray, observed_intensity: np.ndarray) -> np.ndarray:
    """How often calls for service come from each attractor (the places with routing trees).

    Without a force's calls-for-service records, or with ``[calls] demand =
    "assumed"``, calls follow observed crime (``observed_intensity + 1e-9``, as
    always). With them, each recorded call counts for the attractor nearest its
    point (straight line): calls come from where the force's calls came from, on
    places whose routes are already built (a county's calls at their own nodes
    would need a routing tree each).

    Parameters
    ----------
    study : Study
        Its ``calls`` and ``call_demand``.
    attractors : numpy.ndarray
        Attractor nodes.
    observed_intensity : numpy.ndarray
        Smoothed observed crime per node.

    Returns
    -------
    numpy.ndarray
        One weight > 0 per attractor.
    """
    if study.calls is None or not study.call_demand.estimated:
        return observed_intensity[attractors] + 1e-9
    from scipy.spatial import cKDTree

    net = study.network
    tree = cKDTree(np.column_stack([net.x[attractors], net.y[attractors]]))
    _, nearest = tree.query(np.column_stack([study.calls["x"].to_numpy(float),
                                             study.calls["y"].to_numpy(float)]))
    return np.bincount(nearest, minlength=len(attractors)) + 1e-9


def type_weights(config: Scenario, study: Study) -> np.ndarray:
    """``[risk] type_weights`` per crime type of the study (1 where not given).

    Parameters
    ----------
    config : Scenario
        The scenario.
    study : Study
        Its observed data (the crime types).

    Returns
    -------
    numpy.ndarray
        One weight per crime type.

    Raises
    ------
    ConfigError
        An unknown crime type, or a weight that is not a number >= 0.
    """
    weights = config.risk.type_weights
    unknown = set(weights) - set(study.crime_types)
    if unknown:
        raise ConfigError(f"{config.source} [risk] type_weights: unknown crime type(s) "
                          f"{', '.join(sorted(unknown))}")
    bad = {k: v for k, v in weights.items() if not isinstance(v, (int, float)) or v < 0}
    if bad:
        raise ConfigError(f"{config.source} [risk] type_weights: {bad} must be numbers >= 0")
    return np.array([float(weights.get(t, 1.0)) for t in study.crime_types])


def station_node(network: StreetNetwork) -> int:
    """Where shifts begin: the street node nearest the network's centroid.

    Parameters
    ----------
    network : StreetNetwork
        The street network.

    Returns
    -------
    int
        A node index.
    """
    idx, _ = network.nearest_nodes([network.x.mean()], [network.y.mean()])
    return int(idx[0])


def place_offenders(config: Scenario, world: World, router: Router, rng: np.random.Generator,
                    week_minute0: int) -> Offenders:
    """Offenders at their homes, with awareness spaces and the tick of each first trip.

    Homes are drawn from a pool of home places; each offender's activity places
    are attractors drawn by observed crime (to ``attractor_exponent``) and
    distance from home.

    Parameters
    ----------
    config : Scenario
        ``[offenders]`` settings.
    world : World
        Attractors and their observed crime.
    router : Router
        Routing rows for homes and activity places are added.
    rng : numpy.random.Generator
        The model's generator.
    week_minute0 : int
        Minute of the week at tick 0.

    Returns
    -------
    Offenders
    """
    o = config.offenders
    net, m, attr = router.network, o.count, world.attractors
    homes_pool = rng.choice(net.n_nodes, size=min(o.home_places, net.n_nodes), replace=False)
    homes = rng.choice(homes_pool, size=m)
    kk = min(o.activity_nodes, len(attr))
    weight = (world.observed_intensity[attr] + 1e-9) ** o.attractor_exponent
    aw_node = np.zeros((m, kk), np.int32)
    aw_cum = np.zeros((m, kk))
    for i, h in enumerate(homes):  # once per offender at set-up, not per tick
        d = np.hypot(net.x[attr] - net.x[h], net.y[attr] - net.y[h])
        p = weight * np.exp(-d / o.activity_distance_m)
        chosen = rng.choice(len(attr), size=kk, replace=False, p=p / p.sum())
        aw_node[i] = attr[chosen]
        w = weight[chosen]
        aw_cum[i] = np.cumsum(w / w.sum())
    aw_cum[:, -1] = 1.0
    # one request: in a small routing budget a second could evict the first's trees
    rows = router.rows_for(np.concatenate([homes, aw_node.ravel()]))
    home_rows, aw_row = rows[:m], rows[m:].reshape(aw_node.shape)
    cum = trip_hazard(o.trips_per_day)
    start = cum[week_minute0 % K.MINUTES_PER_WEEK] + rng.exponential(size=m)
    weeks = np.floor(start / cum[-1])
    wake = (np.searchsorted(cum, start - weeks * cum[-1]) + weeks * K.MINUTES_PER_WEEK
            - week_minute0 % K.MINUTES_PER_WEEK).astype(np.int64)
    return new_offenders(homes=homes, home_rows=home_rows, aw_node=aw_node, aw_row=aw_row,
                         aw_cum=aw_cum, wake=np.maximum(wake, 0))


def top_nodes(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` largest values (ties broken by index, so reproducible).

    Parameters
    ----------
    values : numpy.ndarray
        One value per node.
    n : int
        How many.

    Returns
    -------
    numpy.ndarray
        int64 indices, largest value first.
    """
    order = np.lexsort((np.arange(len(values)), -values))
    return order[:min(n, len(values))].astype(np.int64)


def smoothing_matrix(net: StreetNetwork, radius: float):
    """Triangular kernel (1 - d/r) over nodes within ``radius`` (0: no smoothing).

    Parameters
    ----------
    net : StreetNetwork
        The street network.
    radius : float
        Smoothing radius, metres.

    Returns
    -------
    scipy.sparse.csr_matrix
        (n_nodes, n_nodes) weights.
    """
    import scipy.sparse as sp

    indptr, idx, d = net.neighbours_within(radius)
    w = np.clip(1.0 - d / radius, 0.0, None) if radius > 0 else np.ones_like(d)
    return sp.csr_matrix((w, idx, indptr), shape=(net.n_nodes, net.n_nodes))
