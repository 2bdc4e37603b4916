"""What a graded class looks like, read from what ``make grade`` left: the numbers of the class report.

Nothing is re-run. Each fact is read from the one place ``make grade`` records it:

- scores, per-exercise points, timestamps and late penalties from nbgrader's Gradebook
  (an SQLAlchemy URL: the default SQLite file or a shared PostgreSQL database);
- the oracle's failure messages from the autograded notebooks
  (``<workdir>/autograded/<student>/<assignment>/*.ipynb``): ``OracleVerdict``
  (autograder/preprocessors.py) writes each graded test cell's verdict as its output, a
  ``HiddenCheckFailed`` error for zero points or a "✘ ... (partial credit)" stream, with one
  ``  - message`` line per failed check; the gradebook keeps only the points;
- submissions that could not be graded, and why, from ``<workdir>/report.csv``.

The functions below them (:func:`histogram`, :func:`exercise_stats`, :func:`common_failures`,
:func:`late_submissions`, :func:`ungraded`, :func:`summary`) are pure: plain rows in, plain
rows out, so they are tested on synthetic data. ``autograder/report.py`` draws and writes them.
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from .gradebook_db import gradebook_url
from .nbgrader_cli import ROOT

FAILED_MARK = "HiddenCheckFailed"  # the ename of a zero verdict (autograder/preprocessors.py)
PARTIAL_MARK = "✘ "  # the first characters of a partial-credit verdict
INPUTS = re.compile(r" \(inputs: .*\)$", re.S)  # the case's inputs, drawn afresh for every submission
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
MESSAGE_CHARS = 300


@dataclass
class SubmissionRow:
    """One graded submission in the gradebook."""

    student: str
    assignment: str
    score: float  # after the late penalty, as nbgrader's export computes it
    max_score: float
    raw_score: float
    late_penalty: float = 0.0
    seconds_late: float = 0.0
    timestamp: str = ""


@dataclass
class GradeRow:
    """One graded cell (an exercise) of one submission."""

    student: str
    assignment: str
    exercise: str
    score: float
    max_score: float
    pending: bool = False  # a written answer waiting for its manual grade: neither passed nor failed yet


@dataclass
class ClassGrades:
    submissions: list[SubmissionRow] = field(default_factory=list)
    grades: list[GradeRow] = field(default_factory=list)
    max_scores: dict[str, float] = field(default_factory=dict)  # assignment -> its points
    exercises: dict[str, list[str]] = field(default_factory=dict)  # assignment -> graded cells, in order
    exercise_points: dict[tuple[str, str], float] = field(default_factory=dict)
    students: list[str] = field(default_factory=list)  # every student the gradebook knows


def default_db_url(workdir: Path) -> str:
    """The gradebook ``make grade`` writes when it is given no database URL."""
    return gradebook_url(Path(workdir).resolve())


def read_gradebook(db_url: str) -> ClassGrades:
    """Every assignment, submission and graded cell of the gradebook at ``db_url``, in three queries."""
    from nbgrader.api import (Assignment, BaseCell, Grade, Gradebook, Notebook, Student,
                              SubmittedAssignment, SubmittedNotebook)

    data = ClassGrades()
    with Gradebook(db_url) as gb:
        db = gb.db
        data.students = sorted(s for (s,) in db.query(Student.id))
        for a in db.query(Assignment).order_by(Assignment.name):
            data.max_scores[a.name] = float(a.max_score or 0.0)
            cells = [(nb.name, c.name, float(c.max_score or 0.0)) for nb in a.notebooks for c in nb.grade_cells]
            order = cell_order(a.name)
            cells.sort(key=lambda c: (order.get(c[1], len(order)), c[0], c[1]))
            data.exercises[a.name] = [name for _, name, _ in cells]
            data.exercise_points.update({(a.name, name): pts for _, name, pts in cells})
        subs = (db.query(Assignment.name, SubmittedAssignment.student_id, SubmittedAssignment.timestamp,
                         Assignment.duedate, SubmittedAssignment.extension, SubmittedAssignment.score,
                         SubmittedAssignment.max_score, SubmittedAssignment.late_submission_penalty)
                .join(SubmittedAssignment, SubmittedAssignment.assignment_id == Assignment.id))
        for name, student, timestamp, due, extension, raw, top, penalty in subs:
            raw, penalty = float(raw or 0.0), float(penalty or 0.0)
            data.submissions.append(SubmissionRow(
                student, name, score=max(raw - penalty, 0.0), max_score=float(top or 0.0), raw_score=raw,
                late_penalty=penalty, seconds_late=seconds_late(timestamp, due, extension),
                timestamp=timestamp.isoformat(sep=" ") if timestamp else ""))
        grades = (db.query(Assignment.name, SubmittedAssignment.student_id, BaseCell.name, Grade.score,
                           Grade.max_score, Grade.needs_manual_grade)
                  .select_from(Grade)
                  .join(BaseCell, Grade.cell_id == BaseCell.id)
                  .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
                  .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
                  .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                  .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id))
        data.grades = [GradeRow(s, a, cell, float(score or 0.0), float(mx or 0.0), bool(pending))
                       for a, s, cell, score, mx, pending in grades]
    data.submissions.sort(key=lambda r: (r.assignment, r.student))
    data.grades.sort(key=lambda r: (r.assignment, r.student, r.exercise))
    return data


def seconds_late(timestamp, duedate, extension) -> float:
    """How late a submission came, as nbgrader's SubmittedAssignment.total_seconds_late computes it."""
    if timestamp is None or duedate is None:
        return 0.0
    return max(0.0, (timestamp - (duedate + extension if extension is not None else duedate)).total_seconds())


def cell_order(assignment: str) -> dict[str, int]:
    """Position of each graded cell in the released notebook (course/), so exercises read in
    the order students met them; empty when the assignment is not in course/."""
    order: dict[str, int] = {}
    for path in sorted((ROOT / "course" / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid and gid not in order:
                order[gid] = len(order)
    return order


# ---------------------------------------------------------------- failure messages


def verdict_messages(outputs) -> list[str]:
    """The oracle's failure messages in one graded test cell's outputs ([] when it passed)."""
    texts = []
    for out in outputs:
        if out.get("output_type") == "error" and out.get("ename") == FAILED_MARK:
            texts += out.get("traceback", [])[1:]
        elif out.get("output_type") == "stream" and str(out.get("text", "")).startswith(PARTIAL_MARK):
            texts.append(str(out["text"]).split("\n", 1)[-1])
    return [line.strip()[2:].strip() for text in texts for line in str(text).splitlines()
            if line.strip().startswith("- ")]


def notebook_failures(path: Path) -> dict[str, list[str]]:
    """{graded cell: its failure messages} for one autograded notebook."""
    nb = nbformat.read(path, as_version=4)
    found = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            messages = verdict_messages(cell.get("outputs", []))
            if messages:
                found[meta.get("grade_id", "?")] = messages
    return found


@dataclass
class FailureRow:
    student: str
    assignment: str
    exercise: str
    message: str


def read_failures(workdir: Path, graded: set[tuple[str, str]] | None = None) -> list[FailureRow]:
    """Failure messages of every autograded notebook under ``workdir/autograded`` (only those of
    ``graded`` (student, assignment) pairs when given: a folder left from an older run is skipped)."""
    rows = []
    for path in sorted(Path(workdir, "autograded").glob("*/*/*.ipynb")):
        student, assignment = path.parent.parent.name, path.parent.name
        if graded is not None and (student, assignment) not in graded:
            continue
        try:
            failures = notebook_failures(path)
        except Exception as e:  # noqa: BLE001 - one unreadable notebook must not hide the class
            rows.append(FailureRow(student, assignment, "?", f"autograded notebook unreadable: {type(e).__name__}"))
            continue
        rows += [FailureRow(student, assignment, ex, m) for ex, ms in failures.items() for m in ms]
    return rows


def message_pattern(message: str) -> str:
    """The message without its case's inputs and with numbers as '#', so that one mistake made on
    different random cases counts as one failure."""
    return NUMBER.sub("#", INPUTS.sub("", message)).strip()[:MESSAGE_CHARS]


# ---------------------------------------------------------------- aggregation (pure)


def histogram(scores: list[float], max_score: float, bins: int = 10) -> list[tuple[float, float, int]]:
    """(low, high, count) for each bin over [0, max_score]; the last bin holds max_score.

    Whole-point assignments of up to 20 points get one bin per point value."""
    top = max([max_score, *scores, 0.0])
    if top <= 0:
        return [(0.0, 0.0, len(scores))]
    if top <= 20 and float(top).is_integer() and all(float(s).is_integer() for s in scores):
        edges = np.arange(0, top + 2) - 0.5
        counts, _ = np.histogram(scores, bins=edges)
        return [(float(e + 0.5), float(e + 0.5), int(c)) for e, c in zip(edges[:-1], counts)]
    counts, edges = np.histogram(scores, bins=bins, range=(0.0, top))
    return [(round(float(lo), 6), round(float(hi), 6), int(c)) for lo, hi, c in zip(edges[:-1], edges[1:], counts)]


@dataclass
class ExerciseStat:
    assignment: str
    exercise: str
    max_score: float
    submissions: int
    passed: int  # full points
    mean_score: float

    @property
    def pass_rate(self) -> float:
        return self.passed / self.submissions if self.submissions else 0.0


def exercise_stats(grades: list[GradeRow], order: dict[str, list[str]] | None = None) -> list[ExerciseStat]:
    """Per (assignment, exercise): how many submissions earned its full points, and the mean score.
    A written answer waiting for its manual grade counts in neither yet."""
    groups: dict[tuple[str, str], list[GradeRow]] = defaultdict(list)
    for g in grades:
        if not g.pending:
            groups[g.assignment, g.exercise].append(g)
    order = order or {}

    def position(key):
        names = order.get(key[0], [])
        return (key[0], names.index(key[1]) if key[1] in names else len(names), key[1])

    stats = []
    for (a, ex), rows in sorted(groups.items(), key=lambda kv: position(kv[0])):
        if not rows:
            continue
        top = max(r.max_score for r in rows)
        passed = sum(1 for r in rows if top > 0 and r.score >= top - 1e-9)
        stats.append(ExerciseStat(a, ex, top, len(rows), passed, float(np.mean([r.score for r in rows]))))
    return stats


@dataclass
class FailureStat:
    assignment: str
    exercise: str
    pattern: str
    example: str  # one real message with this pattern
    count: int  # submissions that failed with it


def common_failures(rows: list[FailureRow], top: int = 5) -> list[FailureStat]:
    """The ``top`` most common failure messages of each (assignment, exercise), most common first.

    A message counts once per submission, however many of its cases failed with it."""
    seen: dict[tuple[str, str, str], set[str]] = defaultdict(set)  # the students who failed with it
    example: dict[tuple[str, str, str], str] = {}
    for r in rows:
        key = (r.assignment, r.exercise, message_pattern(r.message))
        seen[key].add(r.student)
        example.setdefault(key, r.message[:MESSAGE_CHARS])
    per_exercise: dict[tuple[str, str], list[FailureStat]] = defaultdict(list)
    for (a, ex, pattern), students in seen.items():
        per_exercise[a, ex].append(FailureStat(a, ex, pattern, example[a, ex, pattern], len(students)))
    out = []
    for key in sorted(per_exercise):
        out += sorted(per_exercise[key], key=lambda f: (-f.count, f.pattern))[:top]
    return out


@dataclass
class UngradedRow:
    student: str
    assignment: str
    status: str
    reason: str


def read_report_csv(path: Path) -> list[dict]:
    """The rows of make grade's report.csv ([] when there is none)."""
    if not Path(path).is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def ungraded(report_rows: list[dict]) -> list[UngradedRow]:
    """Submissions report.csv lists as not graded (rejected or failed), with the reason."""
    return sorted((UngradedRow(r.get("student", ""), r.get("assignment", ""), r.get("status", ""),
                               r.get("reason", "")) for r in report_rows if r.get("status") != "graded"),
                  key=lambda u: (u.assignment, u.student))


def late_submissions(subs: list[SubmissionRow]) -> list[SubmissionRow]:
    """Submissions handed in after their due date (extensions counted by nbgrader), latest first."""
    return sorted((s for s in subs if s.seconds_late > 0), key=lambda s: (s.assignment, -s.seconds_late, s.student))


@dataclass
class AssignmentSummary:
    assignment: str
    max_score: float
    graded: int
    mean: float | None
    median: float | None
    low: float | None
    high: float | None
    full_marks: int
    ungraded: int
    late: int


def summary(data: ClassGrades, not_graded: list[UngradedRow]) -> list[AssignmentSummary]:
    """One line per assignment that has a submission (graded or not). Full marks: every point
    earned but those of written answers still waiting for their manual grade."""
    names = sorted({s.assignment for s in data.submissions} | {u.assignment for u in not_graded})
    waiting: dict[tuple[str, str], float] = defaultdict(float)
    for g in data.grades:
        if g.pending:
            waiting[g.assignment, g.student] += g.max_score
    out = []
    for a in names:
        scores = [s.score for s in data.submissions if s.assignment == a]
        top = data.max_scores.get(a) or max((s.max_score for s in data.submissions if s.assignment == a), default=0.0)
        mean, median, low, high = (round(float(f(scores)), 3) if scores else None
                                   for f in (np.mean, np.median, np.min, np.max))
        out.append(AssignmentSummary(
            a, top, len(scores), mean, median, low, high,
            sum(1 for s in data.submissions if s.assignment == a and top
                and s.score >= top - waiting[a, s.student] - 1e-9),
            sum(1 for u in not_graded if u.assignment == a),
            sum(1 for s in data.submissions if s.assignment == a and s.seconds_late > 0)))
    return out
