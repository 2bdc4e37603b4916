"""What a graded notebook leaves behind is bounded, inert, free of hidden tests and replayable;
a grade is never stale or crashed by forged data.

One sandboxed batch (the real `make grade` driver) grades SOLVED 01-perceptron notebooks,
each with one attack, so every attack runs on answers that score full marks without the
defence. The tests read the batch's report, CSV, autograded notebooks and feedback, which
stay in the pytest temporary folder as evidence. Two short reruns follow: a replay of one
grade by its seed, and a regrade after a graded submission is replaced.
"""
import csv
import json
import re

import nbformat
import pytest

from autograder import sandbox
from autograder.grade import Options, grade_all
from autograder.hidden import assignment_hidden_lines, notebook_output_text
from autograder.outputs import DEFAULTS
from autograder.sanitize import unsafe_parts
from roundtrip import read_report
from submissions import html_attack, max_points, nbgrader_meta, points, solved, submit, with_answer

A = "01-perceptron"
TOTAL = sum(points(A).values())
LAST_ANSWER = "fit_logistic"

pytestmark = pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason="bubblewrap cannot run here")

# Class 5: everything the kernel can read about its own input, printed after the hidden tests ran.
PRINT_HISTORY = """
import linecache
print("IN:", "\\n".join(In))
print("IH:", _ih)
get_ipython().run_line_magic("history", "-n")
print("CACHE:", "".join("".join(linecache.getlines(f)) for f in list(linecache.cache)))
"""

# Class 4: 100 MB printed and 100 MB displayed from three lines.
FLOOD = """
from IPython.display import HTML, display
print("x" * 100_000_000)
display(HTML("<p>" + "y" * 100_000_000 + "</p>"))
"""

# Class 7: the probe record of the first exercise is forged into a list of nested garbage.
FORGE_RECORD = """
import dlcourse.grading as _g
from IPython.display import display as _display
_real_emit = _g._emit
def _emit(grade_id, results):
    if grade_id != "test_threshold_unit":
        return _real_emit(grade_id, results)
    junk = [{"grade_id": grade_id, "results": [{"value": {"__array__": [[[[1]]]], "dtype": "float64",
            "shape": [10**18]}}, {"error": {"nested": [1, {"x": None}]}}, [1], None, 10**300]}]
    _display({_g.PROBE_MIME: junk, "text/plain": "forged"}, raw=True)
_g._emit = _emit
"""

# Class 7: displays that nbclient cannot handle, sent straight from the kernel.
BREAKING_DISPLAY = """
_ip = get_ipython()
_parent = _ip.kernel.get_parent("shell")
_ip.kernel.session.send(_ip.kernel.iopub_socket, "comm_msg", {"comm_id": "x", "data": 5}, parent=_parent)
_ip.kernel.session.send(_ip.kernel.iopub_socket, "display_data", {"data": [1, 2], "metadata": {}},
                        parent=_parent)
_ip.kernel.session.send(_ip.kernel.iopub_socket, "update_display_data",
                        {"data": {"text/plain": "x"}, "metadata": 7, "transient": {"display_id": 3}},
                        parent=_parent)
"""


def forged_metadata(nb):
    """One forgery per test cell: grade_id, points, checksum, cell type, and all of them at once."""
    tests = [c for c in nb.cells if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")]
    tests[0].metadata.nbgrader["grade_id"] = "test_made_up"
    tests[1].metadata.nbgrader["points"] = 100
    tests[2].metadata.nbgrader["checksum"] = "0" * 32
    tests[3].cell_type = "markdown"
    for key in ("outputs", "execution_count"):
        tests[3].pop(key, None)
    tests[4].metadata.nbgrader.update(grade=False, solution=True, locked=False, points="nine")
    return nb


def feedback(workdir, student):
    return next((workdir / "feedback" / student / A).glob("*.html")).read_text()


def autograded(workdir, student):
    return next((workdir / "autograded" / student / A).glob("*.ipynb"))


def grades_csv(workdir):
    with open(workdir / "grades.csv") as f:
        return {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == A}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("outputs")
    html = html_attack(solved(A), LAST_ANSWER)
    forged = with_answer(solved(A), "threshold_unit", FORGE_RECORD + BREAKING_DISPLAY, prepend=True)
    submissions = {  # each solved, so each would score 9/9 without the defence it attacks
        "print-history": with_answer(solved(A), LAST_ANSWER, PRINT_HISTORY, prepend=True),
        "flood": with_answer(solved(A), "threshold_unit", FLOOD, prepend=True),
        "html": html,
        "forged": forged_metadata(forged),  # every way the old grader could be made to fail
        "replaced": solved(A),
    }
    for student, nb in submissions.items():
        submit(nb, workdir, student, A)
    timestamp = workdir / "submitted" / "replaced" / A / "timestamp.txt"
    timestamp.write_text("2001-01-01 00:00:00.000000 UTC")  # the student's own claim
    grade_all(workdir, Options(jobs=2, progress=False, cell_timeout=60, notebook_timeout=600))
    return dict(workdir=workdir, report=read_report(workdir), csv=grades_csv(workdir))


# ------------------------------------------------------------------ class 5: hidden tests


def test_printing_the_input_history_shows_no_hidden_line(batch):
    workdir = batch["workdir"]
    row = batch["report"]["print-history"]
    assert row["status"] == "graded" and float(row["score"]) == TOTAL, row
    outputs = notebook_output_text(autograded(workdir, "print-history"))
    assert "IN:" in outputs and "CACHE:" in outputs, "the attack did not run"
    hidden = assignment_hidden_lines(A)
    assert not [line for line in hidden if line in outputs]
    assert "run_hidden(" in outputs  # what the kernel got instead of the hidden block
    page = feedback(workdir, "print-history")
    assert not [line for line in hidden if line in page.replace("&quot;", '"').replace("&#34;", '"')]


# ------------------------------------------------------------------ class 4: output flood


def test_a_flood_is_cut_with_a_note_and_still_scores(batch):
    workdir = batch["workdir"]
    row = batch["report"]["flood"]
    assert row["status"] == "graded" and float(row["score"]) == TOTAL, row
    limit = DEFAULTS.notebook_bytes + 2_000_000  # plus the notebook itself and the page's CSS
    assert autograded(workdir, "flood").stat().st_size < limit
    page = next((workdir / "feedback" / "flood" / A).glob("*.html"))
    assert page.stat().st_size < limit
    assert "output cut" in page.read_text()


# ------------------------------------------------------------------ class 6: student HTML


def test_student_html_is_inert_in_feedback_and_autograded_notebook(batch):
    workdir = batch["workdir"]
    row = batch["report"]["html"]
    assert row["status"] == "graded" and float(row["score"]) == TOTAL, row
    page = feedback(workdir, "html")
    assert "click me" in page and "styled" in page, "the attack's outputs are missing"
    assert unsafe_parts(page) == []
    assert not re.search(r"<script\b|<img[^>]*\sonerror|href=\"?\s*javascript:", page, re.I)
    nb = nbformat.read(autograded(workdir, "html"), as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            assert not set(data) & {"image/svg+xml", "application/javascript", "text/markdown"}
            assert unsafe_parts(data.get("text/html", "")) == []


# ------------------------------------------------------------------ class 7: grades


FORGED_SCORE = TOTAL - points(A)["test_threshold_unit"]  # the forged record's exercise only


def test_a_forged_probe_record_costs_its_exercise_only(batch):
    row = batch["report"]["forged"]
    assert row["status"] == "graded" and float(row["score"]) == FORGED_SCORE, row
    assert "do not match the cases" in feedback(batch["workdir"], "forged")


def test_a_display_that_nbclient_cannot_handle_does_not_fail_grading(batch):
    row = batch["report"]["forged"]
    assert row["status"] == "graded" and float(row["score"]) == FORGED_SCORE, row
    assert "malformed" in notebook_output_text(autograded(batch["workdir"], "forged"))


def test_forged_cell_metadata_is_restored_and_graded(batch):
    row = batch["report"]["forged"]
    assert row["status"] == "graded" and float(row["score"]) == FORGED_SCORE, row
    assert float(row["max_score"]) == max_points(A)


def test_timestamp_comes_from_the_collection_not_the_student(batch):
    stamp = batch["csv"]["replaced"]["timestamp"]
    assert stamp and not stamp.startswith("2001"), stamp


# ------------------------------------------------------------------ class 8: seeds


def fingerprints(workdir, student):
    text = nbformat.read(autograded(workdir, student), as_version=4).cells[-1].source
    return re.search(r"seed (\d+).*cases (\w+), answers (\w+)", text).groups()


def test_every_grade_records_its_seed(batch):
    for student, row in batch["report"].items():
        assert row["seed"].isdigit(), (student, row)
        assert f"seed {row['seed']}" in feedback(batch["workdir"], student)


def test_a_seed_replays_a_grade_exactly_and_another_seed_draws_other_cases(batch):
    workdir = batch["workdir"]
    seed, cases, answers = fingerprints(workdir, "print-history")
    assert seed == batch["report"]["print-history"]["seed"]
    _, other_cases, _ = fingerprints(workdir, "flood")  # another seed
    assert other_cases != cases
    (replay,) = grade_all(workdir, Options(jobs=1, progress=False, seed=int(seed), cell_timeout=60),
                          student="print-history")
    assert replay.status == "graded" and replay.score == TOTAL and replay.seed == int(seed)
    assert fingerprints(workdir, "print-history") == (seed, cases, answers)


def test_a_replaced_submission_that_fails_keeps_no_score(batch, monkeypatch):
    """9/9, then replaced by a notebook whose grading fails: no score left anywhere."""
    workdir = batch["workdir"]
    assert float(batch["report"]["replaced"]["score"]) == TOTAL
    assert float(batch["csv"]["replaced"]["score"]) == TOTAL
    path = next((workdir / "submitted" / "replaced" / A).glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("changed"))
    nbformat.write(nb, path)
    import subprocess

    from autograder import workers

    class FailingGrader(workers.ColdRunner):  # the grader itself fails (a crash, a timeout): simulated
        def nbgrader(self, *args, **kwargs):
            return subprocess.CompletedProcess(args, 1, "", "[AutogradeApp | ERROR] Error: simulated crash\n"
                                               "[AutogradeApp | ERROR] There was an error processing assignment")

    monkeypatch.setattr(workers, "runner", lambda warm, jobs: FailingGrader())
    (outcome,) = grade_all(workdir, Options(jobs=1, progress=False), student="replaced")
    assert outcome.status == "failed" and "simulated crash" in outcome.reason
    row = read_report(workdir)["replaced"]
    assert row["status"] == "failed" and row["score"] == "" and "simulated crash" in row["reason"]
    assert grades_csv(workdir)["replaced"]["score"] == ""
    assert not (workdir / "feedback" / "replaced" / A).exists()
    assert (workdir / "failed" / "feedback" / "replaced" / A).is_dir()  # set aside, not lost
    assert "replaced/" + A not in json.loads((workdir / ".graded.json").read_text())
