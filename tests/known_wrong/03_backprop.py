"""A realistic mistake in an exercise no other graded exercise builds on."""
ANSWER_ID = "grad_check"
TEST_ID = "test_grad_check"
SOURCE = '''
def numerical_grad(f, x, eps=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    f_x = f(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        grad[i] = (f(x) - f_x) / eps  # BUG: a forward difference, error O(eps) instead of O(eps**2)
        x[i] = original
    return grad


def grad_check(W, X, y, eps=1e-5):
    return numerical_grad(lambda V: fixed_loss(V, X, y), W, eps)
'''
