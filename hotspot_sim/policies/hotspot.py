"""Targeted hot spot patrol policies (the Koper curve in practice).

Hot spots are chosen with :func:`hotspot_sim.target.target` from the observed
crime harm (the *Target* step); these policies then decide where officers go.
"""

from __future__ import annotations

import numpy as np

from .base import DAY_START, Hold, Policy, Visit


class HotspotKoper(Policy):
    """Random-order visits to the hot spots, ``dwell_minutes`` each, about every 2 hours.

    Koper (1995): a stop needs about 10 minutes to lengthen the crime-free time
    after police leave, best about 11-15 minutes; practice advice: random visits
    of 10-15 minutes about every 2 hours.  Each officer works through the hot
    spots assigned to them in a fresh random order each round, and waits
    (available for calls) when a round finishes early, so that each hot spot is
    revisited about every ``revisit_minutes``.
    """

    name = "hotspot_koper"
    defaults = {"k": 20, "dwell_minutes": 15, "revisit_minutes": 120, "rank_by": "harm",
                "min_separation_m": 300.0}

    def setup(self) -> None:
        from ..target import TargetSettings, target

        p = self.params
        settings = TargetSettings(k=int(p["k"]), rank_by=p["rank_by"],
                                  min_separation_m=float(p["min_separation_m"]))
        self.hotspots = target(self.model.study, settings)
        self.nodes = self.hotspots["node"].to_numpy(np.int64)
        self.model.router.rows_for(self.nodes)
        self.rng = np.random.default_rng(self.model.rng.integers(2**63 - 1))

    def assigned(self, officer) -> np.ndarray:
        """Hot spots shared out among the officers of one shift (round robin)."""
        on_shift = [a.index for a in self.model.officer_agents
                    if a.shift_start_hour == officer.shift_start_hour]
        slot = on_shift.index(officer.index)
        mine = self.nodes[slot::len(on_shift)]
        return mine if len(mine) else self.nodes

    def decide(self, officer, event):
        if event == DAY_START:
            return None  # keep the current round
        nodes = self.rng.permutation(self.assigned(officer))[:31]
        dwell = int(self.params["dwell_minutes"])
        orders = [Visit(int(n), dwell) for n in nodes]
        spare = int(self.params["revisit_minutes"]) - len(orders) * (dwell + 10)
        if spare > 0:
            orders.append(Hold(spare))
        return orders

    def outputs(self) -> dict:
        return {"hotspots": self.hotspots}


class HotspotStatic(HotspotKoper):
    """Officers stay at their assigned hot spot for the whole shift (between calls)."""

    name = "hotspot_static"
    defaults = {"k": 20, "rank_by": "harm", "min_separation_m": 300.0}

    def decide(self, officer, event):
        if event == DAY_START:
            return None
        node = int(self.assigned(officer)[0])
        return [Visit(node, 24 * 60)]
