"""Known mistakes in 01-perceptron: one realistic wrong answer per graded exercise."""
from known_wrong import Mistake

MISTAKES = [
    Mistake(
        answer_id="threshold_unit",
        test_id="test_threshold_unit",
        names=("z >= 0",),
        oracle_names=('z >= 0',),
        source="""
def threshold_unit(X, w, b):
    z = np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + b
    return (z > 0).astype(np.int64)  # BUG: H(0) = 0, the step fires only for z > 0
""",
    ),
    Mistake(
        answer_id="gate_weights",
        test_id="test_gate_weights",
        names=("NAND", "truth table"),
        oracle_names=('NAND', 'truth table'),
        source="""
GATE_WEIGHTS = {
    "AND": (np.array([1.0, 1.0]), -1.5),
    "OR": (np.array([1.0, 1.0]), -0.5),
    "NAND": (np.array([-1.0, -1.0]), -1.5),  # BUG: flipped the weights of AND but not its bias
    "NOT": (np.array([-1.0]), 0.5),
}
""",
    ),
    Mistake(
        answer_id="perceptron_update",
        test_id="test_perceptron_update",
        names=("lr",),
        oracle_names=('default is lr = 1.0',),
        source="""
def perceptron_update(w, b, x, y, lr=0.1):  # BUG: a default learning rate of 0.1, the text says 1
    w = np.asarray(w, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    y_hat = 1 if float(w @ x) + b >= 0 else 0
    error = y - y_hat
    return w + lr * error * x, float(b + lr * error)
""",
    ),
    Mistake(
        answer_id="perceptron_update_pm",
        test_id="test_perceptron_update_pm",
        names=("<= 0",),
        oracle_names=('counts as a mistake',),
        source="""
def perceptron_update_pm(w, x, y):
    w = np.asarray(w, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if y * float(w @ x) < 0:  # BUG: y (w . x) = 0 (as at w = 0) is a mistake too
        return w + y * x
    return w.copy()
""",
    ),
    Mistake(
        answer_id="train_perceptron",
        test_id="test_train_perceptron",
        names=("changes", "keeping that 0"),
        oracle_names=('changes per epoch',),
        source="""
def train_perceptron(X, y, max_epochs=100, lr=1.0):
    X = np.asarray(X, dtype=np.float64)
    w, b = np.zeros(X.shape[1]), 0.0
    changes = []
    for _ in range(max_epochs):
        n_changed = 0
        for x_i, y_i in zip(X, y):
            y_hat = 1 if float(w @ x_i) + b >= 0 else 0
            n_changed += int(y_hat != y_i)
            w, b = perceptron_update(w, b, x_i, y_i, lr)
        if n_changed == 0:  # BUG: stops before recording the clean epoch's 0
            break
        changes.append(n_changed)
    return w, b, changes
""",
    ),
    Mistake(
        answer_id="logistic_loss_grad",
        test_id="test_logistic_loss_grad",
        names=("logaddexp",),
        oracle_names=('numerically stable',),
        source="""
def logistic_loss_grad(w, X, y, lam=0.0):
    w = np.asarray(w, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    # BUG: log(0) once p rounds to 0 or 1 (large |X @ w|): not numerically stable
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.5 * lam * float(w @ w)
    grad = X.T @ (p - y) / len(y) + lam * w
    return float(loss), grad
""",
    ),
    Mistake(
        answer_id="fit_logistic",
        test_id="test_fit_logistic",
        names=("norm",),
        round_trip=True,
        source="""
def fit_logistic(X, y, lam=0.0, lr=0.5, epochs=100):
    w, norms = np.zeros(X.shape[1]), []
    for _ in range(epochs):
        norms.append(float(np.linalg.norm(w)))  # BUG: the norm before the step
        w = w - lr * logistic_loss_grad(w, X, y, lam)[1]
    return w, norms
""",
    ),
    Mistake(
        answer_id="q_lr",
        test_id="test_q_lr",
        names=("not the right choice", "same mistakes"),
        source="Q_LR = 'a'  # BUG: smaller steps, so more epochs",
    ),
    Mistake(
        answer_id="q_and_updates",
        test_id="test_q_and_updates",
        names=("outside the accepted range",),
        source="Q_AND_UPDATES = 4  # BUG: guessed one update per row",
    ),
    Mistake(
        answer_id="q_xor",
        test_id="test_q_xor",
        names=("not the right choice", "no line separates XOR"),
        source="Q_XOR = 'c'  # BUG: thinks the weights grow without bound, as in logistic regression",
    ),
    Mistake(
        answer_id="q_norm",
        test_id="test_q_norm",
        names=("not the right choice", "never reaches 0"),
        source="Q_NORM = 'a'  # BUG: confuses gradient descent's limit with a minimiser",
    ),
]
