"""The course as a student and an instructor see it: JupyterLab in headless Chromium.

Student view: a workspace made by ``python -m dlcourse.workspace``, served by the launcher
behind ``make lab`` (``python -m dlcourse.lab``). The perceptron notebook runs up to its
first exercise without an error; its gate explorer renders and redraws when a slider
moves; nbgrader's Validate button lists the failing exercises of the blank notebook and
passes a solved copy.

Instructor view: ``jupyter lab`` in a course root holding the repository's
nbgrader_config.py (like ``make instructor``); formgrader lists every assignment and a
submission graded by ``make grade``'s driver, with its score.

Run with ``make e2e`` (tests/e2e/conftest.py says what it needs and when it skips).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from autograder.nbgrader_cli import assignments
from publish.colab import INSTALL_ID
from submissions import answer_cells, blank, max_points, points, read, solved, strip_markers, submit, with_answer

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "dlcourse-e2e-token"
SERVER_START_S = 180
VALIDATE_TIMEOUT_MS = 600_000  # Validate runs the whole notebook on a possibly loaded machine

ASSIGNMENT = "01-perceptron"
NOTEBOOK = f"{ASSIGNMENT}/perceptron.ipynb"
SOLVED_COPY = f"{ASSIGNMENT}/perceptron-solved.ipynb"
STUDENT = "e2e-student"
KERNEL_IDLE = re.compile(r"Python 3 \(ipykernel\) \| Idle")
EXECUTED = re.compile(r"^\[\d+\]:$")  # an input prompt once its cell has run ("[*]:" while running)

# JupyterLab settings for the test servers (in a private JUPYTER_CONFIG_DIR, so that a
# developer's own settings never leak in): every cell stays in the DOM, notebooks on disk
# keep their clean state (no autosave), and no news or update notification covers the toolbar.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


def expect(*args, **kwargs):
    """Playwright's expect, imported late: without playwright the conftest skips this module's tests."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


def shot(target, artifacts: Path, name: str) -> None:
    target.screenshot(path=str(artifacts / f"{name}.png"))


def course_cells() -> list:
    return nbformat.read(ROOT / "course" / NOTEBOOK, as_version=4).cells


def heading_index(cells, heading: str) -> int:
    """Index of the markdown cell that starts with ``heading``."""
    return next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith(heading))


# ---------------------------------------------------------------------------------------
# servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def url(base: str, path: str) -> str:
    return f"{base}{path}{'&' if '?' in path else '?'}token={TOKEN}"


def wait_until_serving(proc: subprocess.Popen, base: str, log: Path) -> None:
    """Return once the server answers /api/status; fail if it exits or takes too long."""
    deadline = time.monotonic() + SERVER_START_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url(base, "/api/status"), timeout=30).close()
            return
        except (urllib.error.URLError, OSError) as e:
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab not up after {SERVER_START_S}s:\n{log.read_text()[-3000:]}") from e
            time.sleep(0.5)  # the port is not open yet: there is no page to wait on


def stop(proc: subprocess.Popen) -> None:
    """Stop the server's process group (the server shuts its kernels down on SIGTERM)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@contextmanager
def jupyter_lab(name: str, cmd: list[str], cwd: Path, env: dict, artifacts: Path):
    """Run ``cmd`` (a JupyterLab command) on a free localhost port; yield its base URL.

    Its log goes to ``artifacts/<name>.log``."""
    port = free_port()
    cmd = [*cmd, "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           f"--IdentityProvider.token={TOKEN}"]
    log = artifacts / f"{name}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_serving(proc, base, log)
            yield base
        finally:
            stop(proc)


def server_env(config_dir: Path) -> dict:
    """The environment of a test server: a private Jupyter config folder with LAB_SETTINGS,
    and nothing from the test process that a real JupyterLab would not have (tests/conftest.py's Agg backend would hide every inline figure)."""
    for name, values in LAB_SETTINGS.items():
        path = config_dir / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config_dir), "DLCOURSE_EXCHANGE": "auto",
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    for name in ("MPLBACKEND", "JUPYTER_CONFIG_PATH", "DLCOURSE_CASES", "DLCOURSE_FAST"):
        env.pop(name, None)
    return env


@pytest.fixture(scope="module")
def student_lab(tmp_path_factory, artifacts):
    """`make lab` (fast mode) on a fresh workspace: the course as copied for a student, plus a
    solved copy of the perceptron notebook. Yields the server's base URL."""
    tmp = tmp_path_factory.mktemp("student")
    work = tmp / "work"
    subprocess.run([sys.executable, "-m", "dlcourse.workspace", "course", str(work)], cwd=ROOT, check=True,
                   capture_output=True)
    nbformat.write(solved(ASSIGNMENT), work / SOLVED_COPY)
    # Validate runs with the launcher's own nbgrader config (cell limit, sliced polls: dlcourse.lab).
    env = server_env(tmp / "jupyter")
    env["DLCOURSE_FAST"] = "1"
    with jupyter_lab("student-lab", [sys.executable, "-m", "dlcourse.lab", str(work)], ROOT, env,
                     artifacts) as base:
        yield base


def mirror_course_root(folder: Path) -> Path:
    """A course root with the repository's config, sources and grading code, but its own
    autograder/ run outputs, so the real gradebook and submissions stay untouched.

    Formgrader reads nbgrader_config.py from the server's folder, and that file sets the
    course root to its own folder: a copy puts the gradebook and submitted/ here instead.
    """
    folder.mkdir(parents=True)
    shutil.copy2(ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    for name in ("solutions", "course"):
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    (folder / "autograder").mkdir()
    for entry in (ROOT / "autograder").iterdir():
        if entry.suffix == ".py" or entry.name == "oracles":
            (folder / "autograder" / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return folder


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """A course root with one submission graded by `make grade`'s driver: Exercise 1 right,
    the rest blank. Returns the root and the (score, max score) the grader gave."""
    from autograder.grade import Options, grade_all
    from autograder.sandbox import bwrap_problem

    root = mirror_course_root(tmp_path_factory.mktemp("instructor") / "course-root")
    reference = strip_markers(answer_cells(read("solutions", ASSIGNMENT))["threshold_unit"].source)
    submit(with_answer(blank(ASSIGNMENT), "threshold_unit", reference), root / "autograder", STUDENT, ASSIGNMENT)
    # The submission is the test's own notebook: grade it unsandboxed where bubblewrap is missing.
    outcomes = grade_all(root / "autograder", Options(jobs=1, progress=False, sandbox=bwrap_problem() is None))
    pts = points(ASSIGNMENT)
    expected = (pts["test_threshold_unit"], max_points(ASSIGNMENT))  # written answers count where graded
    assert [(o.student, o.status, o.score, o.max_score) for o in outcomes] == [(STUDENT, "graded", *expected)]
    return root, expected


@pytest.fixture(scope="module")
def instructor_lab(graded_course, tmp_path_factory, artifacts):
    """`make instructor`: plain `jupyter lab` (formgrader on) in the graded course root.
    Yields the base URL and the submission's (score, max score)."""
    root, expected = graded_course
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab"]
    if os.getuid() == 0:
        cmd.append("--allow-root")  # as the Makefile's ROOT_FLAG
    env = server_env(tmp_path_factory.mktemp("instructor-jupyter"))
    with jupyter_lab("instructor-lab", cmd, root, env, artifacts) as base:
        yield base, expected


# ---------------------------------------------------------------------------------------
# page helpers


def wait_until_idle(page) -> None:
    expect(page.locator(".jp-StatusBar-Widget").get_by_text(KERNEL_IDLE)).to_be_visible()


def open_notebook(page, base: str, path: str):
    """Open ``path`` in a fresh JupyterLab workspace; return its cells once all are shown
    and the kernel is idle."""
    page.goto(url(base, f"/lab/tree/{path}?reset"))
    cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    expect(cells).to_have_count(len(course_cells()))
    wait_until_idle(page)
    return cells


def select(cell) -> None:
    cell.locator(".jp-InputPrompt").click()
    expect(cell).to_have_class(re.compile(r"\bjp-mod-selected\b"))


def run_all_above(page, cells, index: int) -> None:
    """Run > Run All Above Selected Cell, with cell ``index`` selected; wait until all ran."""
    select(cells.nth(index))
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item[data-command='notebook:run-all-above']").click()
    for i, cell in enumerate(course_cells()[:index]):
        if cell.cell_type == "code":
            expect(cells.nth(i).locator(".jp-InputPrompt")).to_have_text(EXECUTED)
    wait_until_idle(page)


def run_cell(page, cell) -> None:
    select(cell)
    page.keyboard.press("Shift+Enter")
    expect(cell.locator(".jp-InputPrompt")).to_have_text(EXECUTED)


def assert_no_errors(page) -> None:
    """No error output: JupyterLab shows tracebacks as stderr output."""
    stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    errors = [t for t in stderr.all_inner_texts() if "Traceback" in t or re.search(r"\w+Error\b", t)]
    assert not errors, "error output in the notebook:\n" + "\n---\n".join(t[:1500] for t in errors)


def validate(page):
    """Click nbgrader's Validate; return its results dialog and the message in it once shown."""
    page.locator(".jp-NotebookPanel-toolbar jp-button.validate-button").click()
    dialog = page.locator(".jp-Dialog.nbgrader-ErrorDialog, .jp-Dialog.nbgrader-SuccessDialog")
    expect(dialog).to_be_visible(timeout=VALIDATE_TIMEOUT_MS)
    expect(dialog.locator(".jp-Dialog-header")).to_contain_text("Validation Results")
    return dialog, dialog.locator("#validation-message")


def close(dialog) -> None:
    dialog.locator("button.jp-Dialog-button").click()
    expect(dialog).to_have_count(0)


def open_formgrader(page, base: str):
    """Nbgrader > Formgrader in JupyterLab; return the frame formgrader runs in."""
    page.goto(url(base, "/lab?reset"))
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).click()
    page.locator("#jp-mainmenu-nbgrader li[data-command='nbgrader:open-formgrader']").click()
    iframe = page.locator("#jp-main-dock-panel iframe")
    expect(iframe).to_have_count(1)
    return iframe.content_frame


def table_row(frame, cell_class: str, text: str):
    """The table row whose ``td.<cell_class>`` says ``text``."""
    return frame.locator("tr").filter(has=frame.locator(f"td.{cell_class}", has_text=re.compile(f"^{text}$")))


# ---------------------------------------------------------------------------------------
# student view


def test_student_runs_the_notebook_up_to_exercise_1(student_lab, page, artifacts):
    cells = open_notebook(page, student_lab, NOTEBOOK)
    exercise_1 = heading_index(course_cells(), "### Exercise 1")
    run_all_above(page, cells, exercise_1)
    # the notebook's own code cells (the Colab install cell above them prints nothing here)
    code = [i for i, c in enumerate(course_cells()[:exercise_1]) if c.cell_type == "code" and c.get("id") != INSTALL_ID]
    expect(cells.nth(code[0]).locator(".jp-OutputArea-output")).to_contain_text("fast mode: True")
    expect(cells.nth(code[-1]).locator(".jp-OutputArea-output img")).to_be_visible()  # the step function
    assert_no_errors(page)
    shot(page, artifacts, "student-01-run-up-to-exercise-1")


def test_student_gate_explorer_redraws_when_a_slider_moves(student_lab, page, artifacts):
    nb = course_cells()
    cells = open_notebook(page, student_lab, NOTEBOOK)
    explorer = heading_index(nb, "### Explorer: one unit, one line")
    widget_cell = next(i for i in range(explorer, len(nb)) if "gate_explorer" in nb[i].source)
    # The setup cell, then the explorer's own cells (draw_gate and the widget): no answers needed.
    for i in [heading_index(nb, "## Setup") + 1, *range(explorer + 1, widget_cell + 1)]:
        run_cell(page, cells.nth(i))
    wait_until_idle(page)
    widget = cells.nth(widget_cell).locator(".jupyter-widgets.widget-hbox").first
    figure = widget.locator(".widget-output img")
    expect(widget.locator(".widget-slider")).to_have_count(3)
    expect(figure).to_be_visible()
    expect(figure).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert_no_errors(page)
    shot(widget, artifacts, "student-02-gate-explorer")

    # One step of the bias slider (keyboard, 0.1): the readout and the figure follow.
    slider = widget.locator(".widget-slider").filter(has=page.locator("label", has_text=re.compile(r"^b$")))
    readout = slider.locator(".widget-readout")
    expect(readout).to_have_text(re.compile(r"^[-\u2212]0\.50$"))
    before = figure.get_attribute("src")
    slider.locator(".noUi-handle").press("ArrowRight")
    expect(readout).to_have_text(re.compile(r"^[-\u2212]0\.40$"))
    expect(figure).not_to_have_attribute("src", before)
    expect(figure).to_have_count(1)
    assert_no_errors(page)
    shot(widget, artifacts, "student-03-gate-explorer-after-slider")


def test_student_validate_lists_failures_then_passes_a_solved_copy(student_lab, page, artifacts):
    open_notebook(page, student_lab, NOTEBOOK)
    dialog, message = validate(page)
    expect(message).to_have_class(re.compile(r"\bvalidation-failed\b"))
    # Every exercise of the blank notebook fails; each failing self-check is listed, and so is
    # each written answer left as released (nbgrader scores an unchanged answer cell 0).
    from autograder.written import is_written_answer

    written = sum(1 for c in answer_cells(read("solutions", ASSIGNMENT)).values() if is_written_answer(c))
    assert written == 1
    expect(message.get_by_text("The following cell failed:")).to_have_count(len(points(ASSIGNMENT)) + written)
    expect(message).to_contain_text("NotImplementedError")
    expect(message).to_contain_text("threshold_unit(X_check")
    shot(page, artifacts, "student-04-validate-blank")
    close(dialog)

    open_notebook(page, student_lab, SOLVED_COPY)
    dialog, message = validate(page)
    expect(message).to_have_class(re.compile(r"\bvalidation-success\b"))
    expect(message).to_have_text("Success! Your notebook passes all the tests.")
    shot(page, artifacts, "student-05-validate-solved")
    close(dialog)


# ---------------------------------------------------------------------------------------
# instructor view


def test_formgrader_lists_the_assignments_and_the_graded_submission(instructor_lab, page, artifacts):
    base, (score, max_score) = instructor_lab
    frame = open_formgrader(page, base)
    expect(frame.locator(".breadcrumb li.active")).to_have_text("Assignments")
    for name in assignments():
        expect(table_row(frame, "name", name)).to_have_count(1)
    submissions = table_row(frame, "name", ASSIGNMENT).locator("td.num-submissions")
    expect(submissions).to_have_text("1")
    shot(page, artifacts, "instructor-01-assignments")

    submissions.locator("a").click()
    expect(frame.locator(".breadcrumb li.active")).to_have_text(ASSIGNMENT)
    submission = table_row(frame, "student-id", STUDENT)
    expect(submission.locator("td.status")).to_have_text("graded")
    expect(submission.locator("td.score")).to_have_text(f"{score:g} / {max_score:g}")
    shot(page, artifacts, "instructor-02-graded-submission")
    assert not (ROOT / "autograder" / "submitted" / STUDENT).exists()  # the real autograder/ saw nothing
