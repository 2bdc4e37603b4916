"""A small graded class written straight into an nbgrader gradebook, without grading anything.

The class report and the LMS exports are tested on it (fast), and on a really graded class
in tests/test_class_report.py. Its autograded notebooks carry verdicts written by the
grader's own ``verdict_outputs``, so the report reads the format ``make grade`` writes.

Assignments ``a1`` (exercises ``t1`` 2 points, ``t2`` 3 points) and ``a2`` (``u1`` 4
points), due 2026-01-10 12:00 UTC; students and their points:

=========  ============  =====================  ====================================
student    a1 t1, t2     a2 u1                   notes
=========  ============  =====================  ====================================
alice      2, 3          4                       a2 two hours late
bob        0, 3          0                       t1 and u1 fail with "shape" messages
carol      2, 1.5        --                      t2 partial; a2 rejected (report.csv)
dave       0, 0          --                      never submitted a2
=========  ============  =====================  ====================================
"""
from __future__ import annotations

import csv
import datetime
import os
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.oracle import Verdict
from autograder.preprocessors import verdict_outputs

DUE = datetime.datetime(2026, 1, 10, 12, 0)
EXERCISES = {"a1": {"t1": 2.0, "t2": 3.0}, "a2": {"u1": 4.0}}
# student -> assignment -> (hours after the due date (negative: early), {exercise: (points, messages)})
CLASS = {
    "alice": {"a1": (-5, {"t1": (2.0, []), "t2": (3.0, [])}),
              "a2": (2, {"u1": (4.0, [])})},
    "bob": {"a1": (-1, {"t1": (0.0, ["result: expected shape (3,), got (3, 1) (inputs: X=[[1.0, 2.0]])",
                                     "result: expected shape (4,), got (4, 1) (inputs: X=[[0.5]])"]),
                        "t2": (3.0, [])}),
            "a2": (-1, {"u1": (0.0, ["your code raised ValueError: <b>bad</b> (inputs: 7)"])})},
    "carol": {"a1": (-2, {"t1": (2.0, []), "t2": (1.5, ["result: expected 1 at index (2,), got 0 "
                                                           "(1 of 5 entries differ) (inputs: n=5)"])})},
    "dave": {"a1": (-3, {"t1": (0.0, ["result: expected shape (2,), got (2, 1) (inputs: X=[[3.0]])"]),
                         "t2": (0.0, ["no answers were recorded (was the test cell changed?)"])})},
}
REPORT = [  # make grade's report.csv for this class
    ("alice", "a1", "5.0", "5.0", "graded", ""), ("alice", "a2", "4.0", "4.0", "graded", ""),
    ("bob", "a1", "3.0", "5.0", "graded", ""), ("bob", "a2", "0.0", "4.0", "graded", ""),
    ("carol", "a1", "3.5", "5.0", "graded", ""),
    ("carol", "a2", "0.0", "", "rejected", "answers.ipynb is not a valid notebook (NotJSONError: <oops>)"),
    ("dave", "a1", "0.0", "5.0", "graded", ""),
]


def use_venv_alembic() -> None:
    """nbgrader runs ``alembic`` from PATH when it opens a new gradebook."""
    bin_dir = str(Path(sys.executable).parent)
    if not os.environ.get("PATH", "").startswith(bin_dir):
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"


def build_gradebook(db_url: str) -> None:
    from nbgrader.api import Gradebook

    use_venv_alembic()
    with Gradebook(db_url) as gb:
        for a, cells in EXERCISES.items():
            gb.add_assignment(a, duedate=DUE)
            gb.add_notebook("answers", a)
            for name, points in cells.items():
                gb.add_grade_cell(name, "answers", a, max_score=points, cell_type="code")
        for student, work in CLASS.items():
            gb.add_student(student)
            for a, (hours, exercises) in work.items():
                gb.add_submission(a, student, timestamp=DUE + datetime.timedelta(hours=hours))
                for name, (points, _) in exercises.items():
                    grade = gb.find_grade(name, "answers", a, student)
                    grade.auto_score, grade.needs_manual_grade = points, False
        gb.db.commit()


def autograded_notebook(exercises: dict) -> nbformat.NotebookNode:
    cells = []
    for name, (points, messages) in exercises.items():
        cell = new_code_cell("probe()", metadata={"nbgrader": {"grade": True, "solution": False,
                                                               "grade_id": name, "points": 0}})
        total = max(len(messages), 1) + 1
        verdict = Verdict(total - len(messages), total, messages)
        cell.outputs = verdict_outputs(name, verdict, EXERCISES_POINTS[name], partial=0 < points)
        cells.append(cell)
    return new_notebook(cells=cells)


EXERCISES_POINTS = {name: pts for cells in EXERCISES.values() for name, pts in cells.items()}


def build_class(workdir: Path) -> str:
    """Gradebook, autograded notebooks and report.csv of the class under ``workdir``; returns the db URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir / 'gradebook.db'}"
    build_gradebook(url)
    for student, work in CLASS.items():
        for a, (_, exercises) in work.items():
            folder = workdir / "autograded" / student / a
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(autograded_notebook(exercises), folder / "answers.ipynb")
    with open(workdir / "report.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "score", "max_score", "status", "reason", "seed"])
        writer.writerows(row + ("",) for row in REPORT)
    return url
