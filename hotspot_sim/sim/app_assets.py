"""Web assets of the live view, kept locally so ``hotspot-sim view`` works offline.

Solara's page loads its JavaScript and CSS (the solara Vuetify app, RequireJS,
Font Awesome) from a CDN through the server's asset proxy.
:func:`ensure_assets` puts those npm packages in a local folder once (with
``npm pack``, from the npm registry) and ``hotspot-sim view`` points the
server's proxy cache at it, so the page works without the CDN.  Nothing here
imports solara until it is needed, so the CLI starts fast.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from pathlib import Path


def assets_dir() -> Path:
    """Where the page's web assets are kept: ``<hotspot-sim cache>/solara-cdn``."""
    from ..network import cache_dir

    return cache_dir() / "solara-cdn"


def required_assets() -> list[str]:
    """The npm ``name@version`` packages solara's page template loads from the CDN."""
    import ipyvuetify
    import solara
    import solara.server.settings as server_settings

    template = Path(solara.__file__).parent / "server" / "templates" / "solara.html.j2"
    found = re.findall(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+@[\w.-]+)/", template.read_text())
    vuetify3 = int(ipyvuetify.__version__.split(".")[0]) >= 3
    skip = "@widgetti/solara-vuetify-app@" if vuetify3 else "@widgetti/solara-vuetify3-app@"
    wanted = [f for f in dict.fromkeys(found) if not f.startswith(skip)]
    fa = server_settings.assets.fontawesome_path.strip("/").split("/")[0]
    if fa and fa not in wanted:
        wanted.append(fa)
    return wanted


def _npm_tarball(spec: str, dest: Path) -> Path:
    """``npm pack`` one package (the npm registry's own client), else its registry tarball."""
    npm = shutil.which("npm")
    if npm:
        out = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", str(dest)],
                             capture_output=True, text=True, timeout=300, check=True)
        return dest / out.stdout.strip().splitlines()[-1]
    name, _, version = spec.rpartition("@")
    url = f"https://registry.npmjs.org/{name}/-/{name.split('/')[-1]}-{version}.tgz"
    path = dest / f"{name.split('/')[-1]}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=120) as r:  # noqa: S310 - fixed https URL
        path.write_bytes(r.read())
    return path


def ensure_assets(folder: Path | None = None) -> Path:
    """Put every asset package the page needs in ``folder`` (skipping those already there)."""
    folder = Path(folder or assets_dir())
    folder.mkdir(parents=True, exist_ok=True)
    for spec in required_assets():
        target = folder / spec
        if (target / "package.json").exists():
            continue
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            tgz = _npm_tarball(spec, Path(tmp))
            with tarfile.open(tgz) as tar:
                tar.extractall(tmp, filter="data")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(target, ignore_errors=True)
            os.replace(Path(tmp) / "package", target)
    return folder
