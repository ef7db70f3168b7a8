"""What a sweep worker keeps between runs gives the same results as building afresh.

A worker keeps the loaded study and the routing trees of its network between tasks
(:func:`hotspot_sim.trial.measure.run_task`); a run must not depend on which runs the
worker did before.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from hotspot_sim.sim.model import PatrolModel
from hotspot_sim.sim.routing import Router
from hotspot_sim.trial import load_experiment, make_tasks
from hotspot_sim.trial import measure

from .conftest import ROOT

TABLES = ("attempts_table", "crimes_table", "gps_table", "calls_table", "status_table",
          "daily_table")


def run(scenario, study, seed: int, days: float, **kwargs) -> PatrolModel:
    model = PatrolModel(scenario.replace({"scenario.seed": seed}), study, build_space=False,
                        **kwargs)
    model.run_days(days)
    return model


def test_a_reused_router_gives_the_tables_of_a_new_one(wh_scenario, wh_study):
    scenario = wh_scenario.replace({"policy.name": "hotspot_koper", "offenders.count": 120})
    fresh = run(scenario, wh_study, seed=3, days=0.5)
    router = Router(wh_study.network, capacity=8, memory_mb=scenario.routing.memory_mb)
    run(scenario, wh_study, seed=99, days=0.5, router=router)  # leaves its own trees behind
    before = len(router)
    reused = run(scenario, wh_study, seed=3, days=0.5, router=router)
    assert reused.router is router and len(router) >= before > 0
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(fresh, name)(), getattr(reused, name)(),
                                      obj=name)
    assert len(fresh.crimes_table()) > 0


def test_a_router_on_another_network_is_refused(wh_scenario, wh_study):
    from hotspot_sim.network import synthetic_grid

    with pytest.raises(ValueError, match="another network"):
        PatrolModel(wh_scenario, wh_study, build_space=False,
                    router=Router(synthetic_grid(5, 5)))


def test_a_task_in_a_warm_worker_equals_one_in_a_new_worker(tmp_path, real_data):
    exp = load_experiment(ROOT / "experiments" / "policy_comparison.toml")
    exp = replace(exp, days=0.25, replications=1, arms=exp.arms[:2])
    first, second = make_tasks(exp)[:2]
    measure.clear_worker_caches()
    cold = measure.run_task(exp, second)
    measure.run_task(exp, first)  # the worker is now warm: study, hot spots, trees
    warm = measure.run_task(exp, second)
    keep = [c for c in cold["summary"].columns if c != "wall_seconds"]
    pd.testing.assert_frame_equal(cold["summary"][keep], warm["summary"][keep])
    pd.testing.assert_frame_equal(cold["spotdays"], warm["spotdays"])


def test_seed_groups_keep_each_seed_together_and_every_task_once(tmp_path, real_data):
    from hotspot_sim.trial.runner import seed_groups

    from .test_experiment import tiny

    exp = replace(load_experiment(tiny(tmp_path)), replications=6)
    tasks = make_tasks(exp)  # 2 arms x 6 replications: 6 seeds
    groups = seed_groups(tasks, workers=2)
    assert [len(g) for g in groups] == [2] * 6
    assert all(len({t.seed for t in g}) == 1 for g in groups)
    assert sorted(t.task_id for g in groups for t in g) == sorted(t.task_id for t in tasks)
    few = seed_groups(tasks, workers=4)  # 6 groups for 4 workers: one task each, for balance
    assert [len(g) for g in few] == [1] * 12
    assert [t.seed for g in few for t in g] == [t.seed for g in groups for t in g]


def test_grouped_runs_in_a_pool_equal_runs_in_this_process(tmp_path, real_data, monkeypatch):
    from hotspot_sim.trial import runner, run_experiment

    from .test_experiment import tiny

    exp = load_experiment(tiny(tmp_path))
    monkeypatch.setattr(runner, "GROUPS_PER_WORKER", 1)  # 2 seeds, 2 workers: grouped
    assert [len(g) for g in runner.seed_groups(make_tasks(exp), 2)] == [2, 2]
    pooled = run_experiment(exp, tmp_path / "pool", workers=2, progress=False)
    here = run_experiment(exp, tmp_path / "here", workers=1, progress=False)
    for name in ("runs.parquet", "spotdays.parquet"):
        a, b = pd.read_parquet(pooled / name), pd.read_parquet(here / name)
        keep = [c for c in a.columns if c != "wall_seconds"]
        pd.testing.assert_frame_equal(a[keep], b[keep], obj=name)


def test_cached_hot_spots_equal_a_fresh_ranking(wh_scenario, real_data):
    from hotspot_sim.target import TargetSettings, target

    key = measure.data_key(wh_scenario)
    measure.clear_worker_caches()
    study = measure._cached_study(key)
    path = measure.hotspots_cache_path(study, 7)
    path.unlink(missing_ok=True)
    first = measure._measured_hotspots(key, 7)  # ranks and writes the file
    assert path.is_file()
    measure.clear_worker_caches()
    cached = measure._measured_hotspots(key, 7)  # a new worker: read from the file
    fresh = target(study, TargetSettings(k=7))
    pd.testing.assert_frame_equal(cached, fresh)
    pd.testing.assert_frame_equal(first, fresh)
    assert measure.hotspots_cache_path(study, 8) != path  # another k, another file


def test_a_worker_keeps_one_router_per_network_and_drops_one_grown_too_big():
    from hotspot_sim.network import synthetic_grid

    measure.clear_worker_caches()
    net, other = synthetic_grid(5, 5), synthetic_grid(4, 4)
    first = measure._router_for(net, 256.0)
    assert measure._router_for(net, 256.0) is first  # kept for the next run
    assert measure._kept_router[3] >= 2 * first.nbytes  # may grow to twice one run's trees
    measure._kept_router[3] = first.nbytes - 1  # as if it had grown past that
    grown_out = measure._router_for(net, 256.0)
    assert grown_out is not first
    assert measure._router_for(other, 256.0).network is other
    assert measure._router_for(other, 128.0).memory_mb == 128.0
    measure.clear_worker_caches()
