"""The grading round trip of an assignment, as a test fixture and as a script.

For each assignment: the solution notebook and the solved student notebook must score
full marks, the blank student notebook zero, and the notebook with the known mistake
marked ``round_trip`` in ``tests/known_wrong/<assignment>.py`` exactly that exercise's points less.

Script (for authors of a new notebook): ``python tests/roundtrip.py 02-mlp``
grades those submissions in a temporary folder and prints expected and actual scores.
"""
from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from known_wrong import round_trip_mistake  # noqa: E402
from submissions import blank, points, read, solved, submit, with_answer  # noqa: E402


def known_wrong(assignment: str) -> tuple[str, str, str]:
    """(answer_id, test_id, source) of the round-trip mistake in tests/known_wrong/<assignment>.py."""
    mistake = round_trip_mistake(assignment)
    return mistake.answer_id, mistake.test_id, mistake.source


KINDS = ("solution", "blank", "wrong", "solved")


def build_round_trip(workdir: Path, name: str, kinds=KINDS) -> dict[str, tuple[str, float]]:
    """Submit the round-trip notebooks of ``name``; return {student: (assignment, expected)}.

    solution: the instructor notebook handed in as is (full marks); blank: the student
    notebook untouched (zero); wrong: solved but for the known mistake (loses exactly that
    exercise's points); solved: the student notebook with every answer filled in (full).
    """
    pts = points(name)
    total = sum(pts.values())
    answer_id, test_id, source = known_wrong(name)
    submissions = {
        "solution": lambda: (read("solutions", name), total),
        "blank": lambda: (blank(name), 0.0),
        "wrong": lambda: (with_answer(solved(name), answer_id, source), total - pts[test_id]),
        "solved": lambda: (solved(name), total),
    }
    submissions = {kind: submissions[kind]() for kind in kinds}
    expected = {}
    for kind, (nb, score) in submissions.items():
        submit(nb, workdir, f"{name}-{kind}", name)
        expected[f"{name}-{kind}"] = (name, score)
    return expected


def read_report(workdir: Path) -> dict[str, dict]:
    with open(workdir / "report.csv") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def main(names: list[str]) -> int:
    from autograder.grade import Options, grade_all

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        expected = {}
        for name in names:
            expected.update(build_round_trip(workdir, name))
        grade_all(workdir, Options(jobs=2))
        report = read_report(workdir)
        ok = True
        for student, (_, score) in sorted(expected.items()):
            row = report[student]
            good = row["status"] == "graded" and float(row["score"] or -1) == score
            ok &= good
            print(f"{'ok ' if good else 'BAD'} {student:32s} expected {score:5g}  got {row['score'] or '-':>5}"
                  f"  {row['status']} {row['reason']}")
            if not good:
                fb = next((workdir / "autograded" / student).rglob("*.ipynb"), None)
                print(f"    autograded notebook kept? {fb is not None}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
