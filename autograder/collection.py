"""What the grader takes from a submission's collection, never from the student's files.

- :func:`grading_digest`: the skip digest, over every file of the submission plus the
  released and source notebooks, the oracle and the grading configuration, each framed by
  its length (name and content), in sorted order, so no two different inputs collide.
- :func:`collection_timestamp`: when a submission arrived, from the file system (the
  newest inode change time of its notebooks, which a student cannot set), or nbgrader's
  exchange ``timestamp.txt`` when the instructor says submissions came through the exchange.
  ``make grade`` hands it to nbgrader through ``DLCOURSE_TIMESTAMP``; :func:`install`
  (called by nbgrader_config.py) makes nbgrader read it instead of the folder's
  ``timestamp.txt``.
"""
from __future__ import annotations

import datetime
import hashlib
import os
from pathlib import Path

from .nbgrader_cli import ROOT  # noqa: E402  (the one place for the repository root)

TIMESTAMP_ENV = "DLCOURSE_TIMESTAMP"


def frame(name: str, content: bytes) -> bytes:
    """One length-prefixed record: 8-byte lengths, then the name and the content."""
    raw = name.encode("utf-8", "surrogateescape")
    return len(raw).to_bytes(8, "big") + raw + len(content).to_bytes(8, "big") + content


def submission_files(folder: Path) -> list[tuple[str, bytes]]:
    """(relative name, content) of the regular files under ``folder``, links not followed."""
    files = []
    for base, dirs, names in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in names:
            path = Path(base) / name
            if path.is_file() and not path.is_symlink():
                files.append((f"submission/{path.relative_to(folder)}", path.read_bytes()))
    return files


def grading_inputs(assignment: str, config: str) -> list[tuple[str, bytes]]:
    """What else decides a grade: source and released notebooks, the oracle, the configuration."""
    from .oracle import oracle_path

    inputs = [("config/options", config.encode())]
    for label, path in [("config/nbgrader_config.py", ROOT / "nbgrader_config.py"),
                        ("oracle", oracle_path(assignment))]:
        inputs.append((label, path.read_bytes() if path.is_file() else b""))
    for kind in ("solutions", "course"):
        for path in sorted((ROOT / kind / assignment).glob("*.ipynb")):
            inputs.append((f"{kind}/{path.name}", path.read_bytes()))
    return inputs


def grading_digest(folder: Path, assignment: str, config: str) -> str:
    """SHA-256 over the framed, sorted records of the submission and its grading inputs."""
    h = hashlib.sha256()
    for name, content in sorted(submission_files(folder) + grading_inputs(assignment, config)):
        h.update(frame(name, content))
    return h.hexdigest()


def collection_timestamp(folder: Path, exchange: bool = False) -> str:
    """When the submission was collected, as nbgrader's timestamp text (UTC).

    ``exchange``: the submissions came through nbgrader's exchange, whose ``submit`` writes
    ``timestamp.txt`` itself; otherwise any ``timestamp.txt`` is the student's and is ignored.
    """
    stamp = Path(folder) / "timestamp.txt"
    if exchange and stamp.is_file() and not stamp.is_symlink():
        return stamp.read_text().strip()[:64]
    times = [p.lstat().st_ctime for p in Path(folder).glob("*.ipynb")] or [Path(folder).lstat().st_ctime]
    return datetime.datetime.fromtimestamp(max(times), datetime.UTC).strftime(
        "%Y-%m-%d %H:%M:%S.%f %Z")


def install() -> None:
    """Make nbgrader read a submission's timestamp from ``DLCOURSE_TIMESTAMP`` when it is set."""
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import parse_utc

    original = getattr(CourseDirectory.get_existing_timestamp, "__wrapped__",
                       CourseDirectory.get_existing_timestamp)

    def get_existing_timestamp(self, dest_path):
        given = os.environ.get(TIMESTAMP_ENV)
        return parse_utc(given) if given else original(self, dest_path)

    get_existing_timestamp.__wrapped__ = original
    CourseDirectory.get_existing_timestamp = get_existing_timestamp
    _formgrader_sees_collection_timestamps()


def _formgrader_sees_collection_timestamps() -> None:
    """Formgrader calls a submission autograded only when the timestamp in ``submitted/``
    equals the gradebook's. Without a ``timestamp.txt`` (files copied in by hand) nbgrader
    finds none there, while ``make grade`` stored the collection time: give formgrader that
    same collection time, so a graded submission is not listed as "needs autograding"."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.utils import parse_utc

    original = getattr(NbGraderAPI.get_submitted_timestamp, "__wrapped__", NbGraderAPI.get_submitted_timestamp)

    def get_submitted_timestamp(self, assignment_id, student_id):
        found = original(self, assignment_id, student_id)
        if found is not None:
            return found
        folder = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student_id, assignment_id))
        return parse_utc(collection_timestamp(folder)) if folder.is_dir() and not folder.is_symlink() else None

    get_submitted_timestamp.__wrapped__ = original
    NbGraderAPI.get_submitted_timestamp = get_submitted_timestamp
