"""Execute the notebooks and write readable copies, with figures, into docs/notebooks/.

    .venv/bin/python notebooks/render_docs.py                        # every notebook
    .venv/bin/python notebooks/render_docs.py 01_quickstart.ipynb    # just one

Each notebook runs top to bottom with its committed (small) settings on the
embedded Welwyn Hatfield data (``HOTSPOT_SIM_DATA`` is removed for the run), so
the copies show what a fresh clone gives.  Each becomes ``docs/notebooks/<name>.md``
with its figures as PNG files in ``docs/notebooks/<name>_files/``.  The first
line of every copy records a hash of the notebook's cells; the test suite
recomputes it, so a notebook edited without running this script again fails
``tests/test_notebooks.py``.

Run it after ``notebooks/make_notebooks.py`` (which writes the notebooks).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOCS = ROOT / "docs" / "notebooks"
RERENDER = ".venv/bin/python notebooks/render_docs.py"
HASH_LINE = re.compile(r"<!-- notebook cells sha256: ([0-9a-f]{64}) -->")
# pandas' HTML tables start with a <style> block: GitHub strips the tag but shows its text
PANDAS_STYLE = re.compile(r"<style scoped>.*?</style>\s*", re.DOTALL)


def cells_hash(path: Path) -> str:
    """A hash of a notebook's cells (type and source), which is what a copy shows.

    Outputs, ids and metadata are left out, so only an edit a reader would see
    makes the rendered copy out of date.
    """
    book = json.loads(path.read_text(encoding="utf-8"))
    cells = [[c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list)
              else c["source"]] for c in book["cells"]]
    return hashlib.sha256(json.dumps(cells).encode("utf-8")).hexdigest()


def rendered_hash(md_path: Path) -> str | None:
    """The cells hash recorded in a rendered copy (None if the copy has none)."""
    match = HASH_LINE.search(md_path.read_text(encoding="utf-8"))
    return match.group(1) if match else None


@contextlib.contextmanager
def venv_kernel(prefix: Path) -> Iterator[str]:
    """A ``python3`` kernel spec running this interpreter, first on ``JUPYTER_PATH``.

    Whatever ``python3`` kernel the machine has is thereby not used by mistake.
    Yields the kernel name.
    """
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(prefix),
                    "--name", "python3"], check=True, capture_output=True)
    old = os.environ.get("JUPYTER_PATH")
    share = str(prefix / "share" / "jupyter")
    os.environ["JUPYTER_PATH"] = share + (os.pathsep + old if old else "")
    try:
        yield "python3"
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old


def execute(path: Path, workdir: Path, kernel: str = "python3", timeout: int = 600):
    """Run a notebook top to bottom in ``workdir`` with its committed settings.

    A cell after the ``parameters`` cell sets ``OUT = "out"`` (the notebook's files
    go to ``workdir/out``) and is removed again after the run, so the executed
    notebook shows the committed cells only.

    Returns
    -------
    tuple
        The executed notebook (``nbformat.NotebookNode``) and the seconds it took.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        At the first cell that fails.
    """
    import nbformat
    from nbclient import NotebookClient

    book = nbformat.read(path, as_version=4)
    first = [c.cell_type for c in book.cells].index("code")
    if "parameters" not in book.cells[first].metadata.get("tags", []):
        raise ValueError(f"{path.name}: the first code cell must be tagged 'parameters'")
    book.cells.insert(first + 1, nbformat.v4.new_code_cell('OUT = "out"'))
    client = NotebookClient(book, kernel_name=kernel, timeout=timeout,
                            resources={"metadata": {"path": str(workdir)}})
    t0 = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - t0
    del book.cells[first + 1]
    return book, seconds


def readable_outputs(book) -> None:
    """Make outputs fit a Markdown page: interactive maps become a note, tables lose CSS."""
    for cell in book.cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if html is None:
                continue
            if "leaflet" in html.lower():  # a folium map: kilobytes of script, no picture
                out["data"] = {"text/markdown": (
                    "*Interactive map (zoom, click a hot spot, switch layers): open the notebook "
                    "in JupyterLab to see it; the cell also saves it as an HTML file.*")}
            else:
                out["data"]["text/html"] = PANDAS_STYLE.sub("", html)


def to_markdown(book, name: str, cells_sha: str, data: str, seconds: float) -> tuple[str, dict]:
    """The executed notebook as Markdown and its figures (``{file name: PNG bytes}``)."""
    from nbconvert import MarkdownExporter

    stem = Path(name).stem
    readable_outputs(book)
    body, resources = MarkdownExporter().from_notebook_node(
        book, resources={"output_files_dir": f"{stem}_files", "unique_key": stem})
    head = (f"<!-- notebook cells sha256: {cells_sha} -->\n"
            f"*Executed copy of [notebooks/{name}](../../notebooks/{name}), written by "
            f"`notebooks/render_docs.py` on {datetime.date.today():%d %B %Y} with the "
            f"notebook's own small settings on the {data} ({seconds:.0f} s). To run it "
            "yourself: `.venv/bin/jupyter lab notebooks/`.*\n\n")
    return head + body.lstrip(), resources.get("outputs", {})


def render(path: Path, kernel: str, docs: Path = DOCS) -> list[Path]:
    """Execute one notebook and write ``docs/<stem>.md`` and ``docs/<stem>_files/``."""
    from hotspot_sim.locations import data_source

    stem = path.stem
    with tempfile.TemporaryDirectory(prefix=f"render-{stem}-") as work:
        book, seconds = execute(path, Path(work), kernel)
    text, figures = to_markdown(book, path.name, cells_hash(path),
                                data_source()["description"].split(" (")[0], seconds)
    files = docs / f"{stem}_files"
    shutil.rmtree(files, ignore_errors=True)  # no stale figures from an earlier render
    files.mkdir(parents=True)
    written = [docs / f"{stem}.md"]
    written[0].write_text(text, encoding="utf-8")
    for rel, data in figures.items():
        (docs / rel).write_bytes(data)
        written.append(docs / rel)
    print(f"{path.name}: {seconds:.0f} s -> {written[0].relative_to(ROOT)} "
          f"and {len(figures)} figures ({sum(p.stat().st_size for p in written) / 1e3:.0f} kB)")
    return written


def write_index(docs: Path = DOCS) -> None:
    """``docs/notebooks/README.md``: one line per rendered notebook, with its title."""
    lines = ["# Executed notebooks\n",
             "Copies of the notebooks in [notebooks/](../../notebooks/) after running them top to "
             "bottom, with their tables and figures, for reading without Jupyter. They are "
             f"written by `{RERENDER}`; to run the notebooks yourself: "
             "`.venv/bin/jupyter lab notebooks/`.\n"]
    for md in sorted(docs.glob("[0-9]*.md")):
        title = next(line.lstrip("# ").strip() for line in md.read_text(encoding="utf-8")
                     .splitlines() if line.startswith("# "))
        lines.append(f"- [{title}]({md.name})")
    (docs / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook file names (default: all)")
    args = parser.parse_args(argv)
    names = args.notebooks or sorted(p.name for p in HERE.glob("*.ipynb"))
    missing = [n for n in names if not (HERE / n).is_file()]
    if missing:
        sys.exit(f"render_docs: no notebook {', '.join(missing)} in {HERE}")
    # the copies show what a fresh clone gives: the embedded data, the inline backend
    if os.environ.pop("HOTSPOT_SIM_DATA", None):
        print("render_docs: HOTSPOT_SIM_DATA is set but not used: the copies show the "
              "embedded data, as a fresh clone does")
    os.environ.pop("MPLBACKEND", None)
    with tempfile.TemporaryDirectory(prefix="render-kernel-") as prefix, \
            venv_kernel(Path(prefix)) as kernel:
        for name in names:
            render(HERE / name, kernel)
    write_index()
    total = sum(p.stat().st_size for p in DOCS.rglob("*") if p.is_file())
    print(f"docs/notebooks: {total / 1e6:.2f} MB in all")


if __name__ == "__main__":
    main()
