"""Unit tests for dlcourse.checks: the visible self-checks."""
import json

import numpy as np
import pytest
import torch

from dlcourse import checks
from dlcourse.checks import CheckFailed, check_close, check_shape, check_true


def test_check_failed_is_an_assertion_error():
    assert issubclass(CheckFailed, AssertionError)


# --------------------------------------------------------------------------- check_close


@pytest.mark.parametrize(
    "value, expected",
    [
        (1.0, 1.0),
        (3, 3.0),
        ([1.0, 2.0, 3.0], np.array([1.0, 2.0, 3.0])),
        (np.eye(3), np.eye(3) + 1e-9),
        ((0.1 + 0.2,), [0.3]),
        (torch.tensor([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 2.0], [3.0, 4.0]])),
        (torch.tensor([1.0, 2.0], requires_grad=True) * 1, torch.tensor([1.0, 2.0])),
    ],
)
def test_check_close_passes_with_tick(capsys, value, expected):
    check_close(value, expected, name="answer")
    out = capsys.readouterr().out
    assert "✔" in out
    assert "answer" in out


def test_check_close_quiet(capsys):
    check_close([1.0], [1.0], quiet=True)
    assert capsys.readouterr().out == ""


def test_check_close_reports_expected_and_got_values():
    with pytest.raises(CheckFailed) as info:
        check_close([1.0, 2.0, 3.0], [1.0, 2.0, 4.5], name="logits", hint="check the bias")
    message = str(info.value)
    assert "logits" in message
    assert "4.5" in message  # expected
    assert "3.0" in message  # got
    assert "(2,)" in message  # where
    assert "1 of 3" in message
    assert "Hint: check the bias" in message


def test_check_close_first_difference_is_reported():
    got = np.zeros((3, 4))
    want = np.zeros((3, 4))
    want[1, 2] = 7.25
    want[2, 3] = -1.0
    with pytest.raises(CheckFailed) as info:
        check_close(got, want)
    message = str(info.value)
    assert "7.25" in message
    assert "(1, 2)" in message
    assert "2 of 12" in message


def test_check_close_scalar_failure():
    with pytest.raises(CheckFailed) as info:
        check_close(2.5, 3.75, name="loss")
    message = str(info.value)
    assert "3.75" in message and "2.5" in message and "loss" in message


def test_check_close_is_an_assertion_error_for_pytest_users():
    with pytest.raises(AssertionError):
        check_close(1.0, 2.0)


def test_check_close_shape_mismatch():
    with pytest.raises(CheckFailed) as info:
        check_close(np.zeros((3,)), np.zeros((1, 3)), name="z", hint="squeeze it")
    message = str(info.value)
    assert "(1, 3)" in message  # expected shape
    assert "(3,)" in message  # got shape
    assert "shape" in message
    assert "Hint: squeeze it" in message


def test_check_close_does_not_broadcast():
    with pytest.raises(CheckFailed):
        check_close(np.ones((2, 2)), 1.0)


@pytest.mark.parametrize("atol, passes", [(1e-3, True), (1e-5, False)])
def test_check_close_tolerance(atol, passes):
    value, expected = np.array([1.0 + 1e-4]), np.array([1.0])
    reference = np.allclose(value, expected, atol=atol, rtol=0)
    assert reference == passes
    if passes:
        check_close(value, expected, atol=atol, rtol=0, quiet=True)
    else:
        with pytest.raises(CheckFailed):
            check_close(value, expected, atol=atol, rtol=0, quiet=True)


def test_check_close_nan_is_not_close():
    with pytest.raises(CheckFailed):
        check_close([np.nan], [1.0], quiet=True)


def test_check_close_none_means_forgot_return():
    with pytest.raises(CheckFailed) as info:
        check_close(None, [1.0], name="forward(x)")
    message = str(info.value)
    assert "forward(x)" in message
    assert "None" in message
    assert "return" in message


def test_check_close_non_numeric():
    with pytest.raises(CheckFailed) as info:
        check_close("abc", 1.0, name="r")
    assert "str" in str(info.value)


def test_check_close_torch_failure_reports_values():
    t = torch.tensor([0.5, 1.5], requires_grad=True)
    with pytest.raises(CheckFailed) as info:
        check_close(t * 2, torch.tensor([1.0, 2.0]))
    message = str(info.value)
    assert "3.0" in message and "2.0" in message


# --------------------------------------------------------------------------- check_shape


@pytest.mark.parametrize(
    "value, shape",
    [
        (np.zeros((2, 3)), (2, 3)),
        (torch.zeros(4, 1), (4, 1)),
        ([[1, 2], [3, 4]], [2, 2]),
        (5.0, ()),
    ],
)
def test_check_shape_passes(capsys, value, shape):
    assert check_shape(value, shape) is None


def test_check_shape_fails_with_both_shapes_and_hint():
    with pytest.raises(CheckFailed) as info:
        check_shape(torch.zeros(5, 2), (2, 5), name="W", hint="transpose?")
    message = str(info.value)
    assert "W" in message
    assert "(2, 5)" in message
    assert "(5, 2)" in message
    assert "Hint: transpose?" in message


def test_check_shape_none():
    with pytest.raises(CheckFailed) as info:
        check_shape(None, (1,), name="out")
    assert "return" in str(info.value)
    assert "out" in str(info.value)


# --------------------------------------------------------------------------- check_true


def test_check_true_passes_silently(capsys):
    check_true(True, "never shown")
    check_true(np.bool_(True), "never shown")
    check_true(torch.tensor(True), "never shown")
    assert "never shown" not in capsys.readouterr().out


@pytest.mark.parametrize("cond", [False, 0, np.bool_(False), torch.tensor(False)])
def test_check_true_fails_with_message_and_hint(cond):
    with pytest.raises(CheckFailed) as info:
        check_true(cond, "loss should decrease", hint="lower the learning rate")
    message = str(info.value)
    assert "loss should decrease" in message
    assert "Hint: lower the learning rate" in message


def test_check_true_without_hint_has_no_hint_line():
    with pytest.raises(CheckFailed) as info:
        check_true(False, "nope")
    assert "Hint" not in str(info.value)


def test_passed_prints_a_line(capsys):
    checks.passed("exercise 1")
    out = capsys.readouterr().out
    assert "✔" in out and "exercise 1" in out


# --------------------------------------------------------------------------- promise


def test_promise_kept_prints_and_records(tmp_path, monkeypatch, capsys):
    log = tmp_path / "promises.jsonl"
    monkeypatch.setenv(checks.PROMISES_ENV, str(log))
    checks.promise("test accuracy", np.float32(0.971), at_least=0.95)
    checks.promise("loss", torch.tensor(0.2), at_most=0.25)
    assert "✔ test accuracy: 0.971 (promised >= 0.95)" in capsys.readouterr().out
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["what"], r["kept"], r["at_least"], r["at_most"]) for r in records] == \
        [("test accuracy", True, 0.95, None), ("loss", True, None, 0.25)]
    assert records[0]["value"] == pytest.approx(0.971)


def test_promise_broken_raises_and_is_recorded_first(tmp_path, monkeypatch):
    log = tmp_path / "promises.jsonl"
    monkeypatch.setenv(checks.PROMISES_ENV, str(log))
    with pytest.raises(CheckFailed, match=r"test accuracy is 0.9: the notebook promises >= 0.95"):
        checks.promise("test accuracy", 0.9, at_least=0.95)
    with pytest.raises(CheckFailed, match=r"promises >= 0 and <= 1"):
        checks.promise("share", 1.5, at_least=0, at_most=1)
    assert [json.loads(line)["kept"] for line in log.read_text().splitlines()] == [False, False]


def test_promise_without_the_variable_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(checks.PROMISES_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    checks.promise("x", 1.0, at_least=0.5)
    assert list(tmp_path.iterdir()) == []


def test_check_choice_accepts_one_listed_letter_in_any_case():
    from dlcourse.checks import check_choice
    assert check_choice(" B ", "abcd") == "b"
    for bad in ("e", "ab", 2, None, ""):
        with pytest.raises(AssertionError):
            check_choice(bad, "abcd")


def test_check_number_wants_a_finite_number():
    from dlcourse.checks import check_number
    assert check_number("2.5") == 2.5
    for bad in ("many", None, float("nan"), float("inf")):
        with pytest.raises(AssertionError):
            check_number(bad)
