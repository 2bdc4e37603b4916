"""Offline datasets: the shipped 8x8 digits and small generated 2-D sets.

Nothing is downloaded: the digits ship with the package and are verified against their
``SHA256SUMS``. An installed wheel carries them in ``dlcourse/datasets/`` (pyproject.toml maps
the repository's ``data/`` folder there); a checkout or an editable install reads ``data/``
itself; ``DLCOURSE_DATA`` names another folder.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

DATA_ENV = "DLCOURSE_DATA"
PACKAGED_DATA = Path(__file__).resolve().parent / "datasets"  # in a wheel
CHECKOUT_DATA = Path(__file__).resolve().parent.parent / "data"  # in the repository

GATES = {
    "AND": (0, 0, 0, 1),
    "OR": (0, 1, 1, 1),
    "NAND": (1, 1, 1, 0),
    "NOR": (1, 0, 0, 0),
    "XOR": (0, 1, 1, 0),
}


class DataError(RuntimeError):
    """A dataset file is missing or damaged; the message says how to restore it."""


class Split(NamedTuple):
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def data_dir() -> Path:
    """The folder holding the shipped datasets: ``DLCOURSE_DATA`` if set, else the wheel's
    ``dlcourse/datasets/`` when installed from one, else the checkout's ``data/``."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override)
    return PACKAGED_DATA if PACKAGED_DATA.is_dir() else CHECKOUT_DATA


def _restore_hint(name: str) -> str:
    """How to get a missing or damaged data file back, for a checkout or an installed wheel."""
    if data_dir() == PACKAGED_DATA:
        return f"Reinstall the course package (`pip install --force-reinstall dlcourse`) to restore {name}."
    return f"Restore it with `git checkout -- data/{name}` from the course repository."


def _expected_sha256(folder: Path, name: str) -> str:
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        raise DataError(f"{sums} is missing. {_restore_hint('SHA256SUMS')}")
    for line in sums.read_text().splitlines():
        digest, _, filename = line.strip().partition("  ")
        if filename == name:
            return digest
    raise DataError(f"{sums} lists no checksum for {name}.")


def verified_path(name: str) -> Path:
    """Path of a shipped data file after checking it against ``SHA256SUMS``."""
    folder = data_dir()
    path = folder / name
    how = f"{_restore_hint(name)} (Or point {DATA_ENV} at a folder that holds it.)"
    if not path.is_file():
        raise DataError(f"Dataset file {path} is missing. {how}")
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    if actual != _expected_sha256(folder, name):
        raise DataError(f"Dataset file {path} is corrupt (its SHA-256 does not match "
                        f"SHA256SUMS). {how}")
    return path


def digits(classes=None, test_fraction: float = 0.25, seed: int = 0) -> Split:
    """The UCI 8x8 handwritten digits (1797 images), split into train and test.

    Args:
        classes: keep only these digits, e.g. ``(0, 1)``; ``None`` keeps all ten.
        test_fraction: share of each class held out for testing.
        seed: seed of the shuffle, so a split is reproducible.

    Returns:
        ``Split(X_train, y_train, X_test, y_test)``: ``X_*`` float32 of shape (n, 64)
        with pixels scaled to [0, 1], ``y_*`` int64 of shape (n,).
    """
    with np.load(verified_path("digits.npz")) as f:
        images, labels = f["images"], f["labels"]
    X = images.reshape(len(images), -1).astype(np.float32) / 16.0
    y = labels.astype(np.int64)
    if classes is not None:
        keep = np.isin(y, list(classes))
        X, y = X[keep], y[keep]
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):  # stratified: every class keeps its share in both parts
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[: int(round(test_fraction * len(idx)))]] = True
    return Split(X[~test], y[~test], X[test], y[test])


def perturbed_digits(X, seed: int, noise: float = 0.03, contrast: tuple = (0.9, 1.1)) -> np.ndarray:
    """New images made from the flat digits ``X`` (n, 64): each one's contrast scaled and noise added.

    Every pixel is multiplied by a per-image factor drawn from ``contrast``, gets Gaussian
    noise of standard deviation ``noise`` and is clipped to [0, 1]. The grader draws such
    images from the test digits with a seed of its own for every grading run, so the images
    a trained model is graded on never existed before; a lookup of the shipped images finds
    none of them.
    """
    rng = np.random.default_rng(seed)
    X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    factor = rng.uniform(*contrast, size=(len(X), 1))
    return np.clip(X * factor + rng.normal(scale=noise, size=X.shape), 0.0, 1.0).astype(np.float32)


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Truth table of a two-input gate (AND, OR, NAND, NOR, XOR) or of NOT.

    Returns ``(X, y)``: X float64 of shape (4, 2) (rows 00, 01, 10, 11), or (2, 1) for
    NOT; y int64 of shape (4,) or (2,) with values in {0, 1}.
    """
    key = name.upper()
    if key == "NOT":
        return np.array([[0.0], [1.0]]), np.array([1, 0])
    if key not in GATES:
        raise ValueError(f"unknown gate {name!r}: choose one of {sorted(GATES) + ['NOT']}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return X, np.array(GATES[key], dtype=np.int64)


def blobs(n: int = 100, margin: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two linearly separable 2-D clouds with a guaranteed gap between them.

    Points closer than ``margin`` to a random separating line are redrawn, so a
    perceptron is certain to converge. Returns X float64 (n, 2) and y int64 (n,) in
    {0, 1}, with both classes present.
    """
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])
    offset = rng.uniform(-0.5, 0.5)
    points = []
    while len(points) < n:
        p = rng.normal(size=2) * 1.5
        if abs(p @ normal + offset) >= margin:
            points.append(p)
    X = np.array(points)
    y = (X @ normal + offset > 0).astype(np.int64)
    if y.min() == y.max():  # astronomically unlikely, but keep both classes
        y[0] = 1 - y[0]
        X[0] = X[0] - 2 * (X[0] @ normal + offset) * normal
    return X, y


def xor_blobs(n: int = 200, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy XOR: four clouds at the corners of the unit square, label = x1 XOR x2.

    Returns X float64 (n, 2) and y int64 (n,) in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    X = corners + rng.normal(scale=noise, size=(n, 2))
    return X, (corners[:, 0] ^ corners[:, 1]).astype(np.int64)


@lru_cache(maxsize=4)
def _mnist1d_arrays(num_samples: int, seed: int):
    from mnist1d.data import get_dataset_args, make_dataset  # generated, never downloaded

    args = get_dataset_args(as_dict=False)
    args.num_samples, args.seed = num_samples, seed
    d = make_dataset(args)
    return tuple(np.asarray(a, dtype=dt) for a, dt in
                 ((d["x"], np.float32), (d["y"], np.int64), (d["x_test"], np.float32), (d["y_test"], np.int64)))


def mnist1d(num_samples: int = 5000, seed: int = 42) -> Split:
    """MNIST-1D (Greydanus, 2020): ten digit-like 1-D templates, shifted, sheared and noised.

    Generated on the fly by the ``mnist1d`` package's own recipe (the paper's defaults:
    5000 samples, 80 % for training, length 40, seed 42), never downloaded.

    Returns:
        ``Split``: ``X_*`` float32 of shape (n, 40), ``y_*`` int64 of shape (n,).
    """
    return Split(*(a.copy() for a in _mnist1d_arrays(num_samples, seed)))
