"""autograder.metadata: forged nbgrader metadata is replaced by the gradebook's, then graded."""
import copy
import os
import shutil
import sys
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook
from nbgrader.preprocessors import CheckCellMetadata, ComputeChecksums, OverwriteCells, SaveCells

from autograder.metadata import RestoreCellMetadata
from autograder.preprocessors import DropMalformedMetadata


def meta(grade_id, grade=False, solution=False, locked=False, points=None):
    m = {"grade_id": grade_id, "grade": grade, "solution": solution, "locked": locked, "schema_version": 3}
    if points is not None:
        m["points"] = points
    return {"nbgrader": m}


def source_notebook():
    return new_notebook(cells=[
        new_code_cell("def f(x):\n    return 2 * x", metadata=meta("f", solution=True)),
        new_code_cell("assert f(1) == 2", metadata=meta("test_f", grade=True, locked=True, points=3)),
        new_markdown_cell("Explain.", metadata=meta("explain", grade=True, solution=True, points=2)),
    ])


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """A gradebook that recorded source_notebook() (nbgrader runs alembic from the venv: once)."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    old_path = os.environ["PATH"]
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{old_path}"
    try:
        with Gradebook(f"sqlite:///{path}") as gb:
            gb.update_or_create_assignment("a")
        res = {"nbgrader": {"db_url": f"sqlite:///{path}", "notebook": "nb", "assignment": "a"}}
        nb, res = ComputeChecksums().preprocess(source_notebook(), res)
        SaveCells().preprocess(nb, res)
    finally:
        os.environ["PATH"] = old_path
    return path


@pytest.fixture
def resources(gradebook, tmp_path):
    copy_ = tmp_path / "gradebook.db"
    shutil.copy(gradebook, copy_)
    return {"nbgrader": {"db_url": f"sqlite:///{copy_}", "notebook": "nb", "assignment": "a"}}


def sanitise(nb, resources):
    for pre in (DropMalformedMetadata(), RestoreCellMetadata(), OverwriteCells(add_missing_cells=True),
                CheckCellMetadata()):
        nb, resources = pre.preprocess(nb, resources)
    return nb


def submitted():
    nb = source_notebook()
    nb, _ = ComputeChecksums().preprocess(nb, {})
    return nb


FORGERIES = {
    "grade_id": lambda c: c.metadata.nbgrader.update(grade_id="test_made_up"),
    "points": lambda c: c.metadata.nbgrader.update(points=100),
    "checksum": lambda c: c.metadata.nbgrader.update(checksum="0" * 32),
    "flags": lambda c: c.metadata.nbgrader.update(grade=False, solution=True, locked=False, points="x"),
    "cell type": lambda c: (c.update(cell_type="markdown"), c.pop("outputs"), c.pop("execution_count")),
    "metadata not a dict": lambda c: c.metadata.update(nbgrader=[1, 2]),
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=list(FORGERIES))
def test_a_forged_test_cell_is_restored_from_the_gradebook(resources, forge):
    nb = submitted()
    forge(nb.cells[1])
    nb = sanitise(nb, resources)
    tests = [c for c in nb.cells if c["metadata"].get("nbgrader", {}).get("grade_id") == "test_f"]
    assert len(tests) == 1
    (cell,) = tests
    real = cell["metadata"]["nbgrader"]
    assert cell["cell_type"] == "code" and cell["source"].endswith("assert f(1) == 2")
    assert real["points"] == 3 and real["grade"] is True and real["locked"] is True and real["solution"] is False


def test_an_answer_cell_keeps_the_students_answer_with_the_real_metadata(resources):
    nb = submitted()
    nb.cells[0].source = "def f(x):\n    return x + x"
    nb.cells[0].metadata.nbgrader.update(grade=True, points=50, locked=True)
    nb = sanitise(nb, resources)
    assert nb.cells[0].source == "def f(x):\n    return x + x"
    assert nb.cells[0].metadata.nbgrader["grade"] is False and "points" not in nb.cells[0].metadata.nbgrader


def test_a_cell_claiming_an_unknown_id_becomes_an_ordinary_cell(resources):
    nb = submitted()
    nb.cells.append(copy.deepcopy(nb.cells[1]))
    nb.cells[-1].metadata.nbgrader["grade_id"] = "bonus"
    nb = sanitise(nb, resources)
    assert "nbgrader" not in nb.cells[-1].metadata
