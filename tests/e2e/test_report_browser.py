"""The class report (``make report``) opened from disk in headless Chromium.

A small class of 01-perceptron is really graded by the ``make grade`` driver
(tests/small_class.py: solution, blank, known-wrong, malformed; the graded ones late but
the solution's, which has an extension); the report is written and opened as a file, with
every request that is not a ``file:`` URL recorded and refused. Every plot must load
(an ``img`` with a natural width), each table must show its rows, and nothing may be fetched.
A second test does the same with tests/synthetic_class.py's two-assignment class (no grading).
Screenshots: ``artifacts/e2e/class-report.png`` and ``class-report-synthetic.png``.
"""
from __future__ import annotations

import pytest

from autograder import sandbox
from autograder.report import write_report
from synthetic_class import build_class

LOADED_IMAGES = "() => Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length"


def open_report(page, report) -> list[str]:
    """Open the report page from disk; return the requests it tried to make elsewhere."""
    outside: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_files)
    page.goto(report.as_uri(), wait_until="load")
    return outside


def check_plots_and_tables(page, shot) -> None:
    images = page.locator("img").count()
    assert images >= 2
    page.wait_for_function(f"() => ({LOADED_IMAGES})() === {images}")
    for img in page.locator("img").all():
        assert img.is_visible()
    assert page.locator("table.summary tbody tr").count() >= 1
    assert page.locator("table.exercises tbody tr").first.is_visible()
    assert page.locator("table.failures tbody tr").count() >= 1
    page.screenshot(path=str(shot), full_page=True)


@pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason="bubblewrap cannot run here")
def test_report_of_a_graded_class_in_the_browser(page, artifacts, tmp_path):
    from small_class import A, grade_small_class

    handed_in = grade_small_class(tmp_path)
    report = write_report(tmp_path)
    outside = open_report(page, report)
    check_plots_and_tables(page, artifacts / "class-report.png")
    section = page.locator(f"section[id='{A}']")
    assert section.locator("table.ungraded").get_by_text("malformed").is_visible()
    assert section.locator("table.ungraded").get_by_text("not a valid notebook").is_visible()
    late = section.locator("table.late")
    assert late.get_by_text("blank").is_visible() and late.get_by_text("wrong").is_visible()
    assert late.get_by_text("solution").count() == 0  # its extension covers it
    assert section.locator("table.exercises").get_by_text(handed_in["wrong"], exact=True).is_visible()
    assert outside == []


def test_report_of_a_synthetic_class_in_the_browser(page, artifacts, tmp_path):
    build_class(tmp_path)
    report = write_report(tmp_path)
    outside = open_report(page, report)
    check_plots_and_tables(page, artifacts / "class-report-synthetic.png")
    assert page.locator("section").count() == 2
    assert page.get_by_text("your code raised ValueError: <b>bad</b>").first.is_visible()  # shown as text
    assert page.locator("section b").count() == 0  # never as markup
    assert page.locator("section[id='a2'] table.late").get_by_text("alice").is_visible()
    assert outside == []
