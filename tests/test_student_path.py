"""The student's path: student-style answers run every course notebook and earn full marks.

``tests/student_answers/<assignment>.py`` holds, for every graded exercise, an answer
written from the exercise text alone, the way students write (their own names,
``nn.Module`` subclasses, loops, the minimum the text asks for). Filled into the
``course/`` notebooks they must

1. score full marks in one grading batch of all assignments (the real ``make grade`` driver,
   which runs each notebook top to bottom in fast mode), and
2. run every cell of that batch without an error: the autograded notebooks keep every
   cell's output, so one execution per notebook checks both (a second, plain run would
   double the time for the same cells).

The same batch grades attacks on the trained-model exercises: a ``digits_model`` that looks
the shipped labels up, or that is a nearest neighbour over the shipped images. Both would
have scored when the grader judged ``predict_digits`` on the shipped test digits (checked
below, on those digits); now the grader runs only the exported network on fresh digits,
and they earn none of those points. Likewise 03's engine ``model`` whose ``__call__``
hard-codes the XOR rule over untrained layers (tests/test_known_wrong.py shows it scored
under the old probe): the grader runs its exported weights, and it earns nothing there.

The batch grades only the assignments the selected tests look at (``-k 03`` grades 03).
"""
from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from roundtrip import read_report
from submissions import XOR_RULE_ATTACK, answer_cells, blank, points, submit, with_answer

from autograder.grade import Options, grade_all
from autograder.nbgrader_cli import assignments

HERE = Path(__file__).resolve().parent
ANSWERS_DIR = HERE / "student_answers"
DIGITS_TEST = "test_predict_digits"

# A digits_model that looks the label of each shipped image up by its bytes: 100 % on the
# shipped test digits, and no model at all.
LOOKUP_ATTACK = """
import numpy as np
_shipped = data.digits()
_labels = {}
for _X, _y in ((_shipped.X_train, _shipped.y_train), (_shipped.X_test, _shipped.y_test)):
    for _row, _label in zip(_X, _y):
        _labels[np.asarray(_row, dtype=np.float32).tobytes()] = int(_label)


class LookupModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.unused = nn.Linear(1, 1)

    def forward(self, x):
        flat = x.detach().cpu().numpy().reshape(len(x), -1).astype(np.float32)
        found = [_labels.get(row.tobytes(), 0) for row in flat]
        return torch.nn.functional.one_hot(torch.tensor(found), 10).float()
"""

# A digits_model that is a 1-nearest-neighbour classifier over every shipped image.
NEIGHBOUR_ATTACK = """
_shipped = data.digits()


class NearestNeighbour(nn.Module):
    def __init__(self):
        super().__init__()
        X = np.concatenate([_shipped.X_train, _shipped.X_test]).reshape(-1, 64)
        self.register_buffer("images", torch.tensor(X, dtype=torch.float32))
        self.register_buffer("labels", torch.tensor(np.concatenate([_shipped.y_train, _shipped.y_test])))
        self.unused = nn.Linear(1, 1)

    def forward(self, x):
        nearest = torch.cdist(x.reshape(len(x), -1).float(), self.images).argmin(dim=1)
        return torch.nn.functional.one_hot(self.labels[nearest], 10).float()
"""

# How each trained-model exercise's answer cell is replaced by an attack: (assignment, answer
# cell, the test cell that must give nothing, source) in the notebook's own input format (02's
# model reads standardised pixels, so it un-standardises them first).
ATTACKS = {
    "attack-lookup-02": ("02-mlp", "train_digits", DIGITS_TEST, LOOKUP_ATTACK + """

class Unstandardised(LookupModel):
    def forward(self, x):
        return super().forward(x * digits_scale + digits_mean)


def train_digits(X_train, y_train):
    return Unstandardised()
"""),
    "attack-lookup-05": ("05-cnn", "predict_digits", DIGITS_TEST, LOOKUP_ATTACK + """
digits_model = LookupModel()
digits_history = {"loss": [1.0], "val_loss": [1.0], "accuracy": [1.0], "val_accuracy": [1.0]}


def predict_digits(X):
    return digits_model(torch.tensor(np.asarray(X, dtype=np.float32))).argmax(1).numpy()
"""),
    "attack-neighbour-07": ("07-resnet", "predict_digits", DIGITS_TEST, NEIGHBOUR_ATTACK + """
resnet = NearestNeighbour()
resnet_history = {"loss": [1.0], "val_loss": [1.0], "accuracy": [1.0], "val_accuracy": [1.0], "seconds": [0.0]}


def predict_digits(X):
    return resnet(torch.tensor(np.asarray(X, dtype=np.float32))).argmax(1).numpy()
"""),
    "attack-xor-rule-03": ("03-backprop", "train_engine", "test_train_engine", XOR_RULE_ATTACK),
}


def student_answers(assignment: str) -> dict[str, str]:
    path = ANSWERS_DIR / f"{assignment.replace('-', '_')}.py"
    spec = importlib.util.spec_from_file_location(f"student_answers_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ANSWERS


def answered(assignment: str) -> nbformat.NotebookNode:
    """The course notebook with every answer cell holding the student-style answer."""
    nb = blank(assignment)
    for grade_id, source in student_answers(assignment).items():
        nb = with_answer(nb, grade_id, source)
    return nb


def test_every_exercise_has_a_student_answer():
    for name in assignments():
        missing = sorted(set(answer_cells(blank(name))) - set(student_answers(name)))
        extra = sorted(set(student_answers(name)) - set(answer_cells(blank(name))))
        assert not missing and not extra, f"{name}: no student answer for {missing}; unknown cells {extra}"


def selected_assignments(items) -> set[str]:
    """The assignments that the selected tests using the ``graded`` batch look at."""
    wanted = set()
    for item in items:
        if "graded" not in getattr(item, "fixturenames", ()):
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "name" in params:
            wanted.add(params["name"])
        elif "student" in params:
            wanted.add(ATTACKS[params["student"]][0])
        else:
            return set(assignments())
    return wanted


@pytest.fixture(scope="module")
def graded(tmp_path_factory, request):
    """One grading batch: the selected assignments answered student-style, and their attacks."""
    workdir = tmp_path_factory.mktemp("student-path")
    wanted = selected_assignments(request.session.items)
    expected = {}
    for name in sorted(wanted):
        submit(answered(name), workdir, f"student-{name}", name)
        expected[f"student-{name}"] = (name, sum(points(name).values()))
    for student, (name, answer_id, test_id, source) in ATTACKS.items():
        if name not in wanted:
            continue
        submit(with_answer(answered(name), answer_id, source), workdir, student, name)
        expected[student] = (name, sum(points(name).values()) - points(name)[test_id])
    start = time.perf_counter()
    grade_all(workdir, Options(jobs=2, progress=False))
    print(f"grading batch: {time.perf_counter() - start:.1f} s")
    return workdir, expected, read_report(workdir)


def raised_cells(workdir: Path, student: str) -> list[str]:
    """The cells of an autograded notebook that raised (graded test cells hold the verdict instead)."""
    nb = nbformat.read(next((workdir / "autograded" / student).rglob("*.ipynb")), as_version=4)
    errors = []
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(f"cell {i}: {output.get('ename')}: {str(output.get('evalue'))[:300]}")
    return errors


def feedback(workdir: Path, student: str, name: str) -> str:
    files = list((workdir / "feedback" / student / name).glob("*.html"))
    return files[0].read_text() if files else "(no feedback)"


@pytest.mark.parametrize("name", assignments())
def test_student_answers_run_every_cell(graded, name):
    workdir, _, _ = graded
    errors = raised_cells(workdir, f"student-{name}")
    assert not errors, f"{name} with the student-style answers: {errors}"


@pytest.mark.parametrize("name", assignments())
def test_student_answers_score_full_marks(graded, name):
    workdir, expected, report = graded
    student = f"student-{name}"
    row = report[student]
    assert row["status"] == "graded", row["reason"]
    if float(row["score"]) != pytest.approx(expected[student][1]):
        html = feedback(workdir, student, name)
        failed = [line for line in html.splitlines() if "hidden check(s) passed" in line or "  - " in line]
        pytest.fail(f"{student} scored {row['score']} of {expected[student][1]}: {failed[:10]}")


@pytest.mark.parametrize("student", sorted(ATTACKS))
def test_an_attack_on_a_trained_model_earns_none_of_its_points(graded, student):
    workdir, expected, report = graded
    name, _, test_id, _ = ATTACKS[student]
    assert report[student]["status"] == "graded", report[student]["reason"]
    assert float(report[student]["score"]) == pytest.approx(expected[student][1]), \
        f"{student} scored {report[student]['score']}, expected {expected[student][1]} (no trained-model points)"
    assert f"{test_id}: 0 of" in feedback(workdir, student, name)


def test_the_attacks_would_have_scored_on_the_shipped_test_digits():
    """The attacks are real: on the shipped test digits (what the grader used to judge) they are perfect."""
    import torch
    from torch import nn

    from dlcourse import data

    scope = {"np": np, "torch": torch, "nn": nn, "data": data}
    exec(LOOKUP_ATTACK + NEIGHBOUR_ATTACK, scope)  # noqa: S102 - our own attack code
    split = data.digits()
    X = torch.tensor(split.X_test)
    for model in (scope["LookupModel"](), scope["NearestNeighbour"]()):
        accuracy = float((model(X).argmax(1).numpy() == split.y_test).mean())
        assert accuracy == 1.0, f"{type(model).__name__}: {accuracy}"

