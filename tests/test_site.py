"""`make site`: the course website is static, offline, linked, in lecture order, and holds no secret.

The site is built once for this module with publish.site.build (into dist/site/, reusing its
execution cache: a cold build runs the eight notebooks in fast mode). Every HTML page and
stylesheet is read: an asset (script, stylesheet, image, font, frame, CSS url or @import)
with an http(s) or protocol-relative address fails the test, and so does a local link or
asset that points at a missing file. The real-browser check is tests/e2e/test_site_browser.py.
"""
from __future__ import annotations

import re
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from publish import site as site_builder
from publish.leaks import scan
from publish.settings import NOTEBOOKS_DIR

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted(p.relative_to(ROOT / NOTEBOOKS_DIR).with_suffix(".html").as_posix()
                  for p in (ROOT / NOTEBOOKS_DIR).glob("*/*.ipynb"))
ASSET_ATTRS = {"script": ["src"], "link": ["href"], "img": ["src", "srcset"], "source": ["src", "srcset"],
               "iframe": ["src"], "embed": ["src"], "object": ["data"], "video": ["src", "poster"],
               "audio": ["src"], "image": ["href", "xlink:href"], "use": ["href", "xlink:href"]}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)|@import\s+['"]([^'"]+)""")
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)


class Refs(HTMLParser):
    """Assets (tag, address) and links (address) of one HTML page, inline CSS urls included."""

    def __init__(self):
        super().__init__()
        self.assets: list[tuple[str, str]] = []
        self.links: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ASSET_ATTRS.get(tag, []):
            for value in (attrs.get(name) or "").split(","):
                if value.strip():
                    self.assets.append((tag, value.strip().split()[0]))
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if attrs.get("style"):
            self.assets += [("style", m[0] or m[1]) for m in CSS_URL.findall(attrs["style"])]
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.assets += [("style", m[0] or m[1]) for m in CSS_URL.findall(data)]


@pytest.fixture(scope="module")
def site() -> Path:
    started = time.perf_counter()
    html = site_builder.build()
    print(f"site built in {time.perf_counter() - started:.1f} s")
    return html


def refs_of(page: Path) -> Refs:
    parser = Refs()
    parser.feed(page.read_text(errors="replace"))
    return parser


def local_target(page: Path, address: str) -> Path | None:
    """The file a local address points at, or None for remote, data: or same-page addresses."""
    parts = urlsplit(address)
    if parts.scheme or address.startswith(("//", "#")) or not parts.path:
        return None
    target = (page.parent / unquote(parts.path)).resolve()
    return target / "index.html" if target.is_dir() else target


def remote_assets(site: Path) -> list[str]:
    """Every asset of the site's HTML and CSS files with an http(s) or protocol-relative address."""
    remote = []
    for page in sorted(site.rglob("*.html")):
        remote += [f"{page.relative_to(site)}: <{tag}> {a}"
                   for tag, a in refs_of(page).assets if REMOTE.match(a)]
    for css in sorted(site.rglob("*.css")):
        for m in CSS_URL.findall(css.read_text(errors="replace")):
            if REMOTE.match(m[0] or m[1]):
                remote.append(f"{css.relative_to(site)}: url {m[0] or m[1]}")
    return remote


def broken_links(site: Path) -> list[str]:
    broken = []
    for page in pages(site):
        refs = refs_of(page)
        for address in refs.links + [a for _, a in refs.assets]:
            target = local_target(page, address)
            if target is not None and not target.is_file():
                broken.append(f"{page.relative_to(site)} -> {address}")
    return broken


def test_site_loads_nothing_from_the_internet(site):
    remote = remote_assets(site)
    assert not remote, "assets fetched from the internet:\n" + "\n".join(remote[:30])


def pages(site: Path) -> list[Path]:
    """The site's pages (the theme's Jinja macro files in _static/ are templates, not pages)."""
    return [p for p in sorted(site.rglob("*.html")) if p.relative_to(site).parts[0] != "_static"]


def test_site_has_no_broken_internal_link_or_asset(site):
    broken = broken_links(site)
    assert not broken, "broken internal links:\n" + "\n".join(broken[:30])


def test_checks_catch_remote_assets_and_broken_links(tmp_path):
    """The two checks above can fail: a page with a CDN script, a web font and a dead link."""
    (tmp_path / "ok.css").write_text("body { background: url(img.png) }")
    (tmp_path / "web.css").write_text("@import 'https://fonts.example.org/css';\n"
                                      "@font-face { src: url(https://cdn.example.org/f.woff2) }")
    (tmp_path / "index.html").write_text(
        '<html><head><script src="https://cdn.example.org/mathjax.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/x.css"><link rel="stylesheet" href="ok.css">'
        '<style>h1 { background: url("http://example.org/a.png") }</style></head>'
        '<body><img srcset="local.png 1x, https://example.org/b.png 2x"><a href="missing.html#x">x</a>'
        '<a href="https://example.org/">fine: a link, not an asset</a><a href="#top">top</a></body></html>')
    remote = remote_assets(tmp_path)
    for address in ("https://cdn.example.org/mathjax.js", "//fonts.example.org/x.css",
                    "http://example.org/a.png", "https://example.org/b.png",
                    "https://fonts.example.org/css", "https://cdn.example.org/f.woff2"):
        assert any(address in line for line in remote), (address, remote)
    assert len(remote) == 6, remote
    assert sorted(broken_links(tmp_path)) == ["index.html -> local.png", "index.html -> missing.html#x"]


def test_every_lecture_has_a_page_with_formulas_and_figures_in_lecture_order(site):
    home = (site / "index.html").read_text()
    order = [m for m in re.findall(r'href="(course/[^"#]+\.html)"', home)]
    assert list(dict.fromkeys(order)) == [f"{NOTEBOOKS_DIR}/{lec}" for lec in LECTURES], order
    for lecture in LECTURES:
        page = site / NOTEBOOKS_DIR / lecture
        text = page.read_text()
        assert 'class="math' in text, f"{lecture}: no formula"
        figures = [a for tag, a in refs_of(page).assets if tag == "img" and "_images/" in a]
        assert figures, f"{lecture}: no figure from the fast-mode run"
        assert "NotImplementedError" in text, f"{lecture}: the exercises' stubs are missing"


def test_site_holds_no_solution_hidden_test_or_oracle_line(site):
    leaks = scan(site)
    assert not leaks, "\n".join(f"{leak.file}: {leak.line!r} (from {leak.origin})" for leak in leaks[:20])
