"""Oracle for 07-resnet: references from torch.autograd, torch.nn and sampling theory.

Also the answers of the notebook's questions (they live only here and in solutions/).

Each ``*_cases`` draws fresh inputs from the grader's generator; each ``check_*``
recomputes the reference here, in the grading process, and compares.

The initialisers are random, so they are judged statistically, on large samples and
with tolerances of six standard errors (a correct answer fails with probability below
1e-8 per check), while every plausible wrong formula is off by 25 % or more: the cases
use fan_in != fan_out, so mixing up fan_in, fan_out and their sum is always caught.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from autograder.oracle import Case, Exercise, as_array, choice, estimate, mismatch, unpack
from autograder.reference import mlp_loss_and_grads, t64
from autograder.trained_model import check_exported_classifier, fresh_digits_cases

# -- 1. the backward pass of 03 and per-layer gradient norms (reference: torch.autograd) --


def reference_grad_norms(weights, X, y, activation):
    """Frobenius norm of d(loss)/dW for every layer, shape (n_layers,)."""
    _, grads = mlp_loss_and_grads(weights, X, y, activation)
    return np.array([np.linalg.norm(dW) for dW, _ in grads])


def mlp_backward_cases(rng):
    """The cases of layer_grad_norms, called as mlp_backward(X, y, params, activation=...)."""
    return [Case((c.args[1], c.args[2], c.args[0]), {"activation": c.args[3]}, note=c.note)
            for c in grad_norm_cases(rng)]


def check_mlp_backward(case, got):
    X, y, params = case.args
    loss_ref, grads_ref = mlp_loss_and_grads(params, X, y, case.kwargs["activation"])
    loss, grads = unpack(got, 2, "mlp_backward")
    if not isinstance(grads, (list, tuple)) or len(grads) != len(grads_ref):
        return f"mlp_backward: grads should be a list of {len(grads_ref)} (dW, db) pairs, one per layer"
    problem = mismatch(loss, loss_ref, atol=1e-10, rtol=1e-7, name="loss")
    if problem:
        return problem + " (the loss is the MEAN softmax cross-entropy over the batch)"
    for layer, (pair, (dW_ref, db_ref)) in enumerate(zip(grads, grads_ref), start=1):
        dW, db = unpack(pair, 2, f"grads[{layer - 1}]")
        for got_part, ref, name in ((dW, dW_ref, "dW"), (db, db_ref, "db")):
            problem = mismatch(got_part, ref, atol=1e-12, rtol=1e-6, name=f"{name} of layer {layer}")
            if problem:
                return problem
    return None


def grad_norm_cases(rng):
    cases = []
    plans = [("relu", 3, 1.0), ("sigmoid", 4, 1.0), ("tanh", 3, 1.5), ("relu", 6, 0.5),
             ("sigmoid", 2, 3.0), ("tanh", 5, 0.3), ("relu", 2, 2.0), ("sigmoid", 10, 0.5),
             ("tanh", 1, 1.0)]
    for activation, n_layers, scale in plans:
        dims = [int(rng.integers(2, 9)) for _ in range(n_layers)] + [int(rng.integers(2, 6))]
        weights = [(scale * rng.normal(size=(dims[i + 1], dims[i])) / math.sqrt(dims[i]),
                    0.1 * rng.normal(size=dims[i + 1])) for i in range(n_layers)]
        n = int(rng.integers(1, 12))
        X, y = rng.normal(size=(n, dims[0])), rng.integers(0, dims[-1], size=n)
        note = f"{n_layers} layer(s) of widths {dims}, {activation}, batch of {n}"
        if n_layers == 1:
            note += " (one linear layer: no activation is applied at all)"
        cases.append(Case((weights, X, y, activation), note=note))
    return cases


def check_grad_norms(case, got):
    weights, X, y, activation = case.args
    expected = reference_grad_norms(weights, X, y, activation)
    g = as_array(got, "layer_grad_norms")
    if g.shape != expected.shape:
        return (f"layer_grad_norms: expected one norm per layer, shape {expected.shape}, got "
                f"{g.shape}")
    if np.allclose(g, expected[::-1], rtol=1e-6, atol=1e-14) and not np.allclose(g, expected, rtol=1e-6, atol=1e-14):
        return "your norms are in reverse order: entry 0 belongs to the first layer (next to the input)"
    return mismatch(g, expected, atol=1e-14, rtol=1e-6, name="gradient norms")


# -- 2./3. initialisers (judged on large samples) --------------------------------------

def init_cases(rng, big_shapes, default):
    cases = []
    for i, (fan_in, fan_out) in enumerate(big_shapes):
        distribution = ("uniform", "normal")[i % 2]
        cases.append(Case((fan_in, fan_out), {"distribution": distribution,
                                              "seed": int(rng.integers(0, 2**31))},
                          note=f"fan_in={fan_in}, fan_out={fan_out}, {distribution}"))
    fan_in, fan_out = big_shapes[0][::-1]
    cases.append(Case((fan_in, fan_out), {"seed": int(rng.integers(0, 2**31))},
                      note=f"fan_in={fan_in}, fan_out={fan_out}, default distribution ({default})"))
    for fan_in, fan_out in [(3, 5), (1, 1), (7, 2)]:
        distribution = str(rng.choice(["uniform", "normal"]))
        cases.append(Case((fan_in, fan_out), {"distribution": distribution,
                                              "seed": int(rng.integers(0, 2**31))},
                          note=f"a small matrix: fan_in={fan_in}, fan_out={fan_out}, {distribution}"))
    return cases


def judge_sample(got, fan_in, fan_out, distribution, variance, name):
    """None when ``got`` looks like a sample of the right law, else a message.

    Bounds are exact; moments are compared within 6 standard errors of the sampling
    distribution (the sample mean of w^2 has variance 0.8 s^4 / n for a uniform law
    and 2 s^4 / n for a normal one, s^2 the target variance)."""
    w = as_array(got, name)
    if w.shape != (fan_out, fan_in):
        hint = " (rows = fan_out, columns = fan_in, like nn.Linear.weight)"
        return f"{name}: expected shape ({fan_out}, {fan_in}){hint}, got {w.shape}"
    if not np.all(np.isfinite(w)):
        return f"{name}: your matrix contains inf or nan"
    n, std = w.size, math.sqrt(variance)
    if distribution == "uniform":
        bound = math.sqrt(3.0 * variance)
        if np.abs(w).max() > bound * (1 + 1e-9):
            return (f"{name}: an entry has |w| = {np.abs(w).max():.5g}, beyond the bound "
                    f"{bound:.5g} of this uniform law (fan_in={fan_in}, fan_out={fan_out})")
        if n >= 10_000:
            slack = 60.0 / n  # P(no sample within slack * bound of one end) ~ exp(-n slack / 2) = e^-30
            if w.max() < bound * (1 - slack) or w.min() > -bound * (1 - slack):
                return (f"{name}: your entries span [{w.min():.5g}, {w.max():.5g}], a uniform law "
                        f"on [-a, a] with a = {bound:.5g} (fan_in={fan_in}, fan_out={fan_out}) "
                        f"would reach both ends: check the bound's formula")
    if n < 10_000:
        return None
    if abs(w.mean()) > 6 * std / math.sqrt(n):
        return f"{name}: the entries should have mean 0, yours have mean {w.mean():.4g}"
    second = float(np.mean(w ** 2))
    spread = 0.8 if distribution == "uniform" else 2.0
    tolerance = 6 * math.sqrt(spread / n)
    if abs(second / variance - 1) > tolerance:
        return (f"{name}: the entries' variance is {second:.5g}, the target is {variance:.5g} "
                f"(fan_in={fan_in}, fan_out={fan_out}; ratio {second / variance:.3f}): check the formula")
    if distribution == "normal":
        kurtosis = float(np.mean(w ** 4)) / second ** 2
        if abs(kurtosis - 3.0) > 0.4:
            return (f"{name}: the entries do not look normally distributed (kurtosis {kurtosis:.2f}; "
                    f"a normal law has 3, a uniform one 1.8)")
        if np.abs(w).max() < 3.3 * std:
            return f"{name}: no entry beyond 3.3 standard deviations: is your normal law truncated?"
    return None


XAVIER_BIG = [(400, 100), (120, 300), (90, 360), (250, 160)]
HE_BIG = [(100, 400), (300, 120), (360, 90), (160, 250)]


def xavier_cases(rng):
    return init_cases(rng, XAVIER_BIG, "uniform")


def check_xavier(case, got):
    fan_in, fan_out = case.args
    distribution = case.kwargs.get("distribution", "uniform")
    return judge_sample(got, fan_in, fan_out, distribution, 2.0 / (fan_in + fan_out), "xavier_init")


def he_cases(rng):
    return init_cases(rng, HE_BIG, "normal")


def check_he(case, got):
    fan_in, fan_out = case.args
    distribution = case.kwargs.get("distribution", "normal")
    return judge_sample(got, fan_in, fan_out, distribution, 2.0 / fan_in, "he_init")


# -- 4. batch normalisation (reference: nn.BatchNorm1d / nn.BatchNorm2d in float64) -----

def reference_batchnorm(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5, training=True):
    C = x.shape[1]
    bn = (nn.BatchNorm1d if x.ndim == 2 else nn.BatchNorm2d)(C, eps=eps, momentum=momentum).double()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
        bn.running_mean.copy_(torch.tensor(running_mean))
        bn.running_var.copy_(torch.tensor(running_var))
        bn.train(training)
        y = bn(torch.tensor(x, dtype=torch.float64))
    return y.numpy(), bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()


def batchnorm_cases(rng):
    cases = []
    shapes = [(8, 3), (2, 4), (20, 1), (5, 6), (4, 3, 5, 5), (1, 2, 3, 4), (6, 4, 2, 3), (3, 1, 4, 4)]
    for i, shape in enumerate(shapes):
        C = shape[1]
        loc = rng.normal(size=C) * 3
        scale = rng.uniform(0.5, 4.0, size=C)
        axes = (1, C) + (1,) * (len(shape) - 2)
        x = loc.reshape(axes) + scale.reshape(axes) * rng.normal(size=shape)
        gamma, beta = rng.uniform(0.5, 2.0, size=C), rng.normal(size=C)
        running_mean, running_var = rng.normal(size=C), rng.uniform(0.5, 3.0, size=C)
        for training in (True, False):
            kwargs = {"training": training}
            if i % 3 == 1:
                kwargs.update(momentum=float(rng.choice([0.01, 0.3, 0.5])), eps=float(rng.choice([1e-3, 0.1])))
            mode = "training" if training else "eval"
            note = f"x of shape {shape}, {mode} mode" + (f", momentum={kwargs['momentum']}, eps={kwargs['eps']}"
                                                         if "momentum" in kwargs else "")
            cases.append(Case((x, gamma, beta, running_mean, running_var), kwargs, note=note))
    return cases


def check_batchnorm(case, got):
    y, rm, rv = unpack(got, 3, "batchnorm_forward")
    y_ref, rm_ref, rv_ref = reference_batchnorm(*case.args, **case.kwargs)
    problem = mismatch(y, y_ref, atol=1e-6, rtol=0, name="y")
    if problem:
        return problem
    problem = mismatch(rm, rm_ref, atol=1e-6, rtol=0, name="new running_mean")
    if problem:
        return problem
    problem = mismatch(rv, rv_ref, atol=1e-6, rtol=0, name="new running_var")
    if problem and case.kwargs.get("training", True):
        x = case.args[0]
        m = x.size // x.shape[1]
        mom = case.kwargs.get("momentum", 0.1)
        axes = (0,) + tuple(range(2, x.ndim))
        biased = (1 - mom) * case.args[4] + mom * x.var(axis=axes)
        if np.allclose(as_array(rv), biased, atol=1e-6, rtol=0):
            return (f"{problem}: you updated the running variance with the biased batch variance; "
                    f"PyTorch uses the unbiased one, times m / (m - 1) with m = {m}")
    return problem


# -- 5. batch norm backward, training mode (reference: torch.autograd) ---------------

def reference_batchnorm_backward(dout, x, gamma, eps=1e-5):
    x_t, g_t = t64(x, grad=True), t64(gamma, grad=True)
    b_t = t64(np.zeros(x.shape[1]), grad=True)
    F.batch_norm(x_t, None, None, g_t, b_t, training=True, eps=eps).backward(t64(dout))
    return x_t.grad.numpy(), g_t.grad.numpy(), b_t.grad.numpy()


def batchnorm_backward_cases(rng):
    cases = []
    for N, D in [(2, 1), (2, 3), (5, 4), (8, 2), (16, 5), (64, 3), (3, 7), (32, 1)]:
        x = rng.normal(size=D) * 3 + rng.uniform(0.2, 5.0, size=D) * rng.normal(size=(N, D))
        dout = rng.normal(size=(N, D)) * rng.uniform(0.1, 3.0)
        gamma = rng.uniform(-2.0, 2.0, size=D)
        kwargs = {} if N % 2 == 0 else {"eps": float(rng.choice([1e-3, 0.1, 1.0]))}
        note = f"x of shape ({N}, {D})" + (f", eps={kwargs['eps']}" if kwargs else "")
        cases.append(Case((dout, x, gamma), kwargs, note=note))
    return cases


def check_batchnorm_backward(case, got):
    dx, dgamma, dbeta = unpack(got, 3, "batchnorm_backward")
    dx_ref, dgamma_ref, dbeta_ref = reference_batchnorm_backward(*case.args, **case.kwargs)
    scale = 1e-7 * (1 + float(np.abs(case.args[0]).max()))
    for got_part, ref, name in ((dbeta, dbeta_ref, "dbeta"), (dgamma, dgamma_ref, "dgamma"), (dx, dx_ref, "dx")):
        problem = mismatch(got_part, ref, atol=scale, rtol=1e-6, name=name)
        if problem:
            if name == "dx":
                problem += (": x_i reaches the loss through x_hat_i, through the batch mean and through "
                            "the batch variance; check each of the three paths")
            return problem
    return None


# -- 6. residual block with projection shortcut (reference: nn.Conv2d, nn.BatchNorm2d) --

def _bn_params(rng, C):
    return {"gamma": torch.tensor(rng.uniform(0.5, 1.5, size=C)),
            "beta": torch.tensor(0.2 * rng.normal(size=C)),
            "mean": torch.tensor(0.3 * rng.normal(size=C)),
            "var": torch.tensor(rng.uniform(0.5, 2.0, size=C))}


def _conv_weight(rng, c_out, c_in, k):
    return torch.tensor(rng.normal(size=(c_out, c_in, k, k)) * math.sqrt(2.0 / (c_in * k * k)))


def block_cases(rng):
    plans = [  # (N, C_in, C_out, H, W, stride)
        (2, 3, 3, 6, 6, 1),   # identity shortcut
        (1, 4, 4, 5, 5, 1),   # identity shortcut, a single image
        (2, 2, 5, 6, 6, 1),   # projection: more channels
        (3, 3, 3, 6, 6, 2),   # projection: stride 2, same channels
        (2, 2, 4, 7, 7, 2),   # projection: both, odd size
        (1, 3, 6, 6, 5, 2),   # projection: non-square input
        (2, 4, 2, 4, 4, 1),   # projection: fewer channels
    ]
    cases = []
    for n, c_in, c_out, h, w, stride in plans:
        params = {"conv1": _conv_weight(rng, c_out, c_in, 3), "bn1": _bn_params(rng, c_out),
                  "conv2": _conv_weight(rng, c_out, c_out, 3), "bn2": _bn_params(rng, c_out)}
        projection = stride != 1 or c_in != c_out
        if projection:
            params["proj"] = _conv_weight(rng, c_out, c_in, 1)
            params["proj_bn"] = _bn_params(rng, c_out)
        x = torch.tensor(rng.normal(size=(n, c_in, h, w)))
        kind = "projection shortcut" if projection else "identity shortcut"
        cases.append(Case((x, params, stride), note=f"x of shape {(n, c_in, h, w)}, C_out={c_out}, "
                                                    f"stride={stride}, {kind}"))
    return cases


def _bn_eval(p, C):
    bn = nn.BatchNorm2d(C, eps=1e-5).double().eval()
    with torch.no_grad():
        bn.weight.copy_(p["gamma"])
        bn.bias.copy_(p["beta"])
        bn.running_mean.copy_(p["mean"])
        bn.running_var.copy_(p["var"])
    return bn


def reference_block(x, params, stride):
    c_in, c_out = x.shape[1], params["conv1"].shape[0]
    conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False).double()
    conv2 = nn.Conv2d(c_out, c_out, 3, stride=1, padding=1, bias=False).double()
    with torch.no_grad():
        conv1.weight.copy_(params["conv1"])
        conv2.weight.copy_(params["conv2"])
        out = torch.relu(_bn_eval(params["bn1"], c_out)(conv1(x)))
        out = _bn_eval(params["bn2"], c_out)(conv2(out))
        if "proj" in params:
            proj = nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False).double()
            proj.weight.copy_(params["proj"])
            shortcut = _bn_eval(params["proj_bn"], c_out)(proj(x))
        else:
            shortcut = x
        return torch.relu(out + shortcut).numpy()


def check_block(case, got):
    expected = reference_block(*case.args)
    g = as_array(got, "residual_block_forward")
    if g.shape != expected.shape:
        return (f"residual_block_forward: expected shape {expected.shape}, got {g.shape}: "
                f"padding 1 on both 3x3 convolutions, the stride on conv1 and on the projection only")
    if np.any(g < 0):
        return "your output has negative entries: the block ends with a ReLU applied after the addition"
    return mismatch(g, expected, atol=1e-8, rtol=1e-6, name="block output")


# -- 7. a trained ResNet on the digits: its exported network on fresh digits ---------

ACCURACY_THRESHOLD = 0.92  # the exercise, the self-check and the promise state this number; fast mode reaches ~95-98%


def as_images(X):
    return np.asarray(X, dtype=np.float64).reshape(-1, 1, 8, 8)


def check_digits(case, exported):
    return check_exported_classifier(case, exported, ACCURACY_THRESHOLD, as_images)


EXERCISES = [
    Exercise("test_mlp_backward", check_mlp_backward, mlp_backward_cases),
    Exercise("test_layer_grad_norms", check_grad_norms, grad_norm_cases),
    Exercise("test_xavier_init", check_xavier, xavier_cases),
    Exercise("test_he_init", check_he, he_cases),
    Exercise("test_q_xavier_relu", estimate(
        0.4, 0.6, "with fan_in = fan_out, Xavier's variance is 1/fan_in, so a layer multiplies the variance "
                  "of its input by about fan_in * (1/fan_in) = 1, and ReLU keeps half of a symmetric "
                  "pre-activation's second moment: about one half per layer")),
    Exercise("test_batchnorm_forward", check_batchnorm, batchnorm_cases),
    Exercise("test_q_bn_eval", choice(
        "b", "in training mode batch norm normalises with the statistics of the current batch; a batch of "
             "one class has that class's mean, so subtracting it removes what sets the class apart")),
    Exercise("test_q_bn_scale", choice(
        "c", "x_hat = (x - mu) / s is unchanged when x, mu and s are all multiplied by 10, so y is unchanged; "
             "the gradient carries the factor 1/s, and s is 10 times larger")),
    Exercise("test_batchnorm_backward", check_batchnorm_backward, batchnorm_backward_cases),
    Exercise("test_q_skip_gradient", choice(
        "b", "each block's Jacobian is I + J_F, and J_F = 0 when the branch's last layer is zero, so the "
             "gradient passes through every block multiplied by the identity")),
    Exercise("test_residual_block_forward", check_block, block_cases),
    Exercise("test_q_which_trains", choice(
        "c", "the skip connections keep the gradient of every layer of the same order, so all 30 layers "
             "learn; the plain networks multiply 30 Jacobians, and even He's start degrades as training moves "
             "the weights")),
    Exercise("test_predict_digits", check_digits, fresh_digits_cases),
]
