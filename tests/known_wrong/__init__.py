"""Known-wrong answers: the mistakes students make, one list per assignment.

``tests/known_wrong/<assignment>.py`` (hyphens as underscores) defines ``MISTAKES``, a
list of :class:`Mistake`, one for every graded exercise of the assignment.
``tests/test_known_wrong.py`` checks each of them directly against the oracle (every one
must lose exactly its exercise's points, with a message that names the mistake); the
sandboxed round trip (``tests/roundtrip.py``) grades the one marked ``round_trip``.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Mistake:
    """One realistic wrong answer to one exercise."""

    answer_id: str
    """grade_id of the answer cell whose whole source the mistake replaces."""

    test_id: str
    """grade_id of the graded test cell that must lose all of its points."""

    source: str
    """The student's answer cell, as they would write it (a ``# BUG:`` comment marks the mistake)."""

    names: tuple[str, ...]
    """Words the grader's message must contain (case-insensitive) so that a student can act on it."""

    oracle_names: tuple[str, ...] = ()
    """Words the oracle's own message must contain (the hidden checks alone, where the visible
    self-check catches the mistake first and speaks for the grader)."""

    also_fails: tuple[str, ...] = ()
    """Test cells of exercises that build on this answer and so lose their points too (say why)."""

    round_trip: bool = False
    """The assignment's mistake for the sandboxed grading round trip (exactly one per assignment)."""


def module_path(assignment: str) -> Path:
    return HERE / f"{assignment.replace('-', '_')}.py"


def mistakes(assignment: str) -> list[Mistake]:
    """The known mistakes of ``assignment`` (its file name starts with a digit: loaded by path)."""
    path = module_path(assignment)
    if not path.is_file():
        raise FileNotFoundError(f"add {path}: a realistic mistake for every exercise of {assignment}")
    spec = importlib.util.spec_from_file_location(f"known_wrong_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.MISTAKES)


def round_trip_mistake(assignment: str) -> Mistake:
    """The one mistake of ``assignment`` that the sandboxed round trip grades."""
    chosen = [m for m in mistakes(assignment) if m.round_trip]
    if len(chosen) != 1:
        raise ValueError(f"{module_path(assignment)}: mark exactly one mistake round_trip=True, "
                         f"found {len(chosen)}")
    return chosen[0]
