"""The training loop on an accelerator: what `make gpu-check` runs on a GPU.

Every test here needs CUDA (or, where marked, Apple MPS) and skips without it, so the
suite passes on a CPU-only machine; `make gpu-check` runs this file on a GPU and fails
when a test fails. Tests that measure something print it as a ``FIGURE name=value`` line,
which gpu-check copies into its JSON.

The tolerances, and why:
- float64: the CPU and the GPU run the same steps in a different order of additions, so
  parameters differ only by rounding, amplified over the 63 SGD steps (1.1e-8 measured on an
  H100): the bound is 1e-6, while another batch order moves them by more than 1e-3;
- float32 without autocast: per-epoch losses agree to 1e-3 (relative) and validation
  accuracies to 1 point; Adam divides by the square root of small second moments, which
  magnifies float32 rounding in the parameters, so they are not compared;
- bfloat16 autocast keeps 8 bits of mantissa: its final loss must stay within 10 % of
  float32's and its accuracy within 3 points.
"""
import json
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.autograd import DeviceType
from torch.profiler import ProfilerActivity, profile

from dlcourse import data
from dlcourse.train import evaluate, fit, predict, use_amp

CUDA = torch.cuda.is_available()
MPS = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
ACCELERATORS = [pytest.param("cuda", marks=needs_cuda),
                pytest.param("mps", marks=pytest.mark.skipif(not MPS, reason="needs Apple MPS"))]


def figure(name: str, value) -> None:
    print(f"\nFIGURE {name}={json.dumps(value)}")  # on a line of its own, after pytest's dots


def digits_mlp(seed: int = 0, dtype=torch.float32) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)).to(dtype)


def digits(dtype=torch.float32):
    split = data.digits()
    return (torch.tensor(split.X_train, dtype=dtype), torch.tensor(split.y_train),
            torch.tensor(split.X_test, dtype=dtype), torch.tensor(split.y_test))


@needs_cuda
def test_fit_on_cuda_equals_fit_on_the_cpu_in_float64():
    X, y, _, _ = digits(torch.float64)
    runs = {}
    for device, seed in (("cpu", 5), ("cuda", 5), ("cpu", 6)):
        model = digits_mlp(1, torch.float64)
        fit(model, X, y, epochs=3, batch_size=64, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            device=device, seed=seed, progress=False)
        runs[device, seed] = [p.detach().cpu() for p in model.parameters()]

    def gap(a, b):
        return max((p - q).abs().max().item() for p, q in zip(runs[a], runs[b]))

    figure("float64_max_parameter_gap", gap(("cpu", 5), ("cuda", 5)))
    assert gap(("cpu", 5), ("cuda", 5)) < 1e-6
    assert gap(("cpu", 5), ("cpu", 6)) > 1e-3  # the bound tells batch orders apart


@pytest.mark.parametrize("device", ACCELERATORS)
def test_fit_in_float32_matches_the_cpu(device):
    X, y, X_test, y_test = digits()
    histories = {}
    for where in ("cpu", device):
        histories[where] = fit(digits_mlp(2), X, y, epochs=8, lr=3e-3, batch_size=64, val=(X_test, y_test),
                               device=where, amp=False, seed=3, progress=False)
    cpu, acc = histories["cpu"], histories[device]
    rel = max(abs(a - b) / b for a, b in zip(acc["loss"], cpu["loss"]))
    figure(f"float32_{device}_max_relative_loss_gap", rel)
    assert rel < 1e-3
    assert abs(acc["val_accuracy"][-1] - cpu["val_accuracy"][-1]) <= 0.01
    assert acc["val_accuracy"][-1] > 0.9


class OutputDtype:
    """Forward hook that records the dtype of a layer's output in training (fit evaluates the
    validation set in float32, outside autocast)."""

    def __init__(self, layer):
        self.seen = set()
        layer.register_forward_hook(lambda m, _i, out: self.seen.add(out.dtype) if m.training else None)


@needs_cuda
@pytest.mark.parametrize("amp, expected", [(False, torch.float32), (True, torch.bfloat16),
                                           (None, torch.bfloat16 if torch.cuda.is_available()
                                            and torch.cuda.is_bf16_supported() else torch.float32)])
def test_autocast_on_and_off(amp, expected):
    X, y, X_test, y_test = digits()
    model = digits_mlp(0)
    layer = OutputDtype(model[0])
    history = fit(model, X, y, epochs=10, lr=3e-3, val=(X_test, y_test), device="cuda", amp=amp, progress=False)
    assert layer.seen == {expected}
    assert use_amp(torch.device("cuda"), amp) == (expected == torch.bfloat16)
    assert all(p.dtype == torch.float32 for p in model.parameters())  # the weights stay float32
    assert history["val_accuracy"][-1] > 0.9
    figure(f"autocast_{amp}_val_accuracy", history["val_accuracy"][-1])


@needs_cuda
def test_bf16_autocast_trains_as_well_as_float32():
    X, y, X_test, y_test = digits()
    runs = {amp: fit(digits_mlp(4), X, y, epochs=10, lr=3e-3, val=(X_test, y_test), device="cuda",
                     amp=amp, seed=1, progress=False) for amp in (False, True)}
    loss32, loss16 = runs[False]["loss"][-1], runs[True]["loss"][-1]
    figure("bf16_vs_float32_final_loss", [loss16, loss32])
    assert abs(loss16 - loss32) / loss32 < 0.10
    assert abs(runs[True]["val_accuracy"][-1] - runs[False]["val_accuracy"][-1]) <= 0.03


SYNC_CALLS = {"cudaStreamSynchronize", "cudaDeviceSynchronize", "cudaEventSynchronize", "cudaMemcpy"}


def profile_fit(epochs: int, X, y, val) -> dict[str, int]:
    """Copies and host synchronisations of one ``fit`` of ``epochs`` epochs on CUDA, counted by
    the profiler (memcpy activities on the GPU; the CUDA runtime calls that block the host)
    and, for the record, by CUDA's sync debug mode (a warning per sync; on an H100 it counted
    fewer syncs than the profiler's read-backs, so it is not asserted)."""
    model = digits_mlp(0).cuda()
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught, \
            profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fit(model, X, y, epochs=epochs, batch_size=64, val=val, device="cuda", progress=False)
        finally:
            torch.cuda.set_sync_debug_mode("default")
        torch.cuda.synchronize()
    names = [e.name for e in prof.events() if e.device_type == DeviceType.CUDA]
    host_calls = [e.name for e in prof.events() if e.device_type != DeviceType.CUDA]
    return {"HtoD": sum("HtoD" in n for n in names), "DtoH": sum("DtoH" in n for n in names),
            "sync_calls": sum(n in SYNC_CALLS for n in host_calls),
            "sync_debug_warnings": sum("synchronizing" in str(w.message) for w in caught)}


@needs_cuda
def test_data_stays_on_the_gpu_and_each_epoch_syncs_once():
    """The difference between a 5-epoch and a 2-epoch run is what 3 epochs cost: one small
    host-to-device copy each (the batch order) and one read-back, the epoch's only sync.
    A loop that copied batches would copy 22 times an epoch here (1347 samples, batch 64)."""
    X, y, X_test, y_test = (t.cuda() for t in digits())
    short, long = profile_fit(2, X, y, (X_test, y_test)), profile_fit(5, X, y, (X_test, y_test))
    per_epoch = {k: (long[k] - short[k]) / 3 for k in short}
    figure("per_epoch_copies_and_syncs", per_epoch)
    figure("fit_5_epochs_copies_and_syncs", long)
    assert per_epoch["HtoD"] == 1, per_epoch  # the permutation; the data never crosses again
    assert per_epoch["DtoH"] == 1, per_epoch  # loss, accuracy and validation figures in one transfer
    assert per_epoch["sync_calls"] == 1, per_epoch  # the read-back is the only time the host waits


@pytest.mark.parametrize("device", ACCELERATORS)
def test_evaluate_and_predict_agree_with_the_cpu(device):
    X, y, X_test, y_test = digits()
    model = digits_mlp(5)
    fit(model, X, y, epochs=3, device="cpu", progress=False)
    on_cpu = evaluate(model, X_test, y_test)
    logits_cpu = predict(model, X_test)
    model.to(device)
    on_dev = evaluate(model, X_test, y_test)
    np.testing.assert_allclose(predict(model, X_test), logits_cpu, atol=1e-4, rtol=1e-4)
    assert on_dev["accuracy"] == pytest.approx(on_cpu["accuracy"], abs=1 / len(X_test))
    assert on_dev["loss"] == pytest.approx(on_cpu["loss"], rel=1e-4)
    assert on_dev["loss"] == pytest.approx(F.cross_entropy(torch.tensor(logits_cpu), y_test).item(), rel=1e-4)
