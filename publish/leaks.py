"""Find solution code, hidden tests and oracle source in a folder meant for students.

The secrets are the lines of the bodies between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` and between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``
in solutions/, and the lines of autograder/oracles/*.py. A line counts when it is
non-trivial (at least ``MIN_CHARS`` characters once whitespace is squeezed) and does not
also appear in what students see by design: the public part of solutions/ (outside those
blocks: the exercise text, ``import numpy as np``) and the dlcourse package (idioms such
as ``rng = np.random.default_rng(seed)``; dlcourse itself must hold no solution, DESIGN.md).

:func:`scan` reads every file of a folder, looks inside wheels, zips and tarballs, reads
notebooks cell by cell (their JSON escapes quotes), and reports each secret line it
meets, and any leftover nbgrader marker. HTML pages are read as text without their tags
(a highlighted code line is a line again).
"""
from __future__ import annotations

import html
import io
import json
import re
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = {"solution": ("### BEGIN SOLUTION", "### END SOLUTION"),
          "hidden test": ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")}
MARKERS = [m for pair in BLOCKS.values() for m in pair]
MIN_CHARS = 12


@dataclass(frozen=True)
class Leak:
    """One secret line found in a file meant for students."""

    file: str
    """The file (``archive.whl!member`` inside an archive), relative to the scanned folder."""
    line: str
    """The line as found, whitespace squeezed."""
    origin: str
    """Where the secret comes from: the solutions notebook or oracle and the kind of block."""


def squeeze(line: str) -> str:
    return " ".join(line.split())


def split_blocks(source: str) -> tuple[dict[str, list[str]], list[str]]:
    """Lines inside each kind of secret block, and the lines outside all of them."""
    inside: dict[str, list[str]] = {kind: [] for kind in BLOCKS}
    outside: list[str] = []
    current = None
    for line in source.splitlines():
        mark = line.strip()
        begun = [kind for kind, (begin, _) in BLOCKS.items() if mark == begin]
        if begun:
            current = begun[0]
        elif current and mark == BLOCKS[current][1]:
            current = None
        else:
            (inside[current] if current else outside).append(line)
    return inside, outside


def notebook_texts(raw: str) -> list[str]:
    """Each cell's source and the text of its outputs."""
    texts = []
    for cell in json.loads(raw).get("cells", []):
        texts.append(_joined(cell.get("source", "")))
        for out in cell.get("outputs", []):
            texts.append(_joined(out.get("text", "")))
            texts.extend(_joined(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
            texts.append("\n".join(out.get("traceback", [])))
    return texts


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def secret_lines(root: Path = ROOT) -> dict[str, str]:
    """Every non-trivial secret line (squeezed) and where it comes from."""
    secrets: dict[str, str] = {}
    public: set[str] = set()
    for nb_path in sorted((root / "solutions").glob("*/*.ipynb")):
        rel = nb_path.relative_to(root)
        for text in notebook_texts(nb_path.read_text()):
            inside, outside = split_blocks(text)
            public.update(squeeze(line) for line in outside)
            for kind, lines in inside.items():
                for line in lines:
                    secrets.setdefault(squeeze(line), f"{rel} ({kind})")
    for oracle in sorted((root / "autograder" / "oracles").glob("*.py")):
        for line in oracle.read_text().splitlines():
            secrets.setdefault(squeeze(line), f"{oracle.relative_to(root)} (oracle)")
    for module in sorted((root / "dlcourse").rglob("*.py")):
        public.update(squeeze(line) for line in module.read_text().splitlines())
    return {line: origin for line, origin in secrets.items() if len(line) >= MIN_CHARS and line not in public}


def texts_of(name: str, data: bytes) -> list[tuple[str, str]]:
    """(file name, text) pairs of a file: archives are opened, notebooks read cell by cell."""
    if name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [pair for info in z.infolist() if not info.is_dir()
                    for pair in texts_of(f"{name}!{info.filename}", z.read(info))]
    if name.endswith((".tar.gz", ".tgz", ".tar")):
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            return [pair for m in t.getmembers() if m.isfile()
                    for pair in texts_of(f"{name}!{m.name}", t.extractfile(m).read())]
    text = data.decode("utf-8", errors="replace")
    if name.endswith((".html", ".htm")):
        return [(name, html.unescape(re.sub(r"<[^>]*>", "", text)))]
    if name.endswith(".ipynb"):
        try:
            return [(name, "\n".join(notebook_texts(text)))]
        except json.JSONDecodeError:
            pass  # not a notebook after all: scan it as text
    return [(name, text)]


def scan(folder: Path, secrets: dict[str, str] | None = None) -> list[Leak]:
    """Every secret line and nbgrader marker found in any file under ``folder``."""
    secrets = secret_lines() if secrets is None else secrets
    leaks = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        for name, text in texts_of(str(path.relative_to(folder)), path.read_bytes()):
            for line in text.splitlines():
                key = squeeze(line)
                if key in secrets:
                    leaks.append(Leak(name, key, secrets[key]))
                elif any(marker in line for marker in MARKERS):
                    leaks.append(Leak(name, key, "an nbgrader solution or hidden-test marker"))
    return leaks
