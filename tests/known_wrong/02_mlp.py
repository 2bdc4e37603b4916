"""Known mistakes in 02-mlp: one realistic wrong answer per graded exercise."""
from known_wrong import Mistake

MISTAKES = [
    Mistake(
        answer_id="mlp_forward",
        test_id="test_mlp_forward",
        names=('no ReLU',),
        source="""
def mlp_forward(X, weights):
    H = np.asarray(X, dtype=np.float64)
    for layer, (W, b) in enumerate(weights):
        H = H @ np.asarray(W, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
        H = np.maximum(H, 0.0)  # BUG: a ReLU after the output layer too
    return H
""",
    ),
    Mistake(
        answer_id="xor_weights",
        test_id="test_xor_weights",
        names=('11',),
        oracle_names=('01 and 10',),
        source="""
# XOR_WEIGHTS = [(W1, b1), (W2, b2)]: float arrays of shapes (2, 2), (2,), (1, 2), (1,)
# such that ReLU hidden units and an affine output give outputs > 0.5 exactly on 01 and 10.
XOR_WEIGHTS = [
    (np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0])),  # h = (ReLU(s), ReLU(s - 1))
    (np.array([[1.0, -1.0]]), np.array([0.0]))  # BUG: 11 gives 2 - 1 = 1, not 0,                   # y = h1 - 2 h2: 0, 1, 1, 0
]
""",
    ),
    Mistake(
        answer_id="collapse_affine",
        test_id="test_collapse_affine",
        names=('first bias',),
        source="""
def collapse_affine(weights):
    W_total = np.eye(np.shape(weights[0][0])[1])
    b_total = np.zeros(np.shape(weights[0][0])[1])
    for W, b in weights:
        W = np.asarray(W, dtype=np.float64)
        W_total = W @ W_total
        b_total = np.asarray(b, dtype=np.float64)  # BUG: the earlier biases are lost
    return W_total, b_total
""",
    ),
    Mistake(
        answer_id="relu_interpolant",
        test_id="test_relu_interpolant",
        names=('y_K',),
        round_trip=True,
        source="""
def relu_interpolant(knots_x, knots_y, x_query):
    xs = np.asarray(knots_x, dtype=np.float64)
    ys = np.asarray(knots_y, dtype=np.float64)
    x = np.asarray(x_query, dtype=np.float64)
    slopes = np.diff(ys) / np.diff(xs)
    coeffs = np.diff(np.concatenate([[0.0], slopes]))  # BUG: no last term, the slope never switches off
    return ys[0] + np.maximum(x[:, None] - xs[None, :-1], 0.0) @ coeffs
""",
    ),
    Mistake(
        answer_id="make_mlp",
        test_id="test_make_mlp",
        names=('linear',),
        oracle_names=('linear',),
        source="""
def make_mlp(in_dim, hidden, out_dim, activation="relu"):
    kinds = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}  # BUG: no entry for "linear"
    if activation not in kinds:
        raise ValueError(f"unknown activation {activation!r}: choose one of {sorted(kinds)}")
    layers, width_in = [], in_dim
    for width in hidden:
        layers += [nn.Linear(width_in, width), kinds[activation]()]
        width_in = width
    layers.append(nn.Linear(width_in, out_dim))
    return nn.Sequential(*layers)
""",
    ),
    Mistake(
        answer_id="grid_search",
        test_id="test_grid_search",
        names=('nan',),
        oracle_names=('nan',),
        source="""
def grid_search(widths, depths, evaluate):
    scores = np.empty((len(depths), len(widths)))
    for i, depth in enumerate(depths):
        for j, width in enumerate(widths):
            scores[i, j] = evaluate(width, depth)
    i, j = np.unravel_index(np.argmin(scores), scores.shape)  # BUG: argmin picks a nan
    return scores, (widths[j], depths[i])
""",
    ),
    Mistake(
        answer_id="train_digits",
        test_id="test_predict_digits",
        names=('accuracy',),
        oracle_names=('accuracy',),
        source="""
def train_digits(X_train, y_train):
    torch.manual_seed(0)
    model = make_mlp(64, [256], 10, "relu")
    train_classifier(model, X_train, y_train, epochs=1, lr=1e-3)  # BUG: one epoch at a small rate: under-trained
    return model
""",
    ),
    Mistake(
        answer_id="cross_entropy",
        test_id="test_cross_entropy",
        names=("finite",),
        oracle_names=("finite",),
        source="""
def cross_entropy(logits, y):
    z = np.asarray(logits, dtype=np.float64)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)  # BUG: exp(1000) overflows to inf, and inf / inf is nan
    return float(np.mean(-np.log(p[np.arange(len(z)), y])))
""",
    ),
    Mistake(
        answer_id="q_linear_xor",
        test_id="test_q_linear_xor",
        names=("outside the accepted range", "constant 1/2"),
        source="""
Q_LINEAR_XOR = 0.0  # BUG: 105 parameters for 4 points, but they all describe one affine map
""",
    ),
    Mistake(
        answer_id="q_knots",
        test_id="test_q_knots",
        names=("outside the accepted range", "h squared"),
        source="""
Q_KNOTS = 2  # BUG: twice the units, but the error goes with the square of the spacing
""",
    ),
    Mistake(
        answer_id="q_dead_units",
        test_id="test_q_dead_units",
        names=("not the right choice", "no gradient"),
        source="""
Q_DEAD_UNITS = "a"  # BUG: over-fitting would show a small training loss
""",
    ),
    Mistake(
        answer_id="q_tent_pieces",
        test_id="test_q_tent_pieces",
        names=("outside the accepted range", "doubles"),
        source="""
Q_TENT_PIECES = 10  # BUG: counts pieces as if the layers added them, two per layer
""",
    ),
    Mistake(
        answer_id="q_softmax_boundary",
        test_id="test_q_softmax_boundary",
        names=("not the right choice", "denominator"),
        source="""
Q_SOFTMAX_BOUNDARY = "b"  # BUG: the shared denominator cancels in p_3 = p_8
""",
    ),
    Mistake(
        answer_id="q_small_data_gap",
        test_id="test_q_small_data_gap",
        names=("not the right choice", "memorises"),
        source="""
Q_SMALL_DATA_GAP = "a"  # BUG: fewer images are easier to fit, not easier to generalise from
""",
    ),
]
