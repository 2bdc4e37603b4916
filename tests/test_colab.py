"""The Colab cells `make release` puts on every course notebook (publish.colab).

The badge links each notebook at its own path in the student repository; the install cell
is the one the wheel test runs (tests/test_wheel.py) and does nothing where dlcourse is
importable, checked in a real kernel with an audit hook that sees every process started.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from dlcourse.kernel import use_sliced_polls
from publish.colab import BADGE_ID, INSTALL_ID, install_cell
from publish.settings import NOTEBOOKS_DIR, publication

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / NOTEBOOKS_DIR).glob("*/*.ipynb"))
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"]+")
# Record every process the next cells start; with BLOCK set, refuse to start it.
AUDIT = """\
import sys
STARTED, BLOCK = [], False
def _audit(event, args):
    if event == "subprocess.Popen":
        STARTED.append([str(a) for a in args[1]])
        if BLOCK:
            raise RuntimeError("blocked by the test")
sys.addaudithook(_audit)"""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_notebook_opens_with_one_colab_link_to_itself_then_the_install_cell(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].id == BADGE_ID and nb.cells[1].id == INSTALL_ID
    links = [link for cell in nb.cells for link in COLAB_LINK.findall(cell.source)]
    rel = path.relative_to(ROOT / NOTEBOOKS_DIR).as_posix()
    assert links == [publication().colab_url(rel)], f"expected one Colab link to {rel}, found {links}"
    assert links[0].endswith(f"/{NOTEBOOKS_DIR}/{rel}")  # the notebook's path in the student repository
    assert nb.cells[1].source == install_cell(publication()).source
    assert f'"{publication().wheel_url}"' in nb.cells[1].source


def run_cells(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True)
    client.km = use_sliced_polls(client.create_kernel_manager())
    client.execute()
    return nb


def output_text(cell) -> str:
    return "".join(o.get("text", "") + "".join(o.get("traceback", [])) for o in cell.outputs)


def test_install_cell_does_nothing_where_dlcourse_is_importable_and_runs_pip_where_it_is_not():
    source = nbformat.read(NOTEBOOKS[0], as_version=4).cells[1].source
    nb = run_cells(AUDIT, source, "import dlcourse, json; print(json.dumps(STARTED))",
                   # Colab's case: dlcourse not importable; the pip process is blocked and recorded
                   "BLOCK = True\nsys.modules['dlcourse'] = None", source, "print(json.dumps(STARTED))")
    assert not nb.cells[1].outputs, output_text(nb.cells[1])
    assert json.loads(output_text(nb.cells[2])) == [], "the install cell started a process beside dlcourse"
    assert "blocked by the test" in output_text(nb.cells[4])
    started = json.loads(output_text(nb.cells[5]))
    assert len(started) == 1
    assert started[0][1:] == ["-m", "pip", "install", "--quiet", f"dlcourse @ {publication().wheel_url}"]
    assert Path(started[0][0]).name.startswith("python")
