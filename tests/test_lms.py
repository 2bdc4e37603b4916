"""Canvas and Moodle grade-import files (autograder/lms.py) against golden files.

The class is tests/synthetic_class.py's; the roster (tests/golden/roster.csv) knows alice,
bob and carol, adds erin (no submission) and gina (no identifier Canvas or Moodle can use),
and leaves out dave, who is in the gradebook. The golden files follow the formats cited in
autograder/lms.py's docstring: Canvas's Student, ID, SIS User ID, SIS Login ID, Section
columns, one column per assignment and a Points Possible row; Moodle's identifier column
and one column per grade item.
"""
import csv
import os
from pathlib import Path

import pytest

from autograder import lms
from autograder.class_report import read_gradebook
from synthetic_class import build_class

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("DLCOURSE_UPDATE_GOLDEN") == "1"  # rewrite the golden files (then review the diff)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("lms-class")
    build_class(workdir)
    return workdir


def run(workdir, out, *args) -> int:
    return lms.main(["--roster", str(GOLDEN / "roster.csv"), "--workdir", str(workdir), "--out", str(out), *args])


@pytest.mark.parametrize("fmt, args", [("canvas", ["--per-exercise"]), ("moodle", [])])
def test_export_matches_the_golden_files(graded, tmp_path, fmt, args):
    assert run(graded, tmp_path, "--format", fmt, *args) == 0
    for name in (f"{fmt}.csv", f"{fmt}-missing.csv"):
        if UPDATE:
            (GOLDEN / name).write_text((tmp_path / name).read_text())
        assert (tmp_path / name).read_text() == (GOLDEN / name).read_text(), name


def test_canvas_file_has_the_documented_layout(graded, tmp_path):
    run(graded, tmp_path, "--format", "canvas")
    rows = list(csv.reader(open(tmp_path / "canvas.csv")))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "a1", "a2"]
    assert rows[1] == ["Points Possible", "", "", "", "", "5", "4"]
    by_id = {r[1]: r for r in rows[2:]}
    assert by_id["1001"][5:] == ["5", "4"]  # alice: full marks on both
    assert by_id["1002"][5:] == ["3", "0"]
    assert by_id["1003"][5:] == ["3.5", ""]  # carol's a2 was rejected: blank, never 0
    assert set(by_id) == {"1001", "1002", "1003", "1005"}


def test_moodle_identifies_users_by_id_number_on_request(graded, tmp_path):
    run(graded, tmp_path, "--format", "moodle", "--moodle-id", "idnumber")
    rows = list(csv.reader(open(tmp_path / "moodle.csv")))
    assert rows[0] == ["ID number", "a1", "a2"]
    assert [r[0] for r in rows[1:]] == ["S001", "S002", "S003", "S005"]


def test_nobody_is_dropped_silently(graded, tmp_path, capsys):
    """Every student of the gradebook and of the roster is in the export or in the missing file."""
    run(graded, tmp_path, "--format", "canvas")
    printed = capsys.readouterr().out
    exported = {r[3] for r in csv.reader(open(tmp_path / "canvas.csv"))} - {"SIS Login ID", ""}
    missing = list(csv.DictReader(open(tmp_path / "canvas-missing.csv")))
    reported = {r["student_id"] for r in missing}
    everyone = set(read_gradebook(f"sqlite:///{graded / 'gradebook.db'}").students)
    everyone |= set(lms.read_roster(GOLDEN / "roster.csv"))
    assert everyone <= exported | reported
    assert any(r["student_id"] == "dave" and "not in the roster" in r["problem"] for r in missing)
    assert any(r["student_id"] == "carol" and r["assignment"] == "a2" and "not a valid notebook" in r["problem"]
               for r in missing)
    for name in ("dave", "gina", "erin"):
        assert name in printed


@pytest.mark.parametrize("text, problem", [
    ("name,email\nA,a@x\n", "no student_id column"),
    ("student_id,email\nalice,a@x\nalice,b@x\n", "line 3: student_id 'alice' appears twice"),
    ("student_id,email\n,a@x\n", "line 2: empty student_id"),
])
def test_a_bad_roster_is_refused_with_its_line(tmp_path, text, problem, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    with pytest.raises(lms.RosterError, match=problem):
        lms.read_roster(roster)
    assert lms.main(["--roster", str(roster), "--format", "canvas", "--workdir", str(tmp_path)]) == 2
    assert problem.split(":")[-1].strip() in capsys.readouterr().err
