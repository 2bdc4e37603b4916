"""autograder.hidden and dlcourse.grading.run_hidden: hidden lines never reach the kernel."""
import json

import IPython.display
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.utils import compute_checksum

from autograder.hidden import (RUN_LINE, HiddenBlockError, HideHiddenTests, ProbeCall, RestoreHiddenTests,
                               assignment_hidden_lines, hidden_lines, html_text, leaked_lines,
                               notebook_output_text, parse_probe_call, secret_lines, split_hidden)
from autograder.nbgrader_cli import SOLUTIONS, assignments
from autograder.preprocessors import RESOURCE_KEY
from dlcourse import grading

VISIBLE = "check(f(1) == 2)\n"
HIDDEN = 'from dlcourse.grading import probe\nprobe("test_f", f)\n'
SOURCE = f"{VISIBLE}\n### BEGIN HIDDEN TESTS\n{HIDDEN}### END HIDDEN TESTS\nprint('after')"


def graded_test_cell(source=SOURCE, grade_id="test_f"):
    cell = new_code_cell(source, metadata={"nbgrader": {"grade": True, "solution": False, "locked": True,
                                                        "points": 1, "grade_id": grade_id,
                                                        "schema_version": 3}})
    cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
    return cell


def test_split_hidden_separates_the_block():
    before, block, after = split_hidden(SOURCE)
    assert block == HIDDEN and before == VISIBLE + "\n" and after == "print('after')"
    assert split_hidden("x = 1") == ("x = 1", None, "")


@pytest.mark.parametrize("block, call", [
    (HIDDEN, ProbeCall("test_f", "probe", "f")),
    ('from dlcourse.grading import probe_value\nprobe_value("test_w", WEIGHTS)\n',
     ProbeCall("test_w", "probe_value", "WEIGHTS")),
])
def test_probe_calls_parse(block, call):
    assert parse_probe_call(block) == call


@pytest.mark.parametrize("block", [
    'probe("test_f", f)\nassert f(2) == 4\n',
    'import os\nprobe("test_f", f)\n',
    'probe("test_f", lambda x: f(x))\n',
    'probe(name, f)\n',
    'probe("test_f", f)\nprobe("test_g", g)\n',
    "probe(\n",
])
def test_anything_but_one_probe_call_is_refused(block):
    with pytest.raises(HiddenBlockError):
        parse_probe_call(block)


@pytest.mark.parametrize("assignment", assignments())
def test_every_hidden_block_of_the_course_is_a_probe_call(assignment):
    for path in (SOLUTIONS / assignment).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            block = split_hidden(cell.source)[1]
            if block is not None:
                parse_probe_call(block)


def test_hide_then_restore_keeps_source_and_checksum(tmp_path):
    cell = graded_test_cell()
    nb = new_notebook(cells=[new_code_cell("x = 1"), cell])
    resources = {RESOURCE_KEY: {"workdir": str(tmp_path)}}
    nb, resources = HideHiddenTests().preprocess(nb, resources)
    hidden = nb.cells[1].source
    assert RUN_LINE.format(grade_id="test_f") in hidden and VISIBLE in hidden and "after" in hidden
    assert not [line for line in hidden_lines(SOURCE) if line in hidden]
    assert json.loads((tmp_path / grading.PROBES_FILE).read_text()) == {
        "test_f": {"grade_id": "test_f", "kind": "probe", "target": "f"}}
    nb, resources = RestoreHiddenTests().preprocess(nb, resources)
    assert nb.cells[1].source == SOURCE
    assert compute_checksum(nb.cells[1]) == nb.cells[1].metadata.nbgrader.checksum


def test_two_hidden_blocks_in_one_cell_are_refused(tmp_path):
    nb = new_notebook(cells=[graded_test_cell(SOURCE + "\n### BEGIN HIDDEN TESTS\nx\n### END HIDDEN TESTS\n")])
    with pytest.raises(HiddenBlockError):
        HideHiddenTests().preprocess(nb, {RESOURCE_KEY: {"workdir": str(tmp_path)}})


def test_run_hidden_makes_the_listed_probe_call(tmp_path, monkeypatch):
    import __main__

    (tmp_path / "cases.json").write_text(json.dumps({"test_f": [{"args": [3]}]}))
    (tmp_path / grading.PROBES_FILE).write_text(json.dumps({"test_f": {"kind": "probe", "target": "f"}}))
    monkeypatch.setenv(grading.CASES_ENV, str(tmp_path / "cases.json"))
    monkeypatch.setattr(__main__, "f", lambda x: 2 * x, raising=False)
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *a, **k: shown.append(a[0]))
    grading.run_hidden("test_f")
    assert shown[0][grading.PROBE_MIME] == {"grade_id": "test_f", "results": [{"value": 6}]}
    monkeypatch.delattr(__main__, "f")
    with pytest.raises(NameError, match="'f' is not defined"):
        grading.run_hidden("test_f")


def test_secret_lines_leave_out_what_the_student_wrote(tmp_path):
    lines = assignment_hidden_lines("01-perceptron")
    assert 'probe("test_threshold_unit", threshold_unit)' in lines
    own = tmp_path / "nb.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("from dlcourse.grading import probe")]), own)
    secret = secret_lines("01-perceptron", [own])
    assert "from dlcourse.grading import probe" not in secret
    assert 'probe("test_threshold_unit", threshold_unit)' in secret


def test_leaks_are_found_in_outputs_and_in_html_however_escaped(tmp_path):
    secret = {'probe("test_f", f)'}
    nb = new_notebook(cells=[new_code_cell("print(In)")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text='[\'\', \'probe("test_f", f)\']')]
    nbformat.write(nb, tmp_path / "a.ipynb")
    assert leaked_lines(notebook_output_text(tmp_path / "a.ipynb"), secret) == ['probe("test_f", f)']
    page = '<pre><span class="n">probe</span>(<span class="s">&quot;test_f&quot;</span>, f)</pre>'
    assert leaked_lines(html_text(page), secret) == ['probe("test_f", f)']
    assert leaked_lines("\x1b[31mprobe(\x1b[0m\"test_f\", f)", secret) == ['probe("test_f", f)']
    assert leaked_lines(html_text("<p>nothing here</p>"), secret) == []
