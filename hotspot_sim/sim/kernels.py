"""The hot loop: movement, offending, near-repeat risk and residual deterrence.

Every function here is written once in plain, numba-compatible Python and built
twice by :func:`hotspot_sim.sim.kernel_builds.kernels`: compiled with
``numba.njit`` (what the model uses) and left as plain Python (the *reference*,
~100x slower, used by tests to check that compilation changes nothing).  Both
draw random numbers only with ``np.random.random()`` after
``np.random.seed(seed)``; numba's generator is the same Mersenne Twister as
NumPy's legacy one, so the two agree draw for draw.

State lives in flat arrays grouped in small named tuples (defined and built
by keyword in :mod:`hotspot_sim.sim.state`).  Costs are proportional to what
happens, never to (all nodes x every tick):

- risk ``A = A0(node, hour of week) + B`` is evaluated only where an offender
  is; the near-repeat boost ``B`` is stored with the tick it was set and decays
  lazily (Short et al. 2008: B decays, spreads to neighbours, jumps after a crime);
- deterrence is stored the same way and changes only when an officer arrives at
  or leaves a node's neighbourhood, or once a day for the patrol-day carry-over.
"""

from __future__ import annotations

import math

import numba
import numpy as np

# borrow() and prefetch()/prefetch1() are numba intrinsics that change no result: see kernel_tricks.
# (numba's on-disk cache is keyed by this file: after editing kernel_tricks.py,
# touch this file so the kernels are compiled again.)
from .kernel_tricks import borrow, prefetch, prefetch1

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * 1440

# --- indices into the float parameter vector P (filled by state.kernel_params)
P_PRESENCE = 0          # deterrence while an officer is within the radius
P_TAU_SHORT = 1         # e-folding of residual deterrence (min)
P_LONG = 2              # patrol-day carry-over deterrence
P_LONG_HOLD = 3         # minutes the carry-over holds after the last patrol day
P_LONG_TAU = 4          # e-folding of its end (min)
P_NR_UNIT = 5           # near-repeat boost at distance 0 (absolute A units)
P_TAU_B = 6             # e-folding of the boost (min)
P_DISP_PROB = 7         # chance a deterred attempt is displaced
P_OFF_SPEED = 8         # offender speed (m/min)
P_OFF_DWELL = 9         # mean dwell at an activity place (min)
P_OFC_SPEED = 10        # patrol officers' speed (m/min); each officer's is in Officers.speed
P_GPS_EVERY = 11        # minutes between GPS pings
P_WEEK0 = 12            # minute of the week at tick 0 (Monday 00:00 = 0)
P_TRIP_WEEK = 13        # expected trips per offender per week (cumulative hazard)
P_GO_HOME = 14          # chance to go home after an activity (else another activity)
P_DAY0 = 15             # minute of the day at tick 0
P_WANDER = 16           # speed while at an activity place, as a share of walking speed
P_DAY_STAY = 17         # shortest stay (min) whose minutes count toward a patrol day
P_NR_RADIUS = 18        # near-repeat radius (m)
P_NR_DIST = 19          # distance (m) at which the near-repeat boost halves
N_PARAMS = 20

# Residual deterrence below this is not recorded: a passing officer (a stay of
# a few minutes) leaves almost none on the Koper curve, and skipping it keeps
# random patrols cheap.
MIN_RESIDUAL = 0.01

# --- officer modes and statuses
MODE_OFF, MODE_WALK, MODE_TRAVEL, MODE_DWELL, MODE_IDLE = 0, 1, 2, 3, 4
STATUS_NAMES = ("off_duty", "patrolling", "travelling", "at_hotspot", "answering_call", "available")
OFF_DUTY, PATROLLING, TRAVELLING, AT_HOTSPOT, ON_CALL, AVAILABLE = range(6)
N_STATUS = len(STATUS_NAMES)

# --- order kinds (officer queues)
ORDER_VISIT, ORDER_WALK, ORDER_HOLD = 0, 1, 2

# --- decision flags set by the kernel for Python
FLAG_IDLE = 1       # queue exhausted
FLAG_ARRIVED = 2    # arrived at a destination whose order asked to be told

# --- offender states
OFF_HOME, OFF_TRAVEL, OFF_DWELL = 0, 1, 2

# --- attempt outcomes
COMMITTED, DETERRED, DISPLACED = 0, 1, 2
OUTCOME_NAMES = ("committed", "deterred", "displaced")

# --- why a kernel call returned
STOP_END, STOP_DECISION, STOP_LOG_FULL = 0, 1, 2


def koper_curve(stay, onset, width, peak):
    """Residual deterrence left by a stay of ``stay`` minutes (0 at 0 minutes).

    A logistic curve in stay length, rescaled to start at zero: little before
    about 10 minutes, most by about 15 (Koper 1995).
    """
    l0 = 1.0 / (1.0 + math.exp(onset / width))
    ls = 1.0 / (1.0 + math.exp(-(stay - onset) / width))
    return peak * max(0.0, (ls - l0) / (1.0 - l0))


def koper_table(onset, width, peak, max_minutes=24 * 60):
    """``koper_curve`` at 0, 1, ..., max_minutes (stays are whole ticks)."""
    return np.array([koper_curve(float(m), onset, width, peak) for m in range(max_minutes + 1)])


def sorted_rows(indptr, indices):
    """CSR column indices sorted within each row (presence_move walks two rows in step)."""
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    return indices[np.lexsort((indices, rows))]


def decay_table(tau, max_minutes=4 * MINUTES_PER_DAY):
    """``exp(-m / tau)`` for m = 0, 1, ..., max_minutes (elapsed times are whole ticks).

    Built with ``math.exp``, the C library's exp that compiled kernels call
    too, so a table entry is bit for bit the exp it replaces.
    """
    return np.array([math.exp(-m / tau) for m in range(max_minutes + 1)])


def long_term(last_pday, t, P):
    """Patrol-day carry-over (Barnes et al. 2020): holds, then ends abruptly."""
    if last_pday < 0:
        return 0.0
    day_end = (last_pday + 1) * MINUTES_PER_DAY - P[P_DAY0]
    gap = t - day_end
    if gap < 0:
        gap = 0.0
    if gap <= P[P_LONG_HOLD]:
        return P[P_LONG]
    return P[P_LONG] * math.exp(-(gap - P[P_LONG_HOLD]) / P[P_LONG_TAU])


# ------------------------------------------------------------------ the kernels
# This file is imported twice: as ``hotspot_sim.sim.kernels`` (compiled with numba)
# and, by :func:`kernel_builds.kernels` with ``reference=True``, as
# ``hotspot_sim.sim.kernels_reference`` (the same source left as plain Python).
# Module-level functions (not closures) let numba cache the compiled code on
# disk, so a new process loads it instead of compiling for ~20 s.
REFERENCE = __name__.endswith("_reference")
if REFERENCE:
    def helper(f):
        return f
    entry = helper
else:
    # Entry points are compiled functions; helpers are inlined into them at the
    # numba level (inline="always"): a real call would pass each tuple as its
    # flattened fields (~7 words per array, ~500 words for a helper taking
    # net, ns, P, oc), which measured as slow as the reference counting that
    # borrow() removes.
    entry = numba.njit(cache=True, nogil=True)
    helper = numba.njit(cache=True, nogil=True, inline="always")

longterm = helper(long_term)


@helper
def deterrence(ns, i, t, P):
    """Share of attempts deterred at node ``i`` at tick ``t``."""
    present = P[P_PRESENCE] if ns.cover[i] > 0 else 0.0
    res = 0.0
    if ns.res_level[i] > 0.0:  # most nodes never see an officer: skip the exp
        res = ns.res_level[i] * math.exp(-(t - ns.res_t[i]) / P[P_TAU_SHORT])
    lt = longterm(ns.last_pday[i], t, P) if ns.last_pday[i] >= 0 else 0.0
    return 1.0 - (1.0 - present) * (1.0 - res) * (1.0 - lt)

@helper
def hour_of_week(t, P):
    # Integer arithmetic on purpose: with the float P[P_WEEK0] the modulo was a
    # call to numba's fmod helper on every offending opportunity (~8% of a run).
    return ((t + int(P[P_WEEK0])) % MINUTES_PER_WEEK) // 60

@helper
def risk(net, ns, i, t, P):
    """Attractiveness A = A0(node, hour of week) + B (Short et al. 2008)."""
    a = net.base[i] * net.time_factor[hour_of_week(t, P)]
    if ns.b_level[i] > 0.0:
        a += ns.b_level[i] * math.exp(-(t - ns.b_t[i]) / P[P_TAU_B])
    return a

@helper
def log_attempt(logs, t, node, origin, offender, ctype, outcome):
    n = logs.counts[0]
    logs.a_tick[n] = t
    logs.a_node[n] = node
    logs.a_origin[n] = origin
    logs.a_offender[n] = offender
    logs.a_type[n] = ctype
    logs.a_outcome[n] = outcome
    logs.counts[0] = n + 1

@helper
def commit(net, ns, logs, P, t, node, origin, offender, outcome):
    """Record a crime, draw its type from the local mix, raise near-repeat risk."""
    u = np.random.random()
    ctype = 0
    ntypes = net.type_cum.shape[1]
    while ctype < ntypes - 1 and net.type_cum[node, ctype] <= u:
        ctype += 1
    log_attempt(logs, t, node, origin, offender, ctype, outcome)
    near_repeat(net, ns, P, t, node)

@helper
def near_repeat(net, ns, P, t, node):
    """Raise the boost at every node within the near-repeat radius of a crime.

    The neighbours come from the cell index (``net.cell_*``, cells one radius
    wide, :mod:`hotspot_sim.neighbourhoods`) rather than a stored table: crimes
    are rare, and a 400 m table took 350 MB on a 130k-node network.  Each
    neighbour is raised once, so the order of the cells does not matter.
    """
    x0, y0, size = net.cell_grid[0], net.cell_grid[1], net.cell_grid[2]
    nx, ny = int(net.cell_grid[3]), int(net.cell_grid[4])
    cx, cy = int((net.x[node] - x0) // size), int((net.y[node] - y0) // size)
    for gy in range(max(cy - 1, 0), min(cy + 2, ny)):
        for gx in range(max(cx - 1, 0), min(cx + 2, nx)):
            c = gy * nx + gx
            for k in range(net.cell_ptr[c], net.cell_ptr[c + 1]):
                j = net.cell_nodes[k]
                d = math.hypot(net.x[j] - net.x[node], net.y[j] - net.y[node])
                if d <= P[P_NR_RADIUS]:
                    decayed = ns.b_level[j] * math.exp(-(t - ns.b_t[j]) / P[P_TAU_B])
                    ns.b_level[j] = decayed + P[P_NR_UNIT] * (1.0 / (1.0 + d / P[P_NR_DIST]))
                    ns.b_t[j] = t

@helper
def attempt(net, ns, logs, P, t, node, offender):
    """One offending opportunity at ``node``: motivated, deterred, displaced or committed."""
    u = np.random.random()
    # Almost every opportunity ends here (A is ~1e-4 a minute), so first compare
    # u with a bound that needs no exp: 1 - exp(-A) <= A <= A0 + B as last set
    # (B only decays), and the margin covers the rounding of 1 - exp(-A)
    # (< 1e-15).  Exact: the same draws and the same outcome as the full test,
    # which runs only when u is below the bound.
    a0 = net.base[node] * net.time_factor[hour_of_week(t, P)]
    if u >= a0 + ns.b_level[node] + 1e-12:
        return
    a = risk(net, ns, node, t, P)
    if u >= 1.0 - math.exp(-a):
        return
    if np.random.random() >= deterrence(ns, node, t, P):
        commit(net, ns, logs, P, t, node, -1, offender, COMMITTED)
        return
    lo, hi = net.disp_ptr[node] + 1, net.disp_ptr[node + 1]  # first entry is the node itself
    if hi > lo and np.random.random() < P[P_DISP_PROB]:
        j = net.disp_idx[lo + int(np.random.random() * (hi - lo))]
        if np.random.random() >= deterrence(ns, j, t, P):
            commit(net, ns, logs, P, t, j, node, offender, DISPLACED)
            return
    log_attempt(logs, t, node, -1, offender, -1, DETERRED)

@helper
def next_trip(net, P, t):
    """Tick of the next trip from home: inverse of the weekly cumulative hazard."""
    week_pos = (t + int(P[P_WEEK0])) % MINUTES_PER_WEEK  # integers: no fmod call
    week_start = t - week_pos
    total = P[P_TRIP_WEEK]
    if total <= 0:
        return np.int64(2**62)
    target = net.trip_cum[int(week_pos)] - math.log(1.0 - np.random.random())
    weeks = math.floor(target / total)
    rem = target - weeks * total
    pos = np.searchsorted(net.trip_cum, rem)
    when = np.int64(week_start + weeks * MINUTES_PER_WEEK + pos)
    return when if when > t else np.int64(t + 1)

@helper
def choose_activity(of, i):
    u = np.random.random()
    k = 0
    K = of.aw_cum.shape[1]
    while k < K - 1 and of.aw_cum[i, k] <= u:
        k += 1
    return k

@helper
def begin_edge(net, pos, i, e):
    """Agent ``i`` sets off along CSR edge ``e``."""
    pos.nxt[i] = net.indices[e]
    pos.elen[i] = net.elen[e]
    pos.prog[i] = 0.0


@helper
def walk_edge(pos, i, budget):
    """Walk up to ``budget`` metres along the current edge.

    Returns the budget left after reaching the edge's end node (now the agent's
    node), or -1.0 when the minute ends part-way along the edge.
    """
    left = pos.elen[i] - pos.prog[i]
    if budget < left:
        pos.prog[i] += budget
        return -1.0
    pos.node[i] = pos.nxt[i]
    pos.nxt[i] = -1
    pos.prog[i] = 0.0
    return budget - left


@helper
def move_offender(net, ns, logs, P, of, i, t):
    """Walk offender ``i`` one minute toward its destination, offending on the way."""
    pos = of.pos
    budget = P[P_OFF_SPEED]
    while budget > 0.0:
        node = pos.node[i]
        if pos.nxt[i] < 0:
            if node == of.dest_node[i]:
                return True
            e = net.indptr[node] + net.hop[of.dest_row[i], node]  # slot in node's row
            prefetch(net.hop, of.dest_row[i], net.indices[e])  # needed on arriving there
            prefetch1(net.indptr, net.indices[e])  # its slot's offset
            begin_edge(net, pos, i, e)
        budget = walk_edge(pos, i, budget)
        if budget < 0.0:
            return False
        attempt(net, ns, logs, P, t, pos.node[i], i)
    return pos.nxt[i] < 0 and pos.node[i] == of.dest_node[i]

@helper
def wander_offender(net, ns, logs, P, of, i, t):
    """Browse around an activity place: a slow random walk, offending at each node reached."""
    pos = of.pos
    budget = P[P_OFF_SPEED] * P[P_WANDER]
    while budget > 0.0:
        if pos.nxt[i] < 0:
            node = pos.node[i]
            lo, hi = net.indptr[node], net.indptr[node + 1]
            begin_edge(net, pos, i, lo + int(np.random.random() * (hi - lo)))
        budget = walk_edge(pos, i, budget)
        if budget < 0.0:
            return
        attempt(net, ns, logs, P, t, pos.node[i], i)


@helper
def step_offenders(net, ns, logs, P, of, t):
    for i in range(of.state.shape[0]):
        s = of.state[i]
        if s == OFF_HOME:
            if t < of.wake[i]:
                continue
            k = choose_activity(of, i)
            of.dest_row[i] = of.aw_row[i, k]
            of.dest_node[i] = of.aw_node[i, k]
            of.state[i] = OFF_TRAVEL
            s = OFF_TRAVEL
        elif s == OFF_DWELL:
            if P[P_WANDER] > 0.0:
                wander_offender(net, ns, logs, P, of, i, t)
            elif of.pos.nxt[i] < 0:
                attempt(net, ns, logs, P, t, of.pos.node[i], i)  # standing at the place
            if t < of.wake[i]:
                continue
            if np.random.random() < P[P_GO_HOME]:
                of.dest_row[i] = of.home_row[i]
                of.dest_node[i] = of.home_node[i]
            else:
                k = choose_activity(of, i)
                of.dest_row[i] = of.aw_row[i, k]
                of.dest_node[i] = of.aw_node[i, k]
            of.state[i] = OFF_TRAVEL
            s = OFF_TRAVEL
        if s == OFF_TRAVEL and move_offender(net, ns, logs, P, of, i, t):
            if of.dest_node[i] == of.home_node[i]:
                of.state[i] = OFF_HOME
                of.wake[i] = next_trip(net, P, t)
            else:
                of.state[i] = OFF_DWELL
                of.wake[i] = t + 1 + int(-math.log(1.0 - np.random.random()) * P[P_OFF_DWELL])

# ----------------------------------------------------------------- officers' presence

@entry
def presence_begin_py(net, ns, k, t):
    presence_begin(net, ns, k, t)

@entry
def presence_end_py(net, ns, P, k, t, day_start):
    presence_end(net, ns, P, k, t, day_start)

@helper
def cover_node(ns, j, t):
    """One more officer present at node j."""
    ns.cover[j] += 1
    if ns.cover[j] == 1:
        ns.cover_start[j] = t

@helper
def uncover_node(net, ns, P, j, t, day_start):
    """One officer fewer at node j: if none is left, the stay leaves residual deterrence."""
    ns.cover[j] -= 1
    if ns.cover[j] > 0:
        return
    stay = t - ns.cover_start[j]
    # Only stays long enough to deter make a patrol day (Koper 1995; Barnes et al.
    # 2020's patrol days were single ~13-minute visits): minutes of cars and
    # officers merely passing once added up to patrol days across whole areas.
    if stay >= P[P_DAY_STAY]:
        ns.day_min[j] += t - max(ns.cover_start[j], day_start)
    g = net.koper[min(stay, net.koper.shape[0] - 1)]
    if g < MIN_RESIDUAL:  # a drive-by leaves (almost) nothing; skip the spreading
        return
    for f in range(net.dif_ptr[j], net.dif_ptr[j + 1]):
        i = net.dif_idx[f]
        new = g * net.dif_w[f]
        # This loop ran ~180 exps a tick (every officer step leaves nodes
        # behind), a third of the kernel time.  The decayed old level is at
        # most res_level[i], so a new level not below it wins outright;
        # otherwise the decay comes from a table by whole minutes (same bits).
        if new < ns.res_level[i]:
            dt = t - ns.res_t[i]
            if 0 <= dt < net.res_decay.shape[0]:
                lvl = ns.res_level[i] * net.res_decay[dt]
            else:
                lvl = ns.res_level[i] * math.exp(-dt / P[P_TAU_SHORT])
            if lvl > new:
                new = lvl
        ns.res_level[i] = new
        ns.res_t[i] = t

@helper
def presence_begin(net, ns, k, t):
    for e in range(net.det_ptr[k], net.det_ptr[k + 1]):
        cover_node(ns, net.det_idx[e], t)

@helper
def presence_end(net, ns, P, k, t, day_start):
    """Officer leaves node k's neighbourhood: nodes left uncovered keep residual deterrence."""
    for e in range(net.det_ptr[k], net.det_ptr[k + 1]):
        uncover_node(net, ns, P, net.det_idx[e], t, day_start)

@helper
def presence_move(net, ns, P, old, new, t, day_start):
    """Presence moves from node old's neighbourhood to node new's.

    The same as presence_begin(new) then presence_end(old) (a node in both
    would go up by one and back, changing nothing), but a step (~40 m) keeps
    most of a 100 m neighbourhood, and the two full passes were a large part of
    an officer's cost.  So walk both lists, sorted by node (sorted_rows), and
    touch only nodes in one of them.  Order does not matter: each update
    touches its own node, and spreading keeps a maximum.
    """
    a, a_end = net.det_ptr[new], net.det_ptr[new + 1]
    b, b_end = net.det_ptr[old], net.det_ptr[old + 1]
    none = np.int64(1) << 40
    while a < a_end or b < b_end:
        ja = np.int64(net.det_idx[a]) if a < a_end else none
        jb = np.int64(net.det_idx[b]) if b < b_end else none
        if ja < jb:
            cover_node(ns, ja, t)
            a += 1
        elif jb < ja:
            uncover_node(net, ns, P, jb, t, day_start)
            b += 1
        else:
            a += 1
            b += 1

@helper
def officer_arrive(net, ns, P, oc, k, t, day_start):
    """Officer k reached a node: presence moves there."""
    node = oc.pos.node[k]
    old = oc.cover_node[k]
    if old == node:
        return
    if old >= 0:
        presence_move(net, ns, P, old, node, t, day_start)
    else:
        presence_begin(net, ns, node, t)
    oc.cover_node[k] = node

@helper
def start_next_order(net, ns, P, oc, k, t, day_start):
    """Pop officer k's next order; flag Python when the queue is empty."""
    while True:
        p = oc.q_pos[k] + 1
        oc.q_pos[k] = p
        if p >= oc.q_len[k]:
            oc.mode[k] = MODE_IDLE
            oc.status[k] = AVAILABLE
            oc.flags[k] |= FLAG_IDLE
            return
        kind = oc.q_kind[k, p]
        if kind == ORDER_WALK:
            oc.mode[k] = MODE_WALK
            oc.status[k] = oc.q_dstat[k, p]
            oc.remaining[k] = oc.q_minutes[k, p]
            return
        if kind == ORDER_HOLD:
            oc.mode[k] = MODE_DWELL
            oc.status[k] = oc.q_dstat[k, p]
            oc.remaining[k] = oc.q_minutes[k, p]
            return
        oc.dest_row[k] = oc.q_row[k, p]
        oc.dest_node[k] = oc.q_node[k, p]
        if oc.pos.nxt[k] < 0 and oc.pos.node[k] == oc.dest_node[k]:
            if arrive_at_destination(oc, k, t):
                return
            continue  # zero-minute visit: straight to the next order
        oc.mode[k] = MODE_TRAVEL
        oc.status[k] = oc.q_tstat[k, p]
        return

@helper
def arrive_at_destination(oc, k, t):
    """Begin the dwell of the current visit; False if it has no dwell."""
    p = oc.q_pos[k]
    oc.arrived_tick[k] = t
    if oc.q_notify[k, p]:
        oc.flags[k] |= FLAG_ARRIVED
    if oc.q_minutes[k, p] <= 0:
        return False
    oc.mode[k] = MODE_DWELL
    oc.status[k] = oc.q_dstat[k, p]
    oc.remaining[k] = oc.q_minutes[k, p]
    return True

@helper
def move_officer(net, ns, P, oc, k, t, day_start, walk):
    """Move officer k one minute: toward its destination, or a random walk."""
    pos = oc.pos
    budget = oc.speed[k]  # per officer: foot or car patrol, response cars drive
    while budget > 0.0:
        node = pos.node[k]
        if pos.nxt[k] < 0:
            if not walk:
                if node == oc.dest_node[k]:
                    return True
                e = net.indptr[node] + net.hop[oc.dest_row[k], node]  # slot in node's row
                prefetch(net.hop, oc.dest_row[k], net.indices[e])  # needed on arriving there
                prefetch1(net.indptr, net.indices[e])  # its slot's offset
            else:
                lo, hi = net.indptr[node], net.indptr[node + 1]
                e = lo + int(np.random.random() * (hi - lo))
                if net.indices[e] == oc.prev[k] and hi - lo > 1:  # no turning back but at a dead end
                    e = lo + int(np.random.random() * (hi - lo))
            begin_edge(net, pos, k, e)
        budget = walk_edge(pos, k, budget)
        if budget < 0.0:
            return False
        oc.prev[k] = node
        officer_arrive(net, ns, P, oc, k, t, day_start)
    return (not walk) and pos.nxt[k] < 0 and pos.node[k] == oc.dest_node[k]

@helper
def gps_ping(net, logs, oc, k, t):
    n = logs.counts[1]
    pos = oc.pos
    node = pos.node[k]
    x, y = net.x[node], net.y[node]
    if pos.nxt[k] >= 0 and pos.elen[k] > 0:
        f = pos.prog[k] / pos.elen[k]
        x += f * (net.x[pos.nxt[k]] - x)
        y += f * (net.y[pos.nxt[k]] - y)
    logs.g_tick[n] = t
    logs.g_officer[n] = k
    logs.g_node[n] = node
    logs.g_x[n] = x
    logs.g_y[n] = y
    logs.g_status[n] = oc.status[k]
    logs.counts[1] = n + 1

@helper
def step_officers(net, ns, logs, P, oc, t, day_start):
    ping = (t % int(P[P_GPS_EVERY])) == 0
    for k in range(oc.mode.shape[0]):
        m = oc.mode[k]
        if m == MODE_OFF:
            continue
        if m == MODE_IDLE and oc.q_pos[k] + 1 < oc.q_len[k]:  # new orders from Python
            start_next_order(net, ns, P, oc, k, t, day_start)
            m = oc.mode[k]
        oc.status_min[k, oc.status[k]] += 1
        if ping:
            gps_ping(net, logs, oc, k, t)
        if m == MODE_WALK:
            move_officer(net, ns, P, oc, k, t, day_start, True)
            oc.remaining[k] -= 1
            if oc.remaining[k] <= 0:
                start_next_order(net, ns, P, oc, k, t, day_start)
        elif m == MODE_TRAVEL:
            if move_officer(net, ns, P, oc, k, t, day_start, False):
                if not arrive_at_destination(oc, k, t):
                    start_next_order(net, ns, P, oc, k, t, day_start)
        elif m == MODE_DWELL:
            oc.remaining[k] -= 1
            if oc.remaining[k] <= 0:
                start_next_order(net, ns, P, oc, k, t, day_start)

@entry
def run_ticks(net, ns, of, oc, logs, P, t0, t1, seed, day_start):
    """Advance every agent from tick ``t0`` up to ``t1`` (exclusive).

    Returns ``(t, reason)``: the first tick not yet simulated and why it
    stopped (end reached, an officer needs a decision, or a log is full).
    """
    np.random.seed(seed)
    # Without this, reference counting was ~80% of the run time: see borrow().
    net, ns, of, oc, logs, P = borrow((net, ns, of, oc, logs, P))
    m = of.state.shape[0]
    k = oc.mode.shape[0]
    room_a = logs.a_tick.shape[0] - 8 * (m + 1)
    room_g = logs.g_tick.shape[0] - (k + 1)
    t = t0
    while t < t1:
        if logs.counts[0] > room_a or logs.counts[1] > room_g:
            return t, STOP_LOG_FULL
        step_offenders(net, ns, logs, P, of, t)
        step_officers(net, ns, logs, P, oc, t, day_start)
        t += 1
        for j in range(k):
            if oc.flags[j] != 0:
                return t, STOP_DECISION
    return t, STOP_END

@entry
def close_day(ns, P, day, t, day_start, min_minutes):
    """At midnight: nodes with enough presence today become patrol days.

    Presence counts in stays of at least ``P[P_DAY_STAY]`` minutes; a stay still
    going on at midnight counts once it is that long so far.
    """
    for j in range(ns.cover.shape[0]):
        if ns.cover[j] > 0 and t - ns.cover_start[j] >= P[P_DAY_STAY]:
            ns.day_min[j] += t - max(ns.cover_start[j], day_start)
        if ns.day_min[j] >= min_minutes and ns.day_min[j] > 0:
            ns.last_pday[j] = day
        ns.day_min[j] = 0.0


@entry
def deterrence_surface(ns, t, P):
    """:func:`deterrence` at every node at tick ``t`` (the live view's heat layer)."""
    out = np.empty(ns.cover.shape[0])
    for i in range(out.shape[0]):
        out[i] = deterrence(ns, i, t, P)
    return out

@entry
def risk_surface(net, ns, t, P):
    """:func:`risk` (attractiveness A per minute) at every node at tick ``t``."""
    out = np.empty(net.base.shape[0])
    for i in range(out.shape[0]):
        out[i] = risk(net, ns, i, t, P)
    return out
