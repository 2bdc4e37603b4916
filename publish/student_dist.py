"""``make student-dist``: what an instructor hands to students or pushes to the public student repository.

``python -m publish.student_dist [--out DIR]`` writes (default ``dist/``):

- ``student/``: ``course/`` (the released notebooks), ``wheels/`` (the dlcourse wheel,
  datasets inside), a student ``README.md`` with the two commands, a ``Makefile`` whose
  ``make lab`` runs them, and a ``.gitignore`` for the student's ``work/`` and ``.venv/``;
- ``dlcourse-student.tar.gz``: the same folder as one file.

Nothing from solutions/, autograder/ or tests/ is copied. The build ends with
``publish.leaks.scan`` over everything it wrote and fails when a secret line is found.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .leaks import scan
from .settings import NOTEBOOKS_DIR, ROOT, WHEELS_DIR, publication

DIST = ROOT / "dist"
TARBALL = "dlcourse-student.tar.gz"
# What the wheel is built from: the package, its data and its metadata, nothing else.
WHEEL_SOURCES = ["pyproject.toml", "dlcourse", "data", "publish/package-readme.md"]
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")

STUDENT_README = """\
# {title} (student edition)

Notebooks of an open deep-learning course, from the perceptron to ResNets, with
self-checks for every exercise, and the course's helper package `dlcourse` (datasets
included) as a wheel in `wheels/`. Everything runs offline.

## On your computer (Python 3.11)

```bash
python3.11 -m venv .venv && .venv/bin/pip install "{wheel}[pinned]"
.venv/bin/python -m dlcourse.workspace course work && .venv/bin/python -m dlcourse.lab work
```

The first command installs the tested versions of everything (PyTorch included; about
two minutes); the second copies the notebooks into `work/`, your own folder, and opens
JupyterLab there. `make lab` does both. Work only in `work/`: running it again after
an update adds new notebooks but never overwrites a file that is already there.

`DLCOURSE_FAST=1` shrinks data and epochs so each notebook runs in about a minute on a
small CPU; without it you get the full version. Each exercise's self-check cell says
what is wrong; **Validate** (in the notebook toolbar) checks the whole notebook.

## On Colab

Open a notebook with its "Open in Colab" link (the first line of each notebook, or
`{colab}`).
Its first code cell installs `dlcourse` there, keeping Colab's own PyTorch.

## Notebooks

{table}
"""

STUDENT_MAKEFILE = """\
# make lab: install the course (first run only) and open it in JupyterLab (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
ARGS ?=

.PHONY: setup lab
setup: .venv/.installed

.venv/.installed:
\t$(PYTHON) -m venv .venv
\t.venv/bin/pip install "{wheel}[pinned]"
\t@touch $@

lab: setup
\t.venv/bin/python -m dlcourse.workspace course work
\t.venv/bin/python -m dlcourse.lab work $(ARGS)
"""

STUDENT_GITIGNORE = ".venv/\nwork/\n__pycache__/\n.ipynb_checkpoints/\n"


def build_wheel(out: Path) -> Path:
    """Build the dlcourse wheel into ``out`` from a clean copy of its sources (offline)."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dlcourse-wheel-") as tmp:
        src = Path(tmp)
        for rel in WHEEL_SOURCES:
            target = src / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if (ROOT / rel).is_dir():
                shutil.copytree(ROOT / rel, target, ignore=SKIP)
            else:
                shutil.copy2(ROOT / rel, target)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                        "--disable-pip-version-check", "-w", str(out), str(src)], check=True)
    return out / publication().wheel_name


def course_table() -> str:
    """The README's table of notebooks (what each teaches), for the student README."""
    lines = (ROOT / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| notebook |"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return "\n".join(lines[start:end])


def write_student_folder(folder: Path) -> None:
    """The student distribution in ``folder`` (replaced if it exists)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copytree(ROOT / NOTEBOOKS_DIR, folder / NOTEBOOKS_DIR, ignore=SKIP)
    pub = publication()
    wheel = build_wheel(folder / WHEELS_DIR)
    rel_wheel = f"{WHEELS_DIR}/{wheel.name}"
    title = (ROOT / "README.md").read_text().splitlines()[0].lstrip("# ").strip()
    first = sorted((ROOT / NOTEBOOKS_DIR).glob("*/*.ipynb"))[0].relative_to(ROOT / NOTEBOOKS_DIR)
    (folder / "README.md").write_text(STUDENT_README.format(
        title=title, wheel=rel_wheel, colab=pub.colab_url(first.as_posix()), table=course_table()))
    (folder / "Makefile").write_text(STUDENT_MAKEFILE.format(wheel=rel_wheel))
    (folder / ".gitignore").write_text(STUDENT_GITIGNORE)


def write_tarball(folder: Path, tarball: Path) -> Path:
    """``folder`` as a gzipped tarball whose entries sit under ``dlcourse-student/``."""
    def clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(tarball, "w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=f"dlcourse-student/{path.relative_to(folder)}", recursive=False,
                    filter=clean)
    return tarball


def build(out: Path = DIST) -> Path:
    """Write the student folder and tarball under ``out``; fail if anything secret got in."""
    folder = out / "student"
    write_student_folder(folder)
    write_tarball(folder, out / TARBALL)
    leaks = scan(folder)
    if leaks:
        shown = "\n".join(f"  {leak.file}: {leak.line!r} (from {leak.origin})" for leak in leaks[:20])
        raise SystemExit(f"the student distribution holds {len(leaks)} secret line(s):\n{shown}")
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DIST, help="output folder (default: dist/)")
    args = parser.parse_args(argv)
    folder = build(args.out)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in files)
    print(f"student distribution: {folder} ({len(files)} files, {size / 1e6:.1f} MB) "
          f"and {args.out / TARBALL}; no solution, hidden test or oracle line found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
