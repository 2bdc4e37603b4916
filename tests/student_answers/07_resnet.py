"""Student-style answers for 07-resnet, written from the exercise texts alone."""

ANSWERS = {
    "layer_grad_norms": '''
def layer_grad_norms(weights, X, y, activation="sigmoid"):
    def act(s):
        if activation == "sigmoid":
            return 1 / (1 + np.exp(-s))
        if activation == "tanh":
            return np.tanh(s)
        return np.maximum(s, 0)

    def act_slope(s):
        if activation == "sigmoid":
            sig = 1 / (1 + np.exp(-s))
            return sig * (1 - sig)
        if activation == "tanh":
            return 1 - np.tanh(s) ** 2
        return (s > 0).astype(float)

    L = len(weights)
    inputs, pre = [], []
    h = X
    for l in range(L):
        W, b = weights[l]
        inputs.append(h)
        s = h @ W.T + b
        pre.append(s)
        h = act(s) if l < L - 1 else s
    n = X.shape[0]
    logits = h - h.max(axis=1, keepdims=True)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    delta = probs.copy()
    delta[np.arange(n), y] -= 1
    delta = delta / n
    norms = np.zeros(L)
    for l in range(L - 1, -1, -1):
        norms[l] = np.linalg.norm(delta.T @ inputs[l])
        if l > 0:
            delta = (delta @ weights[l][0]) * act_slope(pre[l - 1])
    return norms
''',
    "xavier_init": '''
def xavier_init(fan_in, fan_out, distribution="uniform", seed=0):
    gen = np.random.default_rng(seed)
    if distribution == "uniform":
        limit = np.sqrt(6 / (fan_in + fan_out))
        return gen.uniform(-limit, limit, size=(fan_out, fan_in))
    elif distribution == "normal":
        std = np.sqrt(2 / (fan_in + fan_out))
        return gen.normal(0, std, size=(fan_out, fan_in))
    raise ValueError("distribution must be uniform or normal")
''',
    "he_init": '''
def he_init(fan_in, fan_out, distribution="normal", seed=0):
    gen = np.random.default_rng(seed)
    if distribution == "normal":
        return gen.normal(0, np.sqrt(2 / fan_in), size=(fan_out, fan_in))
    elif distribution == "uniform":
        limit = np.sqrt(6 / fan_in)
        return gen.uniform(-limit, limit, size=(fan_out, fan_in))
    raise ValueError("distribution must be normal or uniform")
''',
    "batchnorm_forward": '''
def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5, training=True):
    axes = tuple(i for i in range(x.ndim) if i != 1)
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    if training:
        mu = x.mean(axis=axes)
        var = x.var(axis=axes)
        m = x.size // x.shape[1]
        new_mean = (1 - momentum) * running_mean + momentum * mu
        new_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    else:
        mu, var = running_mean, running_var
        new_mean, new_var = running_mean.copy(), running_var.copy()
    x_hat = (x - mu.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    y = gamma.reshape(shape) * x_hat + beta.reshape(shape)
    return y, new_mean, new_var
''',
    "residual_block_forward": '''
def residual_block_forward(x, params, stride=1):
    def bn(z, p):
        return F.batch_norm(z, p["mean"], p["var"], p["gamma"], p["beta"], training=False, eps=1e-5)

    out = F.relu(bn(F.conv2d(x, params["conv1"], stride=stride, padding=1), params["bn1"]))
    out = bn(F.conv2d(out, params["conv2"], padding=1), params["bn2"])
    if "proj" in params:
        skip = bn(F.conv2d(x, params["proj"], stride=stride), params["proj_bn"])
    else:
        skip = x
    return F.relu(out + skip)
''',
    "predict_digits": '''
class SmallResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.block1 = ResidualBlock(16, 16)
        self.block2 = ResidualBlock(16, 32, stride=2)
        self.block3 = ResidualBlock(32, 32)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = self.block3(self.block2(self.block1(x)))
        x = self.pool(x).flatten(1)
        return self.fc(x)


dlcourse.seed(0)
resnet = SmallResNet()
resnet_history = train.fit(resnet, X_img_train, digits.y_train, epochs=dlcourse.pick(10, 4), batch_size=64,
                           lr=3e-3, val=(X_img_test, digits.y_test), progress=False)


def predict_digits(X):
    return train.predict(resnet, X).argmax(axis=1).astype(np.int64)
''',
}
