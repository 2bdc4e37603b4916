"""Issue 13, classes 1-3 and the time limits, through the real `make grade` driver.

One sandboxed batch of 01-perceptron (two jobs, short limits) grades answers that would
score without the defences: a solved notebook that also plants links for the grader to
follow on a kernel restart (class 1), a blank notebook whose cells exec the solutions
through a link in its folder and a student folder that links to another's (class 2), and
a solved notebook graded beside one that forks busy processes and then hangs, which is
graded again alone after its time limit (class 3). Each test checks the report and keeps its evidence.
"""
import os
import stat
import sys
import threading
import time

import pytest

from autograder import cgroup, sandbox
from autograder.collection import grading_digest
from autograder.grade import GradedState, Options, Outcome, find_submissions, grade_all
from autograder.nbgrader_cli import assignments
from roundtrip import read_report
from submissions import ROOT, answer_cells, blank, plant_links, points, solved, submit, with_answer

A = "01-perceptron"
TOTAL = sum(points(A).values())
CELL_TIMEOUT = 20

pytestmark = pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason="bubblewrap cannot run here")


def exec_solutions_from(link_name):
    """Blank answers that exec the instructor's reference, read through a file in the submission."""
    nb = blank(A)
    for gid, cell in answer_cells(nb).items():
        cell.source = ("import json\n"
                       f"for _c in json.load(open({link_name!r}))['cells']:\n"
                       f"    if _c['metadata'].get('nbgrader', {{}}).get('grade_id') == {gid!r}:\n"
                       "        exec(''.join(_c['source']), globals())\n")
    return nb


def fork_bomb(children=32):
    """A light notebook (ungraded cells deleted) whose first answer forks busy processes, each in
    a session of its own (so Linux's per-session autogroups do not share them out), and then
    hangs, ignoring interrupts, until the cell limit has its kernel restarted."""
    nb = blank(A)
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.metadata.get("nbgrader")]
    attack = (f"import os, signal, time\nfor _ in range({children}):\n    if os.fork() == 0:\n"
              "        os.setsid()\n        while True:\n            pass\n"
              "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
              "while True:\n    time.sleep(1)\n")
    return with_answer(nb, "threshold_unit", attack, prepend=True)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("isolation")
    host = tmp_path_factory.mktemp("host")
    host.chmod(0o700)
    canary_file, canary_dir, created = host / "canary.txt", host / "canary-dir", host / "created-by-grader"
    canary_file.write_text("keep me")
    canary_file.chmod(0o600)
    canary_dir.mkdir(mode=0o700)
    # class 3: graded side by side (the first two in name order, two jobs)
    submit(fork_bomb(), workdir, "bomb", A)
    submit(solved(A), workdir, "bystander", A)
    # class 1: solved, but the last answer plants links and kills its kernel
    escape = plant_links(canary_file, canary_dir, created)
    submit(with_answer(solved(A), "fit_logistic", escape, prepend=True), workdir, "escape", A)
    # class 2: answers read through a link; a student folder that links to another's
    submit(exec_solutions_from("reference.json"), workdir, "link-thief", A)
    (workdir / "submitted" / "link-thief" / A / "reference.json").symlink_to(
        next((ROOT / "solutions" / A).glob("*.ipynb")))
    (workdir / "submitted" / "mallory").mkdir()
    (workdir / "submitted" / "mallory" / A).symlink_to(workdir / "submitted" / "bystander" / A)
    started = time.monotonic()
    grade_all(workdir, Options(jobs=2, progress=False, cell_timeout=CELL_TIMEOUT, notebook_timeout=400,
                               memory_mb=1536))
    return dict(workdir=workdir, report=read_report(workdir), canary_file=canary_file, canary_dir=canary_dir,
                created=created, seconds=time.monotonic() - started)


def test_class1_links_planted_in_the_sandbox_change_nothing_outside(batch):
    row = batch["report"]["escape"]
    assert row["status"] == "graded" and float(row["score"]) == TOTAL - points(A)["test_fit_logistic"], row
    assert stat.S_IMODE(batch["canary_file"].stat().st_mode) == 0o600
    assert batch["canary_file"].read_text() == "keep me"
    assert stat.S_IMODE(batch["canary_dir"].stat().st_mode) == 0o700
    assert not batch["created"].exists()


def test_class2_a_link_in_a_submission_is_left_out_and_earns_nothing(batch):
    row = batch["report"]["link-thief"]
    assert row["status"] == "graded" and float(row["score"]) == 0.0, row
    assert "reference.json: a symbolic link" in row["reason"]
    link = batch["workdir"] / "submitted" / "link-thief" / A / "reference.json"
    assert link.is_symlink()  # the evidence is kept


def test_class2_a_student_folder_linked_to_another_is_refused(batch):
    row = batch["report"]["mallory"]
    assert row["status"] == "rejected" and float(row["score"]) == 0.0, row
    assert "symbolic link" in row["reason"], row
    assert float(batch["report"]["bystander"]["score"]) == TOTAL


def test_class3_busy_processes_do_not_cost_a_notebook_beside_them_its_points(batch):
    row = batch["report"]["bystander"]
    assert row["status"] == "graded" and float(row["score"]) == TOTAL, row


def test_a_time_limit_is_retried_alone_and_then_named_in_the_report(batch):
    row = batch["report"]["bomb"]
    assert row["status"] == "graded" and float(row["score"]) == 0.0, row
    assert "reached a time limit (also when graded alone): cell time limit" in row["reason"], row
    key = f"bomb/{A}"
    assert key not in GradedState(batch["workdir"]).digests, "a timed-out grade must not be skipped next run"


def test_a_fifo_and_names_that_are_not_utf8_do_not_stop_the_batch(tmp_path):
    fifo_folder = tmp_path / "submitted" / "fifo" / A
    fifo_folder.mkdir(parents=True)
    fifo = fifo_folder / "perceptron.ipynb"
    os.mkfifo(fifo)
    latin1 = tmp_path / "submitted" / "latin1" / A
    submit(solved(A), tmp_path, "latin1", A)
    (latin1 / os.fsdecode(b"notes-caf\xe9.txt")).write_text("x")
    (tmp_path / "submitted" / os.fsdecode(b"m\xfcller") / A).mkdir(parents=True)
    done = {}

    def grade():  # the assignment filter leaves nothing to run: vetting and the report only
        done["outcomes"] = grade_all(tmp_path, Options(progress=False), assignment="none")

    worker = threading.Thread(target=grade, daemon=True)
    worker.start()
    worker.join(60)
    if worker.is_alive():  # unblock the old grader's open() of the FIFO, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert "outcomes" in done, "the batch hung or crashed on a FIFO or a file name"
    report = read_report(tmp_path)
    assert report["fifo"]["status"] == "rejected" and "perceptron.ipynb: a FIFO" in report["fifo"]["reason"]
    assert any(s.startswith("'m") and "not valid UTF-8" in r["reason"] for s, r in report.items())
    todo, _ = find_submissions(tmp_path, assignments(), tmp_path / "staging")
    latin = next(o for o in todo if o.student == "latin1")
    assert "the name is not valid UTF-8" in latin.reason and (latin.staged / "perceptron.ipynb").is_file()


def test_feedback_and_export_steps_have_time_limits(tmp_path, monkeypatch):
    # nbgrader's Gradebook runs alembic from PATH when it creates the gradebook
    monkeypatch.setenv("PATH", f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}")
    submit(blank(A), tmp_path, "done-before", A)
    options = Options(progress=False)
    options.step_timeout = 8
    # graded before and unchanged (the staged copy holds the same files): only the closing steps run
    digest = grading_digest(tmp_path / "submitted" / "done-before" / A, A, options.fingerprint())
    GradedState(tmp_path).record(Outcome("done-before", A, digest=digest))
    os.mkfifo(tmp_path / "grades.csv")  # nbgrader export blocks opening it for writing
    done = {}
    worker = threading.Thread(target=lambda: done.update(o=grade_all(tmp_path, options)), daemon=True)
    worker.start()
    worker.join(120)
    if worker.is_alive():
        os.close(os.open(tmp_path / "grades.csv", os.O_RDONLY | os.O_NONBLOCK))
    assert "o" in done, "the export step waited without a time limit"
    assert read_report(tmp_path)["done-before"]["status"] == "graded"


def test_where_cgroups_cannot_be_used_make_grade_says_so(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cgroup, "_v2_base", lambda: None)
    monkeypatch.setattr(cgroup, "_v1_bases", lambda: None)
    grade_all(tmp_path, Options(progress=False))
    assert "cgroups cannot be used here" in capsys.readouterr().err
