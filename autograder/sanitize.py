"""Student HTML never runs in the instructor's browser or the student's feedback.

Three layers:

1. :class:`SanitizeOutputs` (an autograde preprocessor, after execution): every output
   of the autograded notebook keeps only inert types, and every markdown or raw cell the
   student wrote becomes clean HTML (locked instructor cells are left alone). ``text/html`` is cleaned by nh3
   (the Ammonia sanitiser): no script, style, iframe, form or event handler, and no URL
   but in-page ``#anchors`` and ``data:image/...`` pictures; ``text/markdown`` is rendered
   and cleaned the same way; PNG/JPEG/GIF must be base64; SVG, JavaScript, widget views
   and any other type are replaced by a note. This is what formgrader shows and what
   feedback is built from.
2. nbconvert's own sanitiser (``HTMLExporter.sanitize_html``, set in nbgrader_config.py),
   where an exporter honours it.
3. :func:`clean_feedback` on each generated feedback file: every ``<script>`` element is
   removed (the template's MathJax and widget scripts too, so math shows as TeX), then
   :func:`unsafe_parts` must find nothing: a script, an event handler, a ``javascript:``
   URL, a remote resource (http/https or protocol-relative ``src``, ``<link href>``, CSS
   ``url()`` or ``@import``), an iframe/object/embed/base/form, or a meta refresh. If it
   finds something, ``make grade`` fails that grade closed and sets the feedback aside.
"""
from __future__ import annotations

import base64
import binascii
import re
from html.parser import HTMLParser

import nh3
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import compute_checksum, is_locked, is_solution

from dlcourse.grading import PROBE_MIME

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
KEPT_TYPES = ("text/plain", "text/html", *IMAGE_TYPES, PROBE_MIME)
TAGS = set(nh3.ALLOWED_TAGS) - {"area", "map"}
ATTRIBUTES = {"*": {"class", "title", "align"}, "a": {"href"}, "img": {"src", "alt", "width", "height"},
              "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"}}
DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*$")


def _only_safe_urls(tag: str, attribute: str, value: str) -> str | None:
    """nh3 attribute filter: links only to in-page anchors, images only as inline data."""
    if attribute == "href":
        return value if value.startswith("#") else None
    if attribute == "src":
        return value if DATA_IMAGE.match(value) else None
    return value


def clean_html(fragment: str) -> str:
    """Student HTML made inert: allowed tags and attributes only, no script, no URL that loads anything."""
    return nh3.clean(fragment, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_only_safe_urls,
                     url_schemes={"data"}, link_rel="noopener noreferrer", strip_comments=True)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(re.sub(r"\s", "", value), validate=True)
        return True
    except (binascii.Error, ValueError):
        return False


def safe_bundle(data: dict) -> dict:
    """A display bundle with only inert representations; a note replaces what was removed."""
    kept, removed = {}, []
    for mime, value in data.items():
        if mime == "text/markdown":
            from nbconvert.filters import markdown2html

            kept["text/html"] = clean_html(markdown2html(_text(value)))
        elif mime == "text/html":
            kept["text/html"] = clean_html(_text(value))
        elif mime in IMAGE_TYPES:
            if isinstance(value, str) and _is_base64(value):
                kept[mime] = value
            else:
                removed.append(mime)
        elif mime in KEPT_TYPES:
            kept[mime] = value if mime == PROBE_MIME else _text(value)
        else:
            removed.append(mime)
    if removed and "text/plain" not in kept:
        kept["text/plain"] = f"[output of type {', '.join(sorted(removed))} removed by the grader]"
    return kept


def safe_markdown(source: str) -> str:
    """A student's markdown cell as clean HTML (which renders the same and stays inert)."""
    from nbconvert.filters import markdown2html

    return clean_html(markdown2html(source))


def _as_released(cell) -> bool:
    """An answer cell the student left as released (its checksum, from the gradebook, matches):
    instructor text, kept as is so that nbgrader still sees it unanswered (0 points, no manual grade)."""
    checksum = cell.get("metadata", {}).get("nbgrader", {}).get("checksum")
    return bool(checksum) and is_solution(cell) and checksum == compute_checksum(cell)


class SanitizeOutputs(NbGraderPreprocessor):
    """Make every output, and every markdown or raw cell the student wrote, of the autograded
    notebook inert (see the module docstring); the instructor's locked cells are left as they are."""

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("display_data", "execute_result"):
                output["data"] = safe_bundle(output.get("data") or {})
                output["metadata"] = {}
        if cell.get("cell_type") in ("markdown", "raw") and not is_locked(cell) and not _as_released(cell):
            cell.pop("attachments", None)  # attachments can carry SVG
            cell.source = safe_markdown(cell.source) if cell.cell_type == "markdown" else clean_html(cell.source)
        return cell, resources


# ---------------------------------------------------------------- the feedback document

SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>|<script\b[^>]*/?>", re.I | re.S)


def clean_feedback(document: str) -> str:
    """The feedback page without any script element (the browser ends a script where this does)."""
    return SCRIPT.sub("", document)


REMOTE = re.compile(r"^\s*(https?:|//|ftp:)", re.I)
SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|livescript)\s*:", re.I)
CSS_REMOTE = re.compile(r"url\(\s*['\"]?\s*(https?:|//)|@import", re.I)
LOADING = {"src", "srcset", "data", "poster", "background", "action", "formaction", "xlink:href", "ping",
           "lowsrc", "dynsrc", "manifest", "codebase", "archive"}
FORBIDDEN_TAGS = {"script", "iframe", "frame", "object", "embed", "base", "form", "applet", "portal"}


class _Auditor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "meta" and any(k == "http-equiv" and (v or "").lower() == "refresh" for k, v in attrs):
            self.problems.append("meta refresh")
        for name, value in attrs:
            value = re.sub(r"[\x00-\x20]", "", value or "")
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if SCRIPT_URL.match(value):
                self.problems.append(f"script URL in {name} of <{tag}>")
            if REMOTE.match(value) and (name in LOADING or (name == "href" and tag != "a")):
                self.problems.append(f"remote resource {value[:80]!r} in {name} of <{tag}>")
            if name == "style" and CSS_REMOTE.search(value):
                self.problems.append(f"remote CSS in the style of <{tag}>")
        self._in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style and CSS_REMOTE.search(data):
            self.problems.append("remote CSS (url() or @import) in a <style> element")


def unsafe_parts(document: str) -> list[str]:
    """What in an HTML page could run code or fetch something remote; empty when it is inert."""
    auditor = _Auditor()
    auditor.feed(document)
    auditor.close()
    return auditor.problems
