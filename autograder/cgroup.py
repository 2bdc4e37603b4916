"""Bound one sandbox as a whole: memory, process count and CPU for all its processes together.

rlimits are per process (memory) or per user (processes) and give no CPU share, so a
notebook that forks busy or hungry processes could starve the notebook graded beside it.
A control group per sandbox fixes that: ``memory`` (all processes together, swap included
where the kernel accounts it), ``pids`` (processes and threads) and ``cpu`` (a quota of
``cpus`` cores). cgroup v2 is used where its controllers can be enabled, else v1 (one
hierarchy per controller, as on the CI machine); groups are made under the grader's own
group. Where neither can be written, :func:`problem` says why and the sandbox falls back
to rlimits alone (the README says what is lost then).
"""
from __future__ import annotations

import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CONTROLLERS = ("memory", "pids", "cpu")
PARENT = "dlcourse-grading"
CPU_PERIOD_US = 100_000


@dataclass
class GroupLimits:
    memory_bytes: int
    processes: int
    cpus: float


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, fs type, options) of every cgroup file system."""
    out = []
    with open("/proc/self/mounts") as f:
        for line in f:
            _, point, fstype, options, *_ = line.split()
            if fstype in ("cgroup", "cgroup2"):
                out.append((point, fstype, set(options.split(","))))
    return out


def _own_groups() -> dict[str, str]:
    """The grader's own group path per v1 controller, and under "" its v2 group."""
    groups = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for c in controllers.split(",") if controllers else [""]:
                groups[c] = path
    return groups


def _v2_base() -> Path | None:
    own = _own_groups().get("")
    for point, fstype, _ in _mounts():
        if fstype == "cgroup2" and own is not None:
            base = Path(point) / own.lstrip("/")
            available = (base / "cgroup.controllers").read_text().split() if base.exists() else []
            if all(c in available for c in CONTROLLERS):
                return base
    return None


def _v1_bases() -> dict[str, Path] | None:
    """Where each controller's groups go (the grader's own group in that hierarchy)."""
    own, bases = _own_groups(), {}
    for point, fstype, options in _mounts():
        for c in (*CONTROLLERS, "cpuacct"):
            if fstype == "cgroup" and c in options and c in own:
                bases[c] = Path(point) / own[c].lstrip("/")
    return bases if all(c in bases for c in CONTROLLERS) else None


class Cgroup:
    """One sandbox's group (one directory per v1 hierarchy, or one v2 directory)."""

    def __init__(self, dirs: dict[str, Path], version: int):
        self.dirs, self.version = dirs, version

    @classmethod
    def create(cls, limits: GroupLimits, name: str | None = None) -> Cgroup:
        """Make a fresh group with these limits; raises OSError where cgroups cannot be written."""
        name = name or f"{os.getpid()}-{secrets.token_hex(4)}"
        base = _v2_base()
        if base is not None:
            enable = " ".join(f"+{c}" for c in CONTROLLERS)
            # EBUSY where the grader's own group holds processes (no delegation): then v2 is not usable
            (base / "cgroup.subtree_control").write_text(enable)
            parent = base / PARENT
            parent.mkdir(exist_ok=True)
            (parent / "cgroup.subtree_control").write_text(enable)
            group = cls({"": parent / name}, 2)
        else:
            bases = _v1_bases()
            if bases is None:
                raise OSError("no cgroup v2 with memory, pids and cpu, and no cgroup v1 hierarchies for them")
            group = cls({c: b / PARENT / name for c, b in bases.items()}, 1)
        for d in group.dirs.values():
            d.mkdir(parents=True)
        try:
            group._limit(limits)
        except OSError:
            group.remove()
            raise
        return group

    def _file(self, controller: str, name: str) -> Path:
        return self.dirs["" if self.version == 2 else controller] / name

    def _limit(self, lim: GroupLimits) -> None:
        quota = max(1000, int(lim.cpus * CPU_PERIOD_US))
        if self.version == 2:
            self._file("memory", "memory.max").write_text(str(lim.memory_bytes))
            if self._file("memory", "memory.swap.max").exists():
                self._file("memory", "memory.swap.max").write_text("0")
            self._file("pids", "pids.max").write_text(str(lim.processes))
            self._file("cpu", "cpu.max").write_text(f"{quota} {CPU_PERIOD_US}")
            return
        self._file("memory", "memory.limit_in_bytes").write_text(str(lim.memory_bytes))
        memsw = self._file("memory", "memory.memsw.limit_in_bytes")
        if memsw.exists():  # present only where the kernel accounts swap
            memsw.write_text(str(lim.memory_bytes))
        self._file("pids", "pids.max").write_text(str(lim.processes))
        self._file("cpu", "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
        self._file("cpu", "cpu.cfs_quota_us").write_text(str(quota))

    def procs_files(self) -> list[str]:
        """The files a process writes its pid to, to enter this group (every hierarchy)."""
        return [str(d / "cgroup.procs") for d in self.dirs.values()]

    def pids(self) -> list[int]:
        pids = set()
        for f in self.procs_files():
            try:
                pids |= {int(p) for p in Path(f).read_text().split()}
            except (OSError, ValueError):
                continue
        return sorted(pids)

    def kill_all(self, wait: float = 10.0) -> bool:
        """SIGKILL every process in the group until it is empty; True when it is."""
        deadline = time.monotonic() + wait
        while pids := self.pids():
            if time.monotonic() > deadline:
                return False
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        return True

    def usage(self) -> dict[str, float]:
        """Peak memory (MiB) and CPU time (s) of the group so far, where the kernel reports them."""
        found = {}
        reads = ({"peak_memory_mib": ("memory", "memory.peak", 2**20),
                  "cpu_seconds": ("cpu", "cpu.stat", 1e6)}
                 if self.version == 2 else
                 {"peak_memory_mib": ("memory", "memory.max_usage_in_bytes", 2**20),
                  "cpu_seconds": ("cpuacct", "cpuacct.usage", 1e9)})
        for key, (controller, name, unit) in reads.items():
            if self.version == 1 and controller not in self.dirs:
                continue
            try:
                text = self._file(controller, name).read_text()
            except OSError:
                continue
            if name == "cpu.stat":
                text = dict(line.split() for line in text.splitlines()).get("usage_usec", "0")
            found[key] = round(int(text.split()[0]) / unit, 1)
        return found

    def remove(self) -> None:
        """Kill what is left and remove the group's directories."""
        self.kill_all()
        for d in self.dirs.values():
            try:
                d.rmdir()
            except OSError:
                pass


def problem(limits: GroupLimits | None = None) -> str | None:
    """None when a sandbox can be bounded by a cgroup here, else why not."""
    try:
        Cgroup.create(limits or GroupLimits(2**30, 64, 1.0), name=f"probe-{os.getpid()}").remove()
    except OSError as e:
        return f"cgroups cannot be used here ({e}); each sandbox falls back to rlimits only"
    return None


def sweep_stale() -> None:
    """Remove groups left by grader processes that are gone (a killed nbgrader, say)."""
    dirs = []
    base = _v2_base()
    if base is not None:
        dirs = [base / PARENT]
    else:
        dirs = [b / PARENT for b in (_v1_bases() or {}).values()]
    for parent in dirs:
        if not parent.is_dir():
            continue
        for group in parent.iterdir():
            owner = group.name.split("-", 1)[0]
            if group.is_dir() and owner.isdigit() and not Path(f"/proc/{owner}").exists():
                Cgroup({"": group}, 2).remove() if base is not None else _remove_v1(group.name)


def _remove_v1(name: str) -> None:
    Cgroup({c: b / PARENT / name for c, b in (_v1_bases() or {}).items()}, 1).remove()
