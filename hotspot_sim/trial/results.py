"""An experiment's results folder read back, and refused when its runs are not the ones
its manifest describes (other settings, or some missing)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import ConfigError
from ..io import read_json, read_parquet


def load_results(folder: Path) -> tuple[pd.DataFrame, dict, pd.DataFrame | None]:
    """Runs, manifest and spot-days of an experiment folder, checked against each other.

    Parameters
    ----------
    folder : Path
        An experiment's results folder.

    Returns
    -------
    runs : pandas.DataFrame
        ``runs.parquet``.
    manifest : dict
        ``manifest.json``.
    spotdays : pandas.DataFrame or None
        ``spotdays.parquet``, None when there is none.

    Raises
    ------
    ConfigError
        If the runs do not match the manifest (other settings, or some missing).
    DataError
        If a file is damaged.
    """
    folder = Path(folder)
    runs_path = folder / "runs.parquet"
    if not runs_path.is_file() and not (folder / "manifest.json").is_file():
        raise ConfigError(f"{folder}: no runs.parquet; run 'hotspot-sim experiment' first")
    fix = (f"the experiment folder is damaged: run the experiment again into {folder} with "
           "--fresh (or delete the damaged file and run it again to redo only that)")
    manifest = read_json(folder / "manifest.json", fix)
    spot = folder / "spotdays.parquet"
    runs = read_parquet(runs_path, fix) if runs_path.is_file() else \
        pd.DataFrame({"task_id": [], "run_key": []})
    spotdays = read_parquet(spot, fix) if spot.is_file() else None
    _check_against_manifest(folder, manifest, runs, spotdays)
    return runs, manifest, spotdays


def _check_against_manifest(folder: Path, manifest: dict, runs: pd.DataFrame,
                            spotdays: pd.DataFrame | None) -> None:
    """Refuse results whose runs are not exactly the runs the manifest describes.

    Every run carries the key of the settings that made it
    (:func:`hotspot_sim.trial.runs.make_tasks`); a report mixing runs of other settings,
    or missing some, would describe an experiment that was never run.
    """
    tasks = manifest.get("tasks") if isinstance(manifest.get("tasks"), list) else []
    expected = {t.get("task_id"): t.get("run_key") for t in tasks if isinstance(t, dict)}
    again = (f"run the experiment again with --fresh (hotspot-sim experiment "
             f"{manifest.get('source', '<file>')} --out {folder} --fresh)")
    if not expected or None in expected.values() or "run_key" not in runs:
        raise ConfigError(f"{folder}: these results were made by an older hotspot-sim that did "
                          f"not record each run's settings, so they cannot be checked; {again}")
    for name, table in (("runs.parquet", runs), ("spotdays.parquet", spotdays)):
        if table is None:
            continue
        if "run_key" not in table:  # no key: cannot be the runs the manifest names
            table = table.assign(run_key=None)
        got = table.drop_duplicates("task_id").set_index("task_id")["run_key"]
        wrong = sorted(t for t, k in got.items() if expected.get(t) != k)
        if wrong:
            raise ConfigError(f"{folder}/{name}: {len(wrong)} run(s) were made with other "
                              f"settings than manifest.json describes (e.g. {wrong[0]}), so the "
                              f"report would mix them; {again}")
    missing = sorted(set(expected) - set(runs["task_id"]))
    if missing:
        quick = " --quick" if manifest.get("quick") else ""
        raise ConfigError(f"{folder}: {len(missing)} of {len(expected)} runs are missing (e.g. "
                          f"{missing[0]}): the experiment did not finish. It can be resumed, "
                          f"keeping the finished runs: hotspot-sim experiment "
                          f"{manifest.get('source', '<file>')}{quick} --out {folder}")
