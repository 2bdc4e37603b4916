"""The class report (autograder/class_report.py, autograder/report.py).

Aggregation functions on synthetic rows; the whole report on tests/synthetic_class.py's
gradebook (no grading); and on a small class of 01-perceptron really graded by the
``make grade`` driver (tests/small_class.py: solution, blank, known-wrong, malformed).
"""
import csv
import datetime
import re

import pytest

from autograder import sandbox
from autograder.class_report import (ClassGrades, FailureRow, GradeRow, SubmissionRow, common_failures,
                                     exercise_stats, histogram, late_submissions, message_pattern, seconds_late,
                                     summary, ungraded, verdict_messages)
from autograder.oracle import Verdict
from autograder.preprocessors import verdict_outputs
from autograder.report import CSV_FILES, write_report
from known_wrong import round_trip_mistake
from synthetic_class import build_class


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- pure functions


@pytest.mark.parametrize("verdict, partial, expected", [
    (Verdict(3, 3, []), False, []),
    (Verdict(0, 3, ["a (inputs: 1)", "b"]), False, ["a (inputs: 1)", "b"]),
    (Verdict(1, 3, ["wrong sign"]), True, ["wrong sign"]),
])
def test_verdict_messages_reads_what_the_oracle_verdict_writes(verdict, partial, expected):
    assert verdict_messages(verdict_outputs("t", verdict, 2.0, partial)) == expected


def test_message_pattern_forgets_the_random_case():
    one = message_pattern("result: expected 0.25 at index (2,), got -1e-05 (inputs: X=[[1.0]])")
    other = message_pattern("result: expected 3 at index (7,), got 4.5 (inputs: X=[[9.0, 2.0]])")
    assert one == other == "result: expected # at index (#,), got # "[:-1]


def test_histogram_has_a_bin_per_point_for_whole_point_scores():
    bins = histogram([0, 0, 3, 5, 5, 5], 5)
    assert [(lo, n) for lo, _, n in bins] == [(0, 2), (1, 0), (2, 0), (3, 1), (4, 0), (5, 3)]


def test_histogram_of_fractional_scores_puts_full_marks_in_the_last_bin():
    bins = histogram([0.0, 2.5, 9.75, 10.0], 10.0, bins=4)
    assert [n for *_, n in bins] == [1, 1, 0, 2]
    assert (bins[0][0], bins[-1][1]) == (0.0, 10.0)


def test_exercise_stats_counts_full_points_as_passed():
    rows = [GradeRow("s1", "a", "e", 2, 2), GradeRow("s2", "a", "e", 1, 2), GradeRow("s3", "a", "e", 0, 2),
            GradeRow("s4", "a", "e", 0, 2, pending=True),  # a written answer not graded yet: not counted
            GradeRow("s1", "a", "f", 1, 1)]
    e, f = exercise_stats(rows, {"a": ["f", "e"]})[::-1]
    assert (e.exercise, e.submissions, e.passed, e.mean_score) == ("e", 3, 1, 1.0)
    assert e.pass_rate == pytest.approx(1 / 3)
    assert [s.exercise for s in exercise_stats(rows, {"a": ["f", "e"]})] == ["f", "e"]  # notebook order
    assert f.pass_rate == 1.0


def test_full_marks_leave_out_written_answers_waiting_for_their_grade():
    data = ClassGrades(submissions=[SubmissionRow("s1", "a", 8, 10, 8), SubmissionRow("s2", "a", 8, 10, 8)],
                       grades=[GradeRow("s1", "a", "written_x", 0, 2, pending=True),
                               GradeRow("s2", "a", "written_x", 0, 2)],  # graded by hand: 0 of 2
                       max_scores={"a": 10})
    assert summary(data, [])[0].full_marks == 1


def test_common_failures_counts_each_submission_once_and_keeps_the_top():
    rows = [FailureRow("s1", "a", "e", "shape (3,) (inputs: 1)"), FailureRow("s1", "a", "e", "shape (4,) (inputs: 2)"),
            FailureRow("s2", "a", "e", "shape (5,) (inputs: 3)"), FailureRow("s3", "a", "e", "raised KeyError"),
            FailureRow("s4", "a", "e", "sign"), FailureRow("s1", "b", "e", "shape (1,)")]
    top = common_failures(rows, top=2)
    assert [(f.assignment, f.pattern, f.count) for f in top] == [
        ("a", "shape (#,)", 2), ("a", "raised KeyError", 1), ("b", "shape (#,)", 1)]
    assert top[0].example == "shape (3,) (inputs: 1)"


def test_seconds_late_counts_the_extension():
    due = datetime.datetime(2026, 1, 10, 12)
    handed_in = due + datetime.timedelta(hours=3)
    assert seconds_late(handed_in, due, None) == 3 * 3600
    assert seconds_late(handed_in, due, datetime.timedelta(hours=2)) == 3600
    assert seconds_late(handed_in, due, datetime.timedelta(days=1)) == 0
    assert seconds_late(handed_in, None, None) == 0


def test_ungraded_and_late_rows():
    report = [{"student": "s1", "assignment": "a", "status": "graded", "reason": ""},
              {"student": "s2", "assignment": "a", "status": "failed", "reason": "Timeout"}]
    assert [(u.student, u.reason) for u in ungraded(report)] == [("s2", "Timeout")]
    subs = [SubmissionRow("s1", "a", 1, 1, 1, seconds_late=0), SubmissionRow("s2", "a", 1, 1, 1, seconds_late=60),
            SubmissionRow("s3", "a", 1, 1, 1, seconds_late=600)]
    assert [s.student for s in late_submissions(subs)] == ["s3", "s2"]


# ---------------------------------------------------------------- the report of a synthetic class


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("synthetic-class")
    build_class(workdir)
    return write_report(workdir)


def test_report_files_hold_the_class_numbers(synthetic_report):
    out = synthetic_report.parent
    assert all((out / name).is_file() for name in CSV_FILES)
    summary = {r["assignment"]: r for r in read_csv(out / "summary.csv")}
    assert (summary["a1"]["graded"], summary["a1"]["mean"], summary["a1"]["full_marks"]) == ("4", "2.875", "1")
    assert (summary["a2"]["graded"], summary["a2"]["ungraded"], summary["a2"]["late"]) == ("2", "1", "1")
    exercises = {(r["assignment"], r["exercise"]): r for r in read_csv(out / "exercises.csv")}
    assert exercises["a1", "t1"]["passed"] == "2" and exercises["a1", "t1"]["pass_rate"] == "0.5"
    failures = read_csv(out / "failures.csv")
    shape = [f for f in failures if f["exercise"] == "t1"]
    assert [(f["submissions"], f["message"]) for f in shape] == [("2", "result: expected shape (#,), got (#, #)")]
    assert [r["student"] for r in read_csv(out / "late.csv")] == ["alice"]
    assert [(r["student"], r["status"]) for r in read_csv(out / "ungraded.csv")] == [("carol", "rejected")]
    counts = {r["assignment"]: sum(int(x["submissions"]) for x in read_csv(out / "distribution.csv")
                                   if x["assignment"] == r["assignment"]) for r in summary.values()}
    assert counts == {"a1": 4, "a2": 2}


def test_report_page_is_static_and_escapes_what_students_wrote(synthetic_report):
    page = synthetic_report.read_text()
    assert "your code raised ValueError: &lt;b&gt;bad&lt;/b&gt;" in page and "<b>bad</b>" not in page
    assert "&lt;oops&gt;" in page
    assert "<script" not in page.lower() and not re.search(r"(src|href)=['\"]?(https?:)?//", page)
    for name in re.findall(r"<img src='([^']+)'", page):
        assert (synthetic_report.parent / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(re.findall(r"<img src=", page)) == 4  # a distribution and a pass-rate plot per assignment


def test_cli_reads_every_shards_report_csv(tmp_path, capsys):
    from autograder.report import main

    build_class(tmp_path)
    shard = tmp_path / "shard-2.csv"
    shard.write_text("student,assignment,score,max_score,status,reason,seed\n"
                     "dave,a2,,,failed,grading took longer than 2100 s,7\n")
    out = tmp_path / "elsewhere"
    assert main(["--workdir", str(tmp_path), "--out", str(out), "--top", "1",
                 "--report-csv", str(tmp_path / "report.csv"), "--report-csv", str(shard)]) == 0
    assert str(out / "index.html") in capsys.readouterr().out
    assert [(r["student"], r["status"]) for r in read_csv(out / "ungraded.csv")] == [
        ("carol", "rejected"), ("dave", "failed")]
    assert len([f for f in read_csv(out / "failures.csv") if f["exercise"] == "t2"]) == 1  # --top 1


# ---------------------------------------------------------------- a really graded class

needs_sandbox = pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason="bubblewrap cannot run here")


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    from small_class import grade_small_class

    workdir = tmp_path_factory.mktemp("small-class")
    grade_small_class(workdir)
    return workdir, write_report(workdir)


@needs_sandbox
def test_report_of_a_graded_class(graded_class):
    from small_class import A

    workdir, page = graded_class
    out = page.parent
    mistake = round_trip_mistake(A)
    summary = {r["assignment"]: r for r in read_csv(out / "summary.csv")}[A]
    assert (summary["graded"], summary["full_marks"], summary["ungraded"]) == ("3", "1", "1")
    exercises = {r["exercise"]: r for r in read_csv(out / "exercises.csv") if r["assignment"] == A}
    assert exercises[mistake.test_id]["passed"] == "1"  # only the solution
    assert all(r["passed"] == "2" for ex, r in exercises.items()
               if ex != mistake.test_id and not ex.startswith("written_"))  # solution and wrong
    # the written answers of solution and wrong wait for a manual grade; blank's scored 0 by itself
    written = [r for ex, r in exercises.items() if ex.startswith("written_")]
    assert written and all((r["submissions"], r["passed"]) == ("1", "0") for r in written)
    failures = [f for f in read_csv(out / "failures.csv") if f["exercise"] == mistake.test_id]
    words = mistake.oracle_names or mistake.names
    assert any(all(w.lower() in f["example"].lower() for w in words) for f in failures), failures
    assert all(int(f["submissions"]) >= 1 for f in failures)
    rejected = read_csv(out / "ungraded.csv")
    assert [(r["student"], r["status"]) for r in rejected] == [("malformed", "rejected")]
    assert "not a valid notebook" in rejected[0]["reason"]
    assert sorted(r["student"] for r in read_csv(out / "late.csv")) == ["blank", "wrong"]  # solution: extension
    text = page.read_text()
    assert "not a valid notebook" in text and mistake.test_id in text
