"""Written answers (autograder/written.py): the model answer in feedback only, and the course setting.

The feedback preprocessor runs on a synthetic autograded notebook and a synthetic solutions/
folder; the setting, the tally notes and the score arithmetic are pure functions. The real
thing (nbgrader, the gradebook, formgrader's manual-grading list, grades.csv) is exercised by
the round trips in tests/test_grading.py.
"""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder import written
from autograder.nbgrader_cli import ROOT, assignments
from submissions import answer_cells, read

MODEL = "**Model answer.** Independent labels need one sigmoid each.\n\n**Rubric (2 points).**\n- 1 point: sigmoid"
WRITTEN_META = {"grade": True, "solution": True, "locked": False, "points": 2, "grade_id": "written_labels",
                "schema_version": 3, "task": False}


def written_cell(source: str, score=None):
    meta = dict(WRITTEN_META, **({"score": score} if score is not None else {}))
    return new_markdown_cell(source, metadata={"nbgrader": meta})


@pytest.fixture
def solutions(tmp_path):
    """solutions/a1/nb.ipynb with one written answer (model answer and rubric) and one code exercise."""
    folder = tmp_path / "solutions" / "a1"
    folder.mkdir(parents=True)
    nb = new_notebook(cells=[
        new_markdown_cell("Explain."),
        written_cell(f"### BEGIN SOLUTION\n{MODEL}\n### END SOLUTION"),
        new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION",
                      metadata={"nbgrader": {"grade": False, "solution": True, "grade_id": "x", "locked": False,
                                             "schema_version": 3, "task": False}}),
    ])
    nbformat.write(nb, folder / "nb.ipynb")
    return tmp_path / "solutions"


def feedback(solutions, mode, cells, score=5.0, max_score=7.0):
    nb = new_notebook(cells=cells)
    resources = {"nbgrader": {"assignment": "a1", "notebook": "nb", "student": "s", "score": score,
                              "max_score": max_score}}
    pre = written.ShowModelAnswers(written_answers=mode, solutions=str(solutions))
    return pre.preprocess(nb, resources)


def test_the_model_answer_and_rubric_follow_the_students_answer(solutions):
    nb, resources = feedback(solutions, "graded", [new_markdown_cell("Explain."),
                                                   written_cell("My answer: sigmoids.", score=1.0),
                                                   new_code_cell("x = 1")])
    sources = [c.source for c in nb.cells]
    assert sources[1] == "My answer: sigmoids."
    assert MODEL in sources[2] and "Rubric (2 points)" in sources[2] and "graded by hand" in sources[2]
    assert "BEGIN SOLUTION" not in sources[2] and len(nb.cells) == 4
    assert (resources["nbgrader"]["score"], resources["nbgrader"]["max_score"]) == (5.0, 7.0)


def test_ungraded_feedback_leaves_the_written_points_out(solutions):
    nb, resources = feedback(solutions, "ungraded", [written_cell("My answer.", score=1.0)])
    assert "not graded in this course" in nb.cells[1].source
    assert (resources["nbgrader"]["score"], resources["nbgrader"]["max_score"]) == (4.0, 5.0)


def test_no_model_answer_without_a_written_answer_or_a_solution(solutions):
    nb, _ = feedback(solutions, "graded", [new_markdown_cell("Explain."), new_code_cell("x = 1")])
    assert len(nb.cells) == 2
    unknown = written_cell("answer")
    unknown.metadata.nbgrader["grade_id"] = "written_other"
    nb, _ = feedback(solutions, "graded", [unknown])
    assert len(nb.cells) == 1


def test_released_notebooks_hold_no_model_answer():
    """Students get "YOUR ANSWER HERE", never a line of the model answer (every assignment)."""
    checked = 0
    for name in assignments():
        model = answer_cells(read("solutions", name))
        released = answer_cells(read("course", name))
        for gid, cell in model.items():
            if not written.is_written_answer(cell):
                continue
            checked += 1
            assert released[gid].source.strip() == "YOUR ANSWER HERE", (name, gid)
            course_text = (ROOT / "course" / name).glob("*.ipynb")
            text = "\n".join(p.read_text() for p in course_text)
            for line in written.solution_region(cell.source).splitlines():
                if len(line.strip()) > 20:
                    assert line.strip() not in text, (name, gid, line)
    assert checked >= 1


def test_the_setting_is_read_from_pyproject(tmp_path):
    assert written.setting() in written.MODES
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.dlcourse.grading]\nwritten_answers = "ungraded"\n')
    assert written.setting(path) == "ungraded"
    path.write_text("[project]\nname = 'x'\n")
    assert written.setting(path) == "graded"
    path.write_text('[tool.dlcourse.grading]\nwritten_answers = "skip"\n')
    with pytest.raises(ValueError, match="graded"):
        written.setting(path)


def test_scores_and_notes_under_both_settings():
    waiting = written.Tally(points=2.0, scored=0.0, waiting=1)
    assert written.counted(9.0, 11.0, waiting, "graded") == (9.0, 11.0)
    assert written.counted(9.0, 11.0, waiting, "ungraded") == (9.0, 9.0)
    assert written.counted(None, None, waiting, "ungraded") == (None, None)
    assert "1 to grade by hand" in waiting.note("graded")
    assert waiting.note("ungraded") == "ungraded: 2 points not counted"
    done = written.Tally(points=2.0, scored=1.5, waiting=0)
    assert written.counted(10.5, 11.0, done, "ungraded") == (9.0, 9.0)
    assert "1.5 of 2" in done.note("graded")
    assert written.Tally().note("ungraded") == ""


def test_solution_region():
    assert written.solution_region(f"### BEGIN SOLUTION\n{MODEL}\n### END SOLUTION\n") == MODEL
    assert written.solution_region("no markers") == ""
