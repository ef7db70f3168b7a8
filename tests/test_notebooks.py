"""The tutorial notebooks: committed without outputs, runnable top to bottom on the
data in use, and rendered (executed, with figures) in docs/notebooks/.

Execution keeps each notebook's ``parameters`` cell (small settings) and runs the
kernel from this Python (the venv), with a kernel spec installed in a temporary
folder so that whatever ``python3`` kernel the machine has is not used by mistake
(``notebooks/render_docs.py`` does the same for the rendered copies).
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
DOCS = ROOT / "docs" / "notebooks"
# Figures (PNG outputs) each notebook must produce at least.
EXPECTED_FIGURES = {
    "01_quickstart.ipynb": 2,        # static hot spot map, crime reduction
    "02_policy_comparison.ipynb": 3,  # by place, by crime type, crimes by place
    "03_trial_design.ipynb": 3,      # baseline rates, power curves, effect sizes
    "04_tracking.ipynb": 3,          # traces, dose bars, survival curve
    "05_real_trial.ipynb": 5,        # time profiles, eligible map, schedule, dose per arm, rate ratios
    "06_plan.ipynb": 2,              # Pareto front, dose-response
}
EXPECTED_HTML = {"01_quickstart.ipynb": "leaflet", "04_tracking.ipynb": "leaflet"}
DOCS_MAX_BYTES = 3_000_000  # all rendered copies with their figures


def load_render_docs():
    """notebooks/render_docs.py as a module (notebooks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("render_docs",
                                                  ROOT / "notebooks" / "render_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_docs = load_render_docs()


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
    with render_docs.venv_kernel(tmp_path_factory.mktemp("kernel")) as name:
        yield name


# Every notebook on the data in use (CI: the full county data), and the quickstart
# also with HOTSPOT_SIM_DATA removed, so the embedded data is exercised in CI too.
RUNS = [pytest.param(p, False, id=p.name) for p in NOTEBOOKS] + [
    pytest.param(ROOT / "notebooks" / "01_quickstart.ipynb", True, id="01_quickstart-embedded")]


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize(("path", "embedded"), RUNS)
def test_notebook_runs(path, embedded, real_data, venv_kernel, tmp_path, monkeypatch):
    from hotspot_sim.locations import data_source

    if embedded:
        monkeypatch.delenv("HOTSPOT_SIM_DATA", raising=False)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb, seconds = render_docs.execute(path, tmp_path, venv_kernel)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    source = data_source()
    assert f"data: {source['description']}" in printed, "the notebook must say which data it used"
    if embedded:
        assert source["kind"] == "embedded"
    pngs = sum("image/png" in o.get("data", {}) for o in outputs)
    assert pngs >= EXPECTED_FIGURES[path.name], f"{path.name}: {pngs} figures"
    if path.name in EXPECTED_HTML:
        html = " ".join(o.get("data", {}).get("text/html", "") for o in outputs)
        assert EXPECTED_HTML[path.name] in html.lower()
    assert (tmp_path / "out").is_dir(), "the notebook's files go to OUT"
    print(f"{path.name}: {seconds:.1f} s")


RENDER = "run .venv/bin/python notebooks/render_docs.py {name} (after notebooks/make_notebooks.py)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_rendered_copy_is_current(path):
    """docs/notebooks/<name>.md exists, was rendered from the notebook as it is now and has
    its figures (and no stale ones)."""
    md = DOCS / f"{path.stem}.md"
    how = RENDER.format(name=path.name)
    assert md.is_file(), f"{md.relative_to(ROOT)} is missing: {how}"
    assert render_docs.rendered_hash(md) == render_docs.cells_hash(path), (
        f"{md.relative_to(ROOT)} was rendered from an older {path.relative_to(ROOT)}: {how}")
    text = md.read_text(encoding="utf-8")
    linked = set(re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text))
    on_disk = {p.relative_to(DOCS).as_posix() for p in (DOCS / f"{path.stem}_files").glob("*")}
    assert linked == on_disk, f"figures linked and on disk differ: {how}"
    assert len(linked) >= EXPECTED_FIGURES[path.name]
    assert "Traceback" not in text, f"a cell failed: {how}"
    assert "<style" not in text, "pandas CSS would show as text on GitHub"


def test_rendered_copies_small_and_indexed():
    total = sum(p.stat().st_size for p in DOCS.rglob("*") if p.is_file())
    assert total < DOCS_MAX_BYTES, f"docs/notebooks holds {total / 1e6:.1f} MB: keep figures small"
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"({path.stem}.md)" in index


def test_cells_hash_follows_sources_not_outputs(tmp_path):
    """Editing a cell makes the rendered copy out of date; running the notebook does not."""
    book = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    before = render_docs.cells_hash(NOTEBOOKS[0])
    copy = tmp_path / "nb.ipynb"
    code = next(c for c in book["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hello"}]
    code["execution_count"] = 1
    copy.write_text(json.dumps(book), encoding="utf-8")
    assert render_docs.cells_hash(copy) == before
    code["source"] = "DAYS = 30"
    copy.write_text(json.dumps(book), encoding="utf-8")
    assert render_docs.cells_hash(copy) != before


def test_readable_outputs_replace_maps_and_drop_table_css():
    import nbformat

    table = '<div><style scoped>\n  .dataframe th { x: y; }\n</style>\n<table class="dataframe">'
    cell = nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", {"text/html": '<iframe srcdoc="L.map leaflet">'}),
        nbformat.v4.new_output("execute_result", {"text/html": table}, execution_count=1)])
    book = nbformat.v4.new_notebook(cells=[cell])
    render_docs.readable_outputs(book)
    assert "Interactive map" in cell.outputs[0]["data"]["text/markdown"]
    assert "text/html" not in cell.outputs[0]["data"]
    assert cell.outputs[1]["data"]["text/html"] == '<div><table class="dataframe">'
