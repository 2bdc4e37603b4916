"""The course website in a real browser: Debian's headless Chromium, nothing fetched from outside.

The site (built by publish.site.build, as `make site` does; cached executions make this
quick after tests/test_site.py) is served on 127.0.0.1. Every request the page makes to any
other address is refused and recorded, and the test fails if there was one. On a lecture
page, MathJax must have typeset the formulas (its output elements are present and none is
left as raw TeX with an error) and a figure from the fast-mode run must be shown (an img
with naturalWidth > 0). Screenshots go to artifacts/site/.
"""
from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from publish import site as site_builder

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "site"
LECTURE = "course/01-perceptron/perceptron.html"
TYPESET = """() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0
    && document.querySelectorAll('span.math').length > 0
    && document.querySelectorAll('.MathJax, .MathJax_Display, .MathJax_CHTML').length > 0"""
SHOWN_FIGURES = """() => Array.from(document.querySelectorAll('.cell_output img'))
    .filter(img => img.complete && img.naturalWidth > 0).length"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url():
    html = site_builder.build()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_lecture_page_typesets_formulas_and_shows_figures_offline(page, site_url):
    SHOTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []

    def only_local(route):
        if route.request.url.startswith(site_url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_local)
    page.goto(f"{site_url}/{LECTURE}", wait_until="load")
    page.wait_for_function(TYPESET)
    errors = page.locator(".MathJax_Error, merror").count()
    assert errors == 0, f"{errors} formulas failed to typeset"
    page.locator(".cell_output img").first.scroll_into_view_if_needed()
    page.wait_for_function(SHOWN_FIGURES)
    shown = page.evaluate(SHOWN_FIGURES)
    assert shown > 0
    page.screenshot(path=str(SHOTS / "lecture-figure.png"))
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "lecture-top.png"))
    page.goto(f"{site_url}/index.html", wait_until="load")
    assert page.locator("nav a[href*='course/08-hyperparameters']").count() > 0
    page.screenshot(path=str(SHOTS / "home.png"))
    assert not outside, f"the site tried to reach outside addresses: {outside}"
