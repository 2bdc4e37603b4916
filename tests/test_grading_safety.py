"""Grading a real class: the sandbox holds, bad notebooks score what they earned, batches finish.

One sandboxed batch (the `make grade` driver) grades attack and malformed submissions
of 01-perceptron with short limits; the tests read its report and check that nothing
outside the sandbox changed. A rerun checks that graded, unchanged work is skipped.
"""
import json
import socket
import threading
import time

import nbformat
import pytest

from autograder import sandbox
from autograder.grade import Options, grade_all
from roundtrip import read_report
from submissions import ROOT, answer_cells, blank, nbgrader_meta, points, solved, submit, with_answer

A = "01-perceptron"
LAST_ANSWER, LAST_TEST = "fit_logistic", "test_fit_logistic"

pytestmark = pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason="bubblewrap cannot run here")


def steal_solutions(nb):
    """Every answer cell execs the instructor's reference for that cell, read from solutions/."""
    for gid, cell in answer_cells(nb).items():
        cell.source = (
            "import json\n"
            f"_nb = json.load(open({str(ROOT / 'solutions' / A / 'perceptron.ipynb')!r}))\n"
            "for _c in _nb['cells']:\n"
            f"    if _c['metadata'].get('nbgrader', {{}}).get('grade_id') == {gid!r}:\n"
            "        exec(''.join(_c['source']), globals())\n")
    return nb


def write_outside(workdir):
    targets = [ROOT / "autograder" / "PWNED", ROOT / "dlcourse" / "PWNED", workdir / "gradebook.db",
               workdir / "submitted" / "victim" / A / "perceptron.ipynb", "/tmp/dlcourse-PWNED"]
    return "\n".join(["import os", f"for _p in {[str(t) for t in targets]!r}:", "    try:",
                      "        with open(_p, 'a') as _f: _f.write('pwned')", "    except OSError: pass",
                      "    try: os.remove(_p)", "    except OSError: pass"])


def phone_home(port):
    return (f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3).sendall(b'leak')\n"
            "except OSError:\n    pass\n")


ATTACKS_BEFORE_LAST_ANSWER = {
    "os-exit": "import os\nos._exit(1)\n",
    "hang": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass\n",
    "memory-bomb": "_hog = []\nwhile True:\n    _hog.append(bytearray(2**27))\n",
    "process-bomb": "import subprocess\n_kids = [subprocess.Popen(['sleep', '600']) for _ in range(5000)]\n",
}


class Listener:
    """A TCP server on loopback that records whether anyone connected."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port, self.connections, self.stop = self.sock.getsockname()[1], 0, False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("safety")
    listener = Listener()
    total = sum(points(A).values())
    expected = {}
    submit(blank(A), workdir, "victim", A)
    expected["victim"] = 0.0
    submit(steal_solutions(blank(A)), workdir, "read-secrets", A)
    expected["read-secrets"] = 0.0
    submit(with_answer(blank(A), "threshold_unit", write_outside(workdir), prepend=True), workdir,
           "write-outside", A)
    expected["write-outside"] = 0.0
    submit(with_answer(blank(A), "threshold_unit", phone_home(listener.port), prepend=True), workdir,
           "network", A)
    expected["network"] = 0.0
    for name, attack in ATTACKS_BEFORE_LAST_ANSWER.items():
        submit(with_answer(solved(A), LAST_ANSWER, attack, prepend=True), workdir, name, A)
        expected[name] = total - points(A)[LAST_TEST]
    # malformed submissions
    folder = workdir / "submitted" / "bad-json" / A
    folder.mkdir(parents=True)
    (folder / "perceptron.ipynb").write_text('{"cells": [ this is not json')
    expected["bad-json"] = 0.0
    dup = solved(A)
    i = next(i for i, c in enumerate(dup.cells) if nbgrader_meta(c).get("grade_id") == "test_gate_weights")
    dup.cells.insert(i + 1, nbformat.from_dict(json.loads(json.dumps(dup.cells[i]))))
    submit(dup, workdir, "duplicated-cell", A)
    expected["duplicated-cell"] = total
    retyped = solved(A)
    cell = next(c for c in retyped.cells if nbgrader_meta(c).get("grade_id") == "test_threshold_unit")
    cell.cell_type = "markdown"
    for key in ("outputs", "execution_count"):
        cell.pop(key, None)
    submit(retyped, workdir, "retyped-cell", A)
    expected["retyped-cell"] = total
    gradebook_before = (workdir / "gradebook.db").exists()
    victim_before = (workdir / "submitted" / "victim" / A / "perceptron.ipynb").read_bytes()
    started = time.monotonic()
    options = Options(jobs=2, progress=False, cell_timeout=40, notebook_timeout=600, memory_mb=1536)
    grade_all(workdir, options)
    listener.stop = True
    return dict(workdir=workdir, expected=expected, report=read_report(workdir), listener=listener, options=options,
                victim_before=victim_before, gradebook_before=gradebook_before,
                seconds=time.monotonic() - started)


def test_the_batch_finishes_with_a_row_per_submission(batch):
    assert sorted(batch["report"]) == sorted(batch["expected"])


@pytest.mark.parametrize("student", ["read-secrets", "write-outside", "network", "victim"])
def test_attacks_on_the_grader_earn_nothing(batch, student):
    row = batch["report"][student]
    assert row["status"] == "graded" and float(row["score"]) == 0.0, row


def test_solutions_and_oracles_are_invisible(batch):
    html = next((batch["workdir"] / "autograded" / "read-secrets" / A).glob("*.ipynb")).read_text()
    assert "FileNotFoundError" in html or "No such file" in html


def test_nothing_outside_the_sandbox_changed(batch):
    workdir = batch["workdir"]
    for path in [ROOT / "autograder" / "PWNED", ROOT / "dlcourse" / "PWNED"]:
        assert not path.exists(), f"a submission wrote {path}"
    from pathlib import Path

    assert not Path("/tmp/dlcourse-PWNED").exists()
    assert (workdir / "submitted" / "victim" / A / "perceptron.ipynb").read_bytes() == batch["victim_before"]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{workdir / 'gradebook.db'}") as gb:  # intact and complete
        assert {s.id for s in gb.students} >= {"victim", "write-outside", "network"}


def test_no_network_from_the_sandbox(batch):
    assert batch["listener"].connections == 0


@pytest.mark.parametrize("student", sorted(ATTACKS_BEFORE_LAST_ANSWER))
def test_a_crash_hang_or_bomb_costs_only_its_own_exercise(batch, student):
    row = batch["report"][student]
    assert row["status"] == "graded", row
    assert float(row["score"]) == pytest.approx(batch["expected"][student]), row


def test_a_hang_is_reported_in_feedback_without_hidden_code(batch):
    html = next((batch["workdir"] / "feedback" / "hang" / A).glob("*.html")).read_text()
    assert "CellTimeout" in html or "time limit" in html
    assert "BEGIN HIDDEN TESTS" not in html and "probe(" not in html


def test_malformed_notebook_is_rejected_with_a_reason(batch):
    row = batch["report"]["bad-json"]
    assert row["status"] == "rejected" and "not a valid notebook" in row["reason"]
    assert float(row["score"]) == 0.0


@pytest.mark.parametrize("student", ["duplicated-cell", "retyped-cell"])
def test_tampered_cells_are_restored_and_graded(batch, student):
    row = batch["report"][student]
    assert row["status"] == "graded", row
    assert float(row["score"]) == pytest.approx(batch["expected"][student]), row


def test_rerun_skips_unchanged_work_and_regrades_changed(batch):
    workdir = batch["workdir"]
    autograded = {p.parent.parent.name: p.stat().st_mtime_ns
                  for p in (workdir / "autograded").glob(f"*/{A}/*.ipynb")}
    changed = workdir / "submitted" / "victim" / A / "perceptron.ipynb"
    nb = nbformat.read(changed, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("one more thought"))
    nbformat.write(nb, changed)
    # the same options: the skip digest covers the grading configuration, so other limits regrade
    outcomes = {o.student: o for o in grade_all(workdir, batch["options"])}
    after = {p.parent.parent.name: p.stat().st_mtime_ns for p in (workdir / "autograded").glob(f"*/{A}/*.ipynb")}
    assert after["victim"] != autograded["victim"], "the changed submission was not regraded"
    assert outcomes["victim"].reason == ""
    for student in ("network", "os-exit", "duplicated-cell"):
        assert after[student] == autograded[student], f"unchanged {student} was regraded"
        assert outcomes[student].reason.startswith("unchanged")
        assert outcomes[student].score == pytest.approx(batch["expected"][student])


def test_grading_refuses_without_bubblewrap_unless_told(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="apt-get install bubblewrap"):
        grade_all(tmp_path, Options(progress=False))
    assert grade_all(tmp_path, Options(progress=False, sandbox=False)) == []  # nothing to grade: fine
