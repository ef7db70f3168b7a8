"""Who answers a call for service: whoever gets there first, by street distance and speed.

:class:`~hotspot_sim.sim.dispatch.Dispatch` (SimPy) decides *when* a call is
dispatched; this module says *who* may go and sends them.  Response cars
(``[officers] response_units``) drive at ``car_speed_kmh``, answer calls only
and wait at the station between calls; patrol officers answer a call when they
would get there before any free response car.  Officers off duty or on a call
do not go, with one exception: with ``[calls] grade1_preempts`` a grade 1 call
takes the officer or car that gets there first even if it is on a grade 3 call;
the interrupted call goes back to the queue with its original time, so its
response time runs on.  Officers at or travelling to a hot spot answer calls
of every grade when ``[calls] pull_hotspot_officers`` allows it (the default).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import kernels as K
from .policies.base import Hold, Visit

if TYPE_CHECKING:  # pragma: no cover
    from .agents import Officer
    from .dispatch import Call
    from .model import PatrolModel

# Grades an immediate (grade 1) call may interrupt: scheduled work only; a
# grade 2 (priority) call is itself urgent, so it is not abandoned.
PREEMPTIBLE_GRADES = (3,)
STANDBY_MINUTES = 60  # a waiting response car is asked again this often (cheap; no effect)


class Responders:
    """Chooses and sends officers and response cars to calls for a model.

    Parameters
    ----------
    model : PatrolModel
        The model whose officers answer calls.
    """

    def __init__(self, model: PatrolModel):
        self.model = model
        self.requeue = None  # f(call): set by the model to put an interrupted call back

    def available(self, a: Officer) -> bool:
        """Whether officer ``a`` may be sent to a call now.

        Parameters
        ----------
        a : Officer
            The officer or response car.

        Returns
        -------
        bool
        """
        status = int(self.model.officers.status[a.index])
        if status in (K.OFF_DUTY, K.ON_CALL) or a.on_call is not None:
            return False
        pull = self.model.config.calls.pull_hotspot_officers
        return pull or status not in (K.AT_HOTSPOT, K.TRAVELLING)

    def preemptible(self, a: Officer, call: Call) -> bool:
        """Whether grade 1 ``call`` may take ``a`` off what it is doing.

        Parameters
        ----------
        a : Officer
            An officer or response car that is not :meth:`available`.
        call : Call
            The call looking for a responder.

        Returns
        -------
        bool
        """
        if call.grade != 1 or not self.model.config.calls.grade1_preempts:
            return False
        on_duty = int(self.model.officers.status[a.index]) != K.OFF_DUTY
        return on_duty and a.on_call is not None and a.on_call.grade in PREEMPTIBLE_GRADES

    def nearest(self, call: Call) -> int | None:
        """The officer or car that would reach ``call`` first (street distance / speed).

        Parameters
        ----------
        call : Call
            The call to answer.

        Returns
        -------
        int or None
            The officer's index; None when nobody may go (the call waits).
        """
        free = [a.index for a in self.model.all_officers
                if self.available(a) or self.preemptible(a, call)]
        free = self.without_held_cars(free, call)
        if not free:
            return None
        minutes = self.travel_distance(call.node, free) / self.model.officers.speed[free]
        return int(free[int(np.argmin(minutes))])

    def without_held_cars(self, free: list[int], call: Call) -> list[int]:
        """``free`` less the response cars a grade 2 or 3 call may not take.

        The last ``[calls] cars_held_for_grade1`` free cars are kept for grade 1
        calls: a lower-grade call then goes to a patrol officer or waits.

        Parameters
        ----------
        free : list of int
            Who may go.
        call : Call
            The call.

        Returns
        -------
        list of int
        """
        held = self.model.config.calls.cars_held_for_grade1
        if call.grade == 1 or held == 0:
            return free
        cars = self.model.config.officers.count  # response cars follow patrol officers
        if sum(k >= cars for k in free) > held:
            return free
        return [k for k in free if k < cars]

    def standby_orders(self, a: Officer) -> list:
        """A free response car drives back to the station and waits there for calls.

        Parameters
        ----------
        a : Officer
            The response car.

        Returns
        -------
        list of orders
        """
        station, pos = self.model._station, self.model.officers.pos
        if pos.node[a.index] == station and pos.nxt[a.index] < 0:
            return [Hold(STANDBY_MINUTES, K.AVAILABLE)]
        return [Visit(station, STANDBY_MINUTES, K.AVAILABLE, K.AVAILABLE)]

    def travel_distance(self, dest: int, officers) -> np.ndarray:
        """Street distance (m) officers must cover to reach ``dest``.

        An officer part-way along an edge first finishes it, as the kernel does.

        Parameters
        ----------
        dest : int
            Destination node.
        officers : sequence of int
            Officer indices.

        Returns
        -------
        numpy.ndarray
            Metres, one per officer.
        """
        pos = self.model.officers.pos
        k = np.asarray(officers, dtype=np.int64)
        nxt = pos.nxt[k]
        on_edge = nxt >= 0
        ahead = np.where(on_edge, nxt, pos.node[k])
        along = self.model.router.distance(dest, ahead)  # along the route the kernel follows
        return along + np.where(on_edge, pos.elen[k] - pos.prog[k], 0.0)

    def assign(self, k: int, call: Call) -> None:
        """Send officer ``k`` to ``call``: record dispatch time and distance, give the order.

        Parameters
        ----------
        k : int
            The officer's index.
        call : Call
            The call.
        """
        m = self.model
        a = m.all_officers[k]
        if a.on_call is not None:
            self.interrupt(a)
        a.on_call = call
        call.officer = k
        call.dispatched = float(m.tick)
        call.travel_m = float(self.travel_distance(call.node, [k])[0])
        # A flag the kernel raised this tick (its last order ended) belongs to the
        # orders the call replaces: left set, it would end the call at once.
        m.officers.flags[k] = 0
        # arrival time is read from arrived_tick when the call ends (no extra stop)
        m.give_orders(a, [Visit(call.node, call.service_left, K.ON_CALL, K.ON_CALL)])

    def interrupt(self, a: Officer) -> None:
        """Take ``a`` off its call, which goes back to the queue.

        The call keeps its time of arrival (its response time runs on); if ``a``
        was already on scene, that arrival stands as the response and only the
        rest of the time on scene is left for whoever answers it next.

        Parameters
        ----------
        a : Officer
            The officer or response car being diverted.
        """
        m, k, call = self.model, a.index, a.on_call
        if int(m.officers.mode[k]) == K.MODE_DWELL:  # on scene since arrived_tick
            arrived = int(m.officers.arrived_tick[k])
            if math.isnan(call.arrived):
                call.arrived = float(arrived + 1)  # by the end of that minute, as at CALL_DONE
            call.service_left = max(1, call.service_left - (m.tick - arrived))
        call.officer = -1
        call.interruptions += 1
        a.on_call = None
        self.requeue(call)
