"""``make site``: the course website, a static HTML site built offline.

``python -m publish.site [--out DIR]`` (default ``dist/site/``) writes ``html/`` there:

- the home page is the README's course overview (its title, introduction and notebook
  table, whose names link each notebook's page);
- one page per lecture notebook, in lecture order: the student version from course/
  (exercise text and stubs, never a solution), with the outputs of a fast-mode run of
  its *solved* copy on every cell that is not an answer or test cell, so figures show;
  widget views are left out (they need JavaScript from a CDN);
- formulas typeset by MathJax 2.7, served by the site itself (jupyter-server-mathjax).

Executing the nine notebooks costs about two minutes of CPU, so outputs are cached in
``DIR/cache/``, keyed by a hash of the solved notebook and of dlcourse; a rebuild with
nothing changed executes nothing and Sphinx rewrites only what changed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from .settings import NOTEBOOKS_DIR, ROOT
from .student_dist import course_table

SITE = ROOT / "dist" / "site"
CONF = Path(__file__).resolve().parent / "sphinx" / "conf.py"
MATHJAX_PARTS = ["MathJax.js", "config", "jax", "extensions", "fonts", "LICENSE"]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
CELL_TIMEOUT = 600


def grading_role(cell) -> str | None:
    """'answer' or 'test' for nbgrader's graded cells, else None."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("solution"):
        return "answer"
    return "test" if meta.get("grade") else None


def solved_copy(student: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student notebook with each answer cell holding the reference (markers removed)."""
    reference = {c.metadata["nbgrader"]["grade_id"]: c.source
                 for c in solution.cells if grading_role(c) == "answer"}
    nb = nbformat.from_dict(json.loads(json.dumps(student)))
    for cell in nb.cells:
        if grading_role(cell) == "answer":
            lines = reference[cell.metadata["nbgrader"]["grade_id"]].splitlines()
            cell.source = "\n".join(line for line in lines if line.strip() not in SOLUTION_MARKERS)
    return nb


def dlcourse_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "dlcourse").rglob("*.py")) + sorted((ROOT / "data").glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def kernel_env() -> dict:
    """Fast mode, one thread, and the inline plot backend (tests set MPLBACKEND=Agg, which shows nothing)."""
    env = dict(os.environ, DLCOURSE_FAST="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env.pop("DLCOURSE_CASES", None)
    return env


def execute_outputs(nb: nbformat.NotebookNode) -> dict[str, list]:
    """Run ``nb`` (a solved copy) in a fresh kernel; the outputs of its shown cells by cell id."""
    from nbclient import NotebookClient

    from dlcourse.kernel import use_sliced_polls

    with tempfile.TemporaryDirectory(prefix="dlcourse-site-") as cwd:
        client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                resources={"metadata": {"path": cwd}})
        client.km = use_sliced_polls(client.create_kernel_manager())  # see dlcourse.kernel
        client.execute(env=kernel_env())
    return {cell.id: [o for o in cell.outputs if WIDGET_MIME not in o.get("data", {})]
            for cell in nb.cells if cell.cell_type == "code" and grading_role(cell) is None}


def cached_outputs(assignment: str, student: nbformat.NotebookNode, cache: Path) -> dict[str, list]:
    """Outputs of the solved copy of ``student``, from ``cache`` or from a fresh run."""
    solution = nbformat.read(next((ROOT / "solutions" / assignment).glob("*.ipynb")), as_version=4)
    solved = solved_copy(student, solution)
    key = hashlib.sha256((nbformat.writes(solved) + dlcourse_digest()).encode()).hexdigest()[:16]
    path = cache / f"{assignment}-{key}.json"
    if path.is_file():
        return json.loads(path.read_text())
    started = time.perf_counter()
    outputs = execute_outputs(solved)
    print(f"  executed {assignment} in fast mode ({time.perf_counter() - started:.0f} s)", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob(f"{assignment}-*.json"):
        old.unlink()
    path.write_text(json.dumps(outputs))  # outputs only: the solved source never reaches the disk
    return outputs


def page_of(student: nbformat.NotebookNode, outputs: dict[str, list]) -> nbformat.NotebookNode:
    """The student notebook with the cached outputs on its shown cells."""
    nb = nbformat.from_dict(json.loads(json.dumps(student)))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.from_dict(o) for o in outputs.get(cell.id, [])]
    return nb


def home_page(notebooks: list[Path]) -> str:
    """index.md: the README's title, introduction and notebook table (each name linked to its
    page), then the navigation in lecture order. The README's setup commands are for a clone
    of this repository, so they stay out."""
    intro = (ROOT / "README.md").read_text().split("\n```", 1)[0].rstrip()
    table = course_table()
    for path in notebooks:
        name = path.parent.name
        table = table.replace(f"| `{name}` |", f"| [{name}]({path.as_posix()}) |")
    toctree = "\n".join(path.with_suffix("").as_posix() for path in notebooks)
    return (f"{intro}\n\nEvery lecture page opens on Colab from the link at its top.\n\n{table}\n\n"
            f"```{{toctree}}\n:caption: Lectures\n:maxdepth: 1\n:hidden:\n\n{toctree}\n```\n")


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless ``path`` already holds it, so Sphinx rebuilds only what changed."""
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def copy_mathjax(target: Path) -> None:
    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
    if (target / "MathJax.js").is_file():
        return
    target.mkdir(parents=True, exist_ok=True)
    for part in MATHJAX_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part)
        else:
            shutil.copy2(source / part, target / part)


def stage(src: Path, cache: Path) -> None:
    """Write the Sphinx sources: conf.py, index.md, the lecture pages, MathJax."""
    course = ROOT / NOTEBOOKS_DIR
    notebooks = sorted(p.relative_to(course) for p in course.glob("*/*.ipynb"))
    write_if_changed(src / "conf.py", CONF.read_text())
    write_if_changed(src / "index.md", home_page([NOTEBOOKS_DIR / p for p in notebooks]))
    for rel in notebooks:
        student = nbformat.read(course / rel, as_version=4)
        page = page_of(student, cached_outputs(rel.parent.name, student, cache))
        write_if_changed(src / NOTEBOOKS_DIR / rel, nbformat.writes(page))
    copy_mathjax(src / "_mathjax")


def build(out: Path = SITE) -> Path:
    """Stage and build the site under ``out``; returns the HTML folder."""
    src, html = out / "src", out / "html"
    stage(src, out / "cache")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "1",
                             "-d", str(out / "doctrees"), str(src), str(html)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"sphinx failed:\n{result.stdout}\n{result.stderr}")
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    for line in warnings:
        print(line)
    return html


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SITE, help="output folder (default: dist/site/)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    html = build(args.out)
    print(f"course website: {html / 'index.html'} ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
