"""Scale and memory of the simulation, with its speed anchors side by side (issue 14).

Prints figures; asserts nothing.  Every figure below is printed in the final
table next to its target:

================================================================  ==========  ==========
figure                                                            issue "now"  target
================================================================  ==========  ==========
default scenario, 1 simulated year, peak RSS                      ~850 MB     <= 300 MB
default scenario, time per simulated minute vs bare numba floor   ~1.1x       <= 1.0x
130k-node network, 7 days, peak RSS                               ~3.7 GB     <= 1 GB
>= 300k nodes, 200 officers, 5,000 offenders, 30 days             not possible <= 2 GB,
                                                                              time <= 30x the
                                                                              default's 30 days
validate --quick / 2-worker experiment --quick peak RSS (largest) ~1.8/~1 GB  <= 1 GB / 500 MB
sweep, 2 workers vs 1                                             ~1.75x      >= 1.9x
per-run overhead in a sweep (90 days)                             ~40%        <= 10%
================================================================  ==========  ==========

The last two rows are measured by ``benchmarks/bench_sweep.py``; the ``validate`` and
``experiment`` rows only with ``--cli-runs`` (they take minutes).

What runs
---------
1. **Anchors, in this process, on one network and one simulated span** (default: the
   ``welwyn_hatfield`` scenario, 30 days):

   * the project: ``PatrolModel(..., build_space=False).run_days(days)`` after a first
     simulated day that compiles or loads the kernels (reported apart);
   * the floor: a bare numba loop moving the same number of walkers (officers + offenders)
     one minute per step on the same CSR street graph, same edge lengths and speeds,
     choosing a random edge at each node;
   * plain Mesa: the same walk as ``mesa.Agent`` subclasses on a ``mesa.Model`` with a
     NetworkX graph (what a user would write without this project), run for a shorter
     span (``--mesa-days``) and scaled per simulated minute.

   Times are per simulated minute, wall and CPU (the machine is shared: CPU time is the
   steadier one), with the ratios project/floor and Mesa/project.
2. **Peak RSS per scale, each in its own process** (peaks do not mix; the peak of a
   process and everything it waited for comes from ``os.wait4``): the default scenario
   for a year, a synthetic 130k-node grid (10x Welwyn Hatfield) for 7 days, a >= 300k-node
   grid with 200 officers and 5,000 offenders for 30 days, and the default scenario for
   30 days (the county case's time is given as a multiple of it).  Crime on the grids has
   the real data's concentration (:func:`realistic_crime_study`).  The synthetic grids are built
   once in a process of their own and cached (``$HOTSPOT_SIM_CACHE/bench_scale``), so
   building them with NetworkX does not count in the model's peak.  A watchdog kills a
   case whose resident memory passes ``--mem-cap-gb`` or which runs longer than
   ``--time-cap``, and the case is reported as "did not fit" (an address-space rlimit would
   stop numba/LLVM processes whose resident memory is far below the cap).  Each case also
   prints where its memory went: routing tables, the static network arrays, the kernels'
   log buffers, the logs kept until the end, imports.
3. **Start-up**: time and peak RSS of ``hotspot-sim run --help``, of
   ``import hotspot_sim.sim.model``, and of a sweep worker's first task (a fresh process
   running one 1-day task of ``experiments/policy_comparison.toml``), and which heavy
   libraries each start-up imports.

Usage::

    HOTSPOT_SIM_DATA=... HOTSPOT_SIM_CACHE=... .venv/bin/python benchmarks/bench_scale.py
        [--quick] [--skip-county] [--days 30] [--mesa-days 1] [--mem-cap-gb 8] [--cli-runs]

``--quick`` runs everything small (about 2 minutes); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HEAVY_MODULES = ("matplotlib", "folium", "statsmodels", "dask", "distributed", "geopandas",
                 "osmnx", "shapely", "pyproj", "pyarrow", "scipy", "numba", "pandas", "mesa",
                 "networkx", "simpy")
MB = 1024 * 1024


def say(msg: str) -> None:
    """A progress line on stderr (stdout carries the figures)."""
    print(f"[bench_scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def proc_status_mb(field: str) -> float:
    """``VmRSS`` / ``VmHWM`` (peak) of this process from /proc/self/status, in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------------- networks

def concentrated_crime_study(scenario, network, n_crimes: int, seed: int = 0):
    """A synthetic study: crimes concentrated Zipf-like on 12,000 places (as bench_core).

    Parameters
    ----------
    scenario : Scenario
        Sets the harm weights.
    network : StreetNetwork
        E.g. a synthetic grid.
    n_crimes : int
        Recorded crimes to place.
    seed : int
        Seed of the places and crimes.

    Returns
    -------
    Study
    """
    from hotspot_sim.study import synthetic_study

    rng = np.random.default_rng(seed)
    places = rng.choice(network.n_nodes, size=min(12_000, network.n_nodes), replace=False)
    weight = 1.0 / np.arange(1, len(places) + 1)
    crime_nodes = rng.choice(places, size=n_crimes, p=weight / weight.sum())
    return synthetic_study(scenario, network, crime_nodes)


def realistic_crime_study(scenario, network, seed: int = 0):
    """A synthetic study with the real data's concentration of crime.

    The Zipf placement above puts a tenth of all crime on one node (the real Welwyn
    Hatfield top node has 1.4%), so offenders at a county grid's top places offended
    nearly every minute and the county case measured that rather than the model at
    county scale.  Here the same share of nodes as in the scenario's real data has
    crime, each with a count drawn from the real per-node counts.

    Parameters
    ----------
    scenario : Scenario
        Its real study (police.uk on its network) gives the distribution.
    network : StreetNetwork
        E.g. a synthetic grid.
    seed : int
        Seed of the places and counts.

    Returns
    -------
    Study
    """
    from hotspot_sim.study import load_study, synthetic_study

    real = load_study(scenario)
    counts = np.bincount(real.crimes["node"].to_numpy(), minlength=real.network.n_nodes)
    observed = counts[counts > 0]
    rng = np.random.default_rng(seed)
    n_places = round(len(observed) / real.network.n_nodes * network.n_nodes)
    places = rng.choice(network.n_nodes, size=n_places, replace=False)
    crime_nodes = np.repeat(places, rng.choice(observed, size=n_places))
    return synthetic_study(scenario, network, crime_nodes)


def grid_side(n_nodes: int) -> int:
    """Side of a square grid with at least ``n_nodes`` nodes."""
    return int(np.ceil(np.sqrt(n_nodes)))


def grid_path(n_nodes: int) -> Path:
    cache = Path(os.environ.get("HOTSPOT_SIM_CACHE", ROOT / ".cache" / "hotspot-sim"))
    return cache / "bench_scale" / f"grid_{grid_side(n_nodes)}.npz"


def make_grid(n_nodes: int) -> Path:
    """Build (once) and cache a synthetic street grid of about ``n_nodes`` nodes.

    45 m spacing and 30% of the non-tree edges dropped, as bench_core's "nodes x10" case.
    """
    from hotspot_sim.network import synthetic_grid

    path = grid_path(n_nodes)
    if not path.is_file():
        side = grid_side(n_nodes)
        say(f"building a {side}x{side} synthetic grid (NetworkX; cached for next time)")
        path.parent.mkdir(parents=True, exist_ok=True)
        synthetic_grid(side, side, spacing_m=45.0, drop_fraction=0.3, seed=3).save(path)
    return path


# ---------------------------------------------------------------------------- anchors

def floor_kernel():
    """The bare numba walk (compiled on first call)."""
    import numba

    @numba.njit(cache=False)
    def walk(indptr, indices, elen, speed, node, nxt, prog, edge_len, minutes, seed):
        np.random.seed(seed)
        for _ in range(minutes):
            for i in range(node.shape[0]):
                budget = speed[i]
                while budget > 0.0:
                    if nxt[i] < 0:
                        lo, hi = indptr[node[i]], indptr[node[i] + 1]
                        e = lo + int(np.random.random() * (hi - lo))
                        nxt[i] = indices[e]
                        edge_len[i] = elen[e]
                        prog[i] = 0.0
                    left = edge_len[i] - prog[i]
                    if budget < left:
                        prog[i] += budget
                        break
                    budget -= left
                    node[i] = nxt[i]
                    nxt[i] = -1
        return node.sum()

    return walk


def walker_start(network, speeds: np.ndarray, seed: int):
    """Start nodes (with at least one street) and per-walker state arrays."""
    rng = np.random.default_rng(seed)
    connected = np.flatnonzero(np.diff(network.indptr) > 0)
    node = rng.choice(connected, size=len(speeds)).astype(np.int64)
    return node, np.full(len(speeds), -1, np.int64), np.zeros(len(speeds)), np.zeros(len(speeds))


def time_floor(network, speeds: np.ndarray, minutes: int) -> dict:
    """Compile, then time the bare numba walk over ``minutes``."""
    walk = floor_kernel()
    args = (network.indptr, network.indices.astype(np.int64), network.edge_length, speeds)
    t = time.perf_counter()
    walk(*args, *walker_start(network, speeds, 0), 1, 0)
    compile_s = time.perf_counter() - t
    state = walker_start(network, speeds, 1)
    w, c = time.perf_counter(), time.process_time()
    walk(*args, *state, minutes, 1)
    return per_minute(time.perf_counter() - w, time.process_time() - c, minutes,
                      compile_s=compile_s)


def per_minute(wall: float, cpu: float, minutes: int, **extra) -> dict:
    return {"wall_s": wall, "cpu_s": cpu, "minutes": minutes,
            "us_wall": wall * 1e6 / minutes, "us_cpu": cpu * 1e6 / minutes, **extra}


def mesa_walk_model(network, speeds: np.ndarray, seed: int):
    """The same random walk as a user would write it in plain Mesa (no project code)."""
    import mesa

    graph = network.to_networkx()

    class Walker(mesa.Agent):
        def __init__(self, model, node, speed):
            super().__init__(model)
            self.node, self.nxt, self.prog, self.elen, self.speed = node, None, 0.0, 0.0, speed

        def step(self):
            budget = self.speed
            while budget > 0.0:
                if self.nxt is None:
                    self.nxt = self.random.choice(list(graph.neighbors(self.node)))
                    self.elen = graph.edges[self.node, self.nxt]["length"]
                    self.prog = 0.0
                left = self.elen - self.prog
                if budget < left:
                    self.prog += budget
                    return
                budget -= left
                self.node, self.nxt = self.nxt, None

    class WalkModel(mesa.Model):
        def __init__(self):
            super().__init__(rng=seed)
            starts, *_ = walker_start(network, speeds, seed)
            for node, speed in zip(starts.tolist(), speeds.tolist()):
                Walker(self, node, speed)

        def step(self):
            self.agents.shuffle_do("step")

    return WalkModel()


def time_mesa(network, speeds: np.ndarray, minutes: int) -> dict:
    t = time.perf_counter()
    model = mesa_walk_model(network, speeds, seed=1)
    build_s = time.perf_counter() - t
    w, c = time.perf_counter(), time.process_time()
    for _ in range(minutes):
        model.step()
    return per_minute(time.perf_counter() - w, time.process_time() - c, minutes, build_s=build_s)


def time_project(scenario, study, days: float) -> dict:
    """The project's model: a first day (compiles or loads the kernels), then ``days`` timed."""
    from hotspot_sim.sim.model import PatrolModel

    t = time.perf_counter()
    model = PatrolModel(scenario, study, build_space=False)
    model.run_days(1)
    first_s = time.perf_counter() - t
    minutes = int(round(days * 1440))
    w, c = time.perf_counter(), time.process_time()
    model.run_days(days)
    return per_minute(time.perf_counter() - w, time.process_time() - c, minutes,
                      compile_s=first_s)


def anchors(scenario_name: str, days: float, mesa_days: float) -> dict:
    """The three anchors on the scenario's network, ``days`` (Mesa: ``mesa_days``)."""
    from hotspot_sim.sim import kernels as K
    from hotspot_sim.sim.state import kernel_params
    from hotspot_sim.settings import load_scenario
    from hotspot_sim.study import load_study

    scenario = load_scenario(ROOT / "scenarios" / f"{scenario_name}.toml")
    study = load_study(scenario)
    net = study.network
    params = kernel_params(scenario)
    # the walkers: patrol officers and offenders (response cars mostly wait at the
    # station, so they are left out of the floor and the Mesa walk)
    speeds = np.concatenate([np.full(scenario.officers.count, params[K.P_OFC_SPEED]),
                             np.full(scenario.offenders.count, params[K.P_OFF_SPEED])])
    say(f"anchors on {scenario_name}: {net.n_nodes:,} nodes, {len(speeds)} walkers; "
        f"project {days:g} days")
    project = time_project(scenario, study, days)
    say(f"project {project['us_wall']:.2f} us/min; floor (numba) {days:g} days")
    floor = time_floor(net, speeds, int(round(days * 1440)))
    say(f"floor {floor['us_wall']:.2f} us/min; plain Mesa {mesa_days:g} days")
    mesa_ = time_mesa(net, speeds, int(round(mesa_days * 1440)))
    return {"scenario": scenario_name, "nodes": net.n_nodes, "walkers": len(speeds),
            "days": days, "mesa_days": mesa_days, "project": project, "floor": floor,
            "mesa": mesa_}


def print_anchors(a: dict) -> None:
    p, f, m = a["project"], a["floor"], a["mesa"]
    print(f"\nAnchors: {a['scenario']} network ({a['nodes']:,} nodes), {a['walkers']} walkers, "
          f"{a['days']:g} simulated days (Mesa {a['mesa_days']:g} days, scaled per minute)")
    print(f"  {'':34} {'us/min wall':>12} {'us/min CPU':>11} {'set-up/compile s':>17}")
    print(f"  {'project (PatrolModel.run_days)':34} {p['us_wall']:12.2f} {p['us_cpu']:11.2f} "
          f"{p['compile_s']:17.2f}  (first day: compile or cache load)")
    print(f"  {'bare numba walk (floor)':34} {f['us_wall']:12.2f} {f['us_cpu']:11.2f} "
          f"{f['compile_s']:17.2f}  (compile)")
    print(f"  {'plain Mesa walk':34} {m['us_wall']:12.2f} {m['us_cpu']:11.2f} "
          f"{m['build_s']:17.2f}  (model build)")
    print(f"  project / floor: {p['us_wall'] / f['us_wall']:.2f}x wall, "
          f"{p['us_cpu'] / f['us_cpu']:.2f}x CPU;  Mesa / project: "
          f"{m['us_wall'] / p['us_wall']:.0f}x wall, {m['us_cpu'] / p['us_cpu']:.0f}x CPU")


# ---------------------------------------------------------------------------- scale cases (child)

class Checkpoints:
    """Time, RSS and peak RSS after each phase, appended to a JSON-lines file.

    Written as it goes, so a case killed by the watchdog still tells how far it got.
    """

    def __init__(self, path: Path):
        self.path, self.t0 = path, time.perf_counter()

    def __call__(self, phase: str, **extra) -> None:
        row = {"phase": phase, "t": time.perf_counter() - self.t0,
               "rss_mb": proc_status_mb("VmRSS"), "peak_mb": proc_status_mb("VmHWM"), **extra}
        with open(self.path, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        say(f"  {phase}: {row['t']:.1f} s, RSS {row['rss_mb']:.0f} MB, peak {row['peak_mb']:.0f} MB")


def nbytes(obj) -> int:
    """Bytes of the numpy arrays in a NamedTuple of arrays (or a dict of them)."""
    values = obj.values() if isinstance(obj, dict) else obj
    return sum(v.nbytes for v in values if isinstance(v, np.ndarray))


# The Net arrays grouped by what builds them (hotspot_sim/sim/world.py build_world).
NET_GROUPS = {"near_repeat (cell index)": ("cell_ptr", "cell_nodes", "cell_grid"),
              "diffusion": ("dif_ptr", "dif_idx", "dif_w"),
              "displacement": ("disp_ptr", "disp_idx"), "presence": ("det_ptr", "det_idx"),
              "type_mix": ("type_cum",)}


def memory_breakdown(model) -> dict:
    """Where a built-and-run model's memory is, in MB, by owner."""
    router = model.router
    book = model.logbook
    net = model.net._asdict()
    return {
        "routing_rows": len(router),
        "routing_allocated_rows": router.hop.shape[0],
        "routing_tables_mb": router.nbytes / MB,  # one-byte trees + distance() scratch
        "routing_evictions": router.evictions,
        "network_static_mb": sum(v.nbytes for k, v in net.items() if k != "hop") / MB,
        "net_groups_mb": {g: sum(net[f].nbytes for f in fields) / MB
                          for g, fields in NET_GROUPS.items()},
        "street_network_mb": nbytes(vars(model.network)) / MB,
        "node_state_mb": nbytes(model.nodes) / MB,
        "log_buffers_mb": nbytes(model.logs) / MB,
        "logs_streamed": book.streaming,
        "logbook_attempts_mb": (book.kept_bytes()["attempts"] + book.kept_bytes()["today"]) / MB,
        "logbook_gps_mb": book.kept_bytes()["gps"] / MB,
        "observed_crimes_mb": model.study.crimes.memory_usage(deep=True).sum() / MB,
        "status_rows": len(model.status_log),
        "heavy_modules": [m for m in HEAVY_MODULES if m in sys.modules],
    }


class Stopwatch:
    """Seconds spent in wrapped methods, to split the model build without editing the package."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def wrap(self, owner, name: str, label: str) -> None:
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t

        setattr(owner, name, timed)


def scale_case(args) -> None:
    """One scale case in this (child) process; checkpoints go to ``args.report``."""
    mark = Checkpoints(Path(args.report))
    from hotspot_sim.network import StreetNetwork
    from hotspot_sim.settings import load_scenario
    from hotspot_sim.sim.model import PatrolModel
    from hotspot_sim.sim.routing import Router
    from hotspot_sim.study import load_study
    mark("imports", heavy_modules=[m for m in HEAVY_MODULES if m in sys.modules])
    watch = Stopwatch()
    watch.wrap(Router, "_add", "routing trees")
    watch.wrap(StreetNetwork, "neighbours_within", "radius neighbourhoods")

    scenario = load_scenario(ROOT / "scenarios" / f"{args.scenario}.toml").replace(
        {"officers.count": args.officers, "offenders.count": args.offenders})
    if args.grid_nodes:
        network = StreetNetwork.load(grid_path(args.grid_nodes))
        study = realistic_crime_study(scenario, network)
    else:
        study = load_study(scenario)
    mark("study", nodes=study.network.n_nodes, crimes=len(study.crimes))
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as tmp:
        log_dir = Path(tmp) if args.logs == "stream" else None
        model = PatrolModel(scenario, study, build_space=False, log_dir=log_dir)
        mark("model built", routing_rows=len(model.router), build_seconds=dict(watch.seconds))
        t = time.perf_counter()
        model.run_days(args.days, progress=lambda tick: None)
        mark("run", run_s=time.perf_counter() - t, **memory_breakdown(model))
        output_tables(model, mark, Path(tmp))


def output_tables(model, mark, tmp: Path) -> None:
    """What writing a run folder holds: the crimes table, and the GPS pings, written chunk
    by chunk when the logs were streamed (as ``write_run`` does), else as one table."""
    from hotspot_sim.sim.tables import write_gps_parquet

    crimes = model.crimes_table()
    crimes_mb = crimes.memory_usage(deep=True).sum() / MB
    if model.logbook.streaming:
        pings = write_gps_parquet(model, tmp / "gps_table.parquet")
        mark("tables", crimes=len(crimes), gps=pings, tables_mb=crimes_mb, gps_written=True)
        return
    gps = model.gps_table()
    mark("tables", crimes=len(crimes), gps=len(gps),
         tables_mb=crimes_mb + gps.memory_usage(deep=True).sum() / MB)


def worker_case(args) -> None:
    """A sweep worker: its first (short) task, then a second task of ``--overhead-days``.

    The second task shows the per-run overhead once the worker is warm: its time outside
    ``PatrolModel.run_days`` (building the model, measuring, tables) against its time inside.
    """
    mark = Checkpoints(Path(args.report))
    from dataclasses import replace

    from hotspot_sim.sim.model import PatrolModel
    from hotspot_sim.trial import load_experiment, make_tasks
    from hotspot_sim.trial.measure import run_task
    mark("imports", heavy_modules=[m for m in HEAVY_MODULES if m in sys.modules])
    watch = Stopwatch()
    watch.wrap(PatrolModel, "run_days", "simulating")
    exp = load_experiment(ROOT / "experiments" / "policy_comparison.toml")
    run_task(replace(exp, days=args.days, replications=1), make_tasks(exp)[0])
    mark("first task", heavy_modules=[m for m in HEAVY_MODULES if m in sys.modules])
    watch.seconds.clear()
    long = replace(exp, days=args.overhead_days, replications=1)
    t = time.perf_counter()
    run_task(long, make_tasks(long)[1])
    mark("second task", task_s=time.perf_counter() - t, sim_s=watch.seconds["simulating"],
         days=args.overhead_days)


# ---------------------------------------------------------------------------- running children

# A lean launcher between this process and the measured one.  The kernel keeps a process's
# peak RSS across execve, and a child exec'd straight from this (large) process starts with
# this process's peak; forked from a ~10 MB launcher it starts from the launcher's.  The
# launcher's os.wait4 then gives the command's peak, its reaped children (sweep workers)
# included.
LAUNCHER = """import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    json.dump({"rc": os.waitstatus_to_exitcode(status), "peak_mb": usage.ru_maxrss / 1024}, fh)
"""


def measure_process(cmd: list[str], mem_cap_mb: float, time_cap_s: float,
                    quiet: bool = False) -> dict:
    """Run ``cmd`` (first item a full path); its peak RSS and that of its children.

    A watchdog kills the process group when its resident memory passes ``mem_cap_mb``
    or it runs past ``time_cap_s``; the result then says why in ``killed``.
    """
    out = subprocess.DEVNULL if quiet else None
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "peak.json"
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, str(result), *cmd],
                                stdout=out, stderr=out, cwd=ROOT, start_new_session=True)
        killed, seen = _watch(proc, mem_cap_mb, time_cap_s, t0)
        wall = time.perf_counter() - t0
        res = json.loads(result.read_text()) if result.is_file() else {"rc": None}
    res.setdefault("peak_mb", seen)  # killed: the largest resident size the watchdog saw
    return {**res, "wall_s": wall, "killed": killed}


def _watch(proc: subprocess.Popen, mem_cap_mb: float, time_cap_s: float, t0: float):
    """Poll the process tree until it ends; kill it past a cap. (reason or None, max MB seen)"""
    seen = 0.0
    while proc.poll() is None:
        rss = _rss_of(proc.pid)
        seen = max(seen, rss)
        reason = None
        if rss > mem_cap_mb:
            reason = (f"resident memory passed {mem_cap_mb / 1024:.1f} GB after "
                      f"{time.perf_counter() - t0:.0f} s")
        elif time.perf_counter() - t0 > time_cap_s:
            reason = f"still running after the {time_cap_s:.0f} s time cap"
        if reason:
            os.killpg(proc.pid, 9)  # the launcher and everything under it
            proc.wait()
            return reason, seen
        time.sleep(0.2)
    return None, seen


def _rss_of(pid: int) -> float:
    """Resident MB of a process and its children (a sweep's workers), from /proc."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(ln.split()[1]) for ln in fh if ln.startswith("VmRSS:")),
                              0) / 1024
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            kids = [int(k) for k in fh.read().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def child_run(case: str, extra: list[str], caps: tuple[float, float]) -> dict:
    """Run this script's ``--child case`` in a fresh process; its checkpoints and peak."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "checkpoints.jsonl"
        res = measure_process([sys.executable, __file__, "--child", case, "--report",
                               str(report), *extra], *caps)
        res["checkpoints"] = ([json.loads(ln) for ln in report.read_text().splitlines()]
                              if report.is_file() else [])
    return res


def startup_cases(caps: tuple[float, float], worker_days: float, overhead_days: float) -> dict:
    """Start-up time, peak RSS and heavy imports of the CLI, the model import and a worker."""
    cli = str(Path(sys.executable).parent / "hotspot-sim")
    run_help = ("import contextlib, io\nfrom hotspot_sim.cli import main\n"
                "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):"
                "\n    main(['run', '--help'])")
    cases = (("import hotspot_sim.cli", [sys.executable, "-c", "import hotspot_sim.cli"],
              "import hotspot_sim.cli"),
             ("import hotspot_sim.sim.model", [sys.executable, "-c", "import hotspot_sim.sim.model"],
              "import hotspot_sim.sim.model"),
             ("hotspot-sim run --help", [cli, "run", "--help"], run_help))
    out = {}
    for label, cmd, code in cases:
        say(f"start-up: {label}")
        out[label] = measure_process(cmd, *caps, quiet=True)
        out[label]["heavy_modules"] = heavy_imports(code)
    say(f"start-up: a sweep worker's first task ({worker_days:g} day)")
    out["sweep worker, first task"] = child_run(
        "worker", ["--days", str(worker_days), "--overhead-days", str(overhead_days)], caps)
    return out


def heavy_imports(code: str) -> list[str]:
    """The HEAVY_MODULES that running ``code`` in a fresh interpreter imports."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY_MODULES!r} " \
            "if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.splitlines()[-1]) if done.returncode == 0 else []


def cli_runs(caps: tuple[float, float]) -> dict:
    """Peak RSS (largest process) of ``validate --quick`` and a 2-worker ``experiment --quick``."""
    cli = str(Path(sys.executable).parent / "hotspot-sim")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, cmd in (("validate --quick", [cli, "validate", "--quick", "--quiet",
                                                  "--out", f"{tmp}/v"]),
                           ("experiment --quick -j 2", [cli, "experiment", "policy_comparison",
                                                        "--quick", "--workers", "2", "--quiet",
                                                        "--out", f"{tmp}/e"])):
            say(f"CLI: hotspot-sim {label}")
            out[label] = measure_process(cmd, *caps, quiet=True)
    return out


# ---------------------------------------------------------------------------- report

def scale_plan(a) -> list[tuple[str, list[str]]]:
    """(label, child arguments) of each scale case for the options ``a``."""
    quick = a.quick
    year = 7 if quick else 365
    logs = "streamed" if a.logs == "stream" else "in memory"
    cases = [(f"default scenario, {year} days, logs {logs}",
              ["--scenario", a.scenario, "--days", str(year), "--logs", a.logs])]
    if a.only_year:
        return cases
    cases.append((f"130k-node grid, {1 if quick else 7} days",
                  ["--grid-nodes", "130000", "--days", str(1 if quick else 7)]))
    if not a.skip_county:
        # The county case's time is compared with this one, whole process to whole process.
        cases.append(("default scenario, 30 days (whole-process time for the county ratio)",
                      ["--scenario", a.scenario, "--days", "30", "--logs", a.logs]))
        cases.append((f"{a.county_nodes // 1000}k-node grid, 200 officers, 5,000 offenders, "
                      f"{a.county_days:g} days",
                      ["--grid-nodes", str(a.county_nodes), "--officers", "200",
                       "--offenders", "5000", "--days", str(a.county_days)]))
    return cases


def outcome(res: dict) -> str:
    if res.get("killed"):
        return f"did not fit: {res['killed']}"
    if res["rc"] != 0:
        return f"failed (exit code {res['rc']})"
    return f"{res['peak_mb']:,.0f} MB"


def print_scale(label: str, res: dict) -> None:
    print(f"\n{label}: peak RSS {outcome(res)}, {res['wall_s']:.1f} s in all")
    for c in res.get("checkpoints", []):
        line = f"    after {c['phase']:<12} {c['t']:7.1f} s  RSS {c['rss_mb']:7.0f} MB  " \
               f"peak {c['peak_mb']:7.0f} MB"
        if "run_s" in c:
            line += f"  (simulating {c['run_s']:.1f} s)"
        print(line)
        if c["phase"] == "run":
            print(f"      routing: {c['routing_rows']:,} trees ({c['routing_allocated_rows']:,} "
                  f"rows allocated, {c.get('routing_evictions', 0):,} evicted) = "
                  f"{c['routing_tables_mb']:,.0f} MB; static network arrays "
                  f"{c['network_static_mb']:,.0f} MB (street graph {c['street_network_mb']:,.0f}"
                  f" MB); node state {c['node_state_mb']:,.0f} MB")
            print("      static arrays by use: " + ", ".join(
                f"{k} {v:,.0f} MB" for k, v in c["net_groups_mb"].items()))
            print(f"      logs ({'streamed to parquet' if c.get('logs_streamed') else 'in memory'}"
                  f"): kernel buffers {c['log_buffers_mb']:,.0f} MB, kept attempts "
                  f"{c['logbook_attempts_mb']:,.0f} MB, kept GPS pings "
                  f"{c['logbook_gps_mb']:,.0f} MB; observed crimes table "
                  f"{c['observed_crimes_mb']:,.0f} MB; {c['status_rows']:,} status rows "
                  "(arrays)")
        if c["phase"] == "model built":
            print("      of which " + ", ".join(f"{k} {v:.1f} s"
                                                for k, v in c["build_seconds"].items()))
        if c["phase"] == "imports":
            print(f"      imported at start: {', '.join(c['heavy_modules'])}")
        if c["phase"] == "tables" and c.get("gps_written"):
            print(f"      {c['crimes']:,} crimes as a DataFrame: {c['tables_mb']:,.0f} MB; "
                  f"{c['gps']:,} GPS pings written to parquet chunk by chunk")
        elif c["phase"] == "tables":
            print(f"      {c['crimes']:,} crimes, {c['gps']:,} GPS pings as DataFrames: "
                  f"{c['tables_mb']:,.0f} MB")


def print_startup(start: dict) -> None:
    print("\nStart-up (each a fresh process):")
    for label, res in start.items():
        heavy = res.get("heavy_modules") or phase(res, "imports").get("heavy_modules")
        print(f"  {label:<30} {startup_figure(res)}")
        if heavy is not None:
            print(f"      imports: {', '.join(heavy)}")
    overhead = run_overhead(start)
    if overhead:
        print(f"  then a {overhead}")


def startup_figure(res: dict) -> str:
    """Seconds and peak RSS; a worker's up to the end of its first task."""
    first = phase(res, "first task")
    if first and not res.get("killed"):
        return f"{first['t']:.1f} s, peak RSS {first['peak_mb']:,.0f} MB (first task done)"
    return f"{res['wall_s']:.1f} s, peak RSS {outcome(res)}"


def run_overhead(start: dict) -> str | None:
    """The warm worker's second task: share of its time spent outside the simulation."""
    second = phase(start.get("sweep worker, first task", {}), "second task")
    if not second:
        return None
    outside = second["task_s"] - second["sim_s"]
    return (f"{second['days']:g}-day task: {second['task_s']:.1f} s, simulating "
            f"{second['sim_s']:.1f} s -> overhead {100 * outside / second['task_s']:.0f}% of "
            f"the run ({100 * outside / second['sim_s']:.0f}% of simulation time)")


def phase(res: dict, name: str) -> dict:
    """The checkpoint ``name`` of a child's result (empty if it did not get there)."""
    return next((c for c in res.get("checkpoints", []) if c["phase"] == name), {})


def county_times(default_30: dict, county: dict) -> str:
    """The county case's time against the default scenario's 30 days, two ways."""
    parts = []
    if county.get("wall_s") and default_30.get("wall_s"):
        parts.append(f"whole process {county['wall_s']:.0f} s = "
                     f"{county['wall_s'] / default_30['wall_s']:.0f}x the default's "
                     f"({default_30['wall_s']:.1f} s)")
    sim_c, sim_d = phase(county, "run").get("run_s"), phase(default_30, "run").get("run_s")
    if sim_c is not None and sim_d:
        parts.append(f"simulating {sim_c:.0f} s = {sim_c / sim_d:.0f}x the default's ({sim_d:.1f} s)")
    return "; " + "; ".join(parts) if parts else ""


def final_table(anchors_: dict | None, scales: list, start: dict, cli: dict) -> None:
    """The issue's figures: measured now next to the targets."""
    rows = []
    if scales:
        rows.append((f"default scenario, 1 simulated year, peak RSS ({scales[0][0]})",
                     outcome(scales[0][1]), "<= 300 MB"))
    if anchors_:
        p, f = anchors_["project"], anchors_["floor"]
        rows.append(("default scenario, time per simulated minute vs bare numba floor",
                     f"{p['us_wall'] / f['us_wall']:.2f}x wall, {p['us_cpu'] / f['us_cpu']:.2f}x"
                     " CPU", "<= 1.0x"))
    if len(scales) > 1:
        rows.append((f"130k-node network, 7 days, peak RSS ({scales[1][0]})",
                     outcome(scales[1][1]), "<= 1 GB"))
    if len(scales) > 3:
        rows.append((f">= 300k nodes, 200 officers, 5,000 offenders ({scales[3][0]})",
                     outcome(scales[3][1]) + county_times(scales[2][1], scales[3][1]),
                     "<= 2 GB, <= 30x the default's 30 days"))
    for label, res in start.items():
        rows.append((f"start-up: {label}", startup_figure(res), "-"))
    overhead = run_overhead(start)
    if overhead:
        rows.append(("per-run overhead in a sweep (warm worker)", overhead, "<= 10%"))
    for label, res in cli.items():
        target = "<= 1 GB" if label.startswith("validate") else "<= 500 MB"
        rows.append((f"{label} peak RSS (largest process)", outcome(res), target))
    if not cli:
        rows.append(("validate --quick / 2-worker experiment --quick peak RSS",
                     "not run (--cli-runs)", "<= 1 GB / <= 500 MB"))
    rows.append(("sweep, 2 workers vs 1", "benchmarks/bench_sweep.py", ">= 1.9x"))
    print("\n| figure | measured now | target |\n|---|---|---|")  # markdown, for the note
    for name, now, target in rows:
        print(f"| {name} | {now} | {target} |")


NUMBER_OPTIONS = (
    ("--days", float, 30.0, "simulated days of the project and floor anchors"),
    ("--mesa-days", float, 1.0, "simulated days of the plain Mesa walk, scaled per minute "
                                "(it is ~100x slower)"),
    ("--county-nodes", int, 300_000, "nodes of the county-sized synthetic grid"),
    ("--county-days", float, 30.0, "simulated days of the county-sized case"),
    ("--mem-cap-gb", float, 8.0, "kill a scale case whose resident memory passes this many GB "
                                 "and report it as 'did not fit'"),
    ("--time-cap", float, 1800.0, "kill a scale case running longer than this many seconds"),
)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        description="Anchors (project vs bare numba floor vs plain Mesa on one network), "
                    "peak RSS per scale in separate processes, start-up cost, and the issue 14 "
                    "figures against their targets. Prints figures; asserts nothing.")
    ap.add_argument("--scenario", default="welwyn_hatfield",
                    help="scenario of the anchors and of the 1-year case (default %(default)s)")
    for flag, kind, default, text in NUMBER_OPTIONS:
        ap.add_argument(flag, type=kind, default=default, help=f"{text} (default %(default)s)")
    ap.add_argument("--quick", action="store_true",
                    help="everything small (~2 min): 2-day anchors, 0.1-day Mesa, 7-day "
                         "'year', 1-day 130k grid, county grid skipped unless --county-days")
    ap.add_argument("--skip-county", action="store_true",
                    help="skip the >= 300k-node county-sized case")
    ap.add_argument("--skip-anchors", action="store_true", help="skip the anchors")
    ap.add_argument("--logs", choices=["stream", "memory"], default="stream",
                    help="the 1-year case's logs: streamed to parquet (PatrolModel(log_dir=...), "
                         "as 'hotspot-sim run' does) or kept in memory (default %(default)s)")
    ap.add_argument("--only-year", action="store_true",
                    help="of the scale cases, run only the default scenario's year (no grids, "
                         "no start-up cases)")
    ap.add_argument("--cli-runs", action="store_true",
                    help="also measure 'hotspot-sim validate --quick' and a 2-worker "
                         "'experiment policy_comparison --quick' (several minutes)")
    ap.add_argument("--child", choices=["scale", "worker"], help=argparse.SUPPRESS)
    ap.add_argument("--report", help=argparse.SUPPRESS)
    ap.add_argument("--grid-nodes", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--overhead-days", type=float, default=90.0, help=argparse.SUPPRESS)
    ap.add_argument("--officers", type=int, default=20, help=argparse.SUPPRESS)
    ap.add_argument("--offenders", type=int, default=300, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.quick and not a.child:
        a.days, a.mesa_days = min(a.days, 2.0), min(a.mesa_days, 0.1)
        a.skip_county = a.skip_county or "--county-days" not in (argv or sys.argv)
    return a


def main(argv=None) -> None:
    a = parse_args(argv)
    if a.child:
        (scale_case if a.child == "scale" else worker_case)(a)
        return
    caps = (a.mem_cap_gb * 1024, a.time_cap)
    anchors_ = None if a.skip_anchors else anchors(a.scenario, a.days, a.mesa_days)
    if anchors_:
        print_anchors(anchors_)
    plan = scale_plan(a)
    for _, extra in plan:
        if "--grid-nodes" in extra:
            nodes = int(extra[extra.index("--grid-nodes") + 1])
            measure_process([sys.executable, "-c", f"import sys; sys.path.insert(0, "
                             f"{str(Path(__file__).parent)!r}); import bench_scale; "
                             f"bench_scale.make_grid({nodes})"], *caps)
    scales = []
    for label, extra in plan:
        say(f"scale case: {label}")
        scales.append((label, child_run("scale", extra, caps)))
        print_scale(label, scales[-1][1])
    start = {} if a.only_year else startup_cases(caps, worker_days=1.0,
                                                 overhead_days=7.0 if a.quick else 90.0)
    if start:
        print_startup(start)
    cli = cli_runs(caps) if a.cli_runs else {}
    final_table(anchors_, scales, start, cli)


if __name__ == "__main__":
    main()
