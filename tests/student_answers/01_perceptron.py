"""Student-style answers for 01-perceptron, written from the exercise texts alone."""

ANSWERS = {
    "threshold_unit": '''
def threshold_unit(X, w, b):
    z = np.dot(X, w) + b
    out = (z >= 0).astype(np.int64)
    return out
''',
    "gate_weights": '''
GATE_WEIGHTS = {
    "AND": (np.array([1.0, 1.0]), -1.5),
    "OR": (np.array([1.0, 1.0]), -0.5),
    "NAND": (np.array([-1.0, -1.0]), 1.5),
    "NOT": (np.array([-1.0]), 0.5),
}
''',
    "perceptron_update": '''
def perceptron_update(w, b, x, y, lr=1.0):
    if np.dot(w, x) + b >= 0:
        guess = 1
    else:
        guess = 0
    err = y - guess
    new_w = w + lr * err * x
    new_b = b + lr * err
    return new_w, float(new_b)
''',
    "perceptron_update_pm": '''
def perceptron_update_pm(w, x, y):
    if y * np.dot(w, x) <= 0:
        return w + y * x
    return w.copy()
''',
    "train_perceptron": '''
def train_perceptron(X, y, max_epochs=100, lr=1.0):
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    changes = []
    for epoch in range(max_epochs):
        mistakes = 0
        for i in range(n):
            new_w, new_b = perceptron_update(w, b, X[i], y[i], lr)
            if not np.array_equal(new_w, w) or new_b != b:
                mistakes += 1
            w, b = new_w, new_b
        changes.append(mistakes)
        if mistakes == 0:
            break
    return w, b, changes
''',
    "logistic_loss_grad": '''
def logistic_loss_grad(w, X, y, lam=0.0):
    n = len(y)
    z = X @ w
    # -log p = log(1 + e^-z) and -log(1 - p) = log(1 + e^z)
    losses = y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)
    loss = losses.mean() + lam / 2 * np.sum(w ** 2)
    p = np.exp(-np.logaddexp(0, -z))
    grad = X.T @ (p - y) / n + lam * w
    return float(loss), grad
''',
    "fit_logistic": '''
def fit_logistic(X, y, lam=0.0, lr=0.5, epochs=100):
    w = np.zeros(X.shape[1])
    norms = []
    for step in range(epochs):
        loss, g = logistic_loss_grad(w, X, y, lam)
        w = w - lr * g
        norms.append(float(np.linalg.norm(w)))
    return w, norms
''',
    "q_lr": "Q_LR = 'B'",
    "q_and_updates": "Q_AND_UPDATES = 11  # epochs 2, 3, 3, 2, 1, then a clean one",
    "q_xor": "Q_XOR = 'b'  # never a clean epoch",
    "q_norm": 'Q_NORM = "b"',
    "written_labels": """One sigmoid and one binary cross-entropy per finding: the findings are independent,
an X-ray can show several at once, so each output should be the probability of its own finding.
A softmax makes the three probabilities add up to 1, so with pneumonia and an enlarged heart both present
the two would have to share the mass (about 0.5 each) and pushing one up pushes the other down;
the model could never be confident about both.""",
}
