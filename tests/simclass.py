"""A simulated class for grading tests and benchmarks: N students, each with a known grade.

:func:`build_class` puts N submissions under ``<workdir>/submitted/`` and returns
``{student: (assignment, expected score)}``. Each student hands in one assignment
(students are spread over ``assignments`` in turn) as one of these kinds, named in the
student id (``s0007-wrong-gate_weights``), so a benchmark can tell them apart:

- ``solution``: the instructor notebook as is (full marks); ``solved``: the student notebook
  with the reference answers (full); ``student``: student-style answers from
  tests/student_answers (full); ``blank``: untouched (zero);
- ``wrong-<answer>``: solved but for one known mistake from tests/known_wrong (loses exactly
  its exercise's points, and those of the exercises it names in ``also_fails``);
- 01-perceptron only, the attacks of tests/test_grading.py and tests/test_grading_safety.py
  that need no sandbox limit to be stopped (a timeout or a bomb would make a benchmark
  measure the limits; writing outside or phoning home would harm a run without the sandbox):
  ``attack-patch``, ``attack-forge``, ``attack-skip``, ``attack-equal``, ``read-secrets``
  (zero), ``warns-and-deleted-test`` (full), ``bad-json`` (rejected: zero).

The same ``(n_students, seed, assignments)`` always builds the same class; every kind
appears once before any appears twice.
"""
from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from known_wrong import mistakes  # noqa: E402
from submissions import ROOT, blank, points, read, solved, submit, with_answer, without_cell  # noqa: E402

ATTACK_ASSIGNMENT = "01-perceptron"  # the attacks are written against its answer cells
REJECTED_KINDS = ("bad-json",)  # never reach nbgrader: report.csv says rejected, score 0


def _attack_builders() -> dict[str, tuple[Callable, float]]:
    """{kind: (build notebook, expected score)} for 01-perceptron, from the attack tests' own code."""
    from test_grading import ALWAYS_EQUAL, FORGE_RECORDS, PATCH_COMPARISONS, SKIP_TESTS
    from test_grading_safety import steal_solutions

    a, first = ATTACK_ASSIGNMENT, "threshold_unit"
    total = sum(points(a).values())

    def warns_and_deleted_test():
        warns = with_answer(solved(a), first, "import warnings\nwarnings.warn('a harmless warning')",
                            prepend=True)
        return without_cell(warns, "test_gate_weights")

    return {
        "attack-patch": (lambda: with_answer(blank(a), first, PATCH_COMPARISONS, prepend=True), 0.0),
        "attack-forge": (lambda: with_answer(blank(a), first, FORGE_RECORDS, prepend=True), 0.0),
        "attack-skip": (lambda: with_answer(blank(a), first, SKIP_TESTS, prepend=True), 0.0),
        "attack-equal": (lambda: with_answer(blank(a), first, ALWAYS_EQUAL), 0.0),
        "read-secrets": (lambda: steal_solutions(blank(a)), 0.0),
        "warns-and-deleted-test": (warns_and_deleted_test, total),
        "bad-json": (None, 0.0),
    }


def kinds_of(assignment: str) -> dict[str, tuple[Callable | None, float]]:
    """Every kind of submission of ``assignment``: {kind: (build notebook, expected score)}.

    A builder of None marks a submission that is not a notebook at all (``bad-json``)."""
    from test_student_path import answered

    pts = points(assignment)
    total = sum(pts.values())
    kinds = {
        "solution": (lambda: read("solutions", assignment), total),
        "solved": (lambda: solved(assignment), total),
        "student": (lambda: answered(assignment), total),
        "blank": (lambda: blank(assignment), 0.0),
    }
    for m in mistakes(assignment):
        lost = pts[m.test_id] + sum(pts[t] for t in m.also_fails)
        kinds[f"wrong-{m.answer_id}"] = (
            lambda m=m: with_answer(solved(assignment), m.answer_id, m.source), total - lost)
    if assignment == ATTACK_ASSIGNMENT:
        kinds.update(_attack_builders())
    return kinds


def _order(kinds: list[str], n: int, rng: random.Random) -> list[str]:
    """n kinds: each kind once (shuffled), then drawn at random."""
    first = rng.sample(kinds, len(kinds))
    return (first + [rng.choice(kinds) for _ in range(max(0, n - len(kinds)))])[:n]


def _submit_malformed(workdir: Path, student: str, assignment: str) -> None:
    folder = workdir / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    name = next((ROOT / "course" / assignment).glob("*.ipynb")).name
    (folder / name).write_text('{"cells": [ this is not json')


def build_class(workdir: Path, n_students: int, seed: int = 0,
                assignments: Iterable[str] = ("01-perceptron",)) -> dict[str, tuple[str, float]]:
    """Submit ``n_students`` submissions under ``workdir/submitted``; return {student: (assignment, score)}.

    Student i hands in ``assignments[i % len(assignments)]``; each notebook is built once per
    kind and written for every student of that kind."""
    workdir, names = Path(workdir), list(assignments)
    if n_students < 0 or not names:
        raise ValueError("build_class needs n_students >= 0 and at least one assignment")
    rng = random.Random(seed)
    per_assignment = {name: [i for i in range(n_students) if i % len(names) == names.index(name)]
                      for name in names}
    built: dict[tuple[str, str], object] = {}
    expected = {}
    for name, students in per_assignment.items():
        kinds = kinds_of(name)
        for i, kind in zip(students, _order(sorted(kinds), len(students), rng)):
            build, score = kinds[kind]
            student = f"s{i:04d}-{kind}"[:64]
            if build is None:
                _submit_malformed(workdir, student, name)
            else:
                if (name, kind) not in built:
                    built[name, kind] = build()
                submit(built[name, kind], workdir, student, name)
            expected[student] = (name, float(score))
    return expected
