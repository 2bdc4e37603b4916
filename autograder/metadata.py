"""Graded cells are described by the gradebook, never by the metadata a student hands in.

:class:`RestoreCellMetadata` runs among the sanitising preprocessors, after nbgrader's
``DeduplicateIds`` and before its ``OverwriteCells``: every cell whose ``grade_id`` the
gradebook knows gets the gradebook's nbgrader metadata and cell type (grade, solution,
task, locked, points, checksum), whatever the submission says; a cell claiming an id the
gradebook does not know becomes an ordinary cell. ``OverwriteCells`` then restores the
locked sources (and, with ``add_missing_cells``, cells that are missing), so a forged
grade_id, points value, checksum, flag or cell type is graded as the real cell, not failed.
"""
from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

SCHEMA_VERSION = 3


def gradebook_metadata(db_url: str, notebook: str, assignment: str) -> dict[str, tuple[str, dict]]:
    """{grade_id: (cell type, nbgrader metadata)} for every cell the gradebook recorded."""
    with Gradebook(db_url) as gb:
        try:
            nb = gb.find_notebook(notebook, assignment)
        except MissingEntry:
            return {}
        grades = {c.name: c.max_score for c in nb.grade_cells}
        solutions = {c.name for c in nb.solution_cells}
        tasks = {c.name: c.max_score for c in nb.task_cells}
        found = {}
        for cell in nb.source_cells:
            meta = {"grade_id": cell.name, "grade": cell.name in grades, "solution": cell.name in solutions,
                    "task": cell.name in tasks, "locked": bool(cell.locked), "schema_version": SCHEMA_VERSION,
                    "checksum": cell.checksum}
            if cell.name in grades or cell.name in tasks:
                meta["points"] = grades.get(cell.name, tasks.get(cell.name))
            found[cell.name] = (cell.cell_type, meta)
        return found


class RestoreCellMetadata(NbGraderPreprocessor):
    """Replace each graded cell's nbgrader metadata and type with the gradebook's."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        known = gradebook_metadata(info["db_url"], info["notebook"], info["assignment"])
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is None:
                continue
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if grade_id not in known:
                del cell.metadata["nbgrader"]
                continue
            cell_type, real = known[grade_id]
            _set_type(cell, cell_type)
            cell.metadata["nbgrader"] = dict(real)
        return nb, resources


def _set_type(cell, cell_type: str) -> None:
    if cell.cell_type == cell_type:
        return
    cell.cell_type = cell_type
    if cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
