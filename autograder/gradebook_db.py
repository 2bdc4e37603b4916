"""Where ``make grade`` keeps its gradebook: SQLite in the workdir, or a shared PostgreSQL.

``make grade ARGS='--db postgresql://USER@HOST:PORT/DB'`` points nbgrader's gradebook (an
SQLAlchemy URL) at a PostgreSQL database that several graders share, each taking a shard
(autograder/shard.py). PostgreSQL URLs are driven by psycopg 3 (``postgresql+psycopg://``,
written for you); a password is best kept in ``~/.pgpass`` or ``PGPASSWORD``, never the URL.
Without ``--db`` the gradebook is ``<workdir>/gradebook.db`` (SQLite), as nbgrader_config.py
says for formgrader.

What graders share besides nbgrader's tables:

- :func:`serialised`: one grader at a time records the assignments, creates the tables and
  adds the students (a PostgreSQL advisory lock; SQLite needs none on one machine);
- :class:`Claims` (``--claim BATCH``): graders that name the same batch split it between them
  as they go, each submission taken by the first grader to claim it (a primary key on
  batch, student and assignment); a claim left by a grader that died is taken over once it
  is older than a grading process may run;
- the ``dlcourse_ungraded`` table: submissions that failed to grade, so that whichever grader
  exports grades.csv last leaves their score blank, not nbgrader's 0 for "no submission".
"""
from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (Column, DateTime, MetaData, String, Table, and_, create_engine, delete, or_, select,
                        text, update)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError

SQLITE_NAME = "gradebook.db"
POSTGRES_DRIVER = "postgresql+psycopg"
CONNECT_TIMEOUT_S = 10  # a gradebook server that does not answer is named, not waited on

_metadata = MetaData()
UNGRADED = Table(
    "dlcourse_ungraded", _metadata,
    Column("student", String(128), primary_key=True),
    Column("assignment", String(128), primary_key=True),
    Column("reason", String(1000), nullable=False, default=""),
    Column("grader", String(128), nullable=False, default=""),
    Column("at", DateTime(timezone=True), nullable=False),
)
CLAIMS = Table(
    "dlcourse_claims", _metadata,
    Column("batch", String(128), primary_key=True),
    Column("student", String(128), primary_key=True),
    Column("assignment", String(128), primary_key=True),
    Column("grader", String(128), nullable=False),
    Column("state", String(16), nullable=False),  # grading, graded, failed
    Column("claimed_at", DateTime(timezone=True), nullable=False),
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
        engine = create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
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


def add_students(url: str, students: Iterable[str]) -> None:
    """Put ``students`` in the gradebook before grading, so that graders working side by side
    never both add one (nbgrader adds a student it has not seen). Call inside :func:`serialised`."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        known = {s.id for s in gb.students}
        for student in students:
            if student not in known:
                gb.add_student(student)


class Claims:
    """The submissions of one batch, each claimed by the one grader that grades it."""

    def __init__(self, url: str, batch: str, grader: str, stale_after_s: float):
        self.batch, self.grader, self.stale_after = batch[:128], grader[:128], timedelta(seconds=stale_after_s)
        self.engine = _with_tables(url)

    def _key(self, student: str, assignment: str):
        return and_(CLAIMS.c.batch == self.batch, CLAIMS.c.student == student, CLAIMS.c.assignment == assignment)

    def take(self, student: str, assignment: str) -> str | None:
        """Claim a submission: None when it is this grader's to grade, else who holds it."""
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as conn:
                conn.execute(CLAIMS.insert().values(batch=self.batch, student=student, assignment=assignment,
                                                    grader=self.grader, state="grading", claimed_at=now))
            return None
        except IntegrityError:
            pass
        with self.engine.begin() as conn:  # ours already, or left by a grader that died
            stale = and_(CLAIMS.c.state == "grading", CLAIMS.c.claimed_at < now - self.stale_after)
            taken = conn.execute(update(CLAIMS).where(self._key(student, assignment),
                                                      or_(CLAIMS.c.grader == self.grader, stale))
                                 .values(grader=self.grader, state="grading", claimed_at=now)).rowcount
            if taken:
                return None
            row = conn.execute(select(CLAIMS.c.grader, CLAIMS.c.state)
                               .where(self._key(student, assignment))).first()
        return f"{row.grader} ({row.state})" if row else "another grader"

    def finish(self, student: str, assignment: str, state: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(CLAIMS).where(self._key(student, assignment), CLAIMS.c.grader == self.grader)
                         .values(state=state[:16]))

    def close(self) -> None:
        self.engine.dispose()
