"""Build student submissions for grading tests from the course and solution notebooks.

Each builder returns a notebook (nbformat) as a student could hand it in: solved,
blank, with one exercise wrong, or with an attack placed in an answer cell.
"""
from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


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
    return {gid: float(nbgrader_meta(c)["points"]) for gid, c in test_cells(read("solutions", assignment)).items()}


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
