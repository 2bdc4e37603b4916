"""Oracle for 03-backprop: every reference is torch.autograd (float64) or torch itself.

Each ``*_cases`` draws fresh inputs from the grader's generator; each ``check_*``
recomputes the reference here, in the grading process, and compares.
"""
import numpy as np
import torch
import torch.nn.functional as F

from dataclasses import dataclass

from autograder.oracle import Case, Exercise, as_array, choice, mismatch, unpack
from autograder.reference import TORCH_ACTIVATIONS, mlp_loss_and_grads, t64
from autograder.trained_model import accuracy_problem, binary_tanh_network, parse_layers
from dlcourse.data import xor_blobs

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
    return F.cross_entropy(X @ W.T, y)   # W of shape (k, d), the nn.Linear layout


def grad_check_cases(rng):
    cases = []
    for eps in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-3, 1e-2, None]:
        d, k, n = int(rng.integers(1, 5)), int(rng.integers(2, 5)), int(rng.integers(1, 7))
        W = rng.normal(size=(k, d))
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
        cases.append(Case((rng.normal(size=(n, d_in)), rng.normal(size=(d_out, d_in)), rng.normal(size=(n, d_out)))))
    cases.append(Case((rng.normal(size=(5, 3)), rng.normal(size=(1, 3)), rng.normal(size=(5, 1))),
                      note="a single output"))
    cases.append(Case((rng.normal(size=(1, 4)), rng.normal(size=(2, 4)), rng.normal(size=(1, 2))),
                      note="a batch of one"))
    return cases


def check_linear(case, got):
    X, W, dY = case.args
    dX, dW, db = unpack(got, 3, "linear_backward")
    Xt, Wt = t64(X, grad=True), t64(W, grad=True)
    bt = torch.zeros(W.shape[0], dtype=torch.float64, requires_grad=True)
    (Xt @ Wt.T + bt).backward(t64(dY))
    return (mismatch(dX, Xt.grad.numpy(), atol=1e-10, rtol=1e-8, name="dX")
            or mismatch(dW, Wt.grad.numpy(), atol=1e-10, rtol=1e-8, name="dW")
            or mismatch(db, bt.grad.numpy(), atol=1e-10, rtol=1e-8, name="db"))


# -- 5. full MLP backward -------------------------------------------------------------


def mlp_cases(rng):
    cases = []
    plan = [(1, "relu"), (2, "relu"), (3, "relu"), (4, "relu"), (2, "tanh"), (3, "tanh"),
            (2, "sigmoid"), (3, "sigmoid"), (2, "linear"), (3, "relu")]
    for i, (depth, act) in enumerate(plan):
        sizes = [int(rng.integers(1, 7)) for _ in range(depth)] + [int(rng.integers(2, 6))]
        n = int(rng.integers(1, 9))
        params = [(rng.normal(size=(b, a)), rng.normal(size=b) * 0.5) for a, b in zip(sizes[:-1], sizes[1:])]
        X = rng.normal(size=(n, sizes[0]))
        y = rng.integers(0, sizes[-1], size=n)
        kwargs = {} if i == len(plan) - 1 else {"activation": act}   # last: the default
        cases.append(Case((X, y, params), kwargs,
                          note=f"layer sizes {sizes}, batch {n}, activation {kwargs.get('activation', 'default relu')}"))
    return cases


def check_mlp(case, got):
    X, y, params = case.args
    act = case.kwargs.get("activation", "relu")
    loss, grads = unpack(got, 2, "mlp_backward")
    ref_loss, ref_grads = mlp_loss_and_grads(params, X, y, act)
    problem = mismatch(loss, ref_loss, atol=1e-9, rtol=1e-7, name="loss")
    if problem:
        return problem
    if not isinstance(grads, (list, tuple)) or len(grads) != len(params):
        count = len(grads) if isinstance(grads, (list, tuple)) else type(grads).__name__
        return f"grads should be a list of {len(params)} (dW, db) pairs (one per layer), got {count}"
    for layer, (pair, (ref_dW, ref_db)) in enumerate(zip(grads, ref_grads), start=1):
        dW, db = unpack(pair, 2, f"grads[{layer - 1}] (the pair (dW{layer}, db{layer}))")
        problem = (mismatch(dW, ref_dW, atol=1e-9, rtol=1e-7, name=f"gradient of W{layer}")
                   or mismatch(db, ref_db, atol=1e-9, rtol=1e-7, name=f"gradient of b{layer}"))
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



# -- 7. Neuron, Layer, MLP on the engine ----------------------------------------------

def engine_mlp_cases(rng):
    cases = []
    for sizes in ([3, 1], [2, 2], [4, 3, 1], [1, 1], [5, 2, 2]):
        n_in = int(rng.integers(1, 5))
        x = [float(v) for v in rng.normal(size=n_in)]
        cases.append(Case((x, sizes, float(rng.normal()), int(rng.integers(0, 10**6))),
                          note=f"MLP({n_in}, {sizes}) on x = {[round(v, 3) for v in x]}"))
    return cases


def engine_mlp_reference(weights, x, target):
    """Outputs and per-neuron gradients [w..., b] of the MLP with these weights, by torch.autograd."""
    layers = [(t64([n[:-1] for n in layer], grad=True), t64([n[-1] for n in layer], grad=True)) for layer in weights]
    H = t64(x)
    for i, (W, b) in enumerate(layers):
        H = H @ W.T + b
        if i < len(layers) - 1:
            H = torch.tanh(H)
    ((H - target) ** 2).sum().backward()
    grads = [np.concatenate([W.grad.numpy(), b.grad.numpy()[:, None]], axis=1) for W, b in layers]
    return H.detach().numpy(), grads


def check_engine_mlp(case, got):
    x, sizes, target, _seed = case.args
    weights, outputs, grads = unpack(got, 3, "engine_mlp_check")
    dims = [len(x)] + list(sizes)
    try:
        shapes = [np.shape(as_array(layer, f"the weights of layer {i + 1}")) for i, layer in enumerate(weights)]
    except Exception:  # noqa: BLE001 - ragged or non-numeric weights: say what was expected
        shapes = None
    expected = [(d_out, d_in + 1) for d_in, d_out in zip(dims[:-1], dims[1:])]
    if shapes != expected:
        return (f"MLP({len(x)}, {sizes}) should have layers of {sizes} neurons, each with its inputs' weights "
                f"and a bias (per layer: {expected}), got {shapes}")
    weights = [as_array(layer) for layer in weights]
    if any(np.any(np.abs(w[:, :-1]) > 1) for w in weights) or any(np.any(w[:, -1] != 0) for w in weights):
        return "weights should be drawn from [-1, 1) and biases start at 0"
    ref_out, ref_grads = engine_mlp_reference(weights, x, target)
    problem = mismatch(outputs, ref_out, atol=1e-10, rtol=1e-9,
                       name="outputs (tanh in the hidden layers, linear in the last one)")
    if problem:
        return problem
    for i, (g, r) in enumerate(zip(grads, ref_grads), start=1):
        problem = mismatch(g, r, atol=1e-10, rtol=1e-9, name=f"gradients of layer {i} (weights, then bias)")
        if problem:
            return problem
    return None


# -- 8. the engine's MLP trained on the XOR clouds: its exported weights, run here ------

XOR_POINTS = 400
XOR_ACCURACY = 0.9      # a trained 2-4-1 reaches 0.96-1.0; a line cannot beat 0.75
XOR_MAX_LAYERS = 10
XOR_MAX_PARAMETERS = 10_000   # a 2-4-1 has 17; the engine would take minutes per step long before this
SHIPPED_XOR_SEED = 0          # the notebook's data.xor_blobs(n=48, seed=0): never the grader's


@dataclass
class XorCase(Case):
    """No inputs for the student: the seed of the fresh points stays in the grading process."""

    seed: int = SHIPPED_XOR_SEED


def xor_cases(rng):
    seed = int(rng.integers(SHIPPED_XOR_SEED + 1, 2**63 - 1))
    return [XorCase(note=f"your exported weights, run by the grader on {XOR_POINTS} fresh points from the "
                         f"XOR clouds (seed kept secret)", seed=seed)]


def check_xor(case, got):
    """The exported [(W, b), ...] run as a tanh MLP with a linear output on fresh points: class 1 where > 0."""
    layers, problem = parse_layers(got, n_in=2, n_out=1, max_layers=XOR_MAX_LAYERS,
                                   max_parameters=XOR_MAX_PARAMETERS, name="the exported network")
    if problem:
        return problem
    X, y = xor_blobs(n=XOR_POINTS, seed=case.seed)
    problem = accuracy_problem(binary_tanh_network(layers), X, y, XOR_ACCURACY, "points",
                               "fresh points from the XOR clouds")
    if problem and len(layers) == 1:
        return problem + ": without a hidden layer the boundary is one straight line, and no line separates XOR"
    return problem


# -- questions --------------------------------------------------------------------------

QUESTIONS = [
    Exercise("test_q_dead_relu", choice(
        "b", "the ReLU's derivative is 0 wherever the pre-activation is negative, so every delta reaching that "
             "unit is multiplied by 0, and its incoming weights get a zero gradient on that batch")),
    Exercise("test_q_shift", choice(
        "a", "the softmax is unchanged when one constant is added to all logits of a row (it cancels between "
             "numerator and denominator), so p, the loss and p - y are all unchanged")),
    Exercise("test_q_eps", choice(
        "b", "at eps = 1e-3 the central difference's error is truncation, proportional to eps squared, so "
             "halving eps divides it by about 4")),
    Exercise("test_q_batch", choice(
        "b", "the loss is a mean: each copy contributes half as much as the original example did, and the two "
             "copies add up to the original contribution")),
]

EXERCISES = [
    Exercise("test_activation_grad", check_activation, activation_cases),
    Exercise("test_softmax_ce", check_softmax, softmax_cases),
    Exercise("test_grad_check", check_grad_check, grad_check_cases),
    Exercise("test_linear_backward", check_linear, linear_cases),
    Exercise("test_mlp_backward", check_mlp, mlp_cases),
    Exercise("test_value_engine", check_value, value_cases),
    Exercise("test_engine_mlp", check_engine_mlp, engine_mlp_cases),
    Exercise("test_train_engine", check_xor, xor_cases),
    *QUESTIONS,
]
