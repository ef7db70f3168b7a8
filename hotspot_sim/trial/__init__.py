"""Test: the statistics a real hot spot trial reports, for simulated or real data.

The second of Sherman's (2013) three Ts: *test* a practice by randomised
experiment before making it routine.  Every function reads a tidy spot-day
table (one row per hot spot per day; columns in :mod:`.spot_days`), so a real
trial's data goes through exactly the code that analyses simulated trials.

* :mod:`.stats` -- :func:`rate_ratio_glm` (statsmodels GLM),
  :func:`conditional_poisson` (the fast estimator, :mod:`.estimator`) and
  :func:`permutation_test` (randomisation test);
* :mod:`.power` -- :func:`simulate_trial`, :func:`power` and
  :func:`smallest_adequate`: how many hot spots for how long;
* :mod:`.economics` -- :func:`cost_benefit`: cost per crime and per CHI day
  prevented.

Power curves are drawn by :func:`hotspot_sim.plots.plot_power`; command-line
ranges such as ``"10:40:10"`` are read by :func:`hotspot_sim.checks.parse_range`.
"""

from .economics import DEFAULT_COST_PER_OFFICER_HOUR, cost_benefit
from .power import POWER_STEP, power, simulate_trial, smallest_adequate
from .spot_days import TrialResult
from .stats import conditional_poisson, permutation_test, rate_ratio_glm

__all__ = [
    "DEFAULT_COST_PER_OFFICER_HOUR",
    "POWER_STEP",
    "TrialResult",
    "conditional_poisson",
    "cost_benefit",
    "permutation_test",
    "power",
    "rate_ratio_glm",
    "simulate_trial",
    "smallest_adequate",
]
