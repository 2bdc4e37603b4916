"""``make release``: regenerate course/ (student notebooks) from solutions/.

``python -m autograder.release [--into DIR] [--db URL]`` writes the release into DIR
(default course/) and records the assignments in the gradebook (default
autograder/gradebook.db); tests use a temporary DIR and database to check that the
committed course/ is exactly what this produces.

After nbgrader, every released notebook gets an "Open in Colab" link and a first cell
that installs dlcourse on Colab (``publish.colab``), so solutions/ stays the only source.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from publish.colab import add_colab_cells
from publish.settings import publication

from .nbgrader_cli import ROOT, assignments, nbgrader


def add_colab_cells_to_release(folder: Path) -> None:
    """Give every notebook of the released assignment ``folder`` its Colab cells."""
    pub = publication()
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        add_colab_cells(nb, pub, f"{folder.name}/{path.name}")
        nbformat.write(nb, path)


def release(into: str | None = None, db: str | None = None, quiet: bool = False,
            names: list[str] | None = None) -> None:
    extra = []
    if into:
        extra.append(f"--CourseDirectory.release_directory={into}")
    if db:
        extra.append(f"--CourseDirectory.db_url={db}")
    target = ROOT / (into or "course")
    for name in names or assignments():
        result = nbgrader("generate_assignment", name, "--create", "--force", *extra)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{result.stdout}{result.stderr}")
        add_colab_cells_to_release(target / name)
        if not quiet:
            print(f"released {name}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", help="release folder (default: course/)")
    parser.add_argument("--db", help="gradebook URL (default: autograder/gradebook.db)")
    parser.add_argument("names", nargs="*", help="assignments to release (default: all)")
    args = parser.parse_args(argv)
    release(args.into, args.db, names=args.names or None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
