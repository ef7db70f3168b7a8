"""Targeted hot spot patrol policies.

Hot spots are chosen with :func:`hotspot_sim.target.target` from observed crime
harm (the *Target* step).  Every visit a policy orders is recorded as planned
dose (``dose_plan`` table: day, hot spot, planned minutes, treated), so that
:mod:`hotspot_sim.track` can compare it with the dose the GPS log shows was
delivered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...errors import ConfigError
from ..kernels import AT_HOTSPOT, AVAILABLE, TRAVELLING
from .base import DAY_START, Hold, Policy, Visit, Walk

if TYPE_CHECKING:
    import pandas as pd


class HotspotPolicy(Policy):
    """Shared machinery: choose hot spots, share them out, record the planned dose."""

    defaults = {"k": 20, "rank_by": "harm", "min_separation_m": 300.0}
    ranges = {"k": (1, 10_000), "min_separation_m": (0, 10_000)}

    def setup(self) -> None:
        """Choose the hot spots (:meth:`choose_hotspots`), route to them, start the plan."""
        self.hotspots = self.choose_hotspots().reset_index(drop=True)
        self.nodes = self.hotspots["node"].to_numpy(np.int64)
        self.ids = self.hotspots["hotspot_id"].to_numpy()
        self.index_of = {int(n): i for i, n in enumerate(self.nodes)}
        self.model.router.rows_for(self.nodes)
        self.rng = np.random.default_rng(int(self.model.rng.integers(2**63 - 1)))
        self.plan_rows: list[tuple] = []

    def choose_hotspots(self) -> pd.DataFrame:
        """The hot spots, by :func:`hotspot_sim.target.target` (``k``, ``rank_by``).

        The one step a policy with hot spots from elsewhere overrides (a trial pack's:
        :class:`hotspot_sim.trial.rehearse.ScheduledPatrol`).

        Returns
        -------
        pandas.DataFrame
            At least ``hotspot_id`` and ``node`` (the street node each is visited at).

        Raises
        ------
        ConfigError
            The study area has fewer than ``k`` places far enough apart.
        """
        from ...target import TargetSettings, target

        p = self.params
        settings = TargetSettings(k=int(p["k"]), rank_by=p["rank_by"],
                                  min_separation_m=float(p["min_separation_m"]))
        try:
            return target(self.model.study, settings)
        except ConfigError as exc:
            raise ConfigError(f"policy {self.name!r} parameter {exc}") from None

    def visit(self, node: int, minutes: int, treated: bool = True) -> Visit:
        """A visit order, recorded as planned dose for today.

        Parameters
        ----------
        node : int
            A hot spot's node.
        minutes : int
            Planned stay.
        treated : bool
            Recorded in the dose plan (False for a control spot's visit).

        Returns
        -------
        Visit
        """
        day = self.model.day_index(self.model.tick)
        self.plan_rows.append((day, self.ids[self.index_of[int(node)]], int(node),
                               float(minutes), treated))
        return Visit(int(node), int(minutes), TRAVELLING, AT_HOTSPOT)

    def assigned(self, officer) -> np.ndarray:
        """Hot spots shared out among the officers of one shift (round robin).

        Parameters
        ----------
        officer : Officer
            The officer.

        Returns
        -------
        numpy.ndarray
            The officer's hot spot nodes (all of them if there are more officers than spots).
        """
        on_shift = [a.index for a in self.model.officer_agents
                    if a.shift_start_hour == officer.shift_start_hour]
        slot = on_shift.index(officer.index)
        mine = self.nodes[slot::len(on_shift)]
        return mine if len(mine) else self.nodes

    def dose_plan(self) -> pd.DataFrame:
        """Planned minutes per hot spot per calendar day (what Track compares the GPS with).

        Returns
        -------
        pandas.DataFrame
            ``day, hotspot_id, node, planned_minutes, treated, date``.
        """
        import pandas as pd  # here: listing the policies (``run --help``) needs no pandas

        df = pd.DataFrame(self.plan_rows, columns=["day", "hotspot_id", "node",
                                                   "planned_minutes", "treated"])
        df = df.groupby(["day", "hotspot_id", "node"], as_index=False).agg(
            planned_minutes=("planned_minutes", "sum"), treated=("treated", "max"))
        df["date"] = [self.model.datetime_at(d * 1440 - self.model.minute_of_day0).date()
                      for d in df["day"]]
        return df

    def outputs(self) -> dict:
        """The hot spots and the dose plan, written with the run."""
        return {"hotspots": self.hotspots, "dose_plan": self.dose_plan()}


class HotspotKoper(HotspotPolicy):
    """Random-order visits to the hot spots, ``dwell_minutes`` each, about every 2 hours.

    Koper (1995): a stop needs about 10 minutes to lengthen the crime-free time
    after police leave, best about 11-15 minutes; practice advice: random visits
    of 10-15 minutes about every 2 hours.  Each officer works through the hot
    spots assigned to them in a fresh random order each round and waits
    (available for calls) when a round finishes early, so that each hot spot is
    revisited about every ``revisit_minutes``.
    """

    name = "hotspot_koper"
    defaults = {**HotspotPolicy.defaults, "dwell_minutes": 15, "revisit_minutes": 120}
    ranges = {**HotspotPolicy.ranges, "dwell_minutes": (0, 1440), "revisit_minutes": (1, 10_080)}

    def round_nodes(self, officer) -> np.ndarray:
        """The officer's hot spots in a fresh random order (one round of visits)."""
        return self.rng.permutation(self.assigned(officer))

    def decide(self, officer, event):
        if event == DAY_START:
            return None  # keep the current round
        dwell = int(self.params["dwell_minutes"])
        orders = [self.visit(n, dwell) for n in self.round_nodes(officer)[:31]]
        travel_guess = 10  # minutes between hot spots on foot, for pacing only
        spare = int(self.params["revisit_minutes"]) - len(orders) * (dwell + travel_guess)
        if spare > 0:  # back to general patrol until the next round, not loitering at a spot
            orders.append(Walk(spare))
        return orders


class HarmWeighted(HotspotKoper):
    """Like ``hotspot_koper``, but visits are drawn with probability proportional to harm."""

    name = "harm_weighted"

    def round_nodes(self, officer):
        mine = self.assigned(officer)
        harm = self.hotspots.set_index("node").loc[mine, "harm"].to_numpy(float) + 1e-9
        return self.rng.choice(mine, size=len(mine), replace=True, p=harm / harm.sum())


class HotspotStatic(HotspotPolicy):
    """Officers stay at their assigned hot spot for the whole shift (between calls)."""

    name = "hotspot_static"

    def decide(self, officer, event):
        if event == DAY_START:
            return None
        shift_left = 24 * 60 - (self.model.tick + self.model.minute_of_day0) % 1440
        return [self.visit(int(self.assigned(officer)[0]), max(1, shift_left))]


class CrossoverDaily(HotspotPolicy):
    """Daily randomisation of each hot spot to patrol or no patrol (a crossover trial).

    Each day exactly ``round(treat_share * k)`` hot spots are drawn to be treated
    (blocked randomisation, as in Bland et al. 2021: 7 of 21 each day; Basford et
    al. 2021: 720 of 1,800 place-days, 40%); each treated spot gets ``visits``
    visits of ``dose_minutes`` (Basford: one 15-20 minute patrol a day; Barnes
    et al. 2020: about 13 minutes), at random times within the patrol window.
    Control spots get no dedicated visit.  The assignment table is an output.
    """

    name = "crossover_daily"
    defaults = {**HotspotPolicy.defaults, "treat_share": 0.4, "dose_minutes": 15, "visits": 1,
                "window_start_hour": 10, "window_end_hour": 22}
    ranges = {**HotspotPolicy.ranges, "treat_share": (0, 1), "dose_minutes": (1, 1440),
              "visits": (0, 100), "window_start_hour": (0, 23), "window_end_hour": (1, 24)}

    def setup(self) -> None:
        super().setup()
        if not 0 <= self.params["treat_share"] <= 1:
            raise ConfigError(f"policy crossover_daily: treat_share = "
                              f"{self.params['treat_share']} must be between 0 and 1")
        self.assignments: list[tuple] = []
        self.pending: list[tuple[int, int]] = []  # (due tick, node)
        self.on_day_start(self.model.day_index(self.model.tick))

    def on_day_start(self, day: int) -> None:
        n = len(self.nodes)
        n_treated = int(round(self.params["treat_share"] * n))
        treated = np.zeros(n, bool)
        treated[self.rng.choice(n, size=n_treated, replace=False)] = True
        self.schedule_day(day, treated)

    def schedule_day(self, day: int, treated: np.ndarray) -> None:
        """Record ``day``'s assignment and plan the treated spots' visits in the window.

        Parameters
        ----------
        day : int
            The calendar day that begins.
        treated : numpy.ndarray of bool
            One flag per hot spot (``self.nodes`` order).
        """
        n = len(self.nodes)
        for i in range(n):
            self.assignments.append((day, self.ids[i], int(self.nodes[i]), bool(treated[i])))
        midnight = day * 1440 - self.model.minute_of_day0
        lo = midnight + 60 * int(self.params["window_start_hour"])
        hi = midnight + 60 * int(self.params["window_end_hour"]) - int(self.params["dose_minutes"])
        due = [(int(self.rng.integers(lo, max(lo + 1, hi))), int(node))
               for node in self.nodes[treated] for _ in range(int(self.params["visits"]))]
        self.pending = sorted(d for d in due if d[0] >= self.model.tick)

    def decide(self, officer, event):
        if event == DAY_START:
            return None
        now = self.model.tick
        if self.pending and self.pending[0][0] <= now + 30:
            due, node = self.pending.pop(0)
            return [self.visit(node, int(self.params["dose_minutes"]))]
        wait = (self.pending[0][0] - 30 - now) if self.pending else 60
        return [Hold(int(max(1, min(60, wait))))]

    def assignment_table(self) -> pd.DataFrame:
        """Each hot spot's daily assignment: ``day, hotspot_id, node, treated``."""
        import pandas as pd

        return pd.DataFrame(self.assignments, columns=["day", "hotspot_id", "node", "treated"])

    def outputs(self) -> dict:
        return {**super().outputs(), "assignments": self.assignment_table()}


class CrossoverPatrol(CrossoverDaily):
    """``crossover_daily`` whose officers leave the hot spot when a visit is over.

    In ``crossover_daily`` an officer with no visit due holds where they are, which
    is often the hot spot just visited: a 15-minute dose became about 100 minutes of
    presence a day at treated spots and about 60 at control spots (6-day run on
    Welwyn Hatfield, GPS pings within 100 m).  Here, between visits, officers either
    go back to the station and wait there for calls (``between = "station"``, the
    default: the dedicated patrol is the only patrol, as in the trials, where control
    hot spots got little other presence -- Southend about 2 minutes a day from vehicle
    telematics, Basford et al. 2021) or walk the streets at random (``"walk"``: the
    background presence of ordinary foot patrol; Peterborough's control hot spots got
    about 16 minutes a day, Ariel et al. 2016).
    """

    name = "crossover_patrol"
    defaults = {**CrossoverDaily.defaults, "between": "station"}
    BETWEEN = ("station", "walk")
    choices = {**CrossoverDaily.choices, "between": BETWEEN}

    def decide(self, officer, event):
        orders = super().decide(officer, event)
        if not (orders and isinstance(orders[0], Hold)):
            return orders
        wait = orders[0].minutes  # nothing due yet: leave the spot until the next visit
        if self.params["between"] == "walk":
            return [Walk(wait)]
        # the station is where shifts begin (hotspot_sim.sim.shifts); waiting there is
        # not patrol, so travel and wait are both "available"
        return [Visit(int(self.model._station), wait, AVAILABLE, AVAILABLE)]


class ParallelPatrol(CrossoverPatrol):
    """A parallel trial: a random ``treat_share`` of the ``k`` hot spots is treated all run.

    The treated half is drawn once, at the start, and keeps its label every day
    (Sherman & Weisburd 1995, Minneapolis: 55 of 110 hot spots, for a year).  Each
    treated spot gets ``visits`` Koper-style stops of ``dose_minutes`` a day at random
    times in the patrol window (Koper 1995: stops of 10-15 minutes); between stops
    officers walk at random, which is all the control spots get (Minneapolis' control
    spots kept their ordinary patrol).  The assignment table (one row per spot per
    day) lets the spot-day table carry ``treated``.
    """

    name = "parallel_patrol"
    defaults = {**CrossoverPatrol.defaults, "treat_share": 0.5, "visits": 3}

    def setup(self) -> None:
        self.fixed_treated = None
        super().setup()

    def on_day_start(self, day: int) -> None:
        if self.fixed_treated is None:  # the one draw of the trial
            n = len(self.nodes)
            self.fixed_treated = np.zeros(n, bool)
            n_treated = int(round(self.params["treat_share"] * n))
            self.fixed_treated[self.rng.choice(n, size=n_treated, replace=False)] = True
        self.schedule_day(day, self.fixed_treated)


class Predictive(HotspotKoper):
    """Follow the highest forecast risk, refreshed each day from crimes observed so far.

    The forecast is prospective hotspotting (Bowers, Johnson & Pease 2004):
    each crime of the last ``horizon_days`` adds ``1/((1 + d/distance_m)(1 + age/7 days))``
    to nodes within 400 m, on top of the police.uk history scaled by
    ``history_weight``.  The top ``k`` separated places are visited Koper-style.
    """

    name = "predictive"
    defaults = {**HotspotKoper.defaults, "horizon_days": 56, "distance_m": 50.0,
                "history_weight": 0.02}
    # distance_m divides: 0 would give infinite weights
    ranges = {**HotspotKoper.ranges, "horizon_days": (0, 3660), "distance_m": (1, 10_000),
              "history_weight": (0, 1e6)}

    def setup(self) -> None:
        super().setup()
        self.history = self.model.observed_intensity / max(len(self.model.study.months), 1)

    def forecast(self) -> np.ndarray:
        """Forecast risk per node now: recent simulated crimes (near and new count most)
        plus the scaled police.uk history.

        Returns
        -------
        numpy.ndarray
            One score per street node.
        """
        m, net = self.model, self.model.network
        crimes = m.crimes_table()
        recent = crimes[crimes["tick"] >= m.tick - 1440 * int(self.params["horizon_days"])]
        indptr, idx, dist = net.neighbours_within(400.0)
        score = self.params["history_weight"] * self.history.astype(float)
        if len(recent):
            src = recent["node"].to_numpy(np.int64)
            age_weeks = (m.tick - recent["tick"].to_numpy()) / (7 * 1440)
            counts = np.diff(indptr)[src]
            rows = np.repeat(np.arange(len(src)), counts)
            pos = np.concatenate([np.arange(indptr[s], indptr[s + 1]) for s in src])
            w = 1.0 / ((1 + dist[pos] / self.params["distance_m"]) * (1 + age_weeks[rows]))
            np.add.at(score, idx[pos], w)
        return score

    def on_day_start(self, day: int) -> None:
        from ...target import greedy_separated

        score = self.forecast()
        net = self.model.network
        chosen = greedy_separated(score, net.x, net.y, int(self.params["k"]),
                                  float(self.params["min_separation_m"]))
        new = np.asarray(chosen, dtype=np.int64)
        if len(new) == 0:
            return
        self.nodes = new
        for n in new:
            if int(n) not in self.index_of:
                self.index_of[int(n)] = len(self.ids)
                self.ids = np.append(self.ids, f"P{len(self.ids):03d}")
        self.model.router.rows_for(self.nodes)
