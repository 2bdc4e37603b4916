"""``make grade``: autograde every submission, write feedback, export grades.

Submissions are read from ``<workdir>/submitted/<student>/<assignment>/*.ipynb``
(nbgrader's exchange puts them there with ``nbgrader collect``, or an instructor copies
collected files there). First every submission folder is vetted without following links
(autograder/vet.py): links, special files, oversized files and bad names are left out
with a reason, linked student or assignment folders are refused, and what passed is
copied into a private staging tree that nbgrader grades from. For each one, in parallel
processes (one nbgrader process per submission, as many at a time as cores):

1. ``nbgrader autograde`` runs the notebook in fast mode in a bubblewrap sandbox with the
   oracle preprocessors (autograder/sandbox.py, autograder/preprocessors.py); students it
   has not seen are added to the gradebook;
2. a submission that cannot be graded is recorded with its reason and the batch goes on;
3. a submission graded before and unchanged since is skipped (``--force`` regrades), so a
   batch that was stopped half-way completes when run again;
4. a submission that reached a time limit while other submissions were graded beside it
   is graded again alone, and only then does its time limit count (named in the report).

Then ``nbgrader generate_feedback`` writes HTML feedback per student, ``nbgrader export``
writes ``grades.csv`` (nbgrader's columns), and ``report.csv`` lists student, assignment,
score, max_score, status and reason for every submission.

Usage: ``python -m autograder.grade [--workdir DIR] [--jobs N] [--student S]
[--assignment A] [--force] [--cell-timeout S] [--notebook-timeout S] [--memory-mb M]
[--unsandboxed]``
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from . import cgroup
from .nbgrader_cli import ROOT, STEP_TIMEOUT_S, assignments, nbgrader
from .release import release
from .sandbox import TIME_LIMIT_MARKER, bwrap_problem
from .vet import vet_submissions

DEFAULT_WORKDIR = ROOT / "autograder"
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
STATE_FILE = ".graded.json"


@dataclass
class Options:
    jobs: int | None = None
    force: bool = False
    sandbox: bool = True
    cell_timeout: int | None = None  # seconds; None keeps nbgrader_config.py's
    notebook_timeout: int | None = None
    memory_mb: int | None = None
    progress: bool = True
    step_timeout: float = STEP_TIMEOUT_S  # seconds for each feedback and export step

    def nbgrader_flags(self) -> list[str]:
        flags = [] if self.sandbox else ["--SandboxedExecute.sandbox=False"]
        if self.cell_timeout:
            flags.append(f"--Execute.timeout={self.cell_timeout}")
        if self.notebook_timeout:
            flags.append(f"--SandboxedExecute.notebook_timeout={self.notebook_timeout}")
        if self.memory_mb:
            flags.append(f"--SandboxedExecute.memory_limit_mb={self.memory_mb}")
        return flags

    def process_timeout(self) -> float:
        """Backstop for a whole nbgrader process: the notebook limit plus start-up and saving."""
        return (self.notebook_timeout or 1800) + 300


@dataclass
class Outcome:
    student: str
    assignment: str
    status: str = "graded"
    reason: str = ""
    score: float | None = None
    max_score: float | None = None
    digest: str = ""
    staged: Path | None = None  # the vetted private copy that nbgrader grades
    time_limit: str = ""  # which time limit this grading reached, if any


def course_overrides(workdir: Path, submitted: Path | None = None) -> list[str]:
    """nbgrader options that point submitted/ (the vetted staging tree when given), autograded/,
    feedback/ and the gradebook at workdir."""
    return [f"--CourseDirectory.submitted_directory={submitted or workdir / 'submitted'}",
            f"--CourseDirectory.autograded_directory={workdir / 'autograded'}",
            f"--CourseDirectory.feedback_directory={workdir / 'feedback'}",
            f"--CourseDirectory.db_url=sqlite:///{workdir / 'gradebook.db'}"]


def folder_digest(folder: Path) -> str:
    """SHA-256 over the names and contents of every file in a submission folder."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def notebook_problem(path: Path) -> str | None:
    """Why a submitted notebook cannot be graded at all, or None."""
    try:
        nbformat.read(path, as_version=4)
    except Exception as e:  # noqa: BLE001 - any parse failure is the reason
        return f"{path.name} is not a valid notebook ({type(e).__name__}: {str(e)[:120]})"
    return None


def find_submissions(workdir: Path, known: list[str], staging: Path) -> tuple[list[Outcome], list[Outcome]]:
    """(to grade, rejected) from ``workdir/submitted``, vetted and staged under ``staging``.

    Rejected ones carry their reason; to-grade ones name what was left out of them, if anything."""
    todo, rejected = [], []
    for found in vet_submissions(workdir / "submitted", staging):
        outcome = Outcome(found.student, found.assignment, staged=found.staged)
        left_out = f"left out: {'; '.join(found.refused)}" if found.refused else ""
        notebooks = sorted(found.staged.glob("*.ipynb")) if found.staged else []
        if found.problem:
            outcome.reason = found.problem
        elif not SAFE_NAME.match(outcome.student):
            outcome.reason = "student id may hold only letters, digits, '.', '_', '-'"
        elif outcome.assignment not in known:
            outcome.reason = f"no such assignment (known: {', '.join(known)})"
        elif not notebooks:
            outcome.reason = "no notebook in the submission"
        else:
            outcome.reason = next(filter(None, map(notebook_problem, notebooks)), "")
        if outcome.reason:
            outcome.status, outcome.score = "rejected", 0.0
            outcome.reason = "; ".join(filter(None, [outcome.reason, left_out]))[:1000]
            rejected.append(outcome)
        else:
            outcome.reason = left_out[:1000]
            outcome.digest = folder_digest(found.staged)
            todo.append(outcome)
    return todo, rejected


def failure_reason(output: str) -> str:
    """The most telling line of a failed nbgrader run, for the report."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    boilerplate = ("There was an error processing", "Please see the")
    lines = [ln for ln in lines if not any(b in ln for b in boilerplate)]
    for pattern in ("SandboxUnavailable", "Timeout", "DeadKernel", "SchemaTooOld", "NotJSONError",
                    "Error:", "Error", "error"):
        hits = [ln for ln in lines if pattern in ln]
        if hits:
            return re.sub(r"^\[[^\]]*\]\s*", "", hits[-1])[:300]
    return (lines[-1] if lines else "nbgrader failed without a message")[:300]


def autograde(outcome: Outcome, workdir: Path, options: Options, staging: Path) -> Outcome:
    outcome.status, outcome.time_limit = "graded", ""
    try:
        result = nbgrader("autograde", outcome.assignment, "--student", outcome.student, "--force",
                          *course_overrides(workdir, staging), *options.nbgrader_flags(),
                          timeout=options.process_timeout())
    except subprocess.TimeoutExpired:
        outcome.status, outcome.time_limit = "failed", "the grading process's time limit"
        outcome.reason = f"grading took longer than {options.process_timeout():g} s"
        return outcome
    except Exception as e:  # noqa: BLE001 - a broken grader: record it, go on
        outcome.status, outcome.reason = "failed", f"{type(e).__name__}: {e}"[:300]
        return outcome
    log = result.stdout + result.stderr
    hit = re.search(re.escape(TIME_LIMIT_MARKER) + r": (.*)", log)
    outcome.time_limit = hit.group(1).strip() if hit else ""
    # nbclient logs a cell timeout or a dead kernel at ERROR level too, but those are graded
    # (the sandbox restarts the kernel); nbgrader says this when a notebook really failed:
    if result.returncode != 0 or "There was an error processing assignment" in log:
        outcome.status, outcome.reason = "failed", failure_reason(log)
    return outcome


class GradedState:
    """Digests of the submissions graded successfully, saved after each one (atomically)."""

    def __init__(self, workdir: Path):
        self.path = workdir / STATE_FILE
        self._lock = threading.Lock()
        try:
            self.digests = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.digests = {}

    @staticmethod
    def key(o: Outcome) -> str:
        return f"{o.student}/{o.assignment}"

    def unchanged(self, o: Outcome) -> bool:
        return self.digests.get(self.key(o)) == o.digest

    def record(self, o: Outcome) -> None:
        with self._lock:
            self.digests[self.key(o)] = o.digest
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.digests, indent=1, sort_keys=True))
            tmp.replace(self.path)


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


def grade_all(workdir: Path = DEFAULT_WORKDIR, options: Options | None = None, student: str | None = None,
              assignment: str | None = None) -> list[Outcome]:
    """Grade every (selected) submission under ``workdir``; return one outcome per submission."""
    options = options or Options()
    if options.sandbox:
        problem = bwrap_problem()
        if problem:
            raise SystemExit(f"make grade: {problem}")
        warn_without_cgroups()
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dlcourse-staged-") as staging:  # 0700, the grader's
        todo, rejected = find_submissions(workdir, assignments(), Path(staging))
        todo = [o for o in todo if (student in (None, o.student)) and (assignment in (None, o.assignment))]
        state = GradedState(workdir)
        skipped = [] if options.force else [o for o in todo if state.unchanged(o)]
        for o in skipped:
            o.status = "graded"
            o.reason = "; ".join(filter(None, ["unchanged since it was last graded", o.reason]))
        todo = [o for o in todo if o not in skipped]
        results = autograde_batch(todo, workdir, options, Path(staging), state)
    graded = results + skipped
    if graded:
        attach_scores(graded, workdir)
    for name in sorted({o.assignment for o in results if o.status == "graded"}):
        run_step(f"feedback for {name}", options, "generate_feedback", name, "--force",
                 *course_overrides(workdir))
    if graded:
        run_step("export", options, "export", f"--to={workdir / 'grades.csv'}", *course_overrides(workdir))
    if options.sandbox:
        cgroup.sweep_stale()
    outcomes = graded + rejected
    write_report(outcomes, workdir / "report.csv")
    return outcomes


def autograde_batch(todo: list[Outcome], workdir: Path, options: Options, staging: Path,
                    state: GradedState) -> list[Outcome]:
    """Autograde in parallel; then grade again, alone, each one that reached a time limit
    while others ran beside it. Only then does a time limit count, named in the reason."""
    if todo:
        with tempfile.TemporaryDirectory() as tmp:  # record assignments in the gradebook, course/ untouched
            release(into=tmp, db=f"sqlite:///{workdir / 'gradebook.db'}", quiet=True,
                    names=sorted({o.assignment for o in todo}))
    left_out = {id(o): o.reason for o in todo}

    def grade_one(o: Outcome) -> Outcome:
        o = autograde(o, workdir, options, staging)
        if o.status == "graded" and not o.time_limit:
            state.record(o)
        return o

    jobs = options.jobs or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each job waits on its own nbgrader process
        results = list(tqdm(pool.map(grade_one, todo), total=len(todo), desc="autograding",
                            unit="submission", disable=not options.progress))
    crowded = min(jobs, len(todo)) > 1
    again = [o for o in results if o.time_limit] if crowded else []
    for o in tqdm(again, desc="grading alone after a time limit", unit="submission",
                  disable=not options.progress):
        o.reason = left_out[id(o)]
        grade_one(o)
    retried = {id(o) for o in again}
    for o in results:
        if o.time_limit and o.status == "graded":
            alone = " (also when graded alone)" if id(o) in retried else ""
            note = (f"reached a time limit{alone}: {o.time_limit}; scored what ran before it; "
                    "graded again by the next run")
            o.reason = "; ".join(filter(None, [note, o.reason]))
    return results


def run_step(what: str, options: Options, *args: str) -> None:
    """One nbgrader step after autograding, within its time limit; a failure is a warning."""
    try:
        result = nbgrader(*args, timeout=options.step_timeout)
    except subprocess.TimeoutExpired:
        print(f"warning: {what} stopped after its {options.step_timeout:g} s time limit")
        return
    if result.returncode != 0:
        print(f"warning: {what} failed: {failure_reason(result.stdout + result.stderr)}")


def warn_without_cgroups() -> None:
    """Say so when sandboxes cannot be bounded as a whole here (README, Safety: what is lost)."""
    problem = cgroup.problem()
    if problem:
        print(f"warning: {problem}: memory is bounded per process, not per sandbox, and a notebook's "
              "processes get no CPU share of their own (see README, Safety)", file=sys.stderr)
    else:
        cgroup.sweep_stale()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Autograde every submission, write feedback and grades.")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help="folder holding submitted/ (default: autograder/)")
    parser.add_argument("--jobs", type=int, default=None, help="parallel submissions (default: cores)")
    parser.add_argument("--student")
    parser.add_argument("--assignment")
    parser.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    parser.add_argument("--cell-timeout", type=int, help="seconds per cell (default: nbgrader_config.py)")
    parser.add_argument("--notebook-timeout", type=int, help="seconds per notebook")
    parser.add_argument("--memory-mb", type=int, help="memory limit per kernel, MiB (default 4096)")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="run student code without bubblewrap: only for trusted submissions")
    args = parser.parse_args(argv)
    options = Options(jobs=args.jobs, force=args.force, sandbox=not args.unsandboxed,
                      cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                      memory_mb=args.memory_mb)
    if args.unsandboxed:
        print("WARNING: grading WITHOUT a sandbox: student code runs with your rights.")
    outcomes = grade_all(args.workdir, options, args.student, args.assignment)
    if not outcomes:
        print(f"nothing to grade: put submissions in {args.workdir / 'submitted'}/<student>/<assignment>/")
        return 0
    for o in sorted(outcomes, key=lambda o: (o.student, o.assignment)):
        score = "-" if o.score is None else f"{o.score:g}/{o.max_score:g}" if o.max_score else f"{o.score:g}"
        print(f"{o.student:20s} {o.assignment:20s} {score:>10s}  {o.status}{': ' + o.reason if o.reason else ''}")
    print(f"grades: {args.workdir / 'grades.csv'}   report: {args.workdir / 'report.csv'}   "
          f"feedback: {args.workdir / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
