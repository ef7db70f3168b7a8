"""Shared fixtures.

``real_data`` is the data root hotspot-sim itself uses: ``$HOTSPOT_SIM_DATA``
when set, else the embedded Welwyn Hatfield clip, so real-data tests run on a
machine with only the repository.  ``county_data`` is the full Hertfordshire
data, for the few tests about rows outside the study area: they skip with the
reason when ``HOTSPOT_SIM_DATA`` is unset (CI sets it, so there they run), and a
variable that names no folder is a loud failure, never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The data root in use: ``$HOTSPOT_SIM_DATA`` or the embedded dataset."""
    from hotspot_sim.locations import data_root

    return data_root()


@pytest.fixture(scope="session")
def county_data() -> Path:
    """The full county data named by ``$HOTSPOT_SIM_DATA`` (skip when unset)."""
    value = os.environ.get("HOTSPOT_SIM_DATA")
    if not value:
        pytest.skip("needs the full Hertfordshire data: set HOTSPOT_SIM_DATA (CI sets it to "
                    "../shared/data); the embedded clip holds only the study area")
    if not Path(value, "police_uk").is_dir():
        pytest.fail(f"HOTSPOT_SIM_DATA={value!r} does not hold police_uk/", pytrace=False)
    return Path(value)


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


@pytest.fixture
def tiny_validation(monkeypatch):
    """Make ``hotspot-sim validate`` tiny: one short published trial, two visit lengths, one
    day of follow-up, and a cheap stand-in for the uniform-offender control (the real one
    routes every activity place, ~45 s a model).  The machinery is the real one."""
    import dataclasses

    from hotspot_sim.validation import trials, validate

    tiny = dataclasses.replace(trials.PUBLISHED_TRIALS["southend"], quick_days=0.5,
                               quick_replications=1, days=0.5, replications=1)
    monkeypatch.setattr(trials, "PUBLISHED_TRIALS", {"southend": tiny})
    monkeypatch.setattr(validate, "DWELLS", (2, 15))
    monkeypatch.setattr(validate, "AFTER_DAYS", 1)
    cheap = dataclasses.replace(validate.UNIFORM_OFFENDERS, overrides={
        "risk.background_share": 1.0, "offenders.attractor_exponent": 0.0})
    monkeypatch.setattr(validate, "UNIFORM_OFFENDERS", cheap)
    return validate
