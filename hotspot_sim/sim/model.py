"""``PatrolModel``: the Mesa model of officers and offenders on a street network.

Mesa owns the model, the agents, the space and data collection; the compiled
kernels in :mod:`hotspot_sim.sim.kernels` advance every agent between decision
events; SimPy (:mod:`hotspot_sim.sim.dispatch`) runs calls for service; a
policy (:mod:`hotspot_sim.sim.policies`) says what officers do, asked only at
decisions.  Shift changes and midnights are daily events
(:class:`~hotspot_sim.sim.calendar.DailyEvents`).

Time is in minutes: ``model.time`` (and the kernel tick) 0 is the scenario's
start date-time; ``model.step()`` advances one minute and ``model.run_for(n)``
advances ``n`` minutes at full speed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
import weakref
from pathlib import Path

import mesa
import numpy as np
from mesa.discrete_space import Network

from ..errors import ConfigError
from ..network import StreetNetwork
from ..settings import Scenario
from ..study import Study, load_study
from . import kernel_builds
from . import kernels as K
from . import tables
from .agents import Officer, Offender
from .calendar import Calendar, DailyEvents
from .dispatch import Dispatch
from .logbook import LogBook, StatusLog
from .policies import get_policy
from .policies.base import ARRIVAL, CALL_DONE, DAY_START, IDLE, Visit
from .responders import Responders
from .routing import Router
from .shifts import Shifts
from .state import QUEUE_SLOTS, Movers, encode_orders, kernel_params, new_logs, new_node_state, \
    new_officers
from .world import build_world, call_place_weights, place_offenders

# Mesa DataCollector series, collected at each midnight (the run's model_series table).
DAILY_REPORTERS = {
    "day": "day", "crimes": lambda m: m._today.get("crimes", 0),
    "harm": lambda m: m._today.get("harm", 0.0),
    "deterred": lambda m: m._today.get("deterred", 0),
    "displaced": lambda m: m._today.get("displaced", 0),
    "officers_on_duty": lambda m: int((m.officers.mode != K.MODE_OFF).sum()),
    "calls": lambda m: m._today.get("calls", 0)}


class PatrolModel(tables.RunTables, mesa.Model):
    """Police patrol on a real street network.

    Parameters
    ----------
    config : Scenario
        The validated scenario.
    study : Study, optional
        Observed data on the network (loaded from the scenario if omitted).
    policy : str, optional
        Override the scenario's ``[policy] name`` (its parameters then default).
    policy_params : dict, optional
        Override the scenario's ``[policy] params``.
    reference : bool
        Use the pure-Python reference kernels (slow; for tests and benchmarks).
    build_space : bool
        Build the Mesa ``Network`` space and keep agents' cells in sync.
    log_dir : Path or str, optional
        Stream the attempts and GPS pings to ``attempts.parquet`` and ``gps.parquet`` in
        this folder while the model runs (one row group per flush), so a long run's
        memory does not grow with its days; None (the default, for short interactive
        runs) keeps them in memory.  The tables are the same either way.  The caller
        owns the folder (see :class:`~hotspot_sim.sim.logbook.LogBook`).
    keep_gps : bool
        Keep the GPS pings (False: none are kept, ``gps_table`` is an error).
    router : Router, optional
        Routing trees on the study's network to reuse (a sweep worker keeps one per
        network, so each run does not compute the same trees again); routes, and so
        results, are the same as with a new router.  Default: a new one.
    """

    def __init__(self, config: Scenario, study: Study | None = None, policy: str | None = None,
                 policy_params: dict | None = None, reference: bool = False,
                 build_space: bool = True, log_dir: Path | str | None = None,
                 keep_gps: bool = True, router: Router | None = None):
        super().__init__(rng=config.scenario.seed)
        self.step = self._step_one_minute  # one minute per step, through run_for
        self.config = config
        self.study = study or load_study(config)
        self.network: StreetNetwork = self.study.network
        self.kernels = kernel_builds.kernels(reference=reference)
        self.reference = reference
        self.calendar = Calendar(config.start_datetime)
        self.start = self.calendar.start
        self.minute_of_day0 = self.calendar.minute_of_day0
        self.tick = 0
        self.day = 0
        self.events = DailyEvents()
        self.router = self._router(router)
        self.params = kernel_params(config)
        world = build_world(config, self.study, self.router)
        self.net, self.observed_intensity = world.net, world.observed_intensity
        self.crime_types, self.type_harm = world.crime_types, world.type_harm
        self._attractors, self._station = world.attractors, world.station
        # where the risk and call-demand profiles come from (assumed, or a force's records)
        self.time_profile_sources = self.study.time_profile_sources()
        self.nodes = new_node_state(self.network.n_nodes)
        self.offenders = place_offenders(config, world, self.router, self.rng,
                                         self.calendar.week_minute0)
        self._refresh_hop()  # homes and activity places added routing rows
        self.officers = new_officers(config.officers.count + config.officers.response_units,
                                     self._station, speed=self._officer_speeds())
        self.router.pinned = self._weak_pins()
        self.logs = new_logs(self.offenders.state.shape[0], self.officers.mode.shape[0],
                             self.params[K.P_OFF_SPEED]
                             / max(1.0, float(self.network.edge_length.min())))
        self.logbook = LogBook(stream_dir=log_dir, keep_gps=keep_gps)
        self.status_log = StatusLog()  # officer status minutes, an array per day
        self.daily_columns: dict[str, list] = {}  # daily totals, a list per column
        self.space = self._build_space() if build_space else None
        self._make_agents()
        self.dispatch = self._build_dispatch()
        name = policy or config.policy.name
        params = config.policy.params if policy_params is None and policy is None else policy_params
        self.policy = get_policy(name)(self, params or {})
        self.policy_name = self.policy.name
        self.datacollector = mesa.DataCollector(model_reporters=DAILY_REPORTERS)
        self._today: dict = {}
        self.policy.setup()
        self.shifts = Shifts(self)
        self.shifts.schedule(self.events)
        self.events.every_day(self._midnight, self.calendar.first_midnight)
        self.shifts.start_those_on_duty()

    # ------------------------------------------------------------------ calendar

    def datetime_at(self, tick: int) -> dt.datetime:
        """The date-time of ``tick`` (:meth:`Calendar.datetime_at`)."""
        return self.calendar.datetime_at(tick)

    def day_index(self, tick):
        """Calendar day of ``tick`` or of each tick of an array (:meth:`Calendar.day_index`)."""
        return self.calendar.day_index(tick)

    def day_start_tick(self, tick: int) -> int:
        """Tick of the midnight that began ``tick``'s day (:meth:`Calendar.day_start_tick`)."""
        return self.calendar.day_start_tick(tick)

    # ------------------------------------------------------------------ building

    def _router(self, reuse: Router | None) -> Router:
        """``reuse`` (checked to be on this network, pins of its last model dropped), or a new one."""
        if reuse is None:
            return Router(self.network, capacity=256, memory_mb=self.config.routing.memory_mb)
        if reuse.network is not self.network:
            raise ValueError("PatrolModel(router=...): the router is on another network "
                             "than the study's")
        reuse.pinned = None  # the model that set it has finished; this one sets its own
        return reuse

    def _weak_pins(self):
        """The router's ``pinned`` callable, holding this model only weakly.

        A router outlives its model when a sweep reuses it: a strong reference kept each
        finished model (and its agents) alive until the next model replaced it.
        """
        method = weakref.WeakMethod(self._routing_rows_in_use)
        none = np.empty(0, dtype=np.int64)
        return lambda: method()() if method() is not None else none

    def _build_space(self) -> Network:
        net = self.network
        layout = {i: (float(x), float(y)) for i, (x, y) in enumerate(zip(net.x, net.y))}
        space = Network(net.to_networkx(), random=self.random, layout=layout)
        self._cells = [space[i] for i in range(net.n_nodes)]  # by node, for sync_cells
        return space

    def _officer_speeds(self) -> np.ndarray:
        """Metres per minute of each row: patrol officers, then response cars."""
        oc = self.config.officers
        return np.concatenate([np.full(oc.count, self.params[K.P_OFC_SPEED]),
                               np.full(oc.response_units, oc.car_speed_kmh * 1000 / 60)])

    def _make_agents(self) -> None:
        starts = self.config.officers.shift_starts
        n = self.config.officers.count
        # officer_agents are the patrol officers policies deploy; response cars
        # follow them in the kernel arrays and answer calls only.
        self.officer_agents = [Officer(self, i, starts[i % len(starts)]) for i in range(n)]
        self.response_agents = [Officer(self, n + i, starts[i % len(starts)], response=True)
                                for i in range(self.config.officers.response_units)]
        self.all_officers = self.officer_agents + self.response_agents  # by kernel row
        of = self.offenders
        self.offender_agents = [Offender(self, i, int(of.home_node[i]), of.aw_node[i].tolist())
                                for i in range(of.state.shape[0])]
        self.sync_cells()

    def _build_dispatch(self) -> Dispatch:
        weights = call_place_weights(self.study, self._attractors, self.observed_intensity)
        self.responders = Responders(self)
        demand = self.study.call_demand  # None below: the assumed path, exactly as before
        dispatch = Dispatch(self.config.calls, self.rng, self._attractors, weights,
                            self.minute_of_day0, self.responders.nearest, self.responders.assign,
                            demand=demand if demand.estimated else None)
        self.responders.requeue = dispatch.requeue
        return dispatch

    # ------------------------------------------------------------------ orders and calls

    def orders_for(self, officer: Officer, event: str):
        """What a free officer does next: the policy decides for patrol officers;
        a response car goes back to the station and waits for calls.

        Parameters
        ----------
        officer : Officer
            The officer.
        event : str
            Why the officer is free (``policies.base`` events).

        Returns
        -------
        list of orders, or None to keep the current ones
        """
        if officer.response:
            return self.responders.standby_orders(officer)
        return self.policy.decide(officer, event)

    def give_orders(self, officer: Officer, orders) -> None:
        """Replace an officer's order queue (the kernel starts it at the next tick).

        Parameters
        ----------
        officer : Officer
            The officer.
        orders : list of Visit, Walk or Hold, or None
            The new orders; None keeps the current ones.

        Raises
        ------
        ConfigError
            If the policy gave more than ``QUEUE_SLOTS`` orders or an unknown order.
        """
        if orders is None:
            return
        orders = list(orders)
        if len(orders) > QUEUE_SLOTS:
            raise ConfigError(f"policy {self.policy_name!r} gave {len(orders)} orders at once; "
                              f"the most is {QUEUE_SLOTS}")
        nodes = [o.node for o in orders if isinstance(o, Visit)]
        if nodes:
            self.router.rows_for(nodes)
            self._refresh_hop()
        encode_orders(self.officers, officer.index, orders, self.router.rows, self.policy_name)

    def _routing_rows_in_use(self) -> np.ndarray:
        """Routing rows the kernels may follow without asking Python: never evicted.

        Offenders choose their next trip among their home and activity places
        inside the kernel; officers follow their destination and queued visits.
        """
        of, oc = self.offenders, self.officers
        slots = np.arange(oc.q_kind.shape[1])
        queued = (oc.q_kind == K.ORDER_VISIT) & (slots < oc.q_len[:, None])
        return np.concatenate([of.home_row, of.aw_row.ravel(), of.dest_row, oc.dest_row,
                               oc.q_row[queued]])

    def _refresh_hop(self) -> None:
        if self.net.hop is not self.router.hop:
            self.net = self.net._replace(hop=self.router.hop)

    # ------------------------------------------------------------------ running

    def _step_one_minute(self) -> None:
        self.run_for(1)

    def run_for(self, duration: float | int) -> None:
        """Advance ``duration`` minutes with the compiled kernels.

        The kernels run until the next daily event, call for service or officer
        decision; those are handled in Python and the kernels go on.

        Parameters
        ----------
        duration : int
            Simulated minutes.
        """
        end = self.tick + int(duration)
        while True:
            self._process_due()
            if self.tick >= end:
                break
            stop = min(end, self._next_event_tick())
            if stop <= self.tick:
                continue
            t, reason = self.kernels.run_ticks(self.net, self.nodes, self.offenders,
                                               self.officers, self.logs, self.params, self.tick,
                                               stop, int(self.rng.integers(2**31 - 1)),
                                               self.day_start_tick(self.tick))
            self.tick = int(t)
            self.time = float(self.tick)
            self.steps = self.tick
            if reason == K.STOP_LOG_FULL:
                self.flush_logs()
        if self.space is not None:
            self.sync_cells()

    def run_days(self, days: float, progress=None) -> None:
        """Run ``days`` simulated days.

        Parameters
        ----------
        days : float
            Simulated days (rounded to whole minutes).
        progress : callable, optional
            Called with the current tick after each day.
        """
        end = self.tick + int(round(days * 1440))
        while self.tick < end:
            self.run_for(min(1440, end - self.tick))
            if progress:
                progress(self.tick)

    def run_until(self, end_time: float | int) -> None:
        """Advance to tick ``end_time`` (nothing if it has passed).

        Parameters
        ----------
        end_time : int
            The tick to stop at.
        """
        self.run_for(max(0, int(end_time) - self.tick))

    def _next_event_tick(self) -> int:
        return int(math.ceil(min(self.events.next_time(), self.dispatch.next_time())))

    def _process_due(self) -> None:
        """Daily events (shifts, midnight), SimPy events and officer decisions due now."""
        while True:
            busy = False
            while self.events.next_time() <= self.tick:
                self.time = float(self.tick)
                self.events.run_next()
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
            a = self.all_officers[k]
            flags = int(oc.flags[k])
            oc.flags[k] = 0
            if not flags & K.FLAG_IDLE:  # arrival at a visit whose order asked to be told
                self.give_orders(a, self.policy.decide(a, ARRIVAL))
                continue
            event = IDLE
            if a.on_call is not None:
                if math.isnan(a.on_call.arrived):  # not answered before an interruption
                    a.on_call.arrived = float(oc.arrived_tick[k] + 1)  # by the end of that minute
                a.on_call.cleared = float(self.tick)
                a.on_call = None
                self.dispatch.officer_freed()
                event = CALL_DONE
                if getattr(a, "off_after_call", False):
                    self.shifts.go_off_duty(a)
                    continue
            self.give_orders(a, self.orders_for(a, event))

    def _midnight(self) -> None:
        day_start = self.day_start_tick(self.tick - 1)
        self.kernels.close_day(self.nodes, self.params, self.day_index(self.tick - 1), self.tick,
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
        """Move logged attempts and GPS pings out of the kernel buffers (to memory or files)."""
        self.logbook.flush(self.logs)

    def close_logs(self) -> None:
        """Flush the logs and finish their parquet files, if streamed (the run may go on)."""
        self.flush_logs()
        self.logbook.close()

    def _record_day(self, day: int) -> None:
        date = self.calendar.date_of_day(day)
        self.status_log.record(day, self.officers.status_min)
        self.officers.status_min[:] = 0
        today = tables.day_totals(self.logbook.attempts_since_last_day(("a_outcome", "a_type")),
                                  self.type_harm)
        today["calls"] = self.dispatch.calls_on_day(day)  # O(1): scanning all calls was O(days^2)
        self._today = today
        for column, value in {"day": day, "date": date, **today}.items():
            self.daily_columns.setdefault(column, []).append(value)
        self.datacollector.collect(self)

    def sync_cells(self) -> None:
        """Put each Mesa agent in the cell of the node the kernels have it at."""
        if self.space is None:
            return
        cells = self._cells
        for a in self.all_officers:
            a.cell = cells[a.node] if a.on_duty else None
        for a in self.offender_agents:
            a.cell = cells[a.node]

    def agent_xy(self, pos: Movers, i: int) -> tuple[float, float]:
        """Map coordinates of agent ``i`` of ``pos``, part-way along its edge if it is on one.

        Parameters
        ----------
        pos : Movers
            ``model.officers.pos`` or ``model.offenders.pos``.
        i : int
            The agent's index.

        Returns
        -------
        tuple of float
            British National Grid x and y, metres.
        """
        node, nxt = int(pos.node[i]), int(pos.nxt[i])
        x, y = float(self.network.x[node]), float(self.network.y[node])
        if nxt >= 0 and pos.elen[i] > 0:
            f = pos.prog[i] / pos.elen[i]
            x += f * (self.network.x[nxt] - x)
            y += f * (self.network.y[nxt] - y)
        return x, y


@contextlib.contextmanager
def models_freed_after():
    """Free the models made inside the block as soon as it ends.

    Mesa's model and its agents refer to each other, so only the cycle collector frees
    a finished model; left to it, a validation's runs piled up (18 models, 1.4 GB).  The
    objects that existed before the block are frozen out of the collection
    (:func:`gc.freeze`, undone afterwards), so it scans only the block's own objects:
    milliseconds, not the ~0.2 s of a full collection in a process holding a study.
    """
    outer = gc.get_freeze_count() > 0  # a sweep worker froze what it keeps: leave that be
    if not outer:
        gc.freeze()
    try:
        yield
    finally:
        gc.collect()
        if not outer:
            gc.unfreeze()

