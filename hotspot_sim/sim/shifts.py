"""Officers' shifts: who comes on and goes off duty, and when.

Officers are grouped by the hour their shift starts; each group comes on duty
at the station every day at that hour and goes off ``shift_hours`` later (an
officer answering a call finishes it first).  Officers whose shift began
before the simulation starts are on duty at tick 0.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from . import kernels as K
from .calendar import MINUTES_PER_DAY, DailyEvents
from .policies.base import SHIFT_START

if TYPE_CHECKING:  # pragma: no cover
    from .agents import Officer
    from .model import PatrolModel


class Shifts:
    """Starts and ends the shifts of a model's officers.

    Parameters
    ----------
    model : PatrolModel
        The model whose officers work the shifts.
    """

    def __init__(self, model: PatrolModel):
        self.model = model
        self.length = int(round(model.config.officers.shift_hours * 60))

    def schedule(self, events: DailyEvents) -> None:
        """Put each shift group's daily start and end on ``events``.

        Parameters
        ----------
        events : DailyEvents
            The model's daily events.
        """
        m = self.model
        for hour in sorted(set(m.config.officers.shift_starts)):
            group = [a for a in m.all_officers if a.shift_start_hour == hour]
            first = (hour * 60 - m.minute_of_day0) % MINUTES_PER_DAY
            events.every_day(partial(self.begin, group), first)
            # first end: of the shift that began the day before tick 0
            end = first + self.length - MINUTES_PER_DAY
            if end <= 0:
                end += MINUTES_PER_DAY
            events.every_day(partial(self.end, group), end)

    def start_those_on_duty(self) -> None:
        """Officers whose shift began before the simulation start are on duty at tick 0."""
        for a in self.model.all_officers:
            began = (self.model.minute_of_day0 - a.shift_start_hour * 60) % MINUTES_PER_DAY
            if 0 < began < self.length:
                self.begin([a])

    def begin(self, group: list[Officer]) -> None:
        """Officers of ``group`` who are off duty come on duty at the station.

        Each is present around the station and asked for orders (event ``shift_start``);
        one still on a call from the previous shift simply stays on.

        Parameters
        ----------
        group : list of Officer
            Officers whose shift starts now.
        """
        m = self.model
        oc, station = m.officers, m._station
        for a in group:
            k = a.index
            if oc.mode[k] != K.MODE_OFF:
                a.off_after_call = False
                continue
            oc.pos.node[k] = station
            oc.pos.nxt[k] = -1
            oc.pos.prog[k] = 0.0
            oc.prev[k] = -1
            oc.cover_node[k] = station
            m.kernels.presence_begin(m.net, m.nodes, station, m.tick)
            oc.mode[k] = K.MODE_IDLE
            oc.status[k] = K.AVAILABLE
            oc.q_len[k] = 0
            oc.q_pos[k] = -1
            a.off_after_call = False
            m.give_orders(a, m.orders_for(a, SHIFT_START))

    def end(self, group: list[Officer]) -> None:
        """Officers of ``group`` go off duty (after the call they are answering, if any).

        Parameters
        ----------
        group : list of Officer
            Officers whose shift ends now.
        """
        for a in group:
            if a.on_call is not None:
                a.off_after_call = True  # finish the call first (overtime)
            else:
                self.go_off_duty(a)

    def go_off_duty(self, a: Officer) -> None:
        """Officer ``a`` leaves the street: presence ends, queue and flags are cleared.

        Parameters
        ----------
        a : Officer
            The officer (nothing happens if already off duty).
        """
        m = self.model
        oc, k = m.officers, a.index
        if oc.mode[k] == K.MODE_OFF:
            return
        if oc.cover_node[k] >= 0:
            m.kernels.presence_end(m.net, m.nodes, m.params, int(oc.cover_node[k]), m.tick,
                                   m.day_start_tick(m.tick))
        oc.cover_node[k] = -1
        oc.mode[k] = K.MODE_OFF
        oc.status[k] = K.OFF_DUTY
        oc.q_len[k] = 0
        oc.q_pos[k] = -1
        oc.flags[k] = 0
