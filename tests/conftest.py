"""Shared fixtures.

Real-data fixtures read ``$HOTSPOT_SIM_DATA``.  In CI (``CI`` set) a missing
data folder is a loud failure, never a silent skip; on a developer machine
without the data those tests are skipped with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def _real_data_root() -> Path:
    value = os.environ.get("HOTSPOT_SIM_DATA")
    if value and Path(value).is_dir():
        return Path(value)
    msg = f"HOTSPOT_SIM_DATA={value!r} does not point at the real data folder (../shared/data)"
    if os.environ.get("CI"):
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def real_data() -> Path:
    return _real_data_root()


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Keep the prepared-network cache out of the user's home during tests,
    unless a cache folder is set (CI sets one so repeated loads are fast)."""
    if not os.environ.get("HOTSPOT_SIM_CACHE"):
        os.environ["HOTSPOT_SIM_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield


@pytest.fixture(scope="session")
def wh_scenario(real_data):
    from hotspot_sim.settings import load_scenario

    return load_scenario(SCENARIOS / "welwyn_hatfield.toml")


@pytest.fixture(scope="session")
def wh_network(wh_scenario):
    from hotspot_sim.network import load_network

    return load_network(wh_scenario.network)


@pytest.fixture(scope="session")
def wh_study(wh_scenario, wh_network):
    from hotspot_sim.study import load_study

    return load_study(wh_scenario, wh_network)
