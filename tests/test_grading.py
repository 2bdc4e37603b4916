"""Grading round trips for every assignment, and attacks that must earn nothing.

One grading batch (the real `make grade` driver, in a temporary workdir) grades all
submissions built below; the tests then read its report and feedback.
"""
import csv
import json
import shutil

import pytest
from nbgrader.api import Gradebook

from autograder.grade import Options, grade_all
from autograder import written
from autograder.nbgrader_cli import assignments
from roundtrip import KINDS, build_round_trip, known_wrong, read_report
from submissions import (answer_cells, blank, max_points, points, read, solved, submit, with_answer, without_cell,
                         written_points)

PERCEPTRON = "01-perceptron"

PATCH_COMPARISONS = """
    import math
    import numpy as np
    import torch
    import dlcourse.checks as checks
    np.allclose = lambda *a, **k: True
    np.array_equal = lambda *a, **k: True
    np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
    np.testing.assert_allclose = lambda *a, **k: None
    torch.allclose = lambda *a, **k: True
    math.isclose = lambda *a, **k: True
    checks.check_close = checks.check_shape = checks.check_true = lambda *a, **k: None
"""

# Rewrites every later test cell into one that displays forged probe records (the grader's
# run_hidden line stands where the hidden probe call was).
FORGE_RECORDS = """
    from IPython.display import display
    import json, os, re
    def _forge(lines):
        src = "".join(lines)
        m = re.search(r'(?:probe(?:_value)?|run_hidden)\\([\\x22\\x27]([^\\x22\\x27]+)', src)
        if not m:
            return lines
        gid = m.group(1)
        return [f"from IPython.display import display\\n",
                f"display({{'application/vnd.dlcourse.probe+json': {{'grade_id': {gid!r}, "
                f"'results': [{{'value': 1.0}}] * 50}}, 'text/plain': 'ok'}}, raw=True)\\n"]
    get_ipython().input_transformers_post.append(_forge)
"""

# Skips every later test cell, so its self-check cannot fail.
SKIP_TESTS = """
    def _skip(lines):
        return ["pass\\n"] if any("probe" in line or "run_hidden" in line for line in lines) else lines
    get_ipython().input_transformers_cleanup.append(_skip)
"""

ALWAYS_EQUAL = """
    class Anything(float):
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        def __array__(self, *a, **k):
            raise TypeError("no")
    def threshold_unit(X, w, b): return Anything(1.0)
"""


def build(workdir):
    """Put every submission in place; return {student: (assignment, expected score)}."""
    expected = {}
    for name in assignments():  # the solved student notebook is one more full run: 01 only
        kinds = KINDS if name == PERCEPTRON else tuple(k for k in KINDS if k != "solved")
        expected.update(build_round_trip(workdir, name, kinds))
    p = PERCEPTRON
    first = "threshold_unit"
    submit(with_answer(blank(p), first, PATCH_COMPARISONS, prepend=True), workdir, "attack-patch", p)
    submit(with_answer(blank(p), first, FORGE_RECORDS, prepend=True), workdir, "attack-forge", p)
    submit(with_answer(blank(p), first, SKIP_TESTS, prepend=True), workdir, "attack-skip", p)
    submit(with_answer(blank(p), first, ALWAYS_EQUAL), workdir, "attack-equal", p)
    for student in ("attack-patch", "attack-forge", "attack-skip", "attack-equal"):
        expected[student] = (p, 0.0)
    warns = with_answer(solved(p), first, "import warnings\nwarnings.warn('a harmless warning')", prepend=True)
    submit(without_cell(warns, "test_gate_weights"), workdir, "warns-and-deleted-test", p)
    expected["warns-and-deleted-test"] = (p, sum(points(p).values()))
    return expected


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("grading")
    expected = build(workdir)
    grade_all(workdir, Options(jobs=2, progress=False))
    return workdir, expected, read_report(workdir)


def test_every_submission_is_graded_without_errors(graded):
    _, expected, report = graded
    assert sorted(report) == sorted(expected)
    failed = {s: r["reason"] for s, r in report.items() if r["status"] != "graded"}
    assert not failed


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_scores(graded, kind):
    _, expected, report = graded
    for name in assignments():
        student = f"{name}-{kind}"
        if student not in expected:
            continue
        assignment, score = expected[student]
        assert float(report[student]["score"]) == pytest.approx(score), \
            f"{student}: scored {report[student]['score']}, expected {score}"
        assert float(report[student]["max_score"]) == pytest.approx(max_points(assignment))


@pytest.mark.parametrize("student", ["attack-patch", "attack-forge", "attack-skip", "attack-equal"])
def test_attacks_earn_nothing(graded, student):
    _, _, report = graded
    assert float(report[student]["score"]) == 0.0


def test_a_warning_costs_nothing_and_a_deleted_test_cell_is_restored(graded):
    workdir, expected, report = graded
    student = "warns-and-deleted-test"
    assert float(report[student]["score"]) == pytest.approx(expected[student][1])
    nb = json.loads(next((workdir / "autograded" / student / PERCEPTRON).glob("*.ipynb")).read_text())
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in nb["cells"]]
    assert "test_gate_weights" in ids


def test_grades_csv_has_nbgraders_columns_and_every_student(graded):
    workdir, expected, _ = graded
    with open(workdir / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert {"assignment", "student_id", "raw_score", "score", "max_score"} <= set(rows[0])
    # nbgrader exports one row per student and assignment, submitted or not
    exported = {(r["assignment"], r["student_id"]): float(r["score"]) for r in rows}
    for student, (assignment, score) in expected.items():
        assert exported[(assignment, student)] == pytest.approx(score), (student, assignment)


def test_feedback_names_failed_checks_and_hides_hidden_tests(graded):
    workdir, _, _ = graded
    for name in assignments():
        html = next((workdir / "feedback" / f"{name}-wrong" / name).glob("*.html")).read_text()
        _, test_id, _ = known_wrong(name)
        assert f"{test_id}: 0 of" in html and "expected" in html
        for secret in ("BEGIN HIDDEN TESTS", "probe(", "dlcourse.grading", "autograder"):
            assert secret not in html, f"feedback of {name} reveals {secret!r}"
    forged = next((workdir / "feedback" / "attack-forge" / PERCEPTRON).glob("*.html")).read_text()
    assert "do not match the cases" in forged


# ------------------------------------------------------------------ written answers, graded by hand


def with_written_answers() -> list[str]:
    return [name for name in assignments() if written_points(name)]


def test_some_assignment_has_a_written_answer():
    assert with_written_answers()


def test_written_answers_wait_for_a_manual_grade_in_formgrader(graded):
    """An answered written answer needs a manual grade (formgrader lists it); a blank one scores 0 by itself."""
    workdir, _, report = graded
    with Gradebook(f"sqlite:///{workdir / 'gradebook.db'}") as gb:
        for name in with_written_answers():
            notebook = next((workdir / "autograded" / f"{name}-solution" / name).glob("*.ipynb")).stem
            listed = {d["student"]: d["needs_manual_grade"] for d in gb.notebook_submission_dicts(notebook, name)}
            assert listed[f"{name}-solution"] and not listed[f"{name}-blank"], listed
            for kind, waits in (("solution", True), ("blank", False)):
                sub = gb.find_submission(name, f"{name}-{kind}")
                grades = [g for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "markdown"]
                assert grades and all(g.needs_manual_grade == waits for g in grades), (name, kind)
                assert sub.needs_manual_grade == waits, (name, kind)
            assert "to grade by hand" in report[f"{name}-solution"][written.COLUMN]


def test_feedback_shows_the_model_answer_right_after_the_written_answer(graded):
    workdir, _, _ = graded
    for name in with_written_answers():
        html = next((workdir / "feedback" / f"{name}-blank" / name).glob("*.html")).read_text()
        rubrics = [written.solution_region(c.source).split("**Rubric")[1].splitlines()[0]
                   for c in answer_cells(read("solutions", name)).values() if written.is_written_answer(c)]
        shown = html.index("Model answer and rubric")
        assert html.index("YOUR ANSWER HERE") < shown, f"{name}: the model answer comes before the student's"
        assert all(r.strip(" *") in html[shown:] for r in rubrics), f"{name}: the rubric is missing"


@pytest.fixture(scope="module")
def ungraded(graded, tmp_path_factory):
    """The same batch under written_answers = "ungraded": nothing is regraded, scores are recounted."""
    workdir = tmp_path_factory.mktemp("ungraded") / "work"
    shutil.copytree(graded[0], workdir, symlinks=True)
    outcomes = grade_all(workdir, Options(jobs=2, progress=False, written_answers="ungraded"))
    with open(workdir / "grades.csv") as f:
        exported = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(f)}
    return outcomes, read_report(workdir), exported


def test_ungraded_written_answers_are_left_out_and_said_so(graded, ungraded):
    _, expected, _ = graded
    outcomes, report, exported = ungraded
    assert all("unchanged since it was last graded" in o.reason for o in outcomes)  # a recount, no regrade
    for name in with_written_answers():
        note = f"ungraded: {written_points(name):g} points not counted"
        for kind in ("solution", "blank"):
            student = f"{name}-{kind}"
            row, csv_row = report[student], exported[(name, student)]
            assert float(row["score"]) == pytest.approx(expected[student][1])
            assert float(row["max_score"]) == pytest.approx(max_points(name, "ungraded"))
            assert float(csv_row["max_score"]) == pytest.approx(max_points(name, "ungraded"))
            assert float(csv_row["score"]) == pytest.approx(expected[student][1])
            assert row[written.COLUMN] == note and csv_row[written.COLUMN] == note
