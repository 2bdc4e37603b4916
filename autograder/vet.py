"""Vet submission folders before anything reads them, and stage what passed into a private tree.

A submission folder is untrusted input. It may hold symbolic links (to ``solutions/``, an
oracle, the gradebook, another student's work, ``/dev/zero``), hard links, devices, FIFOs,
sockets, huge files, or names that are not UTF-8; a student's folder or assignment folder
may itself be a link to someone else's. Everything here works by file descriptor and never
follows a link (``O_NOFOLLOW``, ``lstat`` through ``dir_fd``), opens no FIFO or device, and
copies each regular file that passes into a staging folder of our own, so grading reads
only vetted copies. What is refused is listed with its reason; the rest is still graded.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 20 * 2**20  # per file: a notebook of the course is well under 1 MiB
MAX_FILES = 200  # per submission folder
MAX_DEPTH = 8  # folders inside a submission folder

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # NONBLOCK: a FIFO never hangs


@dataclass
class Found:
    """One ``<student>/<assignment>`` folder of a submission tree, after vetting."""

    student: str  # printable: a name that is not UTF-8 is shown escaped
    assignment: str
    staged: Path | None = None  # the private copy of what passed; None when nothing can be graded
    refused: list[str] = field(default_factory=list)  # "<path>: <reason>" for each entry left out
    problem: str = ""  # why the folder as a whole is refused


def printable(name: str) -> str:
    """A file name as text for a report: itself when it is valid UTF-8, else escaped (ascii())."""
    return name if is_utf8(name) else ascii(name)


def is_utf8(name: str) -> bool:
    """Whether a name read from disk (str with surrogate escapes) is valid UTF-8."""
    try:
        os.fsencode(name).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def kind_of(mode: int) -> str | None:
    """What a non-regular, non-folder entry is, or None for a regular file or a folder."""
    for test, kind in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else "not a regular file"


def vet_submissions(submitted: Path, staging: Path) -> list[Found]:
    """Vet every ``submitted/<student>/<assignment>/`` and stage what passed under ``staging``.

    A student or assignment folder that is a link, or not a folder, is refused as a whole;
    so is an assignment folder that is the same folder as another student's.
    """
    try:
        top = os.open(submitted, _DIR_FLAGS)
    except FileNotFoundError:
        return []
    found, seen = [], {}
    try:
        for student in _names(top):
            sfd, why = _open_subdir(top, student, "student folder")
            if why:
                if why != "not a folder":  # a stray file beside the student folders is not a submission
                    found.append(Found(printable(student), "*", problem=why))
                continue
            try:
                for assignment in _names(sfd):
                    found.append(_vet_assignment(sfd, student, assignment, staging, seen))
            finally:
                os.close(sfd)
    finally:
        os.close(top)
    return [f for f in found if f is not None]


def _vet_assignment(sfd: int, student: str, assignment: str, staging: Path, seen: dict) -> Found | None:
    out = Found(printable(student), printable(assignment))
    if not is_utf8(student):
        out.problem = "the student folder's name is not valid UTF-8"
        return out
    afd, why = _open_subdir(sfd, assignment, "assignment folder")
    if why:
        if why == "not a folder":
            return None  # a stray file in the student's folder
        out.problem = why
        return out
    try:
        ident = os.fstat(afd)[stat.ST_INO], os.fstat(afd)[stat.ST_DEV]
        if ident in seen:
            out.problem = f"the assignment folder is the same folder as {seen[ident]}'s"
            return out
        seen[ident] = out.student
        out.staged = staging / student / assignment
        out.staged.mkdir(parents=True, mode=0o700)
        copy_regular_tree(afd, out.staged, out.refused)
    finally:
        os.close(afd)
    return out


def _names(dir_fd: int) -> list[str]:
    with os.scandir(dir_fd) as it:
        return sorted(entry.name for entry in it)


def _open_subdir(dir_fd: int, name: str, what: str) -> tuple[int | None, str]:
    """(fd, "") for a real sub-folder; (None, reason) for a link or anything else."""
    try:
        mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except OSError as e:
        return None, f"the {what} could not be read ({e.strerror})"
    if stat.S_ISLNK(mode):
        return None, f"the {what} is a symbolic link (a link to another submission is not a submission)"
    if not stat.S_ISDIR(mode):
        return None, "not a folder"
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd), ""
    except OSError as e:  # replaced by a link or removed since the lstat
        return None, f"the {what} could not be opened safely ({e.strerror})"


def copy_regular_tree(source: int | str | Path, dest: Path, refused: list[str] | None = None,
                      skip=lambda name: False) -> list[str]:
    """Copy the regular files and folders under ``source`` (a path or folder fd) into ``dest``.

    Never follows a link, never opens anything but regular files and folders; entries that
    are refused (see the module docstring) are appended to ``refused`` as "<path>: <reason>",
    and entries for which ``skip(name)`` is true are passed over silently. Returns ``refused``.
    """
    refused = [] if refused is None else refused
    fd = source if isinstance(source, int) else os.open(source, _DIR_FLAGS)
    try:
        _copy_dir(fd, Path(dest), "", refused, skip, budget=[MAX_FILES], depth=0)
    finally:
        if not isinstance(source, int):
            os.close(fd)
    return refused


def _copy_dir(dir_fd: int, dest: Path, prefix: str, refused: list, skip, budget: list, depth: int) -> None:
    for name in _names(dir_fd):
        label = prefix + printable(name)
        if skip(name):
            continue
        if not is_utf8(name):
            refused.append(f"{label}: the name is not valid UTF-8")
            continue
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError as e:
            refused.append(f"{label}: could not be read ({e.strerror})")
            continue
        if stat.S_ISDIR(st.st_mode):
            if depth >= MAX_DEPTH:
                refused.append(f"{label}: folders nested more than {MAX_DEPTH} deep")
                continue
            try:
                sub = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
            except OSError as e:
                refused.append(f"{label}: could not be opened safely ({e.strerror})")
                continue
            try:
                (dest / name).mkdir(mode=0o755)
                _copy_dir(sub, dest / name, label + "/", refused, skip, budget, depth + 1)
            finally:
                os.close(sub)
            continue
        why = _file_problem(st, budget)
        if why is None:
            why = _copy_file(dir_fd, name, st, dest / name)
        if why:
            refused.append(f"{label}: {why}")


def _file_problem(st: os.stat_result, budget: list) -> str | None:
    kind = kind_of(st.st_mode)
    if kind:
        return kind
    if st.st_nlink > 1:
        return "a hard link (it shares its contents with another path)"
    if st.st_size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES} bytes"
    if budget[0] <= 0:
        return f"more than {MAX_FILES} files in the submission"
    budget[0] -= 1
    return None


def _copy_file(dir_fd: int, name: str, st: os.stat_result, target: Path) -> str | None:
    """Copy one regular file, re-checking by descriptor that it is the file that was vetted."""
    try:
        src = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as e:
        return f"could not be opened safely ({e.strerror})"
    try:
        now = os.fstat(src)
        if not stat.S_ISREG(now.st_mode) or (now.st_ino, now.st_dev) != (st.st_ino, st.st_dev):
            return "replaced while it was being read"
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        copied = 0
        with os.fdopen(out, "wb") as f:
            while chunk := os.read(src, 2**20):
                copied += len(chunk)
                if copied > MAX_FILE_BYTES:
                    break
                f.write(chunk)
        if copied > MAX_FILE_BYTES:
            target.unlink()
            return f"larger than {MAX_FILE_BYTES} bytes"
    finally:
        os.close(src)
    return None
