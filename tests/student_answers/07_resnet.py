"""Student-style answers for 07-resnet, written from the exercise texts alone."""

ANSWERS = {
    "mlp_backward": '''
# my mlp_backward from notebook 03
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def mlp_backward(X, y, params, activation="relu"):
    activations = [X]
    zs = []
    for i, (W, b) in enumerate(params):
        z = activations[-1] @ W.T + b
        zs.append(z)
        if i == len(params) - 1:
            break
        if activation == "sigmoid":
            activations.append(sigmoid(z))
        elif activation == "tanh":
            activations.append(np.tanh(z))
        else:
            activations.append(np.maximum(z, 0))
    n = X.shape[0]
    logits = zs[-1] - zs[-1].max(axis=1, keepdims=True)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(n), y]))
    delta = probs
    delta[np.arange(n), y] -= 1
    delta = delta / n
    grads = []
    for i in reversed(range(len(params))):
        grads.append((delta.T @ activations[i], delta.sum(axis=0)))
        if i > 0:
            z = zs[i - 1]
            if activation == "sigmoid":
                d = sigmoid(z) * (1 - sigmoid(z))
            elif activation == "tanh":
                d = 1 - np.tanh(z) ** 2
            else:
                d = (z > 0) * 1.0
            delta = (delta @ params[i][0]) * d
    grads.reverse()
    return loss, grads
''',
    "layer_grad_norms": '''
def layer_grad_norms(params, X, y, activation="sigmoid"):
    loss, grads = mlp_backward(X, y, params, activation)
    out = np.zeros(len(grads))
    for i in range(len(grads)):
        out[i] = np.sqrt((grads[i][0] ** 2).sum())
    return out
''',
    "q_xavier_relu": "Q_XAVIER_RELU = 0.5\n",
    "q_bn_eval": "Q_BN_EVAL = 'B'\n",
    "q_bn_scale": "Q_BN_SCALE = ' c '\n",
    "q_skip_gradient": "Q_SKIP_GRADIENT = 'b'\n",
    "q_which_trains": "Q_WHICH_TRAINS = 'C'\n",
    "batchnorm_backward": '''
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    N = x.shape[0]
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv_std
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    # the three paths, one at a time
    dvar = np.sum(dxhat * (x - mu), axis=0) * -0.5 * inv_std ** 3
    dmu = -np.sum(dxhat, axis=0) * inv_std
    dx = dxhat * inv_std + dmu / N + dvar * 2 * (x - mu) / N
    return dx, dgamma, dbeta
''',
    "written_degradation": '''
The deeper plain net is worse on its training data, so it is not overfitting (that would be good
training error and bad test error): the optimizer fails. A residual net with the extra blocks' branches
set to zero computes x + 0 = x in those blocks, so it can copy the 20-layer net exactly. The plain net
cannot: its gradients are products of one Jacobian per layer and shrink exponentially (we measured
1e-10 at layer 1 with ReLU), while the skips give every block an identity path so the gradient profile
stays flat and all layers learn.
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
resnet_history = train.fit(resnet, X_img_fit, y_fit, epochs=dlcourse.pick(10, 4), batch_size=64,
                           lr=3e-3, val=(X_img_val, y_val), progress=False)


def predict_digits(X):
    return train.predict(resnet, X).argmax(axis=1).astype(np.int64)
''',
}
