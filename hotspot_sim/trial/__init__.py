"""Test: simulated experiments and the statistics a real hot spot trial reports.

The second of Sherman's (2013) three Ts: *test* a practice by randomised
experiment before making it routine.

Experiments (arms x sweep grid x replications):

* :mod:`.experiment` -- the TOML model: :func:`load_experiment`,
  :class:`Experiment`, :class:`Arm`;
* :mod:`.runs` -- tasks, seeds and run keys (:func:`make_tasks`), resuming and
  refusing stale runs (:func:`runs_to_do`), :func:`move_aside` for ``--fresh``;
* :mod:`.measure` -- one run simulated and measured (:func:`run_task`);
* :mod:`.runner` -- :func:`run_experiment`, locally or on Dask, optionally on a
  prepared :class:`~hotspot_sim.study.Study`;
* :mod:`.report` -- :func:`build_report`: per-arm means with intervals, % change
  against control, displacement, trial statistics and cost-benefit, from a
  results folder read back and checked by :func:`.results.load_results`.

Trial statistics, on a tidy spot-day table (one row per hot spot per day;
columns in :mod:`.spot_days`), so a real trial's data goes through exactly the
code that analyses simulated trials:

* :mod:`.stats` -- :func:`rate_ratio_glm` (statsmodels GLM),
  :func:`conditional_poisson` (the fast estimator, :mod:`.estimator`) and
  :func:`permutation_test` (randomisation test);
* :mod:`.power` -- :func:`simulate_trial`, :func:`power` and
  :func:`smallest_adequate`: how many hot spots for how long;
* :mod:`.economics` -- :func:`cost_benefit`: cost per crime and per CHI day
  prevented.

The real trial's pack (``hotspot-sim trial design``): :mod:`.spots`
(:func:`trial_hotspots`: which hot spots, their baseline), :mod:`.design`
(:class:`TrialDesign`, :func:`design_trial`, :func:`plan_trial`: schedule, power, hours),
:mod:`.geofences` (GeoJSON, GPX), :mod:`.protocol` (one-page protocol,
:func:`analysis_plan`) and :mod:`.pack` (:func:`write_pack`).  The real trial analysed
(``hotspot-sim trial analyse``): :mod:`.field` (:func:`read_trial`, :func:`analyse_trial`,
:func:`write_analysis`): the same spot-days, dose per arm (:func:`dose_by_arm`) and
statistics as a simulated trial, from the schedule, GPS and crimes; :mod:`.rehearse`
(:func:`rehearse_pack`) simulates a designed pack's trial to rehearse that analysis.

Power curves are drawn by :func:`hotspot_sim.plots.plot_power`; command-line
ranges such as ``"10:40:10"`` are read by :func:`hotspot_sim.checks.parse_range`.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING

from .._lazy import lazy_names

# Where each public name lives: imported on first use (see hotspot_sim._lazy), so a sweep
# worker unpickling :func:`run_task` does not import statsmodels, scipy.stats
# and the report code it never calls.
_EXPORTS = {
    "design": ["TrialDesign", "TrialPlan", "design_trial", "next_monday", "plan_trial",
               "randomise"],
    "economics": ["DEFAULT_COST_PER_OFFICER_HOUR", "cost_benefit"],
    "experiment": ["Arm", "Experiment", "Task", "load_experiment", "scenario_for"],
    "field": ["analyse_trial", "read_trial", "write_analysis"],
    "geofences": ["geofences_geojson", "geofences_gpx"],
    "measure": ["run_task"],
    "pack": ["write_pack"],
    "power": ["POWER_STEP", "power", "simulate_trial", "smallest_adequate"],
    "protocol": ["analysis_plan", "protocol_markdown"],
    "rehearse": ["rehearse_pack"],
    "report": ["build_report", "change_table", "dose_by_arm", "mean_ci"],
    "results": ["load_results"],
    "runner": ["run_experiment"],
    "runs": ["make_tasks", "move_aside", "runs_to_do", "study_fingerprint"],
    "spot_days": ["TrialResult"],
    "spots": ["trial_hotspots"],
    "stats": ["conditional_poisson", "permutation_test", "rate_ratio_glm"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

if TYPE_CHECKING:
    from .design import (TrialDesign, TrialPlan, design_trial, next_monday, plan_trial,
                         randomise)
    from .economics import DEFAULT_COST_PER_OFFICER_HOUR, cost_benefit
    from .experiment import Arm, Experiment, Task, load_experiment, scenario_for
    from .field import analyse_trial, read_trial, write_analysis
    from .geofences import geofences_geojson, geofences_gpx
    from .measure import run_task
    from .pack import write_pack
    from .power import POWER_STEP, power, simulate_trial, smallest_adequate
    from .protocol import analysis_plan, protocol_markdown
    from .rehearse import rehearse_pack
    from .report import build_report, change_table, dose_by_arm, mean_ci
    from .results import load_results
    from .runner import run_experiment
    from .runs import make_tasks, move_aside, runs_to_do, study_fingerprint
    from .spot_days import TrialResult
    from .spots import trial_hotspots
    from .stats import conditional_poisson, permutation_test, rate_ratio_glm

__getattr__, __dir__ = lazy_names(__name__, _MODULE_OF)


class _Package(types.ModuleType):
    """Keeps ``trial.power`` the function when the ``power`` submodule is imported.

    Importing a submodule sets it as an attribute of its package; the function
    :func:`power` has the name of its module, and before imports were lazy the package
    always held the function.
    """

    def __setattr__(self, name: str, value) -> None:
        if name in _MODULE_OF and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = [
    "DEFAULT_COST_PER_OFFICER_HOUR",
    "POWER_STEP",
    "Arm",
    "Experiment",
    "Task",
    "TrialDesign",
    "TrialPlan",
    "TrialResult",
    "analyse_trial",
    "analysis_plan",
    "build_report",
    "change_table",
    "conditional_poisson",
    "cost_benefit",
    "design_trial",
    "dose_by_arm",
    "geofences_geojson",
    "geofences_gpx",
    "load_experiment",
    "load_results",
    "make_tasks",
    "mean_ci",
    "move_aside",
    "next_monday",
    "permutation_test",
    "plan_trial",
    "power",
    "protocol_markdown",
    "randomise",
    "rate_ratio_glm",
    "read_trial",
    "rehearse_pack",
    "run_experiment",
    "run_task",
    "runs_to_do",
    "scenario_for",
    "simulate_trial",
    "smallest_adequate",
    "study_fingerprint",
    "trial_hotspots",
    "write_analysis",
    "write_pack",
]
