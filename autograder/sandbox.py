"""Run each student kernel in a bubblewrap sandbox, and keep a bad notebook from losing points.

The sandbox (Linux, ``bwrap`` from Debian's ``bubblewrap``):

- no network (own network namespace), own PID/IPC/UTS namespaces, a new session;
- a read-only view of the system (/usr, /etc), the Python installation, the course's
  virtual environment, ``dlcourse/`` and ``data/``, and nothing else: no ``solutions/``,
  ``autograder/`` (oracles, gradebook), other submissions or the instructor's home;
- a private writable copy of the submission as the working folder, and a private /tmp;
- when the grader runs as root, a throw-away unprivileged user id, so the limits below
  apply and nothing is root inside;
- limits: memory (RLIMIT_DATA), CPU seconds (RLIMIT_CPU), processes (RLIMIT_NPROC).

The kernel talks to the grader over unix sockets (jupyter's ``ipc`` transport) in a
folder shared with the sandbox, and is interrupted by a control message (no signals
cross the sandbox boundary).

:class:`SandboxedExecute` replaces nbgrader's ``Execute``. It also makes a notebook score
what it earned when things go wrong: a kernel that dies (``os._exit``, a crash, a
limit) or ignores an interrupt after a cell timeout is restarted and the remaining cells
still run; a per-notebook wall-clock limit stops execution, keeping what ran.
"""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import zmq
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat import NotebookNode
from traitlets import Bool, Integer

from dlcourse.env import FAST_ENV
from dlcourse.grading import CASES_ENV
from dlcourse.kernel import use_sliced_polls

from .outputs import CappedExecute

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_UID_BASE = 200_000
HOW_TO_INSTALL = ("bubblewrap (the `bwrap` command) is needed to grade untrusted notebooks safely. "
                  "On Debian or Ubuntu: `sudo apt-get install bubblewrap`; on Fedora: `sudo dnf install "
                  "bubblewrap`. Where it cannot run (macOS, Windows), grade only trusted submissions "
                  "with `make grade ARGS=--unsandboxed`.")


class SandboxUnavailable(RuntimeError):
    """Sandboxed grading was asked for but bubblewrap is missing or cannot run here."""


@dataclass
class SandboxLimits:
    memory_mb: int = 4096
    cpu_seconds: int = 900
    processes: int = 128


@dataclass
class SandboxPlan:
    """What one kernel's sandbox shows: read-only paths, and its private folders."""

    limits: SandboxLimits
    readonly: list[str] = field(default_factory=list)
    uid: int | None = None


def bwrap_problem() -> str | None:
    """None when bubblewrap can start a sandbox here, else what is wrong and how to fix it."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return f"bubblewrap is not installed. {HOW_TO_INSTALL}"
    probe = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"bubblewrap is installed but cannot start a sandbox here ({probe.stderr.strip()[:200]}). " \
               f"{HOW_TO_INSTALL}"
    return None


def default_readonly() -> list[str]:
    """Paths a kernel needs to read: the Python installation, the venv, dlcourse, data."""
    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix),
             str(ROOT / "dlcourse"), str(ROOT / "data")}
    return sorted(p for p in paths if os.path.exists(p))


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def bwrap_command(kernel_cmd: list[str], plan: SandboxPlan, work: str, run: str, extra_ro: list[str],
                  env: dict[str, str]) -> list[str]:
    """The full command: bwrap, optional drop to an unprivileged uid, prlimit, the kernel."""
    cmd = ["bwrap", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "lib", "lib64", "sbin"):
        target = os.path.join("/", name)
        if os.path.islink(target):
            cmd += ["--symlink", os.readlink(target), target]
        elif os.path.isdir(target):
            cmd += ["--ro-bind", target, target]
    cmd += ["--perms", "1777", "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
    made = set()
    for path in [*plan.readonly, *extra_ro, work, run]:
        for parent in _ancestors(path):
            if parent not in made and not parent.startswith(("/usr", "/etc", "/proc", "/dev")):
                made.add(parent)
                cmd += ["--perms", "0755", "--dir", parent]
    for path in [*plan.readonly, *extra_ro]:
        cmd += ["--ro-bind", path, path]
    cmd += ["--bind", work, work, "--bind", run, run, "--chdir", work]
    cmd += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    if plan.uid is not None:
        cmd += [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={plan.uid}", f"--regid={plan.uid}",
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]
    lim = plan.limits
    cmd += [shutil.which("prlimit") or "/usr/bin/prlimit", f"--data={lim.memory_mb * 2**20}",
            f"--cpu={lim.cpu_seconds}", f"--nproc={_nproc_limit(plan)}", "--"]
    return cmd + kernel_cmd


def _nproc_limit(plan: SandboxPlan) -> int:
    """RLIMIT_NPROC counts every process of the user: add what a shared uid already runs."""
    if plan.uid is not None:
        return plan.limits.processes
    uid, mine = os.getuid(), 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"Uid:\t{uid}\t" in status.read_text():
                mine += 1
        except OSError:
            continue
    return mine + plan.limits.processes


def _open_up(path: Path) -> None:
    """Let the sandbox's throw-away uid read and write a private folder tree."""
    for p in [path, *path.rglob("*")]:
        p.chmod(0o777 if p.is_dir() else 0o666)


class SandboxKernelManager(AsyncKernelManager):
    """An ipykernel started inside bubblewrap, reached over unix sockets."""

    plan: SandboxPlan | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._private = Path(tempfile.mkdtemp(prefix="dlcourse-sandbox-"))
        self._run = self._private / "run"
        self._run.mkdir()
        self.transport = "ipc"
        self.ip = str(self._run / "kernel")
        self.connection_file = str(self._run / "connection.json")

    async def _async_pre_start_kernel(self, **kw):
        source = Path(kw.get("cwd") or os.getcwd())
        work = self._private / "work"
        shutil.rmtree(work, ignore_errors=True)  # a restart starts from a fresh copy
        shutil.copytree(source, work, ignore=shutil.ignore_patterns("*.ipynb", ".*"))
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        _open_up(self._private)
        env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": "/tmp",
               "MPLBACKEND": "module://matplotlib_inline.backend_inline", "OMP_NUM_THREADS": "1",
               "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
        extra_ro = []
        for key in (FAST_ENV, CASES_ENV, "DLCOURSE_DEVICE", "DLCOURSE_DATA"):
            if os.environ.get(key):
                env[key] = os.environ[key]
        if env.get(CASES_ENV):
            extra_ro.append(os.path.dirname(env[CASES_ENV]))
        if env.get("DLCOURSE_DATA"):
            extra_ro.append(env["DLCOURSE_DATA"])
        cmd = bwrap_command(kernel_cmd, self.plan, str(work), str(self._run), extra_ro, env)
        kw["cwd"] = str(self._private)
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        return cmd, kw

    async def _async_interrupt_kernel(self):
        # Signals to bwrap do not reach the kernel: ask ipykernel to interrupt itself, over a
        # short-lived synchronous socket of our own.
        sock = zmq.Context.instance().socket(zmq.DEALER)
        sock.linger = 2000
        sock.connect(self._make_url("control"))
        self.session.send(sock, self.session.msg("interrupt_request", content={}))
        sock.close()

    interrupt_kernel = _async_interrupt_kernel  # the base class binds its own coroutine by name

    async def _async_cleanup_resources(self, restart: bool = False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._private, ignore_errors=True)


class SandboxedExecute(CappedExecute):
    """nbgrader's Execute (outputs capped: autograder/outputs.py) in a sandbox, surviving dead or hung kernels, with a notebook time limit
    (and waits for kernel messages in short polls: see dlcourse.kernel)."""

    sandbox = Bool(True, help="Run student kernels inside bubblewrap (Linux).").tag(config=True)
    memory_limit_mb = Integer(4096, help="Memory limit of a kernel, in MiB.").tag(config=True)
    cpu_time_limit = Integer(900, help="CPU-time limit of a kernel, in seconds.").tag(config=True)
    process_limit = Integer(128, help="Processes and threads a kernel may run.").tag(config=True)
    notebook_timeout = Integer(1800, help="Wall-clock limit of a whole notebook, in seconds; cells "
                                          "not reached by then are marked as not run.").tag(config=True)
    iopub_timeout = Integer(20, help="Seconds to wait for a cell's last outputs after its reply, and "
                                     "for an interrupted cell to stop before the kernel is restarted "
                                     "(nbclient's 4 s is short on a loaded machine).").tag(config=True)

    def preprocess(self, nb, resources, km=None):
        if self.sandbox:
            problem = bwrap_problem()
            if problem:
                raise SandboxUnavailable(problem)
            self.kernel_manager_class = SandboxKernelManager
        self._deadline = time.monotonic() + self.notebook_timeout
        return super().preprocess(nb, resources, km=km)

    def create_kernel_manager(self):
        km = use_sliced_polls(super().create_kernel_manager())
        if isinstance(km, SandboxKernelManager):
            uid = SANDBOX_UID_BASE + os.getpid() % 100_000 if os.getuid() == 0 else None
            km.plan = SandboxPlan(SandboxLimits(self.memory_limit_mb, self.cpu_time_limit, self.process_limit),
                                  default_readonly(), uid)
        return km

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        remaining = max(1, math.ceil(self._deadline - time.monotonic()))  # up: a timeout reaches the deadline
        return remaining if timeout is None else min(timeout, remaining)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code":
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if time.monotonic() >= self._deadline:
            cell.outputs = [_error("NotebookTimeLimit", f"not run: the notebook reached its "
                                   f"{self.notebook_timeout} s time limit")]
            return cell
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except DeadKernelError:
            cell.outputs.append(_error("KernelDied", "the kernel stopped during this cell (os._exit, a "
                                       "crash, or the memory or CPU-time limit); it was restarted, so "
                                       "later cells run without what earlier cells defined"))
        except CellTimeoutError:
            cell.outputs.append(_error("CellTimeout", "the cell ran past its time limit and did not stop "
                                       "when interrupted; the kernel was restarted, so later cells run "
                                       "without what earlier cells defined"))
        await self._restart_kernel()
        return cell

    # nbclient binds the synchronous execute_cell to its own coroutine: rebind it to ours
    execute_cell = run_sync(async_execute_cell)

    async def _restart_kernel(self):
        await ensure_async(self.km.restart_kernel(now=True))
        await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
