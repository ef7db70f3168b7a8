"""``planned_patrol``: a patrol plan's decision variables as one policy (``hotspot-sim plan``).

A plan says which places (``k`` of them, ranked by ``rank_by``), how long a visit
(``dwell_minutes``), how many visits each hot spot gets a shift (``visits_per_shift``),
at what hours of the day (``patrol_start_hour`` for ``patrol_hours``), and what share
of the officers on each shift is kept off hot spot patrol for response
(``response_share``).  Foot or car is the scenario's ``[officers] mode``.

Within the patrol hours each hot spot officer does ``visits_per_shift`` rounds of
their hot spots a shift (a fresh random order each round, Koper-style), the rounds
spread evenly over the part of the shift inside the patrol hours (every shift that
overlaps the patrol hours does its rounds; a round cut short by a call is not resumed:
the call comes first; a round that runs late starts the next one at once); between rounds,
outside the patrol hours and all shift for the officers kept for response, officers
patrol the streets at random, as the ``random`` policy does.  That random patrol is
logged as ``available`` rather than ``patrolling``: in a run's status table (and an
experiment's ``patrol_hours``) the patrol minutes are then exactly the minutes spent
travelling to and staying at hot spots, the plan's measured officer hours.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ...errors import ConfigError
from ..kernels import AVAILABLE
from .base import DAY_START, Walk
from .hotspot import HotspotPolicy


def visits_per_day(params: Mapping, shift_starts: Sequence[int], shift_hours: float) -> int:
    """Visits a hot spot gets a day under a plan: visits per shift times the shifts that
    overlap the patrol hours (the dose ``trial design --visits`` asks for).

    Parameters
    ----------
    params : mapping
        The plan's ``patrol_start_hour``, ``patrol_hours`` and ``visits_per_shift``.
    shift_starts : sequence of int
        Hours at which shifts begin (``[officers] shift_starts``).
    shift_hours : float
        Length of a shift (``[officers] shift_hours``).

    Returns
    -------
    int
    """
    start, hours = int(params["patrol_start_hour"]), int(params["patrol_hours"])
    patrol = {(start + h) % 24 for h in range(hours)}
    shifts = sum(1 for s in shift_starts
                 if patrol & {(int(s) + h) % 24 for h in range(math.ceil(shift_hours))})
    return int(params["visits_per_shift"]) * shifts

MAX_ORDERS = 31  # an officer's order queue holds 32 orders: a round's visits and one walk
WALK_LEG_MINUTES = 240  # longest random-patrol leg before the officer is asked again


class PlannedPatrol(HotspotPolicy):
    """Hot spot patrol as a plan sets it: places, visit length, visits a shift, hours, share.

    Defaults: visits of 15 minutes (Koper 1995: a stop needs about 10 minutes, 11-15 is
    best, little gain beyond 15); about 3 visits per hot spot in a late shift (Operations
    Savvy, Birmingham, and Style, Peterborough, which left the best number open); the
    patrol hours are the late shift of the default scenario (15:00-23:00); 10 hot spots
    and a quarter of each shift kept for response are assumptions.  The plan search
    (``hotspot-sim plan``) varies every one of them.
    """

    name = "planned_patrol"
    defaults = {**HotspotPolicy.defaults, "k": 10,
                "dwell_minutes": 15,       # Koper 1995: 10-15 minute stops
                "visits_per_shift": 3,     # Operations Savvy/Style: ~3 patrols per late shift
                "patrol_start_hour": 15,   # the late shift (shifts start 7, 15, 23 by default)
                "patrol_hours": 8,
                "response_share": 0.25}    # assumption: officers kept free for calls
    ranges = {**HotspotPolicy.ranges, "dwell_minutes": (1, 240), "visits_per_shift": (0, 48),
              "patrol_start_hour": (0, 23), "patrol_hours": (1, 24), "response_share": (0, 1)}
    # as hotspot_sim.target.settings.RANK_BY (not imported: listing policies needs no pandas);
    # "composite" is the Hertfordshire harm index (harm + ASB incidents)
    RANK_BY = ("harm", "count", "composite")
    choices = {**HotspotPolicy.choices, "rank_by": RANK_BY}

    def setup(self) -> None:
        super().setup()
        self.responders = self.response_officers()
        self.check_round_fits()
        self.shift_plans: dict[int, tuple[int, list[int], list[tuple[int, int]]]] = {}
        self.rounds_done: dict[int, int] = {}

    def response_officers(self) -> set[int]:
        """Officers kept off hot spot patrol: ``response_share * n`` of each shift's n, rounded
        half up (the first ones by index).

        Returns
        -------
        set of int
            Officer indices.
        """
        kept = set()
        for hour in sorted({a.shift_start_hour for a in self.model.officer_agents}):
            group = [a.index for a in self.model.officer_agents if a.shift_start_hour == hour]
            kept.update(group[:int(np.floor(self.params["response_share"] * len(group) + 0.5))])
        return kept

    def check_round_fits(self) -> None:
        """Refuse a plan whose round of visits does not fit an officer's order queue (the
        round would otherwise be cut short and some hot spots never visited)."""
        for hour in sorted({a.shift_start_hour for a in self.model.officer_agents}):
            patrol = [a for a in self.model.officer_agents
                      if a.shift_start_hour == hour and a.index not in self.responders]
            if patrol and math.ceil(len(self.nodes) / len(patrol)) > MAX_ORDERS:
                raise ConfigError(
                    f"policy 'planned_patrol': {len(self.nodes)} hot spots shared by "
                    f"{len(patrol)} hot spot officer(s) on the {hour:02d}:00 shift is "
                    f"{math.ceil(len(self.nodes) / len(patrol))} visits a round; at most "
                    f"{MAX_ORDERS} fit: lower k or response_share, or add officers")

    def assigned(self, officer) -> np.ndarray:
        """The officer's share of the hot spots among the shift's hot spot officers."""
        on_shift = [a.index for a in self.model.officer_agents
                    if a.shift_start_hour == officer.shift_start_hour
                    and a.index not in self.responders]
        mine = self.nodes[on_shift.index(officer.index)::len(on_shift)]
        return mine if len(mine) else self.nodes

    def shift_start_tick(self, officer) -> int:
        """Tick at which the officer's current (or latest) shift began."""
        minute = (self.model.tick + self.model.minute_of_day0) % 1440
        return self.model.tick - (minute - 60 * officer.shift_start_hour) % 1440

    def patrol_segments(self, shift_start: int) -> list[tuple[int, int]]:
        """Parts of the shift beginning at ``shift_start`` inside the daily patrol hours.

        Parameters
        ----------
        shift_start : int
            Tick the shift began.

        Returns
        -------
        list of (int, int)
            ``[start, end)`` tick intervals, in time order.
        """
        shift_end = shift_start + int(round(self.model.config.officers.shift_hours * 60))
        midnight = shift_start - (shift_start + self.model.minute_of_day0) % 1440
        first = 60 * int(self.params["patrol_start_hour"])
        length = 60 * int(self.params["patrol_hours"])
        segments = []
        for day in (-1, 0, 1):
            lo = max(shift_start, midnight + 1440 * day + first)
            hi = min(shift_end, midnight + 1440 * day + first + length)
            if hi > lo:
                segments.append((lo, hi))
        return segments

    def round_starts(self, segments: list[tuple[int, int]]) -> list[int]:
        """When each of the shift's ``visits_per_shift`` rounds is due: evenly spread over
        the patrol time (the first at its start)."""
        total = sum(hi - lo for lo, hi in segments)
        starts = []
        for j in range(int(self.params["visits_per_shift"])):
            offset = total * j / max(int(self.params["visits_per_shift"]), 1)
            for lo, hi in segments:
                if offset < hi - lo:
                    starts.append(int(lo + offset))
                    break
                offset -= hi - lo
        return starts

    def decide(self, officer, event):
        if event == DAY_START:
            return None
        if officer.index in self.responders:
            return [Walk(WALK_LEG_MINUTES, AVAILABLE)]
        start = self.shift_start_tick(officer)
        if self.shift_plans.get(officer.index, (None,))[0] != start:
            segments = self.patrol_segments(start)
            self.shift_plans[officer.index] = (start, self.round_starts(segments), segments)
            self.rounds_done[officer.index] = 0
        _, starts, segments = self.shift_plans[officer.index]
        now, done = self.model.tick, self.rounds_done[officer.index]
        window_end = segments[-1][1] if segments else now
        if done < len(starts) and starts[done] <= now < window_end:
            self.rounds_done[officer.index] = done + 1
            dwell = int(self.params["dwell_minutes"])
            return [self.visit(n, dwell) for n in self.rng.permutation(self.assigned(officer))
                    [:MAX_ORDERS]]
        later = [s for s in starts[done:] if s > now]
        wait = min(later[0] - now, WALK_LEG_MINUTES) if later else WALK_LEG_MINUTES
        return [Walk(max(1, wait), AVAILABLE)]
