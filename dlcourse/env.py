"""Device choice, seeding and the fast mode used by CI and grading."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

FAST_ENV = "DLCOURSE_FAST"
DEVICE_ENV = "DLCOURSE_DEVICE"
_TRUE = {"1", "true", "yes", "on"}


def fast_mode() -> bool:
    """True when ``DLCOURSE_FAST`` is set to 1/true/yes/on (tests, CI, grading)."""
    return os.environ.get(FAST_ENV, "").strip().lower() in _TRUE


def pick(full, fast):
    """Return ``fast`` in fast mode and ``full`` otherwise, e.g. ``epochs = pick(200, 20)``."""
    return fast if fast_mode() else full


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def device() -> torch.device:
    """The device notebooks compute on: CUDA, then Apple MPS, then CPU.

    ``DLCOURSE_DEVICE=cpu`` (or ``cuda``, ``cuda:1``, ``mps``) overrides the choice;
    asking for a device this machine lacks raises a ``RuntimeError`` that says so.
    """
    wanted = os.environ.get(DEVICE_ENV, "").strip().lower()
    if wanted:
        dev = torch.device(wanted)  # raises on a malformed name
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"{DEVICE_ENV}={wanted} but PyTorch sees no CUDA GPU here; "
                               f"unset {DEVICE_ENV} to fall back to the CPU")
        if dev.type == "mps" and not _mps_available():
            raise RuntimeError(f"{DEVICE_ENV}={wanted} but Apple MPS is not available here; "
                               f"unset {DEVICE_ENV} to fall back to the CPU")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed(n: int = 0) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch (CUDA included); return a fresh NumPy generator.

    Prefer the returned generator for new NumPy code; the global seeds cover code that
    uses ``np.random.*`` or ``torch.rand*`` directly.
    """
    random.seed(n)
    np.random.seed(n)
    torch.manual_seed(n)  # also seeds every CUDA device
    return np.random.default_rng(n)
