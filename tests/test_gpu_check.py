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
from types import SimpleNamespace

import nbformat
import pytest
import torch

from bench import gpu_check
from bench.train import busy_fraction
from hardware import fake_hardware
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


# --------------------------------------------------------------------------- GPU branches, mocked
# Where no GPU is at hand, these prove what the GPU branches do with what CUDA reports: the
# device chosen, the report's header, and which profiler events count as GPU work.

@pytest.mark.parametrize("cuda, mps, wanted, expected", [
    (True, True, "auto", "cuda"), (False, True, "auto", "mps"), (False, False, "auto", None),
    (True, False, "mps", None), (False, False, "cpu", "cpu")])
def test_device_preference(monkeypatch, cuda, mps, wanted, expected):
    fake_hardware(monkeypatch, cuda, mps)
    device = gpu_check.pick_device(wanted)
    assert (device.type if device else None) == expected


def test_cuda_report_header(monkeypatch):
    props = SimpleNamespace(name="NVIDIA H100 80GB HBM3", major=9, minor=0, multi_processor_count=132,
                            total_memory=81559 * 2**20)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda _d: props)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    monkeypatch.setattr(gpu_check, "_nvidia_smi", lambda _q: "580.159.04")
    info = gpu_check.device_info(torch.device("cuda"))
    assert info["memory_gib"] == 79.6 and info["capability"] == "9.0" and info["bf16"]
    text = gpu_check.describe(info)
    assert text.startswith("NVIDIA H100 80GB HBM3 (compute capability 9.0, 132 SMs, 79.6 GiB, bf16 yes)")
    assert "driver 580.159.04" in text and "CUDA 13.0" in text


def test_gpu_busy_counts_only_device_events(monkeypatch, capsys):
    """Kernels and copies (CUDA events) count, host-side operator events do not: a run of
    10 ms wall time with 4 ms of (partly overlapping) GPU work is 40 % busy."""
    from torch.autograd import DeviceType

    from bench import train as bench_train

    def event(device_type, start, end):
        return SimpleNamespace(device_type=device_type, time_range=SimpleNamespace(start=start, end=end))

    class FakeProfile:
        def __init__(self, activities):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def events(self):
            return [event(DeviceType.CPU, 0, 10_000), event(DeviceType.CUDA, 1_000, 3_000),
                    event(DeviceType.CUDA, 2_000, 4_000), event(DeviceType.CUDA, 7_000, 8_000)]

    monkeypatch.setattr("torch.profiler.profile", FakeProfile)
    monkeypatch.setattr(bench_train, "timed", lambda fn: (0.010, 0.010, fn()))
    monkeypatch.setattr(bench_train, "contenders", lambda w, d, amp: {"DataLoader loop": lambda: 0.9,
                                                                       "fit (same optimizer)": lambda: 0.9})
    rows = bench_train.gpu_utilisation(SimpleNamespace(), torch.device("cuda"))
    assert len(rows) == 2 * 2 * 2  # two workloads, autocast off and on, two loops
    assert all(r["gpu_busy"] == pytest.approx(0.4) for r in rows)
    assert "40.0%" in capsys.readouterr().out


def test_the_whole_check_stops_at_its_time_limit(tmp_path):
    (tmp_path / "solutions" / "01-slow").mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import time\ntime.sleep(600)")])
    nbformat.write(nb, tmp_path / "solutions" / "01-slow" / "nb.ipynb")
    proc = run("--device", "cpu", "--skip", "tests,bench", "--solutions", str(tmp_path / "solutions"),
               "--time-limit", "12", "--out", str(tmp_path / "out"), timeout=120)
    assert proc.returncode == 1
    [nb] = json.loads((tmp_path / "out" / "gpu-check.json").read_text())["steps"][0]["figures"]["notebooks"]
    assert "time limit" in nb["error"] and nb["seconds"] < 30
