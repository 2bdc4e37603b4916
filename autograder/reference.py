"""Pieces the oracles share when they compute a reference answer with PyTorch.

References are computed in float64, so a student's float64 NumPy answer is compared with
something more exact than itself, never with float32 rounding.
"""
from __future__ import annotations

import numpy as np
import torch


def t64(a, grad: bool = False) -> torch.Tensor:
    """``a`` (numbers, a list, an array) as a float64 tensor, a leaf of autograd if ``grad``."""
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64, requires_grad=grad)


# The activations the course names, as PyTorch functions: the reference for every exercise
# that takes an activation by name (02's MLP, 03's backprop, 07's gradient norms).
TORCH_ACTIVATIONS = {"linear": lambda t: t, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
