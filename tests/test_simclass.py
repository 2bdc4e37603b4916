"""The simulated class generator (tests/simclass.py) builds what it promises, without grading."""
import nbformat
import pytest
from known_wrong import mistakes
from simclass import ATTACK_ASSIGNMENT, build_class, kinds_of
from submissions import answer_cells, points

from autograder.grade import SAFE_NAME

TWO = ("01-perceptron", "02-mlp")


def submitted(workdir, student, assignment):
    return next((workdir / "submitted" / student / assignment).glob("*.ipynb"))


def test_every_kind_once_before_any_twice_and_ids_are_safe(tmp_path):
    per_assignment = max(len(kinds_of(name)) for name in TWO)
    expected = build_class(tmp_path, 2 * per_assignment, seed=3, assignments=TWO)
    assert len(expected) == 2 * per_assignment
    for name in TWO:  # students alternate between the two assignments
        kinds = [s.split("-", 1)[1] for s, (a, _) in expected.items() if a == name]
        first = kinds[:len(kinds_of(name))]
        assert sorted(first) == sorted(kinds_of(name)), name
    assert all(SAFE_NAME.match(s) for s in expected)
    assert sorted(p.name for p in (tmp_path / "submitted").iterdir()) == sorted(expected)


def test_same_seed_same_class_other_seed_other_order(tmp_path):
    a = build_class(tmp_path / "a", 40, seed=1)
    b = build_class(tmp_path / "b", 40, seed=1)
    c = build_class(tmp_path / "c", 40, seed=2)
    assert a == b and a != c
    for student in a:
        assert submitted(tmp_path / "a", student, ATTACK_ASSIGNMENT).read_bytes() == \
            submitted(tmp_path / "b", student, ATTACK_ASSIGNMENT).read_bytes()


def test_expected_scores_follow_the_kind(tmp_path):
    name = ATTACK_ASSIGNMENT
    expected = build_class(tmp_path, 60, seed=0)
    pts = points(name)
    total = sum(pts.values())
    by_answer = {m.answer_id: m for m in mistakes(name)}
    for student, (assignment, score) in expected.items():
        kind = student.split("-", 1)[1]
        assert assignment == name
        if kind in ("solution", "solved", "student", "warns-and-deleted-test"):
            assert score == total, student
        elif kind.startswith("wrong-"):
            mistake = by_answer[kind.removeprefix("wrong-")]
            assert score == total - pts[mistake.test_id] - sum(pts[t] for t in mistake.also_fails)
            assert 0 < score < total
            cell = answer_cells(nbformat.read(submitted(tmp_path, student, name), as_version=4))
            assert "BUG" in cell[mistake.answer_id].source, student
        else:
            assert score == 0.0, student


def test_a_malformed_submission_is_not_a_notebook(tmp_path):
    expected = build_class(tmp_path, 60, seed=0)
    bad = [s for s in expected if s.endswith("-bad-json")]
    assert bad
    with pytest.raises(Exception):  # noqa: B017 - any parse error: it must not be a notebook
        nbformat.read(submitted(tmp_path, bad[0], ATTACK_ASSIGNMENT), as_version=4)


def test_attacks_only_where_they_were_written(tmp_path):
    expected = build_class(tmp_path, 40, seed=0, assignments=("02-mlp",))
    assert not [s for s in expected if "attack" in s]
    assert {a for a, _ in expected.values()} == {"02-mlp"}
