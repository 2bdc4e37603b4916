"""``make lms``: grade-import CSV files for Canvas and Moodle, from the gradebook and a roster.

``python -m autograder.lms --roster ROSTER.csv --format canvas|moodle [--per-exercise]
[--moodle-id email|idnumber] [--workdir DIR] [--db URL] [--out DIR]`` writes
``DIR/exports/<format>.csv`` (default DIR: ``autograder/``) and ``<format>-missing.csv``
beside it.

The roster maps nbgrader's student ids to the LMS's: a CSV with a ``student_id`` column
(nbgrader's id, the folder name under ``submitted/``) and any of ``name`` ("Last, First"),
``canvas_id``, ``sis_user_id``, ``sis_login_id``, ``section``, ``email``, ``idnumber``.
Copy them from the LMS's own gradebook export.

Formats, as their documentation describes the import:

- Canvas: Ohio State's guide to importing a CSV into Canvas grades, "Import CSV File for
  Carmen Grades" (teaching.resources.osu.edu/toolsets/carmencanvas/guides/
  calculating-final-grades/import-csv-file-carmen-grades), which follows Canvas's Instructor
  Guide: the file has the columns of Canvas's own gradebook export, ``Student`` ("Last,
  First"), ``ID`` (Canvas user id), ``SIS User ID``, ``SIS Login ID``, ``Section``, then
  one column per assignment headed with its name; one of Student, ID or SIS User ID
  identifies the student; a column whose name Canvas does not know creates that assignment;
  an uploaded score overwrites the one in Canvas. VCU's notes on the Gradebook export
  (ts.vcu.edu/askit/teaching-and-learning/canvas/faculty/grading-faculty/
  gradebook-action-menu-faculty/) describe that export and its re-upload. The second row,
  ``Points Possible``, is the one Canvas's export writes under the header (the guides above
  show the export but do not spell this row out); it gives each column's points. A blank
  cell is left blank: no grade is invented for a missing submission.
- Moodle, "Grade import" (MoodleDocs, docs.moodle.org/311/en/Grade_import, CSV import):
  a header row, a column that identifies the user, mapped on the import page ("Map from"
  the column to "Map to" ``useremail`` for ``Email address`` or ``useridnumber`` for
  ``ID number``; e-mail addresses are compared case-sensitively), and one column per grade
  item, each mapped to an existing or a new grade item. Moodle takes no points row.

Nobody is dropped without a word: a graded student missing from the roster (no LMS id to
put grades under), a roster student missing from the gradebook (exported with blank
grades), a roster row without the identifier the format needs, and a student without a
grade for an assignment (no submission, or one that ``make grade`` could not grade: its
reason from ``report.csv``) are each printed and listed in ``<format>-missing.csv``.
"""
from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from .class_report import ClassGrades, default_db_url, read_gradebook, read_report_csv
from .grade import DEFAULT_WORKDIR

EXPORT_DIR = "exports"
ROSTER_FIELDS = ("student_id", "name", "canvas_id", "sis_user_id", "sis_login_id", "section", "email", "idnumber")
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_IDENTIFIERS = ("name", "canvas_id", "sis_user_id")  # one of these is enough for Canvas
MOODLE_IDENTIFIERS = {"email": "Email address", "idnumber": "ID number"}
MISSING_COLUMNS = ["student_id", "assignment", "problem"]


class RosterError(ValueError):
    """A roster that cannot be used as it is (the message says which line and why)."""


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """{nbgrader student id: that student's roster fields}; a missing ``student_id`` column, an
    empty or repeated id is an error naming its line."""
    with open(path, newline="", encoding="utf-8-sig") as f:  # a byte-order mark from Excel is fine
        reader = csv.DictReader(f)
        header = [h.strip() for h in reader.fieldnames or []]
        if "student_id" not in header:
            raise RosterError(f"{path}: no student_id column (columns: {', '.join(header) or 'none'}; "
                              f"expected student_id and any of {', '.join(ROSTER_FIELDS[1:])})")
        roster: dict[str, dict[str, str]] = {}
        for line, row in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            sid = row.get("student_id", "")
            if not sid:
                raise RosterError(f"{path}, line {line}: empty student_id")
            if sid in roster:
                raise RosterError(f"{path}, line {line}: student_id {sid!r} appears twice")
            roster[sid] = {k: row.get(k, "") for k in ROSTER_FIELDS}
    return roster


@dataclass
class Column:
    """One grade column: its header, its points, and where its scores come from."""

    header: str
    points: float
    assignment: str
    exercise: str | None = None  # None: the assignment's score


def grade_columns(data: ClassGrades, per_exercise: bool) -> list[Column]:
    columns = []
    for a, points in data.max_scores.items():
        columns.append(Column(a, points, a))
        if per_exercise:
            columns += [Column(f"{a}: {ex}", data.exercise_points[a, ex], a, ex) for ex in data.exercises.get(a, [])]
    return columns


def score_table(data: ClassGrades) -> dict[tuple[str, str, str | None], float]:
    """{(student, assignment, exercise or None): score} of every graded submission."""
    scores: dict[tuple[str, str, str | None], float] = {(s.student, s.assignment, None): s.score
                                                        for s in data.submissions}
    scores.update({(g.student, g.assignment, g.exercise): g.score for g in data.grades})
    return scores


def number(value: float) -> str:
    return f"{round(value, 4):g}"


def missing_reasons(data: ClassGrades, roster: dict, report_rows: list[dict], fmt: str,
                    moodle_id: str) -> tuple[list[list[str]], set[str]]:
    """(rows of <format>-missing.csv, roster ids that cannot be exported) for this roster and gradebook."""
    rows, unexportable = [], set()
    known = set(data.students) | {s.student for s in data.submissions}
    for sid in sorted(known - set(roster)):
        graded = sorted({s.assignment for s in data.submissions if s.student == sid})
        rows.append([sid, "", "in the gradebook but not in the roster: no LMS id, not exported"
                     + (f" (graded: {', '.join(graded)})" if graded else "")])
    for sid, fields in sorted(roster.items()):
        if fmt == "canvas" and not any(fields[k] for k in CANVAS_IDENTIFIERS):
            unexportable.add(sid)
            rows.append([sid, "", f"roster row has none of {', '.join(CANVAS_IDENTIFIERS)}: not exported"])
        elif fmt == "moodle" and not fields[moodle_id]:
            unexportable.add(sid)
            rows.append([sid, "", f"roster row has no {moodle_id}: not exported"])
        elif sid not in known:
            rows.append([sid, "", "in the roster but not in the gradebook: exported with blank grades"])
    status = {(r.get("student"), r.get("assignment")): r for r in report_rows}
    graded = {(s.student, s.assignment) for s in data.submissions}
    for sid in sorted(set(roster) - unexportable):
        for a in data.max_scores:
            if (sid, a) not in graded:
                r = status.get((sid, a))
                why = (f"{r.get('status')}: {r.get('reason', '')}" if r and r.get("status") != "graded"
                       else "no submission in the gradebook")
                rows.append([sid, a, f"no grade ({why}): blank in the export"])
    return rows, unexportable


def canvas_rows(data: ClassGrades, roster: dict, columns: list[Column], skip: set[str]) -> list[list[str]]:
    scores = score_table(data)
    rows = [CANVAS_COLUMNS + [c.header for c in columns],
            ["Points Possible", "", "", "", ""] + [number(c.points) for c in columns]]
    for sid, f in sorted(roster.items()):
        if sid in skip:
            continue
        cells = [scores.get((sid, c.assignment, c.exercise)) for c in columns]
        rows.append([f["name"], f["canvas_id"], f["sis_user_id"], f["sis_login_id"], f["section"]]
                    + ["" if v is None else number(v) for v in cells])
    return rows


def moodle_rows(data: ClassGrades, roster: dict, columns: list[Column], skip: set[str],
                moodle_id: str) -> list[list[str]]:
    scores = score_table(data)
    rows = [[MOODLE_IDENTIFIERS[moodle_id]] + [c.header for c in columns]]
    for sid, f in sorted(roster.items(), key=lambda kv: kv[1][moodle_id]):
        if sid in skip:
            continue
        cells = [scores.get((sid, c.assignment, c.exercise)) for c in columns]
        rows.append([f[moodle_id]] + ["" if v is None else number(v) for v in cells])
    return rows


def export(data: ClassGrades, roster: dict, report_rows: list[dict], fmt: str, per_exercise: bool = False,
           moodle_id: str = "email") -> tuple[list[list[str]], list[list[str]]]:
    """(rows of the import file, rows of the missing-students file) for ``fmt``."""
    if fmt not in ("canvas", "moodle"):
        raise ValueError(f"unknown format {fmt!r}: canvas or moodle")
    if moodle_id not in MOODLE_IDENTIFIERS:
        raise ValueError(f"unknown Moodle identifier {moodle_id!r}: {' or '.join(MOODLE_IDENTIFIERS)}")
    missing, skip = missing_reasons(data, roster, report_rows, fmt, moodle_id)
    columns = grade_columns(data, per_exercise)
    rows = (canvas_rows(data, roster, columns, skip) if fmt == "canvas"
            else moodle_rows(data, roster, columns, skip, moodle_id))
    return rows, [MISSING_COLUMNS] + missing


def write_csv(rows: list[list[str]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write a Canvas or Moodle grade-import CSV from the gradebook.")
    parser.add_argument("--roster", type=Path, required=True,
                        help=f"CSV with student_id and any of {', '.join(ROSTER_FIELDS[1:])}")
    parser.add_argument("--format", choices=("canvas", "moodle"), required=True)
    parser.add_argument("--per-exercise", action="store_true", help="a column per exercise too")
    parser.add_argument("--moodle-id", choices=tuple(MOODLE_IDENTIFIERS), default="email",
                        help="the roster column that identifies a Moodle user (default email)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="make grade's folder (default autograder/)")
    parser.add_argument("--db", help="gradebook URL (default: sqlite:///WORKDIR/gradebook.db)")
    parser.add_argument("--out", type=Path, help=f"output folder (default: WORKDIR/{EXPORT_DIR}/)")
    parser.add_argument("--report-csv", type=Path, action="append",
                        help="make grade's report.csv, for why a grade is missing (default WORKDIR/report.csv); "
                             "repeat for each shard's")
    args = parser.parse_args(argv)
    workdir = args.workdir.resolve()
    try:
        roster = read_roster(args.roster)
    except (OSError, RosterError) as e:
        print(f"make lms: {e}", file=sys.stderr)
        return 2
    data = read_gradebook(args.db or default_db_url(workdir))
    report_rows = [row for path in args.report_csv or [workdir / "report.csv"] for row in read_report_csv(path)]
    rows, missing = export(data, roster, report_rows, args.format, args.per_exercise, args.moodle_id)
    out = args.out or workdir / EXPORT_DIR
    write_csv(rows, out / f"{args.format}.csv")
    write_csv(missing, out / f"{args.format}-missing.csv")
    students = len(rows) - (2 if args.format == "canvas" else 1)
    print(f"{args.format}: {students} students, {len(rows[0]) - (5 if args.format == 'canvas' else 1)} "
          f"grade columns -> {out / (args.format + '.csv')}")
    for sid, assignment, problem in missing[1:]:
        print(f"  {sid}{' ' + assignment if assignment else ''}: {problem}")
    print(f"{len(missing) - 1} problem(s) listed in {out / (args.format + '-missing.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
