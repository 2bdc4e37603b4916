"""``make gpu-check``: everything the course promises on a GPU, in one command.

    python -m bench.gpu_check [--device auto|cuda|mps|cpu] [--out DIR] [--jobs N]
                              [--notebooks 05-cnn,07-resnet] [--fast] [--repeats N]
                              [--skip tests,notebooks,bench]

On a machine with a CUDA GPU it

1. prints the device, the torch and CUDA versions and the GPU's memory;
2. runs the accelerator unit tests (``tests/test_gpu.py``: fit on the GPU against fit on
   the CPU, autocast on and off, data resident on the device, one host synchronisation
   per epoch, counted by the profiler and by CUDA's sync debug mode);
3. runs every solution notebook in full mode (``DLCOURSE_DEVICE`` unset, so notebooks pick
   the GPU themselves), ``--jobs`` at a time, and records each notebook's time and every
   figure it promises (``dlcourse.checks.promise``); a broken promise fails the check;
4. runs the benchmark's rows for the device (``bench/train.py``: fit against a DataLoader
   loop, autocast off and on) and how busy each loop keeps the GPU;
5. writes ``report.txt`` (everything printed) and ``gpu-check.json`` (every figure) to
   ``--out`` (default ``artifacts/gpu-check/``), and exits 1 when anything failed.

Without CUDA it runs the same steps on Apple MPS where PyTorch has it (that path has not
been run by the course team: the report says so). With neither it says so in one line and
exits 0, so CI can call it. ``--device cpu`` rehearses every step on the CPU: the tests of
this script use it.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from dlcourse.checks import PROMISES_ENV, promised_bounds  # noqa: E402
from dlcourse.env import DEVICE_ENV, FAST_ENV  # noqa: E402

DEFAULT_OUT = ROOT / "artifacts" / "gpu-check"
UNIT_TESTS = "tests/test_gpu.py"
TIME_LIMIT = 480  # seconds for the whole check (--time-limit): what a short GPU lease allows
UNIT_TEST_TIMEOUT = 180  # seconds for the whole unit-test step, at most
UNTESTED_MPS = "the Apple MPS path has not been run by the course team (no Mac in CI): treat it as untested"


@dataclass
class Step:
    """One step's outcome: ``ok`` is False when anything in it failed; ``figures`` go to the JSON."""

    name: str
    ok: bool
    seconds: float
    summary: str
    figures: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- device

def available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        mps = getattr(torch.backends, "mps", None)
        return bool(mps is not None and mps.is_available())
    return kind == "cpu"


def pick_device(wanted: str) -> torch.device | None:
    """The device to check: ``wanted``, or for ``auto`` CUDA, then MPS; None when there is none."""
    kinds = ["cuda", "mps"] if wanted == "auto" else [wanted]
    return next((torch.device(k) for k in kinds if available(k)), None)


def device_info(device: torch.device) -> dict:
    info = {"device": device.type, "torch": torch.__version__, "python": platform.python_version(),
            "cpu_cores": os.cpu_count()}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info.update(name=props.name, cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                    capability=f"{props.major}.{props.minor}", multiprocessors=props.multi_processor_count,
                    memory_gib=round(props.total_memory / 2**30, 1), bf16=torch.cuda.is_bf16_supported(),
                    driver=_nvidia_smi("driver_version"))
    elif device.type == "mps":
        info.update(name="Apple MPS", note=UNTESTED_MPS)
    else:
        info.update(name=platform.processor() or platform.machine(), note="a rehearsal on the CPU: no GPU figure")
    return info


def _nvidia_smi(query: str) -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={query}", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20)
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def describe(info: dict) -> str:
    if info["device"] == "cuda":
        return (f"{info['name']} (compute capability {info['capability']}, {info['multiprocessors']} SMs, "
                f"{info['memory_gib']} GiB, bf16 {'yes' if info['bf16'] else 'no'}), driver {info['driver']}, "
                f"torch {info['torch']}, CUDA {info['cuda']}, cuDNN {info['cudnn']}, Python {info['python']}, "
                f"{info['cpu_cores']} CPU cores")
    return f"{info['name']}, torch {info['torch']}, Python {info['python']}, {info['cpu_cores']} CPU cores" + \
        (f" ({info['note']})" if info.get("note") else "")


# --------------------------------------------------------------------------- steps

def child_env(**extra: str | None) -> dict[str, str]:
    """This process's environment for a child (a pytest run, a notebook and its kernel): the
    repository importable, one torch thread as in CI, and ``extra`` set (None removes)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env.setdefault("MPLBACKEND", "Agg")
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class Deadline:
    """The whole check's time limit: each step's timeouts are cut to what is left of it."""

    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds

    def left(self, cap: float | None = None) -> float:
        left = max(1.0, self.at - time.monotonic())
        return left if cap is None else min(cap, left)


def unit_tests(out: Path, deadline: Deadline) -> Step:
    """pytest on the accelerator tests; its log and JUnit XML land in ``out``."""
    start = time.perf_counter()
    xml = out / "unit-tests.xml"
    cmd = [sys.executable, "-m", "pytest", UNIT_TESTS, "-q", "-rA", "-s", "-p", "no:cacheprovider",
           "-o", "addopts=", f"--junitxml={xml}"]
    timeout = deadline.left(UNIT_TEST_TIMEOUT)
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=timeout)
        log, rc = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        log, rc = f"{e.stdout or ''}\nTIMEOUT after {timeout:.0f} s", -1
    (out / "unit-tests.log").write_text(log)
    counts = junit_counts(xml) if xml.exists() else {"tests": 0, "failures": 0, "errors": 1, "skipped": 0}
    figures = {**counts, **_figures_printed(log), "returncode": rc}
    ok = rc == 0 and counts["failures"] == counts["errors"] == 0
    passed = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    summary = (f"{passed} passed, {counts['failures'] + counts['errors']} failed, {counts['skipped']} skipped"
               + ("" if ok else f" (see {out.name}/unit-tests.log)"))
    print(log.rstrip()[-4000:])
    return Step("unit tests", ok, time.perf_counter() - start, summary, figures)


def junit_counts(path: Path) -> dict[str, int]:
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    return {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}


def _figures_printed(log: str) -> dict:
    """The figures tests print as ``FIGURE name=value`` lines (counts of copies and syncs)."""
    figures = {}
    for line in log.splitlines():
        if line.startswith("FIGURE ") and "=" in line:
            key, _, value = line[len("FIGURE "):].partition("=")
            figures[key.strip()] = json.loads(value)
    return figures


def notebooks_step(paths: list[Path], jobs: int, fast: bool, device: torch.device, deadline: Deadline) -> Step:
    """Run each notebook in its own process (and kernel), ``jobs`` at a time."""
    start = time.perf_counter()
    mode = "fast" if fast else "full"
    print(f"\n== notebooks, {mode} mode, {jobs} at a time on one {device.type} device "
          f"(times include sharing it), cell output discarded")
    with tempfile.TemporaryDirectory() as scratch, ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda p: run_notebook_process(p, Path(scratch), fast, device, deadline), paths))
    broken = 0
    for r in results:
        kept = sum(p["kept"] for p in r["promises"])
        status = "ok" if r["ok"] else "FAILED"
        print(f"    {r['notebook']:44s} {r['seconds']:7.1f} s  {status:6s} promises kept {kept}/{len(r['promises'])}")
        for p in r["promises"]:
            bound = promised_bounds(p["at_least"], p["at_most"])
            print(f"        {'kept  ' if p['kept'] else 'BROKEN'} {p['what']}: {p['value']:.4g} (promised {bound})")
        if r["error"]:
            print(f"        error: {r['error']}")
        broken += not r["ok"]
    total = sum(r["seconds"] for r in results)
    summary = (f"{len(results) - broken}/{len(results)} notebooks ok, "
               f"{sum(len(r['promises']) for r in results)} promises, {total:.0f} s of notebook time")
    return Step(f"notebooks ({mode} mode)", broken == 0 and bool(results), time.perf_counter() - start, summary,
                {"notebooks": results, "mode": mode, "jobs": jobs})


def run_notebook_process(path: Path, scratch: Path, fast: bool, device: torch.device, deadline: Deadline) -> dict:
    """One notebook in a child process; its promises arrive through the DLCOURSE_PROMISES file."""
    name = path.parent.name
    promises = scratch / f"promises-{name}.jsonl"
    promises.unlink(missing_ok=True)
    env = child_env(**{PROMISES_ENV: str(promises), FAST_ENV: "1" if fast else None,
                       DEVICE_ENV: "cpu" if device.type == "cpu" else None})
    cmd = [sys.executable, "-m", "bench.gpu_check", "--run-notebook", str(path)]
    start, timeout = time.perf_counter(), deadline.left()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        lines = proc.stdout.strip().splitlines()
        result = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else \
            {"seconds": time.perf_counter() - start, "error": f"runner exited {proc.returncode}: "
                                                            f"{' '.join(proc.stderr.split())[-300:]}"}
    except subprocess.TimeoutExpired:
        result = {"seconds": time.perf_counter() - start,
                  "error": f"stopped after {timeout:.0f} s: the check's time limit was reached"}
    records = [json.loads(line) for line in promises.read_text().splitlines()] if promises.exists() else []
    ok = result["error"] is None and all(r["kept"] for r in records)
    return {"notebook": name, "seconds": result["seconds"], "error": result["error"], "ok": ok,
            "promises": records}


def bench_step(args, device: torch.device) -> Step:
    from bench import train as bench_train

    start = time.perf_counter()
    torch.set_num_threads(1)
    rows = bench_train.train_benchmarks(args, [device])
    busy = bench_train.gpu_utilisation(args, device) if device.type == "cuda" else []
    speedups = bench_train.ratio_summary(rows)
    summary = ", ".join(f"{k} {v}" for k, v in speedups.items())
    if busy:
        summary += "; GPU busy " + ", ".join(f"{r['workload']} {'amp ' if r['amp'] else ''}"
                                            f"{'fit' if r['label'].startswith('fit') else 'DataLoader'} "
                                            f"{r['gpu_busy']:.0%}" for r in busy)
    return Step("benchmark", True, time.perf_counter() - start, f"fit vs DataLoader: {summary}",
                {"rows": rows, "gpu_busy": busy})


# --------------------------------------------------------------------------- the run

class Tee(io.TextIOBase):
    """Write to the terminal and keep a copy for report.txt."""

    def __init__(self, stream):
        self.stream, self.copy = stream, io.StringIO()

    def write(self, text):
        self.stream.write(text)
        self.stream.flush()
        return self.copy.write(text)


def guarded(name: str, fn) -> Step:
    """Run a step; an exception inside it fails that step, not the whole check."""
    start = time.perf_counter()
    try:
        return fn()
    except Exception as e:  # report and go on: the other steps' figures still count
        print(f"{name}: {type(e).__name__}: {e}")
        return Step(name, False, time.perf_counter() - start, f"crashed: {type(e).__name__}: {e}")


def run_check(args, device: torch.device) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    begin, deadline = time.perf_counter(), Deadline(args.time_limit)
    tee = Tee(sys.stdout)
    steps: list[Step] = []
    with contextlib.redirect_stdout(tee):
        info = device_info(device)
        print(f"gpu-check on {describe(info)}")
        skip = set(args.skip.split(",")) if args.skip else set()
        if "tests" not in skip:
            print(f"\n== unit tests on the accelerator ({UNIT_TESTS})", flush=True)
            steps.append(guarded("unit tests", lambda: unit_tests(out, deadline)))
        if "bench" not in skip:
            steps.append(guarded("benchmark", lambda: bench_step(args, device)))
        if "notebooks" not in skip:
            paths = notebook_paths(Path(args.solutions), args.notebooks)
            steps.append(guarded("notebooks", lambda: notebooks_step(paths, args.jobs, args.fast, device, deadline)))
        seconds = time.perf_counter() - begin
        ok = all(s.ok for s in steps)
        print(f"\n== gpu-check {'passed' if ok else 'FAILED'} in {seconds:.0f} s on {info.get('name')}")
        for s in steps:
            print(f"    {'ok    ' if s.ok else 'FAILED'} {s.name:22s} {s.seconds:6.0f} s  {s.summary}")
    (out / "report.txt").write_text(tee.copy.getvalue())
    figures = {"ok": ok, "seconds": seconds, "device": info, "steps": [asdict(s) for s in steps]}
    (out / "gpu-check.json").write_text(json.dumps(figures, indent=1, default=str) + "\n")
    print(f"report: {out / 'report.txt'}, figures: {out / 'gpu-check.json'}")
    return 0 if ok else 1


def notebook_paths(solutions: Path, only: str | None) -> list[Path]:
    folders = sorted(p for p in solutions.iterdir() if p.is_dir())
    if only:
        wanted = set(only.split(","))
        unknown = wanted - {f.name for f in folders}
        if unknown:
            raise SystemExit(f"gpu-check: no notebook folder {', '.join(sorted(unknown))} in {solutions}")
        folders = [f for f in folders if f.name in wanted]
    return [nb for f in folders for nb in sorted(f.glob("*.ipynb"))]


def run_one_notebook(path: str) -> int:
    """Child mode: run one notebook, print {"seconds", "error"} as the last line."""
    from bench.train import run_notebook

    seconds, error = run_notebook(Path(path).resolve(), fast=os.environ.get(FAST_ENV) == "1", threads=1,
                                  cell_timeout=TIME_LIMIT)
    print(json.dumps({"seconds": seconds, "error": error}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["auto", "cuda", "mps", "cpu"], default="auto",
                        help="auto: CUDA, else MPS, else say so and exit 0; cpu rehearses the steps")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where report.txt and gpu-check.json go")
    parser.add_argument("--jobs", type=int, default=max(1, min(4, (os.cpu_count() or 1) // 4)),
                        help="notebooks run at once (default: a quarter of the cores, at most 4)")
    parser.add_argument("--notebooks", help="comma-separated solutions/ folders (default: all)")
    parser.add_argument("--solutions", default=str(ROOT / "solutions"), help=argparse.SUPPRESS)
    parser.add_argument("--fast", action="store_true", help="notebooks in fast mode (a quick rehearsal)")
    parser.add_argument("--skip", help="comma-separated steps to leave out: tests, notebooks, bench")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per benchmark row (default 3)")
    parser.add_argument("--budget", type=float, default=30, help=argparse.SUPPRESS)
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT,
                        help=f"seconds for the whole check (default {TIME_LIMIT}); what runs past it fails")
    parser.add_argument("--run-notebook", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_notebook:
        return run_one_notebook(args.run_notebook)
    device = pick_device(args.device)
    if device is None and args.device == "auto":
        print(f"gpu-check: PyTorch {torch.__version__} sees no CUDA GPU and no Apple MPS device here; "
              f"nothing to check (exit 0)")
        return 0
    if device is None:
        print(f"gpu-check: --device {args.device} asked for, but PyTorch {torch.__version__} does not see it")
        return 1
    return run_check(args, device)


if __name__ == "__main__":
    sys.exit(main())
