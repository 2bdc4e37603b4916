"""autograder.collection: an unambiguous skip digest, and timestamps from the collection."""
import os

import pytest
from nbgrader.coursedir import CourseDirectory

from autograder.collection import (TIMESTAMP_ENV, collection_timestamp, frame, grading_digest, install,
                                   submission_files)

A = "01-perceptron"


def folder(tmp_path, name, files):
    root = tmp_path / name
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    return root


def test_frames_are_length_prefixed():
    assert frame("a", b"bc") != frame("ab", b"c")
    assert frame("a", b"") == (1).to_bytes(8, "big") + b"a" + (0).to_bytes(8, "big")


def test_differently_split_files_have_different_digests(tmp_path):
    """The old digest joined name, NUL, content, NUL: these two folders collided."""
    one = folder(tmp_path, "one", {"a": b"x\0b\0y"})
    two = folder(tmp_path, "two", {"a": b"x", "b": b"y"})
    assert grading_digest(one, A, "") != grading_digest(two, A, "")


def test_the_digest_covers_the_grading_configuration_and_is_stable(tmp_path):
    sub = folder(tmp_path, "s", {"nb.ipynb": b"{}"})
    assert grading_digest(sub, A, "") == grading_digest(sub, A, "")
    assert grading_digest(sub, A, "") != grading_digest(sub, A, "--Execute.timeout=5")
    assert grading_digest(sub, A, "") != grading_digest(sub, "02-mlp", "")  # other release and oracle


def test_submission_files_do_not_follow_links(tmp_path):
    sub = folder(tmp_path, "s", {"nb.ipynb": b"{}"})
    (sub / "link").symlink_to(tmp_path / "s" / "nb.ipynb")
    assert [name for name, _ in submission_files(sub)] == ["submission/nb.ipynb"]


def test_a_students_timestamp_is_ignored_unless_it_came_from_the_exchange(tmp_path):
    sub = folder(tmp_path, "s", {"nb.ipynb": b"{}", "timestamp.txt": b"2001-01-01 00:00:00 UTC"})
    assert not collection_timestamp(sub).startswith("2001")
    assert collection_timestamp(sub, exchange=True) == "2001-01-01 00:00:00 UTC"
    os.utime(sub / "nb.ipynb", (0, 0))  # the mtime a tar archive could carry changes nothing
    assert not collection_timestamp(sub).startswith("1970")


def test_nbgrader_reads_the_timestamp_make_grade_gives(tmp_path, monkeypatch):
    install()
    sub = folder(tmp_path, "s", {"timestamp.txt": b"2001-01-01 00:00:00 UTC"})
    monkeypatch.setenv(TIMESTAMP_ENV, "2030-05-06 07:08:09 UTC")
    assert CourseDirectory().get_existing_timestamp(str(sub)).year == 2030
    monkeypatch.delenv(TIMESTAMP_ENV)
    assert CourseDirectory().get_existing_timestamp(str(sub)).year == 2001  # nbgrader collect, say


@pytest.mark.parametrize("exchange", [False, True])
def test_a_timestamp_link_is_never_read(tmp_path, exchange):
    sub = folder(tmp_path, "s", {"nb.ipynb": b"{}", "real": b"2001-01-01 00:00:00 UTC"})
    (sub / "timestamp.txt").symlink_to(sub / "real")
    assert not collection_timestamp(sub, exchange=exchange).startswith("2001")
