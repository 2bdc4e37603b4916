"""Hidden tests never reach the student's kernel, and a last gate checks that none leaked.

The hidden part of a graded test cell is only a probe call::

    ### BEGIN HIDDEN TESTS
    from dlcourse.grading import probe
    probe("test_x", fn)
    ### END HIDDEN TESTS

:class:`HideHiddenTests` runs before execution: it parses that block into a
:class:`ProbeCall` (which exercise, which probe, which name of the student's namespace),
writes the calls to ``probes.json`` beside the cases file, and replaces the block with
one generic line, ``dlcourse.grading.run_hidden("<grade_id>")``, that holds no line of
the hidden block. So the kernel's input history (``In``, ``_ih``, ``%history``), its
linecache and its frames never see a hidden line. :class:`RestoreHiddenTests` puts the
original source back after execution, so nbgrader's checksums and the autograded
notebook are unchanged.

:func:`leaked_lines` is the last gate: ``make grade`` scans the autograded notebook's
outputs and the feedback HTML for hidden lines of the assignment (read from
``solutions/``) that the student did not write themselves, and fails the grade closed
when one appears.
"""
from __future__ import annotations

import ast
import html
import json
import os
import re
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from dlcourse.grading import PROBES_FILE

from .preprocessors import RESOURCE_KEY, graded_test_cells

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
PROBES = ("probe", "probe_value")
RUN_LINE = '__import__("dlcourse.grading").grading.run_hidden({grade_id!r})'
STASH_KEY = "dlcourse_hidden_sources"
SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


class HiddenBlockError(ValueError):
    """A hidden block that is not exactly a probe call: it could not run without being shown."""


@dataclass(frozen=True)
class ProbeCall:
    """``kind(grade_id, target)``: the probe a hidden block makes."""

    grade_id: str
    """The exercise, as nbgrader's grade_id of the test cell."""
    kind: str
    """``probe`` (call the function on the grader's cases) or ``probe_value`` (record a value)."""
    target: str
    """Name, in the student's namespace, of the function or value to probe."""


def split_hidden(source: str) -> tuple[str, str | None, str]:
    """(lines before the hidden block, the block without its markers, lines after); block None if none."""
    lines = source.splitlines(keepends=True)
    begin = next((i for i, ln in enumerate(lines) if BEGIN in ln), None)
    if begin is None:
        return source, None, ""
    end = next((i for i in range(begin + 1, len(lines)) if END in lines[i]), len(lines) - 1)
    return "".join(lines[:begin]), "".join(lines[begin + 1:end]), "".join(lines[end + 1:])


def parse_probe_call(block: str) -> ProbeCall:
    """The probe call of a hidden block; HiddenBlockError for anything else."""
    try:
        tree = ast.parse(block)
    except SyntaxError as e:
        raise HiddenBlockError(f"hidden block is not Python: {e}") from None
    calls = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "dlcourse.grading" \
                and all(a.name in PROBES and a.asname is None for a in node.names):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            calls.append(node.value)
            continue
        raise HiddenBlockError(f"hidden block holds more than a probe call: {ast.dump(node)[:80]}")
    if len(calls) != 1:
        raise HiddenBlockError(f"hidden block must hold exactly one probe call, found {len(calls)}")
    call = calls[0]
    args = call.args
    if not (isinstance(call.func, ast.Name) and call.func.id in PROBES and not call.keywords and len(args) == 2
            and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)
            and isinstance(args[1], ast.Name)):
        raise HiddenBlockError("hidden block must be probe(\"<grade_id>\", <name>) or probe_value(...)")
    return ProbeCall(args[0].value, call.func.id, args[1].id)


def hidden_lines(source: str) -> list[str]:
    """The non-blank lines of a cell's hidden block, stripped."""
    _, block, _ = split_hidden(source)
    return [ln.strip() for ln in (block or "").splitlines() if ln.strip()]


class HideHiddenTests(NbGraderPreprocessor):
    """Replace each graded test cell's hidden block with a generic call before execution.

    Runs after ``InjectCases`` (it writes ``probes.json`` into the cases folder).
    """

    def preprocess(self, nb, resources):
        folder = resources[RESOURCE_KEY]["workdir"]
        stash, calls = {}, {}
        for cell in graded_test_cells(nb):
            before, block, after = split_hidden(cell.source)
            if block is None:
                continue
            call = parse_probe_call(block)
            if BEGIN in after:
                raise HiddenBlockError(f"{cell.metadata.nbgrader.grade_id}: more than one hidden block")
            stash[cell.metadata.nbgrader.grade_id] = cell.source
            calls[call.grade_id] = asdict(call)
            cell.source = before + RUN_LINE.format(grade_id=call.grade_id) + "\n" + after
        path = os.path.join(folder, PROBES_FILE)
        with open(path, "w") as f:
            json.dump(calls, f)
        os.chmod(path, 0o644)
        resources[STASH_KEY] = stash
        return nb, resources


class RestoreHiddenTests(NbGraderPreprocessor):
    """Put back the original source of the cells HideHiddenTests changed (checksums hold)."""

    def preprocess(self, nb, resources):
        stash = resources.pop(STASH_KEY, {})
        for cell in graded_test_cells(nb):
            gid = cell.metadata.nbgrader.grade_id
            if gid in stash:
                cell.source = stash[gid]
        return nb, resources


# ------------------------------------------------------------------ the last gate


def assignment_hidden_lines(assignment: str, solutions: Path = SOLUTIONS) -> set[str]:
    """Every hidden line of an assignment's source notebooks."""
    lines = set()
    for path in sorted((solutions / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            lines.update(hidden_lines(cell.source))
    return lines


def student_text(notebooks: list[Path]) -> str:
    """All the source a student handed in (what they wrote is no secret to them)."""
    parts = []
    for path in notebooks:
        try:
            parts += [c.get("source", "") for c in nbformat.read(path, as_version=4).cells]
        except Exception:  # noqa: BLE001 - an unreadable notebook contributes nothing
            continue
    return "\n".join(parts)


def secret_lines(assignment: str, submitted: list[Path]) -> set[str]:
    """Hidden lines the student could not have known: those not in their own source."""
    known = student_text(submitted)
    return {ln for ln in assignment_hidden_lines(assignment) if ln not in known}


def notebook_output_text(path: Path) -> str:
    """Every output of a notebook as text: streams, data of every type, errors and tracebacks."""
    nb = json.loads(Path(path).read_text())
    parts = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            parts.append(json.dumps(out, ensure_ascii=False))
            parts.append(_join(out.get("text", "")))
            parts += [_join(v) for v in (out.get("data") or {}).values()]
            parts += [str(out.get("evalue", "")), _join(out.get("traceback", []))]
    return "\n".join(parts)


def _join(value) -> str:
    return "".join(map(str, value)) if isinstance(value, list) else str(value)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def html_text(document: str) -> str:
    """The text a browser would show (tags dropped, entities decoded), plus the raw markup."""
    parser = _Text()
    parser.feed(document)
    return "".join(parser.parts) + "\n" + html.unescape(document)


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def leaked_lines(text: str, secrets: set[str]) -> list[str]:
    """The secret lines that appear in ``text`` (ANSI colour codes ignored)."""
    plain = ANSI.sub("", text)
    return sorted(ln for ln in secrets if ln in plain)
