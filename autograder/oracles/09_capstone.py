"""Oracle for 09-capstone: the contracts of the loop's pieces, checked as invariants, and the
final model run by the grader on MNIST-1D generated from a seed only the grader knows.

The split and the batches may be drawn with any generator, so they are judged by what the
exercise states (sizes, disjointness, coverage, a shuffle), not against one reference draw;
the early-stopping step has one right answer and is recomputed here.
"""
import math

import numpy as np

from autograder.oracle import Case, Exercise, choice, estimate, index_array, unpack
from autograder.trained_model import check_exported_mnist1d, fresh_mnist1d_cases

FINAL_MODEL_THRESHOLD = 0.80  # the exercise and its self-check state it; careful recipes reach 0.88-0.92, careless ones 0.30-0.72


def _looks_unshuffled(idx: np.ndarray, n: int) -> str | None:
    """Why a subset of size k of 0..n-1 is evidently not random (one block, or evenly spaced), else None."""
    k = len(idx)
    if k < 20 or n - k < 20:
        return None
    s = np.sort(idx)
    if s[-1] - s[0] + 1 == k:
        return f"the validation indices are one block ({s[0]}..{s[-1]}): draw them at random"
    if len(set(np.diff(s).tolist())) == 1:
        return "the validation indices are evenly spaced: draw them at random"
    return None


# -- 1. validation split -------------------------------------------------------------------

def split_cases(rng):
    cases = []
    for _ in range(8):
        n = int(rng.integers(1, 3000))
        cases.append(Case((n, float(rng.choice([0.1, 0.15, 0.2, 0.25, 0.3, 0.5])), int(rng.integers(0, 10_000)))))
    cases.append(Case((4000, 0.2, int(rng.integers(0, 100))), note="the notebook's pool: 4000 examples, 20 %"))
    cases.append(Case((10, 0.25, 3), note="n = 10, val_fraction = 0.25: round(2.5) = 2 (halves go to even)"))
    cases.append(Case((7, 0.0, 5), note="val_fraction = 0: no validation index"))
    cases.append(Case((1, 0.2, 0), note="a single sample: it goes to training"))
    return cases


def check_split(case, got):
    n, val_fraction, _ = case.args
    train, val = (index_array(part, name) for part, name in zip(unpack(got, 2, "validation_split"),
                                                                  ("train_idx", "val_idx")))
    n_val = round(val_fraction * n)
    if len(val) != n_val:
        return f"val_idx should hold round({val_fraction} * {n}) = {n_val} indices, got {len(val)}"
    both = np.concatenate([train, val])
    if len(set(train.tolist()) & set(val.tolist())):
        return "train_idx and val_idx share indices"
    if len(both) != n or not np.array_equal(np.sort(both), np.arange(n)):
        return f"train_idx and val_idx together should hold every index 0..{n - 1} exactly once"
    return _looks_unshuffled(val, n)


# -- 2. batch indices ----------------------------------------------------------------------

def batch_cases(rng):
    cases = []
    for _ in range(8):
        n, b = int(rng.integers(1, 2000)), int(rng.choice([1, 7, 32, 64, 100, 128, 500]))
        cases.append(Case((n, b, int(rng.integers(0, 10_000)))))
    cases.append(Case((3200, 100, int(rng.integers(0, 100))), note="the notebook's training set, batches of 100"))
    cases.append(Case((10, 4, 1), note="n = 10, batch_size = 4: batches of 4, 4 and 2"))
    cases.append(Case((12, 4, 2), note="n = 12, batch_size = 4: three full batches"))
    cases.append(Case((3, 8, 0), note="batch_size > n: a single batch of 3"))
    return cases


def check_batches(case, got):
    n, batch_size, _ = case.args
    if not isinstance(got, (list, tuple)):
        return f"batch_indices should return a list of index tensors, got {type(got).__name__}"
    batches = [index_array(b, f"batch {i}") for i, b in enumerate(got)]
    expected = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    sizes = [len(b) for b in batches]
    if sizes != expected:
        shown = sizes if len(sizes) <= 8 else sizes[:4] + ["..."] + sizes[-2:]
        return (f"n = {n}, batch_size = {batch_size}: expected {len(expected)} batches of {batch_size} "
                f"(the last holding the remainder {n % batch_size or batch_size}), got sizes {shown}")
    order = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
    if not np.array_equal(np.sort(order), np.arange(n)):
        return f"together the batches should hold every index 0..{n - 1} exactly once"
    if n >= 20 and np.array_equal(order, np.arange(n)):
        return "the indices are in sorted order: shuffle them (a random permutation) before cutting the batches"
    return None


# -- 3. one step of early stopping ----------------------------------------------------------

def reference_update(state, val_accuracy, patience, min_delta=0.0):
    new = dict(state)
    improved = val_accuracy > state["best"] + min_delta
    if improved:
        new.update(best=float(val_accuracy), best_epoch=state["epoch"], bad_epochs=0)
    else:
        new["bad_epochs"] = state["bad_epochs"] + 1
    new["epoch"] = state["epoch"] + 1
    return new, bool(improved), patience is not None and new["bad_epochs"] >= patience


def early_cases(rng):
    cases = []
    for _ in range(10):
        epoch = int(rng.integers(1, 60))
        best_epoch = int(rng.integers(0, epoch))
        state = {"epoch": epoch, "best": float(np.round(rng.uniform(0.3, 0.95), 3)), "best_epoch": best_epoch,
                 "bad_epochs": epoch - 1 - best_epoch}
        acc = float(np.round(state["best"] + rng.uniform(-0.05, 0.05), 3))
        kwargs = {"min_delta": float(rng.choice([0.0, 0.005, 0.01]))} if rng.uniform() < 0.5 else {}
        cases.append(Case((state, acc, int(rng.integers(1, 12))), kwargs))
    first = {"epoch": 0, "best": -math.inf, "best_epoch": -1, "bad_epochs": 0}
    cases.append(Case((first, 0.1, 3), note="the first epoch always improves on -inf"))
    tie = {"epoch": 5, "best": 0.75, "best_epoch": 2, "bad_epochs": 2}
    cases.append(Case((tie, 0.75, 3), note="a tie is no improvement: with patience 3 this epoch stops"))
    cases.append(Case((tie, 0.755, 3), {"min_delta": 0.01}, note="an improvement smaller than min_delta does not count"))
    cases.append(Case(({"epoch": 9, "best": 0.6, "best_epoch": 0, "bad_epochs": 8}, 0.2, None),
                      note="patience=None never stops"))
    cases.append(Case(({"epoch": 9, "best": 0.6, "best_epoch": 0, "bad_epochs": 8}, 0.61, 2),
                      note="an improvement resets the count, even past the patience"))
    return cases


def check_early(case, got):
    new, improved, stop = unpack(got, 3, "early_stopping_update")
    ref, ref_improved, ref_stop = reference_update(*case.args, **case.kwargs)
    if not isinstance(new, dict) or sorted(new) != sorted(ref):
        keys = sorted(new) if isinstance(new, dict) else type(new).__name__
        return f"new_state should be a dict with the keys {sorted(ref)}, got {keys}"
    if not isinstance(improved, bool) or not isinstance(stop, bool):
        return "improved and stop should be Python bools (bool(...))"
    if improved != ref_improved:
        return (f"improved: expected {ref_improved}, got {improved} (an epoch improves only when its accuracy "
                f"exceeds best + min_delta)")
    for key in ("epoch", "best_epoch", "bad_epochs"):
        value = new[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != ref[key]:
            return f"new_state[{key!r}]: expected {ref[key]}, got {value!r}"
    try:
        best = float(new["best"])
    except (TypeError, ValueError):
        return "new_state['best'] should be a number"
    if not math.isclose(best, ref["best"], rel_tol=1e-9, abs_tol=1e-12):
        return f"new_state['best']: expected {ref['best']}, got {best}"
    if stop != ref_stop:
        return f"stop: expected {ref_stop}, got {stop} (stop when bad_epochs >= patience; never with patience=None)"
    return None


# -- 4. the final model on fresh MNIST-1D ----------------------------------------------------

def check_final_model(case, exported):
    return check_exported_mnist1d(case, exported, FINAL_MODEL_THRESHOLD)


EXERCISES = [
    Exercise("test_validation_split", check_split, split_cases),
    Exercise("test_batch_indices", check_batches, batch_cases),
    Exercise("test_q_eval_mode", choice("c", "in train mode dropout keeps drawing random masks at evaluation, "
                                             "so each call scores a different, thinned network: the accuracy "
                                             "drops and varies from call to call")),
    Exercise("test_early_stopping_update", check_early, early_cases),
    Exercise("test_q_lr", choice("b", "Adam's step is about the learning rate per weight whatever the gradient, "
                                      "so a rate of 0.1 keeps overshooting: the loss falls at first, then stalls "
                                      "high and noisy")),
    Exercise("test_q_val_noise", estimate(0.9, 1.8, "one standard deviation is sqrt(p(1 - p) / n) with "
                                                    "p = 0.85 and n = 800, in percentage points")),
    Exercise("test_q_selection", choice("b", "the best of many noisy validation scores is partly luck: "
                                             "selection biases it upward, so the test accuracy is expected "
                                             "to be a little lower")),
    Exercise("test_final_model", check_final_model, fresh_mnist1d_cases),
]
