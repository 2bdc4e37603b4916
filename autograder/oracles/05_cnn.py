"""Oracle for 05-cnn: references from torch.nn.functional in float64, torch.autograd and closed forms.

Each ``*_cases`` draws fresh inputs from the grader's generator; each ``check_*``
recomputes the reference here, in the grading process, and compares.
"""
import numpy as np
import torch
import torch.nn.functional as F

from autograder.oracle import Case, Exercise, as_array, choice, estimate, mismatch, unpack
from autograder.trained_model import check_exported_classifier, fresh_digits_cases
from dlcourse.data import digits


def _t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


# -- 1. conv1d as the lectures define it (no kernel flip) -------------------------------

def conv1d_cases(rng):
    cases = [Case((np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 2.0])),
                  note="the lecture's example (1, 2, 3, 4) * (3, 2)"),
             Case((np.array([0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4], dtype=float), np.array([-1.0, 1.0])),
                  note="the lecture's differential operator (-1, 1)")]
    for _ in range(8):
        n = int(rng.integers(3, 25))
        w = int(rng.integers(1, min(n, 7) + 1))
        cases.append(Case((rng.normal(size=n), rng.normal(size=w))))
    n = int(rng.integers(2, 8))
    cases.append(Case((rng.normal(size=n), rng.normal(size=n)), note="kernel as long as the signal"))
    cases.append(Case((rng.normal(size=6), rng.normal(size=1)), note="a kernel of length 1"))
    cases.append(Case((rng.normal(size=9), np.array([1.0, 2.0, 3.0])),
                      note="an asymmetric kernel: a flipped kernel gives the wrong answer"))
    return cases


def check_conv1d(case, got):
    x, u = case.args
    ref = F.conv1d(_t(x)[None, None], _t(u)[None, None])[0, 0].numpy()
    return mismatch(got, ref, atol=1e-8, rtol=1e-6, name="conv1d")


# -- 2./3. conv2d with stride, padding and dilation -------------------------------------

def conv2d_cases(rng):
    cases = []
    configs = [(1, 0, 1), (1, 1, 1), (2, 0, 1), (2, 1, 1), (1, 0, 2), (1, 2, 2),
               (3, 1, 1), (2, 2, 2), (1, 1, 3), (2, 0, 1)]
    for i, (s, p, d) in enumerate(configs):
        n, c_in, c_out = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        h = int(rng.integers(max(1, d * (kh - 1) + 1 - 2 * p), 10))
        w = int(rng.integers(max(1, d * (kw - 1) + 1 - 2 * p), 10))
        x = rng.normal(size=(n, c_in, h, w))
        k = rng.normal(size=(c_out, c_in, kh, kw))
        b = rng.normal(size=c_out) if i != 3 else None
        if i % 2:
            cases.append(Case((x, k, b), {"stride": s, "padding": p, "dilation": d}))
        else:
            cases.append(Case((x, k, b, s, p, d)))
    x = rng.normal(size=(1, 2, 5, 5))
    cases.append(Case((x, rng.normal(size=(3, 2, 5, 5)), rng.normal(size=3)),
                      note="kernel as large as the input: a 1x1 output"))
    x = rng.normal(size=(2, 1, 7, 6))
    cases.append(Case((x, rng.normal(size=(2, 1, 3, 3)), np.zeros(2)), {"stride": 2},
                      note="stride 2 that does not cover the last column"))
    x = rng.normal(size=(1, 3, 6, 8))
    cases.append(Case((x, rng.normal(size=(2, 3, 2, 3)), rng.normal(size=2)),
                      {"stride": 2, "padding": 1, "dilation": 2}, note="non-square kernel and image"))
    return cases


def _conv2d_args(case):
    x, w, b, *rest = case.args
    names = ("stride", "padding", "dilation")
    opts = {"stride": 1, "padding": 0, "dilation": 1}
    opts.update(dict(zip(names, rest)))
    opts.update(case.kwargs)
    return x, w, b, opts


def reference_conv2d(case, bias=True, padding=True, flip=False):
    """F.conv2d on the case; the flags give the likely mistakes the checker names."""
    x, w, b, opts = _conv2d_args(case)
    kernel = _t(w).flip(2, 3) if flip else _t(w)
    return F.conv2d(_t(x), kernel, _t(b) if b is not None and bias else None, stride=opts["stride"],
                    padding=opts["padding"] if padding else 0, dilation=opts["dilation"]).numpy()


CONV2D_MISTAKES = [
    ({"padding": False}, "did you forget the padding? (zeros around the image, on both sides)"),
    ({"bias": False}, "did you forget to add the bias b[o] to output channel o?"),
    ({"flip": True}, "you flipped the kernel: the lectures' convolution reads it as is (cross-correlation)"),
]


def check_conv2d(case, got, name):
    problem = mismatch(got, reference_conv2d(case), atol=1e-8, rtol=1e-6, name=name)
    if problem:
        for variant, hint in CONV2D_MISTAKES:
            try:
                if mismatch(got, reference_conv2d(case, **variant), atol=1e-8, rtol=1e-6) is None:
                    return f"{problem}: {hint}"
            except RuntimeError:  # without its padding the input may be smaller than the kernel
                continue
    return problem


def check_conv2d_loops(case, got):
    return check_conv2d(case, got, "conv2d_loops")


def check_conv2d_vectorised(case, got):
    return check_conv2d(case, got, "conv2d_vectorised")


# -- 4. output size -----------------------------------------------------------------------

def closed_form_size(n, k, stride=1, padding=0, dilation=1):
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def output_size_cases(rng):
    cases = [Case((3, 3, 2, 2, 1), note="the lecture's rows: 3 rows, kernel 3, stride 2, padding 2"),
             Case((5, 3, 2, 1, 1), note="the lecture's columns: 5 columns, kernel 3, stride 2, padding 1"),
             Case((6, 3, 2, 0, 1), note="stride 2 leaves the last input unused"),
             Case((7, 3), note="defaults: stride 1, padding 0, dilation 1")]
    while len(cases) < 16:
        n, k = int(rng.integers(1, 40)), int(rng.integers(1, 8))
        s, p, d = int(rng.integers(1, 5)), int(rng.integers(0, 4)), int(rng.integers(1, 4))
        if n + 2 * p < d * (k - 1) + 1:
            continue
        if len(cases) % 2:
            cases.append(Case((n, k), {"stride": s, "padding": p, "dilation": d}))
        else:
            cases.append(Case((n, k, s, p, d)))
    return cases


def check_output_size(case, got):
    args = dict(zip(("n", "k", "stride", "padding", "dilation"), case.args))
    args.update(case.kwargs)
    expected = closed_form_size(**args)
    # Cross-check the closed form with the shape PyTorch produces (along one axis).
    probe = F.conv2d(torch.zeros(1, 1, args["n"], 1), torch.zeros(1, 1, args["k"], 1),
                     stride=(args.get("stride", 1), 1), padding=(args.get("padding", 0), 0),
                     dilation=(args.get("dilation", 1), 1))
    if probe.shape[2] != expected:  # the oracle's own formula is wrong: not the student's fault
        raise RuntimeError(f"oracle inconsistency: closed form {expected}, PyTorch {probe.shape[2]}")
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return f"conv_output_size should return an int, got {type(got).__name__}"
    if float(got) != int(got):
        return f"conv_output_size should return a whole number, got {got}: use floor division //"
    if int(got) != expected:
        return f"conv_output_size: expected {expected}, got {int(got)}"
    return None


# -- 5. max pooling -----------------------------------------------------------------------

def max_pool_cases(rng):
    cases = []
    for i, (k, s) in enumerate([(2, None), (2, None), (3, None), (2, 1), (3, 2), (2, 3), (1, None),
                                (3, 1), (2, 2), (4, None)]):
        n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        h, w = int(rng.integers(k, 10)), int(rng.integers(k, 10))
        x = rng.normal(size=(n, c, h, w)) - 3.0  # all negative mostly: padding with zeros would show
        if i == 1:
            x = rng.integers(-2, 2, size=(n, c, h, w)).astype(float)  # ties
        cases.append(Case((x, k)) if s is None else
                     (Case((x, k), {"stride": s}) if i % 2 else Case((x, k, s))))
    x = rng.normal(size=(1, 1, 5, 7))
    cases.append(Case((x, 2), note="odd sizes: the last row and column are dropped"))
    return cases


def check_max_pool(case, got):
    x, k, *rest = case.args
    stride = rest[0] if rest else case.kwargs.get("stride")
    ref = F.max_pool2d(_t(x), k, stride=stride if stride is not None else k).numpy()
    return mismatch(got, ref, atol=1e-12, rtol=1e-12, name="max_pool2d")


# -- 6./7. derivations: backward passes against torch.autograd ------------------------------

def conv_backward_cases(rng):
    cases = []
    for _ in range(6):
        n, c_in, c_out = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        h, w = int(rng.integers(kh, 8)), int(rng.integers(kw, 8))
        cases.append(Case((rng.normal(size=(n, c_in, h, w)), rng.normal(size=(c_out, c_in, kh, kw)),
                           rng.normal(size=(n, c_out, h - kh + 1, w - kw + 1)))))
    cases.append(Case((rng.normal(size=(2, 2, 5, 6)), rng.normal(size=(3, 2, 1, 1)), rng.normal(size=(2, 3, 5, 6))),
                      note="a 1x1 kernel"))
    cases.append(Case((rng.normal(size=(2, 2, 3, 4)), rng.normal(size=(2, 2, 3, 4)), rng.normal(size=(2, 2, 1, 1))),
                      note="a kernel as large as the input: one output position"))
    cases.append(Case((rng.normal(size=(3, 1, 4, 7)), rng.normal(size=(2, 1, 2, 3)), rng.normal(size=(3, 2, 3, 5))),
                      note="an asymmetric kernel and a batch of 3: a reversed kernel or a missing batch sum shows"))
    return cases


def reference_conv_backward(x, w, dout):
    """(dx, dw, db) of F.conv2d by torch.autograd, in float64."""
    x_t, w_t = _t(x).requires_grad_(True), _t(w).requires_grad_(True)
    b_t = torch.zeros(w_t.shape[0], dtype=torch.float64, requires_grad=True)
    F.conv2d(x_t, w_t, b_t).backward(_t(dout))
    return x_t.grad.numpy(), w_t.grad.numpy(), b_t.grad.numpy()


CONV_BACKWARD_HINTS = {
    "dx": "each input pixel collects g times the weight that joined them, from every output whose window "
          "covers it (the kernel appears reversed)",
    "dw": "each weight collects g times the input it multiplied, over the batch and every output position",
    "db": "the bias gradient adds g over the batch and both spatial axes",
}


def check_conv_backward(case, got):
    dx, dw, db = unpack(got, 3, "conv2d_backward")
    for name, mine, ref in zip(("dx", "dw", "db"), (dx, dw, db), reference_conv_backward(*case.args)):
        problem = mismatch(as_array(mine, name), ref, atol=1e-8, rtol=1e-6, name=name)
        if problem:
            return f"{problem}: {CONV_BACKWARD_HINTS[name]}"
    return None


def max_pool_backward_cases(rng):
    cases = []
    for _ in range(5):
        n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        h, w = int(rng.integers(2, 9)), int(rng.integers(2, 9))
        cases.append(Case((rng.normal(size=(n, c, h, w)), rng.normal(size=(n, c, h // 2, w // 2)))))
    x = rng.integers(-1, 2, size=(2, 2, 6, 6)).astype(float)
    cases.append(Case((x, rng.normal(size=(2, 2, 3, 3))), note="ties: entries in {-1, 0, 1}"))
    cases.append(Case((np.zeros((1, 2, 4, 4)), rng.normal(size=(1, 2, 2, 2))), note="all four entries of each window tied"))
    cases.append(Case((rng.normal(size=(1, 1, 5, 7)) - 3.0, rng.normal(size=(1, 1, 2, 3))),
                      note="odd sizes: the last row and column are in no window"))
    return cases


def check_max_pool_backward(case, got):
    x, dout = case.args
    x_t = _t(x).requires_grad_(True)
    F.max_pool2d(x_t, 2).backward(_t(dout))
    problem = mismatch(as_array(got, "dx"), x_t.grad.numpy(), atol=1e-12, rtol=1e-12, name="dx")
    if problem and "tie" in case.note:
        return f"{problem}: on ties the whole gradient goes to the first maximum of the window in row-major order"
    return problem


# -- questions ----------------------------------------------------------------------------------

QUESTIONS = [
    Exercise("test_q_field", estimate(11, 11, "apply r_l = r_(l-1) + (k_l - 1) j_(l-1) layer by layer: after the "
                                              "stride-2 layer one step of the next layers is two input pixels")),
    Exercise("test_q_poolgrad", choice("c", "with stride 1 a pixel lies in up to 3 x 3 = 9 windows, and the "
                                            "largest value of the map wins all of them")),
    Exercise("test_q_shift", choice("b", "the convolution moves its map with the digit; a 2x2 pool with stride 2 "
                                         "turns an even shift into a shift of half as many pooled units")),
    Exercise("test_q_gap", choice("b", "the MLP has a weight per position and memorises the training samples at "
                                       "each shift: near-perfect training accuracy, far lower validation accuracy; "
                                       "the CNN shares its weights across positions and logistic regression under-fits")),
]


# -- 8. LeNet: the student's architecture with the grader's weights ------------------------

LENET_SHAPES = [(6, 1, 3, 3), (6,), (16, 6, 3, 3), (16,), (120, 64), (120,), (84, 120), (84,),
                (10, 84), (10,)]
LENET_COUNT = sum(int(np.prod(s)) for s in LENET_SHAPES)  # 19754


def reference_lenet(x, params, pool=F.max_pool2d, act=F.relu):
    """The specified LeNet with the grader's weights; ``pool`` and ``act`` name likely mistakes."""
    w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = (_t(p) for p in params)
    h = pool(act(F.conv2d(_t(x), w1, b1, padding=1)), 2)
    h = pool(act(F.conv2d(h, w2, b2, padding=1)), 2)
    h = h.reshape(len(h), -1)
    h = act(h @ w3.T + b3)
    h = act(h @ w4.T + b4)
    return (h @ w5.T + b5).numpy()


# Architectures a student plausibly builds instead, with what to tell them.
LENET_MISTAKES = [
    ({"pool": F.avg_pool2d}, "your network pools by averaging: the specified LeNet uses max pooling (nn.MaxPool2d)"),
    ({"act": lambda t: t}, "your network has no ReLU: put one after each convolution and each hidden dense layer"),
]


def lenet_cases(rng):
    test_images = digits().X_test
    cases = []
    for i in range(5):
        params = []
        for shape in LENET_SHAPES:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 4
            params.append(torch.tensor(rng.normal(size=shape) / np.sqrt(fan_in), dtype=torch.float32))
        if i < 2:
            idx = rng.choice(len(test_images), size=4, replace=False)
            x = test_images[idx].reshape(-1, 1, 8, 8)
        else:
            x = rng.normal(size=(int(rng.integers(1, 4)), 1, 8, 8))
        note = f"{len(x)} input(s) of shape 1x8x8 and the grader's own weights"
        cases.append(Case((torch.tensor(x, dtype=torch.float32), params), note=note))
    return cases


def check_lenet(case, got):
    if not isinstance(got, dict) or "logits" not in got or "n_params" not in got:
        return "lenet_output should return the dict {'logits': ..., 'n_params': ...} (do not edit the test cell)"
    x, params = case.args
    n_params = got["n_params"]
    if isinstance(n_params, bool) or not isinstance(n_params, (int, float)) or int(n_params) != LENET_COUNT:
        return f"your LeNet has {n_params} parameters, the specified architecture has {LENET_COUNT}"
    problem = mismatch(got["logits"], reference_lenet(x, params), atol=1e-4, rtol=1e-4,
                       name="logits with the grader's weights")
    if problem:
        for variant, hint in LENET_MISTAKES:
            if mismatch(got["logits"], reference_lenet(x, params, **variant), atol=1e-4, rtol=1e-4) is None:
                return f"{problem}: {hint}"
    return problem


# -- 9. a trained digits classifier: its exported network on fresh digits -------------------

DIGITS_THRESHOLD = 0.90  # the exercise, the self-check and the promise state this number; fast mode reaches ~95-96%


def as_images(X):
    return np.asarray(X, dtype=np.float64).reshape(-1, 1, 8, 8)


def check_digits(case, exported):
    return check_exported_classifier(case, exported, DIGITS_THRESHOLD, as_images)


EXERCISES = [
    Exercise("test_conv1d", check_conv1d, conv1d_cases),
    Exercise("test_conv2d_loops", check_conv2d_loops, conv2d_cases),
    Exercise("test_conv2d_vectorised", check_conv2d_vectorised, conv2d_cases),
    Exercise("test_conv_output_size", check_output_size, output_size_cases),
    Exercise("test_max_pool2d", check_max_pool, max_pool_cases),
    Exercise("test_conv2d_backward", check_conv_backward, conv_backward_cases),
    Exercise("test_max_pool2d_backward", check_max_pool_backward, max_pool_backward_cases),
    Exercise("test_lenet", check_lenet, lenet_cases),
    Exercise("test_predict_digits", check_digits, fresh_digits_cases),
    *QUESTIONS,
]
