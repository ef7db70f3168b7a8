"""The tutorial notebooks: committed without outputs, and runnable top to bottom on real data.

Execution keeps each notebook's ``parameters`` cell (small settings) and runs the
kernel from this Python (the venv), with a kernel spec installed in a temporary
folder so that whatever ``python3`` kernel the machine has is not used by mistake.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Figures (PNG outputs) each notebook must produce at least.
EXPECTED_FIGURES = {
    "01_quickstart.ipynb": 2,        # static hot spot map, crime reduction
    "02_policy_comparison.ipynb": 3,  # by place, by crime type, crimes by place
    "03_trial_design.ipynb": 3,      # baseline rates, power curves, effect sizes
    "04_tracking.ipynb": 3,          # traces, dose bars, survival curve
}
EXPECTED_HTML = {"01_quickstart.ipynb": "leaflet", "04_tracking.ipynb": "leaflet"}


def test_notebooks_present():
    assert [p.name for p in NOTEBOOKS] == sorted(EXPECTED_FIGURES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and "parameters" in code[0].metadata.get("tags", []), \
        "the first code cell must be tagged 'parameters'"
    for cell in code:
        assert cell.outputs == [], f"{path.name}: a cell has stale outputs"
        assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


@pytest.fixture(scope="session")
def venv_kernel(tmp_path_factory):
    """A 'python3' kernel spec that runs this interpreter, first on JUPYTER_PATH."""
    prefix = tmp_path_factory.mktemp("kernel")
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix),
                    "--name", "python3"], check=True, capture_output=True)
    old = os.environ.get("JUPYTER_PATH")
    share = str(prefix / "share" / "jupyter")
    os.environ["JUPYTER_PATH"] = share + (os.pathsep + old if old else "")
    yield "python3"
    if old is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = old


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, real_data, venv_kernel, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("HOTSPOT_SIM_DATA", str(real_data))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    params = nb.cells[[c.cell_type for c in nb.cells].index("code")]
    assert "parameters" in params.metadata["tags"]
    # keep the small committed settings, but write every output into tmp_path
    params.source += f"\nOUT = {str(tmp_path / 'out')!r}"
    client = NotebookClient(nb, kernel_name=venv_kernel, timeout=600,
                            resources={"metadata": {"path": str(tmp_path)}})
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    seconds = time.perf_counter() - t0
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pngs = sum("image/png" in o.get("data", {}) for o in outputs)
    assert pngs >= EXPECTED_FIGURES[path.name], f"{path.name}: {pngs} figures"
    if path.name in EXPECTED_HTML:
        html = " ".join(o.get("data", {}).get("text/html", "") for o in outputs)
        assert EXPECTED_HTML[path.name] in html.lower()
    print(f"{path.name}: {seconds:.1f} s")
