"""Unit tests for dlcourse.env: device choice, seeding and fast mode."""
import random

import numpy as np
import pytest
import torch

import dlcourse
from dlcourse import env
from hardware import fake_hardware


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv(env.DEVICE_ENV, raising=False)
    monkeypatch.delenv(env.FAST_ENV, raising=False)


# --------------------------------------------------------------------------- device


def test_package_reexports_env_helpers():
    assert dlcourse.device is env.device
    assert dlcourse.seed is env.seed
    assert dlcourse.fast_mode is env.fast_mode
    assert dlcourse.pick is env.pick


def test_device_is_cpu_without_accelerators(monkeypatch):
    fake_hardware(monkeypatch, cuda=False, mps=False)
    dev = env.device()
    assert isinstance(dev, torch.device)
    assert dev == torch.device("cpu")


def test_device_returns_a_usable_device_on_this_machine():
    dev = env.device()
    t = torch.ones(3, device=dev)
    assert t.device.type == dev.type


@pytest.mark.parametrize(
    "cuda, mps, expected",
    [
        (True, True, "cuda"),  # CUDA wins over MPS
        (True, False, "cuda"),
        (False, True, "mps"),  # MPS wins over CPU
        (False, False, "cpu"),
    ],
)
def test_device_preference_order_cuda_mps_cpu(monkeypatch, cuda, mps, expected):
    fake_hardware(monkeypatch, cuda=cuda, mps=mps)
    assert env.device().type == expected


def test_mps_check_follows_torch_backend(monkeypatch):
    if getattr(torch.backends, "mps", None) is None:
        pytest.skip("this PyTorch has no MPS backend")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert env._mps_available() is True
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert env._mps_available() is False


@pytest.mark.parametrize("value", ["cpu", "CPU", " cpu "])
def test_device_override_cpu(monkeypatch, value):
    fake_hardware(monkeypatch, cuda=True, mps=True)  # override beats auto-detection
    monkeypatch.setenv(env.DEVICE_ENV, value)
    assert env.device() == torch.device("cpu")


def test_device_override_cuda_index_when_present(monkeypatch):
    fake_hardware(monkeypatch, cuda=True, mps=False)
    monkeypatch.setenv(env.DEVICE_ENV, "cuda:1")
    assert env.device() == torch.device("cuda", 1)


def test_device_override_mps_when_present(monkeypatch):
    fake_hardware(monkeypatch, cuda=False, mps=True)
    monkeypatch.setenv(env.DEVICE_ENV, "mps")
    assert env.device() == torch.device("mps")


@pytest.mark.parametrize("value", ["cuda", "cuda:0", "CUDA"])
def test_device_override_cuda_absent_raises(monkeypatch, value):
    fake_hardware(monkeypatch, cuda=False, mps=False)
    monkeypatch.setenv(env.DEVICE_ENV, value)
    with pytest.raises(RuntimeError, match="DLCOURSE_DEVICE"):
        env.device()


def test_device_override_mps_absent_raises(monkeypatch):
    fake_hardware(monkeypatch, cuda=True, mps=False)
    monkeypatch.setenv(env.DEVICE_ENV, "mps")
    with pytest.raises(RuntimeError, match="DLCOURSE_DEVICE"):
        env.device()


def test_device_override_malformed_name_raises(monkeypatch):
    monkeypatch.setenv(env.DEVICE_ENV, "not-a-device")
    with pytest.raises(RuntimeError):
        env.device()


def test_empty_override_means_auto(monkeypatch):
    fake_hardware(monkeypatch, cuda=False, mps=False)
    monkeypatch.setenv(env.DEVICE_ENV, "   ")
    assert env.device() == torch.device("cpu")


# --------------------------------------------------------------------------- seed


def _draw_everything(gen: np.random.Generator):
    return (
        [random.random() for _ in range(5)],
        np.random.rand(5),
        torch.rand(5),
        gen.normal(size=5),
    )


def _same(a, b) -> bool:
    return (
        a[0] == b[0]
        and np.array_equal(a[1], b[1])
        and torch.equal(a[2], b[2])
        and np.array_equal(a[3], b[3])
    )


def test_seed_returns_a_numpy_generator():
    assert isinstance(env.seed(3), np.random.Generator)


def test_seed_makes_all_sources_reproducible():
    first = _draw_everything(env.seed(123))
    # disturb every global source in between
    random.random()
    np.random.rand(10)
    torch.rand(10)
    second = _draw_everything(env.seed(123))
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])
    np.testing.assert_array_equal(first[3], second[3])


def test_seed_matches_the_libraries_own_seeding():
    gen = env.seed(7)
    got = _draw_everything(gen)
    random.seed(7)
    py = [random.random() for _ in range(5)]
    np.random.seed(7)
    npy = np.random.rand(5)
    torch.manual_seed(7)
    tt = torch.rand(5)
    ref_gen = np.random.default_rng(7).normal(size=5)
    assert got[0] == py
    np.testing.assert_array_equal(got[1], npy)
    assert torch.equal(got[2], tt)
    np.testing.assert_array_equal(got[3], ref_gen)


@pytest.mark.parametrize("source", range(4), ids=["random", "np.random", "torch", "generator"])
def test_seed_differs_between_seeds(source):
    a = _draw_everything(env.seed(1))
    b = _draw_everything(env.seed(2))
    x, y = a[source], b[source]
    if isinstance(x, torch.Tensor):
        assert not torch.equal(x, y)
    else:
        assert not np.array_equal(np.asarray(x), np.asarray(y))


def test_seed_default_is_zero():
    a = _draw_everything(env.seed())
    b = _draw_everything(env.seed(0))
    assert _same(a, b)


# --------------------------------------------------------------------------- fast mode


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "Yes", "on", " on "])
def test_fast_mode_on(monkeypatch, value):
    monkeypatch.setenv(env.FAST_ENV, value)
    assert env.fast_mode() is True
    assert env.pick(200, 20) == 20


@pytest.mark.parametrize("value", ["", "0", "false", "no", "off", "2", "maybe"])
def test_fast_mode_off(monkeypatch, value):
    monkeypatch.setenv(env.FAST_ENV, value)
    assert env.fast_mode() is False
    assert env.pick(200, 20) == 200


def test_fast_mode_unset(monkeypatch):
    monkeypatch.delenv(env.FAST_ENV, raising=False)
    assert env.fast_mode() is False
    full, fast = object(), object()
    assert env.pick(full, fast) is full


def test_pick_reads_environment_at_call_time(monkeypatch):
    monkeypatch.setenv(env.FAST_ENV, "1")
    fast = object()
    assert env.pick("full", fast) is fast
    monkeypatch.setenv(env.FAST_ENV, "0")
    assert env.pick("full", fast) == "full"
