"""``make release``: regenerate course/ (student notebooks) from solutions/.

``python -m autograder.release [--into DIR] [--db URL]`` writes the release into DIR
(default course/) and records the assignments in the gradebook (default
autograder/gradebook.db); tests use a temporary DIR and database to check that the
committed course/ is exactly what this produces.
"""
from __future__ import annotations

import argparse
import sys

from .nbgrader_cli import assignments, nbgrader


def release(into: str | None = None, db: str | None = None, quiet: bool = False,
            names: list[str] | None = None) -> None:
    extra = []
    if into:
        extra.append(f"--CourseDirectory.release_directory={into}")
    if db:
        extra.append(f"--CourseDirectory.db_url={db}")
    for name in names or assignments():
        result = nbgrader("generate_assignment", name, "--create", "--force", *extra)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{result.stdout}{result.stderr}")
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
