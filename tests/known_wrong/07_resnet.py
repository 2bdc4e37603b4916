"""Known mistakes in 07-resnet: one realistic wrong answer per graded exercise."""
from known_wrong import Mistake

MISTAKES = [
    Mistake(
        answer_id="layer_grad_norms",
        test_id="test_layer_grad_norms",
        names=('entry 0 is the first layer',),
        oracle_names=('reverse order',),
        source="""
def layer_grad_norms(weights, X, y, activation="sigmoid"):
    def act(s):
        if activation == "sigmoid":
            return 0.5 * (1 + np.tanh(s / 2))  # the sigmoid without overflow
        if activation == "tanh":
            return np.tanh(s)
        if activation == "relu":
            return np.maximum(s, 0)
        raise ValueError(f"unknown activation {activation!r}")

    def slope(s):
        if activation == "sigmoid":
            p = act(s)
            return p * (1 - p)
        if activation == "tanh":
            return 1 - np.tanh(s) ** 2
        return (s > 0).astype(np.float64)

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    n, L = len(X), len(weights)
    inputs, pre = [X], []                     # X^(l-1) and S^(l) of every layer
    for l, (W, b) in enumerate(weights):
        S = inputs[-1] @ np.asarray(W, dtype=np.float64).T + np.asarray(b, dtype=np.float64)
        pre.append(S)
        if l < L - 1:
            inputs.append(act(S))
    logits = pre[-1]
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    delta = P.copy()
    delta[np.arange(n), y] -= 1.0
    delta /= n                                # d(loss)/dS^(L) for the mean loss
    norms = []
    for l in range(L - 1, -1, -1):
        norms.append(np.linalg.norm(delta.T @ inputs[l]))  # BUG: output layer first
        if l > 0:
            delta = (delta @ np.asarray(weights[l][0], dtype=np.float64)) * slope(pre[l - 1])
    return np.array(norms)
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
# Build the ResNet of the table, train it on (X_img_train, digits.y_train) with train.fit,
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
resnet_history = train.fit(resnet, X_img_train, digits.y_train, epochs=epochs_resnet, batch_size=64,
                           optimizer=optimizer, scheduler=schedule, val=(X_img_test, digits.y_test),
                           seed=0, progress=False)


def predict_digits(X):
    return train.predict(resnet, X).argmax(axis=1).astype(np.int64)
""",
    ),
]
