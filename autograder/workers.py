"""Warm graders: long-lived grading workers that autograde submission after submission.

One ``nbgrader autograde`` process per submission pays, every time, for starting Python and
nbgrader, importing torch for the oracles and exiting: about 7 s beside a notebook of 14 s.
A :class:`WarmPool` starts ``jobs`` workers once (``python -m autograder.workers``); each
imports nbgrader, torch and the oracles once, then runs nbgrader's autograde app in its own
process for each submission it is sent, exactly as the command line would (same
configuration, same preprocessors).

Isolation is unchanged: the worker is the grader, never the student's kernel. Every
submission still runs in its own fresh kernel, started in its own bubblewrap sandbox with
its own limits and cgroup by :class:`autograder.sandbox.SandboxedExecute`, and torn down
when that submission is done; no kernel is ever reused.

A worker that dies (killed, crashed) or stops answering within the job's time limit is
killed with everything it started, replaced by a fresh one, and its submission is sent
once more; when that fails too, :class:`WorkerLost` says why, and the caller reports the
submission as failed with that reason (a grade is never silently dropped).

Both ways of running nbgrader (:class:`WarmPool`, and :class:`ColdRunner`: one process per
submission, as before) record a :class:`JobTiming` per submission in :data:`TIMINGS`, for
``make bench-grading``'s cost breakdown.
"""
from __future__ import annotations

import io
import json
import os
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from .nbgrader_cli import ROOT, nbgrader

STARTUP_TIMEOUT_S = 300  # a worker's imports, on a loaded machine
CLOSE_TIMEOUT_S = 10  # how long a worker may take to exit when the pool closes


class WorkerLost(RuntimeError):
    """A submission's grading worker died or hung twice (the first time it was replaced and
    the submission retried)."""


@dataclass
class JobTiming:
    """Where one submission's grading time went, in seconds."""

    total: float  # from handing the submission over to its result
    finished: float = 0.0  # time.perf_counter() when the result came back
    kernel_start: float | None = None  # the sandboxed kernel's start, until it answers
    cells: float | None = None  # running the notebook's cells in that kernel
    warm: bool = True

    @property
    def beyond_cells(self) -> float | None:
        """Everything but running the cells: nbgrader, oracles, kernel start and stop, saving, exit."""
        return None if self.cells is None else self.total - self.cells


TIMINGS: list[JobTiming] = []  # appended by both runners; make bench-grading reads and clears it
_TIMINGS_LOCK = threading.Lock()


def notebook_timing(log: str) -> tuple[float | None, float | None]:
    """(kernel start, cells) seconds from the sandbox's timing line in a grading log."""
    from .sandbox import NOTEBOOK_TIME_MARKER  # the grader's imports, not a stand-in worker's

    for line in reversed(log.splitlines()):
        if NOTEBOOK_TIME_MARKER in line:
            try:
                fields = dict(part.split("=") for part in line.split(NOTEBOOK_TIME_MARKER, 1)[1].split())
                return float(fields["kernel_start"]), float(fields["cells"])
            except (KeyError, ValueError):
                break
    return None, None


def _record(seconds: float, log: str, warm: bool) -> None:
    with _TIMINGS_LOCK:
        TIMINGS.append(JobTiming(seconds, time.perf_counter(), *notebook_timing(log), warm=warm))


class ColdRunner:
    """One ``nbgrader`` process per submission (the way before warm graders)."""

    def __enter__(self) -> ColdRunner:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def nbgrader(self, *args: str, timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
        start = time.perf_counter()
        result = nbgrader(*args, timeout=timeout, env=env)
        _record(time.perf_counter() - start, result.stdout + result.stderr, warm=False)
        return result


# ---------------------------------------------------------------------------- the worker side

def autograde_in_process(job: dict) -> dict:
    """Run ``nbgrader <job['args']>`` (autograde) in this process with ``job['env']`` set;
    its return code and everything it logged, as the command line would give them."""
    from nbgrader.apps.autogradeapp import AutogradeApp

    args, env = job["args"], job.get("env") or {}
    if not args or args[0] != "autograde":
        return {"returncode": 2, "output": f"a grading worker only autogrades, not {args[:1]}"}
    saved_env, saved_path = dict(os.environ), list(sys.path)
    os.environ.update(env)
    code = 0
    with captured_stderr() as log:
        app = AutogradeApp()
        try:
            app.initialize(list(args[1:]))
            app.start()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except Exception:  # noqa: BLE001 - nbgrader failed: its traceback is the log
            traceback.print_exc()
            code = 1
        finally:
            for handler in list(app.log.handlers):  # each app adds its own: keep one job's to itself
                app.log.removeHandler(handler)
            AutogradeApp.clear_instance()
            os.environ.clear()
            os.environ.update(saved_env)
            sys.path[:] = saved_path
    return {"returncode": code, "output": log.getvalue()}


class captured_stderr:
    """Everything written to file descriptor 2 (Python's and the sandbox's) while inside, as text."""

    def __enter__(self) -> io.StringIO:
        sys.stderr.flush()
        self._file = tempfile.TemporaryFile()
        self._saved = os.dup(2)
        os.dup2(self._file.fileno(), 2)
        self._text = io.StringIO()
        return self._text

    def __exit__(self, *exc) -> None:
        sys.stderr.flush()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._file.seek(0)
        self._text.write(self._file.read().decode("utf-8", "replace"))
        self._file.close()


def warm_up() -> None:
    """Import once what every submission's grading needs: nbgrader's app, torch, every oracle."""
    import nbgrader.apps.autogradeapp  # noqa: F401
    import torch  # noqa: F401

    from . import hidden, outputs, preprocessors, sandbox, sanitize  # noqa: F401
    from .nbgrader_cli import assignments
    from .oracle import load_exercises

    for name in assignments():
        try:
            load_exercises(name)
        except Exception as e:  # noqa: BLE001 - that assignment's gradings will report it
            print(f"warning: the oracle of {name} cannot be loaded: {e}", file=sys.stderr)


def serve(handler=autograde_in_process, warm=warm_up) -> None:
    """The worker's loop: one JSON job per line on stdin, one JSON result per line back.

    Results go to a private copy of stdout; file descriptor 1 itself then points at stderr, so
    nothing else printed (by nbgrader, a preprocessor or a child) can reach the channel."""
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    warm()
    channel.write(json.dumps({"ready": os.getpid()}) + "\n")
    channel.flush()
    for line in sys.stdin:
        started = time.perf_counter()
        result = handler(json.loads(line))
        result["seconds"] = time.perf_counter() - started
        channel.write(json.dumps(result) + "\n")
        channel.flush()


# ---------------------------------------------------------------------------- the pool side

class Worker:
    """One worker process, in a process group of its own (killed as a whole)."""

    def __init__(self, command: list[str], log_dir: Path, number: int):
        self.log_path = log_dir / f"worker-{number}.log"
        env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, start_new_session=True)
        self._buffer = b""
        self.ready = False

    def wait_ready(self) -> None:
        if not self.ready:
            self.read(STARTUP_TIMEOUT_S, "its start")
            self.ready = True

    def send(self, job: dict) -> None:
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        self.proc.stdin.flush()

    def read(self, limit_s: float, what: str) -> dict:
        """The worker's next line; :class:`_Lost` when it dies or says nothing within ``limit_s``."""
        fd, deadline = self.proc.stdout.fileno(), time.monotonic() + limit_s
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Lost(f"stopped answering ({what} took longer than {limit_s:g} s)")
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise _Lost(self.death())
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def death(self) -> str:
        """How the worker ended, and the last line it logged."""
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        how = ("closed its channel" if code is None else f"was killed by signal {-code}" if code < 0
               else f"exited with status {code}")
        return f"died ({how}){self.last_log_line()}"

    def last_log_line(self) -> str:
        try:
            lines = [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return ""
        return f"; its last words: {lines[-1][:200]!r}" if lines else ""

    def kill(self) -> None:
        """Kill the worker and its whole process group (its sandboxes die with it: bwrap's
        --die-with-parent, and their cgroups are killed and swept by make grade)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # end of jobs: the worker's loop ends
            self.proc.wait(timeout=CLOSE_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class _Lost(Exception):
    """A worker died or hung (internal: the pool replaces it and retries once)."""


class WarmPool:
    """``jobs`` long-lived grading workers; :meth:`nbgrader` hands one submission to an idle one.

    Safe to call from ``jobs`` threads at once (make grade's batch does). ``command`` starts a
    worker (tests start stand-ins built on :func:`serve`)."""

    def __init__(self, jobs: int, command: list[str] | None = None):
        self.command = command or [sys.executable, "-m", "autograder.workers"]
        self._log_dir = Path(tempfile.mkdtemp(prefix="dlcourse-workers-"))
        self._count = 0
        self._lock = threading.Lock()
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: list[Worker] = []
        for _ in range(max(1, jobs)):  # all start now, in parallel: their imports overlap
            self._idle.put(self._start())

    def _start(self) -> Worker:
        with self._lock:
            self._count += 1
            worker = Worker(self.command, self._log_dir, self._count)
            self._all.append(worker)
            return worker

    def _replace(self, worker: Worker) -> Worker:
        worker.kill()
        with self._lock:
            self._all.remove(worker)
        return self._start()

    def __enter__(self) -> WarmPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            workers, self._all = list(self._all), []
        for worker in workers:
            worker.close()
        for path in self._log_dir.glob("*.log"):
            path.unlink()
        self._log_dir.rmdir()

    def pids(self) -> list[int]:
        """The worker processes now running (for tests and the bench)."""
        with self._lock:
            return [w.proc.pid for w in self._all]

    def nbgrader(self, *args: str, timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
        """Like :func:`autograder.nbgrader_cli.nbgrader` for ``autograde``, run by a warm worker.

        A worker that dies or hangs past ``timeout`` is replaced and the job sent once more;
        the second loss raises :class:`WorkerLost` naming both."""
        job = {"args": list(args), "env": env or {}}
        lost = []
        worker = self._idle.get()
        try:
            for _ in range(2):
                try:
                    worker.wait_ready()
                    worker.send(job)
                    result = worker.read(timeout, "grading the submission")
                    output = result.get("output", "")
                    _record(result.get("seconds", 0.0), output, warm=True)
                    return subprocess.CompletedProcess(["nbgrader", *args], result["returncode"], "", output)
                except (_Lost, OSError) as e:
                    reason = str(e) if isinstance(e, _Lost) else f"could not be reached ({e})"
                    lost.append(reason)
                    print(f"warning: a grading worker {reason}; it was replaced"
                          f"{' and the submission is graded again' if len(lost) == 1 else ''}", file=sys.stderr)
                    worker = self._replace(worker)
            raise WorkerLost(f"its grading worker {lost[0]}; retried once with a fresh worker, which "
                             f"{lost[1]}")
        finally:
            self._idle.put(worker)


def runner(warm: bool, jobs: int) -> WarmPool | ColdRunner:
    """What grades a batch's submissions: warm workers, or one process per submission."""
    return WarmPool(jobs) if warm else ColdRunner()


if __name__ == "__main__":
    serve()
