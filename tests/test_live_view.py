"""The live view (``hotspot-sim view``) in a real headless browser.

Starts the server as a subprocess on a free localhost port, drives the system
Chromium (``/usr/bin/chromium``; never a downloaded browser) with Playwright,
checks the map and agents are drawn and that Step advances the simulated
clock, and saves a screenshot to the test's tmp dir and
``results/screenshots/live_view.png``.  Without Chromium the browser test is a
loud failure in CI and a skip elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from .conftest import ROOT, SCENARIOS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    msg = f"{CHROMIUM} not found (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"server did not answer at {url} within {timeout:.0f} s:\n"
                f"{log.read_text()[-3000:]}")


@pytest.fixture
def live_server(real_data, tmp_path):
    _need_chromium()
    port = _free_port()
    log = tmp_path / "server.log"
    env = dict(os.environ, HOTSPOT_SIM_DATA=str(real_data), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "hotspot_sim.cli", "view", "--scenario",
           str(SCENARIOS / "welwyn_hatfield.toml"), "--port", str(port), "--host", "127.0.0.1"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, proc, log, timeout=60)
        yield url, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.timeout(150)
def test_live_view_in_browser(live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, log = live_server
    shot = tmp_path / "live_view.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(url, wait_until="domcontentloaded", timeout=30_000)
            # The page builds its model (data load, maybe a first kernel compile).
            page.wait_for_selector("img.hotspot-map", state="visible", timeout=75_000)
            size = page.eval_on_selector(
                "img.hotspot-map", "e => [e.naturalWidth, e.naturalHeight, e.complete]")
            assert size[0] > 400 and size[1] > 300 and size[2], size
            assert page.locator("img.hotspot-daily").count() == 1
            assert page.locator("img.hotspot-status").count() == 1
            # Agents are drawn: the legend counts them; the KPI strip shows officers.
            body = page.inner_text("body")
            assert "officers on duty" in body
            clock = page.locator(".sim-clock")
            before = clock.inner_text()
            assert before.startswith("Mon 01 Nov 2021"), before
            map_before = page.eval_on_selector("img.hotspot-map", "e => e.src")

            step = page.get_by_role("button", name="Step")
            for _ in range(3):
                text = clock.inner_text()
                step.click()
                page.wait_for_function(
                    "t => document.querySelector('.sim-clock').innerText !== t", arg=text,
                    timeout=20_000)
            after = clock.inner_text()
            assert after == "Mon 01 Nov 2021 00:30", (before, after)
            assert "simulated minute 30" in page.inner_text("body")
            # The map was redrawn for the new time (a new image).
            page.wait_for_function(
                "s => document.querySelector('img.hotspot-map').src !== s",
                arg=map_before, timeout=10_000)

            # Switch the heat layer to deterrence: the map is redrawn again.
            src = page.eval_on_selector("img.hotspot-map", "e => e.src")
            page.get_by_role("button", name="deterrence").click()
            page.wait_for_function(
                "s => document.querySelector('img.hotspot-map').src !== s", arg=src,
                timeout=20_000)
            src = page.eval_on_selector("img.hotspot-map", "e => e.src")
            page.get_by_role("button", name="risk").click()
            page.wait_for_function(
                "s => document.querySelector('img.hotspot-map').src !== s", arg=src,
                timeout=20_000)
            page.wait_for_timeout(2500)  # let the last redraw land before the screenshot
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.stat().st_size > 50_000
    keep = ROOT / "results" / "screenshots" / "live_view.png"
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, keep)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@pytest.mark.slow
@pytest.mark.realdata
def test_heat_layers_match_the_kernels(real_data):
    """The page's vectorised risk and deterrence equal the kernels' per-node values."""
    from hotspot_sim.sim.app import LivePatrolModel
    from hotspot_sim.sim.app_figures import deterrence_by_node, draw_map, risk_by_node

    m = LivePatrolModel(scenario_path=str(SCENARIOS / "welwyn_hatfield.toml"),
                        minutes_per_step=60)
    for _ in range(30):
        m.step()
    assert m.tick == 30 * 60
    ns = m.nodes
    touched = np.flatnonzero((ns.res_level > 0) | (ns.cover > 0) | (ns.last_pday >= 0))
    boosted = np.flatnonzero(ns.b_level > 0)
    assert len(touched) and len(boosted)
    rng = np.random.default_rng(0)
    det, risk = deterrence_by_node(m), risk_by_node(m)
    for i in rng.choice(touched, size=min(200, len(touched)), replace=False):
        assert det[i] == pytest.approx(m.kernels.deterrence(m.nodes, int(i), m.tick, m.params),
                                       rel=1e-9, abs=1e-12)
    for i in np.concatenate([rng.choice(boosted, size=min(200, len(boosted)), replace=False),
                             rng.choice(m.network.n_nodes, size=50, replace=False)]):
        assert risk[i] == pytest.approx(m.kernels.risk(m.net, m.nodes, int(i), m.tick, m.params),
                                        rel=1e-9, abs=1e-15)
    fig = draw_map(m, "deterrence")
    assert len(fig.axes[0].collections) >= 4  # streets, heat, offenders, officers
