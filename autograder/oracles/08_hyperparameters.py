"""Oracle for 08-hyperparameters: references from NumPy, torch's schedulers, nn.Dropout and autograd.

Also the answers of the notebook's questions (they live only here and in solutions/).

Each ``*_cases`` draws fresh inputs from the grader's generator; each ``check_*``
recomputes the reference here, in the grading process, and compares.
"""
import math
import warnings

import numpy as np
import torch

from autograder.oracle import Case, Exercise, as_array, choice, estimate, index_array, mismatch, unpack


# -- 1. train / validation / test split ------------------------------------------------

def reference_split(n, val_fraction, test_fraction, seed=0):
    perm = np.random.default_rng(seed).permutation(n)
    n_val, n_test = round(val_fraction * n), round(test_fraction * n)
    n_train = n - n_val - n_test
    return perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]


def split_cases(rng):
    cases = []
    fractions = [0.0, 0.1, 0.15, 0.2, 0.25, 0.3]
    for i in range(10):
        n = int(rng.integers(1, 400))
        val, test = float(rng.choice(fractions)), float(rng.choice(fractions))
        kwargs = {"seed": int(rng.integers(0, 10_000))} if i % 3 else {}
        cases.append(Case((n, val, test), kwargs))
    cases.append(Case((1797, 0.2, 0.2), {"seed": int(rng.integers(0, 100))}, note="the digits pool, 60/20/20"))
    cases.append(Case((10, 0.25, 0.35), {"seed": 3}, note="n = 10: 0.25 * 10 = 2.5 rounds to 2 (halves go to even)"))
    cases.append(Case((7, 0.0, 0.0), {"seed": 5}, note="no validation and no test set"))
    cases.append(Case((1, 0.2, 0.2), note="a single sample: it goes to the training set"))
    return cases


def check_split(case, got):
    parts = unpack(got, 3, "train_val_test_split")
    names = ("train_idx", "val_idx", "test_idx")
    ref = reference_split(*case.args, **case.kwargs)
    for part, expected, name in zip(parts, ref, names):
        idx = index_array(part, name)
        if idx.shape != expected.shape:
            return (f"{name}: expected {expected.size} indices, got {idx.size}: use "
                    f"n_val = round(val_fraction * n), n_test = round(test_fraction * n) (built-in round)")
        if not np.array_equal(idx, expected):
            if np.array_equal(np.sort(idx), np.sort(expected)):
                return f"{name} holds the right indices in the wrong order: keep the permutation's order, do not sort"
            return (f"{name}: expected {expected[:6].tolist()}..., got {idx[:6].tolist()}...: take the "
                    f"permutation from np.random.default_rng(seed).permutation(n), train first, then val, then test")
    return None


# -- 2. learning-rate schedules (reference: torch.optim.lr_scheduler) --------------------

def reference_schedule(kind, lr0, n_steps, step_size=10, gamma=0.5, eta_min=0.0):
    """The course's lr_schedule contract (04 and 08), read off torch's schedulers."""
    if kind == "constant":
        return np.full(n_steps, float(lr0))
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([param], lr=lr0)
    if kind == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)
    elif kind == "exponential":
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=gamma)
    else:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=n_steps, eta_min=eta_min)
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n_steps):
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
    return np.array(lrs)


def schedule_cases(rng):
    cases = []
    for kind in ("constant", "step", "exponential", "cosine"):
        for _ in range(3):
            n = int(rng.integers(1, 80))
            lr0 = float(np.exp(rng.uniform(np.log(1e-3), np.log(1.0))))
            kwargs = {}
            if kind == "step":
                kwargs = {"step_size": int(rng.integers(1, 30)), "gamma": float(rng.uniform(0.05, 0.95))}
            elif kind == "exponential":
                kwargs = {"gamma": float(rng.uniform(0.8, 1.0))}
            elif kind == "cosine":
                kwargs = {"eta_min": float(rng.choice([0.0, lr0 / 10]))}
            cases.append(Case((kind, lr0, n), kwargs))
    cases.append(Case(("step", 0.1, 50), {"step_size": 25, "gamma": 0.5}, note="the lecture's example: 0.1 for 25 epochs, then 0.05"))
    cases.append(Case(("cosine", 0.5, 30), note="cosine with the default eta_min = 0"))
    cases.append(Case(("step", 0.3, 12), note="step with the defaults step_size = 10, gamma = 0.5"))
    cases.append(Case(("exponential", 1.0, 1), {"gamma": 0.9}, note="a single step"))
    return cases


def check_schedule(case, got):
    expected = reference_schedule(*case.args, **case.kwargs)
    return mismatch(got, expected, atol=1e-12, rtol=1e-7, name=f"lr_schedule({case.args[0]!r}, ...)")


# -- 3. inverted dropout (scale taken from nn.Dropout) ---------------------------------

def dropout_scale(p):
    """The factor nn.Dropout applies to the units it keeps, read off the module itself."""
    torch.manual_seed(0)
    out = torch.nn.Dropout(p).train()(torch.ones(4096, dtype=torch.float64))
    kept = out[out != 0]
    return float(kept[0]) if len(kept) else 0.0


def dropout_cases(rng):
    cases = []
    shapes = [(6,), (3, 4), (2, 3, 5), (8, 16)]
    for i in range(10):
        shape = shapes[i % len(shapes)]
        dtype = torch.float32 if i % 2 else torch.float64
        x = torch.tensor(rng.normal(size=shape), dtype=dtype)
        u = torch.tensor(rng.uniform(size=shape), dtype=dtype)
        p = float(rng.choice([0.1, 0.25, 0.5, 0.8]))
        cases.append(Case((x, p), {"train": bool(i % 5 != 4), "u": u}))
    x = torch.tensor(rng.normal(size=(200, 250)) + 3.0, dtype=torch.float32)
    u = torch.tensor(rng.uniform(size=(200, 250)), dtype=torch.float32)
    cases.append(Case((x, 0.3), {"train": True, "u": u}, note="50 000 units with p = 0.3: about 70 % must be kept"))
    x = torch.tensor(rng.normal(size=(4, 5)), dtype=torch.float64)
    cases.append(Case((x, 0.0), {"train": True, "u": torch.tensor(rng.uniform(size=(4, 5)))}, note="p = 0 keeps everything"))
    u = torch.tensor([[0.5, 0.49, 0.51, 0.0], [0.99, 0.5, 0.2, 0.7]], dtype=torch.float64)
    cases.append(Case((torch.arange(1.0, 9.0, dtype=torch.float64).reshape(2, 4), 0.5), {"train": True, "u": u},
                      note="u exactly equal to p: keep = u >= p keeps it"))
    x = torch.tensor(rng.normal(size=(3, 7)), dtype=torch.float32)
    cases.append(Case((x, 0.6), {"train": False, "u": torch.tensor(rng.uniform(size=(3, 7)), dtype=torch.float32)},
                      note="eval mode: the identity"))
    return cases


def check_dropout(case, got):
    x, p = case.args
    train, u = case.kwargs.get("train", True), case.kwargs["u"]
    x, u = x.double().numpy(), u.double().numpy()
    out = as_array(got, "dropout(...)")
    if out.shape != x.shape:
        return f"dropout should keep the shape of x {x.shape}, got {out.shape}"
    if not train:
        problem = mismatch(out, x, atol=0, rtol=0, name="dropout in eval mode (train=False)")
        return problem and (f"{problem}: in eval mode dropout returns x unchanged, with no mask and no "
                            f"scaling (inverted dropout already scaled the kept units during training)")
    scale = dropout_scale(p)
    keep = u >= p
    expected = np.where(keep, x * scale, 0.0)
    zero_or_scaled = np.isclose(out, 0.0, atol=1e-7) | np.isclose(out, x * scale, rtol=1e-5, atol=1e-7)
    if not zero_or_scaled.all():
        return (f"with p = {p} every output must be 0 or x / (1 - p) = {scale:.4g} x (as nn.Dropout); "
                f"some are neither: did you multiply by (1 - p) instead of dividing?")
    nonzero = x != 0
    if nonzero.sum() > 10_000:
        rate = float(np.mean(out[nonzero] != 0))
        if abs(rate - (1 - p)) > 0.02:
            return f"you kept {rate:.1%} of the units with p = {p}; the keep rate should be about {1 - p:.0%}"
    problem = mismatch(out, expected, atol=1e-7, rtol=1e-5, name="dropout in train mode")
    return problem and (f"{problem}: keep exactly the units with u >= p (a unit is dropped when u < p, "
                        f"so it is dropped with probability p)")


# -- 3b. dropout backward (reference: torch.autograd through the same mask) -----------

def dropout_backward_cases(rng):
    cases = []
    for i, shape in enumerate([(6,), (3, 4), (2, 3, 5), (8, 16), (1,), (4, 4)]):
        dtype = torch.float32 if i % 2 else torch.float64
        keep_prob = float(rng.choice([0.2, 0.5, 0.75, 0.9, 1.0]))
        mask = torch.tensor(rng.uniform(size=shape) < keep_prob)
        if i % 3 == 1:
            mask = mask.to(dtype)  # a 0/1 mask of dout's dtype, as well as a boolean one
        dout = torch.tensor(rng.normal(size=shape) * 2, dtype=dtype)
        note = f"dout of shape {shape} ({dtype}), keep_prob {keep_prob}, mask {mask.dtype}"
        cases.append(Case((dout, mask, keep_prob), note=note))
    return cases


def check_dropout_backward(case, got):
    dout, mask, keep_prob = case.args
    x = torch.zeros(dout.shape, dtype=torch.float64, requires_grad=True)
    (x * mask.to(torch.float64) / keep_prob).backward(dout.to(torch.float64))
    out = as_array(got, "dropout_backward(...)")
    if out.shape != tuple(dout.shape):
        return f"dropout_backward should return a tensor of dout's shape {tuple(dout.shape)}, got {out.shape}"
    problem = mismatch(out, x.grad.numpy(), atol=1e-6, rtol=1e-5, name="dx")
    return problem and (f"{problem}: the forward pass is y = mask * x / keep_prob, so a kept unit's gradient "
                        f"is dout / keep_prob and a dropped unit's is 0")


# -- 4. early stopping -------------------------------------------------------------------

def reference_early_stopping(val_losses, patience, min_delta=0.0):
    v = [float(x) for x in val_losses]
    best, best_epoch, wait = v[0], 0, 0
    for epoch in range(1, len(v)):
        if v[epoch] < best - min_delta:
            best, best_epoch, wait = v[epoch], epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return len(v) - 1, best_epoch


def early_cases(rng):
    cases = []
    for _ in range(8):  # noisy U-shaped validation curves
        n = int(rng.integers(5, 60))
        t = np.arange(n)
        curve = 1.0 / (1 + 0.3 * t) + 0.004 * t * rng.uniform(0.2, 2.0) + rng.normal(scale=0.02, size=n)
        kwargs = {"min_delta": float(rng.choice([0.0, 0.005, 0.02]))}
        cases.append(Case((curve, int(rng.integers(1, 8))), kwargs))
    cases.append(Case((np.linspace(1.0, 0.1, 20), 3), note="always improving: never stops, best is the last epoch"))
    cases.append(Case((np.array([0.5, 0.5, 0.5, 0.5, 0.5]), 2), note="a flat curve: equal is not better"))
    cases.append(Case((np.array([1.0, 0.75, 0.5, 0.75, 0.25, 0.5, 0.5, 0.5]), 1), note="patience 1"))
    cases.append(Case((np.array([1.0, 0.75, 0.5, 0.375, 0.3125, 0.25, 0.25, 0.25]), 2), {"min_delta": 0.0625},
                      note="improvements of exactly min_delta do not count"))
    cases.append(Case((np.array([0.8]), 5), note="a single epoch"))
    cases.append(Case((np.array([1.0, 0.9, 0.95, 0.97, 0.8, 0.99, 1.0, 1.1]), 3), note="a late improvement resets the count"))
    return cases


def check_early(case, got):
    stop, best = unpack(got, 2, "early_stopping_epoch")
    ref_stop, ref_best = reference_early_stopping(*case.args, **case.kwargs)
    try:
        stop, best = int(stop), int(best)
    except (TypeError, ValueError):
        return "early_stopping_epoch should return two integers (stop_epoch, best_epoch)"
    if (stop, best) != (ref_stop, ref_best):
        return f"expected (stop_epoch, best_epoch) = ({ref_stop}, {ref_best}), got ({stop}, {best})"
    return None


# -- 5. random search --------------------------------------------------------------------

def reference_random_search(space, n, seed=0):
    rng = np.random.default_rng(seed)
    configs = []
    for _ in range(n):
        config = {}
        for name, spec in space.items():
            kind = spec[0]
            if kind == "log":
                config[name] = float(math.exp(rng.uniform(math.log(spec[1]), math.log(spec[2]))))
            elif kind == "uniform":
                config[name] = float(rng.uniform(spec[1], spec[2]))
            elif kind == "int":
                config[name] = int(rng.integers(spec[1], spec[2] + 1))
            else:
                options = list(spec[1])
                config[name] = options[int(rng.integers(len(options)))]
        configs.append(config)
    return configs


def random_search_cases(rng):
    pool = {
        "lr": ("log", 1e-4, 1.0),
        "weight_decay": ("log", 1e-6, 1e-2),
        "p_drop": ("uniform", 0.0, 0.6),
        "hidden": ("int", 16, 256),
        "layers": ("int", 1, 3),
        "optimizer": ("choice", ["sgd", "adam", "rmsprop"]),
        "batch_size": ("choice", [16, 32, 64, 128]),
        "momentum": ("uniform", 0.5, 0.99),
    }
    names = list(pool)
    cases = []
    for _ in range(8):
        k = int(rng.integers(1, len(names) + 1))
        chosen = [names[i] for i in rng.permutation(len(names))[:k]]
        space = {name: pool[name] for name in chosen}
        cases.append(Case((space, int(rng.integers(1, 12))), {"seed": int(rng.integers(0, 10_000))}))
    cases.append(Case(({"lr": ("log", 1e-3, 1.0), "hidden": ("int", 16, 256), "weight_decay": ("log", 1e-6, 1e-2),
                        "p_drop": ("uniform", 0.0, 0.5)}, 5), note="the notebook's search space, default seed"))
    cases.append(Case(({"k": ("int", 3, 3), "c": ("choice", ["only"])}, 3), {"seed": 1},
                      note="degenerate ranges: int 3..3 and a single choice"))
    cases.append(Case(({"lr": ("log", 1e-5, 1e-1)}, 0), {"seed": 2}, note="n = 0: an empty list"))
    return cases


def check_random_search(case, got):
    ref = reference_random_search(*case.args, **case.kwargs)
    if not isinstance(got, (list, tuple)):
        return f"random_search_configs should return a list of dicts, got {type(got).__name__}"
    if len(got) != len(ref):
        return f"expected {len(ref)} configurations, got {len(got)}"
    space = case.args[0]
    for i, (config, expected) in enumerate(zip(got, ref)):
        if not isinstance(config, dict):
            return f"configuration {i} should be a dict, got {type(config).__name__}"
        if list(config) != list(expected):
            return f"configuration {i} should have the keys {list(expected)} in the space's order, got {list(config)}"
        for name, want in expected.items():
            value, kind = config[name], space[name][0]
            if kind == "choice":
                if not (type(value) is type(want) and value == want):
                    return (f"configuration {i}, {name}: expected {want!r}, got {value!r}: pick "
                            f"options[rng.integers(len(options))]")
            elif kind == "int":
                if isinstance(value, bool) or not isinstance(value, int) or value != want:
                    return f"configuration {i}, {name}: expected the int {want}, got {value!r}: use rng.integers(low, high + 1)"
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-12):
                    hint = (" (log-uniform: exp(rng.uniform(log(low), log(high))))" if kind == "log"
                            else " (rng.uniform(low, high))")
                    return f"configuration {i}, {name}: expected {want!r}, got {value!r}{hint}; one draw per hyperparameter, config by config"
    return None


# -- 6. successive halving ---------------------------------------------------------------

def reference_successive_halving(losses, eta=3):
    losses = np.asarray(losses, dtype=np.float64)
    n, rungs = losses.shape
    alive = np.arange(n)
    survivors = [alive]
    for k in range(rungs - 1):
        keep = max(1, len(alive) // eta)
        scores = np.where(np.isnan(losses[alive, k]), np.inf, losses[alive, k])
        order = sorted(range(len(alive)), key=lambda j: (scores[j], alive[j]))
        alive = np.sort(alive[order[:keep]])
        survivors.append(alive)
    last = np.where(np.isnan(losses[alive, -1]), np.inf, losses[alive, -1])
    best = int(alive[min(range(len(alive)), key=lambda j: (last[j], alive[j]))])
    return survivors, best


def halving_cases(rng):
    cases = []
    for i in range(10):
        n, rungs = int(rng.integers(1, 40)), int(rng.integers(1, 6))
        losses = np.sort(rng.uniform(0.05, 2.5, size=(n, rungs)), axis=1)[:, ::-1].copy()
        kwargs = {"eta": int(rng.choice([2, 3, 4]))} if i % 2 else {}
        cases.append(Case((losses,), kwargs))
    L = rng.integers(0, 4, size=(12, 3)).astype(float)
    cases.append(Case((L,), {"eta": 2}, note="many ties: equal losses go to the smaller config index"))
    L = rng.uniform(0.1, 2.0, size=(9, 3))
    L[[1, 4, 6], 0] = np.nan
    L[2, 1] = np.nan
    cases.append(Case((L,), note="NaN losses (diverged runs) count as worse than any number"))
    cases.append(Case((rng.uniform(size=(2, 4)),), {"eta": 3}, note="fewer configs than eta: keep at least one"))
    cases.append(Case((np.array([[0.7, 0.5, 0.4]]),), note="a single configuration"))
    L = np.array([[2.0, 1.0, 0.2], [1.0, 0.9, 0.8], [1.5, 0.3, 0.1], [1.2, 1.1, 1.0], [1.4, 1.3, 0.9], [0.9, 0.95, 0.9],
                  [3.0, 3.0, 3.0], [1.1, 0.5, 0.3], [2.5, 2.0, 1.5]])
    cases.append(Case((L,), note="a 9 x 3 example: 9 configs, then 3, then 1"))
    return cases


def check_halving(case, got):
    survivors, best = unpack(got, 2, "successive_halving")
    ref_survivors, ref_best = reference_successive_halving(*case.args, **case.kwargs)
    if not isinstance(survivors, (list, tuple)) or len(survivors) != len(ref_survivors):
        count = len(survivors) if isinstance(survivors, (list, tuple)) else type(survivors).__name__
        return f"survivors should be a list with one index array per rung ({len(ref_survivors)}), got {count}"
    for k, (rung, expected) in enumerate(zip(survivors, ref_survivors)):
        idx = index_array(rung, f"survivors[{k}]")
        if not np.array_equal(idx, expected):
            if np.array_equal(np.sort(idx), expected):
                return f"survivors[{k}] holds the right configs but not in increasing index order"
            return (f"survivors[{k}]: expected {expected.tolist()}, got {idx.tolist()} (keep max(1, len // eta) "
                    f"with the smallest losses in column {k - 1}; NaN is worst; ties go to the smaller index)")
    try:
        best = int(best)
    except (TypeError, ValueError):
        return "best should be an int (a config index)"
    if best != ref_best:
        return f"best: expected config {ref_best}, got {best} (smallest loss at the last rung among its survivors)"
    return None


# -- 7. Hyperband schedule ---------------------------------------------------------------

LECTURE_TABLE = [  # deck 004, R = 81, eta = 3: one list of (n_i, r_i) per bracket s = 4 .. 0
    [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
    [(27, 3), (9, 9), (3, 27), (1, 81)],
    [(9, 9), (3, 27), (1, 81)],
    [(6, 27), (2, 81)],
    [(5, 81)],
]


def reference_hyperband(R, eta=3):
    s_max = 0
    while eta ** (s_max + 1) <= R:  # integers: no log rounding
        s_max += 1
    brackets = []
    for s in range(s_max, -1, -1):
        n = ((s_max + 1) // (s + 1)) * eta ** s
        brackets.append([(n // eta ** i, R * eta ** (i - s)) for i in range(s + 1)])
    return brackets


if reference_hyperband(81, 3) != LECTURE_TABLE:  # the reference must reproduce the slide
    raise RuntimeError("the Hyperband reference no longer reproduces the lecture's R=81, eta=3 table")


def hyperband_cases(rng):
    cases = [Case((81, 3), note="the lecture's table, R = 81, eta = 3"),
             Case((81,), note="R = 81 with the default eta = 3"),
             Case((243, 3), note="R = 243 = 3^5 (math.log(243, 3) is 4.999...)"),
             Case((1000, 10), note="R = 1000 = 10^3 (math.log(1000, 10) is 2.999...)"),
             Case((100, 3), note="R = 100, not a power of eta"),
             Case((1, 3), note="R = 1: a single bracket"),
             Case((2, 3), note="R < eta"),
             Case((16, 2)), Case((27, 3)), Case((64, 4))]
    for _ in range(6):
        cases.append(Case((int(rng.integers(2, 400)), int(rng.integers(2, 6)))))
    return cases


def check_hyperband(case, got):
    ref = reference_hyperband(*case.args)
    R = case.args[0]
    if not isinstance(got, (list, tuple)):
        return f"hyperband_schedule should return a list of brackets, got {type(got).__name__}"
    if len(got) != len(ref):
        return (f"expected {len(ref)} brackets (s_max = {len(ref) - 1}), got {len(got)}: s_max is the "
                f"largest integer s with eta ** s <= R; compute it with integers, not math.log")
    for bracket, expected in zip(got, ref):
        s = len(expected) - 1
        if not isinstance(bracket, (list, tuple)) or len(bracket) != len(expected):
            return f"bracket s = {s} should have {len(expected)} rungs (i = 0 .. s)"
        for i, (pair, (n_ref, r_ref)) in enumerate(zip(bracket, expected)):
            n_i, r_i = unpack(pair, 2, f"rung i = {i} of bracket s = {s}")
            n_i, r_i = as_array(n_i, "n_i"), as_array(r_i, "r_i")
            if n_i.shape != () or r_i.shape != ():
                return f"bracket s = {s}, rung i = {i}: n_i and r_i should be single numbers"
            if float(n_i) != n_ref:
                table = " (the lecture table: 81, 27, 9, 6, 5 configs in brackets s = 4 .. 0)" if R == 81 else ""
                return (f"bracket s = {s}, rung i = {i}: expected n_i = {n_ref}, got {float(n_i):g}; "
                        f"n = ((s_max + 1) // (s + 1)) * eta ** s and n_i = n // eta ** i{table}")
            if not math.isclose(float(r_i), r_ref, rel_tol=1e-9):
                return f"bracket s = {s}, rung i = {i}: expected r_i = {r_ref:g}, got {float(r_i):g} (r_i = R * eta ** (i - s))"
    return None


EXERCISES = [
    Exercise("test_q_best_of_many", choice(
        "b", "the best of many scores measured on the same images is biased upwards: the winner is partly the "
             "configuration whose noise on those images happened to be favourable (selection bias)")),
    Exercise("test_train_val_test_split", check_split, split_cases),
    Exercise("test_lr_schedule", check_schedule, schedule_cases),
    Exercise("test_q_small_batch", choice(
        "b", "an epoch of small batches takes many more steps, and early in training the gradient of a small "
             "batch already points roughly the right way, so each step does almost as much as a large-batch step")),
    Exercise("test_dropout", check_dropout, dropout_cases),
    Exercise("test_q_no_rescale", choice(
        "b", "during training only a fraction 1 - p of the units is on; at evaluation all are, so without the "
             "1 / (1 - p) during training the next layer's input would be 1 / (1 - p) = 2 times larger at evaluation")),
    Exercise("test_dropout_backward", check_dropout_backward, dropout_backward_cases),
    Exercise("test_q_uniform_lr", estimate(
        0.005, 0.015, "a uniform law on [1e-4, 1] puts (1e-2 - 1e-4) / (1 - 1e-4), about 1 %, of its mass "
                      "below 1e-2: almost all draws land in the last decade")),
    Exercise("test_early_stopping_epoch", check_early, early_cases),
    Exercise("test_random_search_configs", check_random_search, random_search_cases),
    Exercise("test_successive_halving", check_halving, halving_cases),
    Exercise("test_hyperband_schedule", check_hyperband, hyperband_cases),
]
