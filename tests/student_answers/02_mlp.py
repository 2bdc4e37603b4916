"""Student-style answers for 02-mlp, written from the exercise texts alone."""

ANSWERS = {
    "mlp_forward": '''
def mlp_forward(X, weights):
    out = X
    n_layers = len(weights)
    for k in range(n_layers):
        W, b = weights[k]
        out = out @ W.T + b
        if k != n_layers - 1:
            out = np.maximum(0, out)
    return out
''',
    "xor_weights": '''
XOR_WEIGHTS = [
    (np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0])),
    (np.array([[1.0, -2.0]]), np.array([0.0])),
]
''',
    "collapse_affine": '''
def collapse_affine(weights):
    W_all, b_all = weights[0]
    W_all = np.array(W_all, dtype=float)
    b_all = np.array(b_all, dtype=float)
    for W, b in weights[1:]:
        b_all = W @ b_all + b
        W_all = W @ W_all
    return W_all, b_all
''',
    "relu_interpolant": '''
def relu_interpolant(knots_x, knots_y, x_query):
    K = len(knots_x) - 1
    s = (knots_y[1:] - knots_y[:-1]) / (knots_x[1:] - knots_x[:-1])
    a = np.zeros(K + 1)
    a[0] = s[0]
    for i in range(1, K):
        a[i] = s[i] - s[i - 1]
    a[K] = -s[K - 1]
    relus = np.maximum(0, x_query[:, None] - knots_x[None, :])
    return knots_y[0] + relus @ a
''',
    "make_mlp": '''
def make_mlp(in_dim, hidden, out_dim, activation="relu"):
    acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}
    if activation not in acts:
        raise ValueError(f"unknown activation {activation}")
    layers = []
    size = in_dim
    for h in hidden:
        layers.append(nn.Linear(size, h))
        layers.append(acts[activation]())
        size = h
    layers.append(nn.Linear(size, out_dim))
    return nn.Sequential(*layers)
''',
    "grid_search": '''
def grid_search(widths, depths, evaluate):
    scores = np.zeros((len(depths), len(widths)))
    for i, d in enumerate(depths):
        for j, w in enumerate(widths):
            scores[i, j] = evaluate(w, d)
    no_nan = np.where(np.isnan(scores), np.inf, scores)
    i, j = np.unravel_index(np.argmin(no_nan), scores.shape)
    return scores, (widths[j], depths[i])
''',
    "train_digits": '''
def train_digits(X_train, y_train):
    torch.manual_seed(1)
    net = make_mlp(64, [100], 10, "relu")
    train_classifier(net, X_train, y_train, epochs=dlcourse.pick(10, 6))
    return net
''',
    "cross_entropy": '''
def cross_entropy(logits, y):
    # log p_y = z_y - logsumexp(z); shift each row by its max so nothing overflows
    z = np.array(logits, dtype=float)
    z = z - z.max(axis=1)[:, None]
    log_probs = z - np.log(np.sum(np.exp(z), axis=1))[:, None]
    picked = log_probs[range(z.shape[0]), list(y)]
    return -picked.mean()
''',
    "q_linear_xor": '''
Q_LINEAR_XOR = 1/4
''',
    "q_knots": '''
Q_KNOTS = 4
''',
    "q_dead_units": '''
Q_DEAD_UNITS = 'B'
''',
    "q_tent_pieces": '''
Q_TENT_PIECES = 2 ** 5
''',
    "q_softmax_boundary": '''
Q_SOFTMAX_BOUNDARY = "a"
''',
    "q_small_data_gap": '''
Q_SMALL_DATA_GAP = " c"
''',
    "written_depth": '''
The theorem only says that some wide enough single layer exists. It does not say how many units
that takes, or that gradient descent will find the weights, or that the network will do well on
new points. Depth helps with size: stacking tents doubles the number of linear pieces per layer,
so 5 layers of 2 units give 32 pieces while one layer of 10 units gives at most 11. On sin this
did not matter much, one wide layer was about as good at the same size, and the narrow deep
networks did not train at all because their units died.
''',
}
