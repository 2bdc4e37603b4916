"""Known mistakes in 07-resnet: one realistic wrong answer per graded exercise."""
from known_wrong import Mistake

MISTAKES = [
    Mistake(
        answer_id="mlp_backward",
        test_id="test_mlp_backward",
        names=("mean",),
        oracle_names=("mean",),
        also_fails=("test_layer_grad_norms",),  # layer_grad_norms is built on mlp_backward
        source="""
def mlp_backward(X, y, params, activation="relu"):
    act = {"sigmoid": lambda s: 1 / (1 + np.exp(-s)), "tanh": np.tanh, "relu": lambda s: np.maximum(s, 0)}[activation]
    slope = {"sigmoid": lambda s: act(s) * (1 - act(s)), "tanh": lambda s: 1 - np.tanh(s) ** 2,
             "relu": lambda s: (s > 0).astype(float)}[activation]
    hs, ss = [X], []
    for i, (W, b) in enumerate(params):
        s = hs[-1] @ W.T + b
        ss.append(s)
        if i < len(params) - 1:
            hs.append(act(s))
    z = ss[-1] - ss[-1].max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y]).sum()  # BUG: summed over the batch, not averaged
    delta = p.copy()
    delta[np.arange(len(y)), y] -= 1
    grads = []
    for i in range(len(params) - 1, -1, -1):
        grads.insert(0, (delta.T @ hs[i], delta.sum(axis=0)))
        if i > 0:
            delta = (delta @ params[i][0]) * slope(ss[i - 1])
    return loss, grads
""",
    ),
    Mistake(
        answer_id="layer_grad_norms",
        test_id="test_layer_grad_norms",
        names=('entry 0 is the first layer',),
        oracle_names=('reverse order',),
        source="""
def layer_grad_norms(params, X, y, activation="sigmoid"):
    _, grads = mlp_backward(X, y, params, activation=activation)
    norms = [np.linalg.norm(dW) for dW, _ in grads]
    return np.array(norms[::-1])  # BUG: output layer first
""",
    ),
    Mistake(
        answer_id="xavier_init",
        test_id="test_xavier_init",
        names=('sqrt(6 / (fan_in + fan_out))',),
        oracle_names=('bound',),
        source="""
def xavier_init(fan_in, fan_out, distribution="uniform", seed=0):
    gen = np.random.default_rng(seed)
    variance = 2.0 / (fan_in + fan_out)
    if distribution == "uniform":
        bound = math.sqrt(variance)  # BUG: the standard deviation used as the bound
        return gen.uniform(-bound, bound, size=(fan_out, fan_in))
    if distribution == "normal":
        return gen.normal(0.0, math.sqrt(variance), size=(fan_out, fan_in))
    raise ValueError(f"unknown distribution {distribution!r}: use 'uniform' or 'normal'")
""",
    ),
    Mistake(
        answer_id="he_init",
        test_id="test_he_init",
        names=('shape',),
        oracle_names=("rows = fan_out",),
        source="""
def he_init(fan_in, fan_out, distribution="normal", seed=0):
    gen = np.random.default_rng(seed)
    variance = 2.0 / fan_in
    if distribution == "normal":
        return gen.normal(0.0, math.sqrt(variance), size=(fan_in, fan_out))  # BUG: transposed
    if distribution == "uniform":
        bound = math.sqrt(3.0 * variance)
        return gen.uniform(-bound, bound, size=(fan_in, fan_out))
    raise ValueError(f"unknown distribution {distribution!r}: use 'normal' or 'uniform'")
""",
    ),
    Mistake(
        answer_id="batchnorm_forward",
        test_id="test_batchnorm_forward",
        names=('unbiased',),
        oracle_names=('unbiased',),
        round_trip=True,
        source="""
def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5, training=True):
    x = np.asarray(x, dtype=np.float64)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        new_mean = (1 - momentum) * running_mean + momentum * mean
        new_var = (1 - momentum) * running_var + momentum * var  # BUG: biased variance in the running average
    else:
        mean, var = running_mean, running_var
        new_mean, new_var = running_mean.copy(), running_var.copy()
    y = gamma.reshape(shape) * (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) + beta.reshape(shape)
    return y, new_mean, new_var
""",
    ),
    Mistake(
        answer_id="batchnorm_backward",
        test_id="test_batchnorm_backward",
        names=("mean and the variance",),
        oracle_names=("three paths",),
        source="""
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    std = np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) / std
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = dout * gamma / std  # BUG: only the direct path; the batch mean and variance depend on x too
    return dx, dgamma, dbeta
""",
    ),
    Mistake(answer_id="q_xavier_relu", test_id="test_q_xavier_relu", names=("one half per layer",),
            source="Q_XAVIER_RELU = 1.0  # BUG: Xavier preserves the variance, but not through a ReLU\n"),
    Mistake(answer_id="q_bn_eval", test_id="test_q_bn_eval", names=("statistics of the current batch",),
            source='Q_BN_EVAL = "a"  # BUG: training mode normalises with the batch, not the running averages\n'),
    Mistake(answer_id="q_bn_scale", test_id="test_q_bn_scale", names=("factor 1/s",),
            source='Q_BN_SCALE = "b"  # BUG: y is scale-free but the gradient is not\n'),
    Mistake(answer_id="q_skip_gradient", test_id="test_q_skip_gradient", names=("identity",),
            source='Q_SKIP_GRADIENT = "a"  # BUG: the zero branch does not block the skip path\n'),
    Mistake(answer_id="q_which_trains", test_id="test_q_which_trains", names=("skip connections",),
            source='Q_WHICH_TRAINS = "b"  # BUG: He init helps at the start only\n'),
    Mistake(
        answer_id="residual_block_forward",
        test_id="test_residual_block_forward",
        names=('after the addition',),
        oracle_names=('after the addition',),
        source="""
def residual_block_forward(x, params, stride=1):
    def bn(z, p):  # eval mode: the running statistics, one value per channel
        shape = (1, -1, 1, 1)
        return (p["gamma"].reshape(shape) * (z - p["mean"].reshape(shape))
                / torch.sqrt(p["var"].reshape(shape) + 1e-5) + p["beta"].reshape(shape))

    out = F.relu(bn(F.conv2d(x, params["conv1"], stride=stride, padding=1), params["bn1"]))
    out = F.relu(bn(F.conv2d(out, params["conv2"], stride=1, padding=1), params["bn2"]))
    if "proj" in params:
        shortcut = bn(F.conv2d(x, params["proj"], stride=stride), params["proj_bn"])
    else:
        shortcut = x
    return out + shortcut  # BUG: the last ReLU comes before the addition
""",
    ),
    Mistake(
        answer_id="predict_digits",
        test_id="test_predict_digits",
        names=('accuracy',),
        oracle_names=('accuracy',),
        source="""
# Build the ResNet of the table, train it on (X_img_fit, y_fit) with train.fit,
# and define predict_digits(X): images (n, 1, 8, 8) float32 -> labels (n,) int64.
class DigitsResNet(nn.Module):

    def __init__(self, width=16):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        self.blocks = nn.Sequential(ResidualBlock(width, width), ResidualBlock(width, 2 * width, stride=2),
                                    ResidualBlock(2 * width, 2 * width))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * width, 10))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


dlcourse.seed(0)
resnet = DigitsResNet()
epochs_resnet = 1  # BUG: one epoch at a rate 300 times too small: the network is barely trained
optimizer = torch.optim.Adam(resnet.parameters(), lr=1e-5)
schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs_resnet)
resnet_history = train.fit(resnet, X_img_fit, y_fit, epochs=epochs_resnet, batch_size=64,
                           optimizer=optimizer, scheduler=schedule, val=(X_img_val, y_val),
                           seed=0, progress=False)


def predict_digits(X):
    return train.predict(resnet, X).argmax(axis=1).astype(np.int64)
""",
    ),
]
