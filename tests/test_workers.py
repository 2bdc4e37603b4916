"""Warm graders (autograder/workers.py): a worker that dies or hangs is replaced, its submission
retried once and then reported with the reason; a grade is never silently dropped.

The fast tests run stand-in workers (the real worker loop, :func:`serve`, with a handler that
dies, hangs or answers as told); the last one kills a real worker while it grades a notebook.
"""
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from autograder import workers
from autograder.grade import Options, Outcome, autograde, grade_all
from roundtrip import read_report
from submissions import ROOT, points, solved, submit, with_answer

A = "01-perceptron"

# A stand-in worker: each job's first argument says what to do; "die-once"/"hang-once" do it
# only in the first worker to see the job (a marker file in the job's folder remembers it).
STAND_IN = """
import os, signal, sys, time
sys.path.insert(0, {root!r})
from autograder.workers import serve

def handler(job):
    what, folder = job["args"][0], job["args"][1]
    first = not os.path.exists(os.path.join(folder, "seen"))
    open(os.path.join(folder, "seen"), "a").close()
    if what == "die" or (what == "die-once" and first):
        os.kill(os.getpid(), signal.SIGKILL)
    if what == "hang" or (what == "hang-once" and first):
        time.sleep(600)
    return {{"returncode": 0, "output": f"graded by {{os.getpid()}}"}}

serve(handler, warm=lambda: None)
"""


@pytest.fixture
def stand_in(tmp_path):
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN.format(root=str(ROOT)))
    return [sys.executable, str(script)]


def test_a_warm_worker_grades_job_after_job_in_one_process(stand_in, tmp_path):
    with workers.WarmPool(1, command=stand_in) as pool:
        answers = []
        for i in range(3):
            (tmp_path / str(i)).mkdir()
            answers.append(pool.nbgrader("ok", str(tmp_path / str(i)), timeout=30).stderr)
        assert len(set(answers)) == 1 and answers[0] == f"graded by {pool.pids()[0]}"


@pytest.mark.parametrize("fault", ["die-once", "hang-once"])
def test_a_worker_that_dies_or_hangs_is_replaced_and_the_submission_retried(stand_in, tmp_path, fault):
    with workers.WarmPool(1, command=stand_in) as pool:
        first = pool.pids()
        result = pool.nbgrader(fault, str(tmp_path), timeout=5)
        assert result.returncode == 0
        assert pool.pids() != first and result.stderr == f"graded by {pool.pids()[0]}"
        assert not any(Path(f"/proc/{pid}").exists() and _alive(pid) for pid in first), "the lost worker lives on"


@pytest.mark.parametrize("fault, reason", [("die", "was killed by signal 9"),
                                           ("hang", "stopped answering (grading the submission took longer than 3 s)")])
def test_a_second_loss_is_reported_with_its_reason(stand_in, tmp_path, fault, reason):
    with workers.WarmPool(1, command=stand_in) as pool:
        with pytest.raises(workers.WorkerLost) as lost:
            pool.nbgrader(fault, str(tmp_path), timeout=3)
        assert str(lost.value).count(reason) == 2 and "retried once" in str(lost.value)
        (tmp_path / "next").mkdir()
        assert pool.nbgrader("ok", str(tmp_path / "next"), timeout=30).returncode == 0, "the pool broke"


def test_make_grade_reports_a_submission_whose_workers_died_as_failed(stand_in, tmp_path):
    outcome = Outcome("s", A)
    (tmp_path / "submitted" / "s" / A).mkdir(parents=True)
    with workers.WarmPool(1, command=stand_in) as pool:
        always_dies = lambda *args, **kw: pool.nbgrader("die", str(tmp_path), timeout=30)  # noqa: E731
        autograde(outcome, tmp_path, Options(progress=False), tmp_path, nbgrader=always_dies)
    assert outcome.status == "failed"
    assert "WorkerLost" in outcome.reason and "was killed by signal 9" in outcome.reason


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _grading_workers() -> list[int]:
    """This test process's warm workers that have started a sandbox (are grading)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and b"autograder.workers" in cmd and _has_sandbox(int(stat.parent.name)):
            found.append(int(stat.parent.name))
    return found


def _has_sandbox(pid: int) -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            if int(fields[1].split()[1]) == pid and "bwrap" in fields[0]:
                return True
        except (OSError, IndexError, ValueError):
            continue
    return False


def test_a_real_worker_killed_mid_submission_is_replaced_and_the_grade_is_kept(tmp_path):
    submit(solved(A), tmp_path, "survivor", A)
    killed = []

    def kill_the_first_worker_that_grades():
        deadline = time.monotonic() + 300
        while not killed and time.monotonic() < deadline:
            for pid in _grading_workers():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.2)

    killer = threading.Thread(target=kill_the_first_worker_that_grades, daemon=True)
    killer.start()
    grade_all(tmp_path, Options(jobs=1, progress=False))
    killer.join()
    assert killed, "no worker was seen grading in a sandbox"
    row = read_report(tmp_path)["survivor"]
    assert row["status"] == "graded" and float(row["score"]) == pytest.approx(sum(points(A).values()))


# Run first in every submission's first answer cell: fails (so the exercise earns nothing) when
# anything an earlier submission's kernel left is visible, then leaves such traces itself.
LEAVE_TRACES = """
import builtins, os
_places = ("left-behind", "/tmp/left-behind", "/dev/shm/left-behind")
_seen = [p for p in _places if os.path.exists(p)]
if _seen or hasattr(builtins, "left_behind") or "LEFT_BEHIND" in os.environ:
    raise RuntimeError(f"an earlier submission's kernel is visible: {_seen}")
for _p in _places:
    try:
        open(_p, "w").close()
    except OSError:
        pass
builtins.left_behind = True
os.environ["LEFT_BEHIND"] = "1"
"""


def test_one_worker_gives_each_submission_a_fresh_kernel(tmp_path):
    for student in ("first", "second"):
        submit(with_answer(solved(A), "threshold_unit", LEAVE_TRACES, prepend=True), tmp_path, student, A)
    grade_all(tmp_path, Options(jobs=1, progress=False))  # one worker grades both, one after the other
    report = read_report(tmp_path)
    for student in ("first", "second"):
        assert report[student]["status"] == "graded"
        assert float(report[student]["score"]) == pytest.approx(sum(points(A).values())), student
