"""Where ``make grade`` keeps its gradebook: SQLite in the workdir, or a shared PostgreSQL.

``make grade ARGS='--db postgresql://USER@HOST:PORT/DB'`` points nbgrader's gradebook (an
SQLAlchemy URL) at a PostgreSQL database that several graders share, each taking a shard
(autograder/shard.py). PostgreSQL URLs are driven by psycopg 3 (``postgresql+psycopg://``,
written for you); a password is best kept in ``~/.pgpass`` or ``PGPASSWORD``, never the URL.
Without ``--db`` the gradebook is ``<workdir>/gradebook.db`` (SQLite), as nbgrader_config.py
says for formgrader.

Two things graders share besides nbgrader's tables:

- :func:`serialised`: one grader at a time records the assignments and creates the tables
  (a PostgreSQL advisory lock; SQLite needs none on one machine);
- the ``dlcourse_ungraded`` table: submissions that failed to grade, so that whichever grader
  exports grades.csv last leaves their score blank, not nbgrader's 0 for "no submission".
"""
from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, DateTime, MetaData, String, Table, create_engine, delete, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SQLITE_NAME = "gradebook.db"
POSTGRES_DRIVER = "postgresql+psycopg"

_metadata = MetaData()
UNGRADED = Table(
    "dlcourse_ungraded", _metadata,
    Column("student", String(128), primary_key=True),
    Column("assignment", String(128), primary_key=True),
    Column("reason", String(1000), nullable=False, default=""),
    Column("grader", String(128), nullable=False, default=""),
    Column("at", DateTime(timezone=True), nullable=False),
)


def gradebook_url(workdir: Path, url: str | None = None) -> str:
    """The SQLAlchemy URL of the gradebook: ``url`` (normalised) or the workdir's SQLite file."""
    return normalise(url) if url else f"sqlite:///{Path(workdir) / SQLITE_NAME}"


def normalise(url: str) -> str:
    """``postgresql://`` (or ``postgres://``) becomes psycopg 3's ``postgresql+psycopg://``;
    SQLite and PostgreSQL are the databases supported; anything else is a clear error."""
    try:
        parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://")
                          else url)
    except ArgumentError as e:
        raise ValueError(f"--db {url!r} is not a database URL (e.g. postgresql://grader@127.0.0.1:5432/"
                         f"course): {e}") from None
    if parsed.drivername in ("postgresql", POSTGRES_DRIVER):
        parsed = parsed.set(drivername=POSTGRES_DRIVER)
    elif parsed.drivername != "sqlite":
        raise ValueError(f"--db {shown(url)}: the gradebook is SQLite (the default) or PostgreSQL "
                         "(postgresql://USER@HOST:PORT/DB)")
    return parsed.render_as_string(hide_password=False)


def shown(url: str) -> str:
    """``url`` with any password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<not a URL>"


def is_shared(url: str) -> bool:
    return not url.startswith("sqlite")


def problem(url: str) -> str | None:
    """Why the gradebook at ``url`` cannot be used (driver missing, server unreachable), or None."""
    if not is_shared(url):
        return None
    try:
        import psycopg  # noqa: F401 - the driver SQLAlchemy loads for postgresql+psycopg
    except ImportError:
        return "a PostgreSQL gradebook needs the psycopg driver: run make setup (the test extra has it)"
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as e:  # noqa: BLE001 - any connection failure is the reason
        return f"cannot reach the gradebook {shown(url)}: {str(e).splitlines()[0][:300]}"
    return None


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(f"dlcourse:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def serialised(url: str, name: str) -> Iterator[None]:
    """Hold a database-wide lock called ``name`` (PostgreSQL: an advisory lock, released when
    the block ends or the grader dies); on SQLite, which one machine uses, nothing to hold."""
    if not is_shared(url):
        yield
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _lock_key(name)})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(name)})
    finally:
        engine.dispose()


def prepare(url: str) -> None:
    """Create nbgrader's tables (nbgrader first: it stamps its schema version only into an
    empty database) and ours, once, whoever comes first. Call inside :func:`serialised`."""
    from nbgrader.api import Gradebook

    # nbgrader stamps a new database with `alembic heads` from PATH: this venv's, as nbgrader_cli does
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([venv_bin, os.environ.get("PATH", "")])
    with Gradebook(url):
        pass
    engine = create_engine(url)
    try:
        _metadata.create_all(engine)
    finally:
        engine.dispose()


def _with_tables(url: str):
    """An engine on a gradebook that has nbgrader's tables and ours (dispose it after use)."""
    with serialised(url, "prepare"):
        prepare(url)
    return create_engine(url)


def mark_ungraded(url: str, failed: Iterable[tuple[str, str, str]], grader: str = "") -> None:
    """Record (student, assignment, reason) of submissions that failed to grade."""
    rows = [dict(student=s, assignment=a, reason=r[:1000], grader=grader[:128], at=datetime.now(UTC))
            for s, a, r in failed]
    if not rows:
        return
    engine = _with_tables(url)
    try:
        with engine.begin() as conn:
            for row in rows:
                conn.execute(delete(UNGRADED).where(UNGRADED.c.student == row["student"],
                                                    UNGRADED.c.assignment == row["assignment"]))
            conn.execute(UNGRADED.insert(), rows)
    finally:
        engine.dispose()


def clear_ungraded(url: str, graded: Iterable[tuple[str, str]]) -> None:
    """Forget the failures of (student, assignment) pairs that have a grade now."""
    keys = list(graded)
    if not keys:
        return
    engine = _with_tables(url)
    try:
        with engine.begin() as conn:
            for student, assignment in keys:
                conn.execute(delete(UNGRADED).where(UNGRADED.c.student == student,
                                                    UNGRADED.c.assignment == assignment))
    finally:
        engine.dispose()


def ungraded(url: str) -> dict[tuple[str, str], str]:
    """{(student, assignment): reason} of every submission that failed to grade, by any grader."""
    engine = _with_tables(url)
    try:
        with engine.connect() as conn:
            return {(r.student, r.assignment): r.reason for r in conn.execute(select(UNGRADED))}
    finally:
        engine.dispose()
