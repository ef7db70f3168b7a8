"""A sweep on a real multi-process Dask cluster equals the local backend's.

The test starts ``dask scheduler`` and ``dask worker`` as separate processes on
localhost (what a user runs on their machines, not a LocalCluster inside the test),
points ``hotspot-sim experiment --scheduler tcp://...`` at them, and compares the
result tables with those of the local backend for the same seeds.  The cluster is
torn down whatever happens.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from hotspot_sim.cli import main
from hotspot_sim.trial import load_experiment, run_experiment

from .conftest import ROOT
from .test_experiment import TINY

pytest.importorskip("distributed", reason="the Dask cluster test needs 'distributed' "
                                          "(pip install 'dask[distributed]')")

# the runner tests' tiny experiment: two runs of one day (a few crimes in each)
SMALL = TINY.replace('name = "tiny"', 'name = "cluster"').replace("days = 0.25", "days = 1") \
    .replace("replications = 2", "replications = 1")

START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dask_command(name: str) -> list[str]:
    """``dask scheduler`` / ``dask worker`` from this interpreter's environment."""
    return [sys.executable, "-m", "distributed.cli." + {"scheduler": "dask_scheduler",
                                                         "worker": "dask_worker"}[name]]


def wait_for_workers(address: str, n: int, procs: list[subprocess.Popen]) -> None:
    """Block until ``n`` workers joined the scheduler at ``address`` (or fail naming why)."""
    from distributed import Client

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        dead = [p.args for p in procs if p.poll() is not None]
        assert not dead, f"a cluster process exited at start: {dead}"
        try:
            with Client(address, timeout=2) as client:
                client.wait_for_workers(n, timeout=deadline - time.monotonic())
                return
        except (OSError, TimeoutError):
            time.sleep(0.3)
    pytest.fail(f"no {n} Dask worker(s) at {address} within {START_TIMEOUT_S:g} s")


def stop(procs: list[subprocess.Popen]) -> None:
    """Terminate the cluster processes, workers first, and reap them."""
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
    for p in reversed(procs):
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def test_sweep_on_a_separate_process_cluster_equals_local_backend(tmp_path, real_data):
    toml = tmp_path / "cluster.toml"
    toml.write_text(SMALL.format(scenario=ROOT / "scenarios" / "welwyn_hatfield.toml"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    # workers find the data through HOTSPOT_SIM_DATA, as they would on another machine
    env = {**os.environ, "HOTSPOT_SIM_DATA": str(real_data)}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env,
             "cwd": tmp_path}
    procs: list[subprocess.Popen] = []
    try:
        procs.append(subprocess.Popen(
            [*dask_command("scheduler"), "--host", "127.0.0.1", "--port", str(port),
             "--dashboard-address", ":0"], **quiet))
        procs.append(subprocess.Popen(
            [*dask_command("worker"), address, "--nworkers", "2", "--nthreads", "1",
             "--no-dashboard", "--local-directory", str(tmp_path / "dask-worker")], **quiet))
        wait_for_workers(address, 2, procs)
        status = main(["experiment", str(toml), "--scheduler", address,
                       "--out", str(tmp_path / "cluster"), "--quiet"])
        assert status == 0
    finally:
        stop(procs)
    assert all(p.returncode is not None for p in procs)
    local = run_experiment(load_experiment(toml), tmp_path / "local", workers=1, progress=False)
    compare_results(local, tmp_path / "cluster")


def compare_results(local: Path, cluster: Path) -> None:
    """The runs and spot-day tables of two results folders are equal (timings aside)."""
    runs_local = pd.read_parquet(local / "runs.parquet")
    runs_cluster = pd.read_parquet(cluster / "runs.parquet")
    keep = [c for c in runs_local.columns if c != "wall_seconds"]
    assert len(runs_local) == 2 and runs_local["crimes"].sum() > 0
    pd.testing.assert_frame_equal(runs_local[keep], runs_cluster[keep])
    pd.testing.assert_frame_equal(pd.read_parquet(local / "spotdays.parquet"),
                                  pd.read_parquet(cluster / "spotdays.parquet"))


class FakeClient:
    """Stands for a Dask client whose one worker has other code, data or no hotspot-sim."""

    def __init__(self, change: dict | None = None, error: Exception | None = None):
        self.change, self.error = change or {}, error

    def run(self, function, *args):
        if self.error:
            raise self.error
        return {"tcp://10.0.0.7:40000": {**function(*args), **self.change}}


@pytest.mark.parametrize("client, match", [
    (FakeClient(), None),
    (FakeClient({"code_version": "0.0.1+src.000000000000"}), r"10\.0\.0\.7.*code_version"),
    (FakeClient({"data": ["0123456789abcdef"]}), r"data.*HOTSPOT_SIM_DATA"),
    (FakeClient(error=ModuleNotFoundError("No module named 'hotspot_sim'")),
     "cannot run hotspot-sim.*hotspot_sim"),
])
def test_workers_with_other_code_or_data_are_refused(tmp_path, real_data, client, match):
    from hotspot_sim.errors import ConfigError
    from hotspot_sim.trial import make_tasks
    from hotspot_sim.trial.runner import check_workers

    toml = tmp_path / "cluster.toml"
    toml.write_text(SMALL.format(scenario=ROOT / "scenarios" / "welwyn_hatfield.toml"))
    exp = load_experiment(toml)
    if match is None:
        check_workers(client, exp, make_tasks(exp), None)
        return
    with pytest.raises(ConfigError, match=match):
        check_workers(client, exp, make_tasks(exp), None)
