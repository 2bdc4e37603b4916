"""Visible self-checks: quick tests a student runs while working.

Each check raises ``AssertionError`` with a message that says what was expected, what
came back, and (where given) a hint about the likely mistake. On success it prints
one line. These checks help; the grade comes from hidden checks run by the grader.
"""
from __future__ import annotations

import numpy as np


class CheckFailed(AssertionError):
    """A self-check failed; the message explains how."""


class NotAnArray(ValueError):
    """An answer that is not numbers (None, a string, a ragged list); the message says which."""


def as_float_array(value, name: str = "result") -> np.ndarray:
    """``value`` (numbers, a nested list, a NumPy array or a torch tensor) as a float64 array."""
    if value is None:
        raise NotAnArray(f"{name} is None: did you forget a `return`?")
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise NotAnArray(f"{name} should be numbers or an array, got {type(value).__name__}") from None


def short_repr(x) -> str:
    """A number as Python writes it (3.0, 7.25; 6 significant digits when that is long), or a
    small array in at most 120 characters, 4 digits after the point."""
    x = np.asarray(x)
    if x.ndim == 0 and x.dtype.kind in "fiub":
        text = repr(x.item())
        return text if len(text) <= 12 else f"{x.item():.6g}"
    text = np.array2string(x, precision=4, threshold=8, edgeitems=2)
    return text if len(text) <= 120 else text[:117] + "..."


def mismatch(got, expected, atol: float = 1e-6, rtol: float = 1e-6, name: str = "result") -> str | None:
    """``None`` when ``got`` matches ``expected`` in shape and value (``np.isclose``), else a
    message naming the first entry that differs. The one comparison rule of the course: the
    self-checks here and the grader's oracles (autograder/oracle.py) both use it."""
    try:
        g = as_float_array(got, name)
    except NotAnArray as e:
        return str(e)
    e = as_float_array(expected, "expected")
    if g.shape != e.shape:
        return f"{name}: expected shape {e.shape}, got {g.shape}"
    bad = ~np.isclose(g, e, atol=atol, rtol=rtol, equal_nan=False)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if g.ndim else ()
        at = f" at index {idx}" if idx else ""
        return (f"{name}: expected {short_repr(e[idx])}{at}, got {short_repr(g[idx])} "
                f"({int(bad.sum())} of {bad.size} entries differ)")
    return None


def _as_array(value, name: str) -> np.ndarray:
    try:
        return as_float_array(value, name)
    except NotAnArray as e:
        raise CheckFailed(str(e)) from None


def _fail(message: str, hint: str | None):
    raise CheckFailed(message + (f"\nHint: {hint}" if hint else ""))


def check_shape(value, shape: tuple, name: str = "result", hint: str | None = None):
    """Fail unless ``value`` has exactly ``shape``."""
    got = tuple(_as_array(value, name).shape)
    if got != tuple(shape):
        _fail(f"{name}: expected shape {tuple(shape)}, got {got}", hint)


def check_close(value, expected, name: str = "result", atol: float = 1e-6, rtol: float = 1e-6,
                hint: str | None = None, quiet: bool = False):
    """Fail unless ``value`` matches ``expected`` in shape and within the tolerances."""
    _as_array(value, name)  # None or not numbers: a CheckFailed that says so
    problem = mismatch(value, expected, atol=atol, rtol=rtol, name=name)
    if problem:
        _fail(problem, hint)
    if not quiet:
        print(f"✔ {name} looks right")


def check_true(condition: bool, message: str, hint: str | None = None):
    """Fail with ``message`` unless ``condition`` holds."""
    if not bool(condition):
        _fail(message, hint)


def passed(what: str = "all self-checks"):
    """Print the closing line of a self-check cell."""
    print(f"✔ {what} passed. The grader runs more cases than these.")


def check_choice(answer, options: str, name: str = "your answer") -> str:
    """The letter of a multiple-choice answer, normalised; fail unless it is one of ``options``.

    ``options`` is a string of the allowed letters, for example ``"abcd"``. This checks only
    the form of the answer: whether it is right is decided by the grader.
    """
    letter = answer.strip().lower() if isinstance(answer, str) else None
    if letter is None or len(letter) != 1 or letter not in options:
        _fail(f"{name} should be one letter of {', '.join(repr(o) for o in options)}, got {answer!r}", None)
    print(f"✔ {name} is one of the options; the grader decides whether it is right")
    return letter


def check_number(answer, name: str = "your prediction") -> float:
    """A numerical prediction as a float; fail unless it is a finite number.

    Only the form is checked here; the grader compares it with the measured value.
    """
    try:
        value = float(answer)
    except (TypeError, ValueError):
        _fail(f"{name} should be a number, got {answer!r}", None)
    if not np.isfinite(value):
        _fail(f"{name} should be a finite number, got {answer!r}", None)
    print(f"✔ {name} is a number; the grader compares it with the true value")
    return value


PROMISES_ENV = "DLCOURSE_PROMISES"


def promised_bounds(at_least: float | None, at_most: float | None) -> str:
    """The bounds of a promise as text: ">= 0.95", "<= 1", ">= 0 and <= 1"."""
    return " and ".join(b for b in (at_least is not None and f">= {at_least:g}",
                                    at_most is not None and f"<= {at_most:g}") if b)


def promise(what: str, value, at_least: float | None = None, at_most: float | None = None):
    """A figure the notebook promises (an accuracy, a return), checked where it is computed.

    Fails with ``CheckFailed`` unless ``at_least <= value <= at_most`` (each bound optional;
    pass ``dlcourse.pick(full, fast)`` for a bound that depends on the mode). When the
    environment variable ``DLCOURSE_PROMISES`` names a file, one JSON line per promise is
    appended to it, kept or not, so ``make gpu-check`` can report every figure a notebook
    promises.
    """
    import json
    import os

    from . import env

    value = float(_as_array(value, what))
    kept = (at_least is None or value >= at_least) and (at_most is None or value <= at_most)
    bounds = promised_bounds(at_least, at_most)
    path = os.environ.get(PROMISES_ENV)
    if path:
        record = {"what": what, "value": value, "at_least": at_least, "at_most": at_most, "kept": kept,
                  "fast": env.fast_mode()}
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    if not kept:
        _fail(f"{what} is {value:.4g}: the notebook promises {bounds}", None)
    print(f"✔ {what}: {value:.4g} (promised {bounds})")
