"""The Test's simulation: a Mesa model of officers and offenders on a street network.

Laid out as Mesa's examples are (model, agents, app; the app imports the model,
never the reverse):

- ``model``: :class:`PatrolModel`, the Mesa model; ``agents``: officers and
  offenders as Mesa cell agents; ``app`` / ``app_figures``: the live SolaraViz
  page and what it draws (``app_assets`` keeps its web assets for offline use);
- ``world``: the risk surface and places built from the observed data;
  ``state``: the kernels' arrays, built by keyword, and ``kernel_params``, the
  one conversion of settings into kernel units;
- ``kernels``: the compiled hot loop (``kernel_builds``: its compiled and
  pure-Python builds; ``kernel_tricks``: its numba intrinsics);
- ``calendar`` (simulated days, daily events), ``shifts``, ``responders`` (who
  answers calls), ``dispatch`` (calls for service, SimPy), ``routing``
  (shortest-path tables), ``policies`` (what officers do);
- ``logbook``: where the logs go while the model runs (memory, or parquet files
  with ``PatrolModel(log_dir=...)``); ``tables`` and ``outputs``: a run's tables
  and its run folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

# Where each public name lives: imported on first use (see hotspot_sim._lazy), so
# ``import hotspot_sim.sim.policies`` (e.g. for ``run --help``) does not pull in Mesa
# and the model.
_EXPORTS = {"PatrolModel": "model", "Officer": "agents", "Offender": "agents",
            "Dispatch": "dispatch", "Router": "routing", "Policy": "policies",
            "Visit": "policies", "Walk": "policies", "Hold": "policies",
            "REGISTRY": "policies", "get_policy": "policies", "register": "policies"}
__getattr__, __dir__ = lazy_names(__name__, _EXPORTS)

__all__ = ["PatrolModel", "Officer", "Offender", "Dispatch", "Router", "Policy", "Visit",
           "Walk", "Hold", "REGISTRY", "get_policy", "register"]

if TYPE_CHECKING:
    from .agents import Officer, Offender
    from .dispatch import Dispatch
    from .model import PatrolModel
    from .policies import REGISTRY, Hold, Policy, Visit, Walk, get_policy, register
    from .routing import Router
