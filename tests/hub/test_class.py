"""One class on a real JupyterHub, from release to feedback, as real system users.

The steps run in order on one hub (tests/hub/conftest.py): the instructor releases 01
through formgrader's REST API; both students list it, one fetches it from the command line
and the other in JupyterLab's Assignments list (Chromium); student 1 submits blank, then a
renamed notebook (refused), then a solved one; the hub is restarted; the deadline passes and
student 2 submits again, late; the exchange goes missing and unwritable for a while; the
grader collects, grades with ``make grade`` (sandboxed) and releases feedback; each student
fetches feedback with their own score; the grader opens formgrader in its own tab. Along the
way it checks what must not happen: students reading each other's work or feedback, the
solutions, the oracles or the gradebook, releasing or collecting.
"""
from __future__ import annotations

import csv
import datetime
import os
import pwd
import re
import stat
import time
import urllib.error
from pathlib import Path

import nbformat
import pytest

from submissions import blank, max_points, points, solved

ASSIGNMENT = "01-perceptron"
NOTEBOOK = "perceptron.ipynb"
FULL = sum(points(ASSIGNMENT).values())
MAX = max_points(ASSIGNMENT)  # written answers wait for a manual grade: scored 0 until then


def expect(*args, **kwargs):
    from playwright.sync_api import expect as pw_expect

    return pw_expect(*args, **kwargs)


def inbound(klass) -> list[str]:
    return sorted(os.listdir(klass.tmp / "exchange" / "dlcourse" / "inbound"))


def put_notebook(klass, role: str, nb, name: str = NOTEBOOK) -> Path:
    """Write nb into the student's fetched assignment as that student owns it."""
    path = klass.home(role) / ASSIGNMENT / name
    nbformat.write(nb, path)
    user = pwd.getpwnam(klass.users[role])
    os.chown(path, user.pw_uid, user.pw_gid)
    return path


def ok(result, what: str) -> str:
    assert result.returncode == 0, f"{what} failed (rc {result.returncode}):\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def refused(result, message: str) -> str:
    out = result.stdout + result.stderr
    assert result.returncode != 0, f"expected a refusal, but it succeeded:\n{out}"
    assert message in out, f"expected {message!r} in:\n{out}"
    return out


def cannot_read(klass, role: str, path: Path) -> None:
    """The user can neither list nor read path (as that user, with cat/ls)."""
    cmd = "ls" if path.is_dir() else "cat"
    result = klass.run_as(role, cmd, str(path))
    assert result.returncode != 0 and "Permission denied" in result.stderr, \
        f"{klass.users[role]} could {cmd} {path}:\n{result.stdout[:300]}"


def login(page, klass, role: str, then: str = "") -> None:
    """The hub's login page, as that user; then (a path) is where the hub sends them next."""
    page.goto(f"{klass.url}/hub/login" + (f"?next={then}" if then else ""))
    page.fill("input[name=username]", klass.users[role])
    page.fill("input[name=password]", klass.password)
    page.click("#login_submit")


# ---------------------------------------------------------------------------------------
# set-up and roles


def test_setup_made_the_exchange_closed_the_homes_and_the_groups(klass):
    course = klass.tmp / "exchange" / "dlcourse"
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in
             (course.parent, course, course / "outbound", course / "inbound", course / "feedback")}
    assert list(modes.values()) == [0o1777, 0o755, 0o755, 0o2733, 0o711], {str(k): oct(v) for k, v in modes.items()}
    assert course.stat().st_uid == pwd.getpwnam(klass.users["grader"]).pw_uid
    for role in klass.users:
        assert stat.S_IMODE(klass.home(role).stat().st_mode) == 0o700, f"{role}'s home is open"
    groups = {g["name"]: sorted(g["users"]) for g in klass.api("GET", "/groups")}
    assert groups["nbgrader-dlcourse"] == sorted([klass.users["student1"], klass.users["student2"]])
    assert groups["formgrade-dlcourse"] == sorted([klass.users["instructor"], klass.users["grader"]])
    # every account runs the shared user environment (not under a private home)
    for role in ("student1", "grader"):
        ok(klass.run_as(role, f"{klass.env['DLHUB_ENV']}/bin/python", "-c", "import dlcourse, nbgrader"),
           f"{role} importing dlcourse and nbgrader")


def formgrader_api(klass, role: str, path: str, method: str = "GET"):
    base = f"{klass.url}/services/dlcourse/formgrader/api"
    return klass.api(method, path, token=klass.token(role), base=base, data={} if method == "POST" else None)


def test_students_cannot_open_formgrader_release_or_collect(klass):
    for role in ("student1", "outsider"):
        with pytest.raises(urllib.error.HTTPError) as err:
            formgrader_api(klass, role, f"/assignment/{ASSIGNMENT}/release", "POST")
        assert err.value.code == 403, f"{role} got {err.value.code} from formgrader"
    # a student's own "course" with a release folder cannot be pushed into the course's outbound
    fake = klass.home("student1") / "fake"
    ok(klass.run_as("student1", "mkdir", "-p", str(fake / "course" / ASSIGNMENT)), "mkdir")
    ok(klass.run_as("student1", "cp", "/etc/hostname", str(fake / "course" / ASSIGNMENT / "evil.ipynb")), "cp")
    refused(klass.nbgrader("student1", "release_assignment", ASSIGNMENT, f"--CourseDirectory.root={fake}",
                           "--CourseDirectory.release_directory=course"), "You don't own the directory")
    refused(klass.nbgrader("student1", "collect", ASSIGNMENT), "You don't have read permissions")
    assert not (klass.tmp / "exchange" / "dlcourse" / "outbound" / ASSIGNMENT).exists()


def test_instructor_releases_01_through_formgrader(klass):
    answer = formgrader_api(klass, "instructor", f"/assignment/{ASSIGNMENT}/release", "POST")
    assert answer["success"], answer
    released = klass.tmp / "exchange" / "dlcourse" / "outbound" / ASSIGNMENT / NOTEBOOK
    assert released.is_file()
    assert "BEGIN HIDDEN TESTS" not in released.read_text()


# ---------------------------------------------------------------------------------------
# students


def test_both_students_list_01_and_student1_fetches_it(klass):
    for role in ("student1", "student2"):
        out = ok(klass.nbgrader(role, "list"), f"{role} nbgrader list")
        assert f"dlcourse {ASSIGNMENT}" in out
    ok(klass.nbgrader("student1", "fetch_assignment", ASSIGNMENT), "student1 fetch")
    assert (klass.home("student1") / ASSIGNMENT / NOTEBOOK).is_file()


def test_a_user_not_in_the_course_sees_nothing_and_is_told_why(klass):
    out = ok(klass.nbgrader("outsider", "list"), "outsider list")
    assert ASSIGNMENT not in out
    refused(klass.nbgrader("outsider", "fetch_assignment", ASSIGNMENT), "You do not have access to this course.")
    ok(klass.run_as("outsider", "mkdir", "-p", ASSIGNMENT), "mkdir")
    before = inbound(klass)
    refused(klass.nbgrader("outsider", "submit", ASSIGNMENT), "You do not have access to this course.")
    assert inbound(klass) == before


def test_student2_fetches_and_submits_in_jupyterlab(klass, context, artifacts):
    """Hub login page, the Assignments list, Fetch, Submit: in Debian's Chromium."""
    page = context.new_page()
    login(page, klass, "student2")
    page.wait_for_url(re.compile(r"/user/[^/]+/lab"))
    # instructor tools are off for students (the students' Jupyter config, hub/userenv.py)
    disabled = page.evaluate("JSON.parse(document.getElementById('jupyter-config-data')"
                             ".textContent).disabledExtensions")
    assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"} <= set(disabled), disabled
    assert "@jupyter/nbgrader:assignment-list" not in disabled
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).click()
    page.locator("li[data-command='nbgrader:open-assignment-list']").click()
    released = page.locator("#released_assignments_list")
    expect(released.get_by_text(ASSIGNMENT)).to_be_visible()
    page.screenshot(path=str(artifacts / "student-assignments-released.png"))
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list")
    expect(fetched.get_by_text(ASSIGNMENT)).to_be_visible()
    before = inbound(klass)
    fetched.get_by_role("button", name="Submit").click()
    submitted = page.locator("#submitted_assignments_list")
    expect(submitted.get_by_text(ASSIGNMENT).first).to_be_visible()
    page.screenshot(path=str(artifacts / "student-assignment-submitted.png"))
    new = [name for name in inbound(klass) if name not in before]
    assert len(new) == 1 and new[0].startswith(f"{klass.users['student2']}+{ASSIGNMENT}+"), new
    assert (klass.home("student2") / ASSIGNMENT / NOTEBOOK).is_file()


def test_student1_submits_blank_then_a_renamed_notebook_is_refused_then_solved(klass):
    ok(klass.nbgrader("student1", "submit", ASSIGNMENT), "student1 blank submit")
    folder = klass.home("student1") / ASSIGNMENT
    before = inbound(klass)
    (folder / NOTEBOOK).rename(folder / "perceptron-mine.ipynb")
    out = refused(klass.nbgrader("student1", "submit", ASSIGNMENT), "missing notebooks")
    assert "perceptron.ipynb: MISSING" in out and "perceptron-mine.ipynb: EXTRA" in out
    assert inbound(klass) == before, "a refused submission reached the exchange"
    assert (folder / "perceptron-mine.ipynb").is_file(), "the student's file was lost"
    (folder / "perceptron-mine.ipynb").rename(folder / NOTEBOOK)
    put_notebook(klass, "student1", solved(ASSIGNMENT))
    ok(klass.nbgrader("student1", "submit", ASSIGNMENT), "student1 solved submit")
    mine = [n for n in inbound(klass) if n.startswith(klass.users["student1"] + "+")]
    assert len(mine) == 2, mine


def test_a_hub_restart_in_the_middle_loses_nothing(klass):
    before = inbound(klass)
    groups = sorted((g["name"], sorted(g["users"])) for g in klass.api("GET", "/groups"))
    klass.stop()
    assert klass.proxy_pid() is None, "the proxy outlived the hub"
    klass.start()
    assert sorted((g["name"], sorted(g["users"])) for g in klass.api("GET", "/groups")) == groups
    assert inbound(klass) == before
    out = ok(klass.nbgrader("student2", "list"), "student2 list after the restart")  # old token still valid
    assert ASSIGNMENT in out
    out = ok(klass.nbgrader("student1", "list", "--cached"), "student1 list --cached")
    assert out.count(ASSIGNMENT) >= 2


def test_student2_submits_again_after_the_deadline(klass):
    course_dir = Path(klass.env["DLHUB_COURSE_DIR"])
    deadline = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    ok(klass.nbgrader("grader", "db", "assignment", "add", ASSIGNMENT, f"--duedate={deadline}", cwd=course_dir),
       "grader sets the deadline")
    time.sleep(1.5)
    put_notebook(klass, "student2", blank(ASSIGNMENT))
    ok(klass.nbgrader("student2", "submit", ASSIGNMENT), "student2 late submit")


def test_a_missing_or_unwritable_exchange_is_reported_and_loses_nothing(klass):
    exchange = klass.tmp / "exchange"
    before = inbound(klass)
    exchange.rename(klass.tmp / "exchange-away")
    try:
        refused(klass.nbgrader("student2", "submit", ASSIGNMENT), "Unwritable directory, please contact your instructor")
        refused(klass.nbgrader("student2", "list"), "Unwritable directory")
    finally:
        (klass.tmp / "exchange-away").rename(exchange)
    exchange.chmod(0o755)
    try:
        refused(klass.nbgrader("student1", "fetch_assignment", ASSIGNMENT), "Unwritable directory")
        refused(klass.nbgrader("student2", "submit", ASSIGNMENT), "Unwritable directory")
    finally:
        exchange.chmod(0o1777)
    assert inbound(klass) == before
    assert (klass.home("student2") / ASSIGNMENT / NOTEBOOK).is_file()


def test_students_cannot_read_each_other_the_solutions_oracles_or_gradebook(klass):
    exchange = klass.tmp / "exchange" / "dlcourse"
    course_dir = Path(klass.env["DLHUB_COURSE_DIR"])
    cannot_read(klass, "student2", exchange / "inbound")
    cannot_read(klass, "student2", exchange / "feedback")
    cannot_read(klass, "student2", klass.home("student1"))
    cannot_read(klass, "student2", klass.home("student1") / ASSIGNMENT / NOTEBOOK)
    for rel in ("solutions", "autograder", "autograder/oracles", "autograder/gradebook.db",
                "solutions/01-perceptron/perceptron.ipynb"):
        cannot_read(klass, "student1", course_dir / rel)
    # the other's submission cannot be found: its folder name ends in a random part
    result = klass.run_as("student2", "sh", "-c",
                          f"ls -d {exchange}/inbound/{klass.users['student1']}+*")
    assert result.returncode != 0, result.stdout


# ---------------------------------------------------------------------------------------
# grading and feedback


def test_grader_collects_and_grades_with_make_grade(klass, artifacts):
    course_dir = Path(klass.env["DLHUB_COURSE_DIR"])
    ok(klass.nbgrader("grader", "collect", ASSIGNMENT, cwd=course_dir), "grader collect")
    submitted = course_dir / "autograder" / "submitted"
    assert sorted(os.listdir(submitted)) == sorted([klass.users["student1"], klass.users["student2"]])
    latest = nbformat.read(submitted / klass.users["student1"] / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert "NotImplementedError" not in "".join(c.source for c in latest.cells if c.cell_type == "code"
                                                  and c.metadata.get("nbgrader", {}).get("solution")), \
        "collect kept an older submission of student1"
    started = time.monotonic()
    result = klass.run_as("grader", "make", "grade", f"VENV={klass.env['DLHUB_ENV']}",
                          f"ARGS=--assignment {ASSIGNMENT} --exchange-timestamps", cwd=course_dir)
    (artifacts / "make-grade.log").write_text(result.stdout + result.stderr)
    out = ok(result, "make grade")
    assert "WITHOUT a sandbox" not in out
    print(f"make grade took {time.monotonic() - started:.0f} s")
    with open(course_dir / "autograder" / "report.csv") as f:
        report = {row["student"]: row for row in csv.DictReader(f)}
    s1, s2 = report[klass.users["student1"]], report[klass.users["student2"]]
    assert (s1["status"], float(s1["score"]), float(s1["max_score"])) == ("graded", FULL, MAX), s1
    assert (s2["status"], float(s2["score"])) == ("graded", 0.0), s2
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'autograder' / 'gradebook.db'}") as gb:
        assert gb.find_submission(ASSIGNMENT, klass.users["student2"]).total_seconds_late > 0
        assert gb.find_submission(ASSIGNMENT, klass.users["student1"]).total_seconds_late == 0


def test_each_student_fetches_feedback_with_their_own_score(klass):
    course_dir = Path(klass.env["DLHUB_COURSE_DIR"])
    ok(klass.nbgrader("grader", "release_feedback", ASSIGNMENT, cwd=course_dir), "grader release_feedback")
    released = os.listdir(klass.tmp / "exchange" / "dlcourse" / "feedback")
    assert len(released) == 2, released
    for role, score in (("student1", FULL), ("student2", 0.0)):
        ok(klass.nbgrader(role, "fetch_feedback", ASSIGNMENT), f"{role} fetch_feedback")
        pages = list((klass.home(role) / ASSIGNMENT / "feedback").glob(f"*/{NOTEBOOK[:-6]}.html"))
        assert pages, f"{role} got no feedback"
        html = max(pages).read_text()
        found = re.search(r"Score: ([\d.]+) / ([\d.]+)", html)
        assert found and (float(found[1]), float(found[2])) == (score, MAX), (role, found and found[0])
        assert "BEGIN HIDDEN TESTS" not in html
    # released feedback cannot be listed, only fetched by its secret name
    cannot_read(klass, "student2", klass.tmp / "exchange" / "dlcourse" / "feedback")


def test_grader_opens_formgrader_in_its_own_tab(klass, context, artifacts):
    # formgrader gets a tab of its own (top level, never an iframe: JupyterHub >= 4.1 sends
    # frame-ancestors 'none'); the hub's login sends the grader there through OAuth
    tab = context.new_page()
    login(tab, klass, "grader", then="/services/dlcourse/formgrader/")
    tab.wait_for_url(re.compile(r"/services/dlcourse/formgrader"))
    expect(tab.locator("#main-table").get_by_text(ASSIGNMENT)).to_be_visible()
    tab.screenshot(path=str(artifacts / "grader-formgrader-tab.png"))
    tab.goto(f"{klass.url}/services/dlcourse/formgrader/gradebook/{ASSIGNMENT}/{NOTEBOOK[:-6]}")
    # formgrader shows submissions anonymised: one with full marks, one with none
    # (a "/" in a regular expression is escaped: Playwright passes it on as /source/)
    expect(tab.get_by_role("row", name=re.compile(rf"^Submission #\d+ {FULL:g} \/ {MAX:g} "))).to_be_visible()
    expect(tab.get_by_role("row", name=re.compile(rf"^Submission #\d+ 0 \/ {MAX:g} "))).to_be_visible()
    tab.screenshot(path=str(artifacts / "grader-formgrader-submissions.png"))
