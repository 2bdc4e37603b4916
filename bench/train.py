"""Training speed: dlcourse's `fit` against a plain DataLoader loop, and the course time table.

    python bench/train.py [--only train|notebooks] [--repeats N] [--threads N] [--full]

Prints, in one run:
1. samples per second of `dlcourse.train.fit` and of a plain `torch.utils.data.DataLoader`
   loop (TensorDataset, shuffle=True) on an MNIST-1D MLP and a small digits CNN, on the
   CPU and, when PyTorch sees one, on a CUDA GPU (autocast off and on). Both loops get the
   same model (same seed), the same optimizer, batch size, epochs and data, visit each
   sample once per epoch and keep the same statistics (loss and accuracy summed on the
   device, read once per epoch); only the way batches are made differs. On CUDA, `fit`
   keeps the data on the GPU; the DataLoader copies each batch from pinned host memory.
   A third row gives `fit` with its own default optimizer (optimizer=None), as notebooks
   call it. On CUDA a further table gives how busy each loop keeps the GPU
   (the share of the wall time covered by kernels and copies in a profiled run);
2. torch threads 1 against 2 for the MNIST-1D MLP with `fit`;
3. the course time table: every `solutions/*/*.ipynb` run top to bottom with nbclient
   (kernel python3, cwd = its folder), fast mode (DLCOURSE_FAST=1) and, with --full, full
   mode too. A notebook that fails is reported as FAILED with its error; the table goes on.
The last line is a one-line summary.

Timings on a shared machine are noisy, so every measurement is warmed up, repeated
(--repeats), and reported as the median; the two loops of a comparison run back to back
in each repeat (in alternating order) and the ratio is the median of those paired
ratios. `ratio(cpu)` is the same ratio from the process CPU time, which a loaded machine
disturbs less than wall-clock time. Torch is pinned to --threads threads (default 1, as
in CI); notebook kernels get the same setting through OMP_NUM_THREADS/MKL_NUM_THREADS.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from dlcourse import data  # noqa: E402
from dlcourse.train import fit  # noqa: E402


# --------------------------------------------------------------------------- workloads

@dataclass
class Workload:
    name: str
    make_model: Callable[[], nn.Module]
    make_optimizer: Callable[[nn.Module], torch.optim.Optimizer]
    lr: float  # what fit's default optimizer gets (Adam(lr)), the same as make_optimizer
    X: torch.Tensor
    y: torch.Tensor
    batch_size: int
    epochs: int  # per timed run
    resident: dict = field(default_factory=dict, repr=False)  # device -> (X, y) there

    @property
    def samples(self) -> int:
        return self.epochs * len(self.X)

    def on(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """X, y resident on ``device`` (copied once, outside the timed runs)."""
        if device not in self.resident:
            self.resident[device] = (self.X.to(device), self.y.to(device))
        return self.resident[device]


def mnist1d_mlp() -> Workload:
    split = data.mnist1d()  # 4000 training samples of length 40

    def model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(),
                             nn.Linear(100, 10))

    return Workload("mnist1d-mlp", model, lambda m: torch.optim.Adam(m.parameters(), lr=1e-2), 1e-2,
                    torch.as_tensor(split.X_train), torch.as_tensor(split.y_train), batch_size=100, epochs=5)


def digits_cnn() -> Workload:
    """The LeNet-style CNN, optimizer and batch size of the course's CNN notebook (05)."""
    split = data.digits()  # 1347 training images of 8x8

    def model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(64, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    X = torch.as_tensor(split.X_train).reshape(-1, 1, 8, 8)
    return Workload("digits-cnn", model, lambda m: torch.optim.Adam(m.parameters(), lr=5e-3), 5e-3,
                    X, torch.as_tensor(split.y_train), batch_size=32, epochs=3)


# --------------------------------------------------------------------------- the two loops

def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def run_fit(w: Workload, device: torch.device, amp: bool, default_optimizer: bool = False) -> float:
    """One timed `fit` run on data already resident on ``device``; returns the final accuracy."""
    X, y = w.on(device)
    model = w.make_model().to(device)
    opt = None if default_optimizer else w.make_optimizer(model)
    sync(device)
    hist = fit(model, X, y, epochs=w.epochs, batch_size=w.batch_size, optimizer=opt, lr=w.lr,
               device=device, amp=amp, seed=0, progress=False)
    sync(device)
    return hist["accuracy"][-1]


def run_dataloader(w: Workload, device: torch.device, amp: bool) -> float:
    """The plain loop: DataLoader(TensorDataset, shuffle=True), the same statistics as fit."""
    cuda = device.type == "cuda"
    loader = DataLoader(TensorDataset(w.X, w.y), batch_size=w.batch_size, shuffle=True, pin_memory=cuda)
    on_host = device.type == "cpu"
    model = w.make_model().to(device)
    opt = w.make_optimizer(model)
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if amp else contextlib.nullcontext
    n = len(w.X)
    sync(device)
    for _ in range(w.epochs):
        model.train()
        total, correct = torch.zeros((), device=device), torch.zeros((), device=device)
        for xb, yb in loader:
            if not on_host:  # CUDA or MPS: each batch is copied to the device, as usual
                xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
            with autocast():
                out = model(xb)
                loss = F.cross_entropy(out.float() if amp else out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(xb)
            correct += (out.detach().argmax(1) == yb).sum()
        _, acc_epoch = (torch.stack([total, correct.float()]) / n).tolist()  # one read per epoch, like fit
    sync(device)
    return acc_epoch


def timed(fn: Callable[[], float]) -> tuple[float, float, float]:
    """(wall seconds, process CPU seconds, result) of one call, with the garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        return time.perf_counter() - wall, time.process_time() - cpu, result
    finally:
        gc.enable()


@dataclass
class Result:
    label: str
    samples: int
    wall: list[float]
    cpu: list[float]
    acc: float

    @property
    def rate(self) -> float:
        return self.samples / statistics.median(self.wall)

    def spread(self) -> str:
        rates = sorted(self.samples / t for t in self.wall)
        return f"{rates[0] / 1e3:.1f}-{rates[-1] / 1e3:.1f}k"


def compare(runs: dict[str, Callable[[], float]], samples: int, args) -> list[Result]:
    """Warm every run up once, then time them ``args.repeats`` times, interleaved, rotating the
    order. After 3 repeats, a comparison that has taken ``args.budget`` seconds stops early
    (a heavily loaded machine can make a run many times slower than usual)."""
    labels = list(runs)
    start = time.perf_counter()
    for label in labels:
        runs[label]()
    results = {label: Result(label, samples, [], [], 0.0) for label in labels}
    for r in range(args.repeats):
        if r >= 3 and time.perf_counter() - start > args.budget:
            print(f"    (stopped after {r} of {args.repeats} repeats: over the {args.budget:.0f} s budget)")
            break
        k = r % len(labels)
        for label in labels[k:] + labels[:k]:
            wall, cpu, acc = timed(runs[label])
            res = results[label]
            res.wall.append(wall)
            res.cpu.append(cpu)
            res.acc = acc
    return list(results.values())


def paired_ratio(a: Result, b: Result, attr: str = "wall") -> float:
    """Median over repeats of b's time / a's time: how many times faster a is than b."""
    return statistics.median(tb / ta for ta, tb in zip(getattr(a, attr), getattr(b, attr)))


def print_rows(results: list[Result], baseline: Result) -> None:
    for res in results:
        ratio = "" if res is baseline else \
            f"{paired_ratio(res, baseline):6.2f}x {paired_ratio(res, baseline, 'cpu'):9.2f}x"
        print(f"    {res.label:34s} {res.rate:10.0f} {res.spread():>13s} {res.acc:6.3f}  {ratio}")


def contenders(w: Workload, device: torch.device, amp: bool) -> dict[str, Callable[[], float]]:
    """The baseline first: the ratios are against it."""
    return {
        "DataLoader loop": lambda: run_dataloader(w, device, amp),
        "fit (same optimizer)": lambda: run_fit(w, device, amp),
        "fit (optimizer=None, its default)": lambda: run_fit(w, device, amp, default_optimizer=True),
    }


def train_benchmarks(args, devices: list[torch.device] | None = None) -> list[dict]:
    """Print fit against the DataLoader loop on each device (CUDA: autocast off and on); return
    one row per contender: workload, device, amp, label, samples/s, ratios to the DataLoader loop."""
    rows: list[dict] = []
    workloads = [mnist1d_mlp(), digits_cnn()]
    if devices is None:
        devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(f"\n== fit vs DataLoader: median of {args.repeats} timed runs after a warm-up; "
          f"ratio = ours/DataLoader speed")
    print(f"    {'':34s} {'samples/s':>10s} {'range':>13s} {'acc':>6s}  {'ratio':>7s} {'ratio(cpu)':>10s}")
    for w in workloads:
        for device in devices:
            for amp in ([False, True] if device.type == "cuda" else [False]):
                cuda = device.type == "cuda"
                where = device.type + (f", autocast {'on' if amp else 'off'}" if cuda else "")
                print(f"  {w.name} on {where} ({len(w.X)} samples x {w.epochs} epochs, "
                      f"batch {w.batch_size})", flush=True)
                results = compare(contenders(w, device, amp), w.samples, args)
                print_rows(results, results[0])
                rows += [{"workload": w.name, "device": device.type, "amp": amp, "label": r.label,
                          "samples_per_s": r.rate, "accuracy": r.acc,
                          "ratio": 1.0 if r is results[0] else paired_ratio(r, results[0]),
                          "ratio_cpu": 1.0 if r is results[0] else paired_ratio(r, results[0], "cpu")}
                         for r in results]
    return rows


def ratio_summary(rows: list[dict]) -> dict[str, str]:
    """'workload device[ amp]' -> fit's speed-up over the DataLoader loop, as printed in summaries."""
    return {f"{r['workload']} {r['device']}" + (" amp" if r["amp"] else ""): f"{r['ratio']:.2f}x"
            for r in rows if r["label"] == "fit (same optimizer)"}


def busy_fraction(intervals: list[tuple[float, float]], wall: float) -> float:
    """Fraction of ``wall`` covered by the union of (start, end) intervals (same unit), at most 1."""
    covered, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            covered += end - max(start, reach)
            reach = end
    return min(1.0, covered / wall) if wall > 0 else 0.0


def gpu_utilisation(args, device: torch.device) -> list[dict]:
    """How busy each loop keeps the GPU: samples/s from an unprofiled run, and the share of that
    run's wall time during which the GPU executed kernels or copies (the union of the device
    intervals that torch.profiler records in a second, profiled run). The rest is time the GPU
    waits on the host (Python, launches, data loading)."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    rows = []
    print("\n== GPU busy: share of the wall time the GPU executes kernels or copies "
          "(profiler); the rest it waits on the host")
    print(f"    {'':44s} {'samples/s':>10s} {'GPU busy':>9s} {'waits':>7s}")
    for w in [mnist1d_mlp(), digits_cnn()]:
        for amp in (False, True):
            for label, run in contenders(w, device, amp).items():
                if label.startswith("fit (optimizer=None"):
                    continue
                run()  # warm-up
                wall = statistics.median(timed(run)[0] for _ in range(3))
                with warnings.catch_warnings(), \
                        profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
                    warnings.filterwarnings("ignore", message=".*clears events at the end of each cycle")
                    run()
                spans = [(e.time_range.start, e.time_range.end) for e in prof.events()
                         if e.device_type == DeviceType.CUDA]
                busy = busy_fraction(spans, wall * 1e6)
                name = f"{w.name}, autocast {'on' if amp else 'off'}, {label}"
                print(f"    {name:44s} {w.samples / wall:10.0f} {busy:9.1%} {1 - busy:7.1%}", flush=True)
                rows.append({"workload": w.name, "amp": amp, "label": label,
                             "samples_per_s": w.samples / wall, "gpu_busy": busy})
    return rows


def thread_benchmark(args) -> str:
    w = mnist1d_mlp()
    w.epochs = 2  # two threads on a busy machine can be many times slower: keep each run short
    cpu = torch.device("cpu")

    def with_threads(n: int) -> Callable[[], float]:
        def run():
            torch.set_num_threads(n)
            try:
                return run_fit(w, cpu, amp=False)
            finally:
                torch.set_num_threads(args.threads)
        return run

    print(f"\n== torch threads: {w.name} with fit on the CPU ({os.cpu_count()} cores); "
          f"ratio = speed vs 1 thread")
    print(f"  {w.name} ({len(w.X)} samples x {w.epochs} epochs, batch {w.batch_size})", flush=True)
    results = compare({f"fit, {n} torch thread{'s' * (n > 1)}": with_threads(n) for n in (1, 2)},
                      w.samples, args)
    print_rows(results, results[0])
    return f"threads 1 vs 2: 1.00x/{paired_ratio(results[1], results[0]):.2f}x"


# --------------------------------------------------------------------------- notebooks

def notebook_client():
    """nbclient's NotebookClient waiting for kernel messages in short polls (dlcourse.kernel:
    a missed wake-up once made a 50-second notebook report 1825 s, its 1800 s cell limit)."""
    from nbclient import NotebookClient

    from dlcourse.kernel import use_sliced_polls

    class Client(NotebookClient):
        def create_kernel_manager(self):
            return use_sliced_polls(super().create_kernel_manager())

    return Client


def run_notebook(path: Path, fast: bool, threads: int, cell_timeout: int) -> tuple[float, str | None]:
    """Seconds to run ``path`` top to bottom in a fresh python3 kernel, and the error if it failed."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    env = {"MPLBACKEND": "Agg", "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    saved = {k: os.environ.get(k) for k in [*env, "DLCOURSE_FAST"]}
    os.environ.update(env)  # the kernel inherits this process's environment
    if fast:
        os.environ["DLCOURSE_FAST"] = "1"
    else:
        os.environ.pop("DLCOURSE_FAST", None)
    # The kernel's own stderr (a start-up warning; why it died, if it does) goes to a file
    # that is quoted only when the kernel dies.
    with tempfile.TemporaryFile("w+") as kernel_log:
        start = time.perf_counter()
        try:
            nb = nbformat.read(path, as_version=4)
            client = notebook_client()(nb, kernel_name="python3", timeout=cell_timeout,
                                       resources={"metadata": {"path": str(path.parent)}})
            client.execute(stderr=kernel_log)
            return time.perf_counter() - start, None
        except CellExecutionError as e:
            return time.perf_counter() - start, f"{e.ename}: {e.evalue}"
        except Exception as e:  # a timeout, a dead kernel, a notebook that is not JSON: report, go on
            seconds = time.perf_counter() - start
            kernel_log.seek(0)
            lines = [ln for ln in kernel_log.read().splitlines() if ln.strip() and "WARNING" not in ln]
            died = type(e).__name__ == "DeadKernelError" and lines
            return seconds, f"{type(e).__name__}: {e}" + (f" (kernel: {lines[-1]})" if died else "")
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def notebook_table(args) -> str:
    modes = [True, False] if args.full else [True]
    folders = sorted(p for p in (ROOT / "solutions").iterdir() if p.is_dir())
    print(f"\n== course time table: solutions/*/*.ipynb, nbclient, kernel python3, cwd = its folder, "
          f"{args.threads} thread(s)")
    header = "".join(f"{('fast s' if m else 'full s'):>10s}" for m in modes)
    print(f"    {'notebook':44s}{header}")
    totals = {m: 0.0 for m in modes}
    failed = {m: 0 for m in modes}
    ok = {m: 0 for m in modes}
    for folder in folders:
        notebooks = sorted(folder.glob("*.ipynb"))
        if not notebooks:
            print(f"    {folder.name + '/':44s}" + "".join(f"{'MISSING':>10s}" for _ in modes))
            for m in modes:
                failed[m] += 1
            continue
        for nb in notebooks:
            cells, errors = [], []
            for m in modes:
                timeout = args.cell_timeout or (300 if m else 1800)
                seconds, error = run_notebook(nb, m, args.threads, timeout)
                totals[m] += seconds
                if error is None:
                    ok[m] += 1
                    cells.append(f"{seconds:10.1f}")
                else:
                    failed[m] += 1
                    cells.append(f"{'FAILED':>10s}")
                    errors.append(f"{'fast' if m else 'full'} mode, after {seconds:.1f} s: "
                                  f"{' '.join(error.split())[:300]}")
            print(f"    {str(nb.relative_to(ROOT / 'solutions')):44s}{''.join(cells)}", flush=True)
            for error in errors:
                print(f"        FAILED ({error})")
    print(f"    {'total (failed runs included)':44s}" + "".join(f"{totals[m]:10.1f}" for m in modes))
    return ", ".join(f"notebooks {'fast' if m else 'full'} {totals[m]:.0f} s ({ok[m]} ok, {failed[m]} failed)"
                     for m in modes)


# --------------------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["train", "notebooks"], help="run one part only")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per measurement (default 7)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for the comparisons and the notebook kernels (default 1)")
    parser.add_argument("--budget", type=float, default=60,
                        help="seconds after which a comparison stops repeating (at least 3 repeats)")
    parser.add_argument("--full", action="store_true", help="time the notebooks in full mode too (slow)")
    parser.add_argument("--cell-timeout", type=int,
                        help="seconds a notebook cell may take (default 300 in fast mode, as in the "
                             "test suite, 1800 in full mode)")
    args = parser.parse_args()
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be at least 1")

    torch.set_num_threads(args.threads)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    print(f"torch {torch.__version__}, {os.cpu_count()} cores, load average {load}, CUDA GPU: {gpu}")
    if hasattr(os, "getloadavg") and os.getloadavg()[0] > (os.cpu_count() or 1):
        print(f"note: the load average exceeds the {os.cpu_count()} cores: other work competes for the "
              f"CPU, so timings are slower and noisier than on an idle machine (ratios hold up best)")
    print(f"torch threads: {torch.get_num_threads()} (torch.set_num_threads({args.threads}), --threads), "
          f"interop threads: {torch.get_num_interop_threads()}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")

    parts: list[str] = []
    if args.only in (None, "train"):
        ratios = ratio_summary(train_benchmarks(args))
        parts += [f"{k} {v}" for k, v in ratios.items()]
        if torch.cuda.is_available():
            gpu_utilisation(args, torch.device("cuda"))
        parts.append(thread_benchmark(args))
    if args.only in (None, "notebooks"):
        parts.append(notebook_table(args))
    print("\nsummary: " + ", ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
