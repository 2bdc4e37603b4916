"""A known-wrong answer for every graded exercise loses exactly that exercise's points.

The mistakes live in ``tests/known_wrong/<assignment>.py``. Each is judged directly, the
grader's way but without kernels or sandboxes, so that all of them fit in a short run:

1. once per assignment, the grader's own ``InjectCases`` draws the cases (fixed seed), and
   the solution notebook's code cells run in this process, in order, in fast mode
   (``tests/conftest.py``): every answer and test cell, and every other cell they take a
   name from (demonstrations that no graded cell depends on are left out); the probes in
   the test cells record their answers through the codec exactly as in a kernel;
2. for a mistake, its source replaces the answer cell and runs, then every later cell that
   reads a name the mistake changed, directly or through such cells (and that a graded cell
   depends on), runs again, as the notebook would run it; the namespace is restored afterwards;
3. every test cell's recorded outputs are judged by the oracle (``autograder.oracle.judge``),
   turned into the cell outputs the grading preprocessor writes (``verdict_outputs``) and
   scored by nbgrader (``determine_grade``): the mistaken exercise must score 0, every other
   one (but the declared ``also_fails``) full marks, and the message must name the mistake.

The hidden part of the mistaken test cell also runs on its own, so the oracle is shown to
reject the mistake even where the visible self-check catches it first.

The same in-process run grades an attack on 03's exercise 8 (a ``model`` whose ``__call__``
hard-codes the XOR rule over untrained layers): it scored under the old probe, which asked
the student's ``model`` for the classes of fresh points, and scores 0 now that the grader runs
the exported weights.
"""
from __future__ import annotations

import ast
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from nbformat.v4 import new_code_cell, new_output
from nbgrader.utils import determine_grade

from autograder.nbgrader_cli import assignments
from autograder.oracle import judge, load_oracle
from autograder.preprocessors import RESOURCE_KEY, InjectCases, verdict_outputs
from dlcourse.data import xor_blobs
from dlcourse.grading import CASES_ENV
from known_wrong import Mistake, mistakes, round_trip_mistake
from submissions import XOR_RULE_ATTACK, answer_cells, nbgrader_meta, points, read, with_answer

SEED = 14  # the grader's cases for every assignment; change it to replay the checks on others
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
ASSIGNMENTS = assignments()
ALL_MISTAKES = [(a, m) for a in ASSIGNMENTS for m in mistakes(a)]


# ---------------------------------------------------------------- running cells in-process


def run_cell(source: str, ns: dict, name: str) -> list[dict]:
    """Execute ``source`` in ``ns``; its display outputs and error as a kernel would record them."""
    error = None
    with capture_output() as captured:
        try:
            exec(compile(source, name, "exec"), ns)  # noqa: S102 - the course's own notebooks
        except Exception as exc:  # noqa: BLE001 - a failing cell is what a mistake may cause
            error = new_output("error", ename=type(exc).__name__, evalue=str(exc), traceback=[])
    plt.close("all")
    outputs = [new_output("display_data", data=o.data, metadata=o.metadata or {}) for o in captured.outputs]
    return json.loads(json.dumps(outputs + ([error] if error else [])))  # as stored in a notebook


@contextmanager
def cases_file(path: str):
    """Point the probes at the grader's cases for the duration of a run."""
    os.environ[CASES_ENV] = path
    try:
        yield
    finally:
        os.environ.pop(CASES_ENV, None)


def hidden_part(source: str) -> str:
    begin, end = source.index(HIDDEN[0]), source.index(HIDDEN[1])
    return source[begin + len(HIDDEN[0]):end]


def bound_names(source: str) -> set[str]:
    """Names a cell binds at top level (assignments, defs, classes, imports, loop targets)."""
    names = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return names


def free_names(source: str) -> set[str]:
    """Names a cell reads before binding them itself: what it takes from earlier cells.

    Reads inside a function or class body count unless the body binds the name, or the
    cell binds it at top level (the function runs later, most often after that binding).
    """
    reads = _Reads()
    reads.visit(ast.parse(source))
    return reads.free | (reads.deferred - reads.bound)


def function_reads(source: str) -> dict[str, set[str]]:
    """{name: names it reads from outside} for each top-level function and class of a cell."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = _outside_reads(node)
    return found


def _outside_reads(node) -> set[str]:
    """Names a function, lambda or class reads that it does not bind itself."""
    local = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    local |= {a.arg for n in ast.walk(node) if isinstance(n, ast.arguments)
              for a in n.posonlyargs + n.args + n.kwonlyargs + [n.vararg, n.kwarg] if a is not None}
    local |= {n.name for n in ast.walk(node) if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n is not node}
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - local


class _Reads(ast.NodeVisitor):
    """Walks a cell in evaluation order: a read of a name not yet bound comes from outside."""

    def __init__(self):
        self.bound, self.free, self.deferred = set(), set(), set()

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            if node.id not in self.bound:
                self.free.add(node.id)
        else:
            self.bound.add(node.id)

    def visit_Assign(self, node):
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_AugAssign(self, node):
        if isinstance(node.target, ast.Name) and node.target.id not in self.bound:
            self.free.add(node.target.id)
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node):
        self.visit(node.iter)
        self.visit(node.target)
        for child in node.body + node.orelse:
            self.visit(child)

    def _comprehension(self, node):
        for generator in node.generators:
            self.visit(generator)
        for part in ("elt", "key", "value"):
            if hasattr(node, part):
                self.visit(getattr(node, part))

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    def visit_comprehension(self, node):
        self.visit(node.iter)
        self.visit(node.target)
        for condition in node.ifs:
            self.visit(condition)

    def visit_Import(self, node):
        self.bound.update((a.asname or a.name).split(".")[0] for a in node.names)

    visit_ImportFrom = visit_Import

    def _deferred(self, node):
        for expr in getattr(node, "decorator_list", []) + getattr(node, "bases", []):
            self.visit(expr)
        self.deferred |= _outside_reads(node)
        if hasattr(node, "name"):
            self.bound.add(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = _deferred


# ---------------------------------------------------------------- one assignment


@dataclass
class Cell:
    """A code cell of a solution notebook and the names it binds and takes from earlier cells."""

    index: int
    source: str
    answer_id: str | None = None
    test_id: str | None = None
    binds: set[str] = field(default_factory=set)
    reads: set[str] = field(default_factory=set)


def needed(cells: list[Cell]) -> list[Cell]:
    """The graded cells among ``cells`` and the other cells they take names from, in order.

    A backward slice: walking from the last cell to the first, a cell that is neither an
    answer nor a test is kept only if it binds a name that a kept cell after it reads.
    """
    kept, wanted = [], set()
    for cell in reversed(cells):
        if cell.answer_id or cell.test_id or cell.binds & wanted:
            kept.append(cell)
            wanted = (wanted - cell.binds) | cell.reads
    return kept[::-1]



@dataclass
class Graded:
    """What the grader would give: points per test cell and its messages."""

    earned: dict[str, float]
    messages: dict[str, list[str]]
    oracle_messages: list[str] = field(default_factory=list)
    """The mistaken exercise judged on its hidden probe alone (visible self-check skipped)."""
    oracle_passed: int = -1
    """How many of the oracle's cases the mistake passes on its hidden probe alone."""


class NotebookRun:
    """The solution notebook of one assignment run in-process, with the grader's cases."""

    def __init__(self, assignment: str):
        self.assignment = assignment
        self.nb = read("solutions", assignment)
        self.points = points(assignment)
        self.cells = [self._cell(i, c) for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
        resources = {"nbgrader": {"assignment": assignment}}
        InjectCases(seed=SEED).preprocess(self.nb, resources)
        self.state = resources[RESOURCE_KEY]
        self.cases_path = os.environ.pop(CASES_ENV)
        self.ns: dict = {"__name__": "__main__"}
        self.cells = needed(self.cells)  # demonstrations no exercise depends on are left out
        with cases_file(self.cases_path):
            outputs = {c.index: run_cell(c.source, self.ns, f"<{assignment} cell {c.index}>") for c in self.cells}
        self.reference = self._grade(outputs)

    @staticmethod
    def _cell(index, cell) -> Cell:
        meta = nbgrader_meta(cell)
        answer = meta.get("grade_id") if meta.get("solution") else None
        test = meta.get("grade_id") if meta.get("grade") and not meta.get("solution") else None
        return Cell(index, cell.source, answer, test, bound_names(cell.source), free_names(cell.source))

    def close(self):
        shutil.rmtree(self.state["workdir"], ignore_errors=True)

    def score(self, grade_id: str, outputs: list[dict]) -> tuple[float, list[str], int]:
        """(points, messages, cases passed) for a test cell's outputs, as the grader scores them."""
        exercise, points = self.state["exercises"][grade_id], self.points[grade_id]
        verdict = judge(exercise, self.state["cases"][grade_id], outputs)
        cell = new_code_cell("", metadata={"nbgrader": {"grade": True, "solution": False, "points": points,
                                                        "grade_id": grade_id}})
        cell.outputs = verdict_outputs(grade_id, verdict, points, exercise.partial)
        return float(determine_grade(cell)[0]), verdict.messages, verdict.passed

    def _grade(self, outputs: dict[int, list]) -> Graded:
        earned, messages = {}, {}
        for cell in self.cells:
            if cell.test_id and cell.index in outputs:
                earned[cell.test_id], messages[cell.test_id], _ = self.score(cell.test_id, outputs[cell.index])
        return Graded(earned, messages)

    def with_mistake(self, mistake: Mistake) -> Graded:
        """Grades of the notebook whose answer cell holds the mistake (the namespace is restored)."""
        answer = next(c for c in self.cells if c.answer_id == mistake.answer_id)
        test = next(c for c in self.cells if c.test_id == mistake.test_id)
        source = answer_cells(with_answer(self.nb, mistake.answer_id, mistake.source))[mistake.answer_id].source
        rerun = needed(self._affected(answer, source))
        snapshot = dict(self.ns)
        try:
            with cases_file(self.cases_path):
                outputs = {answer.index: run_cell(source, self.ns, f"<mistake {mistake.answer_id}>")}
                for cell in rerun:
                    outputs[cell.index] = run_cell(cell.source, self.ns, f"<{self.assignment} cell {cell.index}>")
                alone = run_cell(hidden_part(test.source), self.ns, f"<hidden part of {test.test_id}>")
        finally:
            self.ns.clear()
            self.ns.update(snapshot)
        graded = self._grade(outputs)
        graded.earned = {**self.reference.earned, **graded.earned}
        graded.messages = {**self.reference.messages, **graded.messages}
        _, graded.oracle_messages, graded.oracle_passed = self.score(mistake.test_id, alone)
        return graded

    def _affected(self, answer: Cell, source: str) -> list[Cell]:
        """The cells after ``answer`` that read a name the mistake changed, directly or not.

        A name is changed from the answer cell on, until a cell that is not rerun binds it
        again. A function that reads a changed name changes with it, wherever it is defined
        (its globals are looked up when it runs).
        """
        functions = [(name, reads) for c in self.cells if c is not answer
                     for name, reads in function_reads(c.source).items()]
        start = bound_names(source) | answer.binds
        while True:
            rerun, changed, ever = [], set(start), set(start)
            for cell in self.cells:
                if cell.index <= answer.index:
                    continue
                if cell.reads & changed:
                    rerun.append(cell)
                    changed |= cell.binds
                    ever |= cell.binds
                else:
                    changed -= cell.binds
            more = {name for name, reads in functions if reads & ever} - start
            if not more:
                return rerun
            start |= more


@pytest.fixture(scope="module")
def notebook_run():
    """``notebook_run(assignment)``: the in-process run of that assignment, made once."""
    InteractiveShell.instance()  # display() inside cells then publishes outputs we can capture
    cache: dict[str, NotebookRun] = {}

    def get(assignment: str) -> NotebookRun:
        if assignment not in cache:
            cache[assignment] = NotebookRun(assignment)
        return cache[assignment]

    yield get
    for run in cache.values():
        run.close()
    InteractiveShell.clear_instance()  # later tests in this worker see no shell, as before


# ---------------------------------------------------------------- the tests


def test_every_graded_exercise_has_one_known_wrong_answer():
    for assignment in ASSIGNMENTS:
        covered = [m.test_id for m in mistakes(assignment)]
        assert sorted(covered) == sorted(points(assignment)), assignment
        round_trip_mistake(assignment)  # exactly one is graded in the sandboxed round trip


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_reference_scores_full_marks_in_process(notebook_run, assignment):
    run = notebook_run(assignment)
    assert run.reference.earned == run.points, run.reference.messages


@pytest.mark.parametrize("assignment, mistake", ALL_MISTAKES,
                         ids=[f"{a}-{m.test_id}" for a, m in ALL_MISTAKES])
def test_known_wrong_answer_loses_exactly_its_points(notebook_run, assignment, mistake):
    run = notebook_run(assignment)
    graded = run.with_mistake(mistake)
    lost = {gid for gid, pts in graded.earned.items() if pts < run.points[gid]}
    assert lost == {mistake.test_id, *mistake.also_fails}, graded.messages
    assert all(graded.earned[gid] == 0 for gid in lost), graded.earned
    message = " ".join(graded.messages[mistake.test_id])
    missing = [word for word in mistake.names if word.lower() not in message.lower()]
    assert not missing, f"the grader's message does not mention {missing}: {message}"
    total = len(run.state["cases"][mistake.test_id] or [None])
    assert graded.oracle_passed < total, f"the oracle alone accepts the mistake: {graded.oracle_messages}"
    alone = " ".join(graded.oracle_messages)
    missing = [word for word in mistake.oracle_names if word.lower() not in alone.lower()]
    assert not missing, f"the oracle's own message does not mention {missing}: {alone}"


# ---------------------------------------------------------------- an attack on 03's exercise 8

# Exercise 8's probe before the export: the student's model decided the classes of the
# grader's fresh points, and the oracle gave the points at XOR_ACCURACY.
OLD_PREDICT_POINTS = """
def predict_points(points):
    points = np.asarray(points, dtype=np.float64)
    return np.array([int(model(list(p))[0].data > 0) for p in points], dtype=np.int64)
"""


def test_a_model_that_hard_codes_the_xor_rule_earns_nothing(notebook_run):
    run = notebook_run("03-backprop")
    oracle, grade_id = load_oracle("03-backprop"), "test_train_engine"
    (case,) = run.state["cases"][grade_id]
    X, y = xor_blobs(n=oracle.XOR_POINTS, seed=case.seed)
    old = dict(run.ns)
    exec(XOR_RULE_ATTACK + OLD_PREDICT_POINTS, old)  # noqa: S102 - our own attack code
    old_accuracy = float((old["predict_points"](X) == y).mean())
    assert old_accuracy >= oracle.XOR_ACCURACY, f"the attack would not have scored: {old_accuracy}"

    attack = Mistake(answer_id="train_engine", test_id=grade_id, source=XOR_RULE_ATTACK,
                     names=("differently from model",))
    graded = run.with_mistake(attack)
    print(f"old grading: {old_accuracy:.1%} of fresh points, {run.points[grade_id]} points; now: "
          f"{graded.earned[grade_id]} points ({graded.messages[grade_id]}); oracle alone: {graded.oracle_messages}")
    assert graded.earned == {**run.points, grade_id: 0.0}, graded.messages
    assert "differently from model" in " ".join(graded.messages[grade_id])
    assert graded.oracle_passed == 0, "the oracle alone accepts the untrained weights"
    assert "fresh points" in " ".join(graded.oracle_messages)
