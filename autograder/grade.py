"""``make grade``: autograde every submission, write feedback, export grades.

Submissions are read from ``<workdir>/submitted/<student>/<assignment>/*.ipynb``
(nbgrader's exchange puts them there with ``nbgrader collect``, or an instructor copies
collected files there). First every submission folder is vetted without following links
(autograder/vet.py): links, special files, oversized files and bad names are left out
with a reason, linked student or assignment folders are refused, and what passed is
copied into a private staging tree that nbgrader grades from. For each one, as many at a
time as cores, by warm grading workers (autograder/workers.py: long-lived processes that
imported nbgrader, torch and the oracles once; ``Options.warm=False``: one nbgrader
process per submission):

1. nbgrader's autograde runs the notebook in fast mode in its own fresh kernel in a
   bubblewrap sandbox with the oracle preprocessors (autograder/sandbox.py,
   autograder/preprocessors.py); students it has not seen are added to the gradebook; a
   worker that dies or hangs is replaced and the submission graded once more, then
   reported as failed with the reason;
2. a submission that cannot be graded is recorded with its reason and the batch goes on;
3. a submission graded before and unchanged since is skipped (``--force`` regrades), so a
   batch that was stopped half-way completes when run again;
4. a submission that reached a time limit while other submissions were graded beside it
   is graded again alone, and only then does its time limit count (named in the report).

Then ``nbgrader generate_feedback`` writes HTML feedback per student, ``nbgrader export``
writes ``grades.csv`` (nbgrader's columns), and ``report.csv`` lists student, assignment,
score, max_score, status, reason, the seed of the grader's cases and what became of the written
answers (autograder/written.py) for every submission.
A submission that fails to grade (or whose outputs or feedback show a hidden test line)
has no score in either file, whatever it had before: its gradebook entry is removed and
its autograded notebook and feedback are set aside in ``failed/``.

Several graders, on one machine or several, share one gradebook with ``--db URL`` (PostgreSQL,
autograder/gradebook_db.py) and each take a share of the students with ``--shard i/n``
(autograder/shard.py), or split a batch as they go with ``--claim BATCH``; each exports
grades.csv from the whole shared gradebook.

Usage: ``python -m autograder.grade [--workdir DIR] [--jobs N] [--student S]
[--assignment A] [--force] [--cell-timeout S] [--notebook-timeout S] [--memory-mb M]
[--seed N] [--exchange-timestamps] [--unsandboxed] [--db URL] [--shard i/n] [--claim BATCH]``
"""
from __future__ import annotations

import argparse
import csv
import fcntl
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from . import cgroup, gradebook_db, workers, written
from .collection import TIMESTAMP_ENV, collection_timestamp, grading_digest
from .hidden import html_text, leaked_lines, notebook_output_text, secret_lines
from .nbgrader_cli import ROOT, STEP_TIMEOUT_S, assignments, nbgrader
from .release import release
from .sandbox import TIME_LIMIT_MARKER, SandboxLimits, bwrap_problem
from .sanitize import clean_feedback, unsafe_parts
from .shard import Shard
from .vet import vet_submissions

DEFAULT_WORKDIR = ROOT / "autograder"
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
STATE_FILE = ".graded.json"
SET_ASIDE = "failed"  # <workdir>/failed/<student>/<assignment>/: what a failed grading left, for review
ELSEWHERE = "claimed elsewhere"  # an outcome's status while another grader of the batch holds it
REPORT_COLUMNS = ["student", "assignment", "score", "max_score", "status", "reason", "seed", written.COLUMN]


@dataclass
class Options:
    jobs: int | None = None
    warm: bool = True  # warm grading workers (autograder/workers.py); False: a process per submission
    force: bool = False
    sandbox: bool = True
    cell_timeout: int | None = None  # seconds; None keeps nbgrader_config.py's
    notebook_timeout: int | None = None
    memory_mb: int | None = None
    progress: bool = True
    step_timeout: float = STEP_TIMEOUT_S  # seconds for each feedback and export step
    seed: int | None = None  # cases seed for every submission; None draws one per submission
    exchange_timestamps: bool = False  # trust timestamp.txt (written by nbgrader's exchange submit)
    written_answers: str | None = None  # "graded" or "ungraded"; None: pyproject.toml's setting
    db_url: str | None = None  # shared gradebook (SQLAlchemy URL); None: <workdir>/gradebook.db
    shard: Shard | None = None  # grade only the students of this shard
    claim: str | None = None  # a batch name: graders sharing it claim submissions in the gradebook

    def gradebook(self, workdir: Path) -> str:
        return gradebook_db.gradebook_url(workdir, self.db_url)

    def nbgrader_flags(self) -> list[str]:
        flags = [] if self.sandbox else ["--SandboxedExecute.sandbox=False"]
        if self.cell_timeout:
            flags.append(f"--Execute.timeout={self.cell_timeout}")
        if self.notebook_timeout:
            flags.append(f"--SandboxedExecute.notebook_timeout={self.notebook_timeout}")
        if self.memory_mb:
            flags.append(f"--SandboxedExecute.memory_limit_mb={self.memory_mb}")
        return flags

    def fingerprint(self) -> str:
        """The options that change a grade, for the skip digest."""
        return " ".join(self.nbgrader_flags())

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
    seed: int | None = None
    written: str = ""  # what became of the written answers (autograder/written.py)


def course_overrides(workdir: Path, submitted: Path | None = None, db: str | None = None) -> list[str]:
    """nbgrader options that point submitted/ (the vetted staging tree when given), autograded/,
    feedback/ and the gradebook (``db``, by default the workdir's SQLite file) at workdir."""
    return [f"--CourseDirectory.submitted_directory={submitted or workdir / 'submitted'}",
            f"--CourseDirectory.autograded_directory={workdir / 'autograded'}",
            f"--CourseDirectory.feedback_directory={workdir / 'feedback'}",
            f"--CourseDirectory.db_url={db or gradebook_db.gradebook_url(workdir)}"]


def notebook_problem(path: Path) -> str | None:
    """Why a submitted notebook cannot be graded at all, or None."""
    try:
        nbformat.read(path, as_version=4)
    except Exception as e:  # noqa: BLE001 - any parse failure is the reason
        return f"{path.name} is not a valid notebook ({type(e).__name__}: {str(e)[:120]})"
    return None


def find_submissions(workdir: Path, known: list[str], staging: Path,
                     config: str = "") -> tuple[list[Outcome], list[Outcome]]:
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
            outcome.digest = grading_digest(found.staged, outcome.assignment, config)
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


def autograde(outcome: Outcome, workdir: Path, options: Options, staging: Path, nbgrader=nbgrader) -> Outcome:
    """Grade one submission; ``nbgrader`` runs it (a warm pool's, or nbgrader_cli's: a process)."""
    outcome.status, outcome.time_limit = "graded", ""
    outcome.seed = options.seed if options.seed is not None else secrets.randbits(63)
    # when it arrived: the collected folder's own inode times (lstat only), not the staged copy's
    timestamp = collection_timestamp(workdir / "submitted" / outcome.student / outcome.assignment,
                                     exchange=options.exchange_timestamps)
    try:
        result = nbgrader("autograde", outcome.assignment, "--student", outcome.student, "--force",
                          *course_overrides(workdir, staging, options.gradebook(workdir)),
                          *options.nbgrader_flags(),
                          f"--InjectCases.seed={outcome.seed}", env={TIMESTAMP_ENV: timestamp},
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
            self._save(self.key(o))

    def forget(self, o: Outcome) -> None:
        with self._lock:
            if self.digests.pop(self.key(o), None) is not None:
                self._save(self.key(o))

    def _save(self, key: str) -> None:
        """Write this grader's entry for ``key`` into the file as it is now: graders sharing a
        workdir (--shard, --claim) each add their own, none loses another's."""
        with open(self.path.with_name(f"{self.path.name}.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                on_disk = json.loads(self.path.read_text())
            except (OSError, ValueError):
                on_disk = {}
            if key in self.digests:
                on_disk[key] = self.digests[key]
            else:
                on_disk.pop(key, None)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(on_disk, indent=1, sort_keys=True))
            tmp.replace(self.path)


def attach_scores(outcomes: list[Outcome], workdir: Path, db: str | None = None, mode: str = "graded") -> None:
    """Scores from the gradebook, the written answers counted as the course says (``mode``)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db or gradebook_db.gradebook_url(workdir)) as gb:
        for o in outcomes:
            try:
                sub = gb.find_submission(o.assignment, o.student)
            except MissingEntry:
                continue
            t = written.submission_tally(sub)
            o.score, o.max_score = written.counted(sub.score, sub.max_score, t, mode)
            o.written = t.note(mode)


def write_report(outcomes: list[Outcome], path: Path, kept: list[dict] | None = None) -> None:
    """report.csv: a row per outcome, and the ``kept`` rows (dicts of REPORT_COLUMNS) as they were."""
    rows = [[o.student, o.assignment, "" if o.score is None else o.score,
             "" if o.max_score is None else o.max_score, o.status, o.reason, "" if o.seed is None else o.seed,
             o.written] for o in outcomes]
    rows += [[row.get(c, "") for c in REPORT_COLUMNS] for row in kept or []]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(sorted(rows, key=lambda r: (r[0], r[1])))


def fail(o: Outcome, reason: str) -> None:
    o.status, o.reason, o.score, o.max_score = "failed", reason[:300], None, None


def forget_grades(outcomes: list[Outcome], workdir: Path, db: str | None = None) -> None:
    """Submissions without a grade this run keep none from before: their gradebook entries are
    removed, their autograded notebooks and feedback set aside under ``failed/`` (never released)."""
    from nbgrader.api import Gradebook, MissingEntry

    if not outcomes:
        return
    db = db or gradebook_db.gradebook_url(workdir)
    if gradebook_db.is_shared(db) or (workdir / gradebook_db.SQLITE_NAME).is_file():
        with Gradebook(db) as gb:
            for o in outcomes:
                try:
                    gb.remove_submission(o.assignment, o.student)
                except MissingEntry:
                    pass
    for o in outcomes:
        for kind in ("autograded", "feedback"):
            done = workdir / kind / o.student / o.assignment
            if done.is_dir() and not done.is_symlink():
                aside = workdir / SET_ASIDE / kind / o.student / o.assignment
                shutil.rmtree(aside, ignore_errors=True)
                aside.parent.mkdir(parents=True, exist_ok=True)
                done.rename(aside)


def hidden_test_leak(o: Outcome, workdir: Path) -> str | None:
    """The last gate: a hidden test line (one the student did not write) in the autograded
    notebook's outputs or in the feedback, named; None when there is none."""
    submitted = sorted(o.staged.glob("*.ipynb")) if o.staged else []  # the vetted copy
    secret = secret_lines(o.assignment, submitted)
    found = []
    for path in sorted((workdir / "autograded" / o.student / o.assignment).glob("*.ipynb")):
        found += leaked_lines(notebook_output_text(path), secret)
    for path in sorted((workdir / "feedback" / o.student / o.assignment).glob("*.html")):
        found += leaked_lines(html_text(path.read_text(errors="replace")), secret)
    if found:
        return (f"a hidden test line reached the outputs or feedback ({found[0]!r}): not graded, "
                f"its files set aside in {SET_ASIDE}/")
    return None


def unsafe_feedback(o: Outcome, workdir: Path) -> str | None:
    """Audit the feedback pages (scripts already stripped); what is still unsafe, named."""
    for path in sorted((workdir / "feedback" / o.student / o.assignment).glob("*.html")):
        problems = unsafe_parts(path.read_text(errors="replace"))
        if problems:
            return f"the feedback is not inert ({problems[0]}): not graded, set aside in {SET_ASIDE}/"
    return None


def last_gate(o: Outcome, workdir: Path) -> str | None:
    """Why a graded submission's outputs or feedback must not be released, or None."""
    return unsafe_feedback(o, workdir) or hidden_test_leak(o, workdir)


def blank_failed_scores(csv_path: Path, failed: list[Outcome]) -> None:
    """nbgrader exports 0 for a student without a submission: a failed one gets no score at all."""
    keys = {(o.assignment, o.student) for o in failed}
    if not keys or not csv_path.is_file():
        return
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return
    for row in rows:
        if (row.get("assignment"), row.get("student_id")) in keys:
            for column in ("raw_score", "late_submission_penalty", "score"):
                if column in row:
                    row[column] = ""
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def grade_all(workdir: Path = DEFAULT_WORKDIR, options: Options | None = None, student: str | None = None,
              assignment: str | None = None) -> list[Outcome]:
    """Grade every (selected) submission under ``workdir``; return one outcome per submission."""
    options = options or Options()
    mode = written.check_mode(options.written_answers) if options.written_answers else written.setting()
    if options.sandbox:
        problem = bwrap_problem()
        if problem:
            raise SystemExit(f"make grade: {problem}")
        warn_without_cgroups()
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    db = options.gradebook(workdir)
    problem = gradebook_db.problem(db)
    if problem:
        raise SystemExit(f"make grade: {problem}")
    with tempfile.TemporaryDirectory(prefix="dlcourse-staged-") as staging:  # 0700, the grader's
        todo, rejected = find_submissions(workdir, assignments(), Path(staging), options.fingerprint())
        others = sorted({o.student for o in todo + rejected if not ours(o, options)})
        todo, rejected = [o for o in todo if ours(o, options)], [o for o in rejected if ours(o, options)]
        todo = [o for o in todo if (student in (None, o.student)) and (assignment in (None, o.assignment))]
        state = GradedState(workdir)
        replay = options.force or options.seed is not None  # a given seed always regrades: it is a replay
        skipped = [] if replay else [o for o in todo if state.unchanged(o)]
        for o in skipped:
            o.status = "graded"
            o.reason = "; ".join(filter(None, ["unchanged since it was last graded", o.reason]))
        todo = [o for o in todo if o not in skipped]
        claims = (gradebook_db.Claims(db, options.claim, grader_name(options), options.process_timeout())
                  if options.claim and todo else None)
        try:
            results = autograde_batch(todo, workdir, options, Path(staging), claims)
            elsewhere = {(o.student, o.assignment) for o in results if o.status == ELSEWHERE}
            results = [o for o in results if o.status != ELSEWHERE]
            graded = results + skipped
            if graded:
                attach_scores(graded, workdir, db, mode)
            for name in sorted({o.assignment for o in results if o.status == "graded"}):
                theirs = set(others) | {s for s, a in elsewhere if a == name}  # other graders' pages
                exclude = [f"--CourseDirectory.student_id_exclude={','.join(sorted(theirs))}"] if theirs else []
                run_step(f"feedback for {name}", options, "generate_feedback", name, "--force",
                         f"--ShowModelAnswers.written_answers={mode}", *course_overrides(workdir, db=db), *exclude)
                for page in (workdir / "feedback").glob(f"*/{name}/*.html"):  # nbgrader regenerated them all
                    if page.parent.parent.name not in theirs:
                        page.write_text(clean_feedback(page.read_text(errors="replace")))
            for o in graded:  # feedback of skipped submissions was regenerated too
                problem = last_gate(o, workdir) if o.status == "graded" else None
                if problem:
                    fail(o, problem)
                elif o in results and o.status == "graded" and not o.time_limit:
                    state.record(o)
            for o in results if claims else []:
                claims.finish(o.student, o.assignment, o.status)
        finally:
            if claims:
                claims.close()
    ungraded = [o for o in graded + rejected if o.status != "graded"]
    for o in ungraded:
        if o.status == "failed":
            o.score = o.max_score = None
            o.written = ""
        state.forget(o)
    forget_grades(ungraded, workdir, db)
    failed = [o for o in ungraded if o.status == "failed"]
    gradebook_db.mark_ungraded(db, [(o.student, o.assignment, o.reason) for o in failed], grader_name(options))
    gradebook_db.clear_ungraded(db, [(o.student, o.assignment) for o in graded if o.status == "graded"])
    if graded:
        export_grades(workdir, options, db, failed, mode)
    if options.sandbox:
        cgroup.sweep_stale()
    outcomes = graded + rejected
    if elsewhere:
        print(f"{len(elsewhere)} submissions of batch {options.claim!r} were claimed by other graders")

    def theirs(row: dict) -> bool:  # report rows another grader wrote, kept where they share report.csv
        return ((options.shard is not None and not options.shard.holds(row.get("student", "")))
                or (row.get("student"), row.get("assignment")) in elsewhere)

    write_shared_report(outcomes, workdir / "report.csv", theirs if options.shard or options.claim else None)
    return outcomes


def ours(o: Outcome, options: Options) -> bool:
    """Whether this grader takes ``o`` (every submission, or its shard's)."""
    return options.shard is None or options.shard.holds(o.student)


def grader_name(options: Options) -> str:
    """Who graded, in the shared gradebook's tables: host, process, shard."""
    return f"{socket.gethostname()}:{os.getpid()}" + (f" shard {options.shard}" if options.shard else "")


def export_grades(workdir: Path, options: Options, db: str, failed: list[Outcome], mode: str = "graded") -> None:
    """grades.csv from the whole gradebook (every shard's grades), a failed submission's score
    blank whichever grader failed it; written whole, so a shard beside this one never reads half."""
    part = workdir / f".grades.{os.getpid()}.csv"
    run_step("export", options, "export", f"--to={part}", *course_overrides(workdir, db=db))
    if part.is_file():
        everywhere = [Outcome(s, a) for s, a in gradebook_db.ungraded(db)]
        blank_failed_scores(part, failed + everywhere)
        written.adjust_export(part, db, mode)
        part.replace(workdir / "grades.csv")


def write_shared_report(outcomes: list[Outcome], path: Path, theirs: Callable[[dict], bool] | None) -> None:
    """report.csv for this run, keeping the rows already there that ``theirs`` says other graders
    wrote (shards or claims sharing a workdir add up to the whole class)."""
    if theirs is None:
        write_report(outcomes, path)
        return
    with open(path.with_name(".report.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        kept = []
        if path.is_file():
            with open(path, newline="") as f:
                kept = [row for row in csv.DictReader(f) if theirs(row)]
        part = path.with_name(f".report.{os.getpid()}.csv")
        write_report(outcomes, part, kept)
        part.replace(path)


def autograde_batch(todo: list[Outcome], workdir: Path, options: Options, staging: Path,
                    claims: gradebook_db.Claims | None = None) -> list[Outcome]:
    """Autograde in parallel; then grade again, alone, each one that reached a time limit
    while others ran beside it. Only then does a time limit count, named in the reason.
    With ``claims``, a submission another grader claimed first comes back as ELSEWHERE."""
    if todo:
        with tempfile.TemporaryDirectory() as tmp:  # record assignments in the gradebook, course/ untouched
            db = options.gradebook(workdir)
            with gradebook_db.serialised(db, "prepare"):  # one grader at a time creates the tables
                release(into=tmp, db=db, quiet=True, names=sorted({o.assignment for o in todo}))
                if gradebook_db.is_shared(db):
                    gradebook_db.add_students(db, sorted({o.student for o in todo}))
    left_out = {id(o): o.reason for o in todo}

    jobs = min(options.jobs or os.cpu_count() or 1, max(1, len(todo)))
    with workers.runner(options.warm and bool(todo), jobs) as graders:
        def grade_one(o: Outcome) -> Outcome:
            holder = claims.take(o.student, o.assignment) if claims else None
            if holder:
                o.status, o.reason = ELSEWHERE, f"claimed by {holder}"
                return o
            return autograde(o, workdir, options, staging, nbgrader=graders.nbgrader)

        with ThreadPoolExecutor(max_workers=jobs) as pool:  # each job waits on its own grader
            results = list(tqdm(pool.map(grade_one, todo), total=len(todo), desc="autograding",
                                unit="submission", disable=not options.progress))
        crowded = jobs > 1
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
    parser.add_argument("--memory-mb", type=int,
                        help=f"memory limit per sandbox, MiB (default {SandboxLimits.memory_mb})")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="run student code without bubblewrap: only for trusted submissions")
    parser.add_argument("--seed", type=int, help="seed of the grader's cases (report.csv's seed column): "
                        "with --student, replays that grade exactly; always regrades")
    parser.add_argument("--exchange-timestamps", action="store_true",
                        help="submissions came through nbgrader's exchange: trust its timestamp.txt "
                             "(otherwise the time the files arrived is used)")
    parser.add_argument("--db", metavar="URL",
                        help="the gradebook's database, shared by several graders: "
                             "postgresql://USER@HOST:PORT/DB (default: WORKDIR/gradebook.db, SQLite)")
    parser.add_argument("--shard", type=Shard.parse, metavar="i/n",
                        help="grade only shard i of n (students split by a hash of their id); "
                             "run 1/n ... n/n on one machine or several with one --db")
    parser.add_argument("--claim", metavar="BATCH",
                        help="graders given the same BATCH name split its submissions as they go, each "
                             "claimed in the gradebook by the first grader to reach it (any number of graders)")
    args = parser.parse_args(argv)
    try:
        db_url = gradebook_db.normalise(args.db) if args.db else None
    except ValueError as e:
        parser.error(str(e))
    options = Options(jobs=args.jobs, force=args.force, sandbox=not args.unsandboxed,
                      cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                      memory_mb=args.memory_mb, seed=args.seed, exchange_timestamps=args.exchange_timestamps,
                      db_url=db_url, shard=args.shard, claim=args.claim)
    if args.unsandboxed:
        print("WARNING: grading WITHOUT a sandbox: student code runs with your rights.")
    outcomes = grade_all(args.workdir, options, args.student, args.assignment)
    if not outcomes:
        print(f"nothing to grade: put submissions in {args.workdir / 'submitted'}/<student>/<assignment>/")
        return 0
    for o in sorted(outcomes, key=lambda o: (o.student, o.assignment)):
        score = "-" if o.score is None else f"{o.score:g}/{o.max_score:g}" if o.max_score else f"{o.score:g}"
        notes = "; ".join(filter(None, [o.reason, o.written and f"written answers: {o.written}"]))
        print(f"{o.student:20s} {o.assignment:20s} {score:>10s}  {o.status}{': ' + notes if notes else ''}")
    print(f"grades: {args.workdir / 'grades.csv'}   report: {args.workdir / 'report.csv'}   "
          f"feedback: {args.workdir / 'feedback'}/   gradebook: "
          f"{gradebook_db.shown(options.gradebook(args.workdir.resolve()))}"
          + (f"   shard {options.shard}" if options.shard else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
