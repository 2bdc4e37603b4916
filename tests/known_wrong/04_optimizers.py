"""Known mistakes in 04-optimizers: one realistic wrong answer per graded exercise."""
from known_wrong import Mistake

MISTAKES = [
    Mistake(
        answer_id="gd_step",
        test_id="test_gd_step",
        names=('against',),
        # the momentum self-check compares momentum at gamma = 0 with run_gd
        also_fails=('test_momentum_step',),
        source="""
def gd_step(x, grad, state, hp):
    return np.asarray(x, dtype=np.float64) + hp["lr"] * np.asarray(grad, dtype=np.float64), state  # BUG: + climbs


def run_gd(A, b, x0, hp, n_steps):
    return run_optimizer(gd_step, {}, quadratic_grad(A, b), x0, hp, n_steps)
""",
    ),
    Mistake(
        answer_id="minibatches",
        test_id="test_minibatches",
        names=('batch sizes',),
        oracle_names=('batch sizes',),
        source="""
def minibatches(n, batch_size, rng_seed):
    order = np.random.default_rng(rng_seed).permutation(n)
    # BUG: the range stops before the last, smaller batch
    return [order[start:start + batch_size] for start in range(0, n - batch_size + 1, batch_size)]
""",
    ),
    Mistake(
        answer_id="momentum_step",
        test_id="test_momentum_step",
        names=('x - u_new',),
        source="""
def momentum_step(x, grad, state, hp):
    u_new = hp["gamma"] * state["u"] + hp["lr"] * np.asarray(grad, dtype=np.float64)
    return np.asarray(x, dtype=np.float64) - state["u"], {"u": u_new}  # BUG: moves by the old velocity


def run_momentum(A, b, x0, hp, n_steps):
    # Given: your momentum_step on f(x) = 0.5 x^T A x - b^T x, starting from u = 0.
    return run_optimizer(momentum_step, {"u": np.zeros_like(x0)}, quadratic_grad(A, b), x0, hp, n_steps)
""",
    ),
    Mistake(
        answer_id="ema_momentum_step",
        test_id="test_ema_momentum_step",
        names=('1 - gamma',),
        source="""
def ema_momentum_step(x, grad, state, hp):
    gamma = hp["gamma"]
    z_new = gamma * state["z"] + np.asarray(grad, dtype=np.float64)
    # BUG: no (1 - gamma) on the gradient: a sum, not an average
    return np.asarray(x, dtype=np.float64) - hp["lr"] * z_new, {"z": z_new}


def run_ema_momentum(A, b, x0, hp, n_steps):
    # Given: your ema_momentum_step on f(x) = 0.5 x^T A x - b^T x, starting from z = 0.
    return run_optimizer(ema_momentum_step, {"z": np.zeros_like(x0)}, quadratic_grad(A, b), x0, hp, n_steps)
""",
    ),
    Mistake(
        answer_id="nesterov_step",
        test_id="test_nesterov_step",
        names=('plain momentum',),
        oracle_names=('nesterov=True',),
        source="""
def nesterov_step(x, grad, state, hp):
    grad = np.asarray(grad, dtype=np.float64)
    u_new = hp["gamma"] * state["u"] + hp["lr"] * grad
    return np.asarray(x, dtype=np.float64) - u_new, {"u": u_new}  # BUG: plain momentum, no look-ahead


def run_nesterov(A, b, x0, hp, n_steps):
    # Given: your nesterov_step on f(x) = 0.5 x^T A x - b^T x, starting from u = 0.
    return run_optimizer(nesterov_step, {"u": np.zeros_like(x0)}, quadratic_grad(A, b), x0, hp, n_steps)
""",
    ),
    Mistake(
        answer_id="adagrad_step",
        test_id="test_adagrad_step",
        names=('eps',),
        oracle_names=('a large eps = 0.5',),
        source="""
def adagrad_step(x, grad, state, hp):
    grad = np.asarray(grad, dtype=np.float64)
    G_new = state["G"] + grad**2
    # BUG: eps inside the square root
    return np.asarray(x, dtype=np.float64) - hp["lr"] * grad / np.sqrt(G_new + hp["eps"]), {"G": G_new}


def run_adagrad(A, b, x0, hp, n_steps):
    # Given: your adagrad_step on f(x) = 0.5 x^T A x - b^T x, starting from G = 0.
    return run_optimizer(adagrad_step, {"G": np.zeros_like(x0)}, quadratic_grad(A, b), x0, hp, n_steps)
""",
    ),
    Mistake(
        answer_id="rmsprop_step",
        test_id="test_rmsprop_step",
        names=('1 - beta',),
        source="""
def rmsprop_step(x, grad, state, hp):
    grad = np.asarray(grad, dtype=np.float64)
    s_new = hp["beta"] * state["s"] + grad**2  # BUG: no (1 - beta) weight on the new square
    return np.asarray(x, dtype=np.float64) - hp["lr"] * grad / (np.sqrt(s_new) + hp["eps"]), {"s": s_new}


def run_rmsprop(A, b, x0, hp, n_steps):
    # Given: your rmsprop_step on f(x) = 0.5 x^T A x - b^T x, starting from s = 0.
    return run_optimizer(rmsprop_step, {"s": np.zeros_like(x0)}, quadratic_grad(A, b), x0, hp, n_steps)
""",
    ),
    Mistake(
        answer_id="adam_step",
        test_id="test_adam_step",
        names=('bias correction',),
        oracle_names=('bias correction',),
        round_trip=True,
        source="""
def adam_step(x, grad, state, hp):
    t = state["t"] + 1
    m = hp["beta1"] * state["m"] + (1.0 - hp["beta1"]) * grad
    v = hp["beta2"] * state["v"] + (1.0 - hp["beta2"]) * grad**2
    x_new = x - hp["lr"] * m / (np.sqrt(v) + hp["eps"])  # BUG: no division by 1 - beta**t
    return x_new, {"m": m, "v": v, "t": t}


def run_adam(A, b, x0, hp, n_steps):
    state = {"m": np.zeros_like(x0), "v": np.zeros_like(x0), "t": 0}
    return run_optimizer(adam_step, state, quadratic_grad(A, b), x0, hp, n_steps)
""",
    ),
    Mistake(
        answer_id="lr_schedule",
        test_id="test_lr_schedule",
        names=("step schedule",),
        oracle_names=("lr_schedule('step')",),
        source="""
def lr_schedule(kind, lr0, n_steps, step_size=10, gamma=0.5, eta_min=0.0):
    t = np.arange(n_steps)
    if kind == "constant":
        return np.full(n_steps, float(lr0))
    if kind == "step":
        return lr0 * gamma ** (t / step_size)  # BUG: decays every step, not in stairs
    if kind == "exponential":
        return lr0 * gamma ** t.astype(np.float64)
    if kind == "cosine":
        return eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * t / n_steps)) / 2
    raise ValueError(f"unknown schedule {kind!r}")
""",
    ),
    Mistake(
        answer_id="q_diverge",
        test_id="test_q_diverge",
        names=("outside the accepted range", "2 / 25"),
        source="""
Q_DIVERGE = 0.04  # BUG: 1 / L is where every step is guaranteed to decrease the loss, not where GD diverges
""",
    ),
    Mistake(
        answer_id="q_ravine",
        test_id="test_q_ravine",
        names=("not the right choice", "cancel"),
        source="""
Q_RAVINE = "c"  # BUG: the same effective learning rate does not mean the same path
""",
    ),
    Mistake(
        answer_id="q_rotation",
        test_id="test_q_rotation",
        names=("not the right choice", "rotation"),
        source="""
Q_ROTATION = "a"  # BUG: the adaptive methods depend on the coordinate axes
""",
    ),
    Mistake(
        answer_id="q_race",
        test_id="test_q_race",
        names=("not the right choice", "effective rate"),
        source="""
Q_RACE = "c"  # BUG: AdaGrad's steps shrink, but they start at about lr per coordinate
""",
    ),
]
