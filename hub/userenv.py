"""The user environment: one Python environment that every account can read and run.

It must not live under a private home: a venv made from pyenv's Python under /root (as
``make setup`` makes here) has a ``bin/python`` that no other account can execute, and the
students' servers would die at start. So it is built from the system's ``python3.11``
in a world-readable place (default /opt/dlcourse-hub/env, ``DLHUB_ENV``).

Two ways to fill it:

* ``install`` (``make hub``, a real server): ``pip install '<repo>[pinned,hub]'`` into it, with the
  course's pins; dlcourse is installed as a package (students never read the repository).
* ``clone`` (``make hub-test``): hard links of the packages already in the repository's
  ``.venv`` (same Python 3.11 ABI), with dlcourse copied in as a package: the same files
  in a second, world-readable environment in a second, instead of a 2-minute install.

Either way it ends with ``etc/jupyter/nbgrader_config.py``: the exchange settings that every
account's nbgrader reads (JupyterHub auth plugin, course id, exchange root), and with
``etc/dlcourse-student``: the Jupyter config students' servers get (first on their
``JUPYTER_CONFIG_PATH``): nbgrader's instructor tools (formgrader, Create Assignment) off,
the Assignments list on, Validate with the course's cell limit (dlcourse.lab's settings).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .settings import ROOT, Settings

SYSTEM_PYTHON = "/usr/bin/python3.11"
SITE = Path("lib") / "python3.11" / "site-packages"
STAMP = ".installed"  # the Makefile's setup stamp, for `make grade VENV=<env>` in the course directory


def nbgrader_config(s: Settings) -> str:
    """nbgrader settings for every account on the hub (students, graders, instructors)."""
    return f'''"""nbgrader on the course hub (written by hub/setup.py; edit hub/settings.py instead)."""
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {s.course!r}
c.Exchange.root = {str(s.exchange)!r}
c.Exchange.path_includes_course = False
# a user's courses are their JupyterHub groups: nbgrader-{s.course} and formgrade-{s.course}
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
# a submission without the released notebook (renamed, deleted) is refused, not sent
c.ExchangeSubmit.strict = True
'''


def write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    """Replace path in one step (never writes through a hard link into another venv)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    tmp.replace(path)


def make_venv(env: Path) -> None:
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(env)], check=True)


def install(env: Path, repo: Path = ROOT) -> None:
    """pip install the course and the hub into env (this repository's pip, env's Python)."""
    make_venv(env)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install",
                    "--quiet", "--disable-pip-version-check", f"{repo}[pinned,hub]"], check=True)


def clone(env: Path, venv: Path = ROOT / ".venv", repo: Path = ROOT) -> None:
    """Hard-link venv's packages into env and copy dlcourse in (tests: see the module docstring)."""
    make_venv(env)
    src, dst = venv / SITE, env / SITE
    for item in src.iterdir():
        if "dlcourse" in item.name or item.name.startswith("__editable__"):
            continue  # the editable install points into the repository: copied below instead
        link_or_copy(item, dst / item.name)
    shutil.copytree(repo / "dlcourse", dst / "dlcourse", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("share", "etc"):
        if (venv / folder).is_dir():
            link_or_copy(venv / folder, env / folder)
    copy_scripts(venv, env)


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard links (instant) where src and dst share a file system, a copy otherwise."""
    if subprocess.run(["cp", "-al", str(src), str(dst)], capture_output=True).returncode != 0:
        shutil.rmtree(dst, ignore_errors=True) if dst.is_dir() else dst.unlink(missing_ok=True)
        subprocess.run(["cp", "-a", str(src), str(dst)], check=True)


def copy_scripts(venv: Path, env: Path) -> None:
    """venv's console scripts (nbgrader, jupyter, alembic...) with env's Python in their #! line.

    nbgrader itself runs ``alembic`` from PATH when it opens a gradebook.
    """
    shebang = f"#!{venv / 'bin' / 'python'}"
    for script in (venv / "bin").iterdir():
        target = env / "bin" / script.name
        if target.exists() or not script.is_file():
            continue
        try:
            text = script.read_text()
        except UnicodeDecodeError:
            continue
        first, _, rest = text.partition("\n")
        if first.startswith(shebang):
            target.write_text(f"#!{env / 'bin' / 'python'}\n{rest}")
            target.chmod(0o755)


def student_config_dir(s: Settings) -> Path:
    return s.env / "etc" / "dlcourse-student"


def finish(s: Settings) -> None:
    """The nbgrader config, the students' Jupyter config, readable permissions, the setup stamp."""
    from dlcourse.lab import write_config

    write_atomically(s.env / "etc" / "jupyter" / "nbgrader_config.py", nbgrader_config(s))
    folder = student_config_dir(s)
    shutil.rmtree(folder, ignore_errors=True)  # its own files only, never hard links into a venv
    write_config(folder, exchange=True)
    subprocess.run(["chmod", "-R", "a+rX", str(s.env)], check=True)
    for parent in [s.env, *s.env.parents]:
        if parent == Path("/"):
            break
        if not os.stat(parent).st_mode & 0o001:
            raise SystemExit(f"{parent} is not searchable by other accounts, so students cannot run "
                             f"the user environment {s.env}: choose DLHUB_ENV outside private homes")
    (s.env / STAMP).touch()


def build(s: Settings, how: str = "install") -> None:
    """Make the user environment if it is not there yet; always refresh its nbgrader config."""
    if not (s.env / "bin" / "python").exists():
        if not Path(SYSTEM_PYTHON).exists():
            raise SystemExit(f"the user environment needs {SYSTEM_PYTHON} (Debian: apt-get install python3.11)")
        print(f"building the user environment in {s.env} ({how})")
        (install if how == "install" else clone)(s.env)
    finish(s)
