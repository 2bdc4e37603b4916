"""The grading process's side: judging probe records, and verdicts nbgrader scores right."""
import json

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_output
from nbgrader.utils import determine_grade

from autograder.oracle import Case, Exercise, judge, load_exercises, load_oracle, mismatch
from autograder.preprocessors import verdict_outputs
from dlcourse.grading import PROBE_MIME, encode


def double_check(case, got):
    return mismatch(got, 2 * case.args[0], name="double")


EXERCISE = Exercise("test_double", double_check, lambda rng: [Case((rng.normal(size=3),)) for _ in range(4)])


def record(results, grade_id="test_double"):
    payload = json.loads(json.dumps({"grade_id": grade_id, "results": results}))
    return new_output("display_data", data={PROBE_MIME: payload, "text/plain": "x"})


def cases():
    return EXERCISE.cases(np.random.default_rng(0))


def test_correct_answers_pass():
    cs = cases()
    v = judge(EXERCISE, cs, [record([{"value": encode(2 * c.args[0])} for c in cs])])
    assert (v.passed, v.total, v.messages) == (4, 4, [])


def test_a_wrong_answer_fails_with_a_message_naming_the_inputs():
    cs = cases()
    answers = [{"value": encode(2 * c.args[0])} for c in cs]
    answers[1] = {"value": encode(3 * cs[1].args[0])}
    v = judge(EXERCISE, cs, [record(answers)])
    assert (v.passed, v.total) == (3, 4)
    assert "double: expected" in v.messages[0] and "inputs:" in v.messages[0]


@pytest.mark.parametrize("outputs, reason", [
    ([], "no answers were recorded"),
    ([new_output("error", ename="CheckFailed", evalue="bad shape", traceback=[])], "CheckFailed: bad shape"),
    ([record([]), record([])], "recorded more than once"),
    ([record([{"value": 1}])], "do not match the cases"),
])
def test_missing_duplicated_or_malformed_records_earn_nothing(outputs, reason):
    v = judge(EXERCISE, cases(), outputs)
    assert v.passed == 0 and reason in v.messages[0]


def test_a_record_for_another_exercise_is_rejected():
    cs = cases()
    v = judge(EXERCISE, cs, [record([{"value": encode(2 * c.args[0])} for c in cs], grade_id="test_other")])
    assert v.passed == 0


def test_errors_and_undecodable_values_are_reported_per_case():
    cs = cases()
    answers = [{"value": encode(2 * c.args[0])} for c in cs]
    answers[0] = {"error": "ValueError: boom"}
    answers[2] = {"value": {"__array__": ["x"], "dtype": "float64", "shape": [1], "torch": False}}
    v = judge(EXERCISE, cs, [record(answers)])
    assert v.passed == 2
    assert "raised ValueError: boom" in v.messages[0]
    assert "bad float token" in v.messages[1]


@pytest.mark.parametrize("passed, partial, expected", [(4, False, 2.0), (2, False, 0.0), (2, True, 1.0), (0, True, 0.0)])
def test_verdict_outputs_are_scored_by_nbgrader_as_intended(passed, partial, expected):
    from autograder.oracle import Verdict

    cell = new_code_cell("pass", metadata={"nbgrader": {"grade": True, "solution": False, "points": 2,
                                                        "grade_id": "test_double"}})
    cell.outputs = verdict_outputs("test_double", Verdict(passed, 4, ["msg"]), 2.0, partial)
    assert determine_grade(cell)[0] == pytest.approx(expected)


def test_missing_oracle_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="no oracle for assignment"):
        load_exercises("99-nothing")


def test_perceptron_oracle_references_against_independent_computations():
    ex = load_exercises("01-perceptron")
    rng = np.random.default_rng(1)
    # logistic: torch.autograd reference against the closed form X^T (p - y) / n + lam w
    for case in ex["test_logistic_loss_grad"].cases(rng)[:5]:
        w, X, y = case.args
        lam = case.kwargs.get("lam", 0.0)
        p = 1 / (1 + np.exp(-(X @ w)))
        grad = X.T @ (p - y) / len(y) + lam * w
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + lam / 2 * w @ w
        assert ex["test_logistic_loss_grad"].check(case, (loss, grad)) is None
        assert ex["test_logistic_loss_grad"].check(case, (loss, grad + 1e-3)) is not None
    # gates: textbook weights pass, swapped ones fail
    good = {"AND": (np.array([1.0, 1.0]), -1.5), "OR": (np.array([1.0, 1.0]), -0.5),
            "NAND": (np.array([-1.0, -1.0]), 1.5), "NOT": (np.array([-1.0]), 0.5)}
    assert ex["test_gate_weights"].check(None, good) is None
    assert "AND" in ex["test_gate_weights"].check(None, {**good, "AND": good["OR"]})
    # training: on separable cases the reference ends with an epoch of no change
    for case in ex["test_train_perceptron"].cases(rng)[:4]:
        X, y = case.args
        w, b, changes = _train(X, y, **case.kwargs)
        assert changes[-1] == 0 and np.array_equal((X @ w + b >= 0).astype(int), y)
        assert ex["test_train_perceptron"].check(case, (w, b, changes)) is None
        assert ex["test_train_perceptron"].check(case, (w, b, changes[:-1])) is not None


def test_rl_agent_oracle_reads_nn_linear_layout_and_names_the_transpose():
    import torch

    oracle = load_oracle("06-rl")
    agent = load_exercises("06-rl")["test_agent_weights"]
    case = agent.cases(np.random.default_rng(2))[0]
    # a network exported in nn.Linear's own (n_out, n_in) layout computes what torch computes
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    pairs = [(m.weight.detach().numpy(), m.bias.detach().numpy()) for m in net if isinstance(m, torch.nn.Linear)]
    layers, problem = oracle.parse_mlp(pairs)
    assert problem is None
    states = np.random.default_rng(3).normal(size=(50, 4))
    with torch.no_grad():
        expected = net(torch.as_tensor(states, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(oracle.mlp_scores(layers, states), expected, rtol=1e-5, atol=1e-5)
    # a hand-made controller, push right when theta + 0.5 theta_dot > 0, balances the pole
    controller = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.5]])
    assert agent.check(case, [(controller, np.zeros(2))]) is None
    # the same controller transposed, (n_in, n_out), scores nothing and the message says why
    message = agent.check(case, [(controller.T, np.zeros(2))])
    assert "transpose" in message and "(n_out, n_in)" in message
    message = agent.check(case, [(p[0].T, p[1]) for p in pairs])
    assert "transpose" in message and "(n_out, n_in)" in message


def _train(X, y, max_epochs=100, lr=1.0):
    """An independent perceptron written from the lecture's pseudo-code."""
    w, b, changes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(max_epochs):
        mistakes = 0
        for i in range(len(y)):
            pred = 1 if X[i] @ w + b >= 0 else 0
            if pred != y[i]:
                mistakes += 1
                w = w + lr * (y[i] - pred) * X[i]
                b = b + lr * (y[i] - pred)
        changes.append(mistakes)
        if mistakes == 0:
            break
    return w, b, changes


# ---------------------------------------------------------------- forged records never crash a verdict

def deep(n):
    value = 1
    for _ in range(n):
        value = [value]
    return value


FORGED_RECORDS = {
    "record is a list": [1, 2],
    "record is a string": "ok",
    "record is null": None,
    "grade_id not a string": {"grade_id": ["test_double"], "results": []},
    "results missing": {"grade_id": "test_double"},
    "results a dict": {"grade_id": "test_double", "results": {"0": 1}},
    "result items of every type": {"grade_id": "test_double", "results": [None, 1, "x", [1], {"value": None}]},
    "error not a string": {"grade_id": "test_double", "results": [{"error": {"e": deep(50)}}] * 4},
    "huge shape": {"grade_id": "test_double", "results": [
        {"value": {"__array__": [1.0], "dtype": "float64", "shape": [10**18, 10**18]}}] * 4},
    "huge numbers": {"grade_id": "test_double", "results": [{"value": 10**4000}, {"value": -1e308 * 10},
                                                           {"value": {"__float__": "nan"}}, {"value": 2**63}]},
    "nesting deeper than the recursion limit": {"grade_id": "test_double",
                                                "results": [{"value": deep(5000)}] * 4},
    "keys that are tags": {"grade_id": "test_double", "results": [{"value": {"__tuple__": 5, "__dict__": 1}}] * 4},
}


@pytest.mark.parametrize("payload", list(FORGED_RECORDS.values()), ids=list(FORGED_RECORDS))
def test_a_forged_record_scores_zero_and_never_raises(payload):
    from autograder.preprocessors import safe_judge

    outputs = [{"output_type": "display_data", "data": {PROBE_MIME: payload, "text/plain": "x"}, "metadata": {}}]
    v = safe_judge(EXERCISE, cases(), outputs)
    assert v.passed == 0 and v.total == 4 and v.messages


@pytest.mark.parametrize("outputs", [[{"output_type": "display_data", "data": 5}], [7], [{"data": {}}],
                                     [{"output_type": "display_data", "data": {PROBE_MIME: deep(5000)}}]])
def test_outputs_of_any_shape_are_judged_without_raising(outputs):
    from autograder.preprocessors import safe_judge

    assert safe_judge(EXERCISE, cases(), outputs).passed == 0


def test_random_garbage_records_never_raise():
    from autograder.preprocessors import safe_judge

    rng = np.random.default_rng(13)
    atoms = [None, True, 0, -1, 2**70, 1.5, float("inf"), "", "x" * 1000, "__array__", "__float__", "nan"]

    def garbage(depth):
        kind = rng.integers(4) if depth < 6 else 0
        if kind == 0:
            return atoms[rng.integers(len(atoms))]
        if kind == 1:
            return [garbage(depth + 1) for _ in range(rng.integers(4))]
        keys = ["value", "error", "__array__", "dtype", "shape", "torch", "__tuple__", "__dict__", "grade_id"]
        return {keys[rng.integers(len(keys))]: garbage(depth + 1) for _ in range(rng.integers(4))}

    for _ in range(500):
        results = [garbage(0) for _ in range(4)] if rng.integers(2) else garbage(0)
        record = {"grade_id": "test_double", "results": results}
        v = safe_judge(EXERCISE, cases(), [{"output_type": "display_data", "data": {PROBE_MIME: record}}])
        assert 0 <= v.passed <= v.total == 4


def test_choice_passes_only_the_right_letter_and_never_reveals_it():
    from autograder.oracle import choice
    check = choice("c", "the step grows with the gradient's history")
    assert check(None, "c") is None and check(None, " C") is None
    wrong = check(None, "a")
    assert "history" in wrong and "'c'" not in wrong and '"c"' not in wrong
    assert check(None, 3) and check(None, "cc")


def test_estimate_accepts_the_closed_interval_only():
    from autograder.oracle import estimate
    check = estimate(10, 20)
    assert check(None, 10) is None and check(None, 20.0) is None and check(None, "15") is None
    assert check(None, 9.99) and check(None, float("nan")) and check(None, [1, 2])


# A hand-made 2-2-1 tanh network for XOR: h1 ~ "x1 + x2 > 0.5", h2 ~ "x1 + x2 > 1.5", out = h1 - h2 - 1.
XOR_BY_HAND = [(np.array([[5.0, 5.0], [5.0, 5.0]]), np.array([-2.5, -7.5])), (np.array([[1.0, -1.0]]), np.array([-1.0]))]


@pytest.mark.parametrize("weights, problem", [
    (XOR_BY_HAND, None),
    ([(np.array([[1.0, 1.0]]), np.array([0.0]))], "no line separates XOR"),
    ([XOR_BY_HAND[0], (XOR_BY_HAND[1][0].T, XOR_BY_HAND[1][1])], "W should have shape (n_out, 2)"),
    ([(XOR_BY_HAND[0][0] * np.nan, XOR_BY_HAND[0][1]), XOR_BY_HAND[1]], "NaN or infinite"),
    ([XOR_BY_HAND[0]], "1 output(s), it has 2"),
    ([(np.zeros((6000, 2)), np.zeros(6000)), (np.zeros((1, 6000)), np.zeros(1))], "at most 10000 are allowed"),
    ("weights", "a list of 1 to 10 (W, b) pairs"),
])
def test_the_xor_oracle_runs_the_exported_network_itself(weights, problem):
    """03's exercise 8: the oracle validates the (W, b) list and runs it as a tanh MLP on fresh points."""
    exercise = load_exercises("03-backprop")["test_train_engine"]
    (case,) = exercise.cases(np.random.default_rng(0))
    got = exercise.check(case, weights)
    assert got is None if problem is None else problem in got, got
