"""The course's public student repository: one setting, read from pyproject.toml.

``[tool.dlcourse.publish]`` names the GitHub repository that holds the student
distribution (``make student-dist``'s ``dist/student/``) and its branch. Every URL that
students follow is made here from it: each notebook's "Open in Colab" link and the wheel
that the notebooks' first cell installs on Colab.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
NOTEBOOKS_DIR = "course"  # the notebooks' folder, in this repository and in the student distribution
WHEELS_DIR = "wheels"  # the wheel's folder in the student distribution


@dataclass(frozen=True)
class Publication:
    """Where the student distribution is published."""

    repository: str
    """GitHub ``owner/name`` of the public student repository."""
    branch: str
    """The branch students and Colab read."""
    version: str
    """dlcourse's version, which names its wheel."""

    @property
    def wheel_name(self) -> str:
        return f"dlcourse-{self.version}-py3-none-any.whl"

    @property
    def wheel_url(self) -> str:
        """The wheel as the student repository serves it (raw file, so pip can install it)."""
        return (f"https://raw.githubusercontent.com/{self.repository}/{self.branch}/"
                f"{WHEELS_DIR}/{self.wheel_name}")

    def colab_url(self, notebook: str) -> str:
        """Colab's address of ``notebook`` (a path such as ``01-perceptron/perceptron.ipynb``)."""
        return (f"https://colab.research.google.com/github/{self.repository}/blob/{self.branch}/"
                f"{NOTEBOOKS_DIR}/{notebook}")

    @property
    def repository_url(self) -> str:
        return f"https://github.com/{self.repository}"


def publication(pyproject: Path = PYPROJECT) -> Publication:
    """The ``[tool.dlcourse.publish]`` setting and the package version from ``pyproject``."""
    config = tomllib.loads(pyproject.read_text())
    publish = config["tool"]["dlcourse"]["publish"]
    return Publication(publish["student-repository"], publish["branch"], config["project"]["version"])
