"""Grading a trained digit classifier on digits its kernel never held.

The student's kernel exports the trained network as plain data
(:func:`dlcourse.export.export_model`); the probe records it, and here, in the grading
process, the network is rebuilt from those arrays (:func:`dlcourse.export.run_exported`:
a fixed vocabulary of layers, no student code) and run on images drawn for this grading
run only: the shipped test digits, each with its contrast scaled and noise added
(:func:`dlcourse.data.perturbed_digits`) under a seed that never leaves this process.
The labels are the test labels, which stay here too. So a submission earns the points
only with a network that classifies images it has never seen: a lookup of the shipped
images or labels (a dictionary, a nearest neighbour) is not a network the format can
carry, and it would find none of the fresh images anyway.

A network given as a plain list of ``(W, b)`` pairs (notebook 03's scalar-engine MLP, read
from its neurons) is checked by :func:`parse_layers` and graded the same way, through
:func:`binary_tanh_network`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlcourse.data import digits, perturbed_digits
from dlcourse.export import FORMAT, ExportError, exported_predictions

from .oracle import Case, as_array, unpack


@dataclass
class FreshDigitsCase(Case):
    """No inputs for the student's function; the seed of the fresh digits stays in the grading process."""

    seed: int = 0


def fresh_digits_cases(rng: np.random.Generator) -> list[Case]:
    seed = int(rng.integers(0, 2**63 - 1))
    note = "your exported network, run by the grader on the test digits with fresh noise (seed kept secret)"
    return [FreshDigitsCase(note=note, seed=seed)]


def fresh_test_digits(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, 64) float32, labels (n,)): the test digits with this run's contrast and noise."""
    split = digits()
    return perturbed_digits(split.X_test, seed), split.y_test


def check_exported_classifier(case: FreshDigitsCase, exported, threshold: float,
                              prepare: Callable[[np.ndarray], np.ndarray]) -> str | None:
    """None when the exported network reaches ``threshold`` on this run's fresh digits, else why not.

    ``prepare`` turns flat images (n, 64) into the network's input (raw pixels as float64 for 02,
    whose export starts with its standardiser; (n, 1, 8, 8) for the CNNs).
    """
    X, y = fresh_test_digits(case.seed)
    return accuracy_problem(exported, prepare(X), y, threshold, "images", "fresh digits")


def accuracy_problem(exported, X: np.ndarray, y: np.ndarray, threshold: float, items: str,
                     data: str) -> str | None:
    """None when the exported network classifies at least ``threshold`` of ``X`` (n, ...) as ``y``
    (n,), else why not, naming the ``items`` of the grader's ``data``."""
    try:
        pred = exported_predictions(exported, X)
    except ExportError as e:
        return f"your exported network could not be run: {e}"
    if pred.shape != y.shape:
        return f"your network gives {pred.shape[0]} predictions for {len(y)} {items}"
    accuracy = float(np.mean(pred == y))
    if accuracy < threshold:
        return (f"accuracy {100 * accuracy:.1f}% on the grader's {data}, below the required "
                f"{100 * threshold:.0f}%")
    return None


# ------------------------------------------------------------------ a plain list of (W, b) (notebook 03)


def parse_layers(params, n_in: int, n_out: int, max_layers: int, max_parameters: int,
                 name: str = "the exported network") -> tuple[list, str | None]:
    """``(layers, None)`` with ``params`` = [(W, b), ...] as float arrays (W of shape (n_out, n_in),
    the nn.Linear layout) chaining ``n_in`` inputs to ``n_out`` outputs, or ``(None, why not)``.

    Notebooks 03 (the scalar engine's MLP) and 06 (the CartPole agent) export this way."""
    if not isinstance(params, (list, tuple)) or not 1 <= len(params) <= max_layers:
        count = len(params) if isinstance(params, (list, tuple)) else type(params).__name__
        return None, f"{name} should be a list of 1 to {max_layers} (W, b) pairs, one per layer, got {count}"
    layers, width = [], n_in
    for k, pair in enumerate(params):
        W, b = unpack(pair, 2, f"layer {k} of {name}")
        W, b = as_array(W, f"W of layer {k}"), as_array(b, f"b of layer {k}")
        if W.ndim != 2 or b.shape != W.shape[:1] or W.shape[1] != width:
            return None, layer_shape_problem(k, W, b, width)
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            return None, f"layer {k} holds NaN or infinite values"
        layers.append((W, b))
        width = W.shape[0]
    if width != n_out:
        return None, f"the last layer should have {n_out} output(s), it has {width}"
    count = sum(W.size + b.size for W, b in layers)
    if count > max_parameters:
        return None, f"{name} has {count} parameters; at most {max_parameters} are allowed"
    return layers, None


def layer_shape_problem(k: int, W: np.ndarray, b: np.ndarray, width: int) -> str:
    """Why layer ``k``'s (W, b) does not read ``width`` inputs, naming a transposed weight as such."""
    message = (f"layer {k}: W should have shape (n_out, {width}), nn.Linear's (n_out, n_in) layout, "
               f"and b (n_out,), got {W.shape} and {b.shape}")
    if W.ndim == 2 and W.shape[0] == width and b.shape == W.shape[1:]:
        message += " (this is the transposed, (n_in, n_out), layout: do not transpose nn.Linear's weight)"
    return message


def binary_tanh_network(layers: list) -> dict:
    """The MLP ``layers`` (tanh after every layer but the last, one linear output z) in
    :mod:`dlcourse.export`'s format, with two class scores (0, z): its argmax is class 1 exactly
    where z > 0, so :func:`accuracy_problem` grades it like any exported classifier."""
    nodes = [{"op": "input"}]
    for k, (W, b) in enumerate(layers):
        if k == len(layers) - 1:  # the score of class 0 is a constant 0
            W, b = np.vstack([np.zeros_like(W), W]), np.concatenate([np.zeros_like(b), b])
        nodes.append({"op": "linear", "inputs": [len(nodes) - 1], "weight": W, "bias": b})
        if k < len(layers) - 1:
            nodes.append({"op": "tanh", "inputs": [len(nodes) - 1]})
    return {"format": FORMAT, "input_shape": [int(layers[0][0].shape[1])], "nodes": nodes,
            "output": len(nodes) - 1}


# ------------------------------------------------------------------ MNIST-1D (notebook 09)

FRESH_MNIST1D_SAMPLES = 2000
SHIPPED_MNIST1D_SEED = 42  # dlcourse.data.mnist1d's default: the data the student's kernel holds


def fresh_mnist1d_cases(rng: np.random.Generator) -> list[Case]:
    """One case whose seed (never 42, the shipped data's) draws this run's MNIST-1D examples."""
    seed = SHIPPED_MNIST1D_SEED
    while seed == SHIPPED_MNIST1D_SEED:
        seed = int(rng.integers(0, 2**32 - 1))  # the generator seeds NumPy's legacy RNG: 32 bits
    note = "your exported network, run by the grader on fresh MNIST-1D examples (seed kept secret)"
    return [FreshDigitsCase(note=note, seed=seed)]


def fresh_mnist1d(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(signals (n, 40) float32, labels (n,)): MNIST-1D generated with this run's seed, all of it."""
    from dlcourse.data import mnist1d

    split = mnist1d(num_samples=FRESH_MNIST1D_SAMPLES, seed=seed)
    return np.concatenate([split.X_train, split.X_test]), np.concatenate([split.y_train, split.y_test])


def check_exported_mnist1d(case: FreshDigitsCase, exported, threshold: float) -> str | None:
    """None when the exported network, fed raw (n, 40) signals, reaches ``threshold`` on fresh MNIST-1D."""
    X, y = fresh_mnist1d(case.seed)
    return accuracy_problem(exported, X, y, threshold, "examples", "fresh MNIST-1D examples")
