"""A realistic mistake in an exercise no other graded exercise builds on."""
ANSWER_ID = "relu_interpolant"
TEST_ID = "test_relu_interpolant"
SOURCE = """
def relu_interpolant(knots_x, knots_y, x_query):
    xs = np.asarray(knots_x, dtype=np.float64)
    ys = np.asarray(knots_y, dtype=np.float64)
    x = np.asarray(x_query, dtype=np.float64)
    slopes = np.diff(ys) / np.diff(xs)
    coeffs = np.diff(np.concatenate([[0.0], slopes]))  # BUG: no last term, the slope never switches off
    return ys[0] + np.maximum(x[:, None] - xs[None, :-1], 0.0) @ coeffs
"""
