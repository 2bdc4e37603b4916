"""Copy the course into the student's own workspace without ever overwriting work.

``python -m dlcourse.workspace course work`` copies every file of ``course/`` that the
workspace lacks, and leaves every existing file alone, so pulling course updates and
running ``make lab`` again adds new notebooks but never clobbers a student's answers.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

SKIP = {".ipynb_checkpoints", "__pycache__"}


def sync(course: Path, workspace: Path) -> tuple[list[Path], list[Path]]:
    """Copy files of ``course`` missing from ``workspace``; return (added, kept) paths."""
    if not course.is_dir():
        raise FileNotFoundError(f"course folder {course} does not exist: run `make release` first")
    workspace.mkdir(parents=True, exist_ok=True)
    added, kept = [], []
    for src in sorted(course.rglob("*")):
        rel = src.relative_to(course)
        if src.is_dir() or SKIP.intersection(rel.parts):
            continue
        dst = workspace / rel
        if dst.exists():
            kept.append(rel)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        added.append(rel)
    return added, kept


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    course, workspace = (Path(a) for a in (args + ["course", "work"][len(args):])[:2])
    added, kept = sync(course, workspace)
    for rel in added:
        print(f"  added {workspace / rel}")
    print(f"workspace {workspace}/: {len(added)} new file(s) from {course}/, "
          f"{len(kept)} already there and left untouched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
