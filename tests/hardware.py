"""Pretend a GPU is (not) there, for tests of the code that picks a device."""
import torch

from dlcourse import env


def fake_hardware(monkeypatch, cuda: bool, mps: bool):
    """Pretend CUDA and/or Apple MPS are (not) present, at the level PyTorch reports it."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    mps_backend = getattr(torch.backends, "mps", None)
    if mps_backend is not None:
        monkeypatch.setattr(mps_backend, "is_available", lambda: mps)
    else:  # very old PyTorch without an MPS backend
        monkeypatch.setattr(env, "_mps_available", lambda: mps)
