"""Light start: a command and a sweep worker import only the libraries they use.

Each check runs in a fresh interpreter, so what earlier tests imported does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT

# Libraries of pictures, maps, statistics, GIS and clusters: only the commands that use them
# may import them.  (Mesa itself imports pandas, scipy and networkx; numba is the kernels'.)
PICTURES_STATS_GIS = ("matplotlib", "folium", "statsmodels", "dask", "distributed",
                      "geopandas", "osmnx", "salib")


def imported_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported after running ``code``."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps([m for m in {modules!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return json.loads(done.stdout.splitlines()[-1])


RUN_HELP = ("import contextlib, io\nfrom hotspot_sim.cli import main\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            "    main(['run', '--help'])")


@pytest.mark.parametrize("code, also_not", [
    (RUN_HELP, ("mesa", "pandas", "pyarrow", "networkx", "simpy")),
    ("from hotspot_sim.trial import run_task", ("mesa", "scipy.stats")),
    ("import hotspot_sim.sim.model", ("scipy.stats",)),
])
def test_start_imports_only_what_is_used(code, also_not):
    assert imported_after(code, PICTURES_STATS_GIS + also_not) == []


def test_lazy_package_names_are_the_same_objects():
    code = ("import hotspot_sim.trial.power\n"  # the submodule first: the name stays the function
            "from hotspot_sim.trial import power, run_task, TrialResult\n"
            "from hotspot_sim.trial.power import power as f\n"
            "from hotspot_sim.trial.measure import run_task as g\n"
            "from hotspot_sim.sim import PatrolModel, REGISTRY\n"
            "from hotspot_sim.sim.model import PatrolModel as M\n"
            "import hotspot_sim.trial as t, hotspot_sim.sim as s\n"
            "assert power is f and run_task is g and PatrolModel is M and callable(t.power)\n"
            "assert all(hasattr(t, n) for n in t.__all__) and all(hasattr(s, n) for n in s.__all__)\n"
            "try:\n    t.no_such_name\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit(1)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
