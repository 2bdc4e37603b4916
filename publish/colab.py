"""The two cells `make release` puts at the top of every course notebook.

1. A markdown cell with an "Open in Colab" link to the notebook in the public student
   repository. A plain link, no badge image: an image would be fetched from the internet
   whenever the notebook or the course website is shown.
2. A code cell that installs ``dlcourse`` where it is missing (Colab) and does nothing
   where it is importable (``make lab``, a course JupyterHub, the grader's sandbox). It
   installs the wheel from the student repository with pip's default strategy: the
   wheel's requirements are lower bounds, so Colab's torch, numpy and matplotlib stay as
   they are and only what is missing (mnist1d, optuna, ...) is added.
   tests/test_wheel.py runs this very cell, with the URL pointed at a freshly built wheel.
"""
from __future__ import annotations

import nbformat

from .settings import Publication

BADGE_ID = "colab-badge"
INSTALL_ID = "colab-install"
# myst-nb leaves a cell with this tag out of the course website (it is for Colab only).
SITE_HIDDEN_TAG = "remove-cell"

INSTALL_SOURCE = '''\
# On Colab (or any Python without the course package) this installs dlcourse and its data
# from the course's student repository, keeping the torch that is already there.
# Where dlcourse is installed (`make lab`, a course JupyterHub) it does nothing.
import importlib, importlib.util, subprocess, sys
if importlib.util.find_spec("dlcourse") is None:
    DLCOURSE_WHEEL = "{wheel_url}"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "dlcourse @ " + DLCOURSE_WHEEL], check=True)
    importlib.invalidate_caches()'''


def badge_cell(publication: Publication, notebook: str) -> nbformat.NotebookNode:
    """The markdown cell linking ``notebook`` (``NN-topic/name.ipynb``) on Colab."""
    cell = nbformat.v4.new_markdown_cell(f"[Open in Colab]({publication.colab_url(notebook)})"
                                         f" · runs this notebook on Google Colab, GPU included")
    cell.id = BADGE_ID
    return cell


def install_cell(publication: Publication) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(INSTALL_SOURCE.format(wheel_url=publication.wheel_url))
    cell.id = INSTALL_ID
    cell.metadata["tags"] = [SITE_HIDDEN_TAG]
    return cell


def add_colab_cells(nb: nbformat.NotebookNode, publication: Publication,
                    notebook: str) -> nbformat.NotebookNode:
    """Put (or refresh) the badge and install cells at the top of ``nb``; returns ``nb``."""
    nb.cells = [c for c in nb.cells if c.get("id") not in (BADGE_ID, INSTALL_ID)]
    nb.cells[:0] = [badge_cell(publication, notebook), install_cell(publication)]
    return nb
