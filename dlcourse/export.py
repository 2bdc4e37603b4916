"""A trained network as plain data, and the plain-data network run again without its code.

Trained-model exercises are graded by the grading process, which never runs student
code. :func:`export_model` turns a model into a list of layers of a small, fixed
vocabulary (linear, conv2d, batch norm, ReLU, tanh, sigmoid, pooling, flatten, add)
whose weights are plain arrays; :func:`run_exported` runs such a list with PyTorch's
functional operations, and it is all the grader ever executes. Any ``nn.Module`` whose
``forward`` uses those layers (``nn.Sequential``, your own subclass, residual
connections, ``F.relu``, ``x + y``, ``x.view(len(x), -1)``...) exports; a model that
looks something up or calls anything else does not.

The format (each ``inputs`` entry is the index of an earlier node; node 0 is the input)::

    {"format": 1, "input_shape": [1, 8, 8],
     "nodes": [{"op": "input"}, {"op": "conv2d", "inputs": [0], "weight": ..., "bias": ...,
               "stride": [1, 1], "padding": [1, 1], "dilation": [1, 1]}, ...],
     "output": 7}
"""
from __future__ import annotations

import operator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

FORMAT = 1
MAX_NODES = 300
MAX_PARAMETERS = 100_000  # the course's digit models have 19k to 40k; storing the digits would take 115k
MAX_INTEGER = 16  # kernel sizes, strides, paddings: a huge padding would only exhaust the grader's memory
MAX_ACTIVATION = 50_000  # values per input after a layer: the digit models need about 1,000

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}
_ACTIVATION_MODULES = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}
_ACTIVATION_FUNCTIONS = {F.relu: "relu", torch.relu: "relu", torch.tanh: "tanh", torch.sigmoid: "sigmoid",
                         F.tanh: "tanh", F.sigmoid: "sigmoid"}
_ADD = {operator.add, torch.add, operator.iadd}
_PASS_THROUGH_MODULES = (nn.Dropout, nn.Identity)


class ExportError(ValueError):
    """The model uses something the plain-data format cannot carry."""


# ------------------------------------------------------------------ export (in the kernel)


def export_model(model: nn.Module, input_shape) -> dict:
    """``model`` as plain data, for inputs of shape ``(n, *input_shape)``.

    The model is traced (``torch.fx``) in eval mode on zeros; its mode is restored. Raises
    :class:`ExportError` naming the first operation the format does not support.
    """
    from torch.fx import symbolic_trace
    from torch.fx.passes.shape_prop import ShapeProp

    was_training = model.training
    model.eval()
    try:
        traced = symbolic_trace(model)
        device = next(model.parameters(), torch.zeros(())).device
        ShapeProp(traced).propagate(torch.zeros(2, *input_shape, device=device))
        return _graph_to_plain(traced, list(input_shape))
    except ExportError:
        raise
    except Exception as e:  # noqa: BLE001 - tracing failures become one readable message
        raise ExportError(f"the model could not be traced for export ({type(e).__name__}: {e})"[:400]) from None
    finally:
        model.train(was_training)


def _graph_to_plain(traced, input_shape: list) -> dict:
    modules = dict(traced.named_modules())
    index, nodes, output = {}, [], None
    for node in traced.graph.nodes:
        if node.op == "placeholder":
            if nodes:
                raise ExportError("the model's forward takes more than one input")
            index[node] = 0
            nodes.append({"op": "input"})
            continue
        if node.op == "output":
            output = _source(node.args[0], index, node)
            continue
        plain = _plain_node(node, modules, index)
        if plain is None:  # size(), shape, getitem: only used to compute a reshape
            continue
        index[node] = len(nodes)
        nodes.append(plain)
    return {"format": FORMAT, "input_shape": input_shape, "nodes": nodes, "output": output}


def _source(arg, index, node) -> int:
    if arg not in index:
        raise ExportError(f"{node.format_node()[:120]}: its input is not a tensor the format knows")
    return index[arg]


def _tensor_args(node, index, count: int) -> list[int]:
    args = [a for a in node.args if hasattr(a, "op")]
    if len(args) != count:
        raise ExportError(f"{node.format_node()[:120]}: expected {count} tensor input(s)")
    return [_source(a, index, node) for a in args]


def _array(t) -> np.ndarray:
    return t.detach().cpu().double().numpy()


def _pair(v) -> list[int]:
    return [int(v), int(v)] if isinstance(v, int) else [int(x) for x in v]


def _per_sample_shape(node) -> list[int]:
    meta = node.meta.get("tensor_meta")
    if meta is None:
        raise ExportError(f"{node.format_node()[:120]}: its shape is unknown")
    return [int(s) for s in meta.shape[1:]]


def _plain_node(node, modules, index) -> dict | None:
    if node.op == "call_module":
        return _module_node(modules[node.target], _tensor_args(node, index, 1))
    target = node.target
    if node.op == "call_method" and target in ("size", "dim"):
        return None
    if node.op == "call_function" and target in (operator.getitem, getattr):
        return None
    if node.op == "call_function" and target in _ADD or node.op == "call_method" and target in ("add", "__add__"):
        return {"op": "add", "inputs": _tensor_args(node, index, 2)}
    if node.op == "call_function" and target in _ACTIVATION_FUNCTIONS:
        return {"op": _ACTIVATION_FUNCTIONS[target], "inputs": _tensor_args(node, index, 1)}
    if node.op == "call_method" and target in ACTIVATIONS:
        return {"op": target, "inputs": _tensor_args(node, index, 1)}
    if (node.op == "call_method" and target in ("view", "reshape", "flatten")
            or node.op == "call_function" and target in (torch.flatten, torch.reshape)):
        return {"op": "reshape", "inputs": [_source(node.args[0], index, node)], "shape": _per_sample_shape(node)}
    if node.op == "call_function" and target in (F.max_pool2d, F.avg_pool2d):
        kernel = node.args[1] if len(node.args) > 1 else node.kwargs["kernel_size"]
        stride = node.kwargs.get("stride") or (node.args[2] if len(node.args) > 2 else None) or kernel
        kind = "max_pool2d" if target is F.max_pool2d else "avg_pool2d"
        return {"op": kind, "inputs": [_source(node.args[0], index, node)], "kernel": _pair(kernel),
                "stride": _pair(stride), "padding": [0, 0]}
    if node.op == "call_function" and target is F.adaptive_avg_pool2d and _pair(node.args[1]) == [1, 1]:
        return {"op": "global_avg_pool", "inputs": [_source(node.args[0], index, node)]}
    raise ExportError(f"{node.format_node()[:120]}: this operation cannot be exported; use nn.Linear, "
                      f"nn.Conv2d, batch norm, ReLU/tanh/sigmoid, pooling, flatten and +")


def _module_node(module: nn.Module, inputs: list[int]) -> dict:
    if isinstance(module, nn.Linear):
        bias = _array(module.bias) if module.bias is not None else np.zeros(module.out_features)
        return {"op": "linear", "inputs": inputs, "weight": _array(module.weight), "bias": bias}
    if isinstance(module, nn.Conv2d):
        if module.groups != 1 or module.padding_mode != "zeros" or isinstance(module.padding, str):
            raise ExportError(f"{module}: only groups=1, zero padding given as numbers can be exported")
        bias = _array(module.bias) if module.bias is not None else np.zeros(module.out_channels)
        return {"op": "conv2d", "inputs": inputs, "weight": _array(module.weight), "bias": bias,
                "stride": _pair(module.stride), "padding": _pair(module.padding),
                "dilation": _pair(module.dilation)}
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        if module.running_mean is None:
            raise ExportError(f"{module}: batch norm without running statistics cannot be exported")
        c = module.num_features
        weight = _array(module.weight) if module.affine else np.ones(c)
        bias = _array(module.bias) if module.affine else np.zeros(c)
        return {"op": "batchnorm", "inputs": inputs, "mean": _array(module.running_mean),
                "var": _array(module.running_var), "weight": weight, "bias": bias, "eps": float(module.eps)}
    for kind, name in _ACTIVATION_MODULES.items():
        if isinstance(module, kind):
            return {"op": name, "inputs": inputs}
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        if getattr(module, "ceil_mode", False) or _pair(getattr(module, "dilation", 1)) != [1, 1]:
            raise ExportError(f"{module}: ceil_mode and dilation cannot be exported")
        stride = module.stride if module.stride is not None else module.kernel_size
        kind = "max_pool2d" if isinstance(module, nn.MaxPool2d) else "avg_pool2d"
        return {"op": kind, "inputs": inputs, "kernel": _pair(module.kernel_size), "stride": _pair(stride),
                "padding": _pair(module.padding)}
    if isinstance(module, nn.AdaptiveAvgPool2d) and _pair(module.output_size) == [1, 1]:
        return {"op": "global_avg_pool", "inputs": inputs}
    if isinstance(module, nn.Flatten):
        if module.end_dim != -1 or module.start_dim not in (1, -3, -2):
            raise ExportError(f"{module}: only flattening everything but the batch can be exported")
        return {"op": "flatten", "inputs": inputs}
    if isinstance(module, _PASS_THROUGH_MODULES):
        return {"op": "identity", "inputs": inputs}
    raise ExportError(f"{type(module).__name__} cannot be exported; use nn.Linear, nn.Conv2d, batch norm, "
                      f"ReLU/tanh/sigmoid, pooling, flatten and +")


# ------------------------------------------------------------------ run (in the grader)


def _checked_array(node: dict, key: str, ndim: int) -> torch.Tensor:
    a = np.asarray(node.get(key), dtype=np.float64)
    if a.ndim != ndim or not np.all(np.isfinite(a)):
        raise ExportError(f"{node['op']}: {key} should be a finite array with {ndim} dimension(s)")
    return torch.from_numpy(a)


def _ints(node: dict, key: str, low: int) -> list[int]:
    value = node.get(key)
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and low <= v <= MAX_INTEGER
                       for v in value)):
        raise ExportError(f"{node['op']}: {key} should be two integers from {low} to {MAX_INTEGER}")
    return [int(v) for v in value]


def parameter_count(exported: dict) -> int:
    """Number of numbers held by the exported network's weights and statistics."""
    keys = ("weight", "bias", "mean", "var")
    return sum(int(np.size(node[k])) for node in exported["nodes"] for k in keys if k in node)


def _apply(node: dict, args: list[torch.Tensor]) -> torch.Tensor:
    op = node["op"]
    x = args[0]
    if op == "linear":
        return F.linear(x, _checked_array(node, "weight", 2), _checked_array(node, "bias", 1))
    if op == "conv2d":
        return F.conv2d(x, _checked_array(node, "weight", 4), _checked_array(node, "bias", 1),
                        stride=_ints(node, "stride", 1), padding=_ints(node, "padding", 0),
                        dilation=_ints(node, "dilation", 1))
    if op == "batchnorm":
        eps = node.get("eps")
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps < 1:
            raise ExportError("batchnorm: eps should be a number in (0, 1)")
        var = _checked_array(node, "var", 1)
        if (var < 0).any():
            raise ExportError("batchnorm: a running variance is negative")
        return F.batch_norm(x, _checked_array(node, "mean", 1), var, _checked_array(node, "weight", 1),
                            _checked_array(node, "bias", 1), training=False, eps=float(eps))
    if op in ACTIVATIONS:
        return ACTIVATIONS[op](x)
    if op in ("max_pool2d", "avg_pool2d"):
        pool = F.max_pool2d if op == "max_pool2d" else F.avg_pool2d
        kernel = _ints(node, "kernel", 1)
        return pool(x, kernel, stride=_ints(node, "stride", 1), padding=_ints(node, "padding", 0))
    if op == "global_avg_pool":
        return F.adaptive_avg_pool2d(x, 1)
    if op == "flatten":
        return x.reshape(len(x), -1)
    if op == "reshape":
        shape = node.get("shape")
        if not isinstance(shape, (list, tuple)) or not all(isinstance(s, int) and s > 0 for s in shape):
            raise ExportError("reshape: shape should be a list of positive integers")
        return x.reshape(len(x), *shape)
    if op == "add":
        return args[0] + args[1]
    if op == "identity":
        return x
    raise ExportError(f"unknown operation {op!r}")


def _check_conv_output(node: dict, x: torch.Tensor) -> None:
    """Refuse a convolution whose output would be larger than MAX_ACTIVATION values per input."""
    weight = np.shape(node.get("weight"))
    if x.ndim != 4 or len(weight) != 4:
        raise ExportError("conv2d: the input should be (n, C, H, W) and the weight (C_out, C_in, kH, kW)")
    stride, padding, dilation = (_ints(node, key, low) for key, low in (("stride", 1), ("padding", 0),
                                                                      ("dilation", 1)))
    sizes = [(n + 2 * p - d * (k - 1) - 1) // s + 1
             for n, k, s, p, d in zip(x.shape[2:], weight[2:], stride, padding, dilation)]
    if weight[0] * max(sizes[0], 0) * max(sizes[1], 0) > MAX_ACTIVATION:
        raise ExportError(f"conv2d: an output of {weight[0]} x {sizes[0]} x {sizes[1]} values per input is "
                          f"larger than the {MAX_ACTIVATION} allowed")


def _arity(op: str) -> int:
    return 2 if op == "add" else 1


def run_exported(exported, X, max_parameters: int = MAX_PARAMETERS) -> np.ndarray:
    """The exported network's outputs (float64 NumPy) on inputs ``X`` of shape ``(n, *input_shape)``.

    Validates everything it reads and raises :class:`ExportError` with a readable message.
    """
    if not isinstance(exported, dict) or exported.get("format") != FORMAT:
        raise ExportError("not an exported model: create it with dlcourse.export.export_model(model, shape)")
    nodes = exported.get("nodes")
    if not isinstance(nodes, list) or not 2 <= len(nodes) <= MAX_NODES or nodes[0] != {"op": "input"}:
        raise ExportError(f"an exported model has an input node and 1 to {MAX_NODES - 1} layers")
    if not all(isinstance(node, dict) and isinstance(node.get("op"), str) for node in nodes):
        raise ExportError("every node of an exported model is a dictionary with an 'op'")
    n_params = parameter_count(exported)
    if n_params > max_parameters:
        raise ExportError(f"the exported model has {n_params} parameters; at most {max_parameters} are allowed")
    values = [torch.as_tensor(np.asarray(X, dtype=np.float64))]
    with torch.no_grad():
        for k, node in enumerate(nodes[1:], start=1):
            inputs = node.get("inputs")
            if (not isinstance(inputs, list) or len(inputs) != _arity(node["op"])
                    or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < k for i in inputs)):
                raise ExportError(f"node {k} ({node['op']}): inputs must name earlier nodes")
            args = [values[i] for i in inputs]
            if node["op"] == "conv2d":
                _check_conv_output(node, args[0])
            try:
                values.append(_apply(node, args))
            except ExportError:
                raise
            except (RuntimeError, ValueError, TypeError) as e:
                raise ExportError(f"node {k} ({node['op']}) failed: {str(e)[:200]}") from None
    output = exported.get("output")
    if not isinstance(output, int) or isinstance(output, bool) or not 0 < output < len(values):
        raise ExportError("the exported model's output should name one of its nodes")
    result = values[output]
    if result.ndim != 2 or not bool(torch.isfinite(result).all()):
        raise ExportError(f"the model should output finite scores of shape (n, classes), got {tuple(result.shape)}")
    return result.numpy()


def exported_predictions(exported, X) -> np.ndarray:
    """Predicted classes (int64) of the exported network for the inputs X."""
    return run_exported(exported, X).argmax(axis=1).astype(np.int64)
