"""The class-on-a-hub tests (``make hub-test``): one throw-away class, real system users.

Collected only when asked for (``make hub-test``, ``pytest tests/hub``, or
``DLCOURSE_HUB_TEST=1``): ``make test`` leaves them out. They need root (they create
accounts and switch to them), bubblewrap (``make grade``), hub/node_modules (``npm ci`` in
hub/, which ``make hub-test`` runs), jupyterhub (the ``hub`` extra) and, for the browser
steps, Debian's Chromium with Playwright. Without one of these every test is skipped with
the reason.

The tests in test_class.py are the steps of one cycle, in order, on one hub: each step needs
the ones before it. The teardown removes every account, process and file the class made and
fails the run if anything is left.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest
from optin import opt_in

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ARTIFACTS = ROOT / "artifacts" / "hub"
CHROMIUM = Path(os.environ.get("DLCOURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = int(float(os.environ.get("DLCOURSE_E2E_TIMEOUT", "180")) * 1000)


# collected only for its own make target or DLCOURSE_HUB_TEST=1 (tests/optin.py)
pytest_ignore_collect = opt_in(HERE, "DLCOURSE_HUB_TEST")


def missing_requirements() -> str | None:
    """Why the hub tests cannot run here, or None."""
    problems = []
    if os.geteuid() != 0:
        problems.append("they must run as root (they create system accounts and switch to them)")
    for tool in ("useradd", "userdel", "runuser", "bwrap", "node"):
        if shutil.which(tool) is None:
            problems.append(f"{tool} is missing")
    if not (ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        problems.append("hub/node_modules is missing (`cd hub && npm ci`, as make hub-test does)")
    if importlib.util.find_spec("jupyterhub") is None:
        problems.append("jupyterhub is missing (`.venv/bin/pip install -e '.[test,hub]'`)")
    if not Path("/usr/bin/python3.11").exists():
        problems.append("/usr/bin/python3.11 is missing (the user environment is built from it)")
    return "; ".join(problems) or None


def browser_problem() -> str | None:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (Debian: `apt-get install chromium`)"
    if importlib.util.find_spec("playwright") is None:
        return "the Python package playwright is missing"
    return None


def pytest_collection_modifyitems(config, items):
    problem = missing_requirements()
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents and problem:
            item.add_marker(pytest.mark.skip(reason=f"hub tests skipped: {problem}"))


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.log"):
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="session")
def klass(artifacts):
    """The class: accounts, set-up and a running hub; removed, and checked removed, at the end."""
    from harness import ClassHub

    hub = ClassHub(artifacts)
    try:
        hub.create_accounts()
        result = hub.setup()
        (artifacts / "setup.log").write_text(result.stdout + result.stderr)
        assert result.returncode == 0, f"python -m hub.setup failed:\n{result.stdout}{result.stderr}"
        hub.start()
        yield hub
    finally:
        left = hub.close()
    assert not left, f"the hub test left things behind: {left}"


@pytest.fixture(scope="session")
def browser(artifacts):
    problem = browser_problem()
    if problem:
        pytest.skip(f"browser steps skipped: {problem}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS,
                                      headless=True, timeout=TIMEOUT_MS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile (its own hub login cookies)."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


# ---------------------------------------------------------------------------------------
# the steps of test_class.py form one cycle: after a failed step, the later ones are skipped

_failed_step: list[str] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed and HERE in Path(str(item.fspath)).resolve().parents:
        _failed_step.append(item.name)
    return report


def pytest_runtest_setup(item):
    if _failed_step and HERE in Path(str(item.fspath)).resolve().parents:
        pytest.skip(f"an earlier step of the class cycle failed: {_failed_step[0]}")
