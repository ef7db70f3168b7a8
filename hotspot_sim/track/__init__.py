"""Track: measure the patrol dose officers actually delivered, from GPS pings.

The third of Sherman's (2013) three Ts: *track* whether officers did what was
decided, from the GPS of their mobile devices, and report it back.  Everything
here works from the ping log alone (officer, time, x, y and, if the force
records it, a status) and imports nothing from the simulation, so the same code
reads a simulated run folder or a real trial's exports:

* :mod:`.inputs` reads external CSV files into the run folder's frames
  (:func:`read_gps_csv`, :func:`read_crimes_csv`, :func:`read_hotspots_csv`,
  :func:`read_plan_csv`); :mod:`.input_checks` checks that they belong together
  (:func:`check_inputs`, :func:`check_plan`);
* :mod:`.presence` finds the hot spot each ping is in (:func:`presence`) and
  joins consecutive pings into visits (:func:`visits`);
* :mod:`.dose` compares the delivered dose with the plan (:func:`dose_by_day`,
  :func:`compliance`; Basford et al. 2021 report 98% compliance; Ariel et al.
  2016 measured 37 vs 16 minutes a day at treatment vs control hot spots);
* :mod:`.survival` follows each visit to the next crime at the hot spot
  (:func:`residual_deterrence`, :func:`kaplan_meier`; Koper 1995: about 15%
  chance of crime within 30 minutes after a drive-through, about 4% after a
  10-16 minute stop);
* :mod:`.zones` is the one zoning of crimes (hot spot, catchment rings,
  elsewhere) and the one weighted displacement quotient (Bowers & Johnson
  2003), used by the experiment runner too (:func:`zone_crimes`,
  :func:`displacement`, :func:`displacement_quotient`);
* :mod:`.export` writes a simulated trial's run folder as the real trial's CSV
  files (:func:`export_trial`), for ``trial analyse``;
* :mod:`.report` does all of it for a run folder or a set of frames
  (:func:`track_run`, :func:`track_frames`) and writes or prints the tables;
  a run folder's ``gps.parquet`` is read a row group at a time (:mod:`.run_gps`),
  so a year of pings is never one table in memory.

Times: every frame has ``time`` (naive local date-times) and ``tick``
(minutes since an origin).  Days are counted from ``origin``, a midnight: for a
run folder the run start's date (the ``day`` of ``dose_plan.parquet``), for
external files the first midnight on or before the earliest GPS time.
Durations and day boundaries are computed from ``time``, so frames read with
different tick origins still line up.
"""

from .dose import (CALL_STATUS, COMPLIANT_SHARE, OFF_STATUS, call_minutes_by_day, compliance,
                   dose_by_day)
from .export import export_trial
from .input_checks import (AREA_MARGIN_M, STRAY_GAP_DAYS, STRAY_RATIO, WARNING_COLUMNS,
                           check_inputs, check_plan, stray_times)
from .inputs import (DAY_MIN, LINE, day_origin, minutes_since, read_crimes_csv, read_gps_csv,
                     read_hotspots_csv, read_plan_csv, ticks_from)
from .presence import (DEFAULT_MAX_GAP_MIN, DEFAULT_RADIUS_M, hotspot_radii, nearest_hotspot,
                       ping_minutes, presence, visits)
from .report import format_track, read_run, track_frames, track_run, write_tables
from .survival import (DEFAULT_HORIZON_MIN, FOLLOW_UP_MIN, LENGTH_BINS, bin_labels, follow_up,
                       kaplan_meier, median_survival, presence_spells, residual_deterrence,
                       survival_at)
from .zones import (MIN_CRIMES, DisplacementQuotient, Zoning, displacement, displacement_quotient,
                    ring_labels, wdq_reading, weighted_displacement, zone_columns, zone_crimes,
                    zone_names)

__all__ = [
    # inputs and their checks
    "read_gps_csv", "read_crimes_csv", "read_hotspots_csv", "read_plan_csv", "day_origin",
    "ticks_from", "minutes_since", "check_inputs", "check_plan", "stray_times",
    # presence and dose
    "hotspot_radii", "nearest_hotspot", "ping_minutes", "presence", "visits", "dose_by_day",
    "call_minutes_by_day", "compliance",
    # residual deterrence
    "kaplan_meier", "survival_at", "median_survival", "bin_labels", "presence_spells",
    "follow_up", "residual_deterrence",
    # zones and displacement
    "Zoning", "zone_crimes", "zone_names", "zone_columns", "ring_labels", "displacement",
    "weighted_displacement", "DisplacementQuotient", "displacement_quotient", "wdq_reading",
    # whole runs
    "track_frames", "read_run", "track_run", "write_tables", "format_track", "export_trial",
    # settings
    "DEFAULT_RADIUS_M", "DEFAULT_MAX_GAP_MIN", "LENGTH_BINS", "FOLLOW_UP_MIN",
    "DEFAULT_HORIZON_MIN", "COMPLIANT_SHARE", "CALL_STATUS", "OFF_STATUS", "DAY_MIN", "LINE",
    "AREA_MARGIN_M", "STRAY_GAP_DAYS", "STRAY_RATIO", "WARNING_COLUMNS", "MIN_CRIMES",
]
