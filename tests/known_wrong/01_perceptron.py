"""A realistic mistake in an exercise no other graded exercise builds on."""
ANSWER_ID = "fit_logistic"
TEST_ID = "test_fit_logistic"
SOURCE = """
def fit_logistic(X, y, lam=0.0, lr=0.5, epochs=100):
    w, norms = np.zeros(X.shape[1]), []
    for _ in range(epochs):
        norms.append(float(np.linalg.norm(w)))  # BUG: the norm before the step
        w = w - lr * logistic_loss_grad(w, X, y, lam)[1]
    return w, norms
"""
