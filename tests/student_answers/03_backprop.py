"""Student-style answers for 03-backprop, written from the exercise texts alone."""

ANSWERS = {
    "activation_grad": '''
def activation_grad(name, z):
    z = np.asarray(z, dtype=np.float64)
    if name == "linear":
        return np.ones_like(z)
    elif name == "sigmoid":
        sig = apply_activation("sigmoid", z)
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
    dX = dY @ W
    dW = dY.T @ X
    db = dY.sum(axis=0)
    return dX, dW, db
''',
    "mlp_backward": '''
def mlp_backward(X, y, params, activation="relu"):
    logits, cache = forward_cache(X, params, activation)
    loss, d_out = softmax_ce(logits, y)
    grads = []
    for layer in range(len(params) - 1, -1, -1):
        H_in, S = cache[layer]
        W = params[layer][0]
        d_in, dW, db = linear_backward(H_in, W, d_out)
        grads.insert(0, (dW, db))
        if layer > 0:
            d_out = d_in * activation_grad(activation, cache[layer - 1][1])
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
    "q_dead_relu": "Q_DEAD_RELU = 'B'",
    "q_shift": "Q_SHIFT = 'a'   # softmax does not see a common shift",
    "q_eps": 'Q_EPS = "B"',
    "q_batch": "Q_BATCH = 'b'",
    "engine_mlp": '''
class Module:
    def parameters(self):
        return []


class Neuron(Module):
    def __init__(self, n_in, rng, nonlin=True):
        self.w = [Value(float(rng.uniform(-1, 1))) for _ in range(n_in)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x):
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        if self.nonlin:
            return act.tanh()
        return act

    def parameters(self):
        return [*self.w, self.b]


class Layer(Module):
    def __init__(self, n_in, n_out, rng, nonlin=True):
        self.neurons = []
        for _ in range(n_out):
            self.neurons.append(Neuron(n_in, rng, nonlin))

    def __call__(self, x):
        return [n(x) for n in self.neurons]

    def parameters(self):
        ps = []
        for n in self.neurons:
            ps.extend(n.parameters())
        return ps


class MLP(Module):
    def __init__(self, n_in, sizes, rng):
        self.layers = []
        prev = n_in
        for i, size in enumerate(sizes):
            last = i == len(sizes) - 1
            self.layers.append(Layer(prev, size, rng, nonlin=not last))
            prev = size

    def __call__(self, x):
        out = x
        for layer in self.layers:
            out = layer(out)
        return out

    def parameters(self):
        ps = []
        for layer in self.layers:
            ps.extend(layer.parameters())
        return ps
''',
    "train_engine": '''
def val_acc(net):
    right = 0
    for point, label in zip(X_xor_val, y_xor_val):
        right += int((net([point[0], point[1]])[0].data > 0) == (label == 1))
    return right / len(y_xor_val)


best_acc, model = -1, None
for hidden in [3, 5]:
    net = MLP(2, [hidden, 1], np.random.default_rng(1))
    for step in range(60):
        for p in net.parameters():
            p.grad = 0
        loss = Value(0)
        for point, label in zip(X_xor_train, y_xor_train):
            target = 1.0 if label == 1 else -1.0
            err = net([point[0], point[1]])[0] - target
            loss = loss + err * err
        loss = loss * (1 / len(y_xor_train))
        loss.backward()
        for p in net.parameters():
            p.data = p.data - 0.2 * p.grad
    acc = val_acc(net)
    print("hidden", hidden, "loss", round(loss.data, 3), "val acc", acc)
    if acc > best_acc:
        best_acc, model = acc, net
''',
    "written_reverse_mode": """Finite differences need 2 forward passes for each parameter (2P), forward mode one pass per
parameter (P), so both get slower as the network grows. Backprop does one forward and one backward pass,
and the backward is about 2 forward passes (two matrix products per layer instead of one), so ~3 passes no
matter how big P is. This works because the loss is one number: going backwards from it, the derivative of
the loss wrt each intermediate node (the delta) is computed once and reused for all weights below it.
The cost is memory: all activations of the forward pass must be stored until the backward pass uses them.""",
}
