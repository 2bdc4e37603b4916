"""`make gpu-check` on a machine without a GPU: the one-line exit, and every step rehearsed on the CPU.

The rehearsal (`--device cpu`) runs the same code as a GPU run, minus the CUDA-only
measurements: the unit-test step (whose tests skip here), a notebook with its promises,
the benchmark rows, the report and the JSON. A notebook that breaks a promise or raises
must fail the check, and the report must say which.
"""
import json
import os
import subprocess
import sys

import nbformat
import pytest
import torch

from bench import gpu_check
from bench.train import busy_fraction
from submissions import ROOT

NO_ACCELERATOR = not torch.cuda.is_available() and not gpu_check.available("mps")


def run(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "bench.gpu_check", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.mark.skipif(not NO_ACCELERATOR, reason="this machine has an accelerator: gpu-check would run")
def test_without_a_gpu_it_says_so_in_one_line_and_exits_0(tmp_path):
    proc = run("--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().count("\n") == 0
    assert "sees no CUDA GPU and no Apple MPS device" in proc.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not NO_ACCELERATOR, reason="this machine has an accelerator")
def test_asking_for_a_missing_device_fails():
    proc = run("--device", "cuda")
    assert proc.returncode == 1 and "does not see it" in proc.stdout


def test_cpu_rehearsal_runs_every_step_and_writes_report_and_figures(tmp_path):
    out = tmp_path / "out"
    proc = run("--device", "cpu", "--fast", "--notebooks", "03-backprop", "--repeats", "1", "--jobs", "1",
               "--out", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    figures = json.loads((out / "gpu-check.json").read_text())
    steps = {s["name"]: s for s in figures["steps"]}
    assert figures["ok"] and figures["device"]["device"] == "cpu"
    assert set(steps) == {"unit tests", "benchmark", "notebooks (fast mode)"}
    tests = steps["unit tests"]["figures"]
    assert tests["tests"] >= 7 and tests["skipped"] == tests["tests"]  # all need an accelerator
    [nb] = steps["notebooks (fast mode)"]["figures"]["notebooks"]
    assert nb["notebook"] == "03-backprop" and nb["error"] is None and nb["seconds"] > 0
    assert [(p["what"], p["kept"]) for p in nb["promises"]] == [("NumPy MLP test accuracy", True)]
    rows = steps["benchmark"]["figures"]["rows"]
    assert {(r["workload"], r["label"]) for r in rows} >= {("mnist1d-mlp", "DataLoader loop"),
                                                           ("digits-cnn", "fit (same optimizer)")}
    assert all(r["samples_per_s"] > 0 for r in rows)
    report = (out / "report.txt").read_text()
    assert "gpu-check passed" in report and "NumPy MLP test accuracy" in report
    assert "fit vs DataLoader" in report


def broken_course(root):
    """A solutions/ folder with one notebook that breaks its promise and one that raises."""
    for name, source in {"01-kept": "from dlcourse.checks import promise\npromise('accuracy', 0.99, at_least=0.9)",
                         "02-broken": "from dlcourse.checks import promise\npromise('accuracy', 0.5, at_least=0.9)",
                         "03-raises": "raise ValueError('shape mismatch on the GPU')"}.items():
        (root / name).mkdir(parents=True)
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        nbformat.write(nb, root / name / "nb.ipynb")


def test_a_broken_promise_or_a_failing_notebook_fails_the_check(tmp_path):
    broken_course(tmp_path / "solutions")
    proc = run("--device", "cpu", "--skip", "tests,bench", "--solutions", str(tmp_path / "solutions"),
               "--jobs", "2", "--out", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    figures = json.loads((tmp_path / "out" / "gpu-check.json").read_text())
    notebooks = {n["notebook"]: n for n in figures["steps"][0]["figures"]["notebooks"]}
    assert not figures["ok"]
    assert notebooks["01-kept"]["ok"] and notebooks["01-kept"]["promises"][0]["kept"]
    assert not notebooks["02-broken"]["ok"] and not notebooks["02-broken"]["promises"][0]["kept"]
    assert not notebooks["03-raises"]["ok"] and "shape mismatch on the GPU" in notebooks["03-raises"]["error"]
    report = (tmp_path / "out" / "report.txt").read_text()
    assert "BROKEN accuracy: 0.5 (promised >= 0.9)" in report and "gpu-check FAILED" in report


def test_an_unknown_notebook_folder_is_refused():
    proc = run("--device", "cpu", "--skip", "tests,bench", "--notebooks", "99-nothing")
    assert proc.returncode != 0 and "no notebook folder 99-nothing" in proc.stdout + proc.stderr


@pytest.mark.parametrize("spans, wall, expected", [
    ([], 10, 0.0),
    ([(0, 2), (4, 6)], 10, 0.4),
    ([(0, 5), (1, 3), (4, 8)], 10, 0.8),  # overlapping kernels and copies count once
    ([(0, 30)], 10, 1.0),                 # profiler overhead cannot make it more than busy
])
def test_busy_fraction_is_the_union_of_device_intervals(spans, wall, expected):
    assert busy_fraction(spans, wall) == pytest.approx(expected)
