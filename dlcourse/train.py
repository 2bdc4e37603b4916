"""A small training loop that keeps the device busy.

Small datasets live on the device for the whole run and are batched by indexing with a
random permutation (no DataLoader, no per-batch copies from the host); the loss and
accuracy are summed on the device and read once per epoch, so the only host round
trip is one per epoch. On CUDA, bfloat16 autocast is used where the GPU supports it.
The same code runs on CPU, CUDA and Apple MPS.

    history = fit(model, X_train, y_train, epochs=20, val=(X_test, y_test))
    plots.training_curves({"train": history["loss"], "val": history["val_loss"]})
"""
from __future__ import annotations

import contextlib
import time

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import env


def as_tensor(a, device, dtype=None) -> torch.Tensor:
    """A tensor on ``device``. Float64 NumPy arrays (NumPy's default) become float32, the
    dtype of models; a tensor keeps its dtype unless ``dtype`` says otherwise."""
    if isinstance(a, torch.Tensor):
        return a.to(device=device, dtype=dtype)
    t = torch.as_tensor(a)
    if dtype is None and t.dtype == torch.float64:
        dtype = torch.float32
    return t.to(device=device, dtype=dtype)


def use_amp(device: torch.device, amp: bool | None) -> bool:
    """Mixed precision is on by default on CUDA GPUs with bfloat16 support, off elsewhere."""
    if amp is not None:
        return bool(amp) and device.type == "cuda"
    return device.type == "cuda" and torch.cuda.is_bf16_supported()


def _autocast(device: torch.device, enabled: bool):
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def _is_classification(out: torch.Tensor, y: torch.Tensor) -> bool:
    return out.ndim == 2 and not y.is_floating_point()


def epoch_order(n: int, generator: torch.Generator, device) -> torch.Tensor:
    """This epoch's sample order: a permutation of range(n) drawn on the CPU (so a seed gives
    the same order on every device) and moved to ``device`` in one copy."""
    return torch.randperm(n, generator=generator).to(device, non_blocking=True)


@torch.no_grad()
def _evaluation_sums(model, X, y, batch_size: int, loss_fn) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Summed loss and (for classification, else None) correct count of ``model`` on (X, y),
    in eval mode, as tensors on the model's device: nothing is read back to the host."""
    was_training = model.training
    model.eval()
    total, correct = torch.zeros((), device=X.device), None
    for start in range(0, len(X), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        out = model(xb)
        total += loss_fn(out.float(), yb) * len(xb)
        if _is_classification(out, yb):
            correct = (out.argmax(1) == yb).sum() + (0 if correct is None else correct)
    model.train(was_training)
    return total, correct


def _read_means(sums: dict[str, torch.Tensor], n: dict[str, int]) -> dict[str, float]:
    """Divide each device-side sum by its count, reading them all back in one host transfer."""
    dtype = torch.float32 if next(iter(sums.values())).device.type == "mps" else torch.float64  # MPS has no float64
    values = torch.stack([t.to(dtype) for t in sums.values()]).tolist()
    return {key: value / n[key] for key, value in zip(sums, values)}


@torch.no_grad()
def evaluate(model, X, y, batch_size: int = 1024, loss_fn=None, device=None) -> dict:
    """Mean loss (and accuracy for classification) of ``model`` on (X, y), in eval mode."""
    device = device or next(model.parameters()).device
    X, y = as_tensor(X, device), as_tensor(y, device)
    total, correct = _evaluation_sums(model, X, y, batch_size, loss_fn or F.cross_entropy)
    sums = {"loss": total} if correct is None else {"loss": total, "accuracy": correct}
    return _read_means(sums, dict.fromkeys(sums, len(X)))


@torch.no_grad()
def predict(model, X, batch_size: int = 1024, device=None) -> np.ndarray:
    """Model outputs for X (n, ...) as a NumPy array (n, ...), computed in eval mode."""
    device = device or next(model.parameters()).device
    X = as_tensor(X, device)
    was_training = model.training
    model.eval()
    out = torch.cat([model(X[i:i + batch_size]).float() for i in range(0, len(X), batch_size)])
    model.train(was_training)
    return out.cpu().numpy()


# Extra memory a batch gather may use: one gather serves every batch of a small dataset.
_GATHER_BYTES = 8 << 20


def fit(model: torch.nn.Module, X, y, *, epochs: int, batch_size: int = 128, optimizer=None,
        lr: float = 1e-3, loss_fn=None, val: tuple | None = None, scheduler=None, device=None,
        amp: bool | None = None, seed: int = 0, progress: bool = True, desc: str = "training") -> dict:
    """Train ``model`` on (X, y) with mini-batches; return the history of every epoch.

    Args:
        model: any ``nn.Module``; it is moved to ``device``.
        X: inputs (n, ...), NumPy or tensor; y: targets (n,) class indices or (n, ...) values.
        epochs, batch_size: every epoch visits each sample once, in a fresh random order;
            the last batch may be smaller.
        optimizer: defaults to Adam(lr); loss_fn defaults to cross-entropy.
        val: optional (X_val, y_val) evaluated after every epoch.
        scheduler: optional learning-rate scheduler, stepped once per epoch.
        device: defaults to ``dlcourse.device()``; amp: bfloat16 autocast (default: on for
            CUDA GPUs that support it).
        seed: seeds the batch order (the same on every device).

    Returns:
        dict of lists, one entry per epoch: ``loss`` (and ``accuracy`` for classification),
        ``val_loss``/``val_accuracy`` with ``val``, ``lr``, and ``seconds``.
    """
    device = torch.device(device) if device is not None else env.device()
    model.to(device)
    X, y = as_tensor(X, device), as_tensor(y, device)
    if val is not None:
        X_val, y_val = as_tensor(val[0], device), as_tensor(val[1], device)
    # foreach Adam gives bit-for-bit the same steps as the per-parameter loop PyTorch picks on
    # the CPU, with far fewer Python calls per step (CUDA already defaults to it).
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr,
                                              foreach=True if device.type == "cpu" else None)
    loss_fn = loss_fn or F.cross_entropy
    amp_on = use_amp(device, amp)
    generator = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {}
    n = len(X)
    # Batches are views of a few large gathers X[order[chunk]] (at least one batch, about
    # _GATHER_BYTES each): the same batches as X[order[start:start + batch_size]], with
    # fewer indexing calls per epoch and bounded extra memory.
    chunk = batch_size * max(1, _GATHER_BYTES // max(1, batch_size * X[:1].nbytes))
    sizes = [min(batch_size, n - start) for start in range(0, n, batch_size)]
    weights = torch.tensor(sizes, dtype=torch.float32, device=device)
    bar = tqdm(range(epochs), desc=desc, unit="epoch", disable=not progress, leave=False)
    for _ in bar:
        start_time = time.perf_counter()
        model.train()
        order = epoch_order(n, generator, device)
        # Per batch only the detached loss and the predicted classes are kept (one argmax);
        # the sums are taken once per epoch, not accumulated batch by batch.
        losses, preds, targets = [], [], []
        for cstart in range(0, n, chunk):
            cidx = order[cstart:cstart + chunk]
            for xb, yb in zip(X[cidx].split(batch_size), y[cidx].split(batch_size)):
                with _autocast(device, amp_on):
                    out = model(xb)
                    loss = loss_fn(out.float() if amp_on else out, yb)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(loss.detach())
                if _is_classification(out, yb):
                    preds.append(out.detach().argmax(1))
                    targets.append(yb)
        # Everything this epoch reports is summed on the device and read back in one transfer:
        # the epoch's only host synchronisation.
        sums = {"loss": torch.stack(losses).float() @ weights}
        if preds:
            sums["accuracy"] = (torch.cat(preds) == torch.cat(targets)).sum()
        if val is not None:
            val_loss, val_correct = _evaluation_sums(model, X_val, y_val, 1024, loss_fn)
            sums["val_loss"] = val_loss
            if val_correct is not None:
                sums["val_accuracy"] = val_correct
        record = _read_means(sums, {k: len(X_val) if k.startswith("val_") else n for k in sums})
        record["lr"] = optimizer.param_groups[0]["lr"]
        if scheduler is not None:
            scheduler.step()
        record["seconds"] = time.perf_counter() - start_time
        for key, value in record.items():
            history.setdefault(key, []).append(value)
        bar.set_postfix({k: f"{v:.4f}" for k, v in record.items() if k in ("loss", "val_loss", "val_accuracy")})
    return history
