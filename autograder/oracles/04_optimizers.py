"""Oracle for 04-optimizers: references from torch.optim (float64) and closed forms.

The optimizer exercises are probed through the notebook's ``run_<name>(A, b, x0, hp, n_steps)``
wrappers, which run the student's step function on f(x) = 0.5 x^T A x - b^T x and return the
iterates (n_steps + 1, d). Here the same quadratic is minimised by the matching ``torch.optim``
optimizer, its gradient set by hand to A x - b, and the two trajectories must agree to 1e-6.

Adaptive methods can be chaotic near a minimum (their steps behave like lr * sign(grad)), where
rounding differences between two correct implementations grow. ``cases`` therefore keeps only
problems on which rounding cannot matter: an independent NumPy twin of the method must stay
within 1e-10 of torch.optim, and a 1e-12 nudge of the start must move torch's trajectory by less
than 1e-9, four orders of magnitude below the tolerance.
"""
import numpy as np
import torch

from autograder.oracle import Case, Exercise, as_array, choice, estimate, mismatch

ATOL = RTOL = 1e-6


# -- the quadratic problems and the torch.optim references ------------------------------

def random_spd(rng, d):
    """A random symmetric positive-definite matrix with eigenvalues in [0.2, 2]."""
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    eigenvalues = np.exp(rng.uniform(np.log(0.2), np.log(2.0), size=d))
    A = (Q * eigenvalues) @ Q.T
    return (A + A.T) / 2


def make_optimizer(name, params, hp):
    lr = hp["lr"]
    if name == "gd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=hp["gamma"])
    if name == "ema_momentum":  # z = gamma z + (1 - gamma) g: dampening = gamma
        return torch.optim.SGD(params, lr=lr, momentum=hp["gamma"], dampening=hp["gamma"])
    if name == "nesterov":
        if hp["gamma"] == 0:  # torch refuses nesterov without momentum; it is plain SGD then
            return torch.optim.SGD(params, lr=lr)
        return torch.optim.SGD(params, lr=lr, momentum=hp["gamma"], nesterov=True)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=hp["eps"])
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=hp["beta"], eps=hp["eps"])
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"])
    raise KeyError(name)


def reference(name, A, b, x0, hp, n_steps):
    """torch.optim's iterates on f(x) = 0.5 x^T A x - b^T x, shape (n_steps + 1, d), float64."""
    x = torch.tensor(np.asarray(x0, dtype=np.float64), requires_grad=True)
    A_t = torch.tensor(np.asarray(A, dtype=np.float64))
    b_t = torch.tensor(np.asarray(b, dtype=np.float64))
    optimizer = make_optimizer(name, [x], hp)
    if name == "ema_momentum" and hp["gamma"] != 0:
        optimizer.state[x]["momentum_buffer"] = torch.zeros_like(x)  # the deck's z_0 = 0
    trajectory = [x.detach().clone()]
    for _ in range(n_steps):
        with torch.no_grad():
            x.grad = A_t @ x - b_t
        optimizer.step()
        trajectory.append(x.detach().clone())
    return torch.stack(trajectory).numpy()


def numpy_twin(name, A, b, x0, hp, n_steps, bias_correction=True):
    """The same method written out in NumPy: rounds differently from torch, on purpose.

    ``bias_correction=False`` gives Adam without it, the mistake the checker names."""
    x, zeros = np.array(x0, dtype=np.float64), np.zeros(len(x0))
    m, v, t = zeros.copy(), zeros.copy(), 0
    trajectory = [x.copy()]
    for _ in range(n_steps):
        g = A @ x - b
        t += 1
        if name == "gd":
            x = x - hp["lr"] * g
        elif name in ("momentum", "nesterov"):
            m = hp["gamma"] * m + hp["lr"] * g
            x = x - (hp["gamma"] * m + hp["lr"] * g if name == "nesterov" else m)
        elif name == "ema_momentum":
            m = hp["gamma"] * m + (1 - hp["gamma"]) * g
            x = x - hp["lr"] * m
        elif name == "adagrad":
            v = v + g**2
            x = x - hp["lr"] * g / (np.sqrt(v) + hp["eps"])
        elif name == "rmsprop":
            v = hp["beta"] * v + (1 - hp["beta"]) * g**2
            x = x - hp["lr"] * g / (np.sqrt(v) + hp["eps"])
        else:
            m = hp["beta1"] * m + (1 - hp["beta1"]) * g
            v = hp["beta2"] * v + (1 - hp["beta2"]) * g**2
            c1, c2 = (1 - hp["beta1"] ** t, 1 - hp["beta2"] ** t) if bias_correction else (1.0, 1.0)
            x = x - hp["lr"] * (m / c1) / (np.sqrt(v / c2) + hp["eps"])
        trajectory.append(x.copy())
    return np.array(trajectory)


def well_conditioned(name, A, b, x0, hp, n_steps, rng):
    """True when rounding cannot matter: a NumPy twin stays within 1e-10 of torch.optim and,
    for the adaptive methods, a 1e-12 nudge of the start moves torch's trajectory by < 1e-9."""
    base = reference(name, A, b, x0, hp, n_steps)
    if not np.all(np.isfinite(base)) or np.abs(base - numpy_twin(name, A, b, x0, hp, n_steps)).max() > 1e-10:
        return False
    if name in ("gd", "momentum", "ema_momentum", "nesterov"):
        return True  # linear dynamics: rounding errors cannot grow faster than the iterates
    nudge = rng.normal(size=x0.shape)
    nudge *= 1e-12 / np.linalg.norm(nudge)
    return bool(np.abs(base - reference(name, A, b, x0 + nudge, hp, n_steps)).max() < 1e-9)


def draw_hp(name, rng):
    u = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
    if name == "gd":
        return {"lr": u(0.05, 0.9)}
    if name in ("momentum", "nesterov"):
        return {"lr": u(0.01, 0.3), "gamma": u(0.3, 0.95)}
    if name == "ema_momentum":
        return {"lr": u(0.05, 0.9), "gamma": u(0.3, 0.95)}
    if name == "adagrad":
        return {"lr": u(0.05, 1.0), "eps": float(rng.choice([1e-10, 1e-8, 1e-3]))}
    if name == "rmsprop":
        return {"lr": u(0.005, 0.05), "beta": u(0.95, 0.999), "eps": float(rng.choice([1e-8, 1e-6, 1e-4]))}
    if name == "adam":
        return {"lr": u(0.005, 0.1), "beta1": u(0.5, 0.95), "beta2": u(0.99, 0.9999),
                "eps": float(rng.choice([1e-8, 1e-6, 1e-3]))}
    raise KeyError(name)


def quadratic_cases(name, rng, n_cases=8):
    """Random quadratics (d = 1..6, 50..80 steps), the first of dimension 1 and one with
    a special setting (gamma = 0, or a large eps), each kept only if well conditioned."""
    cases, tries = [], 0
    while len(cases) < n_cases:
        tries += 1
        if tries > 200:
            raise RuntimeError(f"could not draw well-conditioned cases for {name}")
        d = 1 if not cases else int(rng.integers(2, 7))
        A, b = random_spd(rng, d), rng.normal(size=d)
        x0 = np.linalg.solve(A, b) + rng.normal(size=d) * 2.0
        hp = draw_hp(name, rng)
        note = ""
        if len(cases) == 1 and name in ("momentum", "ema_momentum", "nesterov"):
            hp["gamma"], note = 0.0, "gamma = 0 (no momentum)"
        if len(cases) == 1 and name in ("adagrad", "rmsprop", "adam"):
            hp["eps"], note = 0.5, "a large eps = 0.5"
        n_steps = int(rng.integers(50, 81))
        if well_conditioned(name, A, b, x0, hp, n_steps, rng):
            desc = f"d = {d}, {n_steps} steps, hp = {{{', '.join(f'{k}: {v:.4g}' for k, v in hp.items())}}}"
            cases.append(Case((A, b, x0, hp, n_steps), note=f"{desc}{'; ' + note if note else ''}"))
    return cases


def trajectory_checker(name, torch_name):
    def check(case, got):
        A, b, x0, hp, n_steps = case.args
        expected = reference(name, A, b, x0, hp, n_steps)
        try:
            traj = as_array(got, "the trajectory")
        except Exception as e:  # noqa: BLE001 - CodecError or an odd value: tell the student
            return str(e)
        if traj.shape != expected.shape:
            return f"the trajectory should have shape {expected.shape} (n_steps + 1, d), got {traj.shape}"
        bad = ~np.isclose(traj, expected, atol=ATOL, rtol=RTOL)
        if not bad.any():
            return None
        k = int(np.argwhere(bad.any(axis=1))[0][0])
        message = (f"iterate {k} differs from {torch_name}: expected {np.round(expected[k], 6).tolist()}, "
                   f"got {np.round(traj[k], 6).tolist()}"
                   + (" (iterates before it agree)" if k > 1 else ""))
        if name == "adam":
            uncorrected = numpy_twin(name, A, b, x0, hp, n_steps, bias_correction=False)
            if np.allclose(traj, uncorrected, atol=ATOL, rtol=RTOL):
                message += (": these are Adam's steps without the bias correction "
                            "(divide m by 1 - beta1**t and v by 1 - beta2**t)")
        return message
    return check


# -- mini-batches ---------------------------------------------------------------------

def minibatch_cases(rng):
    shapes = [(10, 4), (12, 3), (7, 7), (5, 9), (1, 1), (16, 1)]
    shapes += [(int(rng.integers(2, 200)), int(rng.integers(1, 40))) for _ in range(6)]
    return [Case((n, B, int(rng.integers(0, 2**31))), note=f"n = {n}, batch_size = {B}") for n, B in shapes]


def check_minibatches(case, got):
    n, batch_size, seed = case.args
    order = np.random.default_rng(seed).permutation(n)
    expected = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    if not isinstance(got, (list, tuple)):
        return f"minibatches should return a list of index arrays, got {type(got).__name__}"
    sizes = [int(np.size(g)) for g in got]
    if sizes != [len(e) for e in expected]:
        return f"batch sizes: expected {[len(e) for e in expected]}, got {sizes}"
    for i, (g, e) in enumerate(zip(got, expected)):
        problem = mismatch(np.ravel(as_array(g, f"batch {i}")), e, atol=0, rtol=0, name=f"batch {i}")
        if problem:
            return problem + " (draw the order with np.random.default_rng(rng_seed).permutation(n))"
    return None


# -- learning-rate schedule -----------------------------------------------------------

def closed_form_schedule(kind, lr0, n_steps, step_size=10, gamma=0.5, eta_min=0.0):
    """The schedules of convention 5 (04 and 08 share this contract)."""
    t = np.arange(n_steps, dtype=np.float64)
    if kind == "constant":
        return np.full(n_steps, float(lr0))
    if kind == "step":
        return lr0 * gamma ** np.floor(t / step_size)
    if kind == "exponential":
        return lr0 * gamma**t
    if kind == "cosine":
        return eta_min + (lr0 - eta_min) * (1.0 + np.cos(np.pi * t / max(n_steps, 1))) / 2.0
    raise ValueError(kind)


def schedule_cases(rng):
    cases = []
    for kind in ("constant", "step", "exponential", "cosine"):
        for i in range(3):
            lr0 = float(rng.choice([0.1, 0.01, 1.0])) * float(rng.uniform(0.5, 2))
            kwargs = {}
            if kind in ("step", "exponential"):
                kwargs["gamma"] = float(rng.uniform(0.05, 0.99))
            if kind == "step":
                kwargs["step_size"] = int(rng.integers(1, 12))
            if kind == "cosine" and i:
                kwargs["eta_min"] = lr0 * float(rng.uniform(0.0, 0.5))
            cases.append(Case((kind, lr0, int(rng.integers(1, 60))), kwargs))
    cases.append(Case(("step", 0.5, 10), {"gamma": 0.5, "step_size": 3}, note="step: x0.5 every 3 steps"))
    cases.append(Case(("step", 0.3, 25), {}, note="step with the defaults step_size=10, gamma=0.5"))
    cases.append(Case(("cosine", 1.0, 8), {}, note="cosine from 1 towards 0 over 8 steps"))
    cases.append(Case(("constant", 0.1, 6), {}, note="constant"))
    cases.append(Case(("exponential", 0.1, 0), {"gamma": 0.9}, note="n_steps = 0"))
    return cases


def check_schedule(case, got):
    expected = closed_form_schedule(*case.args, **case.kwargs)
    return mismatch(got, expected, atol=1e-12, rtol=1e-9, name=f"lr_schedule({case.args[0]!r})")


QUESTIONS = [
    Exercise("test_q_diverge", estimate(0.078, 0.082, "each eigen-direction is multiplied by 1 - lr * lambda per "
                                                      "step; the steepest one (lambda = 25) flips and grows once "
                                                      "that factor is below -1, at lr = 2 / 25")),
    Exercise("test_q_ravine", choice("b", "the steps of momentum add up along the floor, where successive gradients "
                                          "agree, while the components across the ravine alternate in sign and cancel")),
    Exercise("test_q_rotation", choice("b", "GD, momentum and Nesterov only combine gradient vectors, which turn with "
                                            "the problem; the per-coordinate methods rescale x and y separately, and "
                                            "a rotation mixes the steep and the flat directions across both")),
    Exercise("test_q_race", choice("a", "with lr = 0.1 plain SGD takes the shortest steps: momentum and Nesterov "
                                        "move with an effective rate of lr / (1 - gamma) = 1, and the adaptive "
                                        "methods scale every coordinate's step up to about their rate")),
]


EXERCISES = [
    Exercise("test_gd_step", trajectory_checker("gd", "torch.optim.SGD(lr)"),
             lambda rng: quadratic_cases("gd", rng)),
    Exercise("test_minibatches", check_minibatches, minibatch_cases),
    Exercise("test_momentum_step", trajectory_checker("momentum", "torch.optim.SGD(lr, momentum=gamma)"),
             lambda rng: quadratic_cases("momentum", rng)),
    Exercise("test_ema_momentum_step",
             trajectory_checker("ema_momentum", "torch.optim.SGD(lr, momentum=gamma, dampening=gamma)"),
             lambda rng: quadratic_cases("ema_momentum", rng)),
    Exercise("test_nesterov_step", trajectory_checker("nesterov", "torch.optim.SGD(lr, momentum=gamma, nesterov=True)"),
             lambda rng: quadratic_cases("nesterov", rng)),
    Exercise("test_adagrad_step", trajectory_checker("adagrad", "torch.optim.Adagrad(lr, eps=eps)"),
             lambda rng: quadratic_cases("adagrad", rng)),
    Exercise("test_rmsprop_step", trajectory_checker("rmsprop", "torch.optim.RMSprop(lr, alpha=beta, eps=eps)"),
             lambda rng: quadratic_cases("rmsprop", rng)),
    Exercise("test_adam_step", trajectory_checker("adam", "torch.optim.Adam(lr, betas=(beta1, beta2), eps=eps)"),
             lambda rng: quadratic_cases("adam", rng)),
    Exercise("test_lr_schedule", check_schedule, schedule_cases),
    *QUESTIONS,
]
