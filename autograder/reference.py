"""Pieces the oracles share when they compute a reference answer with PyTorch.

References are computed in float64, so a student's float64 NumPy answer is compared with
something more exact than itself, never with float32 rounding.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def t64(a, grad: bool = False) -> torch.Tensor:
    """``a`` (numbers, a list, an array) as a float64 tensor, a leaf of autograd if ``grad``."""
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


# The activations the course names, as PyTorch functions: the reference for every exercise
# that takes an activation by name (02's MLP, 03's backprop, 07's gradient norms).
TORCH_ACTIVATIONS = {"linear": lambda t: t, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def mlp_loss_and_grads(params, X, y, activation: str) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
    """Mean softmax cross-entropy of the MLP ``params`` = [(W, b), ...] (W of shape (out, in),
    ``activation`` between layers, none after the last) on X (n, d) and integer labels y (n,),
    and its gradients [(dW, db), ...], by torch.autograd in float64: 03's and 07's reference."""
    tensors = [(t64(W, grad=True), t64(b, grad=True)) for W, b in params]
    h = t64(X)
    for layer, (W, b) in enumerate(tensors):
        h = h @ W.T + b
        if layer < len(tensors) - 1:
            h = TORCH_ACTIVATIONS[activation](h)
    loss = F.cross_entropy(h, torch.tensor(np.asarray(y), dtype=torch.int64))
    loss.backward()
    return loss.item(), [(W.grad.numpy(), b.grad.numpy()) for W, b in tensors]
