"""``PatrolModel``: the Mesa model of officers and offenders on a street network.

Mesa owns the model, the agents, the calendar (its event list holds shift
changes and midnights) and data collection; the compiled kernels in
:mod:`hotspot_sim.sim.kernels` advance every agent between decision events; SimPy
(:mod:`hotspot_sim.sim.dispatch`) runs calls for service; a policy
(:mod:`hotspot_sim.sim.policies`) says what officers do, asked only at decisions.

Time is in minutes: ``model.time`` (and the kernel tick) 0 is the scenario's
start date-time; ``model.step()`` advances one minute and ``model.run_for(n)``
advances ``n`` minutes at full speed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import math

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import Network
from mesa.time import Schedule

from ..errors import ConfigError
from ..network import StreetNetwork
from ..settings import Scenario
from ..study import Study, load_study
from . import kernels as K
from .agents import Officer, Offender
from .dispatch import Dispatch
from .policies import get_policy
from .policies.base import ARRIVAL, CALL_DONE, DAY_START, IDLE, SHIFT_START, Hold, Visit, Walk
from .routing import Router

log = logging.getLogger(__name__)

# Offending risk by hour of day and by day of week, relative to the mean.  An
# assumption (police.uk gives months only): risk lowest before dawn, highest
# in the evening and at weekends.
RISK_HOURLY = np.array([1.0, 0.9, 0.7, 0.5, 0.35, 0.3, 0.35, 0.5, 0.7, 0.85, 0.95, 1.0,
                        1.05, 1.05, 1.05, 1.15, 1.25, 1.3, 1.3, 1.35, 1.35, 1.3, 1.25, 1.15])
RISK_DAILY = np.array([0.95, 0.93, 0.95, 0.97, 1.05, 1.1, 1.05])  # Monday..Sunday
# When offenders leave home, by hour (same assumption).
TRIP_HOURLY = np.array([0.25, 0.15, 0.08, 0.05, 0.05, 0.1, 0.3, 0.6, 0.8, 0.9, 1.0, 1.1,
                        1.2, 1.2, 1.2, 1.3, 1.5, 1.6, 1.6, 1.5, 1.3, 1.0, 0.7, 0.45])
GO_HOME_PROBABILITY = 0.6   # after an activity, go home (else another); an assumption
QUEUE_SLOTS = 32            # longest order list a policy may give at once
TYPE_PRIOR_WEIGHT = 2.0     # pseudo-counts of the area-wide crime mix at each node


class PatrolModel(mesa.Model):
    """Police patrol on a real street network.

    Parameters
    ----------
    config
        The validated scenario.
    study
        Observed data on the network (loaded from the scenario if omitted).
    policy, policy_params
        Override the scenario's ``[policy]``.
    reference
        Use the pure-Python reference kernels (slow; for tests and benchmarks).
    build_space
        Build the Mesa ``Network`` space and keep agents' cells in sync.
    """

    def __init__(self, config: Scenario, study: Study | None = None, policy: str | None = None,
                 policy_params: dict | None = None, reference: bool = False,
                 build_space: bool = True):
        super().__init__(rng=config.scenario.seed)
        # One minute per step through our own engine (see run_for).
        self._default_schedule.stop()
        self.step = self._step_one_minute
        self.config = config
        self.study = study or load_study(config)
        self.network: StreetNetwork = self.study.network
        self.k = K.kernels(reference=reference)
        self.reference = reference
        self.start = config.start_datetime
        self.tick = 0
        self.day = 0
        self._setup_calendar()
        self.router = Router(self.network, capacity=256)
        self.params = self._build_params()
        self.net = self._build_net()
        self.nodes = self._build_node_state()
        self.offenders = self._build_offenders()
        self._refresh_hop()  # homes and activity places added routing rows
        self.officers = self._build_officers()
        self.logs = new_logs(self.offenders.state.shape[0], self.officers.mode.shape[0],
                             self.params[K.P_OFF_SPEED] / max(1.0, float(self.network.edge_length.min())))
        self._chunks: dict[str, list] = {"attempts": [], "gps": []}
        self._day_first_chunk = 0
        self.status_rows: list[dict] = []
        self.daily_rows: list[dict] = []
        self.space = self._build_space() if build_space else None
        self._make_agents()
        self.dispatch = self._build_dispatch()
        name = policy or config.policy.name
        params = config.policy.params if policy_params is None and policy is None else policy_params
        self.policy = get_policy(name)(self, params or {})
        self.policy_name = self.policy.name
        self.datacollector = mesa.DataCollector(model_reporters={
            "day": "day", "crimes": lambda m: m._today.get("crimes", 0),
            "harm": lambda m: m._today.get("harm", 0.0),
            "deterred": lambda m: m._today.get("deterred", 0),
            "displaced": lambda m: m._today.get("displaced", 0),
            "officers_on_duty": lambda m: int((m.officers.mode != K.MODE_OFF).sum()),
            "calls": lambda m: m._today.get("calls", 0)})
        self._today: dict = {}
        self.policy.setup()
        self._schedule_shifts()
        self.schedule_recurring(self._midnight, Schedule(interval=1440, start=self._first_midnight))
        self._start_initial_shifts()

    # ------------------------------------------------------------------ calendar

    def _setup_calendar(self) -> None:
        s = self.start
        self.minute_of_day0 = s.hour * 60 + s.minute
        self.week_minute0 = s.weekday() * 1440 + self.minute_of_day0
        self._first_midnight = (1440 - self.minute_of_day0) % 1440 or 1440

    def datetime_at(self, tick) -> dt.datetime:
        return self.start + dt.timedelta(minutes=int(tick))

    def day_index(self, tick: int) -> int:
        return (tick + self.minute_of_day0) // 1440

    def day_start_tick(self, tick: int) -> int:
        return self.day_index(tick) * 1440 - self.minute_of_day0

    # ------------------------------------------------------------------ building

    def _build_params(self) -> np.ndarray:
        c = self.config
        d, r, o = c.deterrence, c.risk, c.offenders
        P = np.zeros(K.N_PARAMS)
        P[K.P_PRESENCE] = d.presence_effect
        P[K.P_ONSET] = d.onset_minutes
        P[K.P_WIDTH] = d.onset_width_minutes
        P[K.P_RES_PEAK] = d.residual_peak
        P[K.P_TAU_SHORT] = d.short_decay_minutes
        P[K.P_LONG] = d.long_effect
        P[K.P_LONG_HOLD] = d.long_hold_days * 1440
        P[K.P_LONG_TAU] = d.long_decay_days * 1440
        P[K.P_TAU_B] = r.near_repeat_decay_days * 1440
        P[K.P_DISP_PROB] = d.displacement_probability
        P[K.P_OFF_SPEED] = o.speed_kmh * 1000 / 60
        P[K.P_OFF_DWELL] = o.dwell_minutes
        officer_kmh = c.officers.foot_speed_kmh if c.officers.mode == "foot" else c.officers.car_speed_kmh
        P[K.P_OFC_SPEED] = officer_kmh * 1000 / 60
        P[K.P_GPS_EVERY] = c.officers.gps_interval_min
        P[K.P_WEEK0] = self.week_minute0
        P[K.P_DAY0] = self.minute_of_day0
        P[K.P_GO_HOME] = GO_HOME_PROBABILITY
        P[K.P_WANDER] = o.wander
        return P

    def _build_net(self) -> K.Net:
        net, c = self.network, self.config
        counts = self.study.node_type_counts()
        smooth = smoothing_matrix(net, c.risk.smoothing_radius_m)
        smoothed_types = smooth @ counts
        total = smoothed_types.sum(axis=1)
        self.observed_intensity = total
        scale = total[total > 0].mean() if (total > 0).any() else 1.0
        rel = total / scale
        base = c.risk.base_rate * ((1 - c.risk.background_share) * rel
                                   + c.risk.background_share * rel.mean())
        area_mix = counts.sum(axis=0) / max(counts.sum(), 1.0)
        mix = (smoothed_types + TYPE_PRIOR_WEIGHT * area_mix) * self._type_weights()
        type_cum = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
        type_cum[:, -1] = 1.0
        self.crime_types = self.study.crime_types
        self.type_harm = self.study.harm_table.loc[self.crime_types, "chi_days"].to_numpy(float)
        tf = (RISK_DAILY[:, None] * RISK_HOURLY[None, :]).ravel()
        self.params[K.P_NR_UNIT] = c.risk.near_repeat_boost * c.risk.base_rate
        d = c.deterrence
        det = net.neighbours_within(d.radius_m)
        dif = net.neighbours_within(d.diffusion_radius_m)
        nr = net.neighbours_within(c.risk.near_repeat_radius_m)
        disp = net.neighbours_within(d.displacement_radius_m)
        dif_w = np.exp(-dif[2] / max(d.diffusion_radius_m, 1e-9))
        nr_w = 1.0 / (1.0 + nr[2] / c.risk.near_repeat_distance_m)
        self._attractors = top_nodes(total, c.offenders.attractors)
        self._station = self._station_node()
        self.router.rows_for(np.concatenate([self._attractors, [self._station]]))
        return K.Net(net.indptr, net.indices, net.edge_length, net.x, net.y,
                     det[0], K.sorted_rows(det[0], det[1]),  # sorted: see presence_move
                     dif[0], dif[1], dif_w, nr[0], nr[1], nr_w, disp[0], disp[1],
                     base, tf, type_cum, self._trip_cum(),
                     K.koper_table(d.onset_minutes, d.onset_width_minutes, d.residual_peak),
                     K.decay_table(d.short_decay_minutes),
                     self.router.hop)

    def _type_weights(self) -> np.ndarray:
        weights = self.config.risk.type_weights
        unknown = set(weights) - set(self.study.crime_types)
        if unknown:
            raise ConfigError(f"{self.config.source} [risk] type_weights: unknown crime type(s) "
                              f"{', '.join(sorted(unknown))}")
        bad = {k: v for k, v in weights.items() if not isinstance(v, (int, float)) or v < 0}
        if bad:
            raise ConfigError(f"{self.config.source} [risk] type_weights: {bad} must be numbers >= 0")
        return np.array([float(weights.get(t, 1.0)) for t in self.study.crime_types])

    def _trip_cum(self) -> np.ndarray:
        """Cumulative trip hazard over a week (minutes from Monday 00:00)."""
        per_minute = np.repeat(TRIP_HOURLY / TRIP_HOURLY.mean(), 60)
        per_minute = np.tile(per_minute, 7) * self.config.offenders.trips_per_day / 1440
        cum = np.concatenate([[0.0], np.cumsum(per_minute)])
        self.params[K.P_TRIP_WEEK] = cum[-1]
        return cum

    def _station_node(self) -> int:
        """Where shifts begin: the street node nearest the network's centroid."""
        idx, _ = self.network.nearest_nodes([self.network.x.mean()], [self.network.y.mean()])
        return int(idx[0])

    def _build_node_state(self) -> K.NodeState:
        n = self.network.n_nodes
        return K.NodeState(np.zeros(n, np.int32), np.zeros(n, np.int64), np.zeros(n),
                           np.zeros(n, np.int64), np.zeros(n), np.full(n, -1, np.int64),
                           np.zeros(n), np.zeros(n, np.int64))

    def _build_offenders(self) -> K.Offenders:
        o = self.config.offenders
        net, rng, m = self.network, self.rng, o.count
        homes_pool = rng.choice(net.n_nodes, size=min(o.home_places, net.n_nodes), replace=False)
        homes = rng.choice(homes_pool, size=m)
        attr = self._attractors
        kk = min(o.activity_nodes, len(attr))
        weight = (self.observed_intensity[attr] + 1e-9) ** o.attractor_exponent
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
        home_rows = self.router.rows_for(homes)
        aw_row = self.router.rows_for(aw_node.ravel()).reshape(aw_node.shape)
        cum = self._trip_cum()
        start = cum[self.week_minute0 % K.MINUTES_PER_WEEK] + rng.exponential(size=m)
        weeks = np.floor(start / cum[-1])
        wake = (np.searchsorted(cum, start - weeks * cum[-1]) + weeks * K.MINUTES_PER_WEEK
                - self.week_minute0 % K.MINUTES_PER_WEEK).astype(np.int64)
        pos = K.Movers(homes.astype(np.int32), np.full(m, -1, np.int32), np.zeros(m), np.zeros(m))
        return K.Offenders(pos, np.zeros(m, np.int8), np.zeros(m, np.int32),
                           np.full(m, -1, np.int32), np.maximum(wake, 0), home_rows.astype(np.int32),
                           homes.astype(np.int32), aw_row.astype(np.int32), aw_node, aw_cum)

    def _build_officers(self) -> K.Officers:
        k = self.config.officers.count
        q = QUEUE_SLOTS
        pos = K.Movers(np.full(k, self._station, np.int32), np.full(k, -1, np.int32),
                       np.zeros(k), np.zeros(k))
        zi = lambda: np.zeros(k, np.int32)  # noqa: E731
        return K.Officers(pos, np.full(k, -1, np.int32), np.zeros(k, np.int8),
                          np.zeros(k, np.int8), np.full(k, -1, np.int32), np.zeros(k, np.int64),
                          zi(), zi(), np.zeros((k, q), np.int8), np.zeros((k, q), np.int32),
                          np.zeros((k, q), np.int32), np.zeros((k, q), np.int64),
                          np.zeros((k, q), np.int8), np.zeros((k, q), np.int8),
                          np.zeros((k, q), np.int8), zi(), np.full(k, -1, np.int32),
                          np.zeros(k, np.int8), np.zeros(k, np.int64),
                          np.zeros((k, K.N_STATUS), np.int64))

    def _build_space(self) -> Network:
        net = self.network
        layout = {i: (float(x), float(y)) for i, (x, y) in enumerate(zip(net.x, net.y))}
        return Network(net.to_networkx(), random=self.random, layout=layout)

    def _make_agents(self) -> None:
        starts = self.config.officers.shift_starts
        self.officer_agents = [Officer(self, i, starts[i % len(starts)])
                               for i in range(self.config.officers.count)]
        of = self.offenders
        self.offender_agents = [Offender(self, i, int(of.home_node[i]), of.aw_node[i].tolist())
                                for i in range(of.state.shape[0])]
        self.sync_cells()

    def _build_dispatch(self) -> Dispatch:
        weights = self.observed_intensity[self._attractors] + 1e-9
        return Dispatch(self.config.calls, self.rng, self._attractors, weights,
                        self.minute_of_day0, self._nearest_available, self._assign_call)

    # ------------------------------------------------------------------ shifts

    def _schedule_shifts(self) -> None:
        self._shift_groups: list[ShiftGroup] = []
        length = int(round(self.config.officers.shift_hours * 60))
        for hour in sorted(set(self.config.officers.shift_starts)):
            group = [a for a in self.officer_agents if a.shift_start_hour == hour]
            first = (hour * 60 - self.minute_of_day0) % 1440
            shift = ShiftGroup(self, group)
            self._shift_groups.append(shift)  # Mesa holds event callbacks weakly
            self.schedule_recurring(shift.begin, Schedule(interval=1440, start=first))
            end = first + length - 1440  # the end of the shift that began before tick 0
            if end <= 0:
                end += 1440
            self.schedule_recurring(shift.end, Schedule(interval=1440, start=end))

    def _start_initial_shifts(self) -> None:
        """Officers whose shift began before the simulation start are on duty at tick 0."""
        length = int(round(self.config.officers.shift_hours * 60))
        for a in self.officer_agents:
            began = (self.minute_of_day0 - a.shift_start_hour * 60) % 1440
            if 0 < began < length:
                self._shift_start([a])

    def _shift_start(self, group) -> None:
        oc = self.officers
        for a in group:
            k = a.index
            if oc.mode[k] != K.MODE_OFF:
                a.off_after_call = False
                continue
            oc.pos.node[k] = self._station
            oc.pos.nxt[k] = -1
            oc.pos.prog[k] = 0.0
            oc.prev[k] = -1
            oc.cover_node[k] = self._station
            self.k["presence_begin"](self.net, self.nodes, self._station, self.tick)
            oc.mode[k] = K.MODE_IDLE
            oc.status[k] = K.AVAILABLE
            oc.q_len[k] = 0
            oc.q_pos[k] = -1
            a.off_after_call = False
            self.give_orders(a, self.policy.decide(a, SHIFT_START))

    def _shift_end(self, group) -> None:
        for a in group:
            if a.on_call is not None:
                a.off_after_call = True  # finish the call first (overtime)
            else:
                self._go_off_duty(a)

    def _go_off_duty(self, a: Officer) -> None:
        oc, k = self.officers, a.index
        if oc.mode[k] == K.MODE_OFF:
            return
        if oc.cover_node[k] >= 0:
            self.k["presence_end"](self.net, self.nodes, self.params, int(oc.cover_node[k]),
                                   self.tick, self.day_start_tick(self.tick))
        oc.cover_node[k] = -1
        oc.mode[k] = K.MODE_OFF
        oc.status[k] = K.OFF_DUTY
        oc.q_len[k] = 0
        oc.q_pos[k] = -1
        oc.flags[k] = 0

    # ------------------------------------------------------------------ orders and calls

    def give_orders(self, officer: Officer, orders) -> None:
        """Replace an officer's order queue (the kernel starts it at the next tick)."""
        if orders is None:
            return
        orders = list(orders)
        if len(orders) > QUEUE_SLOTS:
            raise ConfigError(f"policy {self.policy_name!r} gave {len(orders)} orders at once; "
                              f"the most is {QUEUE_SLOTS}")
        oc, k = self.officers, officer.index
        nodes = [o.node for o in orders if isinstance(o, Visit)]
        if nodes:
            self.router.rows_for(nodes)
            self._refresh_hop()
        for p, o in enumerate(orders):
            if isinstance(o, Visit):
                oc.q_kind[k, p] = K.ORDER_VISIT
                oc.q_row[k, p] = self.router.rows[int(o.node)]
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
                raise ConfigError(f"policy {self.policy_name!r} gave an unknown order {o!r}")
        oc.q_len[k] = len(orders)
        oc.q_pos[k] = -1
        oc.mode[k] = K.MODE_IDLE
        oc.status[k] = K.AVAILABLE

    def _refresh_hop(self) -> None:
        if self.net.hop is not self.router.hop:
            self.net = self.net._replace(hop=self.router.hop)

    def _dispatchable(self, a: Officer) -> bool:
        status = int(self.officers.status[a.index])
        if status in (K.OFF_DUTY, K.ON_CALL) or a.on_call is not None:
            return False
        if status in (K.AT_HOTSPOT, K.TRAVELLING) and not self.config.calls.pull_hotspot_officers:
            return False
        return True

    def _nearest_available(self, call) -> int | None:
        free = [a.index for a in self.officer_agents if self._dispatchable(a)]
        if not free:
            return None
        d = self.travel_distance(call.node, free)
        return int(free[int(np.argmin(d))])

    def travel_distance(self, dest: int, officers) -> np.ndarray:
        """Street distance (m) officers must cover to reach ``dest``: an officer part-way
        along an edge first finishes it, as the kernel does."""
        pos = self.officers.pos
        k = np.asarray(officers, dtype=np.int64)
        # Runs twice per call for service: look the row up in the router's dict
        # directly (Router.row builds arrays) and index one row, not the table.
        row = self.router.rows.get(int(dest))
        if row is None:
            row = self.router.row(dest)
        nxt = pos.nxt[k]
        on_edge = nxt >= 0
        ahead = np.where(on_edge, nxt, pos.node[k])
        return self.router.dist[row][ahead] + np.where(on_edge, pos.elen[k] - pos.prog[k], 0.0)

    def _assign_call(self, k: int, call) -> None:
        a = self.officer_agents[k]
        a.on_call = call
        call.dispatched = float(self.tick)
        call.travel_m = float(self.travel_distance(call.node, [k])[0])
        # arrival time is read from arrived_tick when the call ends (no extra stop)
        self.give_orders(a, [Visit(call.node, call.service_minutes, K.ON_CALL, K.ON_CALL)])

    # ------------------------------------------------------------------ running

    def _step_one_minute(self) -> None:
        self.run_for(1)

    def run_for(self, duration: float | int) -> None:
        """Advance ``duration`` minutes with the compiled kernels."""
        end = self.tick + int(duration)
        while True:
            self._process_due()
            if self.tick >= end:
                break
            stop = min(end, self._next_event_tick())
            if stop <= self.tick:
                continue
            t, reason = self.k["run_ticks"](self.net, self.nodes, self.offenders, self.officers,
                                            self.logs, self.params, self.tick, stop,
                                            int(self.rng.integers(2**31 - 1)),
                                            self.day_start_tick(self.tick))
            self.tick = int(t)
            self.time = float(self.tick)
            self.steps = self.tick
            if reason == K.STOP_LOG_FULL:
                self.flush_logs()
        if self.space is not None:
            self.sync_cells()

    def run_days(self, days: float, progress=None) -> None:
        """Run ``days`` simulated days; ``progress(minutes_done)`` is called after each day."""
        end = self.tick + int(round(days * 1440))
        while self.tick < end:
            self.run_for(min(1440, end - self.tick))
            if progress:
                progress(self.tick)

    def run_until(self, end_time: float | int) -> None:
        self.run_for(max(0, int(end_time) - self.tick))

    def _next_event_tick(self) -> int:
        return int(math.ceil(min(self._next_mesa_time(), self.dispatch.next_time())))

    def _next_mesa_time(self) -> float:
        """Time of the next live Mesa event (inf if none).

        Not ``peek_ahead(1)``: that counts and filters the whole event list
        (~2.5 us), and it ran several times at every kernel stop.  The list is
        a heap, so the head is the next event once cancelled ones are dropped
        from it, exactly as ``pop_event`` drops them.
        """
        events = self._event_list._events
        while events and events[0].CANCELED:
            heapq.heappop(events)
        return events[0].time if events else math.inf

    def _process_due(self) -> None:
        """Mesa events (shifts, midnight), SimPy events and officer decisions due now."""
        while True:
            busy = False
            while self._next_mesa_time() <= self.tick:
                event = self._event_list.pop_event()
                self.time = float(self.tick)
                event.execute()
                busy = True
            if self.dispatch.next_time() <= self.tick:
                self.dispatch.run_until(self.tick)
                busy = True
            if self.officers.flags.any():
                self._decisions()
                busy = True
            if not busy:
                return

    def _decisions(self) -> None:
        oc = self.officers
        for k in np.flatnonzero(oc.flags):
            a = self.officer_agents[k]
            flags = int(oc.flags[k])
            oc.flags[k] = 0
            if not flags & K.FLAG_IDLE:  # arrival at a visit whose order asked to be told
                self.give_orders(a, self.policy.decide(a, ARRIVAL))
                continue
            event = IDLE
            if a.on_call is not None:
                a.on_call.arrived = float(oc.arrived_tick[k] + 1)  # by the end of that minute
                a.on_call.cleared = float(self.tick)
                a.on_call = None
                self.dispatch.officer_freed()
                event = CALL_DONE
                if getattr(a, "off_after_call", False):
                    self._go_off_duty(a)
                    continue
            self.give_orders(a, self.policy.decide(a, event))

    def _midnight(self) -> None:
        day_start = self.day_start_tick(self.tick - 1)
        self.k["close_day"](self.nodes, self.params, self.day_index(self.tick - 1), self.tick,
                            day_start, self.config.deterrence.long_min_daily_minutes)
        self.flush_logs()
        self._record_day(self.day_index(self.tick - 1))
        self.day = self.day_index(self.tick)
        self.policy.on_day_start(self.day)
        for a in self.officer_agents:
            if a.on_duty and a.on_call is None:
                self.give_orders(a, self.policy.decide(a, DAY_START))

    # ------------------------------------------------------------------ logs and outputs

    def flush_logs(self) -> None:
        """Move logged attempts and GPS pings out of the kernel buffers."""
        lg = self.logs
        n, g = int(lg.counts[0]), int(lg.counts[1])
        if n:
            self._chunks["attempts"].append({f: getattr(lg, f)[:n].copy() for f in
                                             ("a_tick", "a_node", "a_origin", "a_offender",
                                              "a_type", "a_outcome")})
        if g:
            self._chunks["gps"].append({f: getattr(lg, f)[:g].copy() for f in
                                        ("g_tick", "g_officer", "g_node", "g_x", "g_y",
                                         "g_status")})
        lg.counts[:] = 0

    def _record_day(self, day: int) -> None:
        oc = self.officers
        date = self.datetime_at(day * 1440 - self.minute_of_day0).date()
        for k in range(oc.mode.shape[0]):
            row = {"day": day, "date": date, "officer": k}
            row.update({name: int(oc.status_min[k, s]) for s, name in enumerate(K.STATUS_NAMES)})
            self.status_rows.append(row)
        oc.status_min[:] = 0
        cols = concat_chunks(self._chunks["attempts"][self._day_first_chunk:],
                             ("a_outcome", "a_type"))
        self._day_first_chunk = len(self._chunks["attempts"])
        out = cols["a_outcome"]
        crime = out != K.DETERRED
        today = {"crimes": int(crime.sum()),
                 "harm": float(self.type_harm[cols["a_type"][crime].astype(np.int64)].sum()),
                 "deterred": int((out == K.DETERRED).sum()),
                 "displaced": int((out == K.DISPLACED).sum())}
        today["calls"] = self.dispatch.calls_on_day(day)  # O(1): scanning all calls was O(days^2)
        self._today = today
        self.daily_rows.append({"day": day, "date": date, **today})
        self.datacollector.collect(self)

    def sync_cells(self) -> None:
        """Put each Mesa agent in the cell of the node the kernels have it at."""
        if self.space is None:
            return
        cells = self.space._cells
        for a in self.officer_agents:
            a.cell = cells[a.node] if a.on_duty else None
        for a in self.offender_agents:
            a.cell = cells[a.node]

    def agent_xy(self, pos: K.Movers, i: int) -> tuple[float, float]:
        node, nxt = int(pos.node[i]), int(pos.nxt[i])
        x, y = float(self.network.x[node]), float(self.network.y[node])
        if nxt >= 0 and pos.elen[i] > 0:
            f = pos.prog[i] / pos.elen[i]
            x += f * (self.network.x[nxt] - x)
            y += f * (self.network.y[nxt] - y)
        return x, y

    def attempts_table(self) -> pd.DataFrame:
        """Every offending attempt: committed, deterred or displaced."""
        self.flush_logs()
        cols = concat_chunks(self._chunks["attempts"], ("a_tick", "a_node", "a_origin",
                                                        "a_offender", "a_type", "a_outcome"))
        tick = cols["a_tick"]
        node = cols["a_node"].astype(np.int64)
        ctype = cols["a_type"].astype(np.int64)
        known = ctype >= 0
        names = np.array(self.crime_types + [""], dtype=object)
        return pd.DataFrame({
            "tick": tick, "time": self._times(tick), "node": node,
            "x": self.network.x[node], "y": self.network.y[node],
            "crime_type": names[np.where(known, ctype, -1)],
            "harm": np.where(known, self.type_harm[np.maximum(ctype, 0)], 0.0),
            "offender": cols["a_offender"].astype(np.int32),
            "outcome": pd.Categorical.from_codes(cols["a_outcome"].astype(np.int8),
                                                 categories=list(K.OUTCOME_NAMES)),
            "origin_node": cols["a_origin"].astype(np.int64)})

    def crimes_table(self) -> pd.DataFrame:
        """Crimes that happened (committed where attempted, or displaced)."""
        a = self.attempts_table()
        return a[a["outcome"] != "deterred"].reset_index(drop=True)

    def gps_table(self) -> pd.DataFrame:
        """GPS pings: officer, time, node, x, y, status."""
        self.flush_logs()
        cols = concat_chunks(self._chunks["gps"], ("g_tick", "g_officer", "g_node", "g_x", "g_y",
                                                   "g_status"))
        return pd.DataFrame({
            "tick": cols["g_tick"], "time": self._times(cols["g_tick"]),
            "officer": cols["g_officer"].astype(np.int16), "node": cols["g_node"].astype(np.int32),
            "x": cols["g_x"], "y": cols["g_y"],
            "status": pd.Categorical.from_codes(cols["g_status"].astype(np.int8),
                                                categories=list(K.STATUS_NAMES))})

    def calls_table(self) -> pd.DataFrame:
        rows = [{"call_id": c.call_id, "grade": c.grade, "time": c.time, "node": c.node,
                 "officer": c.officer, "dispatched": c.dispatched, "arrived": c.arrived,
                 "cleared": c.cleared, "travel_m": c.travel_m,
                 "service_minutes": c.service_minutes} for c in self.dispatch.calls]
        df = pd.DataFrame(rows, columns=["call_id", "grade", "time", "node", "officer",
                                         "dispatched", "arrived", "cleared", "travel_m",
                                         "service_minutes"])
        df["response_minutes"] = df["arrived"] - df["time"]
        targets = np.array(self.config.calls.target_minutes)
        df["target_minutes"] = targets[df["grade"].to_numpy(int) - 1] if len(df) else []
        df["met_target"] = df["response_minutes"] <= df["target_minutes"]
        return df

    def status_table(self) -> pd.DataFrame:
        """Minutes per officer per day in each status, the current (partial) day included."""
        rows = list(self.status_rows)
        oc = self.officers
        if oc.status_min.any():
            day = self.day_index(self.tick)
            date = self.datetime_at(day * 1440 - self.minute_of_day0).date()
            for k in range(oc.mode.shape[0]):
                row = {"day": day, "date": date, "officer": k}
                row.update({n: int(oc.status_min[k, s]) for s, n in enumerate(K.STATUS_NAMES)})
                rows.append(row)
        return pd.DataFrame(rows, columns=["day", "date", "officer", *K.STATUS_NAMES])

    def daily_table(self) -> pd.DataFrame:
        return pd.DataFrame(self.daily_rows)

    def _times(self, ticks) -> pd.DatetimeIndex:
        return pd.Timestamp(self.start) + pd.to_timedelta(np.asarray(ticks, np.int64), unit="min")


# ---------------------------------------------------------------------- helpers


class ShiftGroup:
    """Officers who share a shift start; its bound methods are Mesa event callbacks."""

    def __init__(self, model: PatrolModel, officers: list[Officer]):
        self.model = model
        self.officers = officers

    def begin(self) -> None:
        self.model._shift_start(self.officers)

    def end(self) -> None:
        self.model._shift_end(self.officers)


def new_logs(n_offenders: int, n_officers: int, nodes_per_minute: float,
             capacity: int = 200_000) -> K.Logs:
    """Log buffers large enough for one tick's worst case (the kernel stops before overflow)."""
    cap_a = max(capacity, 8 * (n_offenders + 1) * int(math.ceil(nodes_per_minute) + 2))
    cap_g = max(capacity, 4 * (n_officers + 1))
    return K.Logs(np.zeros(2, np.int64), np.zeros(cap_a, np.int64), np.zeros(cap_a, np.int32),
                  np.zeros(cap_a, np.int32), np.zeros(cap_a, np.int32), np.zeros(cap_a, np.int16),
                  np.zeros(cap_a, np.int8), np.zeros(cap_g, np.int64), np.zeros(cap_g, np.int16),
                  np.zeros(cap_g, np.int32), np.zeros(cap_g, np.float32),
                  np.zeros(cap_g, np.float32), np.zeros(cap_g, np.int8))


def concat_chunks(chunks: list[dict], fields: tuple[str, ...]) -> dict:
    if not chunks:
        return {f: np.zeros(0, np.int64) for f in fields}
    return {f: np.concatenate([c[f] for c in chunks]) for f in fields}


def top_nodes(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` largest values (ties broken by index, so reproducible)."""
    order = np.lexsort((np.arange(len(values)), -values))
    return order[:min(n, len(values))].astype(np.int64)


def smoothing_matrix(net: StreetNetwork, radius: float):
    """Triangular kernel (1 - d/r) over nodes within ``radius`` (0: no smoothing)."""
    import scipy.sparse as sp

    indptr, idx, d = net.neighbours_within(radius)
    w = np.clip(1.0 - d / radius, 0.0, None) if radius > 0 else np.ones_like(d)
    return sp.csr_matrix((w, idx, indptr), shape=(net.n_nodes, net.n_nodes))
