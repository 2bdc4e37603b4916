"""Known mistakes in 05-cnn: one realistic wrong answer per graded exercise."""
from known_wrong import Mistake

MISTAKES = [
    Mistake(
        answer_id="conv1d",
        test_id="test_conv1d",
        names=('flip',),
        source="""
def conv1d(signal, kernel):
    signal = np.asarray(signal, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    w = len(kernel)
    # BUG: flips the kernel (the textbook convolution, not the lectures')
    return np.array([signal[i:i + w] @ kernel[::-1] for i in range(len(signal) - w + 1)])
""",
    ),
    Mistake(
        answer_id="conv2d_loops",
        test_id="test_conv2d_loops",
        names=('bias',),
        oracle_names=('bias',),
        source="""
def conv2d_loops(x, w, b=None, stride=1, padding=0, dilation=1):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    n_batch, _, height, width = x.shape
    c_out, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    h_out = (height + 2 * padding - span_h) // stride + 1
    w_out = (width + 2 * padding - span_w) // stride + 1
    out = np.zeros((n_batch, c_out, h_out, w_out))
    for n in range(n_batch):
        for o in range(c_out):
            for i in range(h_out):
                for j in range(w_out):
                    r, c = i * stride, j * stride
                    window = xp[n, :, r:r + span_h:dilation, c:c + span_w:dilation]
                    out[n, o, i, j] = np.sum(window * w[o])
            # BUG: forgot to add the bias b[o]
    return out
""",
    ),
    Mistake(
        answer_id="conv2d_vectorised",
        test_id="test_conv2d_vectorised",
        names=('padding',),
        source="""
def conv2d_vectorised(x, w, b=None, stride=1, padding=0, dilation=1):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    _, _, kh, kw = w.shape
    xp = x  # BUG: forgot to pad
    span_h, span_w = dilation * (kh - 1) + 1, dilation * (kw - 1) + 1
    windows = np.lib.stride_tricks.sliding_window_view(xp, (span_h, span_w), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride, ::dilation, ::dilation]   # (N, C, Ho, Wo, kH, kW)
    out = np.einsum("ncijab,ocab->noij", windows, w)
    if b is not None:
        out = out + np.asarray(b, dtype=np.float64)[None, :, None, None]
    return out
""",
    ),
    Mistake(
        answer_id="conv_output_size",
        test_id="test_conv_output_size",
        names=('dilation',),
        source="""
def conv_output_size(n, k, stride=1, padding=0, dilation=1):
    return int((n + 2 * padding - k) // stride + 1)  # BUG: ignores the dilation
""",
    ),
    Mistake(
        answer_id="max_pool2d",
        test_id="test_max_pool2d",
        names=('stride',),
        round_trip=True,
        source="""
def max_pool2d(x, k, stride=None):
    x = np.asarray(x, dtype=np.float64)
    n_batch, channels, height, width = x.shape
    h_out, w_out = height // k, width // k  # BUG: assumes the windows never overlap (stride = k)
    out = np.empty((n_batch, channels, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            out[:, :, i, j] = x[:, :, i * k:(i + 1) * k, j * k:(j + 1) * k].max(axis=(2, 3))
    return out
""",
    ),
    Mistake(
        answer_id="make_lenet",
        test_id="test_lenet",
        names=('max pooling',),
        oracle_names=('max pooling',),
        source="""
def make_lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=3, padding=1), nn.ReLU(), nn.AvgPool2d(2),    # BUG: average pooling, as in 1998
        nn.Conv2d(6, 16, kernel_size=3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(),                                                             # 64
        nn.Linear(64, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )
""",
    ),
    Mistake(
        answer_id="predict_digits",
        test_id="test_predict_digits",
        names=('accuracy',),
        oracle_names=('accuracy',),
        source="""
# Train digits_model (a make_lenet() network) and record digits_history = train.fit(...).
dlcourse.seed(0)
digits_model = make_lenet()
digits_epochs = 1  # BUG: one epoch at a tiny rate: under-trained
digits_optimizer = torch.optim.Adam(digits_model.parameters(), lr=1e-4)
digits_schedule = torch.optim.lr_scheduler.CosineAnnealingLR(digits_optimizer, T_max=digits_epochs)
start = time.perf_counter()
digits_history = train.fit(digits_model, X_digits_train, y_digits_train, epochs=digits_epochs,
                           batch_size=32, optimizer=digits_optimizer, scheduler=digits_schedule,
                           val=(X_digits_val, y_digits_val), seed=0, progress=False)
print(f"{digits_epochs} epochs in {time.perf_counter() - start:.1f} s")


def predict_digits(X):
    images = np.asarray(X, dtype=np.float32).reshape(-1, 1, 8, 8)
    return train.predict(digits_model, images).argmax(axis=1).astype(np.int64)
""",
    ),
    Mistake(
        answer_id="conv2d_backward",
        test_id="test_conv2d_backward",
        names=("dx",),
        oracle_names=("dx", "reversed"),
        source="""
def conv2d_backward(x, w, dout):
    x = np.asarray(x, dtype=np.float64)
    n_batch, c_in, height, width = x.shape
    c_out, _, kh, kw = w.shape
    h_out, w_out = dout.shape[2], dout.shape[3]
    db = dout.sum(axis=(0, 2, 3))
    dw = np.zeros(w.shape)
    for a in range(kh):
        for b in range(kw):
            dw[:, :, a, b] = np.einsum("noij,ncij->oc", dout, x[:, :, a:a + h_out, b:b + w_out])
    # dx: slide the kernel over the zero-padded upstream gradient
    padded = np.pad(dout, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    dx = np.zeros(x.shape)
    for p in range(height):
        for q in range(width):
            # BUG: the kernel is not reversed
            dx[:, :, p, q] = np.einsum("noab,ocab->nc", padded[:, :, p:p + kh, q:q + kw], w)
    return dx, dw, db
""",
    ),
    Mistake(
        answer_id="max_pool2d_backward",
        test_id="test_max_pool2d_backward",
        names=("tie",),
        oracle_names=("tie",),
        source="""
def max_pool2d_backward(x, dout):
    x = np.asarray(x, dtype=np.float64)
    dx = np.zeros_like(x)
    for i in range(x.shape[2] // 2):
        for j in range(x.shape[3] // 2):
            window = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
            # BUG: every tied maximum receives the whole gradient
            winners = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = winners * dout[:, :, i, j][:, :, None, None]
    return dx
""",
    ),
    Mistake(
        answer_id="q_field",
        test_id="test_q_field",
        names=("outside the accepted range", "stride"),
        source="""
Q_FIELD = 7  # BUG: three 3x3 layers, ignoring that the first one has stride 2
""",
    ),
    Mistake(
        answer_id="q_poolgrad",
        test_id="test_q_poolgrad",
        names=("not the right choice", "9 windows"),
        source="""
Q_POOLGRAD = "a"  # BUG: as if every input belonged to a single window
""",
    ),
    Mistake(
        answer_id="q_shift",
        test_id="test_q_shift",
        names=("not the right choice", "half"),
        source="""
Q_SHIFT = "c"  # BUG: forgets that pooling halves the resolution
""",
    ),
    Mistake(
        answer_id="q_gap",
        test_id="test_q_gap",
        names=("not the right choice", "memorises"),
        source="""
Q_GAP = "c"  # BUG: the model with the best accuracy is not the one that over-fits most
""",
    ),
]
