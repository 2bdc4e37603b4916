"""``make grade``: autograde every submission, write feedback, export grades.

Submissions are read from ``<workdir>/submitted/<student>/<assignment>/*.ipynb``
(nbgrader's exchange puts them there with ``nbgrader collect``, or an instructor copies
collected files there). For each one, in parallel processes:

1. ``nbgrader autograde`` runs the notebook in fast mode with the oracle preprocessors
   (see autograder/preprocessors.py); students it has not seen are added to the gradebook;
2. a failure of one submission is recorded with its reason, and the batch goes on.

Then ``nbgrader generate_feedback`` writes HTML feedback per student, ``nbgrader export``
writes ``grades.csv`` (nbgrader's columns), and ``report.csv`` lists
student, assignment, score, max_score, status and reason for every submission.

Usage: ``python -m autograder.grade [--workdir DIR] [--jobs N] [--student S] [--assignment A]``
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .nbgrader_cli import ROOT, assignments, nbgrader
from .release import release

DEFAULT_WORKDIR = ROOT / "autograder"
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
AUTOGRADE_TIMEOUT = 30 * 60  # a whole notebook; cells have their own limit (Execute.timeout)


@dataclass
class Outcome:
    student: str
    assignment: str
    status: str = "graded"
    reason: str = ""
    score: float | None = None
    max_score: float | None = None


def course_overrides(workdir: Path) -> list[str]:
    """nbgrader options that point submitted/, autograded/, feedback/ and the gradebook at workdir."""
    return [f"--CourseDirectory.submitted_directory={workdir / 'submitted'}",
            f"--CourseDirectory.autograded_directory={workdir / 'autograded'}",
            f"--CourseDirectory.feedback_directory={workdir / 'feedback'}",
            f"--CourseDirectory.db_url=sqlite:///{workdir / 'gradebook.db'}"]


def find_submissions(workdir: Path, known: list[str]) -> tuple[list[Outcome], list[Outcome]]:
    """(to grade, rejected) from ``workdir/submitted``; rejected ones carry their reason."""
    todo, rejected = [], []
    submitted = workdir / "submitted"
    if not submitted.is_dir():
        return todo, rejected
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            outcome = Outcome(student_dir.name, assignment_dir.name)
            if not SAFE_NAME.match(outcome.student):
                outcome.status, outcome.reason = "rejected", "student id may hold only letters, digits, '.', '_', '-'"
            elif outcome.assignment not in known:
                outcome.status, outcome.reason = "rejected", f"no such assignment (known: {', '.join(known)})"
            elif not any(assignment_dir.glob("*.ipynb")):
                outcome.status, outcome.reason = "rejected", "no notebook in the submission"
            (todo if outcome.status == "graded" else rejected).append(outcome)
    return todo, rejected


def failure_reason(output: str) -> str:
    """The most telling line of a failed nbgrader run, for the report."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for pattern in ("Timeout", "DeadKernel", "SchemaTooOld", "NotJSONError", "Error", "error"):
        hits = [ln for ln in lines if pattern in ln]
        if hits:
            return re.sub(r"^\[[^\]]*\]\s*", "", hits[-1])[:300]
    return (lines[-1] if lines else "nbgrader failed without a message")[:300]


def autograde(outcome: Outcome, workdir: Path) -> Outcome:
    try:
        result = nbgrader("autograde", outcome.assignment, "--student", outcome.student, "--force",
                          *course_overrides(workdir), timeout=AUTOGRADE_TIMEOUT)
    except Exception as e:  # noqa: BLE001 - timeout or a broken interpreter: record, go on
        outcome.status, outcome.reason = "failed", f"{type(e).__name__}: {e}"[:300]
        return outcome
    log = result.stdout + result.stderr
    if result.returncode != 0 or "[AutogradeApp | ERROR]" in log:
        outcome.status, outcome.reason = "failed", failure_reason(log)
    return outcome


def attach_scores(outcomes: list[Outcome], workdir: Path) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{workdir / 'gradebook.db'}") as gb:
        for o in outcomes:
            try:
                sub = gb.find_submission(o.assignment, o.student)
                o.score, o.max_score = sub.score, sub.max_score
            except MissingEntry:
                pass


def write_report(outcomes: list[Outcome], path: Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "score", "max_score", "status", "reason"])
        for o in sorted(outcomes, key=lambda o: (o.student, o.assignment)):
            writer.writerow([o.student, o.assignment, "" if o.score is None else o.score,
                             "" if o.max_score is None else o.max_score, o.status, o.reason])


def grade_all(workdir: Path = DEFAULT_WORKDIR, jobs: int | None = None, student: str | None = None,
              assignment: str | None = None, progress: bool = True) -> list[Outcome]:
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    todo, rejected = find_submissions(workdir, assignments())
    todo = [o for o in todo if (student in (None, o.student)) and (assignment in (None, o.assignment))]
    if not todo:
        write_report(rejected, workdir / "report.csv")
        return rejected
    with tempfile.TemporaryDirectory() as tmp:  # record assignments in the gradebook, course/ untouched
        release(into=tmp, db=f"sqlite:///{workdir / 'gradebook.db'}", quiet=True,
                names=sorted({o.assignment for o in todo}))
    jobs = jobs or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each job is an nbgrader process
        results = list(tqdm(pool.map(lambda o: autograde(o, workdir), todo), total=len(todo),
                            desc="autograding", unit="submission", disable=not progress))
    attach_scores(results, workdir)
    for name in sorted({o.assignment for o in results}):
        fb = nbgrader("generate_feedback", name, "--force", *course_overrides(workdir))
        if fb.returncode != 0:
            print(f"warning: feedback for {name} failed: {failure_reason(fb.stdout + fb.stderr)}")
    export = nbgrader("export", f"--to={workdir / 'grades.csv'}", *course_overrides(workdir))
    if export.returncode != 0:
        print(f"warning: export failed: {failure_reason(export.stdout + export.stderr)}")
    outcomes = results + rejected
    write_report(outcomes, workdir / "report.csv")
    return outcomes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Autograde every submission, write feedback and grades.")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help="folder holding submitted/ (default: autograder/)")
    parser.add_argument("--jobs", type=int, default=None, help="parallel submissions (default: cores)")
    parser.add_argument("--student")
    parser.add_argument("--assignment")
    args = parser.parse_args(argv)
    outcomes = grade_all(args.workdir, args.jobs, args.student, args.assignment)
    if not outcomes:
        print(f"nothing to grade: put submissions in {args.workdir / 'submitted'}/<student>/<assignment>/")
        return 0
    for o in sorted(outcomes, key=lambda o: (o.student, o.assignment)):
        score = "-" if o.score is None else f"{o.score:g}/{o.max_score:g}"
        print(f"{o.student:20s} {o.assignment:20s} {score:>10s}  {o.status}{': ' + o.reason if o.reason else ''}")
    print(f"grades: {args.workdir / 'grades.csv'}   report: {args.workdir / 'report.csv'}   "
          f"feedback: {args.workdir / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
