"""Oracle for 03-backprop: every reference is torch.autograd (float64) or torch itself.

Each ``*_cases`` draws fresh inputs from the grader's generator; each ``check_*``
recomputes the reference here, in the grading process, and compares.
"""
import numpy as np
import torch
import torch.nn.functional as F

from autograder.oracle import Case, Exercise, mismatch, unpack
from autograder.reference import TORCH_ACTIVATIONS, t64

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu")


# -- 1. activation derivatives --------------------------------------------------------

def activation_cases(rng):
    cases = []
    for name in ACTIVATIONS:
        for shape in [(int(rng.integers(1, 9)),), (int(rng.integers(1, 4)), int(rng.integers(1, 5))), ()]:
            cases.append(Case((name, rng.normal(size=shape) * 3)))
    z = np.array([-2.0, -0.0, 0.0, 1e-9, -1e-9, 2.0])
    cases.append(Case(("relu", z), note="relu at exactly 0 (expected derivative 0 there) and near 0"))
    cases.append(Case(("sigmoid", np.array([-60.0, -20.0, 0.0, 20.0, 60.0])), note="sigmoid at large |z|"))
    cases.append(Case(("tanh", np.array([[-30.0, 0.0], [0.25, 30.0]])), note="tanh at large |z|"))
    return cases


def check_activation(case, got):
    name, z = case.args
    zt = t64(z, grad=True)
    TORCH_ACTIVATIONS[name](zt).sum().backward()
    return mismatch(got, zt.grad.numpy(), atol=1e-10, rtol=1e-7, name=f"activation_grad({name!r}, z)")


# -- 2. softmax cross-entropy -----------------------------------------------------------

def softmax_cases(rng):
    cases = []
    for _ in range(10):
        n, k = int(rng.integers(1, 9)), int(rng.integers(2, 7))
        cases.append(Case((rng.normal(size=(n, k)) * float(rng.choice([0.5, 2.0, 5.0])),
                           rng.integers(0, k, size=n))))
    cases.append(Case((np.array([[1000.0, -1000.0, 3.0], [-800.0, 750.0, 0.0]]), np.array([1, 1])),
                      note="logits in the hundreds: needs the max-subtraction trick"))
    cases.append(Case((np.zeros((3, 4)), np.array([0, 3, 2])), note="all logits zero"))
    cases.append(Case((rng.normal(size=(1, 2)), np.array([1])), note="one example, two classes"))
    return cases


def check_softmax(case, got):
    logits, y = case.args
    loss, dlogits = unpack(got, 2, "softmax_ce")
    lt = t64(logits, grad=True)
    ref = F.cross_entropy(lt, torch.tensor(y, dtype=torch.int64))
    ref.backward()
    return (mismatch(loss, ref.item(), atol=1e-9, rtol=1e-7, name="loss")
            or mismatch(dlogits, lt.grad.numpy(), atol=1e-10, rtol=1e-7, name="dlogits"))


# -- 3. central finite differences (through grad_check on a fixed loss) ---------------

def torch_fixed_loss(W, X, y):
    return F.cross_entropy(X @ W, y)


def grad_check_cases(rng):
    cases = []
    for eps in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-3, 1e-2, None]:
        d, k, n = int(rng.integers(1, 5)), int(rng.integers(2, 5)), int(rng.integers(1, 7))
        W = rng.normal(size=(d, k))
        X = rng.normal(size=(n, d)) * 1.5
        y = rng.integers(0, k, size=n)
        kwargs = {} if eps is None else {"eps": float(eps)}
        cases.append(Case((W, X, y), kwargs, note=f"W {W.shape}, X {X.shape}, eps = {eps or 'default 1e-5'}"))
    return cases


def check_grad_check(case, got):
    W, X, y = case.args
    eps = case.kwargs.get("eps", 1e-5)
    Xt, yt = t64(X), torch.tensor(y, dtype=torch.int64)
    # The central difference computed by torch, entry by entry.
    central = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        up, down = W.copy(), W.copy()
        up[idx] += eps
        down[idx] -= eps
        central[idx] = (torch_fixed_loss(t64(up), Xt, yt).item()
                        - torch_fixed_loss(t64(down), Xt, yt).item()) / (2 * eps)
    problem = mismatch(got, central, atol=1e-8, rtol=1e-6, name=f"central differences with eps = {eps}")
    if problem:
        return problem + " (entry i should be (f(W + eps e_i) - f(W - eps e_i)) / (2 eps))"
    if eps <= 1e-4:  # small steps must also land on the exact gradient
        Wt = t64(W, grad=True)
        torch_fixed_loss(Wt, Xt, yt).backward()
        return mismatch(got, Wt.grad.numpy(), atol=1e-6, rtol=1e-5, name="gradient vs the exact one")
    return None


# -- 4. linear layer backward ---------------------------------------------------------

def linear_cases(rng):
    cases = []
    for _ in range(10):
        n, d_in, d_out = (int(rng.integers(1, 7)) for _ in range(3))
        cases.append(Case((rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=(n, d_out)))))
    cases.append(Case((rng.normal(size=(5, 3)), rng.normal(size=(3, 1)), rng.normal(size=(5, 1))),
                      note="a single output"))
    cases.append(Case((rng.normal(size=(1, 4)), rng.normal(size=(4, 2)), rng.normal(size=(1, 2))),
                      note="a batch of one"))
    return cases


def check_linear(case, got):
    X, W, dY = case.args
    dX, dW, db = unpack(got, 3, "linear_backward")
    Xt, Wt = t64(X, grad=True), t64(W, grad=True)
    bt = torch.zeros(W.shape[1], dtype=torch.float64, requires_grad=True)
    (Xt @ Wt + bt).backward(t64(dY))
    return (mismatch(dX, Xt.grad.numpy(), atol=1e-10, rtol=1e-8, name="dX")
            or mismatch(dW, Wt.grad.numpy(), atol=1e-10, rtol=1e-8, name="dW")
            or mismatch(db, bt.grad.numpy(), atol=1e-10, rtol=1e-8, name="db"))


# -- 5. full MLP backward -------------------------------------------------------------

def reference_mlp(X, y, weights, activation_name):
    params = [t64(w, grad=True) for w in weights]
    H = t64(X)
    n_layers = len(params) // 2
    for layer in range(n_layers):
        H = H @ params[2 * layer] + params[2 * layer + 1]
        if layer < n_layers - 1:
            H = TORCH_ACTIVATIONS[activation_name](H)
    loss = F.cross_entropy(H, torch.tensor(y, dtype=torch.int64))
    loss.backward()
    return loss.item(), [p.grad.numpy() for p in params]


def mlp_cases(rng):
    cases = []
    plan = [(1, "relu"), (2, "relu"), (3, "relu"), (4, "relu"), (2, "tanh"), (3, "tanh"),
            (2, "sigmoid"), (3, "sigmoid"), (2, "linear"), (3, "relu")]
    for i, (depth, act) in enumerate(plan):
        sizes = [int(rng.integers(1, 7)) for _ in range(depth)] + [int(rng.integers(2, 6))]
        n = int(rng.integers(1, 9))
        weights = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            weights += [rng.normal(size=(a, b)), rng.normal(size=b) * 0.5]
        X = rng.normal(size=(n, sizes[0]))
        y = rng.integers(0, sizes[-1], size=n)
        kwargs = {} if i == len(plan) - 1 else {"activation_name": act}   # last: the default
        cases.append(Case((X, y, weights), kwargs,
                          note=f"layer sizes {sizes}, batch {n}, activation {kwargs.get('activation_name', 'default relu')}"))
    return cases


def check_mlp(case, got):
    X, y, weights = case.args
    act = case.kwargs.get("activation_name", "relu")
    loss, grads = unpack(got, 2, "mlp_backward")
    ref_loss, ref_grads = reference_mlp(X, y, weights, act)
    problem = mismatch(loss, ref_loss, atol=1e-9, rtol=1e-7, name="loss")
    if problem:
        return problem
    if not isinstance(grads, (list, tuple)) or len(grads) != len(weights):
        count = len(grads) if isinstance(grads, (list, tuple)) else type(grads).__name__
        return f"grads should be a list of {len(weights)} arrays (one per entry of weights), got {count}"
    names = [f"{'W' if i % 2 == 0 else 'b'}{i // 2 + 1}" for i in range(len(weights))]
    for g, r, name in zip(grads, ref_grads, names):
        problem = mismatch(g, r, atol=1e-9, rtol=1e-7, name=f"gradient of {name}")
        if problem:
            return problem
    return None


# -- 6. the scalar autograd engine ----------------------------------------------------

def value_cases(rng):
    cases = [Case(tuple(float(v) for v in rng.normal(size=5))) for _ in range(8)]
    cases.append(Case((0.5, -1.0, 2.0, 1.0, 0.0), note="inner sum exactly 0 (h = 0)"))
    cases.append(Case((3.0, 2.0, 4.0, 5.0, 1.0), note="tanh saturated (h close to 1)"))
    cases.append(Case((-1.5, 0.25, 0.75, -2.0, -0.3)))
    return cases


def check_value(case, got):
    out, grads = unpack(got, 2, "value_expression")
    leaves = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in case.args]
    x1, x2, w1, w2, b = leaves
    h = torch.tanh(x1 * w1 + x2 * w2 + b)
    ref = h * h + h * x1 + 2.0 * x2 + 1.0
    ref.backward()
    names = "x1, x2, w1, w2, b"
    return (mismatch(out, ref.item(), atol=1e-10, rtol=1e-9, name="out.data")
            or mismatch(grads, [leaf.grad.item() for leaf in leaves], atol=1e-10, rtol=1e-9,
                        name=f"gradients [{names}]"))


EXERCISES = [
    Exercise("test_activation_grad", check_activation, activation_cases),
    Exercise("test_softmax_ce", check_softmax, softmax_cases),
    Exercise("test_grad_check", check_grad_check, grad_check_cases),
    Exercise("test_linear_backward", check_linear, linear_cases),
    Exercise("test_mlp_backward", check_mlp, mlp_cases),
    Exercise("test_value_engine", check_value, value_cases),
]
