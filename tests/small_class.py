"""A small class of 01-perceptron really graded by ``make grade``'s driver, for the class report.

Four submissions built with tests/submissions.py: the solution notebook (full marks), the
blank student notebook (zero), the solved notebook with the known mistake of
tests/known_wrong/01_perceptron.py (loses that exercise), and a file that is not a
notebook (rejected). The assignment's due date is set in the past before grading, so the
graded submissions are late; the solution's student then gets an extension, so it is not.
"""
from __future__ import annotations

import datetime
from pathlib import Path

from autograder.class_report import default_db_url
from roundtrip import known_wrong
from submissions import blank, read, solved, submit, with_answer
from synthetic_class import use_venv_alembic

A = "01-perceptron"
DUE = datetime.datetime(2026, 1, 1, 12, 0)


def grade_small_class(workdir: Path) -> dict[str, str]:
    """Grade the class under ``workdir``; return {student: what was handed in}."""
    from nbgrader.api import Gradebook

    from autograder.grade import Options, grade_all

    answer_id, test_id, source = known_wrong(A)
    submit(read("solutions", A), workdir, "solution", A)
    submit(blank(A), workdir, "blank", A)
    submit(with_answer(solved(A), answer_id, source), workdir, "wrong", A)
    malformed = workdir / "submitted" / "malformed" / A
    malformed.mkdir(parents=True)
    (malformed / "perceptron.ipynb").write_text('{"cells": [ not json')
    use_venv_alembic()
    with Gradebook(default_db_url(workdir)) as gb:
        gb.update_or_create_assignment(A, duedate=DUE)
    grade_all(workdir, Options(jobs=2, progress=False, cell_timeout=60, notebook_timeout=600))
    with Gradebook(default_db_url(workdir)) as gb:
        sub = gb.find_submission(A, "solution")
        sub.extension = datetime.datetime.now() - DUE + datetime.timedelta(days=1)
        gb.db.commit()
    return {"solution": "solution", "blank": "blank", "wrong": test_id, "malformed": "not a notebook"}
