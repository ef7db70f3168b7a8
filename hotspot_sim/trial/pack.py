"""Write the trial pack a force hands to officers and pre-registers.

:func:`write_pack` writes, from a :class:`~hotspot_sim.trial.design.TrialPlan`:

``schedule.csv``
    ``date, day, hotspot_id, treated, planned_minutes, visits, block``: the
    ``track --plan`` format (:func:`hotspot_sim.track.read_plan_csv` reads it);
    ``block`` = the stratum of the draw (the day in a crossover, the pair in the block
    design, 0 in a parallel design).
``hotspots.csv``
    ``rank, hotspot_id, x, y, lon, lat, radius_m, crimes, baseline_per_day, arm,
    block, treated_days`` and the chosen table's other columns: the ``track
    --hotspots`` format (:func:`hotspot_sim.track.read_hotspots_csv`).
``design.json``
    Design, seed, dates, dose, hot spots, scenario, versions, power, hours and
    cost, the pre-registered analysis and the schedule's SHA-256.
``geofences.geojson``, ``geofences.gpx``
    :mod:`.geofences`.
``protocol.md``, ``protocol.html``
    :mod:`.protocol`.

Nothing in the pack depends on the time it was written: the same inputs give the
same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .design import TrialPlan

PACK_FILES = ("schedule.csv", "hotspots.csv", "design.json", "geofences.geojson",
              "geofences.gpx", "protocol.md", "protocol.html")
_FIRST_COLUMNS = ["rank", "hotspot_id", "x", "y", "lon", "lat", "radius_m", "crimes",
                  "baseline_per_day", "arm", "block", "treated_days"]


def write_pack(plan: TrialPlan, folder, command: str = "",
               start_note: str = "given") -> dict[str, Path]:
    """Write the seven files of the pack into ``folder`` (created if needed).

    Parameters
    ----------
    plan : TrialPlan
        From :func:`~hotspot_sim.trial.design.design_trial` (or
        :func:`~hotspot_sim.trial.design.plan_trial` with ``scenario``,
        ``hotspot_source`` and ``baseline`` set).
    folder : str or Path
        Output folder.
    command : str
        The command that re-makes the schedule, quoted in the protocol and
        ``design.json`` (empty: the protocol names the design and seed instead).
    start_note : str
        How the start date was set (e.g. "default: the next Monday after ...").

    Returns
    -------
    dict
        File name -> path, in the order of :data:`PACK_FILES`.
    """
    from ..io import write_csv, write_text
    from .geofences import geofences_geojson, geofences_gpx, geojson_text
    from .protocol import protocol_html, protocol_markdown

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / name for name in PACK_FILES}
    write_csv(plan.schedule, paths["schedule.csv"])
    write_csv(_hotspot_columns(plan), paths["hotspots.csv"])
    info = {"title": pack_title(plan), "command": command, "start_note": start_note,
            "version": _versions()["hotspot_sim"],
            "schedule_sha256": hashlib.sha256(paths["schedule.csv"].read_bytes()).hexdigest()}
    write_text(paths["design.json"], json.dumps(design_record(plan, info), indent=2) + "\n")
    write_text(paths["geofences.geojson"], geojson_text(geofences_geojson(plan.hotspots)))
    write_text(paths["geofences.gpx"],
               geofences_gpx(plan.hotspots, f"{info['title']} hot spots"))
    text = protocol_markdown(plan, info)
    write_text(paths["protocol.md"], text)
    write_text(paths["protocol.html"], protocol_html(text, f"Trial protocol: {info['title']}"))
    return paths


def pack_title(plan: TrialPlan) -> str:
    """The place a pack is for, from its scenario's name ('welwyn_hatfield' -> 'Welwyn
    Hatfield')."""
    return plan.scenario.replace("_", " ").title() or "the study area"


def design_record(plan: TrialPlan, info: dict) -> dict:
    """What ``design.json`` holds (plain JSON types).

    Parameters
    ----------
    plan : TrialPlan
    info : dict
        ``command``, ``start_note`` and ``schedule_sha256`` (see :func:`write_pack`).

    Returns
    -------
    dict
    """
    from .protocol import analysis_plan

    d = plan.design
    ids = [v.item() if hasattr(v, "item") else v for v in plan.hotspots["hotspot_id"]]
    return {
        "design": d.design, "seed": d.seed,
        "randomisation": "numpy.random.default_rng(numpy.random.SeedSequence(seed)) (PCG64), "
                         "hotspot_sim.trial.power._assign",
        "start_date": d.start.isoformat(), "end_date": d.dates[-1].date().isoformat(),
        "start_date_note": info["start_note"],
        "days": d.days, "dose_minutes": d.minutes, "visits": d.visits,
        "planned_minutes_per_treated_spot_day": d.minutes * d.visits,
        "treat_share": d.share, "block_size": d.block_size if d.design == "block" else None,
        "hotspot_count": len(ids), "hotspot_ids": ids,
        "hotspot_source": plan.hotspot_source, "scenario": plan.scenario,
        "baseline": {"data": plan.baseline, "days": plan.baseline_days,
                     "mean_crimes_per_spot_day":
                         float(plan.hotspots["baseline_per_day"].mean())},
        "code_version": _versions(),
        "power": plan.power, "resources": plan.resources,
        "analysis": analysis_plan(d.design),
        "schedule_sha256": info["schedule_sha256"], "command": info["command"],
        "files": list(PACK_FILES),
    }


def _hotspot_columns(plan: TrialPlan):
    """The hot spot table with the pack's columns first."""
    t = plan.hotspots
    first = [c for c in _FIRST_COLUMNS if c in t]
    return t[first + [c for c in t.columns if c not in first]]


def _versions() -> dict:
    """hotspot-sim's and numpy's versions (numpy's draws make the schedule)."""
    import numpy as np

    from .. import __version__

    return {"hotspot_sim": __version__, "numpy": np.__version__}


__all__ = ["PACK_FILES", "design_record", "pack_title", "write_pack"]
