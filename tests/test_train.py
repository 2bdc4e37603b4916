"""The training loop: same result as a hand-written loop, every sample once per epoch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlcourse import data
from dlcourse.train import as_tensor, epoch_order, evaluate, fit, predict, use_amp


def reference_loop(model, X, y, epochs, batch_size, lr, seed):
    """The plain PyTorch loop fit() claims to equal: SGD on the same batch order."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=gen)
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


def small_model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10)).double()


def test_fit_equals_a_plain_pytorch_loop():
    split = data.digits()
    X, y = torch.tensor(split.X_train[:300], dtype=torch.float64), torch.tensor(split.y_train[:300])
    ours, ref = small_model(1), small_model(1)
    fit(ours, X, y, epochs=3, batch_size=64, optimizer=torch.optim.SGD(ours.parameters(), lr=0.1),
        device="cpu", seed=5, progress=False)
    reference_loop(ref, X, y, epochs=3, batch_size=64, lr=0.1, seed=5)
    for a, b in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_every_sample_is_visited_once_per_epoch_last_batch_smaller():
    seen = []

    class Recorder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1, 2))

        def forward(self, x):
            seen.append(x[:, 0].long().tolist())
            return x[:, :1] * 0 + self.w

    X = torch.stack([torch.arange(10.0), torch.zeros(10)], 1)
    fit(Recorder(), X, torch.zeros(10, dtype=torch.long), epochs=2, batch_size=4, device="cpu", progress=False)
    assert [len(b) for b in seen] == [4, 4, 2, 4, 4, 2]
    assert sorted(sum(seen[:3], [])) == list(range(10)) and sorted(sum(seen[3:], [])) == list(range(10))
    assert sum(seen[:3], []) != sum(seen[3:], [])  # a fresh order each epoch


def test_history_and_validation_on_digits_reach_a_good_accuracy():
    split = data.digits()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    history = fit(model, split.X_train, split.y_train, epochs=15, lr=3e-3, batch_size=64,
                  val=(split.X_test, split.y_test), device="cpu", progress=False)
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert all(len(v) == 15 for v in history.values())
    assert history["loss"][-1] < history["loss"][0] / 3
    # the reported validation accuracy is what an independent computation gives
    preds = predict(model, split.X_test).argmax(1)
    assert history["val_accuracy"][-1] == pytest.approx(np.mean(preds == split.y_test))
    assert history["val_accuracy"][-1] > 0.93


def test_regression_targets_and_scheduler():
    torch.manual_seed(0)
    X = torch.linspace(-1, 1, 64).unsqueeze(1)
    y = 3 * X + 1
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    history = fit(model, X, y, epochs=30, batch_size=16, optimizer=opt, loss_fn=F.mse_loss,
                  scheduler=sched, device="cpu", progress=False)
    assert "accuracy" not in history
    assert history["lr"][:11] == [0.5] * 10 + [0.25]
    assert evaluate(model, X, y, loss_fn=F.mse_loss)["loss"] < 1e-4
    torch.testing.assert_close(model.weight.detach(), torch.tensor([[3.0]]), atol=1e-2, rtol=0)


def test_helpers():
    assert as_tensor(np.zeros(3), "cpu").dtype == torch.float32
    assert as_tensor(np.zeros(3, dtype=np.int64), "cpu").dtype == torch.int64
    assert not use_amp(torch.device("cpu"), None) and not use_amp(torch.device("cpu"), True)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(epoch_order(50, g1, "cpu"), epoch_order(50, g2, "cpu"))


# On a GPU: tests/test_gpu.py, run by `make gpu-check`.
