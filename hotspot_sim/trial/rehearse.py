"""Rehearse a designed trial: simulate it following the pack's own schedule, export its files.

``trial design`` writes a pack (``schedule.csv``, ``hotspots.csv``, ...).  Before the
real trial starts, :func:`rehearse_pack` simulates it on the study's streets and crime:
the officers patrol the pack's hot spots on exactly the days the schedule treats them
(policy :class:`ScheduledPatrol`), from the schedule's first date, and the run's GPS
pings and crimes are written in ``track``'s formats.  ``trial
analyse --schedule PACK/schedule.csv --gps gps.csv --crimes crimes.csv`` then runs the
analysis the protocol promises, end to end, on data shaped like the real trial's.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..io import write_text
from ..sim.policies.hotspot import CrossoverPatrol

POLICY = "hotspot_sim.trial.rehearse:ScheduledPatrol"
"""The policy's name for :func:`hotspot_sim.sim.policies.get_policy`."""
MAX_SNAP_M = 150.0
"""Farthest a pack's hot spot centre may lie from the street network (the crime snapping
distance of the shipped scenarios): farther, it is not a place of this study area."""


class ScheduledPatrol(CrossoverPatrol):
    """Patrol a trial pack's hot spots on the days its schedule treats them.

    Each treated spot-day gets the schedule's ``visits`` visits of ``planned_minutes /
    visits`` minutes at random times in the patrol window; between visits officers go
    back to the station or walk (``between``, as ``crossover_patrol``).  Parameter
    ``schedule``: the pack's ``schedule.csv``, with its ``hotspots.csv`` beside it.
    """

    name = "scheduled_patrol"
    defaults = {**CrossoverPatrol.defaults, "schedule": ""}

    def setup(self) -> None:
        """Read the pack, take its dose, then set up as ``crossover_patrol`` (plan day 0).

        Raises
        ------
        ConfigError
            No schedule given, a schedule starting on another date than the model, a
            hot spot off the network, or two hot spots on one street node.
        """
        plan, self._pack_hotspots = read_pack(self.params["schedule"])
        start = pd.Timestamp(plan["date"].min())
        if start != pd.Timestamp(self.model.start).normalize():
            raise ConfigError(f"policy {self.name!r}: the schedule starts on {start:%Y-%m-%d} but "
                              f"the model on {self.model.start:%Y-%m-%d}; set scenario.start = "
                              f"\"{start:%Y-%m-%dT00:00}\"")
        # the hot spots keep the pack's order (choose_hotspots), so flags line up with them
        self._treated = _treated_by_day(plan, self._pack_hotspots["hotspot_id"].to_numpy())
        self.params = {**self.params, **_scheduled_dose(plan, self.params["schedule"])}
        super().setup()

    def choose_hotspots(self) -> pd.DataFrame:
        """The pack's hot spots, each at the street node nearest its centre."""
        return _on_network(self._pack_hotspots, self.model.study.network,
                           self.params["schedule"])

    def on_day_start(self, day: int) -> None:
        self.schedule_day(day, self._treated.get(day, np.zeros(len(self.nodes), bool)))


def read_pack(schedule: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A pack's schedule and the ``hotspots.csv`` beside it.

    Parameters
    ----------
    schedule : str or Path
        The pack's ``schedule.csv``.

    Returns
    -------
    plan, hotspots : pandas.DataFrame
        :func:`hotspot_sim.track.inputs.read_plan_csv` (with ``visits`` when the file
        has it) and the scheduled hot spots of
        :func:`hotspot_sim.track.inputs.read_hotspots_csv` (others, e.g. reserves,
        are left out: :func:`hotspot_sim.trial.field.trial_hotspots`).

    Raises
    ------
    ConfigError
        No schedule given.
    DataError
        A file that is missing or cannot be used, or a scheduled hot spot that is not
        in ``hotspots.csv``.
    """
    from ..track.inputs import read_hotspots_csv, read_plan_csv
    from .field import check_schedule, raw_columns, trial_hotspots

    if not str(schedule):
        raise ConfigError("policy 'scheduled_patrol': give params.schedule = the trial pack's "
                          "schedule.csv")
    schedule = Path(schedule)
    plan = read_plan_csv(schedule)
    check_schedule(plan, schedule)
    raw = raw_columns(schedule)
    if "visits" in raw:
        plan["visits"] = pd.to_numeric(raw["visits"], errors="coerce").to_numpy()
    hotspots = schedule.parent / "hotspots.csv"
    if not hotspots.is_file():
        raise DataError(f"{hotspots}: not found; a trial pack has hotspots.csv beside "
                        "schedule.csv")
    scheduled, _ = trial_hotspots(read_hotspots_csv(hotspots), plan, hotspots)
    return plan, scheduled


def _on_network(hotspots: pd.DataFrame, network, where) -> pd.DataFrame:
    """The hot spots with the street node nearest their centre (``node``)."""
    node, dist = network.nearest_nodes(hotspots["x"].to_numpy(float),
                                       hotspots["y"].to_numpy(float))
    far = dist > MAX_SNAP_M
    if far.any():
        i = int(np.flatnonzero(far)[0])
        raise ConfigError(f"{where}: hot spot {hotspots['hotspot_id'].iloc[i]!r} lies "
                          f"{dist[i]:,.0f} m from the nearest street of the study area (over "
                          f"{MAX_SNAP_M:g} m); rehearse the pack on the scenario it was "
                          "designed on")
    if len(set(node)) < len(node):
        raise ConfigError(f"{where}: two hot spots share the street node nearest their centres; "
                          "a trial's hot spots must be distinct places")
    return hotspots.assign(node=node).reset_index(drop=True)


def _scheduled_dose(plan: pd.DataFrame, where) -> dict:
    """``visits`` and ``dose_minutes`` (per visit) of the schedule's treated spot-days.

    Raises
    ------
    ConfigError
        The treated spot-days have different doses: the rehearsal gives each one dose,
        and taking the largest would rehearse another trial than the schedule's.
    """
    treated = plan[plan["treated"]]
    visits = pd.to_numeric(treated.get("visits", 1), errors="coerce")
    doses = pd.DataFrame({"minutes": treated["planned_minutes"].to_numpy(float),
                          "visits": np.broadcast_to(visits, len(treated))}).drop_duplicates()
    if len(doses) > 1:
        raise ConfigError(f"{where}: the treated spot-days have {len(doses)} different doses "
                          f"({_dose_list(doses)}); a rehearsal gives "
                          "every treated spot-day the same dose. Rehearse a schedule with one "
                          "dose (as 'trial design' writes)")
    visits = int(np.nanmax(np.r_[visits, 1]))
    minutes = treated["planned_minutes"].max() / visits
    return {"visits": visits, "dose_minutes": max(1, int(round(minutes)))}


def _dose_list(doses: pd.DataFrame) -> str:
    """'15 planned minutes in 1 visit(s), ...' (at most 5)."""
    shown = [f"{m:g} planned minutes in {v:g} visit(s)" for m, v in doses.head(5).itertuples(index=False)]
    return ", ".join(shown) + (f" and {len(doses) - 5} more" if len(doses) > 5 else "")


def _treated_by_day(plan: pd.DataFrame, ids: np.ndarray) -> dict[int, np.ndarray]:
    """Each schedule day's treated flags, in the order of ``ids``."""
    position = {h: i for i, h in enumerate(ids)}
    out: dict[int, np.ndarray] = {}
    for day, rows in plan.groupby("day"):
        flags = np.zeros(len(ids), bool)
        for h, t in zip(rows["hotspot_id"], rows["treated"]):
            flags[position[h]] = bool(t)
        out[int(day)] = flags
    return out


def rehearse_pack(schedule: str | Path, out: str | Path, scenario=None, seed: int = 1,
                  between: str = "station", ping_every_min: int = 1,
                  officers=None, days: int | None = None) -> dict[str, Path]:
    """Simulate a designed trial following its schedule; write the real trial's files.

    The folder ``out`` then holds what a force hands in after a real trial, in the
    formats ``trial analyse`` reads: the schedule (its first ``days`` days), the pack's
    hot spots (and its ``design.json``, so the analysis follows the pack's design), the
    officers' GPS pings and the crimes, plus ``rehearsal.json`` saying how they were made.
    The figures are the model's: a rehearsal checks the pack's logistics and the
    analysis, it is not evidence of an effect.

    Parameters
    ----------
    schedule : str or Path
        The pack's ``schedule.csv`` (``hotspots.csv`` beside it).
    out : str or Path
        Folder for the files (created).
    scenario : Scenario, optional
        The study to simulate on (default: :func:`rehearsal_scenario`, the pack's).
    seed : int
        The simulation's seed.
    between : {"station", "walk"}
        What officers do between visits (``crossover_patrol``'s ``between``): wait at
        the station (its default; Southend's control hot spots got about 2 minutes a
        day, Basford et al. 2021) or walk the streets (ordinary patrol; Peterborough's
        about 16, Ariel et al. 2016).
    ping_every_min, officers
        As :func:`hotspot_sim.track.export.export_trial`.
    days : int, optional
        Rehearse only the schedule's first ``days`` days (default: all of them).

    Returns
    -------
    dict of Path
        ``schedule``, ``hotspots``, ``gps``, ``crimes``, ``rehearsal`` and ``design``
        when the pack has a ``design.json``.

    Raises
    ------
    ConfigError, DataError
        A pack that cannot be simulated (see :class:`ScheduledPatrol`), ``days``
        outside the schedule or leaving out one arm, or an officer id no officer has.
    """
    from ..sim.model import PatrolModel
    from ..study import load_study

    schedule = Path(schedule)
    plan, _ = read_pack(schedule)
    n_days = rehearsal_days(plan, days, schedule)
    if scenario is None:
        scenario = rehearsal_scenario(schedule.parent)
    start = pd.Timestamp(plan["date"].min())
    scenario = scenario.replace({"scenario.start": f"{start:%Y-%m-%dT00:00}",
                                 "scenario.seed": int(seed)})
    model = PatrolModel(scenario, load_study(scenario), policy=POLICY, build_space=False,
                        policy_params={"schedule": str(schedule), "between": between})
    _check_officers(officers, model)
    model.run_days(n_days)
    out = Path(out)
    files = _exported_files(model, out, ping_every_min, officers)
    files["schedule"] = write_schedule_days(schedule, plan, n_days, out / "schedule.csv")
    files.update(_copy_pack_files(schedule.parent, out))
    record = {"pack": str(schedule.parent), "days": n_days, "of_days": int(plan["day"].max()) + 1,
              "first_date": f"{start:%Y-%m-%d}", "seed": int(seed),
              "scenario": scenario.scenario.name, "between": between,
              "ping_every_min": int(ping_every_min),
              "officers": None if officers is None else [_plain(o) for o in officers],
              "note": REHEARSAL_NOTE}
    files["rehearsal"] = out / "rehearsal.json"
    write_text(files["rehearsal"], json.dumps(record, indent=2) + "\n")
    order = ("schedule", "hotspots", "gps", "crimes", "design", "rehearsal")
    return {name: files[name] for name in order if name in files}


REHEARSAL_NOTE = ("simulated by hotspot-sim following the pack's schedule: the model's figures, "
                  "a check of the pack's logistics and of the analysis, not evidence of an effect")


def rehearsal_days(plan: pd.DataFrame, days: int | None, where) -> int:
    """How many of the schedule's days to rehearse: ``days``, checked, or all of them.

    Parameters
    ----------
    plan : pandas.DataFrame
        The schedule (``day, treated``).
    days : int or None
        Days asked for (None: all).
    where : str or Path
        The schedule, for messages.

    Returns
    -------
    int

    Raises
    ------
    ConfigError
        ``days`` below 1 or beyond the schedule, or days with only one arm (the
        analysis compares treated and control spot-days).
    """
    total = int(plan["day"].max()) + 1
    if days is None:
        return total
    if not 1 <= int(days) <= total:
        raise ConfigError(f"days = {days}: rehearse 1 to {total} days, the days of {where}")
    arms = set(plan.loc[plan["day"] < int(days), "treated"].astype(bool))
    if len(arms) < 2:
        missing = "control" if True in arms else "treated"
        raise ConfigError(f"days = {days}: the first {days} day(s) of {where} have no "
                          f"{missing} spot-day, so the analysis cannot compare the arms; "
                          "rehearse more days")
    return int(days)


def write_schedule_days(schedule: Path, plan: pd.DataFrame, n_days: int, path: Path) -> Path:
    """The schedule's rows of its first ``n_days`` days, as the file has them.

    Parameters
    ----------
    schedule : Path
        The pack's ``schedule.csv``.
    plan : pandas.DataFrame
        It read (:func:`read_pack`; ``day`` counted from the first date, in file order).
    n_days : int
        Days kept.
    path : Path
        The file to write (its folder exists).

    Returns
    -------
    Path
    """
    from ..io import write_csv
    from .field import raw_columns

    if n_days > int(plan["day"].max()):
        return Path(shutil.copyfile(schedule, path))  # the whole schedule, byte for byte
    raw = raw_columns(schedule)
    return write_csv(raw[(plan["day"] < n_days).to_numpy()], path)


def _check_officers(officers, model) -> None:
    """``officers`` must be ids of the model's officers, checked before the simulation runs.

    Raises
    ------
    ConfigError
        An id no officer has (no ping of it would be written).
    """
    if officers is None:
        return
    n, patrol = len(model.all_officers), len(model.officer_agents)
    unknown = [o for o in officers if not 0 <= int(o) < n]
    if unknown:
        raise ConfigError(f"officers {', '.join(map(str, unknown))}: no such officer; the "
                          f"scenario's officers are 0 to {n - 1} (patrol officers 0 to "
                          f"{patrol - 1}, response cars {patrol} to {n - 1})")


def _exported_files(model, out: Path, ping_every_min: int, officers) -> dict[str, Path]:
    """The run's GPS pings (on duty) and crimes as ``gps.csv`` and ``crimes.csv`` in ``out``."""
    from ..sim.outputs import write_run
    from ..track.export import export_trial

    with tempfile.TemporaryDirectory() as tmp:
        write_run(model, Path(tmp) / "run")
        files = export_trial(Path(tmp) / "run", Path(tmp) / "files",
                             ping_every_min=ping_every_min, officers=officers,
                             on_duty_only=True)
        out.mkdir(parents=True, exist_ok=True)
        return {name: Path(shutil.copyfile(files[name], out / f"{name}.csv"))
                for name in ("gps", "crimes")}


def _copy_pack_files(pack: Path, out: Path) -> dict[str, Path]:
    """The pack's ``hotspots.csv`` and ``design.json`` (when there) copied into ``out``.

    A ``design.json`` left in ``out`` by an earlier rehearsal of another pack is
    removed: ``trial analyse`` would follow its design.
    """
    copied = {}
    for name, file in (("hotspots", "hotspots.csv"), ("design", "design.json")):
        if (pack / file).is_file():
            copied[name] = Path(shutil.copyfile(pack / file, out / file))
        else:
            (out / file).unlink(missing_ok=True)
    return copied


def _plain(value):
    """A numpy scalar as its Python value (for JSON)."""
    return value.item() if hasattr(value, "item") else value


DEFAULT_SCENARIO = "welwyn_hatfield"
"""The study a pack without a ``design.json`` is rehearsed on (the shipped scenario)."""


def rehearsal_scenario(pack: str | Path, given: str | Path | None = None):
    """The scenario to rehearse a pack on: ``given``, else the pack's, else the default.

    Parameters
    ----------
    pack : str or Path
        The pack's folder (its ``design.json`` names the scenario it was designed on).
    given : str or Path, optional
        A shipped scenario's name or a scenario file.

    Returns
    -------
    Scenario

    Raises
    ------
    ConfigError
        The scenario cannot be found (naming the pack's ``design.json`` when the name
        came from there).
    """
    from ..locations import resolve_toml
    from ..settings import load_scenario
    from .field import pack_design

    name = given or pack_design(pack).get("scenario") or DEFAULT_SCENARIO
    try:
        return load_scenario(resolve_toml(name, "scenarios"))
    except ConfigError as exc:
        if given:
            raise
        raise ConfigError(f"{Path(pack) / 'design.json'}: the pack was designed on scenario "
                          f"{name!r}, which is not a shipped scenario; give its file with "
                          f"--scenario FILE.toml ({exc})") from None
