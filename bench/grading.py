"""Grading throughput: plain sequential nbgrader against `make grade`, side by side.

    python bench/grading.py [--n 40] [--jobs N] [--assignment 01-perceptron]

Builds N solved submissions of one assignment, then grades them twice in one run:
1. plain: stock nbgrader (its default preprocessors: no oracle, no sandbox), one
   `nbgrader autograde` process grading every student in turn;
2. ours: `autograder.grade.grade_all`: one sandboxed process per submission, N jobs,
   oracle verdicts, feedback and export included.
Prints seconds, submissions per minute and the mean score of each.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from autograder.grade import Options, grade_all  # noqa: E402
from submissions import solved, submit  # noqa: E402

# nbgrader reads the config in its course root too, so the plain run gets a root of its
# own (the repository's config would win otherwise) with links to the shared folders.
PLAIN_CONFIG = """c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db!r}
c.Execute.timeout = 120
"""


def nbgrader(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "DLCOURSE_FAST": "1"}
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


def plain(tmp: Path, assignment: str) -> float:
    course = tmp / "plain"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(PLAIN_CONFIG.format(
        root=str(course), db=f"sqlite:///{tmp / 'plain.db'}"))
    (course / "source").symlink_to(ROOT / "solutions")
    (course / "submitted").symlink_to(tmp / "submitted")
    gen = nbgrader(course, "generate_assignment", assignment, "--create", "--force")
    assert gen.returncode == 0, gen.stderr[-2000:]
    start = time.perf_counter()
    run = nbgrader(course, "autograde", assignment, "--force")
    seconds = time.perf_counter() - start
    assert run.returncode == 0, run.stderr[-2000:]
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--assignment", default="01-perceptron")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        nb = solved(args.assignment)
        for i in range(args.n):
            submit(nb, tmp, f"s{i:03d}", args.assignment)
        plain_s = plain(tmp, args.assignment)
        start = time.perf_counter()
        outcomes = grade_all(tmp, Options(jobs=args.jobs, progress=False))
        ours_s = time.perf_counter() - start
        scores = [o.score for o in outcomes if o.score is not None]
        failed = [o for o in outcomes if o.status != "graded"]
    print(f"{args.n} solved submissions of {args.assignment} on {os.cpu_count()} cores")
    print(f"{'mode':52s} {'seconds':>8s} {'subs/min':>9s}")
    print(f"{'plain nbgrader autograde (sequential, no sandbox)':52s} {plain_s:8.1f} {60 * args.n / plain_s:9.1f}")
    label = f"make grade (sandboxed, {args.jobs} jobs, feedback + export)"
    print(f"{label:52s} {ours_s:8.1f} {60 * args.n / ours_s:9.1f}")
    print(f"make grade: mean score {statistics.mean(scores):.2f}, {len(failed)} not graded; "
          f"speed-up {plain_s / ours_s:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
