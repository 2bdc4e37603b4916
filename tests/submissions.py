"""Build student submissions for grading tests from the course and solution notebooks.

Each builder returns a notebook (nbformat) as a student could hand it in: solved,
blank, with one exercise wrong, or with an attack placed in an answer cell.
"""
from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import nbformat

from autograder.nbgrader_cli import ROOT  # noqa: E402  (the one place for the repository root)


def read(kind: str, assignment: str) -> nbformat.NotebookNode:
    folder = ROOT / kind / assignment
    return nbformat.read(next(folder.glob("*.ipynb")), as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_cells(nb) -> dict:
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if nbgrader_meta(c).get("solution")}


def test_cells(nb) -> dict:
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells
            if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}


def points(assignment: str) -> dict[str, float]:
    """{grade_id: points} of the autograded test cells (what the oracles score)."""
    return {gid: float(nbgrader_meta(c)["points"]) for gid, c in test_cells(read("solutions", assignment)).items()}


def written_points(assignment: str) -> float:
    """Points of the written answers, graded by hand (0 until then; not part of ``points``)."""
    from autograder.written import is_written_answer

    return sum(float(nbgrader_meta(c)["points"]) for c in read("solutions", assignment).cells
               if is_written_answer(c))


def max_points(assignment: str, mode: str | None = None) -> float:
    """max_score in report.csv: the autograded points, plus the written ones where they are graded
    (``mode``, the course setting by default)."""
    from autograder.written import setting

    graded = (mode or setting()) == "graded"
    return sum(points(assignment).values()) + (written_points(assignment) if graded else 0.0)


def strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def solved(assignment: str) -> nbformat.NotebookNode:
    """The student notebook with every answer cell filled in with the reference."""
    nb = read("course", assignment)
    reference = answer_cells(read("solutions", assignment))
    for gid, cell in answer_cells(nb).items():
        cell.source = strip_markers(reference[gid].source)
    return nb


def blank(assignment: str) -> nbformat.NotebookNode:
    return read("course", assignment)


def with_answer(nb, grade_id: str, source: str, prepend: bool = False) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose answer cell ``grade_id`` holds ``source`` (or gets it in front)."""
    nb = copy.deepcopy(nb)
    cell = answer_cells(nb)[grade_id]
    code = textwrap.dedent(source).strip()
    cell.source = f"{code}\n{cell.source}" if prepend else code
    return nb


def without_cell(nb, grade_id: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") != grade_id]
    return nb


def submit(nb, workdir: Path, student: str, assignment: str) -> None:
    folder = workdir / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    name = next((ROOT / "course" / assignment).glob("*.ipynb")).name
    nbformat.write(nb, folder / name)


def plant_links(canary_file, canary_dir, created):
    """A cell that plants links to host paths wherever the kernel can write near its sockets and
    connection file, swaps the connection file and a socket for links, then kills its kernel."""
    return f"""
import glob, json, os
from ipykernel.connect import get_connection_file
run = os.path.dirname(get_connection_file())
sock = os.path.dirname(json.load(open(get_connection_file()))['ip'])
planted = []
for folder in {{run, sock, os.getcwd(), os.path.dirname(run)}}:
    for name, target in (("evil-file", {str(canary_file)!r}), ("evil-dir", {str(canary_dir)!r})):
        try:
            os.symlink(target, os.path.join(folder, name)); planted.append(os.path.join(folder, name))
        except OSError:
            pass
swaps = [(get_connection_file(), {str(created)!r})]
swaps += [(p, {str(canary_file)!r}) for p in glob.glob(sock + '/kernel-*')]
for victim, target in swaps:
    try:
        os.rename(victim, victim + '.old'); os.symlink(target, victim); planted.append(victim)
    except OSError:
        pass
print('planted', planted, flush=True)
os._exit(1)
"""


# Student HTML, markdown and SVG that would run script (each sets window.pwned and the page
# title), load a remote resource or navigate, if the grader let it through.
HTML_ATTACK = """
from IPython.display import HTML, SVG, Markdown, Javascript, display
display(HTML("<script>window.pwned = 'script'; document.title = 'PWNED'</script>"))
display(HTML("<img src='x' onerror=\\"window.pwned='onerror'; document.title='PWNED'\\">"))
display(HTML("<a id='js' href=\\"javascript:window.pwned='link'\\">click me</a>"))
display(HTML("<img src='http://127.0.0.1:9/remote.png'><link rel='stylesheet' href='https://example.org/x.css'>"))
display(HTML("<div style=\\"background:url(http://127.0.0.1:9/bg.png)\\">styled</div>"))
display(SVG("<svg xmlns='http://www.w3.org/2000/svg' onload=\\"window.pwned='svg'\\"><script>window.pwned='svg'</script></svg>"))
display(Markdown("<script>window.pwned='markdown'</script>[md](javascript:window.pwned='mdlink')"))
display(Javascript("window.pwned = 'javascript'"))
"""
MARKDOWN_CELL = ("A note <script>window.pwned='cell'</script><img src=x onerror=\"window.pwned='cell'\">"
                 "![remote](http://127.0.0.1:9/cell.png)")


def html_attack(nb, answer_id: str) -> nbformat.NotebookNode:
    """``nb`` with HTML_ATTACK in front of answer ``answer_id`` and a markdown cell carrying script."""
    nb = with_answer(nb, answer_id, HTML_ATTACK, prepend=True)
    nb.cells.append(nbformat.v4.new_markdown_cell(MARKDOWN_CELL))
    return nb


# An attack on 03's exercise 8: a model whose layers keep their random initial weights (never
# trained) and whose __call__ answers with the XOR rule itself, class 1 where exactly one
# coordinate is above the centre of the square.
XOR_RULE_ATTACK = """
class XorRule(MLP):
    def __call__(self, x):
        x0, x1 = (v.data if isinstance(v, Value) else float(v) for v in x)
        return [Value(1.0 if (x0 - 0.5) * (x1 - 0.5) < 0 else -1.0)]


model = XorRule(2, [4, 1], np.random.default_rng(0))
"""
