"""Known mistakes in 03-backprop: one realistic wrong answer per graded exercise."""
from known_wrong import Mistake

MISTAKES = [
    Mistake(
        answer_id="activation_grad",
        test_id="test_activation_grad",
        names=('relu', 'z = 0'),
        oracle_names=('relu at exactly 0',),
        source="""
def activation_grad(name, z):
    z = np.asarray(z, dtype=np.float64)
    if name == "linear":
        return np.ones_like(z)
    if name == "sigmoid":
        s = apply_activation("sigmoid", z)
        return s * (1.0 - s)
    if name == "tanh":
        t = np.tanh(z)
        return 1.0 - t * t
    if name == "relu":
        return (z >= 0).astype(np.float64)  # BUG: relu'(0) = 1
    raise ValueError(f"unknown activation {name!r}: choose one of {ACTIVATION_NAMES}")
""",
    ),
    Mistake(
        answer_id="softmax_ce",
        test_id="test_softmax_ce",
        names=('max',),
        oracle_names=('max-subtraction',),
        source="""
def softmax_ce(logits, y):
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    n = logits.shape[0]
    shifted = logits  # BUG: no max subtraction: exp overflows for large logits
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_p[rows, y].mean()
    dlogits = np.exp(log_p)
    dlogits[rows, y] -= 1.0
    return float(loss), dlogits / n
""",
    ),
    Mistake(
        answer_id="grad_check",
        test_id="test_grad_check",
        names=('2 eps',),
        oracle_names=('2 eps',),
        round_trip=True,
        source="""
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
""",
    ),
    Mistake(
        answer_id="linear_backward",
        test_id="test_linear_backward",
        names=('dW',),
        oracle_names=('dW',),
        # mlp_backward calls linear_backward: its weight gradients come out transposed
        also_fails=('test_mlp_backward',),
        source="""
def linear_backward(X, W, dY):
    X = np.asarray(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    dY = np.asarray(dY, dtype=np.float64)
    return dY @ W, X.T @ dY, dY.sum(axis=0)  # BUG: dW transposed, (d_in, d_out) instead of W's (d_out, d_in)
""",
    ),
    Mistake(
        answer_id="mlp_backward",
        test_id="test_mlp_backward",
        names=('derivative', 'cached S'),
        source="""
def mlp_backward(X, y, params, activation="relu"):
    logits, cache = forward_cache(X, params, activation)
    loss, delta = softmax_ce(logits, y)          # delta = dLoss/dS of the last layer
    grads = [None] * len(params)
    for layer in reversed(range(len(params))):
        H_in, S = cache[layer]
        if layer < len(params) - 1:              # step back through a hidden activation
            delta = dH * activation_grad(activation, cache[layer + 1][0])  # BUG: f' at the output h, not at s
        dH, dW, db = linear_backward(H_in, params[layer][0], delta)
        grads[layer] = (dW, db)
    return loss, grads
""",
    ),
    Mistake(
        answer_id="value_engine",
        test_id="test_value_engine",
        names=('+=',),
        # the MLP classes of exercise 7 and the training of exercise 8 run on this engine
        also_fails=('test_engine_mlp', 'test_train_engine'),
        source="""
class Value:

    def __init__(self, data, children=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self._children = tuple(children)
        self._op = op
        self._backward = lambda: None        # a leaf has nothing to pass on

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

    @staticmethod
    def _as_value(x):
        return x if isinstance(x, Value) else Value(x)

    def __add__(self, other):
        other = Value._as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = Value._as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad  # BUG: = instead of +=, a reused node loses gradient
            other.grad = self.data * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for child in node._children:
                    visit(child)
                order.append(node)       # after all of its children

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    # Given: the other operators, built on __add__ and __mul__.
    def __radd__(self, other):           # number + Value
        return self + other

    def __rmul__(self, other):           # number * Value
        return self * other

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other
""",
    ),
    Mistake(
        answer_id="engine_mlp",
        test_id="test_engine_mlp",
        names=('outputs',),
        oracle_names=('linear in the last',),
        source="""
class Neuron:
    def __init__(self, n_in, rng, nonlin=True):
        self.w = [Value(v) for v in rng.uniform(-1.0, 1.0, size=n_in)]
        self.b = Value(0.0)

    def __call__(self, x):
        return sum((wi * xi for wi, xi in zip(self.w, x)), self.b).tanh()  # BUG: tanh on every layer, the output too

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, n_in, n_out, rng, nonlin=True):
        self.neurons = [Neuron(n_in, rng, nonlin) for _ in range(n_out)]

    def __call__(self, x):
        return [neuron(x) for neuron in self.neurons]

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    def __init__(self, n_in, sizes, rng):
        dims = [n_in] + list(sizes)
        self.layers = [Layer(dims[i], dims[i + 1], rng) for i in range(len(sizes))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]
""",
    ),
    Mistake(
        answer_id="train_engine",
        test_id="test_train_engine",
        names=('validation accuracy',),
        oracle_names=('fresh points',),
        source="""
model = MLP(2, [1], np.random.default_rng(0))  # BUG: no hidden layer: one straight line cannot separate XOR
for step in range(80):
    for p in model.parameters():
        p.grad = 0.0
    loss = Value(0.0)
    for x, label in zip(X_xor_train, y_xor_train):
        diff = model(list(x))[0] - (2.0 * label - 1.0)
        loss = loss + diff * diff
    loss = loss * (1.0 / len(y_xor_train))
    loss.backward()
    for p in model.parameters():
        p.data -= 0.15 * p.grad
""",
    ),
    Mistake(answer_id="q_dead_relu", test_id="test_q_dead_relu", names=("derivative is 0",),
            source='Q_DEAD_RELU = "c"  # BUG: the gradient is zero, not a push back'),
    Mistake(answer_id="q_shift", test_id="test_q_shift", names=("unchanged",),
            source='Q_SHIFT = "d"  # BUG: the factor e^5 cancels in the softmax'),
    Mistake(answer_id="q_eps", test_id="test_q_eps", names=("eps squared",),
            source='Q_EPS = "a"  # BUG: that is the forward difference\'s first-order error'),
    Mistake(answer_id="q_batch", test_id="test_q_batch", names=("mean",),
            source='Q_BATCH = "a"  # BUG: the loss is a mean, not a sum'),
]
