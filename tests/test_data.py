"""Unit tests for dlcourse.data, cross-checked against scikit-learn and Python's operators."""
import operator
import shutil
from pathlib import Path

import numpy as np
import pytest

from dlcourse import data

REPO_DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(autouse=True)
def _default_data_dir(monkeypatch):
    monkeypatch.delenv(data.DATA_ENV, raising=False)


@pytest.fixture(scope="module")
def sk_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    d = datasets.load_digits()
    X = d.images.reshape(len(d.images), -1).astype(np.float64)
    return X, d.target.astype(np.int64)


@pytest.fixture(scope="module")
def split():
    return data.digits()


def _rows_sorted(X, y):
    """Canonical multiset of (label, pixels) rows, independent of order."""
    rows = np.column_stack([y.astype(np.float64), np.asarray(X, dtype=np.float64)])
    return rows[np.lexsort(rows.T[::-1])]


# --------------------------------------------------------------------------- digits


def test_digits_shapes_and_dtypes(split):
    assert isinstance(split, data.Split)
    X_tr, y_tr, X_te, y_te = split
    assert X_tr.ndim == 2 and X_tr.shape[1] == 64
    assert X_te.ndim == 2 and X_te.shape[1] == 64
    assert y_tr.shape == (len(X_tr),)
    assert y_te.shape == (len(X_te),)
    assert X_tr.dtype == np.float32 and X_te.dtype == np.float32
    assert y_tr.dtype == np.int64 and y_te.dtype == np.int64
    assert len(X_tr) + len(X_te) == 1797


def test_digits_value_range(split):
    for X in (split.X_train, split.X_test):
        assert np.isfinite(X).all()
        assert X.min() >= 0.0
        assert X.max() <= 1.0
    both = np.concatenate([split.X_train, split.X_test])
    assert both.min() == 0.0 and both.max() == 1.0  # the full range is used


def test_digits_all_ten_classes_in_both_parts(split):
    assert set(np.unique(split.y_train)) == set(range(10))
    assert set(np.unique(split.y_test)) == set(range(10))


@pytest.mark.parametrize("fraction", [0.25, 0.2, 0.5])
def test_digits_stratified_split(fraction):
    s = data.digits(test_fraction=fraction)
    y_all = np.concatenate([s.y_train, s.y_test])
    counts = np.bincount(y_all, minlength=10)
    test_counts = np.bincount(s.y_test, minlength=10)
    for c in range(10):
        # every class holds out its own share, to within one image of rounding
        assert abs(test_counts[c] - fraction * counts[c]) <= 1, (c, test_counts[c], counts[c])
    assert abs(len(s.y_test) / len(y_all) - fraction) < 0.01


def test_digits_train_and_test_partition_the_data(split, sk_digits):
    X_sk, y_sk = sk_digits
    X = np.concatenate([split.X_train, split.X_test]).astype(np.float64) * 16.0
    y = np.concatenate([split.y_train, split.y_test])
    np.testing.assert_array_equal(_rows_sorted(X, y), _rows_sorted(X_sk, y_sk))


def test_digits_match_scikit_learn_reference(sk_digits):
    X_sk, y_sk = sk_digits
    s = data.digits()
    X = np.concatenate([s.X_train, s.X_test]).astype(np.float64)
    y = np.concatenate([s.y_train, s.y_test])
    # class counts
    np.testing.assert_array_equal(np.bincount(y, minlength=10), np.bincount(y_sk, minlength=10))
    # pixel scaling: sklearn's pixels are 0..16; ours are divided by 16
    np.testing.assert_allclose(X * 16.0, np.round(X * 16.0), atol=1e-5)
    for c in range(10):
        np.testing.assert_allclose((X[y == c] * 16.0).sum(), X_sk[y_sk == c].sum(), rtol=1e-9)
    # the exact multiset of (label, image)
    np.testing.assert_array_equal(_rows_sorted(np.round(X * 16.0), y), _rows_sorted(X_sk, y_sk))


@pytest.mark.parametrize("classes", [(0, 1), [3, 8], (7,)])
def test_digits_class_filter(classes, sk_digits):
    _, y_sk = sk_digits
    s = data.digits(classes=classes)
    y = np.concatenate([s.y_train, s.y_test])
    assert set(np.unique(y)) == set(classes)
    assert set(np.unique(s.y_test)) == set(classes)
    assert len(y) == np.isin(y_sk, list(classes)).sum()
    assert s.X_train.shape[1] == 64


def test_digits_reproducible_with_same_seed():
    a, b = data.digits(seed=5), data.digits(seed=5)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_digits_differ_with_another_seed():
    a, b = data.digits(seed=0), data.digits(seed=1)
    assert a.X_test.shape == b.X_test.shape  # same sizes (stratified) ...
    assert not np.array_equal(a.X_test, b.X_test)  # ... but different images
    # both are still partitions of the same data
    rows_a = _rows_sorted(np.concatenate([a.X_train, a.X_test]), np.concatenate([a.y_train, a.y_test]))
    rows_b = _rows_sorted(np.concatenate([b.X_train, b.X_test]), np.concatenate([b.y_train, b.y_test]))
    np.testing.assert_array_equal(rows_a, rows_b)


def _copy_data(tmp_path, monkeypatch):
    for name in ("digits.npz", "SHA256SUMS"):
        shutil.copy(REPO_DATA / name, tmp_path / name)
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    return tmp_path


def test_data_dir_override_is_used(tmp_path, monkeypatch):
    _copy_data(tmp_path, monkeypatch)
    assert data.data_dir() == tmp_path
    assert data.verified_path("digits.npz") == tmp_path / "digits.npz"
    s = data.digits()
    assert len(s.y_train) + len(s.y_test) == 1797


def test_missing_digits_file_raises(tmp_path, monkeypatch):
    _copy_data(tmp_path, monkeypatch)
    (tmp_path / "digits.npz").unlink()
    with pytest.raises(data.DataError) as info:
        data.digits()
    assert "git checkout" in str(info.value)
    assert "digits.npz" in str(info.value)


@pytest.mark.parametrize("position", [0, 1000, -1])
def test_corrupt_digits_file_raises(tmp_path, monkeypatch, position):
    folder = _copy_data(tmp_path, monkeypatch)
    raw = bytearray((folder / "digits.npz").read_bytes())
    raw[position] ^= 0x01
    (folder / "digits.npz").write_bytes(bytes(raw))
    with pytest.raises(data.DataError) as info:
        data.digits()
    message = str(info.value)
    assert "git checkout" in message
    assert "corrupt" in message.lower()


def test_missing_checksum_file_raises(tmp_path, monkeypatch):
    _copy_data(tmp_path, monkeypatch)
    (tmp_path / "SHA256SUMS").unlink()
    with pytest.raises(data.DataError) as info:
        data.digits()
    assert "git checkout" in str(info.value)


def test_data_error_is_a_runtime_error():
    assert issubclass(data.DataError, RuntimeError)


# --------------------------------------------------------------------------- logic gates

GATE_OPS = {
    "AND": lambda a, b: a and b,
    "OR": lambda a, b: a or b,
    "NAND": lambda a, b: not (a and b),
    "NOR": lambda a, b: not (a or b),
    "XOR": operator.xor,
}


@pytest.mark.parametrize("name", sorted(GATE_OPS))
@pytest.mark.parametrize("spelling", [str.upper, str.lower])
def test_logic_gate_truth_table(name, spelling):
    X, y = data.logic_gate(spelling(name))
    assert X.shape == (4, 2) and y.shape == (4,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    # rows are 00, 01, 10, 11 and each label is Python's own boolean answer
    assert {tuple(r) for r in X.astype(int).tolist()} == {(0, 0), (0, 1), (1, 0), (1, 1)}
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    for (a, b), label in zip(X.astype(int).tolist(), y.tolist()):
        assert label == int(bool(GATE_OPS[name](bool(a), bool(b)))), (name, a, b)


def test_logic_gate_not():
    X, y = data.logic_gate("NOT")
    assert X.shape == (2, 1) and y.shape == (2,)
    for (a,), label in zip(X.astype(int).tolist(), y.tolist()):
        assert label == int(not bool(a))


@pytest.mark.parametrize("name", ["XNOR", "", "ANDD", "IMPLIES"])
def test_logic_gate_unknown_raises(name):
    with pytest.raises(ValueError):
        data.logic_gate(name)


# --------------------------------------------------------------------------- blobs


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("n", [10, 100])
def test_blobs_linearly_separable(seed, n):
    from sklearn.svm import LinearSVC

    X, y = data.blobs(n=n, seed=seed)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    svm = LinearSVC(C=1e6, max_iter=200_000, tol=1e-8).fit(X, y)
    assert (svm.predict(X) == y).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("margin", [0.3, 0.8])
def test_blobs_gap_at_least_margin(seed, margin):
    """A separating line exists with every point at distance >= margin from it.

    Checked independently of the generator: the widest gap between the classes along
    any direction (scanned finely) must be at least 2 * margin.
    """
    X, y = data.blobs(n=80, margin=margin, seed=seed)
    angles = np.linspace(0, 2 * np.pi, 20_000, endpoint=False)
    dirs = np.stack([np.cos(angles), np.sin(angles)])  # (2, k) unit normals
    proj = X @ dirs  # (n, k)
    gap = proj[y == 1].min(axis=0) - proj[y == 0].max(axis=0)
    assert gap.max() >= 2 * margin - 5e-3


def test_blobs_perceptron_converges():
    from sklearn.linear_model import Perceptron

    X, y = data.blobs(n=200, seed=4)
    clf = Perceptron(max_iter=10_000, tol=None, random_state=0).fit(X, y)
    assert clf.score(X, y) == 1.0


def test_blobs_reproducible_and_seed_dependent():
    X1, y1 = data.blobs(seed=9)
    X2, y2 = data.blobs(seed=9)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = data.blobs(seed=10)
    assert not np.array_equal(X1, X3)


# --------------------------------------------------------------------------- xor_blobs


@pytest.mark.parametrize("seed", [0, 1])
def test_xor_blobs_label_is_xor_of_rounded_corner(seed):
    X, y = data.xor_blobs(n=300, noise=0.05, seed=seed)
    assert X.shape == (300, 2) and X.dtype == np.float64
    assert y.shape == (300,) and y.dtype == np.int64
    corners = np.clip(np.round(X), 0, 1).astype(int)
    expected = [int(bool(a) != bool(b)) for a, b in corners.tolist()]
    np.testing.assert_array_equal(y, expected)
    # all four corners are populated and both labels present
    assert len({tuple(c) for c in corners.tolist()}) == 4
    assert set(np.unique(y)) == {0, 1}


def test_xor_blobs_reproducible_and_seed_dependent():
    a, b, c = data.xor_blobs(seed=3), data.xor_blobs(seed=3), data.xor_blobs(seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_xor_blobs_not_linearly_separable():
    from sklearn.svm import LinearSVC

    X, y = data.xor_blobs(n=200, noise=0.05, seed=0)
    acc = LinearSVC(C=10.0, max_iter=20_000).fit(X, y).score(X, y)
    assert acc < 0.9


# --------------------------------------------------------------------------- MNIST-1D


def test_mnist1d_matches_the_packages_own_generator():
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args(as_dict=False)
    args.num_samples = 500
    reference = make_dataset(args)
    split = data.mnist1d(num_samples=500)
    assert split.X_train.shape == (400, 40) and split.X_test.shape == (100, 40)
    assert split.X_train.dtype == np.float32 and split.y_train.dtype == np.int64
    np.testing.assert_allclose(split.X_train, reference["x"], rtol=1e-6)
    np.testing.assert_array_equal(split.y_test, reference["y_test"])
    split.X_train[:] = 0  # callers get copies: the cache must not change
    assert np.abs(data.mnist1d(num_samples=500).X_train).sum() > 0
