"""Observed crime: read, clean, weight and aggregate police.uk street-level data.

The pipeline, each step in its own module::

    raw = read_police_uk(root, month_range("2021-01", "2021-10"))    # police_uk
    harm = load_harm_weights()                                       # harm
    crimes, report = clean_crimes(raw, bbox_bng, harm)               # cleaning
    crimes = snap_to_nodes(crimes, node_x, node_y, max_distance_m=100, report=report)
    per_node = aggregate_by_node(crimes, len(node_x), list(harm.index))
    per_lsoa = aggregate_by_lsoa(crimes)                             # lsoa

A force's own exports come in through TOML column mappings:
:func:`read_force_crimes` (``force_records``) gives the cleaned crime shape
with date-times, :func:`read_force_calls` (``force_calls``) the calls for
service; :func:`risk_profile` and :func:`call_demand` (``time_profiles``)
estimate the hour-of-day and weekday profiles from their times.

:func:`download_police_uk` (``download``) writes the bulk-download layout
from the data.police.uk API. ``datasets/`` holds the embedded Welwyn Hatfield
data used when ``HOTSPOT_SIM_DATA`` is unset.
"""

from .cleaning import (DropReport, aggregate_by_node, clean_crimes, concentration,
                       require_crimes, snap_to_nodes)
from .download import API_CATEGORIES, POLICE_UK_API, download_police_uk
from .force_records import ForceDropReport, ForceRecordsMapping, read_force_crimes, read_force_mapping
from .force_calls import CallDropReport, ForceCallsMapping, read_calls_mapping, read_force_calls
from .time_profiles import CallDemand, TimeProfile, call_demand, risk_profile
from .harm import DEFAULT_HARM_FILE, HARM_COLUMNS, load_harm_weights
from .lsoa import aggregate_by_lsoa, lsoa_harm_map, read_lsoa_boundaries
from .police_uk import POLICE_UK_COLUMNS, month_range, police_uk_path, read_police_uk

__all__ = [
    "API_CATEGORIES", "DEFAULT_HARM_FILE", "DropReport", "HARM_COLUMNS", "POLICE_UK_API",
    "POLICE_UK_COLUMNS", "aggregate_by_lsoa", "aggregate_by_node", "clean_crimes",
    "concentration", "download_police_uk", "load_harm_weights", "lsoa_harm_map",
    "month_range", "police_uk_path", "read_lsoa_boundaries", "read_police_uk",
    "require_crimes", "snap_to_nodes",
    "ForceDropReport", "ForceRecordsMapping", "read_force_crimes", "read_force_mapping",
    "CallDropReport", "ForceCallsMapping", "read_calls_mapping", "read_force_calls",
    "CallDemand", "TimeProfile", "call_demand", "risk_profile",
]
