"""Prepare a machine for the course hub (run as root by ``make hub``; idempotent).

``python -m hub.setup [--env-from-venv]``:

1. checks that every roster account exists (the hub spawns real system users);
2. closes every roster account's home (0700): Debian 12's useradd makes homes 0755, which
   would let students read each other's fetched work and feedback;
3. makes nbgrader's exchange: the root world-writable with the sticky bit (1777), and the
   course's folder in it created now, owned by the grader (so no student can claim the
   course name first), with nbgrader's modes: outbound 0755, inbound 2733 (students drop
   submissions in but cannot list them), feedback 0711 (students fetch their own file by its
   secret name, never list);
4. builds the user environment (hub/userenv.py) with the exchange settings;
5. gives the grader a private copy of the course repository (0700, never overwritten), where
   ``make grade VENV=<user environment>`` grades, sandboxed. (Not a ``.venv`` symlink to the
   environment: the sandbox shows the kernel the environment's real path only, so a kernel
   started through the symlink's path would not exist inside it.)

Nothing existing is deleted: a wrong mode is corrected and reported.
"""
from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from . import userenv
from .settings import ROOT, Settings

EXCHANGE_MODES = {"outbound": 0o755, "inbound": 0o2733, "feedback": 0o711}


def check_accounts(s: Settings) -> None:
    missing = [name for names in s.roster.values() for name in names if not account_exists(name)]
    if missing:
        raise SystemExit(f"these roster accounts ({s.roster_file}) are not system users: {', '.join(missing)}; "
                         f"create them first (adduser NAME), the hub runs each user's server as that user")


def account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def ensure_mode(path: Path, mode: int, owner: str | None = None) -> None:
    """mkdir path if needed, give it owner and exactly mode; say what was corrected."""
    if not path.is_dir():
        path.mkdir(parents=True)
    if owner is not None:
        user = pwd.getpwnam(owner)
        if (path.stat().st_uid, path.stat().st_gid) != (user.pw_uid, user.pw_gid):
            os.chown(path, user.pw_uid, user.pw_gid)
    current = path.stat().st_mode & 0o7777
    if current != mode:
        os.chmod(path, mode)
        if current & 0o777 != 0o777 or mode != 0o1777:
            print(f"{path}: mode {oct(current)} -> {oct(mode)}")


def close_homes(s: Settings) -> None:
    for names in s.roster.values():
        for name in names:
            home = Path(pwd.getpwnam(name).pw_dir)
            if home.is_dir() and home.stat().st_mode & 0o077:
                print(f"{home}: closing it to other accounts (0700)")
                home.chmod(0o700)


def make_exchange(s: Settings) -> None:
    ensure_mode(s.exchange, 0o1777)
    ensure_mode(s.exchange_course, 0o755, owner=s.grader)
    for name, mode in EXCHANGE_MODES.items():
        ensure_mode(s.exchange_course / name, mode, owner=s.grader)


def working_tree_files(repo: Path = ROOT) -> list[str]:
    """The repository's tracked and untracked, not ignored, files (no .venv, no run outputs)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=repo, capture_output=True, text=True, check=True).stdout
    return [p for p in out.split("\0") if p and (repo / p).is_file()]


def make_course_dir(s: Settings) -> None:
    """The grader's private copy of the course (kept as it is when it exists already)."""
    if not s.course_dir.exists():
        print(f"copying the course repository into {s.course_dir} for {s.grader}")
        s.course_dir.mkdir(parents=True)
        for rel in working_tree_files():
            target = s.course_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, target)  # keeps mtimes: make sees the setup stamp as newer
        subprocess.run(["chown", "-R", "-h", f"{s.grader}:", str(s.course_dir)], check=True)
    os.chmod(s.course_dir, 0o700)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-from-venv", action="store_true",
                        help="fill the user environment from this repository's .venv (tests)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        raise SystemExit("hub setup runs as root (it creates the exchange and switches to each user)")
    s = Settings.from_env()
    check_accounts(s)
    s.state.mkdir(parents=True, exist_ok=True)
    os.chmod(s.state, 0o700)
    close_homes(s)
    make_exchange(s)
    userenv.build(s, "clone" if args.env_from_venv else "install")
    make_course_dir(s)
    print(f"hub ready: course {s.course}, exchange {s.exchange}, grader {s.grader}, "
          f"course directory {s.course_dir}, user environment {s.env}; "
          f"the grader grades with: cd {s.course_dir} && make grade VENV={s.env} ARGS=--exchange-timestamps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
