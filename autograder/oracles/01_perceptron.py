"""Oracle for 01-perceptron: references in plain NumPy and torch.autograd.

Each ``*_cases`` draws fresh inputs from the grader's generator; each ``check_*``
recomputes the reference here, in the grading process, and compares.
"""
import numpy as np
import torch

from autograder.oracle import Case, Exercise, as_array, choice, estimate, mismatch, unpack
from autograder.reference import t64
from dlcourse.data import logic_gate


def heaviside(z):
    return (np.asarray(z) >= 0).astype(np.int64)


# -- 1. threshold unit ----------------------------------------------------------------

def threshold_cases(rng):
    cases = []
    for _ in range(12):
        n, d = int(rng.integers(1, 9)), int(rng.integers(1, 6))
        X, w = rng.integers(-3, 4, size=(n, d)).astype(float), rng.integers(-3, 4, size=d).astype(float)
        cases.append(Case((X, w, float(rng.integers(-3, 4)))))  # integer grid: exact zeros happen
    X = rng.normal(size=(1, 3))
    w = rng.normal(size=3)
    cases.append(Case((X, w, float(-(X @ w)[0])), note="a point exactly on the boundary (z = 0)"))
    x = rng.normal(size=4)
    cases.append(Case((x, rng.normal(size=4), float(rng.normal())), note="a single 1-D input"))
    return cases


def check_threshold(case, got):
    X, w, b = case.args
    z = X @ w + b
    problem = mismatch(got, heaviside(z), atol=0, rtol=0, name="threshold_unit")
    if problem and np.any(z == 0) and mismatch(got, (z > 0).astype(np.int64), atol=0, rtol=0) is None:
        return (f"{problem}: where X @ w + b = 0 exactly the unit must output 1 "
                f"(H(0) = 1, so z >= 0, not z > 0)")
    return problem


# -- 2. gate weights ------------------------------------------------------------------

def check_gates(_case, got):
    if not isinstance(got, dict):
        return f"GATE_WEIGHTS should be a dict, got {type(got).__name__}"
    for gate in ("AND", "OR", "NAND", "NOT"):
        if gate not in got:
            return f"GATE_WEIGHTS has no entry for {gate!r}"
        w, b = unpack(got[gate], 2, f"GATE_WEIGHTS[{gate!r}]")
        X, y = logic_gate(gate)
        w, b = as_array(w, f"the weights of {gate}").reshape(-1), float(as_array(b, f"the bias of {gate}"))
        if w.shape != (X.shape[1],):
            return f"{gate}: w should have {X.shape[1]} entries, got {w.shape[0]}"
        out = heaviside(X @ w + b)
        if not np.array_equal(out, y):
            return f"{gate}: your unit outputs {out.tolist()} on the rows {X.astype(int).tolist()}, the truth table is {y.tolist()}"
    return None


# -- 3. perceptron update (error form) ------------------------------------------------

def reference_update(w, b, x, y, lr):
    err = y - heaviside(w @ x + b)
    return w + lr * err * x, b + lr * err


def update_cases(rng):
    cases = []
    for i in range(16):
        d = int(rng.integers(1, 6))
        w, x = rng.normal(size=d), rng.normal(size=d)
        kwargs = {"lr": float(rng.choice([0.1, 0.5, 1.0, 2.0]))} if i % 2 else {}
        cases.append(Case((w, float(rng.normal()), x, int(rng.integers(0, 2))), kwargs))
    return cases


def check_update(case, got):
    w, b, x, y = case.args
    w_new, b_new = unpack(got, 2, "perceptron_update")
    ref_w, ref_b = reference_update(w, b, x, y, case.kwargs.get("lr", 1.0))
    problem = mismatch(w_new, ref_w, name="w_new") or mismatch(b_new, ref_b, name="b_new")
    if problem and "lr" not in case.kwargs:
        return f"{problem} (lr not given: its default is lr = 1.0)"
    return problem


# -- 4. perceptron update (+/-1 form, bias trick) -------------------------------------

def update_pm_cases(rng):
    cases = []
    for _ in range(16):
        d = int(rng.integers(1, 5))
        x = np.append(rng.normal(size=d), 1.0)
        cases.append(Case((rng.normal(size=d + 1), x, int(rng.choice([-1, 1])))))
    x = np.array([1.0, -1.0, 1.0])
    cases.append(Case((np.zeros(3), x, 1), note="w = 0, so y (w . x) = 0 counts as a mistake"))
    return cases


def check_update_pm(case, got):
    w, x, y = case.args
    expected = w + y * x if y * (w @ x) <= 0 else w
    return mismatch(got, expected, name="w_new")


# -- 5. training loop -----------------------------------------------------------------

def reference_train(X, y, max_epochs=100, lr=1.0):
    w, b, changes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(max_epochs):
        count = 0
        for xi, yi in zip(X, y):
            if heaviside(w @ xi + b) != yi:
                count += 1
            w, b = reference_update(w, b, xi, yi, lr)
        changes.append(count)
        if count == 0:
            break
    return w, b, changes


def train_cases(rng):
    cases = []
    for i in range(4):  # separable: a random line, points kept off it
        d = int(rng.integers(2, 5))
        normal = rng.normal(size=d)
        X = rng.normal(size=(60, d))
        X = X[np.abs(X @ normal + 0.3) > 0.2][:30]
        y = (X @ normal + 0.3 > 0).astype(np.int64)
        kwargs = {"lr": 0.5} if i == 3 else {}
        cases.append(Case((X, y), kwargs, note=f"{len(y)} separable points in {d}-D"))
    X, y = logic_gate("XOR")
    cases.append(Case((X, y), {"max_epochs": 7}, note="XOR with max_epochs=7 (never converges)"))
    X, y = logic_gate("OR")
    cases.append(Case((X, y), note="the OR gate"))
    return cases


def check_train(case, got):
    w, b, changes = unpack(got, 3, "train_perceptron")
    ref_w, ref_b, ref_changes = reference_train(*case.args, **case.kwargs)
    try:
        changes = [int(c) for c in changes]
    except (TypeError, ValueError):
        return "changes should be a list of integers"
    if changes != ref_changes:
        return f"changes per epoch: expected {ref_changes}, got {changes}"
    return mismatch(w, ref_w, name="w") or mismatch(b, ref_b, name="b")


# -- 6. logistic loss and gradient (reference: torch.autograd) ------------------------

def reference_logistic(w, X, y, lam):
    wt = t64(w, grad=True)
    logits = t64(X) @ wt
    target = t64(y)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target) + lam / 2 * (wt @ wt)
    loss.backward()
    return loss.item(), wt.grad.numpy()


def logistic_cases(rng):
    cases = []
    for i in range(10):
        n, d = int(rng.integers(3, 20)), int(rng.integers(1, 5))
        X = np.column_stack([rng.normal(size=(n, d)), np.ones(n)])
        kwargs = {"lam": float(rng.choice([0.01, 0.1, 1.0]))} if i % 2 else {}
        cases.append(Case((rng.normal(size=d + 1), X, rng.integers(0, 2, size=n)), kwargs))
    X = np.column_stack([rng.normal(size=(8, 2)) * 50, np.ones(8)])
    cases.append(Case((rng.normal(size=3) * 20, X, rng.integers(0, 2, size=8)),
                      note="large logits (|Xw| in the hundreds): needs a numerically stable loss"))
    return cases


def check_logistic(case, got):
    w, X, y = case.args
    loss, grad = unpack(got, 2, "logistic_loss_grad")
    ref_loss, ref_grad = reference_logistic(w, X, y, case.kwargs.get("lam", 0.0))
    return (mismatch(loss, ref_loss, atol=1e-8, rtol=1e-6, name="loss")
            or mismatch(grad, ref_grad, atol=1e-8, rtol=1e-6, name="grad"))


# -- 7. fitting by gradient descent ---------------------------------------------------

def reference_fit(X, y, lam=0.0, lr=0.5, epochs=100):
    w, norms = np.zeros(X.shape[1]), []
    for _ in range(epochs):
        w = w - lr * reference_logistic(w, X, y, lam)[1]
        norms.append(float(np.linalg.norm(w)))
    return w, norms


def fit_cases(rng):
    cases = []
    for lam, lr, epochs in [(0.0, 0.5, 40), (0.1, 0.5, 40), (0.01, 1.0, 25), (1.0, 0.1, 30)]:
        n, d = int(rng.integers(10, 30)), int(rng.integers(1, 4))
        X = np.column_stack([rng.normal(size=(n, d)), np.ones(n)])
        y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(np.int64)
        cases.append(Case((X, y), {"lam": lam, "lr": lr, "epochs": epochs}))
    return cases


def check_fit(case, got):
    w, norms = unpack(got, 2, "fit_logistic")
    ref_w, ref_norms = reference_fit(*case.args, **case.kwargs)
    return (mismatch(w, ref_w, atol=1e-7, rtol=1e-6, name="w")
            or mismatch(norms, ref_norms, atol=1e-7, rtol=1e-6, name="norms"))


EXERCISES = [
    Exercise("test_threshold_unit", check_threshold, threshold_cases),
    Exercise("test_gate_weights", check_gates),
    Exercise("test_perceptron_update", check_update, update_cases),
    Exercise("test_perceptron_update_pm", check_update_pm, update_pm_cases),
    Exercise("test_train_perceptron", check_train, train_cases),
    Exercise("test_logistic_loss_grad", check_logistic, logistic_cases),
    Exercise("test_fit_logistic", check_fit, fit_cases),
    Exercise("test_q_lr", choice("b", "from w = 0 every update is lr times the update with lr = 1, so the "
                                      "weights and bias are scaled copies and H(lr * z) = H(z) for lr > 0: "
                                      "the same predictions, hence the same mistakes in the same epochs")),
    Exercise("test_q_and_updates", estimate(10, 12, "simulate the rule row by row as in the OR table: AND "
                                                    "needs several epochs before the bias is low enough, "
                                                    "and every epoch but the last makes one or more updates")),
    Exercise("test_q_xor", choice("b", "no line separates XOR, so no epoch can be free of mistakes; on four "
                                       "rows the updates bring the weights back to the same place each epoch, "
                                       "so they stay bounded")),
    Exercise("test_q_norm", choice("b", "for a separating w, c * w with c > 1 gives every sample a larger "
                                        "margin and a smaller loss, and the loss never reaches 0: the infimum "
                                        "is not attained, so gradient descent keeps increasing the norm")),
]
