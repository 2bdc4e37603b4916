"""make grade's gradebook URL, shards and shared bookkeeping, without grading (SQLite only)."""
import argparse
import csv
from collections import Counter

import pytest
from traitlets.config.loader import PyFileConfigLoader

from autograder import gradebook_db
from autograder.grade import (DEFAULT_WORKDIR, GradedState, Outcome, blank_failed_scores, main,
                              write_shared_report)
from autograder.nbgrader_cli import ROOT
from autograder.shard import Shard, shard_of


def test_the_default_gradebook_is_the_one_formgrader_reads():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    assert gradebook_db.gradebook_url(DEFAULT_WORKDIR) == config.CourseDirectory.db_url
    assert config.CourseDirectory.db_url.startswith("sqlite:///")


def test_postgres_urls_use_psycopg_and_others_are_refused():
    url = "postgresql://grader:s3cret@127.0.0.1:5432/course"
    assert gradebook_db.normalise(url) == "postgresql+psycopg://grader:s3cret@127.0.0.1:5432/course"
    assert gradebook_db.normalise("postgres://g@h/c") == "postgresql+psycopg://g@h/c"
    assert "s3cret" not in gradebook_db.shown(gradebook_db.normalise(url))
    for bad in ("mysql://g@h/c", "not a url"):
        with pytest.raises(ValueError, match="--db"):
            gradebook_db.normalise(bad)
    with pytest.raises(SystemExit):
        main(["--db", "mysql://g@h/c"])


def test_an_unreachable_server_is_named_before_grading(tmp_path):
    pytest.importorskip("psycopg")
    url = gradebook_db.normalise("postgresql://nobody:pw@127.0.0.1:9/none")  # port 9: nothing listens
    problem = gradebook_db.problem(url)
    assert problem and "cannot reach the gradebook" in problem and "pw@" not in problem


def test_shards_are_stable_cover_everyone_once_and_share_the_work():
    students = [f"s{i:04d}" for i in range(400)]
    shards = [Shard(i, 4) for i in range(1, 5)]
    for s in students:
        assert [sh.holds(s) for sh in shards].count(True) == 1
    assert shard_of("alice", 4) == shard_of("alice", 4) == next(sh.index for sh in shards if sh.holds("alice"))
    sizes = Counter(shard_of(s, 4) for s in students)
    assert min(sizes.values()) > 70, sizes  # 100 each on average
    assert Shard.parse(" 2/3 ") == Shard(2, 3) and Shard(2, 3).label == "shard-2-of-3"
    for bad in ("0/2", "3/2", "1", "a/b", "1/0"):
        with pytest.raises(argparse.ArgumentTypeError):
            Shard.parse(bad)


def test_a_failure_recorded_by_one_grader_is_blank_in_anothers_export(tmp_path):
    url = gradebook_db.gradebook_url(tmp_path)
    gradebook_db.mark_ungraded(url, [("bob", "01-perceptron", "kernel died"), ("eve", "01-perceptron", "x")])
    gradebook_db.clear_ungraded(url, [("eve", "01-perceptron")])
    assert gradebook_db.ungraded(url) == {("bob", "01-perceptron"): "kernel died"}
    grades = tmp_path / "grades.csv"
    grades.write_text("assignment,student_id,raw_score,score\n01-perceptron,bob,0.0,0.0\n"
                      "01-perceptron,eve,9.0,9.0\n")
    blank_failed_scores(grades, [Outcome(s, a) for s, a in gradebook_db.ungraded(url)])
    rows = {r["student_id"]: r["score"] for r in csv.DictReader(grades.open())}
    assert rows == {"bob": "", "eve": "9.0"}


def test_shards_sharing_a_workdir_add_up_to_one_report(tmp_path):
    path = tmp_path / "report.csv"
    students = [f"s{i}" for i in range(12)]
    for i in (1, 2):
        shard = Shard(i, 2)
        mine = [Outcome(s, "01-perceptron", score=float(i), max_score=9.0) for s in students if shard.holds(s)]
        write_shared_report(mine, path, lambda row, shard=shard: not shard.holds(row["student"]))
    rows = {r["student"]: r["score"] for r in csv.DictReader(path.open())}
    assert sorted(rows) == sorted(students)
    assert all(rows[s] == str(float(shard_of(s, 2))) for s in students)


def test_a_claimed_submission_is_graded_by_one_grader_of_the_batch(tmp_path):
    url = gradebook_db.gradebook_url(tmp_path)
    a = gradebook_db.Claims(url, "monday", "host-a:1", stale_after_s=3600)
    b = gradebook_db.Claims(url, "monday", "host-b:2", stale_after_s=3600)
    try:
        assert a.take("alice", "01-perceptron") is None
        assert "host-a:1" in b.take("alice", "01-perceptron")
        assert a.take("alice", "01-perceptron") is None  # its own claim (graded again alone after a limit)
        assert b.take("bob", "01-perceptron") is None
        a.finish("alice", "01-perceptron", "graded")
        assert "graded" in b.take("alice", "01-perceptron")
        assert gradebook_db.Claims(url, "tuesday", "host-b:2", 3600).take("alice", "01-perceptron") is None
    finally:
        a.close()
        b.close()


def test_a_claim_left_by_a_grader_that_died_is_taken_over(tmp_path):
    url = gradebook_db.gradebook_url(tmp_path)
    dead = gradebook_db.Claims(url, "batch", "host-a:1", stale_after_s=3600)
    assert dead.take("alice", "01-perceptron") is None  # and it never finishes
    patient = gradebook_db.Claims(url, "batch", "host-b:2", stale_after_s=3600)
    assert patient.take("alice", "01-perceptron") is not None
    late = gradebook_db.Claims(url, "batch", "host-c:3", stale_after_s=0)  # any claim still grading is stale
    assert late.take("alice", "01-perceptron") is None
    late.finish("alice", "01-perceptron", "failed")
    assert "host-c:3 (failed)" == patient.take("alice", "01-perceptron")
    for claims in (dead, patient, late):
        claims.close()


def test_graders_sharing_a_workdir_keep_each_others_record_of_what_is_graded(tmp_path):
    first, second = GradedState(tmp_path), GradedState(tmp_path)  # both read the file before either writes
    first.record(Outcome("alice", "01-perceptron", digest="a1"))
    second.record(Outcome("bob", "01-perceptron", digest="b1"))
    second.forget(Outcome("carol", "01-perceptron"))  # never recorded: nothing to write
    assert GradedState(tmp_path).digests == {"alice/01-perceptron": "a1", "bob/01-perceptron": "b1"}
    first.forget(Outcome("alice", "01-perceptron"))
    assert GradedState(tmp_path).digests == {"bob/01-perceptron": "b1"}
