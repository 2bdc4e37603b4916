"""The conventions every notebook follows (issue 15; NOTEBOOK-CONVENTIONS), checked on each one.

Each rule is a pure function of a notebook that returns its problems (an empty list when it
holds); the functions are unit-tested on tiny notebooks made here, so they can fail, and then
run over every notebook of solutions/:

- time estimates: every ``## `` heading ends with ``(about N min)``, the first markdown cell
  says ``**Time:** about T min`` with T the sum, and no section is estimated below the rule
  (150 words a minute of reading, 10 min per coding exercise, 3 per question, 10 for the
  written answer, rounded up to 5 min: run time only adds to that);
- validation discipline (02 on): no code cell but those tagged ``test-split`` names a
  ``*_test`` variable;
- questions: a graded notebook has at least 4 questions (``test_q_*``) and one written
  answer (``written_*``);
- no exercise gives its answer away: no line of a solution region appears verbatim in the
  markdown or in the visible part of a test cell.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.nbgrader_cli import SOLUTIONS

MIN_QUESTIONS = 4
READING_WPM = 150
MINUTES = {"exercise": 10, "question": 3, "written": 10}
HEADING_TIME = re.compile(r"\(about (\d+) min\)\s*$")
NOTEBOOK_TIME = re.compile(r"^\*\*Time:\*\* about (\d+) min", re.M)
TEST_NAME = re.compile(r"\b[A-Za-z]\w*_test\b")
TEST_SPLIT_TAG = "test-split"
SHORTEST_TELLING_LINE = 16  # characters: shorter solution lines (return w, pass) give nothing away

QUESTION_ANSWER = re.compile(r"^\s*Q_[A-Z0-9_]+\s*=", re.M)

# Library calls the text names when it describes a training loop or a seed: showing one
# solves nothing (what to compute around it is the exercise).
LIBRARY_IDIOMS = {"optimizer.zero_grad()", "optimizer.step()", "loss.backward()", "with torch.no_grad():",
                  "for group in optimizer.param_groups:", "dlcourse.seed(0)"}


def nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell) -> str:
    return nbgrader(cell).get("grade_id", "")


def is_answer(cell) -> bool:
    return bool(nbgrader(cell).get("solution"))


def is_test(cell) -> bool:
    return bool(nbgrader(cell).get("grade")) and not is_answer(cell)


def kind_of_answer(cell) -> str:
    """'written', 'question' or 'exercise' for an answer cell."""
    if cell.cell_type == "markdown":
        return "written"
    return "question" if is_question(cell) else "exercise"


def is_question(cell) -> bool:
    """A question's answer cell sets one ``Q_NAME`` (id ``q_*``); its test cell (id ``test_q_*``)
    records that value with ``probe_value``. ``q_from_v`` (a function) is an exercise."""
    gid = grade_id(cell)
    if is_answer(cell):
        return gid.startswith("q_") and QUESTION_ANSWER.search(cell.source) is not None
    return gid.startswith("test_q_") and "probe_value(" in cell.source


def sections(nb) -> list[tuple[str, list]]:
    """(heading line, cells) for every ``## `` section, its heading cell included."""
    found = []
    for cell in nb.cells:
        heading = next((ln for ln in cell.source.splitlines() if ln.startswith("## ")), None)
        if cell.cell_type == "markdown" and heading:
            found.append((heading, [cell]))
        elif found:
            found[-1][1].append(cell)
    return found


def least_minutes(cells) -> int:
    """The rule's estimate of a section without its run time, rounded up to 5 min."""
    words = sum(len(c.source.split()) for c in cells if c.cell_type == "markdown" and not is_answer(c))
    minutes = words / READING_WPM + sum(MINUTES[kind_of_answer(c)] for c in cells if is_answer(c))
    return 5 * max(1, math.ceil(minutes / 5 - 1e-9))


def time_problems(nb) -> list[str]:
    problems, total = [], 0
    for heading, cells in sections(nb):
        hit = HEADING_TIME.search(heading)
        if not hit:
            problems.append(f"heading {heading!r} does not end with '(about N min)'")
            continue
        total += int(hit.group(1))
        if int(hit.group(1)) < least_minutes(cells):
            problems.append(f"{heading!r}: {hit.group(1)} min is below the rule's {least_minutes(cells)} min")
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    hit = NOTEBOOK_TIME.search(first.source) if first else None
    if not hit:
        problems.append("the first markdown cell has no line '**Time:** about T min'")
    elif sections(nb) and int(hit.group(1)) != total:
        problems.append(f"the notebook says about {hit.group(1)} min, its sections add up to {total} min")
    return problems


def held_out_problems(nb) -> list[str]:
    """Code cells, other than those tagged test-split, that name a *_test variable."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or TEST_SPLIT_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        names = sorted(set(TEST_NAME.findall(cell.source)))
        if names:
            problems.append(f"cell {i} uses {', '.join(names)} without the {TEST_SPLIT_TAG!r} tag")
    return problems


def question_problems(nb) -> list[str]:
    graded = [c for c in nb.cells if is_test(c) or is_answer(c)]
    if not graded:
        return []
    questions = [grade_id(c) for c in nb.cells if is_test(c) and is_question(c)]
    written = [grade_id(c) for c in nb.cells if is_answer(c) and c.cell_type == "markdown"
               and grade_id(c).startswith("written_") and nbgrader(c).get("grade")]
    problems = []
    if len(questions) < MIN_QUESTIONS:
        problems.append(f"{len(questions)} questions (test_q_*), at least {MIN_QUESTIONS} expected")
    if len(written) != 1:
        problems.append(f"{len(written)} written answers (written_*), exactly one expected")
    return problems


def solution_lines(cell) -> list[str]:
    """The telling lines of an answer cell's solution region: no comments, no short ones."""
    lines, inside = [], False
    for line in cell.source.splitlines():
        text = line.strip()
        if text == "### BEGIN SOLUTION":
            inside = True
        elif text == "### END SOLUTION":
            inside = False
        elif inside and cell.cell_type == "code":
            code = text.split("  #")[0].strip()
            opens_a_block = code.endswith(("{", "(", "["))  # GATE_WEIGHTS = {  names, does not solve
            if len(code) >= SHORTEST_TELLING_LINE and not code.startswith("#") and not opens_a_block \
                    and code not in LIBRARY_IDIOMS:
                lines.append(code)
    return lines


def visible_part(cell) -> str:
    return cell.source.split("### BEGIN HIDDEN TESTS")[0]


def give_away_problems(nb) -> list[str]:
    """Solution lines that the markdown or a visible self-check shows verbatim."""
    shown = [(f"markdown cell {i}", c.source) for i, c in enumerate(nb.cells)
             if c.cell_type == "markdown" and not is_answer(c)]
    shown += [(f"self-check {grade_id(c)}", visible_part(c)) for c in nb.cells if is_test(c)]
    problems = []
    for cell in nb.cells:
        if not is_answer(cell):
            continue
        for line in solution_lines(cell):
            for where, text in shown:
                if line in text:
                    problems.append(f"{grade_id(cell)}: {where} shows the solution line {line!r}")
    return problems


# ------------------------------------------------------------------ the rules on tiny notebooks


def answer(gid, source, markdown=False, grade=False, points=None):
    meta = {"nbgrader": {"grade_id": gid, "solution": True, "grade": grade, "locked": False,
                         "schema_version": 3, "task": False, **({"points": points} if points else {})}}
    return (new_markdown_cell if markdown else new_code_cell)(source, metadata=meta)


def graded_cell(gid, source, points=1):
    return new_code_cell(source, metadata={"nbgrader": {"grade_id": gid, "grade": True, "solution": False,
                                                        "locked": True, "points": points, "schema_version": 3}})


def tiny(*cells) -> nbformat.NotebookNode:
    return new_notebook(cells=list(cells))


SOLVED = "def f(x):\n    ### BEGIN SOLUTION\n    return np.maximum(x, 0.0) * 2.0\n    ### END SOLUTION"


def test_time_estimates_are_parsed_summed_and_held_to_the_rule():
    good = tiny(new_markdown_cell("# T\n\n**Time:** about 20 min (150 words a minute, 10 per exercise)"),
                new_markdown_cell("## 1. One (about 15 min)"), answer("f", SOLVED),
                new_markdown_cell("## 2. Two (about 5 min)"), new_markdown_cell("a few words"))
    assert time_problems(good) == []
    wrong_sum = tiny(new_markdown_cell("**Time:** about 25 min"), *good.cells[1:])
    assert "add up to 20" in time_problems(wrong_sum)[0]
    no_estimate = tiny(good.cells[0], new_markdown_cell("## 1. One"), *good.cells[2:])
    assert "does not end with" in time_problems(no_estimate)[0]
    too_short = tiny(new_markdown_cell("**Time:** about 10 min"), new_markdown_cell("## 1. One (about 5 min)"),
                     answer("f", SOLVED), new_markdown_cell("## 2. Two (about 5 min)"))
    assert "below the rule's 15 min" in time_problems(too_short)[0]  # 10 min of coding, a few words
    assert "no line" in time_problems(tiny(new_markdown_cell("# no time")))[0]


def test_only_cells_tagged_test_split_name_test_data():
    untagged = tiny(new_code_cell("acc = evaluate(model, X_test, y_test)"))
    assert "X_test, y_test" in held_out_problems(untagged)[0]
    tagged = tiny(new_code_cell("acc = evaluate(model, X_test, y_test)", metadata={"tags": ["test-split"]}))
    assert held_out_problems(tagged) == []
    assert held_out_problems(tiny(new_code_cell('probe("test_q_lr", Q_LR)\nX_val = X_latest'))) == []


def test_a_graded_notebook_needs_four_questions_and_one_written_answer():
    questions = [graded_cell(f"test_q_{k}", f"Q = check_choice(Q, 'abcd')\nprobe_value('test_q_{k}', Q)")
                 for k in "abcd"]
    written = answer("written_x", "### BEGIN SOLUTION\n**Model answer.**\n### END SOLUTION",
                     markdown=True, grade=True, points=2)
    assert question_problems(tiny(*questions, written)) == []
    assert "3 questions" in question_problems(tiny(*questions[:3], written))[0]
    assert "0 written answers" in question_problems(tiny(*questions))[0]
    assert question_problems(tiny(new_markdown_cell("no exercise here"))) == []


def test_a_solution_line_in_the_statement_or_the_self_check_is_found():
    statement = new_markdown_cell("Compute `return np.maximum(x, 0.0) * 2.0` and you are done.")
    assert "markdown cell 0" in give_away_problems(tiny(statement, answer("f", SOLVED)))[0]
    check = graded_cell("test_f", "ref = lambda x: np.maximum(x, 0.0) * 2.0\ncheck_close(f(x), ref(x))")
    assert give_away_problems(tiny(answer("f", SOLVED), check)) == []  # not the same line
    check = graded_cell("test_f", "def ref(x):\n    return np.maximum(x, 0.0) * 2.0\ncheck_close(f(1.0), ref(1.0))")
    assert "self-check test_f" in give_away_problems(tiny(answer("f", SOLVED), check))[0]
    hidden = graded_cell("test_f", "check_close(f(1.0), 2.0)\n### BEGIN HIDDEN TESTS\nreturn np.maximum(x, 0.0) * 2.0")
    assert give_away_problems(tiny(answer("f", SOLVED), hidden)) == []
    short = "def g(w):\n    ### BEGIN SOLUTION\n    return w\n    ### END SOLUTION"
    assert give_away_problems(tiny(new_markdown_cell("return w"), answer("g", short))) == []


# ------------------------------------------------------------------ every notebook of solutions/


def notebooks() -> list[Path]:
    return sorted(SOLUTIONS.glob("*/*.ipynb"))


def cases(paths: list[Path]) -> list:
    """One pytest case per notebook, named after its folder."""
    return [pytest.param(p, id=p.parent.name) for p in paths]


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", cases(notebooks()))
def test_time_estimates(path):
    assert time_problems(read(path)) == []


@pytest.mark.parametrize("path", cases([p for p in notebooks() if p.parent.name >= "02"]))
def test_validation_discipline(path):
    assert held_out_problems(read(path)) == []


@pytest.mark.parametrize("path", cases(notebooks()))
def test_questions_and_a_written_answer(path):
    assert question_problems(read(path)) == []


@pytest.mark.parametrize("path", cases(notebooks()))
def test_no_statement_or_self_check_gives_the_solution_away(path):
    assert give_away_problems(read(path)) == []
