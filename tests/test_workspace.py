"""The student's workspace gets new course files and never loses work."""
from dlcourse.workspace import main, sync


def make_course(root):
    (root / "01-a").mkdir(parents=True)
    (root / "01-a" / "a.ipynb").write_text("course v1")
    (root / "01-a" / ".ipynb_checkpoints").mkdir()
    (root / "01-a" / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("junk")


def test_first_run_copies_everything_but_checkpoints(tmp_path):
    course, work = tmp_path / "course", tmp_path / "work"
    make_course(course)
    added, kept = sync(course, work)
    assert [str(p) for p in added] == ["01-a/a.ipynb"] and kept == []
    assert (work / "01-a" / "a.ipynb").read_text() == "course v1"
    assert not (work / "01-a" / ".ipynb_checkpoints").exists()


def test_later_runs_add_new_notebooks_and_keep_student_work(tmp_path):
    course, work = tmp_path / "course", tmp_path / "work"
    make_course(course)
    sync(course, work)
    (work / "01-a" / "a.ipynb").write_text("my answers")
    (course / "01-a" / "a.ipynb").write_text("course v2")
    (course / "02-b").mkdir()
    (course / "02-b" / "b.ipynb").write_text("new lesson")
    added, kept = sync(course, work)
    assert [str(p) for p in added] == ["02-b/b.ipynb"]
    assert [str(p) for p in kept] == ["01-a/a.ipynb"]
    assert (work / "01-a" / "a.ipynb").read_text() == "my answers"
    assert (work / "02-b" / "b.ipynb").read_text() == "new lesson"


def test_missing_course_says_what_to_do(tmp_path, capsys):
    import pytest

    with pytest.raises(FileNotFoundError, match="make release"):
        main([str(tmp_path / "nope"), str(tmp_path / "work")])
