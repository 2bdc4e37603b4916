"""Two graders share one PostgreSQL gradebook and give exactly the grades of one SQLite run.

A small simulated class of 01-perceptron (tests/simclass.py) is graded twice with one seed:
once by a plain ``make grade`` (SQLite in its workdir), once by two ``make grade --shard i/2
--db postgresql://...`` processes at the same time, in one workdir, against a throw-away
PostgreSQL server on 127.0.0.1 (tests/pgcluster.py). Every grade must agree, in report.csv,
grades.csv and the gradebook, and no submission may be graded by both shards.
"""
import csv
import json
import os
import subprocess
import sys
import time

import pytest
from pgcluster import postgres_bin, throwaway_cluster
from roundtrip import read_report
from simclass import build_class

from autograder import gradebook_db, sandbox
from autograder.grade import Options, grade_all
from autograder.nbgrader_cli import ROOT
from autograder.shard import Shard

N_STUDENTS, CLASS_SEED, CASES_SEED = 5, 0, 20261128

pytestmark = [
    pytest.mark.skipif(postgres_bin() is None, reason="no PostgreSQL server (make test installs Debian's postgresql)"),
    pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason="bubblewrap cannot run here"),
]


def grades_csv(workdir):
    with open(workdir / "grades.csv", newline="") as f:
        return {(r["student_id"], r["assignment"]): r["score"] for r in csv.DictReader(f)}


def gradebook_scores(url, expected):
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(url) as gb:
        for student, (assignment, _) in expected.items():
            try:
                scores[student] = gb.find_submission(assignment, student).score
            except MissingEntry:
                scores[student] = None
    return scores


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("psycopg")
    with throwaway_cluster() as running:
        yield running


def graders(cluster, url, workdirs, flags):
    """Run one `make grade` per workdir and flags, all at once; return their logs and the seconds."""
    started = time.monotonic()
    procs = [subprocess.Popen(
        [sys.executable, "-m", "autograder.grade", "--workdir", str(w), "--jobs", "1", "--seed", str(CASES_SEED),
         "--db", url, *f], cwd=ROOT, env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for w, f in zip(workdirs, flags)]
    logs = [p.communicate(timeout=900)[0] for p in procs]
    for p, log in zip(procs, logs):
        assert p.returncode == 0, log[-3000:]
    return logs, time.monotonic() - started


def shared_scores(cluster, url, expected):
    os.environ["PGPASSWORD"] = cluster.password  # for this process's Gradebook
    try:
        return gradebook_scores(gradebook_db.normalise(url), expected)
    finally:
        del os.environ["PGPASSWORD"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, cluster):
    single, shared = tmp_path_factory.mktemp("sqlite"), tmp_path_factory.mktemp("postgres")
    expected = build_class(single, N_STUDENTS, seed=CLASS_SEED)
    assert build_class(shared, N_STUDENTS, seed=CLASS_SEED) == expected
    held = {i: [s for s in expected if Shard(i, 2).holds(s)] for i in (1, 2)}
    assert held[1] and held[2], f"the class must give both shards work: {held}"

    grade_all(single, Options(jobs=2, progress=False, seed=CASES_SEED))
    url = cluster.create_database("course")
    logs, seconds = graders(cluster, url, [shared, shared], [["--shard", "1/2"], ["--shard", "2/2"]])
    print(f"two shards on PostgreSQL: {seconds:.1f} s")
    return dict(expected=expected, held=held, single=single, shared=shared, logs=logs,
                single_book=gradebook_scores(gradebook_db.gradebook_url(single), expected),
                shared_book=shared_scores(cluster, url, expected))


def test_two_shards_give_the_grades_of_one_sqlite_run(two_runs):
    single, shared = read_report(two_runs["single"]), read_report(two_runs["shared"])
    assert sorted(shared) == sorted(single) == sorted(two_runs["expected"])
    for student, (assignment, score) in two_runs["expected"].items():
        a, b = single[student], shared[student]
        assert (a["assignment"], a["status"], a["score"]) == (b["assignment"], b["status"], b["score"]), student
        assert a["assignment"] == assignment and float(a["score"]) == score, \
            f"{student}: {a['status']} {a['reason']}"


def test_the_shared_gradebook_and_grades_csv_hold_every_shards_grades(two_runs):
    assert two_runs["shared_book"] == two_runs["single_book"]
    graded = {s for s, v in two_runs["single_book"].items() if v is not None}
    held = two_runs["held"]
    assert graded & set(held[1]) and graded & set(held[2]), "both shards graded something"
    assert grades_csv(two_runs["shared"]) == grades_csv(two_runs["single"])


def test_no_submission_is_graded_by_both_shards(two_runs):
    """Each grader prints a line per submission it took: every student is in exactly one log."""
    listed = [{line.split()[0] for line in log.splitlines() if line.split() and line.split()[0] in two_runs["expected"]}
              for log in two_runs["logs"]]
    assert not listed[0] & listed[1]
    for i in (1, 2):
        assert listed[i - 1] == set(two_runs["held"][i])
        assert f"shard {i}/2" in two_runs["logs"][i - 1]
    state = json.loads((two_runs["shared"] / ".graded.json").read_text())
    graded = {s for s, v in two_runs["single_book"].items() if v is not None}
    assert {key.split("/")[0] for key in state} == graded  # both shards' records, neither lost
    for student in graded:
        assert list((two_runs["shared"] / "feedback" / student).rglob("*.html")), student


def test_graders_claiming_one_batch_on_two_machines_grade_each_submission_once(cluster, tmp_path):
    """Two graders, each with its own copy of the class (two machines), split it by claims."""
    machines = [tmp_path / "a", tmp_path / "b"]
    expected = {s: v for s, v in build_class(machines[0], 3, seed=CLASS_SEED).items() if "bad-json" not in s}
    assert build_class(machines[1], 3, seed=CLASS_SEED).keys() >= expected.keys()
    url = cluster.create_database("claims")
    logs, seconds = graders(cluster, url, machines, [["--claim", "week1"]] * 2)
    print(f"two claiming graders on PostgreSQL: {seconds:.1f} s")
    reports = [{s: r for s, r in read_report(m).items() if s in expected} for m in machines]
    assert not set(reports[0]) & set(reports[1]), logs
    assert set(reports[0]) | set(reports[1]) == set(expected)
    book = shared_scores(cluster, url, expected)
    assert book == {s: score for s, (_, score) in expected.items()}
