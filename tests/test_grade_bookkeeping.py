"""autograder.grade's bookkeeping: a submission without a grade keeps no score from before."""
import csv
import os
import sys
from pathlib import Path

from nbgrader.api import Gradebook

from autograder.grade import SET_ASIDE, Outcome, blank_failed_scores, forget_grades, write_report

COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
           "raw_score", "late_submission_penalty", "score", "max_score"]


def test_blank_failed_scores_leaves_only_the_failed_rows_without_a_score(tmp_path):
    path = tmp_path / "grades.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for student in ("ok", "broken"):
            writer.writerow({**dict.fromkeys(COLUMNS, ""), "assignment": "a", "student_id": student,
                             "raw_score": "9.0", "late_submission_penalty": "0.0", "score": "9.0",
                             "max_score": "9.0"})
    blank_failed_scores(path, [Outcome("broken", "a", status="failed")])
    rows = {r["student_id"]: r for r in csv.DictReader(open(path))}
    assert rows["ok"]["score"] == "9.0"
    assert (rows["broken"]["score"], rows["broken"]["raw_score"], rows["broken"]["max_score"]) == ("", "", "9.0")


def test_forget_grades_removes_the_gradebook_entry_and_sets_files_aside(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # alembic
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment("a")
        gb.update_or_create_student("s")
        gb.update_or_create_submission("a", "s")
    for kind in ("autograded", "feedback"):
        (tmp_path / kind / "s" / "a").mkdir(parents=True)
        (tmp_path / kind / "s" / "a" / "old").write_text("9/9")
    forget_grades([Outcome("s", "a", status="failed")], tmp_path)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        assert gb.assignment_submissions("a") == []
    assert not (tmp_path / "feedback" / "s" / "a").exists()
    assert (tmp_path / SET_ASIDE / "feedback" / "s" / "a" / "old").read_text() == "9/9"


def test_the_report_has_a_seed_and_no_score_for_a_failure(tmp_path):
    write_report([Outcome("s", "a", status="failed", reason="why", seed=7)], tmp_path / "report.csv")
    (row,) = csv.DictReader(open(tmp_path / "report.csv"))
    assert (row["score"], row["status"], row["reason"], row["seed"]) == ("", "failed", "why", "7")
