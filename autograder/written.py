"""Written answers: markdown answer cells graded by hand in formgrader.

A written answer is a markdown cell with nbgrader ``grade: true, solution: true`` (grade_id
``written_<topic>``). Its solution region in ``solutions/`` holds a model answer and a
rubric; the release turns it into "YOUR ANSWER HERE". nbgrader leaves such a cell to a
human: a changed answer ``needs_manual_grade`` (formgrader lists it), an unchanged one
scores 0 by itself.

One course setting, ``[tool.dlcourse.grading] written_answers`` in ``pyproject.toml``
(:func:`setting`), says what happens to them:

- ``"graded"``: their points count; until someone grades them by hand, ``report.csv`` and
  the printed summary say how many points wait for manual grading;
- ``"ungraded"`` (a class too large to grade by hand): their points count neither in the
  score nor in ``max_score`` of ``report.csv`` and ``grades.csv``, which say so in their
  ``written_answers`` column ("ungraded: N points not counted") instead of counting them as 0.

:class:`ShowModelAnswers` (a feedback preprocessor) puts the model answer and rubric right
after the student's written answer in the feedback, which students only get after grading.
"""
from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Unicode

from .nbgrader_cli import ROOT, SOLUTIONS

PYPROJECT = ROOT / "pyproject.toml"
MODES = ("graded", "ungraded")
COLUMN = "written_answers"  # the column report.csv and grades.csv add
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
MODEL_ANSWER_CLASS = "dlcourse-model-answer"


def setting(pyproject: Path = PYPROJECT) -> str:
    """``[tool.dlcourse.grading] written_answers``: "graded" (the default) or "ungraded"."""
    config = tomllib.loads(Path(pyproject).read_text())
    mode = config.get("tool", {}).get("dlcourse", {}).get("grading", {}).get("written_answers", "graded")
    return check_mode(mode, f"{pyproject}: [tool.dlcourse.grading] written_answers")


def check_mode(mode: str, where: str = "written_answers") -> str:
    if mode not in MODES:
        raise ValueError(f"{where} must be one of {', '.join(repr(m) for m in MODES)}, got {mode!r}")
    return mode


def is_written_answer(cell) -> bool:
    """A markdown answer cell graded by hand."""
    return cell.get("cell_type") == "markdown" and is_grade(cell) and is_solution(cell)


def solution_region(source: str) -> str:
    """The text between the solution markers (the model answer and rubric), or '' without them."""
    lines = source.splitlines()
    try:
        start = next(i for i, ln in enumerate(lines) if ln.strip() == BEGIN)
        end = next(i for i, ln in enumerate(lines) if ln.strip() == END and i > start)
    except StopIteration:
        return ""
    return "\n".join(lines[start + 1:end]).strip()


def model_answers(assignment: str, notebook: str, solutions: Path = SOLUTIONS) -> dict[str, str]:
    """{grade_id: model answer and rubric} of the written answers of ``solutions/<assignment>/<notebook>.ipynb``."""
    path = Path(solutions) / assignment / f"{notebook}.ipynb"
    if not path.is_file():
        return {}
    nb = nbformat.read(path, as_version=4)
    return {c.metadata.nbgrader["grade_id"]: solution_region(c.source)
            for c in nb.cells if is_written_answer(c)}


def model_answer_cell(grade_id: str, text: str, mode: str):
    """The feedback cell shown after the student's written answer ``grade_id``."""
    note = ("This written answer is not graded in this course: compare yours with the model answer."
            if mode == "ungraded" else "Your answer is graded by hand against this rubric.")
    source = (f'<div class="{MODEL_ANSWER_CLASS}">\n\n'
              f"**Model answer and rubric** (`{grade_id}`). {note}\n\n{text}\n\n</div>")
    return new_markdown_cell(source, metadata={"dlcourse": {"model_answer": grade_id}})


class ShowModelAnswers(NbGraderPreprocessor):
    """Feedback: after each written answer, its model answer and rubric from ``solutions/``.

    Runs in ``nbgrader generate_feedback`` only, after grading; the released notebooks
    never hold the model answer (release replaces it with "YOUR ANSWER HERE"). With
    ``written_answers = "ungraded"`` the feedback's score leaves the written points out.
    """

    written_answers = Unicode("", help="'graded' or 'ungraded'; empty: the pyproject.toml setting"
                              ).tag(config=True)
    solutions = Unicode(str(SOLUTIONS), help="folder of the solution notebooks").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        mode = check_mode(self.written_answers) if self.written_answers else setting()
        answers = model_answers(info["assignment"], info["notebook"], Path(self.solutions))
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            if is_written_answer(cell):
                gid = cell.metadata.nbgrader["grade_id"]
                if gid in answers:
                    cells.append(model_answer_cell(gid, answers[gid], mode))
                if mode == "ungraded":
                    self._leave_out(cell, info)
        nb.cells = cells
        return nb, resources

    @staticmethod
    def _leave_out(cell, info) -> None:
        """Take an ungraded written answer out of the feedback's score and maximum."""
        meta = cell.metadata.nbgrader
        if "max_score" in info:
            info["max_score"] -= float(meta.get("points") or 0)
        if "score" in info:
            info["score"] -= float(meta.get("score") or 0)


# ---------------------------------------------------------------- scores and exports


@dataclass
class Tally:
    """The written answers of one submission, from the gradebook."""

    points: float = 0.0  # their maximum
    scored: float = 0.0  # what they scored (0 until graded by hand)
    waiting: int = 0  # how many still need a manual grade

    def note(self, mode: str) -> str:
        """What report.csv's and grades.csv's ``written_answers`` column says."""
        if not self.points:
            return ""
        if mode == "ungraded":
            return f"ungraded: {self.points:g} points not counted"
        if self.waiting:
            return f"{self.waiting} to grade by hand ({self.points:g} points, counted as 0 until then)"
        return f"graded by hand ({self.scored:g} of {self.points:g} points)"


def tally(gb, assignment: str, student: str) -> Tally:
    """The written answers of ``student``'s submission of ``assignment`` (an open nbgrader Gradebook)."""
    from nbgrader.api import MissingEntry

    try:
        return submission_tally(gb.find_submission(assignment, student))
    except MissingEntry:
        return Tally()


def submission_tally(submission) -> Tally:
    """The written answers of one nbgrader SubmittedAssignment."""
    result = Tally()
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            if getattr(grade.cell, "cell_type", None) == "markdown":
                result.points += float(grade.max_score or 0)
                result.scored += float(grade.score or 0)
                result.waiting += bool(grade.needs_manual_grade)
    return result


def assignment_points(gb, assignment: str) -> float:
    """The points of ``assignment``'s written answers in the gradebook."""
    from nbgrader.api import MissingEntry

    try:
        found = gb.find_assignment(assignment)
    except MissingEntry:
        return 0.0
    return sum(float(c.max_score or 0) for nb in found.notebooks for c in nb.grade_cells
               if c.cell_type == "markdown")


def counted(score: float | None, max_score: float | None, t: Tally, mode: str) -> tuple[float | None, float | None]:
    """(score, max_score) as the course counts them: without the written answers when ungraded."""
    if mode != "ungraded" or not t.points:
        return score, max_score
    return (None if score is None else score - t.scored, None if max_score is None else max_score - t.points)


def csv_number(text: str | None) -> float | None:
    """A CSV cell as a number; a blank cell (no score) as None."""
    return None if text in (None, "") else float(text)


def adjust_export(csv_path: Path, db_url: str, mode: str) -> None:
    """Add the ``written_answers`` column to nbgrader's grades.csv; raw_score, score and max_score
    count as :func:`counted` says (a blank score stays blank, an unchanged one keeps its text)."""
    from nbgrader.api import Gradebook

    if not Path(csv_path).is_file():
        return
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    with Gradebook(db_url) as gb:
        for row in rows:
            t = tally(gb, row["assignment"], row["student_id"])
            if not t.points:  # no submission: the assignment's written points still sit in max_score
                t = Tally(points=assignment_points(gb, row["assignment"]))
            row[COLUMN] = t.note(mode)
            raw_score, _ = counted(csv_number(row.get("raw_score")), None, t, mode)
            score, max_score = counted(csv_number(row.get("score")), csv_number(row.get("max_score")), t, mode)
            for column, value in (("raw_score", raw_score), ("score", score), ("max_score", max_score)):
                if column in row and value != csv_number(row[column]):
                    row[column] = f"{value:g}"
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
