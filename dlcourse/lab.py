"""Start JupyterLab for a student: ``python -m dlcourse.lab WORKSPACE [jupyter lab options]``.

nbgrader installs five JupyterLab parts. Validate works anywhere; the assignment and
course lists need an exchange (a JupyterHub course), and formgrader and the
assignment creator are instructor tools. Where no exchange exists those lists only
show errors, so this launcher switches them off for the session through a private
Jupyter config folder placed first on ``JUPYTER_CONFIG_PATH`` (nothing global is
changed). ``DLCOURSE_EXCHANGE=on|off`` overrides the automatic check.

The same folder holds an ``nbgrader_config.py`` for Validate, which runs the whole
notebook in the student's mode (full, unless ``DLCOURSE_FAST=1``): a cell may take
``VALIDATE_CELL_TIMEOUT`` seconds (nbgrader's 30 s is less than some full-mode training
cells need on a laptop CPU), and kernel messages are awaited in short polls
(``dlcourse.kernel``).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

EXCHANGE_ENV = "DLCOURSE_EXCHANGE"
INSTRUCTOR_ONLY = {"server": ["formgrader"], "lab": ["formgrader", "create-assignment"]}
NEEDS_EXCHANGE = {"server": ["assignment_list", "course_list"], "lab": ["assignment-list", "course-list"]}
VALIDATE_CELL_TIMEOUT = 900
VALIDATE_CONFIG = f"""# Written by dlcourse.lab for Validate: see its docstring.
c = get_config()
c.Execute.timeout = {VALIDATE_CELL_TIMEOUT}
c.AsyncKernelManager.client_class = "dlcourse.kernel.SlicedKernelClient"
"""


def exchange_root() -> Path | None:
    """The nbgrader exchange folder as the machine's nbgrader config sets it, if it exists."""
    try:
        from nbgrader.apps.baseapp import NbGrader
        from nbgrader.exchange.default.exchange import Exchange

        app = NbGrader()
        app.load_config_file()
        root = Path(Exchange(config=app.config).root)
    except Exception:  # noqa: BLE001 - a broken nbgrader config means: no exchange
        return None
    return root if root.is_dir() else None


def exchange_enabled() -> bool:
    setting = os.environ.get(EXCHANGE_ENV, "auto").strip().lower()
    if setting in ("on", "1", "true", "yes"):
        return True
    if setting in ("off", "0", "false", "no"):
        return False
    return exchange_root() is not None


def write_config(folder: Path, exchange: bool) -> Path:
    """Write the session's Jupyter config (server extensions, lab plugins, Validate) into ``folder``."""
    off = {k: list(v) for k, v in INSTRUCTOR_ONLY.items()}
    if not exchange:
        for k in off:
            off[k] += NEEDS_EXCHANGE[k]
    server = {f"nbgrader.server_extensions.{name}": False for name in off["server"]}
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    (folder / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": server}}, indent=2))
    (folder / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {f"@jupyter/nbgrader:{n}": True for n in off["lab"]}}, indent=2))
    (folder / "nbgrader_config.py").write_text(VALIDATE_CONFIG)
    return folder


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    workspace = Path(args[0] if args else "work").resolve()
    exchange = exchange_enabled()
    config = write_config(Path(sys.prefix) / "etc" / "dlcourse-lab", exchange)
    env = dict(os.environ)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [str(config), env.get("JUPYTER_CONFIG_PATH")]))
    print(f"dlcourse: serving {workspace}; nbgrader assignment list "
          f"{'on' if exchange else 'off (no exchange configured)'}; Validate is in the notebook toolbar")
    jupyter = Path(sys.executable).with_name("jupyter")
    cmd = [str(jupyter), "lab", *args[1:]]
    if hasattr(os, "getuid") and os.getuid() == 0 and "--allow-root" not in cmd:
        cmd.append("--allow-root")
    os.chdir(workspace)
    os.execve(cmd[0], cmd, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
