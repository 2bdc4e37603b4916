"""Run nbgrader's command line from the repository root, where its config lives."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
STEP_TIMEOUT_S = 600  # the time limit of an nbgrader step that is not given its own


def assignments() -> list[str]:
    """Assignment names in lecture order: the folders of solutions/ holding a notebook."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def nbgrader(*args: str, timeout: float = STEP_TIMEOUT_S,
             env: dict | None = None) -> subprocess.CompletedProcess:
    """``nbgrader <args>`` with this repository's nbgrader_config.py; output captured.

    Raises ``subprocess.TimeoutExpired`` (the process killed) after ``timeout`` seconds."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    full_env = {**os.environ, **(env or {})}
    # nbgrader runs `alembic` (gradebook migrations) from PATH: put this venv's bin/ first
    full_env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), full_env.get("PATH", "")])
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=full_env)
