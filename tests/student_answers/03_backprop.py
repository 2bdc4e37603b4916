"""Student-style answers for 03-backprop, written from the exercise texts alone."""

ANSWERS = {
    "activation_grad": '''
def activation_grad(name, z):
    z = np.asarray(z, dtype=np.float64)
    if name == "linear":
        return np.ones_like(z)
    elif name == "sigmoid":
        sig = activation("sigmoid", z)
        return sig * (1 - sig)
    elif name == "tanh":
        return 1 - np.tanh(z) ** 2
    elif name == "relu":
        return (z > 0).astype(np.float64)
    else:
        raise ValueError("no such activation: " + str(name))
''',
    "softmax_ce": '''
def softmax_ce(logits, y):
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_sum
    loss = -log_probs[np.arange(n), y].mean()
    probs = np.exp(log_probs)
    onehot = np.zeros_like(probs)
    onehot[np.arange(n), y] = 1
    return float(loss), (probs - onehot) / n
''',
    "grad_check": '''
def numerical_grad(f, x, eps=1e-5):
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        keep = x[idx]
        x[idx] = keep + eps
        up = f(x)
        x[idx] = keep - eps
        down = f(x)
        x[idx] = keep
        g[idx] = (up - down) / (2 * eps)
    return g


def grad_check(W, X, y, eps=1e-5):
    """Given (do not change): the central-difference gradient of fixed_loss with respect to W."""
    return numerical_grad(lambda V: fixed_loss(V, X, y), W, eps)
''',
    "linear_backward": '''
def linear_backward(X, W, dY):
    dX = dY @ W.T
    dW = X.T @ dY
    db = dY.sum(axis=0)
    return dX, dW, db
''',
    "mlp_backward": '''
def mlp_backward(X, y, weights, activation_name="relu"):
    logits, cache = mlp_forward(X, weights, activation_name)
    loss, d_out = softmax_ce(logits, y)
    L = len(weights) // 2
    grads = [None] * len(weights)
    for layer in reversed(range(L)):
        H_in, S = cache[layer]
        W = weights[2 * layer]
        d_in, dW, db = linear_backward(H_in, W, d_out)
        grads[2 * layer] = dW
        grads[2 * layer + 1] = db
        if layer > 0:
            S_prev = cache[layer - 1][1]
            d_out = d_in * activation_grad(activation_name, S_prev)
    return loss, grads
''',
    "value_engine": '''
class Value:
    """A scalar that remembers how it was computed, so that gradients can flow back."""

    def __init__(self, data, children=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._children = tuple(children)
        self._op = op
        self._backward = lambda: None

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    @staticmethod
    def _as_value(x):
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        other = Value._as_value(other)
        result = Value(self.data + other.data, (self, other), "+")

        def back():
            self.grad += result.grad
            other.grad += result.grad
        result._backward = back
        return result

    def __mul__(self, other):
        other = Value._as_value(other)
        result = Value(self.data * other.data, (self, other), "*")

        def back():
            self.grad += other.data * result.grad
            other.grad += self.data * result.grad
        result._backward = back
        return result

    def tanh(self):
        t = math.tanh(self.data)
        result = Value(t, (self,), "tanh")

        def back():
            self.grad += (1 - t * t) * result.grad
        result._backward = back
        return result

    def backward(self):
        order = []
        seen = set()

        def visit(node):
            if node in seen:
                return
            seen.add(node)
            for child in node._children:
                visit(child)
            order.append(node)
        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other
''',
}
