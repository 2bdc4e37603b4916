"""dlcourse.export (a network as plain data, run without its code) and the fresh digits it is graded on."""
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from autograder.trained_model import FreshDigitsCase, check_exported_classifier
from dlcourse import data, train
from dlcourse.export import MAX_PARAMETERS, ExportError, export_model, exported_predictions, run_exported
from dlcourse.grading import decode, encode


class LeNetSubclass(nn.Module):
    """A LeNet the way students write it: F.relu, F.max_pool2d and a view in forward."""

    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 6, 3, padding=1), nn.Conv2d(6, 16, 3, padding=1)
        self.f1, self.f2 = nn.Linear(64, 32), nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(torch.relu(self.c2(x)), 2)
        return self.f2(F.relu(self.f1(x.view(x.size(0), -1))))


class Block(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1, self.conv2, self.bn2 = nn.BatchNorm2d(c_out), nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))) + self.shortcut(x))


def tiny_resnet():
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), Block(8, 16, 2),
                         nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.1), nn.Linear(16, 10))


MODELS = {
    "mlp": (lambda: nn.Sequential(nn.Linear(64, 20), nn.Tanh(), nn.Linear(20, 20), nn.Sigmoid(),
                                  nn.Linear(20, 10)), (64,)),
    "lenet subclass": (LeNetSubclass, (1, 8, 8)),
    "resnet": (tiny_resnet, (1, 8, 8)),
}


def with_running_statistics(model):
    """Batch norms with statistics that are not the identity, so eval mode matters."""
    gen = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=gen) - 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
    return model


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_exported_network_gives_the_models_outputs_after_the_codec(kind):
    torch.manual_seed(0)
    make, shape = MODELS[kind]
    model = with_running_statistics(make())
    exported = export_model(model, shape)
    assert model.training, "export_model must restore the training mode"
    plain = decode(json.loads(json.dumps(encode(exported))), torch_ok=False)  # as the grader receives it
    x = torch.rand(7, *shape)
    model.eval()
    with torch.no_grad():
        expected = model(x).double().numpy()
    np.testing.assert_allclose(run_exported(plain, x.numpy()), expected, atol=1e-5, rtol=1e-5)


class Lookup(nn.Module):
    def __init__(self):
        super().__init__()
        self.unused = nn.Linear(1, 1)

    def forward(self, x):
        return torch.tensor([[float(hash(row.numpy().tobytes()) % 10)] for row in x])


class Neighbour(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("images", torch.rand(20, 64))
        self.unused = nn.Linear(1, 1)

    def forward(self, x):
        return torch.cdist(x, self.images)


@pytest.mark.parametrize("model", [Lookup(), Neighbour()], ids=["lookup", "nearest neighbour"])
def test_lookups_cannot_be_exported(model):
    with pytest.raises(ExportError, match="cannot be exported|could not be traced"):
        export_model(model, (64,))


def exported_mlp(weight, bias=None):
    out = weight.shape[0]
    return {"format": 1, "input_shape": [weight.shape[1]], "output": 1,
            "nodes": [{"op": "input"}, {"op": "linear", "inputs": [0], "weight": weight,
                                        "bias": np.zeros(out) if bias is None else bias}]}


@pytest.mark.parametrize("broken, message", [
    ({"format": 2}, "not an exported model"),
    ({"nodes": [{"op": "input"}, {"op": "linear", "inputs": [1]}]}, "earlier nodes"),
    ({"nodes": [{"op": "input"}, {"op": "exec", "inputs": [0]}]}, "unknown operation"),
    ({"output": 5}, "output"),
], ids=["format", "forward reference", "unknown op", "output"])
def test_run_exported_rejects_malformed_data(broken, message):
    exported = {**exported_mlp(np.ones((10, 64))), **broken}
    with pytest.raises(ExportError, match=message):
        run_exported(exported, np.zeros((2, 64)))


def test_run_exported_rejects_non_finite_weights_huge_padding_and_too_many_parameters():
    with pytest.raises(ExportError, match="finite"):
        run_exported(exported_mlp(np.full((10, 64), np.nan)), np.zeros((2, 64)))
    conv = {"format": 1, "output": 1, "nodes": [
        {"op": "input"}, {"op": "conv2d", "inputs": [0], "weight": np.ones((1, 1, 1, 1)), "bias": np.zeros(1),
                          "stride": [1, 1], "padding": [10**6, 10**6], "dilation": [1, 1]}]}
    with pytest.raises(ExportError, match="padding"):
        run_exported(conv, np.zeros((1, 1, 8, 8)))
    grow = {"op": "conv2d", "weight": np.ones((1, 1, 1, 1)), "bias": np.zeros(1), "stride": [1, 1],
            "padding": [16, 16], "dilation": [1, 1]}
    chain = {"format": 1, "output": 20, "nodes": [{"op": "input"}] + [{**grow, "inputs": [k]} for k in range(20)]}
    with pytest.raises(ExportError, match="larger than"):  # each layer pads: the maps would grow without end
        run_exported(chain, np.zeros((1, 1, 8, 8)))
    with pytest.raises(ExportError, match="parameters"):
        run_exported(exported_mlp(np.ones((MAX_PARAMETERS // 64 + 1, 64))), np.zeros((2, 64)))


def test_fresh_digits_are_new_images_near_the_test_digits():
    split = data.digits()
    fresh = data.perturbed_digits(split.X_test, seed=3)
    assert fresh.shape == split.X_test.shape and fresh.dtype == np.float32
    assert 0.0 <= fresh.min() and fresh.max() <= 1.0
    shipped = {row.tobytes() for row in np.concatenate([split.X_train, split.X_test]).astype(np.float32)}
    assert not any(row.tobytes() in shipped for row in fresh)
    np.testing.assert_array_equal(fresh, data.perturbed_digits(split.X_test, seed=3))
    assert not np.array_equal(fresh, data.perturbed_digits(split.X_test, seed=4))
    assert 0.01 < np.abs(fresh - split.X_test).mean() < 0.05  # new images, still the same digits


def test_the_grader_passes_a_trained_network_and_fails_an_untrained_one_and_a_memoriser():
    split = data.digits()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    untrained = export_model(model, (64,))
    train.fit(model, split.X_train, split.y_train, epochs=15, lr=1e-2, batch_size=64, device="cpu", progress=False)
    case = FreshDigitsCase(seed=12345)
    assert check_exported_classifier(case, export_model(model, (64,)), 0.9, lambda X: X) is None
    assert "below the required" in check_exported_classifier(case, untrained, 0.9, lambda X: X)
    # Every shipped image as a template (a nearest-neighbour network) does not fit the format.
    shipped = np.concatenate([split.X_train, split.X_test]).astype(np.float64)
    templates = {"format": 1, "input_shape": [64], "output": 1, "nodes": [
        {"op": "input"}, {"op": "linear", "inputs": [0], "weight": shipped, "bias": -0.5 * (shipped ** 2).sum(1)}]}
    assert "parameters" in check_exported_classifier(case, templates, 0.9, lambda X: X)
    assert exported_predictions(export_model(model, (64,)), split.X_test).shape == split.y_test.shape
