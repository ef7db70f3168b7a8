"""The Test's simulation: a Mesa model of officers and offenders on a street network.

``model`` (the :class:`PatrolModel`), ``agents`` (officers and offenders as Mesa
cell agents), ``kernels`` (the compiled hot loop), ``dispatch`` (calls for
service, SimPy), ``routing`` (shortest-path tables), ``policies`` (what officers
do) and ``app`` (the live SolaraViz page; imported only by ``hotspot-sim view``,
never by the model).
"""

from .agents import Officer, Offender
from .dispatch import Dispatch
from .model import PatrolModel
from .policies import REGISTRY, Hold, Policy, Visit, Walk, get_policy, register
from .routing import Router

__all__ = ["PatrolModel", "Officer", "Offender", "Dispatch", "Router", "Policy", "Visit",
           "Walk", "Hold", "REGISTRY", "get_policy", "register"]
