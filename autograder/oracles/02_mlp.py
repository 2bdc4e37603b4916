"""Oracle for 02-mlp: references in plain NumPy and PyTorch (torch.nn.functional).

Each ``*_cases`` draws fresh inputs from the grader's generator; each ``check_*``
recomputes the reference here, in the grading process, and compares.
"""
import numpy as np
import torch
import torch.nn.functional as F

from autograder.oracle import Case, Exercise, as_array, choice, estimate, mismatch, unpack
from autograder.reference import TORCH_ACTIVATIONS, t64
from autograder.trained_model import check_exported_classifier, fresh_digits_cases
from dlcourse.data import logic_gate


def random_stack(rng, sizes, scale=1.0):
    """Weights [(W, b), ...] for layer sizes d_0 -> d_1 -> ... (W of shape (d_out, d_in))."""
    return [(rng.normal(size=(d_out, d_in)) * scale, rng.normal(size=d_out) * scale)
            for d_in, d_out in zip(sizes[:-1], sizes[1:])]


def random_sizes(rng, n_layers, lo=1, hi=6):
    return [int(s) for s in rng.integers(lo, hi + 1, size=n_layers + 1)]


# -- 1. NumPy forward pass (reference: torch F.linear / F.relu in float64) -------------

def reference_forward(X, weights):
    H = t64(X)
    for i, (W, b) in enumerate(weights):
        H = F.linear(H, t64(W), t64(b))
        if i < len(weights) - 1:
            H = F.relu(H)
    return H.numpy()


def forward_cases(rng):
    cases = []
    for _ in range(10):
        sizes = random_sizes(rng, int(rng.integers(1, 5)))
        X = rng.normal(size=(int(rng.integers(1, 9)), sizes[0]))
        cases.append(Case((X, random_stack(rng, sizes))))
    X = rng.normal(size=(5, 3))
    cases.append(Case((X, random_stack(rng, [3, 2])), note="a single affine layer (no ReLU at all)"))
    W1, b1 = rng.normal(size=(4, 2)), rng.normal(size=4)
    W2, b2 = rng.normal(size=(2, 4)), np.array([-10.0, -10.0])
    cases.append(Case((rng.normal(size=(6, 2)), [(W1, b1), (W2, b2)]),
                      note="negative outputs: the last layer must not apply a ReLU"))
    sizes = [2, 1, 3, 1]
    cases.append(Case((rng.normal(size=(7, 2)), random_stack(rng, sizes)), note="hidden layers of width 1"))
    cases.append(Case((rng.normal(size=(1, 6)), random_stack(rng, [6, 5, 4, 3, 2, 1])),
                      note="one input through five layers"))
    return cases


def check_forward(case, got):
    X, weights = case.args
    return mismatch(got, reference_forward(X, weights), atol=1e-8, rtol=1e-7, name="mlp_forward")


# -- 2. XOR weights (the oracle runs the network on the truth table itself) ----------

def check_xor(_case, got):
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        return "XOR_WEIGHTS should be a list of two pairs [(W1, b1), (W2, b2)]"
    (W1, b1), (W2, b2) = (unpack(pair, 2, f"layer {i + 1} of XOR_WEIGHTS") for i, pair in enumerate(got))
    arrays = {}
    for name, value, shape in [("W1", W1, (2, 2)), ("b1", b1, (2,)), ("W2", W2, (1, 2)), ("b2", b2, (1,))]:
        a = as_array(value, name)
        if a.shape != shape:
            return f"{name} should have shape {shape}, got {a.shape}"
        if not np.all(np.isfinite(a)):
            return f"{name} contains nan or inf"
        arrays[name] = a
    X, y = logic_gate("XOR")
    hidden = np.maximum(X @ arrays["W1"].T + arrays["b1"], 0.0)
    out = (hidden @ arrays["W2"].T + arrays["b2"])[:, 0]
    if not np.array_equal((out > 0.5).astype(int), y):
        return (f"on the inputs 00, 01, 10, 11 your network outputs {np.round(out, 4).tolist()}: "
                f"it should be above 0.5 exactly on 01 and 10")
    return None


# -- 3. collapsing affine layers -------------------------------------------------------

def reference_collapse(weights):
    d0 = np.shape(weights[0][0])[1]
    W_total, b_total = np.eye(d0), np.zeros(d0)
    for W, b in weights:
        W_total, b_total = W @ W_total, W @ b_total + b
    return W_total, b_total


def collapse_cases(rng):
    cases = []
    for _ in range(10):
        cases.append(Case((random_stack(rng, random_sizes(rng, int(rng.integers(2, 5)))),)))
    cases.append(Case((random_stack(rng, [4, 3]),), note="a single layer"))
    cases.append(Case((random_stack(rng, [3, 1, 5, 2]),), note="a bottleneck of width 1"))
    cases.append(Case((random_stack(rng, [1, 6, 6, 1]),), note="scalar input and output"))
    cases.append(Case((random_stack(rng, [5, 5, 5, 5, 5, 5, 5], scale=0.6),), note="six square layers"))
    return cases


def check_collapse(case, got):
    (weights,) = case.args
    W, b = unpack(got, 2, "collapse_affine")
    ref_W, ref_b = reference_collapse(weights)
    return (mismatch(W, ref_W, atol=1e-8, rtol=1e-7, name="W")
            or mismatch(b, ref_b, atol=1e-8, rtol=1e-7, name="b"))


# -- 4. ReLU interpolant (reference: np.interp) ----------------------------------------

def interp_cases(rng):
    cases = []
    for i in range(10):
        k = int(rng.integers(1, 12))
        xs = np.cumsum(rng.uniform(0.1, 1.5, size=k + 1)) + rng.uniform(-5, 0)
        ys = rng.normal(size=k + 1) * rng.choice([0.5, 1.0, 3.0])
        m = int(rng.integers(1, 40))
        xq = rng.uniform(xs[0] - 2, xs[-1] + 2, size=m)
        if i % 3 == 0:  # some queries exactly on the knots
            xq = np.concatenate([xq, rng.permutation(xs)])
        cases.append(Case((xs, ys, xq)))
    xs, ys = np.array([-1.0, 2.0]), np.array([0.5, -2.0])
    cases.append(Case((xs, ys, np.array([-3.0, -1.0, 0.0, 2.0, 7.0])), note="two knots (one segment)"))
    xs = np.linspace(0, 1, 6)
    cases.append(Case((xs, rng.normal(size=6), rng.uniform(1.5, 4.0, size=8)),
                      note="every query right of the last knot: the result must stay at y_K"))
    cases.append(Case((xs, rng.normal(size=6), rng.uniform(-4.0, -0.5, size=8)),
                      note="every query left of the first knot: the result must be y_0"))
    cases.append(Case((xs, rng.normal(size=6), np.array([0.5])), note="a single query point"))
    return cases


def check_interp(case, got):
    xs, ys, xq = case.args
    return mismatch(got, np.interp(xq, xs, ys), atol=1e-8, rtol=1e-7, name="relu_interpolant")


# -- 5. configurable PyTorch MLP (reference: torch.nn.functional) ----------------------

ACTIVATIONS = TORCH_ACTIVATIONS


def mlp_cases(rng):
    cases = []
    settings = [(2, [3], 1, "relu"), (1, [8, 8], 1, "tanh"), (4, [5, 3, 6], 2, "sigmoid"),
                (3, [4, 4], 3, "linear"), (5, [], 2, "relu"), (2, [1], 2, "relu"),
                (6, [7, 2], 4, "tanh"), (1, [16], 1, "sigmoid"), (3, [2, 2, 2, 2], 1, "relu")]
    notes = {4: "hidden = []: a single nn.Linear", 5: "a hidden layer of width 1"}
    for i, (d_in, hidden, d_out, act) in enumerate(settings):
        sizes = [d_in, *hidden, d_out]
        params = [(torch.tensor(W, dtype=torch.float32), torch.tensor(b, dtype=torch.float32))
                  for W, b in random_stack(rng, sizes)]
        X = torch.tensor(rng.normal(size=(int(rng.integers(1, 7)), d_in)) * 2, dtype=torch.float32)
        cases.append(Case((d_in, list(hidden), d_out, act, params, X), note=notes.get(i, "")))
    return cases


def check_mlp(case, got):
    d_in, hidden, d_out, act, params, X = case.args
    n_params, out = unpack(got, 2, "make_mlp_probe")
    H = torch.as_tensor(np.asarray(X), dtype=torch.float64)
    for i, (W, b) in enumerate(params):
        H = F.linear(H, torch.as_tensor(np.asarray(W), dtype=torch.float64),
                     torch.as_tensor(np.asarray(b), dtype=torch.float64))
        if i < len(params) - 1:
            H = ACTIVATIONS[act](H)
    expected_n = sum(np.asarray(W).size + np.asarray(b).size for W, b in params)
    arch = f"make_mlp({d_in}, {hidden}, {d_out}, {act!r})"
    if not isinstance(n_params, (int, np.integer)) or int(n_params) != expected_n:
        return f"{arch} should have {expected_n} parameters, got {n_params}"
    return mismatch(out, H.numpy(), atol=1e-5, rtol=1e-4, name=f"output of {arch}")


# -- 6. grid search --------------------------------------------------------------------

def grid_cases(rng):
    cases = []
    shapes = [(3, 4), (4, 2), (1, 5), (5, 1), (1, 1), (3, 3), (2, 6)]
    for i, (n_depths, n_widths) in enumerate(shapes):
        widths = sorted(int(w) for w in rng.choice([1, 2, 4, 8, 16, 32, 64, 128], size=n_widths, replace=False))
        depths = sorted(int(d) for d in rng.choice(np.arange(1, 9), size=n_depths, replace=False))
        if i == 2:
            widths = widths[::-1]  # the lists need not be sorted
        table = 10.0 ** rng.uniform(-6, 0, size=(n_depths, n_widths))
        note = ""
        if i == 0:
            table.flat[int(np.argmin(table))] = np.nan  # the smallest entry diverged
            note = "a nan where the smallest score would be"
        if i == 1:
            table[:] = np.round(table, 1)
            table[1, 0] = table[3, 1] = table.min() - 0.05  # a tie for the best
            note = "two pairs tie for the best score"
        if i == 5:
            table[0, :] = np.nan
            table[2, 2] = np.nan
            note = "a whole row of nan"
        cases.append(Case((widths, depths, table), note=note))
    return cases


def check_grid(case, got):
    widths, depths, table = case.args
    scores, best, calls = unpack(got, 3, "grid_search_probe")
    scores = as_array(scores, "scores")
    if scores.shape != table.shape:
        return f"scores: expected shape {table.shape} (len(depths), len(widths)), got {scores.shape}"
    if not np.array_equal(np.isnan(scores), np.isnan(table)):
        return "scores: the nan entries are not where evaluate returned nan"
    ok = ~np.isnan(table)
    problem = mismatch(scores[ok], table[ok], atol=0, rtol=1e-12, name="scores (the entries that are not nan)")
    if problem:
        return problem + ": scores[i, j] should be evaluate(widths[j], depths[i])"
    try:
        pairs = [tuple(int(v) for v in unpack(c, 2, "a recorded call")) for c in calls]
    except (TypeError, ValueError):
        return "the calls to evaluate could not be read"
    expected_pairs = sorted((w, d) for d in depths for w in widths)
    if sorted(pairs) != expected_pairs:
        return (f"evaluate should be called exactly once for each of the {len(expected_pairs)} pairs, "
                f"it was called {len(pairs)} times on {len(set(pairs))} different pairs")
    i, j = np.unravel_index(np.argmin(np.where(ok, table, np.inf)), table.shape)
    expected_best = (widths[j], depths[i])
    try:
        best = tuple(int(v) for v in unpack(best, 2, "best"))
    except (TypeError, ValueError):
        return "best should be a pair of ints (width, depth)"
    if best != expected_best:
        return f"best: expected (width, depth) = {expected_best}, got {best}"
    return None


# -- 7. the cross-entropy (reference: F.cross_entropy in float64) ----------------------

def cross_entropy_cases(rng):
    cases = []
    for scale in (0.5, 3.0, 10.0, 300.0, 1000.0):
        for _ in range(3):
            n, c = int(rng.integers(1, 21)), int(rng.integers(2, 13))
            cases.append(Case((rng.normal(size=(n, c)) * scale, rng.integers(0, c, size=n)),
                              note=f"logits of scale {scale:g}"))
    big = rng.uniform(500.0, 1000.0)
    cases.append(Case((np.array([[big, 0.0, -big], [0.0, big, big - 1.0]]), np.array([2, 1])),
                      note="logits near 1000: exponentiating them directly overflows"))
    cases.append(Case((np.zeros((1, 2)), np.array([1])), note="one example, two equal logits"))
    return cases


def check_cross_entropy(case, got):
    logits, y = case.args
    ref = F.cross_entropy(t64(logits), torch.as_tensor(y)).item()
    value = as_array(got, "cross_entropy(logits, y)")
    if value.size != 1:
        return f"cross_entropy should return one number (the mean over the rows), got shape {value.shape}"
    if not np.isfinite(value).all():
        return f"cross_entropy returned {value.ravel()[0]} for {case.note}; it should be finite"
    return mismatch(value.reshape(()), np.array(ref), atol=1e-8, rtol=1e-8, name="cross_entropy")


# -- 8. trained digit classifier: its exported network on fresh digits ---------------

MIN_ACCURACY = 0.94  # the exercise, the self-check and the promise state this number; fast mode reaches ~96-97%


def raw_pixels(X):
    """The exported network starts with the notebook's standardiser, so it reads raw pixels."""
    return np.asarray(X, dtype=np.float64)


def check_digits(case, exported):
    return check_exported_classifier(case, exported, MIN_ACCURACY, raw_pixels)


EXERCISES = [
    Exercise("test_mlp_forward", check_forward, forward_cases),
    Exercise("test_xor_weights", check_xor),
    Exercise("test_collapse_affine", check_collapse, collapse_cases),
    Exercise("test_q_linear_xor", estimate(0.24, 0.26, "any stack of affine layers is one affine map, and by the "
                                                       "symmetries of XOR the best affine fit to the four corners is "
                                                       "the constant 1/2, off by 1/2 on every corner")),
    Exercise("test_relu_interpolant", check_interp, interp_cases),
    Exercise("test_q_knots", estimate(3.5, 4.5, "doubling K halves the spacing h, and for a smooth function the "
                                                "error of the interpolant scales like h squared")),
    Exercise("test_make_mlp", check_mlp, mlp_cases),
    Exercise("test_grid_search", check_grid, grid_cases),
    Exercise("test_q_dead_units", choice("b", "over-fitting would leave a small training loss, but these runs fit the "
                                              "training points as badly; a ReLU unit that is negative on every input "
                                              "outputs 0 and gets no gradient, and two such units cut a narrow layer")),
    Exercise("test_q_tent_pieces", estimate(32, 32, "each tent traverses the whole interval twice, so every layer of "
                                                    "two units doubles the number of pieces: 2 to the power 5")),
    Exercise("test_cross_entropy", check_cross_entropy, cross_entropy_cases),
    Exercise("test_q_softmax_boundary", choice("a", "the softmax's denominator is shared by all classes, so p_3 = p_8 "
                                                    "exactly when z_3 = z_8, a linear equation in the pixels")),
    Exercise("test_q_small_data_gap", choice("c", "a wide network memorises 300 images as easily as 1000, but 300 "
                                                  "images tell it less about digits in general, so its validation "
                                                  "accuracy falls further below its training accuracy")),
    Exercise("test_predict_digits", check_digits, fresh_digits_cases),
]
