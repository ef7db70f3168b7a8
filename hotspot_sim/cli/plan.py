"""``hotspot-sim plan`` (being built for issue 16)."""

from __future__ import annotations


def add_plan_command(sub) -> None:
    """Add ``plan``."""
