"""A throw-away PostgreSQL server for tests: Debian's binaries, loopback only, removed after.

    with throwaway_cluster() as cluster:
        url = cluster.create_database("course")   # postgresql://grader@127.0.0.1:PORT/course
        ... cluster.env (PGPASSWORD) for the processes that connect ...

The cluster lives in a fresh temporary folder, listens on 127.0.0.1 on a free port and on no
Unix socket, and takes a random password. PostgreSQL refuses to run as root, so as root the
server runs as ``nobody`` (setpriv, util-linux); otherwise as the current user.
"""
from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

USER = "grader"  # the cluster's superuser
UNPRIVILEGED = "nobody"


def postgres_bin() -> Path | None:
    """Debian's newest PostgreSQL server binaries (/usr/lib/postgresql/N/bin), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner() -> list[str]:
    """The command prefix that runs the server unprivileged."""
    if os.geteuid() != 0:
        return []
    import pwd

    entry = pwd.getpwnam(UNPRIVILEGED)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups"]


@dataclass
class Cluster:
    folder: Path
    port: int
    password: str = field(repr=False)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.password}

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=USER, password=self.password,
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _run(cmd: list[str], **kw) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {result.stdout[-2000:]}{result.stderr[-2000:]}")


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """Start a cluster; stop it and remove its folder afterwards, whatever happened."""
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server (Debian package postgresql): .ci/system-packages test")
    folder = Path(tempfile.mkdtemp(prefix="dlcourse-pg-"))  # 0700
    owner = _as_owner()
    if owner:
        import pwd

        entry = pwd.getpwnam(UNPRIVILEGED)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    cluster = Cluster(folder, free_port(), secrets.token_hex(16))
    data, log, pwfile = folder / "data", folder / "server.log", folder / "password"
    pwfile.write_text(cluster.password + "\n")
    if owner:
        os.chown(pwfile, pwd.getpwnam(UNPRIVILEGED).pw_uid, -1)
    pwfile.chmod(0o600)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(folder)}
    started = False
    try:
        _run([*owner, str(bindir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={pwfile}",
              "--auth=scram-sha-256", "--no-locale", "-E", "UTF8", "--no-sync"], env=env, cwd=folder)
        options = (f"-c listen_addresses=127.0.0.1 -p {cluster.port} -c unix_socket_directories='' "
                   "-c fsync=off -c max_connections=50")
        started = True
        _run([*owner, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60",
              "start"], env=env, cwd=folder)
        yield cluster
    finally:
        if started:
            subprocess.run([*owner, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "60",
                            "stop"], env=env, cwd=folder, capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)
