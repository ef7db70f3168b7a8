"""Defaults of the real trial's design, with their sources (``hotspot-sim trial design``).

A module of plain numbers, so the command line can show them in ``--help`` without
importing numpy or pandas (see tests/test_light_start.py).
"""

from __future__ import annotations

#: Hot spots in a trial: Southend (Basford et al. 2021) randomised 20 (REFERENCE.md).
DEFAULT_HOTSPOTS = 20
#: Trial length (days): Basford et al. (2021, Southend) and Bland et al. (2021,
#: Bedfordshire) both randomised for 90 days (REFERENCE.md).
DEFAULT_DAYS = 90
#: Minutes per visit: Koper (1995) found about 11-15 minutes best, with diminishing returns
#: after 15; Southend patrols were 15-20 minutes, Bedfordshire's 15 (REFERENCE.md).
DEFAULT_MINUTES = 15.0
#: Visits per patrolled spot-day: one a day in Southend and Bedfordshire (REFERENCE.md);
#: Operations Savvy/Style made about 3 per late shift.
DEFAULT_VISITS = 1
#: Rate ratio to plan for: Braga et al. (2019) find mean effects of about 8-16% (REFERENCE.md).
DEFAULT_EFFECT = 0.85
#: Share of hot spots patrolled.  Crossover: Southend 720 of 1,800 place-days = 40%
#: (Basford et al. 2021; Bedfordshire 7 of 21, Bland et al. 2021).  Parallel: half
#: (Sherman & Weisburd 1995, 55 of 110).  Block: one of each pair (REFERENCE.md).
DEFAULT_TREAT_SHARE = {"crossover": 0.4, "parallel": 0.5, "block": 0.5}

__all__ = ["DEFAULT_DAYS", "DEFAULT_EFFECT", "DEFAULT_HOTSPOTS", "DEFAULT_MINUTES",
           "DEFAULT_TREAT_SHARE", "DEFAULT_VISITS"]
