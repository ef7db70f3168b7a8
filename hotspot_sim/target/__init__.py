"""Target: rank places by harm and choose the hot spots to patrol.

The first of Sherman's (2013) three Ts: *target* the "power few" places
where crime harm concentrates.

* ``settings``: :class:`TargetSettings` and :class:`ProspectiveSettings`;
* ``ranking``: score places (street-network nodes, or ~125 m micro-places) by
  crime count, Cambridge Crime Harm Index (CHI) days, or a composite that also
  counts ASB incidents; the power-few curve (share of harm in the top x% of
  places);
* ``selection``: choose ``k`` hot spots greedily by score with a minimum
  separation, so that treated and untreated places in a trial do not
  contaminate each other, and describe their catchments (:func:`target`);
* ``eligibility``: the hot spot rules real trials wrote down (Operations Savvy/Style:
  crime band, radius, separation, buffer), with every excluded place and the rule it failed;
* ``eligible``: the eligible hot spots in the ``target`` table shape and
  ``excluded.csv`` (every candidate left out, with its rule);
* ``compare``: how the top places differ between two harm indices (overlap of
  the top k, rank correlation, places in one list only);
* ``evaluation``: check out of sample whether places chosen on earlier months
  still hold crime in later months (hit rate and Predictive Accuracy Index, PAI);
* ``export``: write the hot spot table as CSV, GeoJSON and GeoPackage, and the
  LSOA harm map.

Each default names its source where it is set. police.uk dates are months
only, so every time here is in whole months.
"""

from .compare import IndexComparison, compare_hotspots, format_comparison
from .eligible import BEYOND_K, EligibleHotspots, eligible_hotspots, format_eligibility
from .eligibility import (RULES, Eligibility, EligibilityRules, apply_eligibility,
                          eligibility_candidates)
from .evaluation import (METHODS, default_split, method_scores, out_of_sample, parse_months,
                         prospective_scores, select_by_coverage)
from .export import (format_local_harm, format_target, write_hotspots, write_lsoa_harm,
                     write_table)
from .ranking import (catchment_matrix, crime_values, micro_places, node_street_length,
                      place_totals, power_few_curve, score_places, score_values,
                      select_months, share_of_total_in_top)
from .selection import choose_hotspots, describe_catchments, greedy_separated, target
from .settings import LEVELS, RANK_BY, ProspectiveSettings, TargetSettings, parse_window

__all__ = [
    "BEYOND_K", "EligibleHotspots", "IndexComparison", "compare_hotspots",
    "eligible_hotspots", "format_comparison", "format_eligibility", "write_table",
    "RULES", "Eligibility", "EligibilityRules", "apply_eligibility", "eligibility_candidates",
    "LEVELS", "METHODS", "RANK_BY", "ProspectiveSettings", "TargetSettings",
    "catchment_matrix", "choose_hotspots", "crime_values", "default_split",
    "describe_catchments", "greedy_separated", "method_scores", "micro_places",
    "node_street_length", "out_of_sample", "parse_months", "parse_window", "place_totals",
    "power_few_curve", "prospective_scores", "score_places", "score_values",
    "select_by_coverage", "select_months", "share_of_total_in_top", "target",
    "write_hotspots", "write_lsoa_harm", "format_target", "format_local_harm",

]
