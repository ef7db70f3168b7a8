"""``hotspot-sim view``: the live Mesa SolaraViz page in a browser."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ConfigError
from .args import add_scenario_arg, number_arg


def add_view_command(sub) -> None:
    """Add ``view``."""
    p = sub.add_parser(
        "view", help="watch the model run live in a web browser (Mesa SolaraViz)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Start a local web server with a live view of the patrol model: a map of "
                    "the street network with a risk or deterrence heat layer, officers by "
                    "status, offenders and the last 24 h of crime, plus charts per day. The "
                    "sidebar has Step / Play / Reset and the policy, officers, offenders and "
                    "seed (applied on Reset).",
        epilog="Then open http://HOST:PORT/ in a browser (http://127.0.0.1:8765/ by default).\n"
               "The first page load takes a few seconds while the data loads. Ctrl-C stops "
               "the server.\nOn a remote machine: ssh -L 8765:127.0.0.1:8765 HOST, then open "
               "http://127.0.0.1:8765/ locally.")
    add_scenario_arg(p)
    p.add_argument("--policy", "-p", help="initial policy (default: the scenario's)")
    p.add_argument("--port", type=number_arg(1, 65535, integer=True), default=8765,
                   help="port to listen on (default 8765)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    p.set_defaults(handler=cmd_view)


def cmd_view(args) -> int:
    """Serve the live view (the solara server replaces this process)."""
    import os
    import subprocess

    from ..sim.policies import get_policy
    from ..settings import load_scenario

    scenario = Path(args.scenario).resolve()
    load_scenario(scenario)  # a bad scenario fails here with one clear line
    if args.policy:
        get_policy(args.policy)
    from ..sim.app_assets import ensure_assets

    try:  # the page's web assets, kept locally so the page works without the CDN
        assets = ensure_assets()
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"cannot fetch the web page's assets (npm packages): {exc}") from exc
    env = dict(os.environ, HOTSPOT_SIM_LIVE_SCENARIO=str(scenario),
               SOLARA_ASSETS_PROXY_CACHE_DIR=str(assets),
               SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", MPLBACKEND="Agg")
    if args.policy:
        env["HOTSPOT_SIM_LIVE_POLICY"] = args.policy
    cmd = [sys.executable, "-m", "solara", "run", "hotspot_sim.sim.app:Page", "--production",
           "--no-open", "--port", str(args.port), "--host", args.host]
    print(f"hotspot-sim view: serving {scenario.name} at http://{args.host}:{args.port}/ "
          "(Ctrl-C to stop)", flush=True)
    if hasattr(os, "execvpe"):
        os.execvpe(cmd[0], cmd, env)  # the server replaces this process: signals reach it
    try:  # pragma: no cover - platforms without exec
        return subprocess.call(cmd, env=env)
    except FileNotFoundError as exc:  # pragma: no cover
        raise ConfigError(f"cannot start the solara server: {exc}") from exc
