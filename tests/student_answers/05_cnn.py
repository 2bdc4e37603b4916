"""Student-style answers for 05-cnn, written from the exercise texts alone."""

ANSWERS = {
    "conv1d": '''
def conv1d(signal, kernel):
    w = len(kernel)
    out = []
    for i in range(len(signal) - w + 1):
        out.append(np.dot(signal[i:i + w], kernel))
    return np.array(out, dtype=float)
''',
    "conv2d_loops": '''
def conv2d_loops(x, w, b=None, stride=1, padding=0, dilation=1):
    N, C_in, H, W = x.shape
    C_out, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    H_out = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    W_out = (W + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((N, C_out, H_out, W_out))
    for n in range(N):
        for o in range(C_out):
            for i in range(H_out):
                for j in range(W_out):
                    r, c = i * stride, j * stride
                    patch = xp[n, :, r:r + dilation * (kh - 1) + 1:dilation,
                               c:c + dilation * (kw - 1) + 1:dilation]
                    out[n, o, i, j] = np.sum(patch * w[o])
                    if b is not None:
                        out[n, o, i, j] += b[o]
    return out
''',
    "conv2d_vectorised": '''
def conv2d_vectorised(x, w, b=None, stride=1, padding=0, dilation=1):
    C_out, C_in, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    H_out = (xp.shape[2] - dilation * (kh - 1) - 1) // stride + 1
    W_out = (xp.shape[3] - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((x.shape[0], C_out, H_out, W_out))
    # loop over the kernel taps only: each tap is a strided slice of the padded input
    for p in range(kh):
        for q in range(kw):
            r0, c0 = p * dilation, q * dilation
            piece = xp[:, :, r0:r0 + stride * (H_out - 1) + 1:stride, c0:c0 + stride * (W_out - 1) + 1:stride]
            out += np.einsum("nchw,oc->nohw", piece, w[:, :, p, q])
    if b is not None:
        out += b[None, :, None, None]
    return out
''',
    "conv_output_size": '''
def conv_output_size(n, k, stride=1, padding=0, dilation=1):
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
''',
    "max_pool2d": '''
def max_pool2d(x, k, stride=None):
    if stride is None:
        stride = k
    N, C, H, W = x.shape
    H_out = (H - k) // stride + 1
    W_out = (W - k) // stride + 1
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out
''',
    "make_lenet": '''
class MyLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=3, padding=1)
        self.c2 = nn.Conv2d(6, 16, kernel_size=3, padding=1)
        self.f1 = nn.Linear(64, 120)
        self.f2 = nn.Linear(120, 84)
        self.f3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.relu(self.f1(x))
        x = F.relu(self.f2(x))
        return self.f3(x)


def make_lenet():
    return MyLeNet()
''',
    "predict_digits": '''
dlcourse.seed(0)
digits_model = make_lenet()
# tried 5, 10 and 20 epochs: the validation loss stops improving after about 10
digits_history = train.fit(digits_model, X_digits_train, y_digits_train, epochs=dlcourse.pick(20, 10),
                           batch_size=32, lr=5e-3, val=(X_digits_val, y_digits_val), progress=False)


def predict_digits(X):
    imgs = np.asarray(X, dtype=np.float32).reshape(-1, 1, 8, 8)
    scores = train.predict(digits_model, imgs)
    return np.argmax(scores, axis=1).astype(np.int64)
''',
    "conv2d_backward": '''
def conv2d_backward(x, w, dout):
    N, C_in, H, W = x.shape
    C_out, _, kh, kw = w.shape
    Ho, Wo = H - kh + 1, W - kw + 1
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(C_out)
    # y[n, o, i, j] uses x[n, :, i:i+kh, j:j+kw] and w[o]: send g back along both
    for n in range(N):
        for o in range(C_out):
            for i in range(Ho):
                for j in range(Wo):
                    g = dout[n, o, i, j]
                    db[o] += g
                    dw[o] += g * x[n, :, i:i + kh, j:j + kw]
                    dx[n, :, i:i + kh, j:j + kw] += g * w[o]
    return dx, dw, db
''',
    "max_pool2d_backward": '''
def max_pool2d_backward(x, dout):
    dx = np.zeros_like(x, dtype=float)
    N, C, H, W = x.shape
    for n in range(N):
        for c in range(C):
            for i in range(H // 2):
                for j in range(W // 2):
                    block = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                    r, q = np.unravel_index(np.argmax(block), (2, 2))  # argmax returns the first max
                    dx[n, c, 2 * i + r, 2 * j + q] += dout[n, c, i, j]
    return dx
''',
    "q_field": '''
# layer 1: 3, jump 2; layer 2: 3 + 2*2 = 7; layer 3: 7 + 2*2 = 11
Q_FIELD = 11
''',
    "q_poolgrad": '''
Q_POOLGRAD = "C"
''',
    "q_shift": '''
Q_SHIFT = 'B'
''',
    "q_gap": '''
Q_GAP = "b "
''',
    "written_ranking": '''
The CNN uses the same filters at every position, so it only has to learn what a pattern looks
like once and then finds it wherever it was shifted to. The MLP has different weights for every
input position, so it needs to see every pattern at every shift, and with a few thousand
examples it just memorises them: train accuracy ~100 % but validation much lower (biggest gap
in the plot). Logistic regression is linear per position and can't handle the shifts at all,
so it is bad on both train and validation.
''',
}
