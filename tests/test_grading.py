"""Grading round trips for every assignment, and attacks that must earn nothing.

One grading batch (the real `make grade` driver, in a temporary workdir) grades all
submissions built below; the tests then read its report and feedback.
"""
import csv
import json

import pytest

from autograder.grade import Options, grade_all
from autograder.nbgrader_cli import assignments
from roundtrip import KINDS, build_round_trip, known_wrong, read_report
from submissions import blank, max_points, points, solved, submit, with_answer, without_cell

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
