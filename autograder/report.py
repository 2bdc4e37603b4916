"""``make report``: the class report an instructor opens after ``make grade``.

``python -m autograder.report [--workdir DIR] [--db URL] [--out DIR] [--top N]`` reads the
gradebook (default: ``DIR/gradebook.db``; ``--db`` takes any SQLAlchemy URL nbgrader accepts,
such as ``postgresql+psycopg://...``), the autograded notebooks and ``report.csv`` of DIR
(default ``autograder/``), and writes into ``--out`` (default ``DIR/class-report/``):

- ``index.html``: one section per assignment: the score distribution, each exercise's pass
  rate, the most common failure messages with counts, submissions that could not be graded
  and why, late submissions; a static page (no script, nothing fetched) whose plots are
  the PNG files beside it (matplotlib, Agg backend);
- the same numbers as CSV: ``summary.csv``, ``distribution.csv``, ``exercises.csv``,
  ``failures.csv``, ``ungraded.csv``, ``late.csv``.

Every value a student could influence (a failure message quotes their answer) is HTML-escaped.
"""
from __future__ import annotations

import argparse
import csv
import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .class_report import (AssignmentSummary, ClassGrades, ExerciseStat, FailureStat, SubmissionRow,
                           UngradedRow, common_failures, default_db_url, exercise_stats, histogram,
                           late_submissions, read_failures, read_gradebook, read_report_csv, summary,
                           ungraded)
from .grade import DEFAULT_WORKDIR

REPORT_DIR = "class-report"
CSV_FILES = ("summary.csv", "distribution.csv", "exercises.csv", "failures.csv", "ungraded.csv", "late.csv")


@dataclass
class Report:
    summaries: list[AssignmentSummary]
    distributions: dict[str, list[tuple[float, float, int]]]
    exercises: list[ExerciseStat]
    failures: list[FailureStat]
    ungraded: list[UngradedRow]
    late: list[SubmissionRow]


def build(data: ClassGrades, failures, report_rows: list[dict], top: int = 5) -> Report:
    """The report's numbers from the gradebook's rows, the failure messages and report.csv's rows."""
    not_graded = ungraded(report_rows)
    sums = summary(data, not_graded)
    dists = {s.assignment: histogram([r.score for r in data.submissions if r.assignment == s.assignment],
                                     s.max_score) for s in sums}
    return Report(sums, dists, exercise_stats(data.grades, data.exercises), common_failures(failures, top),
                  not_graded, late_submissions(data.submissions))


# ---------------------------------------------------------------- CSV


def write_csvs(report: Report, out: Path) -> None:
    tables = {
        "summary.csv": (["assignment", "max_score", "graded", "mean", "median", "min", "max", "full_marks",
                         "ungraded", "late"],
                        [[s.assignment, s.max_score, s.graded, s.mean, s.median, s.low, s.high, s.full_marks,
                          s.ungraded, s.late] for s in report.summaries]),
        "distribution.csv": (["assignment", "score_from", "score_to", "submissions"],
                             [[a, lo, hi, n] for a, bins in report.distributions.items() for lo, hi, n in bins]),
        "exercises.csv": (["assignment", "exercise", "max_score", "submissions", "passed", "pass_rate",
                           "mean_score"],
                          [[e.assignment, e.exercise, e.max_score, e.submissions, e.passed, round(e.pass_rate, 4),
                            round(e.mean_score, 4)] for e in report.exercises]),
        "failures.csv": (["assignment", "exercise", "submissions", "message", "example"],
                         [[f.assignment, f.exercise, f.count, f.pattern, f.example] for f in report.failures]),
        "ungraded.csv": (["student", "assignment", "status", "reason"],
                         [[u.student, u.assignment, u.status, u.reason] for u in report.ungraded]),
        "late.csv": (["student", "assignment", "timestamp", "seconds_late", "late_penalty", "score"],
                     [[s.student, s.assignment, s.timestamp, round(s.seconds_late, 1), s.late_penalty, s.score]
                      for s in report.late]),
    }
    for name, (header, rows) in tables.items():
        with open(out / name, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(["" if v is None else v for v in row] for row in rows)


# ---------------------------------------------------------------- plots


def safe_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def plot_distribution(assignment: str, bins, max_score: float, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    if all(lo == hi for lo, hi, _ in bins):  # one bar per point value
        ax.bar([lo for lo, _, _ in bins], [n for _, _, n in bins], width=0.8, color="#3b6ea5")
    else:
        ax.bar([lo for lo, _, _ in bins], [n for _, _, n in bins], width=[hi - lo for lo, hi, _ in bins],
               align="edge", color="#3b6ea5", edgecolor="white")
    ax.set_xlabel(f"score (out of {max_score:g})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{assignment}: score distribution")
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_pass_rates(assignment: str, stats: list[ExerciseStat], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 0.4 * len(stats) + 1.2), dpi=100)
    names = [s.exercise for s in stats][::-1]
    rates = [100 * s.pass_rate for s in stats][::-1]
    ax.barh(names, rates, color="#4c9a5a")
    ax.set_xlim(0, 100)
    ax.set_xlabel("submissions with full points (%)")
    ax.set_title(f"{assignment}: pass rate per exercise")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# ---------------------------------------------------------------- HTML

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; }
section { border-top: 2px solid #3b6ea5; margin-top: 2em; }
img { max-width: 100%; margin-right: 1em; }
.none { color: #666; font-style: italic; }
"""


def cell(value) -> str:
    if isinstance(value, float):
        value = f"{value:g}"
    return f"<td{' class=num' if isinstance(value, int | float) else ''}>{html.escape(str(value))}</td>"


def table(cls: str, header: list[str], rows: list[list], empty: str) -> str:
    if not rows:
        return f"<p class='none {cls}-none'>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell("" if v is None else v) for v in row) + "</tr>" for row in rows)
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def assignment_section(s: AssignmentSummary, report: Report, images: dict[str, list[tuple[str, str]]]) -> str:
    a = s.assignment
    exercises = [e for e in report.exercises if e.assignment == a]
    failures = [f for f in report.failures if f.assignment == a]
    imgs = "".join(f"<img src='{html.escape(name)}' alt='{html.escape(alt)}'>" for name, alt in images.get(a, []))
    return "\n".join([
        f"<section id='{html.escape(safe_stem(a))}'><h2>{html.escape(a)}</h2>",
        f"<p>{s.graded} graded, mean {'-' if s.mean is None else f'{s.mean:g}'} of {s.max_score:g}, "
        f"{s.full_marks} with full marks, {s.ungraded} not graded, {s.late} late.</p>",
        f"<div class='plots'>{imgs}</div>",
        "<h3>Exercises</h3>",
        table("exercises", ["exercise", "points", "submissions", "full points", "pass rate", "mean"],
              [[e.exercise, e.max_score, e.submissions, e.passed, f"{100 * e.pass_rate:.0f}%",
                round(e.mean_score, 2)] for e in exercises], "no graded exercise"),
        "<h3>Most common failures</h3>",
        table("failures", ["exercise", "submissions", "message (numbers as #)", "one example"],
              [[f.exercise, f.count, f.pattern, f.example] for f in failures], "no check failed"),
        "<h3>Not graded</h3>",
        table("ungraded", ["student", "status", "reason"],
              [[u.student, u.status, u.reason] for u in report.ungraded if u.assignment == a],
              "every submission was graded"),
        "<h3>Late</h3>",
        table("late", ["student", "submitted (UTC)", "late by", "penalty", "score"],
              [[r.student, r.timestamp, late_by(r.seconds_late), r.late_penalty, r.score]
               for r in report.late if r.assignment == a], "no late submission"),
        "</section>"])


def late_by(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours // 24}d {hours % 24}h {rest // 60}m" if hours >= 24 else f"{hours}h {rest // 60}m"


def write_html(report: Report, out: Path, images: dict[str, list[tuple[str, str]]], source: str) -> Path:
    overview = table("summary", ["assignment", "points", "graded", "mean", "median", "min", "max",
                                 "full marks", "not graded", "late"],
                     [[s.assignment, s.max_score, s.graded, s.mean, s.median, s.low, s.high, s.full_marks,
                       s.ungraded, s.late] for s in report.summaries], "no submission in the gradebook")
    links = " · ".join(f"<a href='{n}'>{n}</a>" for n in CSV_FILES)
    page = "\n".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; img-src 'self' file:; "
        "style-src 'unsafe-inline'\">",
        f"<title>Class report</title><style>{STYLE}</style></head><body>",
        "<h1>Class report</h1>",
        f"<p>From {html.escape(source)}. The same numbers as CSV: {links}.</p>",
        overview,
        *(assignment_section(s, report, images) for s in report.summaries),
        "</body></html>"])
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def write_report(workdir: Path = DEFAULT_WORKDIR, db_url: str | None = None, out: Path | None = None,
                 top: int = 5, report_csvs: list[Path] | None = None) -> Path:
    """Read the graded class under ``workdir`` and write the report; return the page's path.

    ``report_csvs``: make grade's report.csv files (default ``workdir/report.csv``; several
    when shards graded the class, each writing its own)."""
    workdir = Path(workdir).resolve()
    out = Path(out or workdir / REPORT_DIR)
    out.mkdir(parents=True, exist_ok=True)
    data = read_gradebook(db_url or default_db_url(workdir))
    graded = {(s.student, s.assignment) for s in data.submissions}
    rows = [row for path in report_csvs or [workdir / "report.csv"] for row in read_report_csv(path)]
    report = build(data, read_failures(workdir, graded), rows, top)
    images: dict[str, list[tuple[str, str]]] = {}
    for s in report.summaries:
        stem = safe_stem(s.assignment)
        plot_distribution(s.assignment, report.distributions[s.assignment], s.max_score, out / f"{stem}-scores.png")
        images[s.assignment] = [(f"{stem}-scores.png", f"{s.assignment} score distribution")]
        stats = [e for e in report.exercises if e.assignment == s.assignment]
        if stats:
            plot_pass_rates(s.assignment, stats, out / f"{stem}-exercises.png")
            images[s.assignment].append((f"{stem}-exercises.png", f"{s.assignment} pass rate per exercise"))
    write_csvs(report, out)
    source = f"the gradebook {redact(db_url or default_db_url(workdir))} and {workdir}"
    return write_html(report, out, images, source)


def redact(url: str) -> str:
    """A database URL without its password, to print or show."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write the class report (HTML, PNG plots, CSV) of a graded class.")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help="make grade's folder: autograded/, report.csv, gradebook.db (default: autograder/)")
    parser.add_argument("--db", help="gradebook URL (default: sqlite:///WORKDIR/gradebook.db)")
    parser.add_argument("--out", type=Path, help=f"output folder (default: WORKDIR/{REPORT_DIR}/)")
    parser.add_argument("--top", type=int, default=5, help="failure messages shown per exercise (default 5)")
    parser.add_argument("--report-csv", type=Path, action="append",
                        help="make grade's report.csv (default WORKDIR/report.csv); repeat for each shard's")
    args = parser.parse_args(argv)
    page = write_report(args.workdir, args.db, args.out, args.top, args.report_csv)
    print(f"class report: {page}  (CSV beside it: {', '.join(CSV_FILES)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
