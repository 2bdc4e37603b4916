"""What an oracle is, how it is loaded, and how a probe record is judged.

An assignment's oracle module (``autograder/oracles/<assignment>.py`` with ``-``
written as ``_``) defines ``EXERCISES``, a list of :class:`Exercise`. For each graded
test cell (by its nbgrader ``grade_id``) the grader

1. draws fresh inputs with ``exercise.cases(rng)`` (before the notebook runs),
2. lets the hidden probe in the student's kernel record the answers as plain data,
3. calls ``exercise.check(case, answer)`` here, in the grading process, which never
   runs student code: a ``None`` return means the case passed, a string explains the
   failure to the student.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable

import numpy as np

from dlcourse.checks import NotAnArray, as_float_array, mismatch, short_repr  # noqa: F401 (mismatch: for oracles)
from dlcourse.grading import PROBE_MIME, CodecError, decode

ORACLE_DIR = Path(__file__).resolve().parent / "oracles"
MAX_MESSAGES = 3


@dataclass
class Case:
    """Inputs of one call: ``fn(*args, **kwargs)``; ``note`` is shown in feedback."""

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    note: str = ""


@dataclass
class Exercise:
    """One graded test cell.

    Args:
        grade_id: nbgrader id of the test cell.
        check: ``check(case, answer) -> None | str``; for value probes ``case`` is None.
        cases: ``cases(rng) -> list[Case]``; ``None`` for a value probe.
        partial: award points in proportion to passed cases instead of all-or-nothing.
    """

    grade_id: str
    check: Callable[[Case | None, Any], str | None]
    cases: Callable[[np.random.Generator], list[Case]] | None = None
    partial: bool = False


@dataclass
class Verdict:
    passed: int
    total: int
    messages: list[str]

    @property
    def fraction(self) -> float:
        return self.passed / self.total if self.total else 0.0


def oracle_path(assignment: str) -> Path:
    return ORACLE_DIR / f"{assignment.replace('-', '_')}.py"


def load_oracle(assignment: str):
    """The oracle module of ``assignment`` (its file name starts with a digit: loaded by path)."""
    path = oracle_path(assignment)
    if not path.is_file():
        raise FileNotFoundError(f"no oracle for assignment {assignment!r}: expected {path}")
    spec = importlib.util.spec_from_file_location(f"dlcourse_oracle_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_exercises(assignment: str) -> dict[str, Exercise]:
    """The oracle's exercises for ``assignment``, keyed by grade_id."""
    return {ex.grade_id: ex for ex in load_oracle(assignment).EXERCISES}


# ---------------------------------------------------------------- comparison helpers


def as_array(value, name: str = "your result") -> np.ndarray:
    """The answer as a float array, or ``CodecError`` with a message for the student."""
    try:
        return as_float_array(value, name)
    except NotAnArray as e:
        raise CodecError(str(e)) from None


def index_array(value, name: str = "your result") -> np.ndarray:
    """The answer as a 1-D int64 array of whole numbers (indices), or ``CodecError`` saying why not."""
    a = as_array(value, name)
    if a.ndim != 1:
        raise CodecError(f"{name} should be a 1-D array of indices, got shape {a.shape}")
    if a.size and not np.all(a == np.round(a)):
        raise CodecError(f"{name} should hold whole numbers (indices)")
    return a.astype(np.int64)


def unpack(value, n: int, name: str = "your function") -> tuple:
    """Check the answer is a tuple/list of ``n`` items; raise ``CodecError`` otherwise."""
    if not isinstance(value, (tuple, list)) or len(value) != n:
        kind = f"{len(value)} items" if isinstance(value, (tuple, list)) else type(value).__name__
        raise CodecError(f"{name} should return {n} values, got {kind}")
    return tuple(value)


def describe(case: Case) -> str:
    """Short description of a case's inputs for feedback."""
    if case.note:
        return case.note
    parts = [short_repr(a) if isinstance(a, np.ndarray) else repr(a) for a in case.args]
    parts += [f"{k}={v!r}" for k, v in case.kwargs.items()]
    text = ", ".join(parts)
    return text if len(text) <= 200 else text[:197] + "..."


# ---------------------------------------------------------------- questions


def choice(correct: str, explanation: str = "") -> Callable[[None, Any], str | None]:
    """Check of a multiple-choice question (a value probe): the answer is the letter ``correct``.

    The right letter lives only here, in the oracle. A wrong answer gets ``explanation``
    (why the right answer is right) as feedback, never the letter itself.
    """
    def check(_case, got):
        letter = got.strip().lower() if isinstance(got, str) else None
        if letter is None or len(letter) != 1:
            return f"the answer should be one letter, got {short_repr(got) if not isinstance(got, str) else repr(got)[:40]}"
        if letter == correct:
            return None
        return "not the right choice" + (f": {explanation}" if explanation else "")
    return check


def estimate(low: float, high: float, explanation: str = "") -> Callable[[None, Any], str | None]:
    """Check of a "predict before you run" number: right when ``low <= answer <= high``.

    The interval is the oracle's, wide enough for a careful prediction, narrow enough
    that a guess without the reasoning misses it.
    """
    def check(_case, got):
        try:
            value = float(got)
        except (TypeError, ValueError):
            return f"the prediction should be a number, got {type(got).__name__}"
        if not np.isfinite(value):
            return "the prediction should be a finite number"
        if low <= value <= high:
            return None
        return f"a prediction of {value:g} is outside the accepted range" + (f": {explanation}" if explanation else "")
    return check


# ---------------------------------------------------------------- judging a cell


def probe_records(outputs) -> list:
    """The probe payloads found in a cell's outputs (of any shape: judge checks them)."""
    return [o["data"][PROBE_MIME] for o in outputs
            if isinstance(o, dict) and o.get("output_type") in ("display_data", "execute_result")
            and isinstance(o.get("data"), dict) and PROBE_MIME in o["data"]]


def first_error(outputs) -> str | None:
    for o in outputs:
        if o.get("output_type") == "error":
            return f"{o.get('ename', 'Error')}: {o.get('evalue', '')}"[:400]
    return None


def judge(exercise: Exercise, cases: list[Case] | None, outputs) -> Verdict:
    """Compare the answers a cell recorded with the oracle; never trusts the cell's own verdict."""
    total = len(cases) if cases is not None else 1
    records = probe_records(outputs)
    if not records:
        error = first_error(outputs)
        why = (f"the cell stopped before the hidden checks ran: {error}" if error
               else "no answers were recorded (was the test cell changed?)")
        return Verdict(0, total, [why])
    if len(records) > 1:
        return Verdict(0, total, ["answers were recorded more than once: the test cell was tampered with"])
    record = records[0]
    results = record.get("results") if isinstance(record, dict) else None
    if not isinstance(record, dict) or record.get("grade_id") != exercise.grade_id \
            or not isinstance(results, list) or len(results) != total:
        return Verdict(0, total, ["the recorded answers do not match the cases the grader prepared"])
    passed, messages = 0, []
    for i, result in enumerate(results):
        case = cases[i] if cases is not None else None
        try:
            problem = _check_one(exercise, case, result)
        except Exception as e:  # noqa: BLE001 - RecursionError, MemoryError on a forged record: 0 for it
            problem = f"malformed record ({type(e).__name__})"
        if problem is None:
            passed += 1
        elif len(messages) < MAX_MESSAGES:
            where = f" (inputs: {describe(case)})" if case is not None else ""
            messages.append(f"{problem}{where}")
    return Verdict(passed, total, messages)


def _check_one(exercise: Exercise, case: Case | None, result) -> str | None:
    if not isinstance(result, dict):
        return "malformed record"
    if "error" in result:
        error = result["error"]
        return f"your code raised {error[:300]}" if isinstance(error, str) else "malformed record"
    if "value" not in result:
        return "malformed record"
    try:
        answer = decode(result["value"], torch_ok=False)
        return exercise.check(case, answer)
    except CodecError as e:
        return str(e)
    except Exception as e:  # noqa: BLE001 - an odd answer must not crash the grader
        return f"your answer could not be checked ({type(e).__name__}: {e})"[:300]
