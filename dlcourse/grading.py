"""The probe: how a hidden test hands a student's answers to the grader.

Grading never trusts a verdict computed inside the student's kernel. Instead the
hidden part of a test cell calls :func:`probe` (or :func:`probe_value`), which

1. reads the inputs the grader chose for this run from the JSON file named by
   ``DLCOURSE_CASES`` (fresh random cases each grading run),
2. calls the student's function on each case, and
3. displays the results as plain data under the MIME type :data:`PROBE_MIME`.

The grading process then compares that data with its own oracle (``autograder/``).
Outside grading (no ``DLCOURSE_CASES``), a probe only says it was skipped.

When grading, the kernel never receives the hidden lines themselves: the grader
replaces them with :func:`run_hidden`, which makes the same probe call from
``probes.json`` (see ``autograder/hidden.py``).

The JSON codec below carries numbers, strings, lists, tuples, dicts with string
keys, NumPy arrays and torch tensors; anything else is reported as an error.
"""
from __future__ import annotations

import json
import math
import os
from typing import Any
from collections.abc import Callable

import numpy as np

CASES_ENV = "DLCOURSE_CASES"
PROBES_FILE = "probes.json"  # beside the cases file: which probe each exercise makes, on what name
PROBE_MIME = "application/vnd.dlcourse.probe+json"
MAX_ELEMENTS = 1_000_000  # per array: answers are small, a flood is an error
MAX_ERROR_CHARS = 300


class CodecError(ValueError):
    """A value cannot be carried as plain data."""


def encode(value: Any) -> Any:
    """Turn a value into JSON-safe plain data (tagged dicts for arrays, tuples, dicts)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        return x if math.isfinite(x) else {"__float__": repr(x)}
    if isinstance(value, np.bool_):
        return bool(value)
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        t = value.detach().cpu()
        if t.is_floating_point() and t.element_size() < 4:  # half, bfloat16: NumPy lacks bfloat16
            t = t.float()
        return _encode_array(t.numpy(), torch=True)
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise CodecError("dictionary keys must be strings")
        return {"__dict__": {k: encode(v) for k, v in value.items()}}
    raise CodecError(f"cannot record a {type(value).__name__}: return numbers, arrays, "
                     f"tensors, or tuples/lists/dicts of them")


def _encode_array(a: np.ndarray, torch: bool = False) -> dict:
    """Arrays travel flat, with their shape; non-finite floats as "nan"/"inf"/"-inf"."""
    if a.size > MAX_ELEMENTS:
        raise CodecError(f"array of {a.size} elements is too large to record")
    if a.dtype.kind == "b":
        kind, flat = "bool", a.ravel().tolist()
    elif a.dtype.kind in "iu":
        if a.size and a.dtype.kind == "u" and a.max() > np.iinfo(np.int64).max:
            raise CodecError("unsigned integers beyond the int64 range cannot be recorded")
        kind, flat = "int64", a.astype(np.int64).ravel().tolist()
    elif a.dtype.kind == "f":
        kind = "float32" if a.dtype == np.float32 else "float64"
        flat = [x if math.isfinite(x) else repr(x) for x in a.astype(np.float64).ravel().tolist()]
    else:
        raise CodecError(f"cannot record an array of dtype {a.dtype}")
    return {"__array__": flat, "dtype": kind, "shape": list(a.shape), "torch": torch}


def decode(data: Any, torch_ok: bool = True) -> Any:
    """Inverse of :func:`encode`; strict, so malformed data raises :class:`CodecError`.

    With ``torch_ok=False`` tensors come back as NumPy arrays (the grader's view).
    """
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, torch_ok) for v in data]
    if not isinstance(data, dict) or len(data) == 0:
        raise CodecError(f"unexpected {type(data).__name__} in recorded data")
    if "__float__" in data:
        token = data["__float__"]
        if token not in ("nan", "inf", "-inf"):
            raise CodecError(f"bad float token {token!r}")
        return float(token)
    if "__tuple__" in data:
        return tuple(decode(v, torch_ok) for v in _expect(data["__tuple__"], list))
    if "__dict__" in data:
        return {str(k): decode(v, torch_ok) for k, v in _expect(data["__dict__"], dict).items()}
    if "__array__" in data:
        return _decode_array(data, torch_ok)
    raise CodecError(f"unknown tag in recorded data: {sorted(data)[:3]}")


def _expect(value, kind):
    if not isinstance(value, kind):
        raise CodecError(f"expected a {kind.__name__}, got {type(value).__name__}")
    return value


def _decode_array(data: dict, torch_ok: bool):
    dtype = data.get("dtype")
    if dtype not in ("bool", "int64", "float32", "float64"):
        raise CodecError(f"bad dtype {dtype!r}")
    shape = _expect(data.get("shape"), list)
    if not all(type(n) is int and n >= 0 for n in shape):
        raise CodecError(f"bad array shape {shape!r}")
    if math.prod(shape) > MAX_ELEMENTS:
        raise CodecError("recorded array too large")
    raw = _expect(data["__array__"], list)
    if len(raw) != math.prod(shape):
        raise CodecError(f"array data has {len(raw)} values, its shape {shape} needs {math.prod(shape)}")
    element = {"bool": _bool, "int64": _int64}.get(dtype, _float)
    a = np.array([element(v) for v in raw], dtype=dtype).reshape(shape)
    if data.get("torch") and torch_ok:
        import torch

        return torch.from_numpy(a)
    return a


def _bool(v):
    if type(v) is not bool:
        raise CodecError(f"expected true/false in a bool array, got {v!r}"[:80])
    return v


def _int64(v):
    if type(v) is not int or not -(2**63) <= v < 2**63:
        raise CodecError(f"expected a 64-bit integer in an int array, got {v!r}"[:80])
    return v


def _float(v):
    if isinstance(v, str):
        if v not in ("nan", "inf", "-inf"):
            raise CodecError(f"bad float token {v!r}")
        return float(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise CodecError(f"expected a number in a float array, got {type(v).__name__}")
    return v


def _load_cases(grade_id: str):
    path = os.environ.get(CASES_ENV)
    if not path:
        return None
    with open(path) as f:
        all_cases = json.load(f)
    if grade_id not in all_cases:
        raise KeyError(f"the grader prepared no cases for {grade_id!r}")
    return all_cases[grade_id]


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


def _emit(grade_id: str, results: list):
    from IPython.display import display

    bundle = {PROBE_MIME: {"grade_id": grade_id, "results": results},
              "text/plain": f"[recorded {len(results)} result(s) of {grade_id} for the grader]"}
    display(bundle, raw=True)


def probe(grade_id: str, fn: Callable) -> None:
    """Call ``fn`` on every case the grader prepared for ``grade_id``; record the results.

    A case is ``{"args": [...], "kwargs": {...}}`` in the codec; each call gets freshly
    decoded inputs, so a function that mutates its inputs cannot spoil the next case.
    An exception in one case is recorded (type and message) and the others still run.
    """
    cases = _load_cases(grade_id)
    if cases is None:
        print(f"({grade_id}: hidden checks run only when the grader prepares cases)")
        return
    results = []
    for case in cases:
        try:
            args = decode(case.get("args", []))
            kwargs = decode(case.get("kwargs", {"__dict__": {}}))
            results.append({"value": encode(fn(*args, **kwargs))})
        except Exception as exc:  # noqa: BLE001 - any failure is the student's to see
            results.append({"error": _error_text(exc)})
    _emit(grade_id, results)


def probe_value(grade_id: str, value: Any) -> None:
    """Record one value (gate weights, a trained model's predictions) for the grader."""
    if not os.environ.get(CASES_ENV):
        print(f"({grade_id}: hidden checks run only when the grader prepares cases)")
        return
    try:
        results = [{"value": encode(value)}]
    except Exception as exc:  # noqa: BLE001
        results = [{"error": _error_text(exc)}]
    _emit(grade_id, results)


def run_hidden(grade_id: str) -> None:
    """The hidden part of a test cell as the grader runs it: the probe call listed for ``grade_id``.

    ``probes.json`` (beside the cases file) gives the probe (``probe`` or ``probe_value``) and
    the name of the student's function or value, looked up in the notebook's namespace.
    """
    path = os.environ.get(CASES_ENV)
    if not path:
        print(f"({grade_id}: hidden checks run only when the grader prepares cases)")
        return
    with open(os.path.join(os.path.dirname(path), PROBES_FILE)) as f:
        call = json.load(f)[grade_id]
    import __main__

    namespace = vars(__main__)
    if call["target"] not in namespace:
        raise NameError(f"name {call['target']!r} is not defined")
    record = probe if call["kind"] == "probe" else probe_value
    record(grade_id, namespace[call["target"]])
