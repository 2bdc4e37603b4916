"""A realistic mistake in an exercise no other graded exercise builds on."""
ANSWER_ID = "max_pool2d"
TEST_ID = "test_max_pool2d"
SOURCE = """
def max_pool2d(x, k, stride=None):
    x = np.asarray(x, dtype=np.float64)
    n_batch, channels, height, width = x.shape
    h_out, w_out = height // k, width // k  # BUG: assumes the windows never overlap (stride = k)
    out = np.empty((n_batch, channels, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            out[:, :, i, j] = x[:, :, i * k:(i + 1) * k, j * k:(j + 1) * k].max(axis=(2, 3))
    return out
"""
