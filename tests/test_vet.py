"""autograder.vet on fixture submission trees: links, special files, huge files, bad names."""
import os
import socket
import threading

import pytest

from autograder import vet
from autograder.vet import copy_regular_tree, vet_submissions

BAD_NAME = os.fsdecode(b"caf\xe9.txt")  # Latin-1, not UTF-8


def tree(tmp_path):
    """submitted/<student>/<assignment>/ with one good notebook each; returns submitted/."""
    submitted = tmp_path / "submitted"
    for student in ("alice", "bob"):
        folder = submitted / student / "01-perceptron"
        folder.mkdir(parents=True)
        (folder / "perceptron.ipynb").write_text(f"{student}'s notebook")
    return submitted


def by_student(found):
    return {f.student: f for f in found}


def test_regular_files_and_folders_are_staged(tmp_path):
    submitted = tree(tmp_path)
    (submitted / "alice" / "01-perceptron" / "data").mkdir()
    (submitted / "alice" / "01-perceptron" / "data" / "notes.txt").write_text("mine")
    found = by_student(vet_submissions(submitted, tmp_path / "staging"))
    alice = found["alice"]
    assert alice.problem == "" and alice.refused == []
    assert (alice.staged / "perceptron.ipynb").read_text() == "alice's notebook"
    assert (alice.staged / "data" / "notes.txt").read_text() == "mine"
    assert alice.staged.is_relative_to(tmp_path / "staging")


def test_links_devices_fifos_sockets_and_big_files_are_refused_the_rest_kept(tmp_path, monkeypatch):
    submitted = tree(tmp_path)
    folder = submitted / "alice" / "01-perceptron"
    secret = tmp_path / "secret.txt"
    secret.write_text("the solutions")
    (folder / "solutions.ipynb").symlink_to(secret)
    (folder / "zero").symlink_to("/dev/zero")
    (folder / "linked-dir").symlink_to(tmp_path)
    os.mkfifo(folder / "hang.ipynb")
    os.link(secret, folder / "hard.txt")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(folder / "sock"))
    monkeypatch.setattr(vet, "MAX_FILE_BYTES", 100)
    (folder / "big.bin").write_bytes(b"x" * 101)
    if os.getuid() == 0:
        os.mknod(folder / "null", 0o600 | 0o020000, os.makedev(1, 3))
    found = by_student(vet_submissions(submitted, tmp_path / "staging"))
    alice = found["alice"]
    reasons = dict(r.split(": ", 1) for r in alice.refused)
    assert reasons["solutions.ipynb"] == reasons["zero"] == reasons["linked-dir"] == "a symbolic link"
    assert reasons["hang.ipynb"] == "a FIFO" and reasons["sock"] == "a socket"
    assert reasons["hard.txt"].startswith("a hard link") and reasons["big.bin"] == "larger than 100 bytes"
    if os.getuid() == 0:
        assert reasons["null"] == "a character device"
    assert sorted(p.name for p in alice.staged.iterdir()) == ["perceptron.ipynb"]
    assert found["bob"].refused == [] and found["bob"].staged is not None
    assert secret.read_text() == "the solutions"  # nothing followed the links


def test_a_fifo_never_blocks_the_walk(tmp_path):
    submitted = tree(tmp_path)
    os.mkfifo(submitted / "bob" / "01-perceptron" / "perceptron2.ipynb")
    result = {}
    worker = threading.Thread(target=lambda: result.update(found=vet_submissions(submitted, tmp_path / "s")),
                              daemon=True)
    worker.start()
    worker.join(10)
    assert "found" in result, "vetting blocked on a FIFO"


def test_names_that_are_not_utf8_are_refused_and_reported_printably(tmp_path):
    submitted = tree(tmp_path)
    (submitted / "alice" / "01-perceptron" / BAD_NAME).write_text("x")
    (submitted / os.fsdecode(b"m\xfcller") / "01-perceptron").mkdir(parents=True)
    found = vet_submissions(submitted, tmp_path / "staging")
    alice = by_student(found)["alice"]
    assert alice.refused == [f"{ascii(BAD_NAME)}: the name is not valid UTF-8"]
    bad = next(f for f in found if f.student.startswith("'m"))
    assert "not valid UTF-8" in bad.problem and bad.staged is None
    for f in found:  # every name in the result can be written as UTF-8 (a report, a CSV)
        (f.student + f.assignment + "".join(f.refused)).encode("utf-8")


def test_a_student_or_assignment_folder_that_is_a_link_is_refused(tmp_path):
    submitted = tree(tmp_path)
    (submitted / "mallory").mkdir()
    (submitted / "mallory" / "01-perceptron").symlink_to(submitted / "alice" / "01-perceptron")
    (submitted / "trudy").symlink_to(submitted / "bob")
    found = by_student(vet_submissions(submitted, tmp_path / "staging"))
    assert "symbolic link" in found["mallory"].problem and found["mallory"].staged is None
    assert "symbolic link" in found["trudy"].problem and found["trudy"].staged is None
    assert found["alice"].problem == "" and found["bob"].problem == ""


def test_the_same_folder_under_two_students_is_refused_the_second_time(tmp_path):
    submitted = tree(tmp_path)
    (submitted / "zed" / "01-perceptron").mkdir(parents=True)
    if os.getuid() != 0 or os.system(f"mount --bind {submitted / 'alice' / '01-perceptron'} "
                                     f"{submitted / 'zed' / '01-perceptron'} 2>/dev/null") != 0:
        pytest.skip("needs root and bind mounts")
    try:
        found = by_student(vet_submissions(submitted, tmp_path / "staging"))
    finally:
        os.system(f"umount {submitted / 'zed' / '01-perceptron'}")
    assert "same folder as alice's" in found["zed"].problem


def test_copy_regular_tree_skips_and_never_follows(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    src.mkdir()
    dest.mkdir()
    (src / "a.txt").write_text("a")
    (src / "nb.ipynb").write_text("{}")
    (src / "link").symlink_to("/etc/passwd")
    refused = copy_regular_tree(src, dest, skip=lambda name: name.endswith(".ipynb"))
    assert sorted(p.name for p in dest.iterdir()) == ["a.txt"]
    assert refused == ["link: a symbolic link"]
