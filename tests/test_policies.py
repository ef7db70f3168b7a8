"""Targeted patrol policies: visits have the configured dwell."""

from __future__ import annotations

import numpy as np
import pytest

from hotspot_sim.policies import REGISTRY, get_policy

from .test_model import small_model


def visit_lengths(gps, status="at_hotspot"):
    """Lengths (minutes, 1-minute pings) of each officer's consecutive runs in ``status``."""
    out = []
    for _, g in gps.sort_values("tick").groupby("officer"):
        at = (g["status"].astype(str) == status).to_numpy()
        ticks = g["tick"].to_numpy()
        run = 0
        for i in range(len(at)):
            if at[i] and run and ticks[i] == ticks[i - 1] + 1:
                run += 1
            elif at[i]:
                if run:
                    out.append(run)
                run = 1
            elif run:
                out.append(run)
                run = 0
    return np.array(out)


def test_registry_lists_the_shipped_policies():
    assert {"none", "random", "hotspot_koper", "hotspot_static"} <= set(REGISTRY)
    assert get_policy("hotspot_sim.policies.basic:RandomPatrol").name == "random"


@pytest.mark.parametrize("dwell", [10, 15])
def test_koper_visits_last_the_configured_dwell(dwell):
    m = small_model(policy="hotspot_koper", calls={"grade1_per_day": 0.0, "grade2_per_day": 0.0,
                                                   "grade3_per_day": 0.0})
    m.policy.params["dwell_minutes"] = dwell
    m.policy.params["k"] = 3
    m.run_for(1440)
    lengths = visit_lengths(m.gps_table())
    full = lengths[1:-1] if len(lengths) > 2 else lengths  # a shift boundary may cut one short
    assert len(full) > 10
    assert np.median(full) == dwell
    assert (np.abs(full - dwell) <= 1).mean() > 0.9
    hotspot_nodes = set(m.policy.nodes.tolist())
    gps = m.gps_table()
    at = gps[gps["status"].astype(str) == "at_hotspot"]
    assert set(at["node"].unique()) <= hotspot_nodes
