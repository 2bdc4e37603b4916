"""Unit tests for dlcourse.grading: the JSON codec and the probe that records answers."""
import json
import math

import IPython.display
import numpy as np
import pytest
import torch

from dlcourse import grading
from dlcourse.grading import CodecError, decode, encode

# --------------------------------------------------------------------------- helpers


def _json_round_trip(value, torch_ok=True):
    """encode -> strict JSON text -> parse -> decode, as the grader sees it."""
    text = json.dumps(encode(value), allow_nan=False)
    return decode(json.loads(text), torch_ok=torch_ok)


EXPECTED_DTYPE = {
    np.dtype(bool): np.dtype(bool),
    np.dtype(np.float32): np.dtype(np.float32),
    np.dtype(np.float64): np.dtype(np.float64),
}


def _assert_same(got, want):
    """Deep equality that is strict about container types and treats NaN as equal to NaN."""
    if isinstance(want, torch.Tensor):
        assert isinstance(got, torch.Tensor), type(got)
        _assert_same_array(got.numpy(), want.detach().cpu().numpy())
    elif isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), type(got)
        _assert_same_array(got, want)
    elif isinstance(want, (bool, np.bool_)):
        assert type(got) is bool and got == bool(want)
    elif isinstance(want, (int, np.integer)):
        assert type(got) is int and got == int(want)
    elif isinstance(want, (float, np.floating)):
        assert type(got) is float
        w = float(want)
        assert (math.isnan(got) and math.isnan(w)) or got == w
    elif want is None or isinstance(want, str):
        assert type(got) is type(want) and got == want
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want), (type(got), type(want))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _assert_same(g, w)
    elif isinstance(want, dict):
        assert type(got) is dict and list(got) == list(want)
        for k in want:
            _assert_same(got[k], want[k])
    else:  # pragma: no cover - test helper misuse
        raise TypeError(type(want))


def _assert_same_array(got, want):
    assert got.shape == want.shape
    if want.dtype in EXPECTED_DTYPE:
        assert got.dtype == EXPECTED_DTYPE[want.dtype]
    elif want.dtype.kind in "iu":
        assert got.dtype.kind in "iu"
    elif want.dtype.kind == "f":
        assert got.dtype.kind == "f"
    # values compared exactly (NaN equals NaN, float16 widens to float64 exactly)
    if want.dtype.kind == "f":
        np.testing.assert_array_equal(got.astype(np.float64), want.astype(np.float64))
    else:
        assert got.tolist() == want.tolist()


# --------------------------------------------------------------------------- codec: round trips

SCALARS = [
    0, 1, -7, 2**62, 2**80, -(2**70),
    0.0, -0.0, 1.5, -3.25, 1e-300, 1.7976931348623157e308, 0.1 + 0.2,
    float("nan"), float("inf"), float("-inf"),
    True, False, None,
    "", "hello", "ünïcödé ✔", "nan", "inf", "__float__",
    np.int8(-3), np.int32(7), np.uint8(200), np.uint64(2**64 - 1), np.int64(-(2**63)),
    np.float32(1.5), np.float64(-2.75), np.float32("nan"), np.float64("-inf"),
    np.bool_(True), np.bool_(False),
]


@pytest.mark.parametrize("value", SCALARS, ids=[repr(v) for v in SCALARS])
def test_scalar_round_trip(value):
    _assert_same(_json_round_trip(value), value)


CONTAINERS = [
    (),
    [],
    {},
    (1, 2.5, "x"),
    [1, [2, [3, [4]]]],
    ((1,), (2, (3,))),
    {"a": 1, "b": (2, [3.0, None]), "c": {"d": "e", "f": float("nan")}},
    [(), [], {}],
    {"__float__": "nan", "__tuple__": [1], "__array__": [], "__dict__": {}},  # user keys that look like tags
    ["__float__", {"dtype": "int64", "shape": [1]}],
    (np.arange(3), [np.float32(2.0), {"t": torch.ones(2)}]),
]


@pytest.mark.parametrize("value", CONTAINERS, ids=[f"c{i}" for i in range(len(CONTAINERS))])
def test_container_round_trip(value):
    _assert_same(_json_round_trip(value), value)


ARRAYS = [
    np.array([True, False, True]),
    np.array([[1, -2], [3, 4]], dtype=np.int8),
    np.array([1, 2, 3], dtype=np.int16),
    np.array([-(2**31), 2**31 - 1], dtype=np.int32),
    np.array([-(2**63), 2**63 - 1], dtype=np.int64),
    np.array([0, 255], dtype=np.uint8),
    np.array([0, 65535], dtype=np.uint16),
    np.array([0, 2**32 - 1], dtype=np.uint32),
    np.array([0, 2**63 - 1], dtype=np.uint64),
    np.array([0.5, -1.25, 6.0e4, 2.0**-24], dtype=np.float16),
    np.array([[0.1, 0.2, 0.3]], dtype=np.float32),
    np.array([0.1, 1e-300, -2.5e300], dtype=np.float64),
    np.array([np.nan, np.inf, -np.inf, 1.0], dtype=np.float64),
    np.array([np.nan, -np.inf], dtype=np.float32),
    np.array(3.5),  # 0-d
    np.array(7, dtype=np.int32),
    np.array(True),
    np.array(np.nan, dtype=np.float32),
    np.zeros((0,)),  # empty
    np.zeros((0, 3), dtype=np.float32),
    np.zeros((2, 0, 4), dtype=np.int64),
    np.zeros((0,), dtype=bool),
    np.arange(24, dtype=np.float64).reshape(2, 3, 4),
    np.arange(12).reshape(3, 4).T,  # non-contiguous
    np.arange(10)[::3],
]


@pytest.mark.parametrize("array", ARRAYS, ids=[f"{a.dtype}-{a.shape}" for a in ARRAYS])
def test_array_round_trip(array):
    got = _json_round_trip(array)
    _assert_same(got, array)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_arrays_are_bit_exact(dtype):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 7)).astype(dtype) * dtype(1e5)
    got = _json_round_trip(a)
    assert got.dtype == a.dtype
    assert got.tobytes() == a.tobytes()


def test_uint64_beyond_int64_is_not_silently_corrupted():
    """A value the int64 wire format cannot hold must be refused, never wrapped around."""
    a = np.array([1, 2**63, 2**64 - 1], dtype=np.uint64)
    try:
        got = _json_round_trip(a)
    except CodecError:
        return
    assert got.tolist() == a.tolist()


TENSORS = [
    torch.tensor([1.0, 2.0, 3.0]),
    torch.tensor([[1.5, -2.0]], dtype=torch.float64),
    torch.tensor([1, 2, 3], dtype=torch.int32),
    torch.tensor([[1, 2], [3, 4]], dtype=torch.int64),
    torch.tensor([True, False]),
    torch.tensor(2.5),  # 0-d
    torch.zeros(0, 2),  # empty
    torch.tensor([float("nan"), float("inf")]),
    torch.tensor([0.5, 0.25], requires_grad=True),
    torch.nn.Parameter(torch.tensor([[0.1, 0.2]])),
    torch.arange(6.0).reshape(2, 3).T,  # non-contiguous
]


@pytest.mark.parametrize("tensor", TENSORS, ids=[f"{t.dtype}-{tuple(t.shape)}" for t in TENSORS])
def test_tensor_round_trip(tensor):
    expected_np = tensor.detach().cpu().numpy()
    back = _json_round_trip(tensor)
    assert isinstance(back, torch.Tensor)
    assert not back.requires_grad
    _assert_same_array(back.numpy(), expected_np)
    if tensor.dtype in (torch.float32, torch.float64, torch.bool, torch.int64):
        assert back.dtype == tensor.dtype
    # the grader's view: plain NumPy
    as_np = _json_round_trip(tensor, torch_ok=False)
    assert isinstance(as_np, np.ndarray)
    _assert_same_array(as_np, expected_np)


def test_tensor_inside_containers():
    value = {"w": torch.ones(2, 2), "pair": (torch.tensor(1), [torch.zeros(1)])}
    back = _json_round_trip(value)
    assert isinstance(back["w"], torch.Tensor)
    assert torch.equal(back["w"], torch.ones(2, 2))
    assert isinstance(back["pair"], tuple)
    assert torch.equal(back["pair"][0], torch.tensor(1))
    plain = _json_round_trip(value, torch_ok=False)
    assert isinstance(plain["w"], np.ndarray)
    assert isinstance(plain["pair"][1][0], np.ndarray)


def test_numpy_arrays_do_not_become_tensors():
    back = _json_round_trip(np.ones(3))
    assert isinstance(back, np.ndarray)


def test_encoded_data_is_plain_json():
    value = {
        "a": np.array([np.nan, np.inf, 1.0]),
        "b": (float("nan"), float("-inf")),
        "t": torch.tensor([[1, 2]]),
        "s": "x",
        "n": None,
        "z": np.float32("inf"),
    }
    encoded = encode(value)
    text = json.dumps(encoded, allow_nan=False)  # no NaN/Infinity tokens

    def walk(x):  # only JSON's own types anywhere
        if isinstance(x, dict):
            assert all(type(k) is str for k in x)
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        else:
            assert x is None or type(x) in (bool, int, float, str), type(x)

    walk(encoded)
    _assert_same(decode(json.loads(text)), value)


# --------------------------------------------------------------------------- codec: refusals


class Custom:
    pass


class AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = None


UNSUPPORTED = [
    Custom(),
    AlwaysEqual(),
    [1, AlwaysEqual()],
    {"k": (Custom(),)},
    np.array([1 + 2j, 3j]),
    np.array(1j),
    1 + 2j,
    np.complex64(1),
    {1: "int key"},
    {("a",): 1},
    {1, 2},
    b"bytes",
    np.array(["a", "b"]),
    np.array([object()], dtype=object),
    np.array(["2020-01-01"], dtype="datetime64[D]"),
    torch.tensor([1 + 1j]),
    lambda: 1,
    np.zeros(grading.MAX_ELEMENTS + 1, dtype=bool),
]


@pytest.mark.parametrize("value", UNSUPPORTED, ids=[f"u{i}" for i in range(len(UNSUPPORTED))])
def test_unsupported_values_raise_codec_error(value):
    with pytest.raises(CodecError):
        encode(value)


def test_codec_error_is_a_value_error():
    assert issubclass(CodecError, ValueError)


def _arr(flat, dtype="float64", shape=None, **extra):
    d = {"__array__": flat, "dtype": dtype, "shape": [len(flat)] if shape is None else shape}
    d.update(extra)
    return d


MALFORMED = {
    "unknown tag": {"__set__": [1, 2]},
    "unknown tag nested": [1, {"__tuple__": [{"__bogus__": 1}]}],
    "empty dict": {},
    "bad float token": {"__float__": "1e9999x"},
    "float token not a string": {"__float__": 1.0},
    "float token other word": {"__float__": "Infinity"},
    "tuple payload not a list": {"__tuple__": {"a": 1}},
    "dict payload not a dict": {"__dict__": [1, 2]},
    "wrong dtype": _arr([1, 2], dtype="complex128"),
    "dtype object": _arr([1, 2], dtype="object"),
    "missing dtype": {"__array__": [1], "shape": [1]},
    "missing shape": {"__array__": [1], "dtype": "int64"},
    "shape not a list": _arr([1, 2], shape=2),
    "shape mismatch": _arr([1.0, 2.0, 3.0], shape=[2, 2]),
    "shape mismatch int": _arr([1, 2, 3, 4, 5], dtype="int64", shape=[2, 2]),
    "payload not a list": {"__array__": "1,2", "dtype": "int64", "shape": [3]},
    "too many elements": _arr([0.0], shape=[grading.MAX_ELEMENTS + 1]),
    "too many elements 2d": _arr([0.0], shape=[100_000, 100_000]),
    "float array with bad string": _arr([1.0, "1e9999x"]),
    "float array with numeric string": _arr(["1.5"]),
    "float array with bool": _arr([1.0, True]),
    "float32 array with bool": _arr([False], dtype="float32"),
    "float array with None": _arr([None]),
    "float array with nested list": _arr([[1.0]], shape=[1]),
    "ragged int array": _arr([[1, 2], [3]], dtype="int64", shape=[3]),
    "conflicting tags": {"__array__": [1], "dtype": "int64", "shape": [1], "torch": False, "__tuple__": 5},
}


@pytest.mark.parametrize("data", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_data_raises_codec_error(data):
    with pytest.raises(CodecError):
        decode(data)


# The decoder is documented as strict ("malformed data raises CodecError"), and it is
# strict about float arrays (strings and bools are refused). These are the same kind of
# malformed data for the other array dtypes and for the shape.
STRICTNESS = {
    "int array with numeric string": _arr(["5"], dtype="int64"),
    "int array with fractional float": _arr([1.5], dtype="int64"),
    "int array with int beyond int64": _arr([2**70], dtype="int64"),
    "bool array with a string": _arr(["x"], dtype="bool"),
    "bool array with a number": _arr([2], dtype="bool"),
    "shape entry a string": _arr([1, 2], dtype="int64", shape=["x"]),
    "shape entry null": _arr([1, 2], dtype="int64", shape=[None]),
    "negative shape entry": _arr([1, 2, 3], dtype="int64", shape=[-1]),
}


@pytest.mark.parametrize("data", list(STRICTNESS.values()), ids=list(STRICTNESS))
def test_decoder_is_strict_for_every_dtype(data):
    with pytest.raises(CodecError):
        decode(data)


@pytest.mark.parametrize("value", [1, 1.5, "s", None, True])
def test_decode_passes_plain_scalars(value):
    assert decode(value) == value


# --------------------------------------------------------------------------- probe

GRADE = "test_f"


@pytest.fixture
def shown(monkeypatch):
    """Capture what grading._emit displays (it imports display inside the function)."""
    calls = []

    def fake_display(*objs, **kwargs):
        calls.append((objs, kwargs))

    monkeypatch.setattr(IPython.display, "display", fake_display)
    return calls


@pytest.fixture
def no_cases(monkeypatch):
    monkeypatch.delenv(grading.CASES_ENV, raising=False)


def _write_cases(tmp_path, monkeypatch, cases, grade_id=GRADE):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({grade_id: cases}, allow_nan=False))
    monkeypatch.setenv(grading.CASES_ENV, str(path))
    return path


def _case(*args, **kwargs):
    return {"args": encode(list(args)), "kwargs": encode(dict(kwargs))}


def _bundle(shown):
    """The one bundle displayed, checked for shape, parsed back through JSON."""
    assert len(shown) == 1, f"expected exactly one display call, got {len(shown)}"
    objs, kwargs = shown[0]
    assert len(objs) == 1
    assert kwargs.get("raw") is True
    bundle = objs[0]
    assert grading.PROBE_MIME in bundle
    assert "text/plain" in bundle
    return json.loads(json.dumps(bundle[grading.PROBE_MIME], allow_nan=False))


def test_probe_without_cases_only_prints(no_cases, shown, capsys):
    called = []
    grading.probe(GRADE, lambda *a: called.append(a))
    out = capsys.readouterr().out
    assert "hidden checks run only" in out
    assert GRADE in out
    assert shown == []
    assert called == []


def test_probe_value_without_cases_only_prints(no_cases, shown, capsys):
    grading.probe_value("gate_and", np.array([1.0, 1.0, -1.5]))
    out = capsys.readouterr().out
    assert "hidden checks run only" in out
    assert shown == []


def test_probe_records_values_against_reference(tmp_path, monkeypatch, shown):
    rng = np.random.default_rng(0)
    inputs = [(rng.normal(size=(3, 2)), rng.normal(size=2), float(rng.normal())) for _ in range(4)]
    _write_cases(tmp_path, monkeypatch, [_case(X, w, b=b) for X, w, b in inputs])

    seen_types = []

    def student(X, w, b=0.0):
        seen_types.append((type(X), type(w), type(b)))
        return X @ w + b

    grading.probe(GRADE, student)
    payload = _bundle(shown)
    assert payload["grade_id"] == GRADE
    results = payload["results"]
    assert len(results) == len(inputs)
    assert seen_types == [(np.ndarray, np.ndarray, float)] * len(inputs)
    for (X, w, b), res in zip(inputs, results):
        assert set(res) == {"value"}
        got = decode(res["value"], torch_ok=False)
        np.testing.assert_allclose(got, np.einsum("ij,j->i", X, w) + b, rtol=1e-12, atol=0)


def test_probe_decodes_tensors_and_containers(tmp_path, monkeypatch, shown):
    _write_cases(tmp_path, monkeypatch, [_case(torch.tensor([[1.0, 2.0]]), (1, "a"), opts={"k": [1, 2]})])
    seen = []

    def student(t, pair, opts):
        seen.append((t, pair, opts))
        return t.sum() * 2, pair[1], opts["k"]

    grading.probe(GRADE, student)
    (t, pair, opts), = seen
    assert isinstance(t, torch.Tensor) and torch.equal(t, torch.tensor([[1.0, 2.0]]))
    assert pair == (1, "a") and isinstance(pair, tuple)
    assert opts == {"k": [1, 2]}
    (res,) = _bundle(shown)["results"]
    value = decode(res["value"], torch_ok=False)
    assert isinstance(value, tuple)
    assert float(value[0]) == 6.0 and value[1] == "a" and value[2] == [1, 2]


def test_probe_records_errors_and_keeps_going(tmp_path, monkeypatch, shown):
    _write_cases(tmp_path, monkeypatch, [_case(1), _case(0), _case(2), _case(-1)])

    def student(x):
        if x == 0:
            raise ZeroDivisionError("division by zero")
        if x < 0:
            raise ValueError("x" * 10_000)
        return 1 / x

    grading.probe(GRADE, student)
    results = _bundle(shown)["results"]
    assert len(results) == 4
    assert results[0] == {"value": 1.0}
    assert set(results[1]) == {"error"}
    assert results[1]["error"].startswith("ZeroDivisionError")
    assert "division by zero" in results[1]["error"]
    assert results[2] == {"value": 0.5}
    assert results[3]["error"].startswith("ValueError")
    assert len(results[3]["error"]) <= grading.MAX_ERROR_CHARS


def test_probe_records_unencodable_return_as_error(tmp_path, monkeypatch, shown):
    _write_cases(tmp_path, monkeypatch, [_case(1), _case(2)])
    grading.probe(GRADE, lambda x: Custom() if x == 1 else x * 10)
    results = _bundle(shown)["results"]
    assert "CodecError" in results[0]["error"]
    assert results[1] == {"value": 20}


def test_probe_malformed_case_is_an_error_not_a_crash(tmp_path, monkeypatch, shown):
    cases = [{"args": [{"__bogus__": 1}], "kwargs": {"__dict__": {}}}, _case(3)]
    _write_cases(tmp_path, monkeypatch, cases)
    grading.probe(GRADE, lambda x: x + 1)
    results = _bundle(shown)["results"]
    assert set(results[0]) == {"error"}
    assert results[1] == {"value": 4}


def test_probe_defaults_for_missing_args_and_kwargs(tmp_path, monkeypatch, shown):
    _write_cases(tmp_path, monkeypatch, [{}, {"args": [5]}])
    grading.probe(GRADE, lambda x=7: x * 2)
    results = _bundle(shown)["results"]
    assert results == [{"value": 14}, {"value": 10}]


def test_probe_passes_fresh_copies(tmp_path, monkeypatch, shown):
    same = _case([1, 2, 3], np.array([1.0, 2.0]), {"d": [0]})
    _write_cases(tmp_path, monkeypatch, [same, same, same])

    def mutating_student(lst, arr, d):
        out = (len(lst), float(arr.sum()), len(d["d"]))
        lst.append(99)
        arr += 100.0
        d["d"].append(1)
        return out

    grading.probe(GRADE, mutating_student)
    results = [decode(r["value"]) for r in _bundle(shown)["results"]]
    assert results == [(3, 3.0, 1)] * 3


def test_probe_records_value_at_call_time(tmp_path, monkeypatch, shown):
    """A later case mutating an earlier case's returned object does not change its record."""
    _write_cases(tmp_path, monkeypatch, [_case([1]), _case([2])])
    kept = []

    def student(lst):
        for old in kept:
            old.append("later")
        kept.append(lst)
        return lst

    grading.probe(GRADE, student)
    results = [decode(r["value"]) for r in _bundle(shown)["results"]]
    assert results == [[1], [2]]


def test_probe_unknown_grade_id(tmp_path, monkeypatch, shown):
    _write_cases(tmp_path, monkeypatch, [_case(1)], grade_id="other")
    with pytest.raises(KeyError):
        grading.probe(GRADE, lambda x: x)
    assert shown == []


def test_probe_text_plain_summary(tmp_path, monkeypatch, shown):
    _write_cases(tmp_path, monkeypatch, [_case(1), _case(2)])
    grading.probe(GRADE, lambda x: x)
    bundle = shown[0][0][0]
    assert GRADE in bundle["text/plain"]
    assert "2" in bundle["text/plain"]


@pytest.mark.parametrize(
    "value",
    [np.array([1.0, -1.0, 0.5]), (torch.tensor([0.5]), 3), {"w": [1, 2]}, float("nan"), None],
    ids=["array", "tuple", "dict", "nan", "none"],
)
def test_probe_value_records_one_value(tmp_path, monkeypatch, shown, value):
    _write_cases(tmp_path, monkeypatch, [], grade_id="unused")
    grading.probe_value("gate_and", value)
    payload = _bundle(shown)
    assert payload["grade_id"] == "gate_and"
    (res,) = payload["results"]
    assert set(res) == {"value"}
    back = decode(res["value"])
    if isinstance(value, tuple):
        assert isinstance(back, tuple) and torch.equal(back[0], value[0]) and back[1] == 3
    else:
        _assert_same(back, value)


def test_probe_value_records_an_error(tmp_path, monkeypatch, shown):
    _write_cases(tmp_path, monkeypatch, [], grade_id="unused")
    grading.probe_value("gate_and", AlwaysEqual())
    (res,) = _bundle(shown)["results"]
    assert set(res) == {"error"}
    assert res["error"].startswith("CodecError")
