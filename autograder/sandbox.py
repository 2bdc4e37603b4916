"""Run each student kernel in a bubblewrap sandbox, and keep a bad notebook from losing points.

The sandbox (Linux, ``bwrap`` from Debian's ``bubblewrap``):

- no network (own network namespace), own PID/IPC/UTS namespaces, a new session;
- a read-only view of the system (/usr, /etc), the Python installation, the course's
  virtual environment, ``dlcourse/`` and ``data/``, and nothing else: no ``solutions/``,
  ``autograder/`` (oracles, gradebook), other submissions or the instructor's home;
- a private writable copy of the submission as the working folder (copied without
  following links: autograder/vet.py), and a private /tmp;
- when the grader runs as root, a throw-away unprivileged user id, so the limits below
  apply and nothing is root inside;
- limits for the sandbox as a whole where cgroups can be written (autograder/cgroup.py):
  memory, processes and a CPU quota for all its processes together; per process always:
  memory (RLIMIT_DATA), CPU seconds (RLIMIT_CPU), processes (RLIMIT_NPROC), file size.

The kernel talks to the grader over unix sockets (jupyter's ``ipc`` transport) and is
interrupted by a control message (no signals cross the sandbox boundary). Nothing the
kernel can write is later trusted or touched with privilege by the grader: the
connection file lives in a folder the sandbox sees read-only; the sockets' folder is the
sandbox user's only until the kernel has bound them, then the grader takes it back (by
file descriptor) and checks each socket before connecting; the working copy is rebuilt,
never chmod-ed, on a restart; and every removal is by file descriptor (``shutil.rmtree``)
after every process of the sandbox has been killed.

:class:`SandboxedExecute` replaces nbgrader's ``Execute``. It also makes a notebook score
what it earned when things go wrong: a kernel that dies (``os._exit``, a crash, a
limit) or ignores an interrupt after a cell timeout is restarted and the remaining cells
still run; a per-notebook wall-clock limit stops execution, keeping what ran.
"""
from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import stat
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
from traitlets import Bool, Float, Integer

from dlcourse.env import FAST_ENV
from dlcourse.grading import CASES_ENV
from dlcourse.kernel import use_sliced_polls

from .outputs import CappedExecute

from .cgroup import Cgroup, GroupLimits
from .vet import copy_regular_tree

from .nbgrader_cli import ROOT  # noqa: E402
SANDBOX_UID_BASE = 200_000
TIME_LIMIT_MARKER = "dlcourse-sandbox: a time limit was reached"  # read by autograder/grade.py
NOTEBOOK_TIME_MARKER = "dlcourse-sandbox: notebook timing"  # read by autograder/workers.py (the bench)
HOW_TO_INSTALL = ("bubblewrap (the `bwrap` command) is needed to grade untrusted notebooks safely. "
                  "On Debian or Ubuntu: `sudo apt-get install bubblewrap`; on Fedora: `sudo dnf install "
                  "bubblewrap`. Where it cannot run (macOS, Windows), grade only trusted submissions "
                  "with `make grade ARGS=--unsandboxed`.")


class SandboxUnavailable(RuntimeError):
    """Sandboxed grading was asked for but bubblewrap is missing or cannot run here."""


@dataclass
class SandboxLimits:
    memory_mb: int = 4096  # the whole sandbox (cgroup) and each process (RLIMIT_DATA)
    cpu_seconds: int = 900  # each process (RLIMIT_CPU)
    processes: int = 128  # the whole sandbox (cgroup pids) and its user (RLIMIT_NPROC)
    cpus: float = 1.0  # CPU quota of the whole sandbox, in cores (cgroup)
    file_mb: int = 1024  # largest file a process may write (RLIMIT_FSIZE)


@dataclass
class SandboxPlan:
    """What one kernel's sandbox shows: read-only paths, and its private folders."""

    limits: SandboxLimits
    readonly: list[str] = field(default_factory=list)
    uid: int | None = None
    cgroups: bool = True  # bound the sandbox as a whole (falls back to rlimits where impossible)


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


# Enters every hierarchy of the sandbox's cgroup (the paths before "--"), then runs the rest.
ENTER_CGROUP = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


def bwrap_command(kernel_cmd: list[str], plan: SandboxPlan, work: str, run: str, sock: str,
                  extra_ro: list[str], env: dict[str, str], cgroup_procs: list[str] | None = None) -> list[str]:
    """The full command: cgroup entry, bwrap, optional drop to an unprivileged uid, prlimit, the kernel.

    ``run`` (the connection file) is read-only inside; ``sock`` (the kernel's sockets) and
    ``work`` are writable."""
    cmd = ["/bin/sh", "-c", ENTER_CGROUP, "sh", *cgroup_procs, "--"] if cgroup_procs else []
    cmd += ["bwrap", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "lib", "lib64", "sbin"):
        target = os.path.join("/", name)
        if os.path.islink(target):
            cmd += ["--symlink", os.readlink(target), target]
        elif os.path.isdir(target):
            cmd += ["--ro-bind", target, target]
    cmd += ["--perms", "1777", "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev"]
    made = set()
    for path in [*plan.readonly, *extra_ro, work, run, sock]:
        for parent in _ancestors(path):
            if parent not in made and not parent.startswith(("/usr", "/etc", "/proc", "/dev")):
                made.add(parent)
                cmd += ["--perms", "0755", "--dir", parent]
    for path in [*plan.readonly, *extra_ro, run]:
        cmd += ["--ro-bind", path, path]
    cmd += ["--bind", work, work, "--bind", sock, sock, "--chdir", work]
    cmd += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--clearenv"]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    if plan.uid is not None:
        cmd += [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={plan.uid}", f"--regid={plan.uid}",
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]
    lim = plan.limits
    cmd += [shutil.which("prlimit") or "/usr/bin/prlimit", f"--data={lim.memory_mb * 2**20}",
            f"--cpu={lim.cpu_seconds}", f"--nproc={_nproc_limit(plan)}", f"--fsize={lim.file_mb * 2**20}",
            "--"]
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


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def give_tree(path: Path, uid: int) -> None:
    """Make a folder tree the grader just built (of files and folders only) the sandbox user's.

    By file descriptor, never following a link: even a link planted in it changes nothing else."""
    top = os.open(path, _DIR_FLAGS)
    try:
        os.chown(top, uid, uid)
        for _, dirs, files, dir_fd in os.fwalk(dir_fd=top):  # fwalk never follows links
            for name in dirs + files:
                os.chown(name, uid, uid, dir_fd=dir_fd, follow_symlinks=False)
    finally:
        os.close(top)


def take_back_dir(path: Path) -> None:
    """Make a folder the grader's again, no longer writable by the sandbox (by descriptor)."""
    fd = os.open(path, _DIR_FLAGS)
    try:
        os.fchown(fd, os.getuid(), os.getgid())
        os.fchmod(fd, 0o755)
    finally:
        os.close(fd)


def make_readable(path: Path) -> None:
    """Let the sandbox user read a file the grader wrote (0644), by descriptor, never through a link."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        os.fchmod(fd, 0o644)
    finally:
        os.close(fd)


def fresh_dir(path: Path) -> None:
    """Remove a folder tree by file descriptor (never through a link) and make it again, empty."""
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)  # fd-based on Linux: shutil.rmtree.avoids_symlink_attacks
    path.mkdir(mode=0o755)


class SandboxKernelManager(AsyncKernelManager):
    """An ipykernel started inside bubblewrap, reached over unix sockets.

    Its private folder (the grader's, 0700) holds ``run/`` (the connection file; read-only
    in the sandbox), ``sock/`` (the kernel's sockets; the sandbox user's only while the
    kernel starts) and ``work/`` (a fresh copy of the submission's files on every start)."""

    plan: SandboxPlan | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._private = Path(tempfile.mkdtemp(prefix="dlcourse-sandbox-"))
        self._run, self._sock, self._work = (self._private / n for n in ("run", "sock", "work"))
        self._run.mkdir(mode=0o755)
        self.transport = "ipc"
        self.ip = str(self._sock / "kernel")
        self.connection_file = str(self._run / "connection.json")
        self.cgroup: Cgroup | None = None
        self.cgroup_problem = ""

    def _ensure_cgroup(self) -> None:
        if self.cgroup is None and self.plan.cgroups and not self.cgroup_problem:
            lim = self.plan.limits
            try:
                self.cgroup = Cgroup.create(GroupLimits(lim.memory_mb * 2**20, lim.processes, lim.cpus))
            except OSError as e:
                self.cgroup_problem = f"cgroups cannot be used here ({e}); this sandbox has rlimits only"
                self.log.warning(self.cgroup_problem)

    async def _async_pre_start_kernel(self, **kw):
        source = Path(kw.get("cwd") or os.getcwd())
        if self.cgroup is not None:
            self.cgroup.kill_all()  # a restart: nothing of the old sandbox may still run
        self._ensure_cgroup()
        for folder in (self._work, self._sock):  # a restart starts from fresh folders
            fresh_dir(folder)
        copy_regular_tree(source, self._work,
                          skip=lambda name: name.endswith(".ipynb") or name.startswith("."))
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        make_readable(Path(self.connection_file))
        if self.plan.uid is not None:
            give_tree(self._work, self.plan.uid)
            give_tree(self._sock, self.plan.uid)
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
        procs = self.cgroup.procs_files() if self.cgroup else None
        cmd = bwrap_command(kernel_cmd, self.plan, str(self._work), str(self._run), str(self._sock), extra_ro,
                            env, procs)
        kw["cwd"] = str(self._private)
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        return cmd, kw

    async def _async_post_start_kernel(self, **kw):
        await self._seal_sockets()
        await super()._async_post_start_kernel(**kw)

    async def _seal_sockets(self) -> None:
        """Once the kernel has bound its sockets, take their folder back, then check each one.

        Until then nothing connects; afterwards the sandbox can no longer swap a socket for a
        link to some socket of the host, which the grader (root) would otherwise connect to."""
        paths = [Path(f"{self.ip}-{port}") for port in (self.shell_port, self.iopub_port, self.stdin_port,
                                                         self.control_port, self.hb_port)]
        deadline = time.monotonic() + 60
        while not all(p.exists() or p.is_symlink() for p in paths):
            if time.monotonic() > deadline or not await self._async_is_alive():
                break  # a kernel that never starts fails at wait_for_ready, with its reason
            await asyncio.sleep(0.05)
        take_back_dir(self._sock)
        for p in paths:
            try:
                mode = os.lstat(p).st_mode
            except FileNotFoundError:
                continue
            if not stat.S_ISSOCK(mode):
                await self._async_kill_kernel()
                raise RuntimeError(f"the sandbox put something other than a socket at {p.name}")

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
        if restart:
            return
        if self.cgroup is not None:
            self.cgroup.kill_all()
            self.log.info("sandbox usage: %s", json.dumps(self.cgroup.usage()))
            self.cgroup.remove()
            self.cgroup = None
        shutil.rmtree(self._private, ignore_errors=True)  # by file descriptor, after every process is gone


class SandboxedExecute(CappedExecute):
    """nbgrader's Execute (outputs capped: autograder/outputs.py) in a sandbox, surviving dead or hung kernels, with a notebook time limit
    (and waits for kernel messages in short polls: see dlcourse.kernel)."""

    sandbox = Bool(True, help="Run student kernels inside bubblewrap (Linux).").tag(config=True)
    # defaults: SandboxLimits above, the one place the limits are stated
    memory_limit_mb = Integer(SandboxLimits.memory_mb, help="Memory limit of a kernel, in MiB.").tag(config=True)
    cpu_time_limit = Integer(SandboxLimits.cpu_seconds, help="CPU-time limit of a kernel, in seconds."
                             ).tag(config=True)
    process_limit = Integer(SandboxLimits.processes, help="Processes and threads a kernel may run."
                            ).tag(config=True)
    cpus = Float(SandboxLimits.cpus, help="CPU quota of a whole sandbox, in cores (where cgroups can be used)."
                 ).tag(config=True)
    cgroups = Bool(True, help="Bound each sandbox as a whole with a cgroup (memory, processes, CPU); "
                              "where cgroups cannot be written, rlimits only, with a warning."
                   ).tag(config=True)
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
        self._time_limits_hit: list[str] = []
        self._started = self._kernel_ready = self._last_cell_done = time.perf_counter()
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            self.log.info("%s kernel_start=%.3f cells=%.3f", NOTEBOOK_TIME_MARKER,
                          self._kernel_ready - self._started, max(0.0, self._last_cell_done - self._kernel_ready))
            if self._time_limits_hit:  # the driver retries such a notebook alone (autograder/grade.py)
                self.log.warning("%s: %s", TIME_LIMIT_MARKER, "; ".join(sorted(set(self._time_limits_hit))))

    def create_kernel_manager(self):
        km = use_sliced_polls(super().create_kernel_manager())
        if isinstance(km, SandboxKernelManager):
            uid = SANDBOX_UID_BASE + os.getpid() % 100_000 if os.getuid() == 0 else None
            limits = SandboxLimits(self.memory_limit_mb, self.cpu_time_limit, self.process_limit, self.cpus)
            km.plan = SandboxPlan(limits, default_readonly(), uid, self.cgroups)
        return km

    async def async_start_new_kernel_client(self):
        try:
            return await super().async_start_new_kernel_client()
        finally:
            self._kernel_ready = time.perf_counter()

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        remaining = max(1, math.ceil(self._deadline - time.monotonic()))  # up: a timeout reaches the deadline
        return remaining if timeout is None else min(timeout, remaining)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        try:
            return await self._execute_cell_surviving(cell, cell_index, execution_count, store_history)
        finally:
            self._last_cell_done = time.perf_counter()

    async def _execute_cell_surviving(self, cell, cell_index, execution_count, store_history):
        if cell.cell_type != "code":
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if time.monotonic() >= self._deadline:
            self._time_limits_hit.append("notebook time limit")
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
            self._time_limits_hit.append("cell time limit")
            cell.outputs.append(_error("CellTimeout", "the cell ran past its time limit and did not stop "
                                       "when interrupted; the kernel was restarted, so later cells run "
                                       "without what earlier cells defined"))
        await self._restart_kernel()
        return cell

    # nbclient binds the synchronous execute_cell to its own coroutine: rebind it to ours
    execute_cell = run_sync(async_execute_cell)

    async def _async_handle_timeout(self, timeout, cell=None):
        self._time_limits_hit.append("cell time limit")
        return await super()._async_handle_timeout(timeout, cell)

    async def _restart_kernel(self):
        await ensure_async(self.km.restart_kernel(now=True))
        await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])
