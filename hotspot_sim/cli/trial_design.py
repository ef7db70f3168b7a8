"""``hotspot-sim trial design`` (being built for issue 15)."""

from __future__ import annotations


def add_design_parser(trial_sub) -> None:
    """Add ``trial design`` to the ``trial`` group."""
