"""``hotspot-sim trial analyse`` (being built for issue 15)."""

from __future__ import annotations


def add_analyse_parser(trial_sub) -> None:
    """Add ``trial analyse`` to the ``trial`` group."""
