"""Patrol policies behind one interface, with a registry.

Use a registered name (``none``, ``random``, ...) or plug in your own class by
module path, ``"my_package.my_module:MyPolicy"``, from a scenario's
``[policy] name`` or the CLI's ``--policy``.  See :mod:`hotspot_sim.sim.policies.base`.
"""

from __future__ import annotations

import importlib

from ...errors import ConfigError
from .base import EVENTS, Hold, Order, Policy, Visit, Walk
from .basic import NoPatrol, RandomPatrol
from .hotspot import (
    CrossoverDaily,
    CrossoverPatrol,
    HarmWeighted,
    HotspotKoper,
    HotspotStatic,
    ParallelPatrol,
    Predictive,
)
from .planned import PlannedPatrol

REGISTRY: dict[str, type[Policy]] = {}


def register(cls: type[Policy]) -> type[Policy]:
    """Class decorator: make a policy available by its ``name``.

    Parameters
    ----------
    cls : type
        A :class:`Policy` subclass.

    Returns
    -------
    type
        ``cls``, registered.
    """
    REGISTRY[cls.name] = cls
    return cls


for _cls in (NoPatrol, RandomPatrol, HotspotKoper, HotspotStatic, CrossoverDaily, Predictive,
             HarmWeighted, CrossoverPatrol, ParallelPatrol, PlannedPatrol):
    register(_cls)


def get_policy(name: str) -> type[Policy]:
    """A policy class by registered name or ``module.path:ClassName``.

    Parameters
    ----------
    name : str
        A name in ``REGISTRY`` or ``"my_package.my_module:MyPolicy"`` (imported: it runs
        that module's code).

    Returns
    -------
    type
        The :class:`Policy` subclass.

    Raises
    ------
    ConfigError
        Unknown name, a module or class that cannot be imported, or not a Policy.
    """
    if name in REGISTRY:
        return REGISTRY[name]
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"policy {name!r}: cannot import {attr} from {module}: "
                              f"{exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Policy)):
            raise ConfigError(f"policy {name!r} is not a subclass of "
                              "hotspot_sim.sim.policies.Policy")
        return cls
    raise ConfigError(f"unknown policy {name!r}; registered: {', '.join(sorted(REGISTRY))} "
                      "(or give 'module.path:ClassName')")


__all__ = ["Policy", "Visit", "Walk", "Hold", "Order", "EVENTS", "REGISTRY", "register",
           "get_policy"]
