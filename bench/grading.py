"""Grading throughput: plain sequential nbgrader against `make grade`'s warm graders, in one run.

    python bench/grading.py [--n 40] [--jobs N] [--assignment 01-perceptron]
                            [--scaling-n 8] [--cold-n 4] [--students N]

Builds N solved submissions of one assignment (expected grade: full marks), then grades:
1. plain: stock nbgrader (its default preprocessors: no oracle, no sandbox), one
   `nbgrader autograde` process grading every student in turn;
2. warm: `autograder.grade.grade_all` with warm grading workers, --jobs of them, sandboxed,
   oracle verdicts, feedback and export included (every grade checked);
3. warm with 1 job on the first --scaling-n submissions: how the rate scales from 1 to --jobs;
4. cold (the way before warm graders: one nbgrader process per submission) with 1 job on the
   first --cold-n submissions: the per-submission cost breakdown before and after.
Prints seconds and submissions per minute of each, the speed-up over plain, the cost breakdown,
the scaling, a projection to 16 cores from the measured per-core rate, and every grade that
differs from the expected one.

--students N grades a simulated class of N students (tests/simclass.py: solution, blank,
known-wrong, student-style and attack submissions, each with its expected grade) instead, without
the plain run (stock nbgrader has no sandbox: attack submissions would run with your rights).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from autograder import workers  # noqa: E402
from autograder.grade import Options, Outcome, grade_all  # noqa: E402
from submissions import points, solved, submit  # noqa: E402

PROJECTED_CORES = 16
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


def build_solved(tmp: Path, n: int, assignment: str) -> dict[str, tuple[str, float]]:
    nb, full = solved(assignment), sum(points(assignment).values())
    for i in range(n):
        submit(nb, tmp, f"s{i:03d}", assignment)
    return {f"s{i:03d}": (assignment, full) for i in range(n)}


def build_simulated(tmp: Path, students: int) -> dict[str, tuple[str, float]]:
    try:
        from simclass import build_class  # tests/simclass.py
    except ImportError as e:
        raise SystemExit(f"--students needs the simulated class generator tests/simclass.py "
                         f"(build_class), which cannot be imported here: {e}") from None
    return build_class(tmp, students)


class Run:
    """One grade_all run over some of the submissions, in a workdir of its own."""

    def __init__(self, label: str, outcomes: list[Outcome], seconds: float, timings: list[workers.JobTiming]):
        self.label, self.outcomes, self.seconds, self.timings = label, outcomes, seconds, timings
        self.n = len(outcomes)

    @property
    def per_minute(self) -> float:
        return 60 * self.n / self.seconds

    def autograding_rate(self) -> float:
        """Submissions per minute while autograding (no worker start, feedback or export)."""
        span = max(t.finished for t in self.timings) - min(t.finished - t.total for t in self.timings)
        return 60 * len(self.timings) / span


def grade_run(label: str, source: Path, students: list[str], jobs: int, warm: bool) -> Run:
    work = Path(tempfile.mkdtemp(prefix="bench-", dir=source))
    for student in students:
        shutil.copytree(source / "submitted" / student, work / "submitted" / student)
    workers.TIMINGS.clear()
    start = time.perf_counter()
    outcomes = grade_all(work, Options(jobs=jobs, warm=warm, progress=False))
    seconds = time.perf_counter() - start
    return Run(label, outcomes, seconds, list(workers.TIMINGS))


def mismatches(run: Run, expected: dict[str, tuple[str, float]]) -> list[str]:
    found = []
    for o in run.outcomes:
        _, want = expected[o.student]
        if o.score is None or abs(o.score - want) > 1e-6:
            found.append(f"  {run.label}: {o.student} {o.assignment}: expected {want:g}, got "
                         f"{'no grade' if o.score is None else f'{o.score:g}'} ({o.status}: {o.reason[:120]})")
    return found


def mean(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.mean(values) if values else float("nan")


def breakdown(before: Run | None, after: Run) -> None:
    rows = [r for r in (before, after) if r is not None]
    print("\nper-submission cost (mean seconds, 1 job at a time for 'before'; 'after' from the warm run)")
    print(f"{'':44s}" + "".join(f"{r.label:>22s}" for r in rows))
    for name, get in [("whole submission (hand-over to result)", lambda t: t.total),
                      ("  the notebook's cells (its own run)", lambda t: t.cells),
                      ("  sandboxed kernel start", lambda t: t.kernel_start),
                      ("  beyond the cells", lambda t: t.beyond_cells),
                      ("  beyond the cells and the kernel start", lambda t: None if t.beyond_cells is None
                       else t.beyond_cells - t.kernel_start)]:
        print(f"{name:44s}" + "".join(f"{mean(get(t) for t in r.timings):22.2f}" for r in rows))
    if before is not None:
        print(f"  of 'before', in a fresh process: Python + nbgrader import {import_seconds('nbgrader.apps.autogradeapp'):.2f} s, "
              f"torch import {import_seconds('torch'):.2f} s (paid once per worker when warm)")


def import_seconds(module: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="solved submissions to grade")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--assignment", default="01-perceptron")
    parser.add_argument("--scaling-n", type=int, default=8, help="submissions graded with 1 job (0: skip)")
    parser.add_argument("--cold-n", type=int, default=4,
                        help="submissions graded one process each, 1 job, for the breakdown (0: skip)")
    parser.add_argument("--students", type=int, help="grade a simulated class of N students (tests/simclass.py)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        expected = (build_simulated(tmp, args.students) if args.students
                    else build_solved(tmp, args.n, args.assignment))
        students = sorted(expected)
        plain_s = None if args.students else plain(tmp, args.assignment)
        warm = grade_run(f"warm, {args.jobs} jobs", tmp, students, args.jobs, warm=True)
        one = (grade_run("warm, 1 job", tmp, students[:args.scaling_n], 1, warm=True)
               if args.scaling_n and args.jobs > 1 else None)
        cold = (grade_run("before (cold), 1 job", tmp, students[:args.cold_n], 1, warm=False)
                if args.cold_n else None)
    what = f"{args.students} simulated students" if args.students else \
        f"{args.n} solved submissions of {args.assignment}"
    print(f"{what} on {os.cpu_count()} cores, sandbox on")
    print(f"{'mode':64s} {'n':>4s} {'seconds':>8s} {'subs/min':>9s}")
    if plain_s is not None:
        print(f"{'plain nbgrader autograde (sequential, no sandbox)':64s} {args.n:4d} {plain_s:8.1f} "
              f"{60 * args.n / plain_s:9.1f}")
    for run in filter(None, (warm, one, cold)):
        label = f"make grade ({run.label}, sandboxed, feedback + export)"
        print(f"{label:64s} {run.n:4d} {run.seconds:8.1f} {run.per_minute:9.1f}")
    if plain_s is not None:
        print(f"speed-up of make grade ({warm.label}) over plain nbgrader: {plain_s / warm.seconds:.2f}x")
    breakdown(cold, warm)
    rate = warm.autograding_rate()
    if one is not None:
        rate1 = one.autograding_rate()
        print(f"\nscaling (autograding phase): 1 job {rate1:.1f} subs/min, {args.jobs} jobs {rate:.1f} subs/min "
              f"({rate / rate1:.2f}x)")
    per_core = rate / args.jobs
    print(f"PROJECTION (not measured): {PROJECTED_CORES} cores at this per-core rate ({per_core:.1f} subs/min) "
          f"would autograde {PROJECTED_CORES * per_core:.0f} subs/min, a 500-student class of 9 assignments "
          f"(4,500 submissions) in {4500 / (PROJECTED_CORES * per_core) / 60:.1f} h")
    wrong = [m for run in filter(None, (warm, one, cold)) for m in mismatches(run, expected)]
    print(f"\ngrades that differ from the expected: {len(wrong)}")
    print("\n".join(wrong))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
