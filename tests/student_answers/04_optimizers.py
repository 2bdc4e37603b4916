"""Student-style answers for 04-optimizers, written from the exercise texts alone."""

ANSWERS = {
    "gd_step": '''
def gd_step(x, grad, state, hp):
    new_x = x - hp["lr"] * grad
    return new_x, state


def run_gd(A, b, x0, hp, n_steps):
    # Given: runs your gd_step on f(x) = 0.5 x^T A x - b^T x (this is what the grader calls).
    return run_optimizer(gd_step, {}, quadratic_grad(A, b), x0, hp, n_steps)
''',
    "minibatches": '''
def minibatches(n, batch_size, rng_seed):
    order = np.random.default_rng(rng_seed).permutation(n)
    batches = []
    start = 0
    while start < n:
        batches.append(order[start:start + batch_size])
        start += batch_size
    return batches
''',
    "momentum_step": '''
def momentum_step(x, grad, state, hp):
    velocity = hp["gamma"] * state["u"] + hp["lr"] * grad
    return x - velocity, {"u": velocity}


def run_momentum(A, b, x0, hp, n_steps):
    # Given: your momentum_step on f(x) = 0.5 x^T A x - b^T x, starting from u = 0.
    return run_optimizer(momentum_step, {"u": np.zeros_like(x0)}, quadratic_grad(A, b), x0, hp, n_steps)
''',
    "ema_momentum_step": '''
def ema_momentum_step(x, grad, state, hp):
    g = hp["gamma"]
    avg = g * state["z"] + (1 - g) * grad
    return x - hp["lr"] * avg, {"z": avg}


def run_ema_momentum(A, b, x0, hp, n_steps):
    # Given: your ema_momentum_step on f(x) = 0.5 x^T A x - b^T x, starting from z = 0.
    return run_optimizer(ema_momentum_step, {"z": np.zeros_like(x0)}, quadratic_grad(A, b), x0, hp, n_steps)
''',
    "nesterov_step": '''
def nesterov_step(x, grad, state, hp):
    lr, g = hp["lr"], hp["gamma"]
    velocity = g * state["u"] + lr * grad
    x_next = x - g * velocity - lr * grad
    return x_next, {"u": velocity}


def run_nesterov(A, b, x0, hp, n_steps):
    # Given: your nesterov_step on f(x) = 0.5 x^T A x - b^T x, starting from u = 0.
    return run_optimizer(nesterov_step, {"u": np.zeros_like(x0)}, quadratic_grad(A, b), x0, hp, n_steps)
''',
    "adagrad_step": '''
def adagrad_step(x, grad, state, hp):
    total = state["G"] + grad * grad
    step = hp["lr"] * grad / (np.sqrt(total) + hp["eps"])
    return x - step, {"G": total}


def run_adagrad(A, b, x0, hp, n_steps):
    # Given: your adagrad_step on f(x) = 0.5 x^T A x - b^T x, starting from G = 0.
    return run_optimizer(adagrad_step, {"G": np.zeros_like(x0)}, quadratic_grad(A, b), x0, hp, n_steps)
''',
    "rmsprop_step": '''
def rmsprop_step(x, grad, state, hp):
    beta = hp["beta"]
    avg_sq = beta * state["s"] + (1 - beta) * grad ** 2
    x_next = x - hp["lr"] * grad / (np.sqrt(avg_sq) + hp["eps"])
    return x_next, {"s": avg_sq}


def run_rmsprop(A, b, x0, hp, n_steps):
    # Given: your rmsprop_step on f(x) = 0.5 x^T A x - b^T x, starting from s = 0.
    return run_optimizer(rmsprop_step, {"s": np.zeros_like(x0)}, quadratic_grad(A, b), x0, hp, n_steps)
''',
    "adam_step": '''
def adam_step(x, grad, state, hp):
    b1, b2 = hp["beta1"], hp["beta2"]
    t = state["t"] + 1
    m = b1 * state["m"] + (1 - b1) * grad
    v = b2 * state["v"] + (1 - b2) * grad ** 2
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    x_next = x - hp["lr"] * m_hat / (np.sqrt(v_hat) + hp["eps"])
    return x_next, {"m": m, "v": v, "t": t}


def run_adam(A, b, x0, hp, n_steps):
    # Given: your adam_step on f(x) = 0.5 x^T A x - b^T x, starting from m = v = 0, t = 0.
    state = {"m": np.zeros_like(x0), "v": np.zeros_like(x0), "t": 0}
    return run_optimizer(adam_step, state, quadratic_grad(A, b), x0, hp, n_steps)
''',
    "lr_schedule": '''
import math


def lr_schedule(kind, lr0, n_steps, step_size=10, gamma=0.5, eta_min=0.0):
    if kind not in ("constant", "step", "exponential", "cosine"):
        raise ValueError("unknown schedule " + str(kind))
    rates = []
    for t in range(n_steps):
        if kind == "constant":
            rates.append(lr0)
        elif kind == "step":
            rates.append(lr0 * gamma ** (t // step_size))
        elif kind == "exponential":
            rates.append(lr0 * gamma ** t)
        else:
            rates.append(eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * t / n_steps)) / 2)
    return np.array(rates, dtype=np.float64)
''',
    "q_diverge": '''
# biggest eigenvalue is 25, need |1 - lr*25| < 1
Q_DIVERGE = 2 / 25
''',
    "q_ravine": '''
Q_RAVINE = 'B'
''',
    "q_rotation": '''
Q_ROTATION = "b"
''',
    "q_race": '''
Q_RACE = "A"
''',
    "written_optimizer": '''
Faster optimizers only get the training loss down faster. Once the network fits the digits the
validation accuracy is about the same for all of them, so here the optimizer mostly buys speed,
not accuracy. For a new network I would tune the learning rate of each optimizer on a log grid,
train on the training split and compare validation accuracy after the same number of steps,
and keep the test set for one final check.
''',
}
