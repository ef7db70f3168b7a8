"""Named choices and rule defaults shared by the library and the command line.

The command line lists these in its options and ``--help`` before any command
runs; they live here, in a module that imports nothing, so building the parser
does not import pandas (``tests/test_light_start.py``).  The library modules
that use them (:mod:`hotspot_sim.data.harm_indices`, :mod:`hotspot_sim.data.lsoa`,
:mod:`hotspot_sim.target.eligibility`, :mod:`hotspot_sim.trial.economics`)
import them from here.
"""

from __future__ import annotations

CATEGORY_RULES: tuple[str, ...] = ("median", "mean", "max")
"""How a police.uk category's weight is made from the weights of its offence codes."""

DEFAULT_CATEGORY_RULE = "median"  # assumption: robust to one rare, very heavy code (homicide)

LOCAL_SCALES: tuple[str, ...] = ("units", "share")
"""How the local harm index puts its layers on one scale (see ``data.lsoa.LocalHarmWeights``)."""

# An assumption, not from REFERENCE.md: a fully loaded constable hour in
# England is of the order of 40 GBP; give your force's figure with --cost-per-hour.
DEFAULT_COST_PER_OFFICER_HOUR = 40.0

# Operations Savvy (Birmingham) and Style (Peterborough) eligibility rules (REFERENCE.md):
# 36-150 crimes in 12 months, radius at most 150 m, centres at least 500 m apart, a 100 m buffer.
ELIGIBILITY_MIN_CRIMES_12M = 36.0
ELIGIBILITY_MAX_CRIMES_12M = 150.0
ELIGIBILITY_RADIUS_M = 150.0
ELIGIBILITY_MIN_SEPARATION_M = 500.0
ELIGIBILITY_BUFFER_M = 100.0
