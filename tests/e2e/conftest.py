"""Real-browser end-to-end tests: JupyterLab driven by headless Chromium (Playwright).

They are collected only when asked for: ``make e2e``, ``pytest tests/e2e[/...]``, or
``DLCOURSE_E2E=1``; a plain ``make test`` leaves them out. They need Debian's Chromium
(``apt-get install chromium``; ``DLCOURSE_CHROMIUM`` names another binary) and the Python
package ``playwright`` (the test extra); without either, every test here is skipped with
a message saying so. Browsers are never downloaded: no ``playwright install``.

Every wait is on page state (Playwright's auto-waiting and ``expect``), never a sleep,
with a generous limit per wait: ``DLCOURSE_E2E_TIMEOUT`` seconds (default 180).
Screenshots, console logs and the servers' logs go to ``artifacts/e2e/`` (git-ignored).
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from optin import opt_in

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "artifacts" / "e2e"
CHROMIUM = Path(os.environ.get("DLCOURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = int(float(os.environ.get("DLCOURSE_E2E_TIMEOUT", "180")) * 1000)


# ---------------------------------------------------------------------------------------
# collection: only on request, skipped cleanly without a browser


# collected only for its own make target or DLCOURSE_E2E=1 (tests/optin.py)
pytest_ignore_collect = opt_in(HERE, "DLCOURSE_E2E")


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: real-browser end-to-end test (make e2e; needs Chromium)")


def missing_requirements() -> str | None:
    """Why the browser tests cannot run here, or None."""
    problems = []
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        problems.append(f"no Chromium at {CHROMIUM} (Debian: `sudo apt-get install chromium`, "
                        f"or set DLCOURSE_CHROMIUM)")
    if importlib.util.find_spec("playwright") is None:
        problems.append("the Python package playwright is missing (`.venv/bin/pip install -e '.[test]'`)")
    return "; ".join(problems) or None


def pytest_collection_modifyitems(config, items):
    problem = missing_requirements()
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if problem:
                item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {problem}"))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so that the page fixture sees a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# ---------------------------------------------------------------------------------------
# browser


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser(artifacts):
    """Debian's headless Chromium, launched by Playwright (which downloads nothing)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS,
                                      headless=True, timeout=TIMEOUT_MS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, artifacts, request):
    """A page in a fresh browser context; it saves the console log, and a screenshot on failure."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"[{m.type}] {m.text}"))
    page.on("pageerror", lambda e: console.append(f"[pageerror] {e}"))
    page.on("dialog", lambda d: d.accept())  # "leave the page?" when a test opens another notebook
    yield page
    name = request.node.name
    (artifacts / f"{name}.console.log").write_text("\n".join(console))
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        try:
            page.screenshot(path=str(artifacts / f"{name}-FAILED.png"), full_page=True, timeout=30_000)
        except Exception:  # noqa: BLE001 - a screenshot must not hide the real failure
            pass
    context.close()
