"""The arrays the kernels work on, and the one conversion of settings into kernel units.

The compiled kernels (:mod:`hotspot_sim.sim.kernels`) take flat numpy arrays
grouped in small named tuples, plus a float vector ``P`` of parameters in
kernel units (minutes, metres per minute).  This module defines those tuples,
builds them by keyword (so a field can never be filled from the wrong
position), and holds :func:`kernel_params`: the only place where scenario
settings are turned into kernel units.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import ConfigError
from ..settings import Scenario
from . import kernels as K
from .policies.base import Hold, Visit, Walk

QUEUE_SLOTS = 32            # longest order list a policy may give at once
GO_HOME_PROBABILITY = 0.6   # after an activity, go home (else another); an assumption
# When offenders leave home, by hour (an assumption: police.uk gives months only).
TRIP_HOURLY = np.array([0.25, 0.15, 0.08, 0.05, 0.05, 0.1, 0.3, 0.6, 0.8, 0.9, 1.0, 1.1,
                        1.2, 1.2, 1.2, 1.3, 1.5, 1.6, 1.6, 1.5, 1.3, 1.0, 0.7, 0.45])


class Net(NamedTuple):
    """Static arrays: the street graph, neighbourhoods, risk and routing."""

    indptr: np.ndarray      # CSR adjacency (int64)
    indices: np.ndarray     # (int32)
    elen: np.ndarray        # edge lengths, m
    x: np.ndarray
    y: np.ndarray
    det_ptr: np.ndarray     # nodes an officer at node k is present at (radius)
    det_idx: np.ndarray     # sorted by node within each row (kernels.sorted_rows)
    dif_ptr: np.ndarray     # nodes residual deterrence spreads to, with weights
    dif_idx: np.ndarray
    dif_w: np.ndarray
    cell_ptr: np.ndarray    # nodes by square cell one near-repeat radius wide (CellIndex)
    cell_nodes: np.ndarray
    cell_grid: np.ndarray   # [x0, y0, size, nx, ny]
    disp_ptr: np.ndarray    # displacement candidates
    disp_idx: np.ndarray
    base: np.ndarray        # A0 per node at time factor 1
    time_factor: np.ndarray  # (168,) risk multiplier by hour of week
    type_cum: np.ndarray    # (n_nodes, n_types) cumulative crime-type mix
    trip_cum: np.ndarray    # (10081,) cumulative trip hazard over a week
    koper: np.ndarray       # residual deterrence by whole minutes of stay (koper_curve)
    res_decay: np.ndarray   # decay of residual deterrence by whole minutes elapsed (decay_table)
    hop: np.ndarray         # (trees, n_nodes) slot of the next step in the node's CSR row


class NodeState(NamedTuple):
    """What changes at each node: officers present, residual deterrence, near-repeat boost."""

    cover: np.ndarray        # officers present (int32)
    cover_start: np.ndarray  # tick the current presence began
    res_level: np.ndarray    # residual deterrence at res_t
    res_t: np.ndarray
    day_min: np.ndarray      # presence minutes today
    last_pday: np.ndarray    # last patrol day (day index) or -1
    b_level: np.ndarray      # near-repeat boost at b_t
    b_t: np.ndarray


class Movers(NamedTuple):
    """Position of moving agents: at ``node`` and ``prog`` metres toward ``nxt`` (-1: at node)."""

    node: np.ndarray
    nxt: np.ndarray
    prog: np.ndarray
    elen: np.ndarray


class Offenders(NamedTuple):
    """Offenders' positions, routine (home, awareness space) and what they are doing."""

    pos: Movers
    state: np.ndarray
    dest_row: np.ndarray
    dest_node: np.ndarray
    wake: np.ndarray
    home_row: np.ndarray
    home_node: np.ndarray
    aw_row: np.ndarray       # (m, K) awareness-space destination rows
    aw_node: np.ndarray
    aw_cum: np.ndarray       # (m, K) cumulative choice probabilities


class Officers(NamedTuple):
    """Officers' positions, modes, order queues and minutes by status."""

    pos: Movers
    prev: np.ndarray         # node before the current one (random walks avoid going back)
    mode: np.ndarray
    status: np.ndarray
    cover_node: np.ndarray   # node whose neighbourhood the officer is present at, or -1
    remaining: np.ndarray    # minutes left of the current walk/dwell
    dest_row: np.ndarray
    dest_node: np.ndarray
    q_kind: np.ndarray       # (k, Q) order queue
    q_row: np.ndarray
    q_node: np.ndarray
    q_minutes: np.ndarray
    q_tstat: np.ndarray
    q_dstat: np.ndarray
    q_notify: np.ndarray
    q_len: np.ndarray
    q_pos: np.ndarray
    flags: np.ndarray
    arrived_tick: np.ndarray
    status_min: np.ndarray   # (k, N_STATUS) minutes by status since last reset
    speed: np.ndarray        # metres per minute (foot or car patrol; response cars drive)


class Logs(NamedTuple):
    """Buffers the kernels append offending attempts and GPS pings to."""

    counts: np.ndarray       # [attempts, pings]
    a_tick: np.ndarray
    a_node: np.ndarray
    a_origin: np.ndarray
    a_offender: np.ndarray
    a_type: np.ndarray
    a_outcome: np.ndarray
    g_tick: np.ndarray
    g_officer: np.ndarray
    g_node: np.ndarray
    g_x: np.ndarray
    g_y: np.ndarray
    g_status: np.ndarray


ATTEMPT_FIELDS = ("a_tick", "a_node", "a_origin", "a_offender", "a_type", "a_outcome")
GPS_FIELDS = ("g_tick", "g_officer", "g_node", "g_x", "g_y", "g_status")


def trip_hazard(trips_per_day: float) -> np.ndarray:
    """Cumulative trip hazard over a week, by minute from Monday 00:00.

    Parameters
    ----------
    trips_per_day : float
        Mean trips from home per offender per day.

    Returns
    -------
    numpy.ndarray
        ``MINUTES_PER_WEEK + 1`` values from 0; the last is the expected trips per week.
    """
    per_minute = np.repeat(TRIP_HOURLY / TRIP_HOURLY.mean(), 60)
    per_minute = np.tile(per_minute, 7) * trips_per_day / 1440
    return np.concatenate([[0.0], np.cumsum(per_minute)])


def kernel_params(config: Scenario) -> np.ndarray:
    """The kernels' parameter vector ``P``: every setting in kernel units, in one place.

    Days become minutes, km/h metres per minute, and the start date-time the
    minute of the day and of the week at tick 0.

    Parameters
    ----------
    config : Scenario
        The validated scenario.

    Returns
    -------
    numpy.ndarray
        ``kernels.N_PARAMS`` floats, indexed by the ``kernels.P_*`` constants.
    """
    d, r, o, oc = config.deterrence, config.risk, config.offenders, config.officers
    start = config.start_datetime
    minute_of_day0 = start.hour * 60 + start.minute
    officer_kmh = oc.foot_speed_kmh if oc.mode == "foot" else oc.car_speed_kmh
    values = {
        K.P_PRESENCE: d.presence_effect,
        K.P_TAU_SHORT: d.short_decay_minutes,
        K.P_LONG: d.long_effect,
        K.P_LONG_HOLD: d.long_hold_days * 1440,
        K.P_LONG_TAU: d.long_decay_days * 1440,
        K.P_NR_UNIT: r.near_repeat_boost * r.base_rate,
        K.P_TAU_B: r.near_repeat_decay_days * 1440,
        K.P_DISP_PROB: d.displacement_probability,
        K.P_OFF_SPEED: o.speed_kmh * 1000 / 60,
        K.P_OFF_DWELL: o.dwell_minutes,
        K.P_OFC_SPEED: officer_kmh * 1000 / 60,
        K.P_GPS_EVERY: oc.gps_interval_min,
        K.P_WEEK0: start.weekday() * 1440 + minute_of_day0,
        K.P_TRIP_WEEK: trip_hazard(o.trips_per_day)[-1],
        K.P_GO_HOME: GO_HOME_PROBABILITY,
        K.P_DAY0: minute_of_day0,
        K.P_WANDER: o.wander,
        K.P_DAY_STAY: d.patrol_day_min_stay_minutes,
        K.P_NR_RADIUS: r.near_repeat_radius_m,
        K.P_NR_DIST: r.near_repeat_distance_m,
    }
    P = np.zeros(K.N_PARAMS)
    for index, value in values.items():
        P[index] = value
    return P


def new_node_state(n_nodes: int) -> NodeState:
    """Node state before anything happened: no officer, no residual deterrence, no boost.

    Parameters
    ----------
    n_nodes : int
        Street nodes.

    Returns
    -------
    NodeState
    """
    n = n_nodes
    return NodeState(cover=np.zeros(n, np.int32), cover_start=np.zeros(n, np.int64),
                     res_level=np.zeros(n), res_t=np.zeros(n, np.int64), day_min=np.zeros(n),
                     last_pday=np.full(n, -1, np.int64), b_level=np.zeros(n),
                     b_t=np.zeros(n, np.int64))


def new_movers(nodes: np.ndarray) -> Movers:
    """Agents standing at ``nodes`` (not on an edge).

    Parameters
    ----------
    nodes : array-like of int
        One node per agent.

    Returns
    -------
    Movers
    """
    m = len(nodes)
    return Movers(node=np.asarray(nodes, np.int32), nxt=np.full(m, -1, np.int32),
                  prog=np.zeros(m), elen=np.zeros(m))


def new_offenders(homes: np.ndarray, home_rows: np.ndarray, aw_node: np.ndarray,
                  aw_row: np.ndarray, aw_cum: np.ndarray, wake: np.ndarray) -> Offenders:
    """Offenders at home, each to wake at ``wake``.

    Parameters
    ----------
    homes, home_rows : numpy.ndarray
        Home node and its routing row, per offender.
    aw_node, aw_row, aw_cum : numpy.ndarray
        (offenders, places) activity places, their routing rows and cumulative choice
        probabilities.
    wake : numpy.ndarray
        Tick of each offender's first trip.

    Returns
    -------
    Offenders
    """
    m = len(homes)
    return Offenders(pos=new_movers(homes), state=np.zeros(m, np.int8),
                     dest_row=np.zeros(m, np.int32), dest_node=np.full(m, -1, np.int32),
                     wake=wake, home_row=home_rows.astype(np.int32),
                     home_node=homes.astype(np.int32), aw_row=aw_row.astype(np.int32),
                     aw_node=aw_node, aw_cum=aw_cum)


def new_officers(count: int, station: int, queue_slots: int = QUEUE_SLOTS,
                 speed: float | np.ndarray = 0.0) -> Officers:
    """Off-duty officers at the station with empty order queues.

    Parameters
    ----------
    count : int
        Officers (response cars included).
    station : int
        Node where shifts begin.
    queue_slots : int
        Longest order list a policy may give at once.
    speed : float or numpy.ndarray
        Metres per minute, one for all or one per officer.

    Returns
    -------
    Officers
    """
    k, q = count, queue_slots
    return Officers(pos=new_movers(np.full(k, station)), prev=np.full(k, -1, np.int32),
                    mode=np.zeros(k, np.int8), status=np.zeros(k, np.int8),
                    cover_node=np.full(k, -1, np.int32), remaining=np.zeros(k, np.int64),
                    dest_row=np.zeros(k, np.int32), dest_node=np.zeros(k, np.int32),
                    q_kind=np.zeros((k, q), np.int8), q_row=np.zeros((k, q), np.int32),
                    q_node=np.zeros((k, q), np.int32), q_minutes=np.zeros((k, q), np.int64),
                    q_tstat=np.zeros((k, q), np.int8), q_dstat=np.zeros((k, q), np.int8),
                    q_notify=np.zeros((k, q), np.int8), q_len=np.zeros(k, np.int32),
                    q_pos=np.full(k, -1, np.int32), flags=np.zeros(k, np.int8),
                    arrived_tick=np.zeros(k, np.int64),
                    status_min=np.zeros((k, K.N_STATUS), np.int64),
                    speed=np.broadcast_to(np.asarray(speed, float), (k,)).copy())


def new_logs(n_offenders: int, n_officers: int, nodes_per_minute: float,
             capacity: int = 200_000) -> Logs:
    """Log buffers large enough for one tick's worst case (the kernel stops before overflow).

    Parameters
    ----------
    n_offenders, n_officers : int
        Agents that can log in one tick.
    nodes_per_minute : float
        Most street nodes an offender passes in a minute (each is an opportunity).
    capacity : int
        Smallest buffer length.

    Returns
    -------
    Logs
    """
    cap_a = max(capacity, 8 * (n_offenders + 1) * int(math.ceil(nodes_per_minute) + 2))
    cap_g = max(capacity, 4 * (n_officers + 1))
    return Logs(counts=np.zeros(2, np.int64), a_tick=np.zeros(cap_a, np.int64),
                a_node=np.zeros(cap_a, np.int32), a_origin=np.zeros(cap_a, np.int32),
                a_offender=np.zeros(cap_a, np.int32), a_type=np.zeros(cap_a, np.int16),
                a_outcome=np.zeros(cap_a, np.int8), g_tick=np.zeros(cap_g, np.int64),
                g_officer=np.zeros(cap_g, np.int16), g_node=np.zeros(cap_g, np.int32),
                g_x=np.zeros(cap_g, np.float32), g_y=np.zeros(cap_g, np.float32),
                g_status=np.zeros(cap_g, np.int8))


def encode_orders(officers: Officers, k: int, orders: list, rows: dict[int, int],
                  policy_name: str) -> None:
    """Write officer ``k``'s new order queue into the kernel arrays (it starts next tick).

    Parameters
    ----------
    officers : Officers
        The officers' arrays.
    k : int
        The officer.
    orders : list of Visit, Walk or Hold
        At most ``QUEUE_SLOTS`` orders.
    rows : dict
        Routing row of each node (every visited node must have one).
    policy_name : str
        For the error message.

    Raises
    ------
    ConfigError
        If an order is not a Visit, Walk or Hold.
    """
    oc = officers
    for p, o in enumerate(orders):
        if isinstance(o, Visit):
            oc.q_kind[k, p] = K.ORDER_VISIT
            oc.q_row[k, p] = rows[int(o.node)]
            oc.q_node[k, p] = o.node
            oc.q_minutes[k, p] = int(o.minutes)
            oc.q_tstat[k, p] = o.travel_status
            oc.q_dstat[k, p] = o.dwell_status
            oc.q_notify[k, p] = o.notify
        elif isinstance(o, (Walk, Hold)):
            oc.q_kind[k, p] = K.ORDER_WALK if isinstance(o, Walk) else K.ORDER_HOLD
            oc.q_minutes[k, p] = max(1, int(o.minutes))
            oc.q_dstat[k, p] = o.status
            oc.q_notify[k, p] = False
        else:
            raise ConfigError(f"policy {policy_name!r} gave an unknown order {o!r}")
    oc.q_len[k] = len(orders)
    oc.q_pos[k] = -1
    oc.mode[k] = K.MODE_IDLE
    oc.status[k] = K.AVAILABLE
