"""Policies without dedicated hot spot patrol: ``none`` and ``random``."""

from __future__ import annotations

from .base import Hold, Policy, Walk


class NoPatrol(Policy):
    """No dedicated patrol: officers wait where they are until dispatched to a call."""

    name = "none"
    defaults = {}

    def decide(self, officer, event):
        return [Hold(minutes=24 * 60)]


class RandomPatrol(Policy):
    """Random patrol: officers walk the streets at random between calls.

    ``leg_minutes`` is how long a walk lasts before the officer is asked again
    (a decision point for policies that subclass this one).
    """

    name = "random"
    defaults = {"leg_minutes": 240}
    ranges = {"leg_minutes": (1, 10_080)}

    def decide(self, officer, event):
        return [Walk(minutes=max(1, int(self.params["leg_minutes"])))]
