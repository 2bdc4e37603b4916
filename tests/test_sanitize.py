"""autograder.sanitize: student HTML made inert; feedback pages stripped of scripts and audited."""
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.sanitize import SanitizeOutputs, clean_feedback, clean_html, safe_bundle, unsafe_parts
from dlcourse.grading import PROBE_MIME

ATTACKS = [
    "<script>window.pwned=1</script>",
    "<img src=x onerror=\"window.pwned=1\">",
    "<a href=\"javascript:window.pwned=1\">x</a>",
    "<a href=\" JaVaScRiPt:window.pwned=1\">x</a>",
    "<img src=\"http://127.0.0.1:9/x.png\">",
    "<img src=\"//example.org/x.png\">",
    "<link rel=stylesheet href=\"https://example.org/x.css\">",
    "<div style=\"background:url(http://example.org/x.png)\">s</div>",
    "<style>@import url(https://example.org/x.css)</style>",
    "<svg onload=\"window.pwned=1\"><script>window.pwned=1</script></svg>",
    "<iframe src=\"https://example.org\"></iframe>",
    "<form action=\"https://example.org\"><button>go</button></form>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://example.org\">",
    "<body onload=\"window.pwned=1\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.pwned=1>",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_auditor_sees_each_attack_and_clean_html_removes_it(attack):
    assert unsafe_parts(attack) != [] or "<math>" in attack
    assert unsafe_parts(clean_html(attack)) == []


def test_clean_html_keeps_harmless_markup():
    html = "<p><b>bold</b> <a href=\"#sec\">anchor</a> <img src=\"data:image/png;base64,iVBORw0KGgo=\"></p>"
    cleaned = clean_html(html)
    assert "<b>bold</b>" in cleaned and 'href="#sec"' in cleaned and "data:image/png;base64" in cleaned


def test_safe_bundle_keeps_inert_types_only():
    bundle = safe_bundle({"text/plain": "p", "image/svg+xml": "<svg/>", "application/javascript": "x()",
                          "application/vnd.jupyter.widget-view+json": {"model_id": "1"},
                          "text/markdown": "**m** <script>x()</script>", "image/png": "iVBORw0KGgo=",
                          PROBE_MIME: {"grade_id": "t", "results": []}})
    assert set(bundle) == {"text/plain", "text/html", "image/png", PROBE_MIME}
    assert "<strong>m</strong>" in bundle["text/html"] and "script" not in bundle["text/html"]


def test_an_image_that_is_not_base64_is_removed_with_a_note():
    bundle = safe_bundle({"image/png": "\"><script>x()</script>"})
    assert bundle == {"text/plain": "[output of type image/png removed by the grader]"}


def test_sanitize_outputs_on_a_notebook_leaves_locked_cells_alone():
    code = new_code_cell("display(...)")
    code.outputs = [new_output("display_data", data={"text/html": ATTACKS[1], "text/plain": "p"}),
                    new_output("execute_result", data={"text/plain": "2.0"}, execution_count=1)]
    student_md = new_markdown_cell("hi <script>x()</script> ![r](http://example.org/r.png)")
    locked_md = new_markdown_cell("# Exercise <b>1</b>", metadata={"nbgrader": {
        "grade": False, "solution": False, "locked": True, "grade_id": "md", "schema_version": 3}})
    nb = new_notebook(cells=[code, student_md, locked_md])
    nb, _ = SanitizeOutputs().preprocess(nb, {})
    assert unsafe_parts(nb.cells[0].outputs[0]["data"]["text/html"]) == []
    assert nb.cells[0].outputs[1]["data"] == {"text/plain": "2.0"}
    assert "script" not in nb.cells[1].source and "http" not in nb.cells[1].source
    assert nb.cells[2].source == "# Exercise <b>1</b>"


def test_clean_feedback_strips_every_script_element():
    page = ("<html><head><script src=\"https://cdn/mathjax.js\"></script><script type=\"text/x-mathjax-config\">"
            "a</script></head><body><p>kept</p><SCRIPT>window.pwned=1</SCRIPT ><script/></body></html>")
    cleaned = clean_feedback(page)
    assert "kept" in cleaned and unsafe_parts(cleaned) == []
