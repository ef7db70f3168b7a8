"""Who answers a call for service: the nearest available officer by street distance.

:class:`~hotspot_sim.sim.dispatch.Dispatch` (SimPy) decides *when* a call is
dispatched; this module says *who* may go and sends them.  Officers off duty
or on a call never go; officers at or travelling to a hot spot go only when
the scenario's ``[calls] pull_hotspot_officers`` allows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import kernels as K
from .policies.base import Visit

if TYPE_CHECKING:  # pragma: no cover
    from .agents import Officer
    from .dispatch import Call
    from .model import PatrolModel


class Responders:
    """Chooses and sends officers to calls for a model.

    Parameters
    ----------
    model : PatrolModel
        The model whose officers answer calls.
    """

    def __init__(self, model: PatrolModel):
        self.model = model

    def available(self, a: Officer) -> bool:
        """Whether officer ``a`` may be sent to a call now.

        Parameters
        ----------
        a : Officer
            The officer.

        Returns
        -------
        bool
        """
        status = int(self.model.officers.status[a.index])
        if status in (K.OFF_DUTY, K.ON_CALL) or a.on_call is not None:
            return False
        pull = self.model.config.calls.pull_hotspot_officers
        return pull or status not in (K.AT_HOTSPOT, K.TRAVELLING)

    def nearest(self, call: Call) -> int | None:
        """The available officer nearest ``call`` by street distance.

        Parameters
        ----------
        call : Call
            The call to answer.

        Returns
        -------
        int or None
            The officer's index; None when nobody is available (the call waits).
        """
        free = [a.index for a in self.model.officer_agents if self.available(a)]
        if not free:
            return None
        d = self.travel_distance(call.node, free)
        return int(free[int(np.argmin(d))])

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
        router, pos = self.model.router, self.model.officers.pos
        k = np.asarray(officers, dtype=np.int64)
        # Runs twice per call for service: look the row up in the router's dict
        # directly (Router.row builds arrays) and index one row, not the table.
        row = router.rows.get(int(dest))
        if row is None:
            row = router.row(dest)
        nxt = pos.nxt[k]
        on_edge = nxt >= 0
        ahead = np.where(on_edge, nxt, pos.node[k])
        return router.dist[row][ahead] + np.where(on_edge, pos.elen[k] - pos.prog[k], 0.0)

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
        a = m.officer_agents[k]
        a.on_call = call
        call.dispatched = float(m.tick)
        call.travel_m = float(self.travel_distance(call.node, [k])[0])
        # arrival time is read from arrived_tick when the call ends (no extra stop)
        m.give_orders(a, [Visit(call.node, call.service_minutes, K.ON_CALL, K.ON_CALL)])
