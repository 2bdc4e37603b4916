"""A realistic mistake in an exercise no other graded exercise builds on: Adam without
its bias correction (the moving averages are used raw, so the first steps are too long)."""
ANSWER_ID = "adam_step"
TEST_ID = "test_adam_step"
SOURCE = '''
def adam_step(x, grad, state, hp):
    t = state["t"] + 1
    m = hp["beta1"] * state["m"] + (1.0 - hp["beta1"]) * grad
    v = hp["beta2"] * state["v"] + (1.0 - hp["beta2"]) * grad**2
    x_new = x - hp["lr"] * m / (np.sqrt(v) + hp["eps"])  # BUG: no division by 1 - beta**t
    return x_new, {"m": m, "v": v, "t": t}


def run_adam(A, b, x0, hp, n_steps):
    state = {"m": np.zeros_like(x0), "v": np.zeros_like(x0), "t": 0}
    return run_optimizer(adam_step, state, quadratic_grad(A, b), x0, hp, n_steps)
'''
