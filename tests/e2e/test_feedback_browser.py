"""Feedback of a hostile submission opened in headless Chromium: nothing runs, nothing is fetched.

A SOLVED 01-perceptron notebook (full marks without any defence) also displays a
``<script>``, an ``<img onerror>``, a ``javascript:`` link, a remote image and style, an SVG
with script, markdown with script and a markdown cell with raw HTML; each payload would set
``window.pwned`` and the page title. The real ``make grade`` driver grades it; the test
opens its feedback page from disk, with every request that is not a ``file:`` or ``data:``
URL recorded and refused, clicks the link, and asserts that no payload ran and no request
left. The graded folder stays in pytest's temporary directory and a screenshot in
``artifacts/e2e/`` as evidence.
"""
from __future__ import annotations

import pytest

from autograder import sandbox
from autograder.grade import Options, grade_all
from roundtrip import read_report
from submissions import html_attack, points, solved, submit

A = "01-perceptron"

pytestmark = pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason="bubblewrap cannot run here")


@pytest.fixture(scope="module")
def feedback_page(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("feedback-html")
    submit(html_attack(solved(A), "fit_logistic"), workdir, "html", A)
    grade_all(workdir, Options(jobs=1, progress=False, cell_timeout=60, notebook_timeout=600))
    row = read_report(workdir)["html"]
    assert row["status"] == "graded" and float(row["score"]) == sum(points(A).values()), row
    return next((workdir / "feedback" / "html" / A).glob("*.html"))


def test_feedback_runs_no_student_script_and_fetches_nothing(page, feedback_page, artifacts):
    requests: list[str] = []

    def refuse_remote(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            requests.append(url)
            route.abort()

    page.context.route("**/*", refuse_remote)
    page.goto(feedback_page.as_uri(), wait_until="load")
    page.get_by_text("click me").first.click()
    page.wait_for_timeout(500)  # give any handler or late load the chance to fire
    page.screenshot(path=str(artifacts / "feedback-html-attack.png"), full_page=False)
    assert page.evaluate("window.pwned") is None
    assert page.title() != "PWNED"
    assert requests == []
    assert page.get_by_text("styled").count() >= 1  # the attack's harmless parts are shown
