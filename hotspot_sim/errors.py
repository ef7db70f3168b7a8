"""Exceptions raised by hotspot-sim.

Every error says *where* (file, row, key) and *what* is wrong, so that a user
can fix their input without reading the source.
"""

from __future__ import annotations


class HotspotSimError(Exception):
    """Base class of every error hotspot-sim raises on purpose."""


class ConfigError(HotspotSimError, ValueError):
    """A scenario, experiment or parameter is invalid (names the key, value and file)."""


class DataError(HotspotSimError, ValueError):
    """An input data file is missing or malformed (names the file and row)."""


class NetworkError(HotspotSimError, ValueError):
    """A street network cannot be loaded or has no usable part."""


class OfflineError(HotspotSimError, RuntimeError):
    """A download was needed but the machine cannot reach the service."""
