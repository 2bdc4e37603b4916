"""Known mistakes in 08-hyperparameters: one realistic wrong answer per graded exercise."""
from known_wrong import Mistake

MISTAKES = [
    Mistake(
        answer_id="train_val_test_split",
        test_id="test_train_val_test_split",
        names=('round',),
        oracle_names=('round',),
        source="""
def train_val_test_split(n, val_fraction, test_fraction, seed=0):
    perm = np.random.default_rng(seed).permutation(n)
    n_val = int(val_fraction * n)  # BUG: truncates instead of rounding
    n_test = int(test_fraction * n)
    n_train = n - n_val - n_test
    return perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]
""",
    ),
    Mistake(
        answer_id="lr_schedule",
        test_id="test_lr_schedule",
        names=('e // step_size',),
        source="""
def lr_schedule(kind, lr0, n_steps, step_size=10, gamma=0.5, eta_min=0.0):
    e = np.arange(n_steps)
    if kind == "constant":
        return np.full(n_steps, float(lr0))
    if kind == "step":
        return lr0 * gamma ** ((e + 1) // step_size)  # BUG: decays one epoch early
    if kind == "exponential":
        return lr0 * gamma ** e.astype(float)
    if kind == "cosine":
        return eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * e / n_steps)) / 2
    raise ValueError(f"unknown schedule {kind!r}")
""",
    ),
    Mistake(
        answer_id="dropout_backward",
        test_id="test_dropout_backward",
        names=("divided by keep_prob",),
        oracle_names=("dout / keep_prob",),
        source="""
def dropout_backward(dout, mask, keep_prob):
    return dout * mask  # BUG: forgets the 1 / keep_prob of the forward pass
""",
    ),
    Mistake(answer_id="q_best_of_many", test_id="test_q_best_of_many", names=("selection bias",),
            source='Q_BEST_OF_MANY = "a"  # BUG: choosing on the validation set biases its best score\n'),
    Mistake(answer_id="q_small_batch", test_id="test_q_small_batch", names=("many more steps",),
            source='Q_SMALL_BATCH = "a"  # BUG: per epoch, the number of steps matters more\n'),
    Mistake(answer_id="q_no_rescale", test_id="test_q_no_rescale", names=("2 times larger",),
            source='Q_NO_RESCALE = "c"  # BUG: the direction of the shift is reversed\n'),
    Mistake(answer_id="q_uniform_lr", test_id="test_q_uniform_lr", names=("last decade",),
            source="Q_UNIFORM_LR = 0.5  # BUG: half the decades is not half the interval\n"),
    Mistake(
        answer_id="dropout",
        test_id="test_dropout",
        names=('1 - p',),
        oracle_names=('1 - p',),
        source="""
def dropout(x, p, train=True, u=None):
    if not train:
        return x
    if u is None:
        u = torch.rand_like(x)
    keep = (u >= p).to(x.dtype)
    return x * keep * (1 - p)  # BUG: scales the kept units down, not up
""",
    ),
    Mistake(
        answer_id="early_stopping_epoch",
        test_id="test_early_stopping_epoch",
        names=('stops training',),
        round_trip=True,
        source="""
def early_stopping_epoch(val_losses, patience, min_delta=0.0):
    best, best_epoch, wait = val_losses[0], 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < best - min_delta:
            best, best_epoch, wait = val_losses[epoch], epoch, 0
        else:
            wait += 1
            if wait > patience:  # BUG: waits one epoch too many
                return epoch, best_epoch
    return len(val_losses) - 1, best_epoch
""",
    ),
    Mistake(
        answer_id="random_search_configs",
        test_id="test_random_search_configs",
        names=('both ends included',),
        oracle_names=('high + 1',),
        source="""
def random_search_configs(space, n, seed=0):
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
                config[name] = int(rng.integers(spec[1], spec[2]))  # BUG: high is excluded
            elif kind == "choice":
                options = spec[1]
                config[name] = options[int(rng.integers(len(options)))]
            else:
                raise ValueError(f"unknown kind {kind!r} for {name!r}")
        configs.append(config)
    return configs
""",
    ),
    Mistake(
        answer_id="successive_halving",
        test_id="test_successive_halving",
        names=("sort by index",),
        source="""
def successive_halving(losses, eta=3):
    losses = np.asarray(losses, dtype=float)
    n_configs, n_rungs = losses.shape
    alive = np.arange(n_configs)
    survivors = [alive]
    for k in range(n_rungs - 1):
        keep = max(1, len(alive) // eta)
        order = np.argsort(losses[alive, k], kind="stable")  # NaN last, ties keep index order
        alive = alive[order[:keep]]  # BUG: survivors in loss order, not sorted by index
        survivors.append(alive)
    best = int(alive[np.argsort(losses[alive, -1], kind="stable")[0]])
    return survivors, best
""",
    ),
    Mistake(
        answer_id="hyperband_schedule",
        test_id="test_hyperband_schedule",
        names=('math.log',),
        oracle_names=('math.log',),
        source="""
def hyperband_schedule(R, eta=3):
    s_max = int(math.log(R, eta))  # BUG: math.log(243, 3) is 4.999..., so s_max comes out one short
    brackets = []
    for s in range(s_max, -1, -1):
        n = ((s_max + 1) // (s + 1)) * eta ** s
        brackets.append([(n // eta ** i, R * eta ** (i - s)) for i in range(s + 1)])
    return brackets
""",
    ),
]
