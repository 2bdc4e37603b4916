"""nbgrader preprocessors that put the oracle outside the student's process.

``InjectCases`` runs before ``Execute``: it draws this run's random inputs from the
assignment's oracle and hands them to the kernel through a file named by
``DLCOURSE_CASES``. ``OracleVerdict`` runs right after ``Execute``: for every graded
test cell it reads the recorded answers, judges them with the oracle, and replaces
the cell's outputs with the verdict (a message and the points earned), so nothing the
student's kernel printed, raised or faked decides a grade, a warning costs nothing,
and feedback never quotes hidden test code in a traceback.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile

import numpy as np
from nbformat.v4 import new_markdown_cell, new_output
from traitlets import Integer

from dlcourse.env import FAST_ENV
from dlcourse.grading import CASES_ENV, encode
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

from .oracle import Verdict, judge, load_exercises, probe_records

RESOURCE_KEY = "dlcourse_oracle"


def graded_test_cells(nb):
    """Code cells that nbgrader grades automatically (tests, not answers)."""
    return [c for c in nb.cells if c.cell_type == "code" and is_grade(c) and not is_solution(c)]


class InjectCases(NbGraderPreprocessor):
    """Draw this run's inputs from the oracle and expose them to the kernel."""

    seed = Integer(None, allow_none=True,
                   help="Seed for the graders' random cases; None draws a fresh one each run "
                        "(so answers cannot be hard-coded from an earlier run)").tag(config=True)

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        exercises = load_exercises(assignment)
        missing = [c.metadata.nbgrader.grade_id for c in graded_test_cells(nb)
                   if c.metadata.nbgrader.grade_id not in exercises]
        if missing:
            raise ValueError(f"{assignment}: graded cells without an oracle: {missing}")
        seed = self.seed if self.seed is not None else secrets.randbits(63)
        rng = np.random.default_rng(seed)
        cases = {gid: (ex.cases(rng) if ex.cases else None) for gid, ex in exercises.items()}
        workdir = tempfile.mkdtemp(prefix="dlcourse-cases-")
        path = os.path.join(workdir, "cases.json")
        payload = {gid: [{"args": [encode(a) for a in c.args], "kwargs": encode(dict(c.kwargs))}
                         for c in cs]
                   for gid, cs in cases.items() if cs is not None}
        with open(path, "w") as f:
            json.dump(payload, f)
        os.chmod(workdir, 0o755)  # readable by the sandbox's unprivileged user
        os.chmod(path, 0o644)
        os.environ[CASES_ENV] = path
        os.environ[FAST_ENV] = "1"  # grading runs notebooks in fast mode
        resources[RESOURCE_KEY] = {"exercises": exercises, "cases": cases, "workdir": workdir,
                                   "seed": seed, "payload": payload}
        return nb, resources


class OracleVerdict(NbGraderPreprocessor):
    """Judge every graded test cell with the oracle and write the verdict as its output."""

    def preprocess(self, nb, resources):
        state = resources.pop(RESOURCE_KEY)
        try:
            answers = []
            for cell in graded_test_cells(nb):
                gid = cell.metadata.nbgrader.grade_id
                points = float(cell.metadata.nbgrader.points)
                answers.append([gid, probe_records(cell.outputs)])
                verdict = safe_judge(state["exercises"][gid], state["cases"][gid], cell.outputs)
                cell.outputs = verdict_outputs(gid, verdict, points, state["exercises"][gid].partial)
            nb.cells.append(seed_cell(state["seed"], resources["nbgrader"].get("student"),
                                      fingerprint(state["payload"]), fingerprint(answers)))
        finally:
            os.environ.pop(CASES_ENV, None)
            shutil.rmtree(state["workdir"], ignore_errors=True)
        return nb, resources


def safe_judge(exercise, cases, outputs):
    """judge(), and a zero verdict (never a crash) for records it cannot read."""
    try:
        return judge(exercise, cases, outputs)
    except Exception as e:  # noqa: BLE001 - a forged record costs its exercise, never the notebook
        total = len(cases) if cases is not None else 1
        return Verdict(0, total, [f"the recorded answers could not be read ({type(e).__name__})"])


def fingerprint(data) -> str:
    """Short SHA-256 of JSON data (cases, recorded answers), to check that a replay is exact."""
    try:
        text = json.dumps(data, sort_keys=True, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(data)[:1_000_000]
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]


def seed_cell(seed: int, student: str | None, cases: str, answers: str):
    """A last markdown cell naming the seed of this grading run, to replay it, and fingerprints of
    its cases and of the answers recorded, to check that a replay is exact."""
    who = f" --student {student}" if student else ""
    return new_markdown_cell(f"Graded with seed {seed} (replay: `make grade ARGS='--seed {seed}{who}'`); "
                             f"cases {cases}, answers {answers}.")


def verdict_outputs(grade_id: str, verdict, points: float, partial: bool) -> list:
    """Outputs nbgrader scores as intended: an error for zero, a number for the points."""
    if verdict.passed == verdict.total:
        text = f"✔ {grade_id}: all {verdict.total} hidden check(s) passed\n"
        return [new_output("stream", name="stdout", text=text),
                new_output("execute_result", data={"text/plain": repr(points)}, execution_count=None)]
    details = "\n".join(f"  - {m}" for m in verdict.messages)
    summary = f"{grade_id}: {verdict.passed} of {verdict.total} hidden check(s) passed"
    if partial and verdict.passed:
        earned = round(points * verdict.fraction, 2)
        return [new_output("stream", name="stdout", text=f"✘ {summary} (partial credit)\n{details}\n"),
                new_output("execute_result", data={"text/plain": repr(earned)}, execution_count=None)]
    return [new_output("error", ename="HiddenCheckFailed", evalue=summary,
                       traceback=[f"HiddenCheckFailed: {summary}", details])]


class DropMalformedMetadata(NbGraderPreprocessor):
    """Turn cells with broken nbgrader metadata into ordinary cells before nbgrader reads them.

    nbgrader's DeduplicateIds blanks a duplicated graded cell to ``nbgrader: {}``, which its
    own OverwriteCells then fails on (KeyError 'grade_id'); a student may also damage the
    metadata by hand. Dropping such metadata lets OverwriteCells restore the real cell from
    the gradebook, so the submission is graded on what it earned.
    """

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader")
        if meta is not None and not (isinstance(meta, dict) and isinstance(meta.get("grade_id"), str)
                                     and meta["grade_id"]):
            del cell.metadata["nbgrader"]
        return cell, resources
