"""Plots shared by the notebooks: decision boundaries and training curves."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

CLASS_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple",
                "tab:brown", "tab:pink", "tab:gray", "tab:olive", "tab:cyan")


def _axes(ax=None, figsize=(4.5, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def scatter_classes(X: np.ndarray, y: np.ndarray, ax=None, **kwargs):
    """Scatter 2-D points X (n, 2) coloured by integer label y (n,)."""
    ax = _axes(ax)
    for i, c in enumerate(np.unique(y)):
        pts = X[y == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=kwargs.get("s", 30), edgecolor="k",
                   color=CLASS_COLORS[i % len(CLASS_COLORS)], label=f"class {c}", zorder=3)
    ax.legend(loc="best", fontsize="small")
    return ax


def grid_over(X: np.ndarray, resolution: int = 200, pad: float = 0.5):
    """Mesh covering the 2-D points X (n, 2) with a margin: returns (xx, yy, points (m, 2))."""
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                      y: np.ndarray, ax=None, resolution: int = 200, title: str | None = None):
    """Shade the regions a 2-D classifier assigns to each class and overlay the data.

    Args:
        predict: maps points (m, 2) to labels or scores (m,); scores in [0, 1] are
            shaded continuously with the 0.5 level drawn as the boundary.
        X: points (n, 2); y: labels (n,).
    """
    ax = _axes(ax)
    xx, yy, pts = grid_over(X, resolution)
    z = np.asarray(predict(pts), dtype=float).reshape(xx.shape)
    ax.contourf(xx, yy, z, levels=20 if np.unique(z).size > 2 else 1, cmap="RdBu_r", alpha=0.35)
    if z.min() < 0.5 < z.max():
        ax.contour(xx, yy, z, levels=[0.5], colors="k", linewidths=1.5)
    scatter_classes(X, y, ax)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


def line_from_weights(w: Sequence[float], b: float, ax, **kwargs):
    """Draw the line w[0] x1 + w[1] x2 + b = 0 across the current limits of ``ax``."""
    (x_lo, x_hi), (y_lo, y_hi) = ax.get_xlim(), ax.get_ylim()
    w1, w2 = float(w[0]), float(w[1])
    if abs(w2) > 1e-12:
        xs = np.array([x_lo, x_hi])
        ys = -(w1 * xs + b) / w2
    elif abs(w1) > 1e-12:
        ys = np.array([y_lo, y_hi])
        xs = np.full(2, -b / w1)
    else:  # w = 0: no line exists
        xs, ys = np.array([np.nan, np.nan]), np.array([np.nan, np.nan])
    (line,) = ax.plot(xs, ys, **{"color": "k", "lw": 2, **kwargs})
    ax.set_xlim(x_lo, x_hi)
    ax.set_ylim(y_lo, y_hi)
    return line


def training_curves(history: Mapping[str, Sequence[float]], ax=None, xlabel: str = "epoch",
                    ylabel: str = "", logy: bool = False, title: str | None = None):
    """One line per series of ``history`` (name -> values per epoch or step)."""
    ax = _axes(ax, figsize=(5.5, 3.5))
    for name, values in history.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=name, marker="o" if len(values) <= 30 else None)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if len(history) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def image_grid(images: np.ndarray, labels=None, ncols: int = 10, size: float = 0.9):
    """Show images (n, h, w) or flat squares (n, h*w) in a grid; returns the figure."""
    images = np.asarray(images)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        images = images.reshape(len(images), side, side)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r")
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    fig.tight_layout()
    return fig
