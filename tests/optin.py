"""Test suites that run only when asked for (`make e2e`, `make hub-test`), never in `make test`.

A suite's conftest.py calls :func:`opt_in` with its folder and its environment variable:

    pytest_ignore_collect = opt_in(HERE, "DLCOURSE_E2E")
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

_TRUE = ("1", "on", "true", "yes")


def asked_for(folder: Path, env: str, config) -> bool:
    """True when ``env`` is set, or pytest was given a path inside ``folder``; False for a plain
    `pytest` run (pytest's testpaths, i.e. `make test`)."""
    if os.environ.get(env, "").strip().lower() in _TRUE:
        return True
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        return False
    for arg in config.args:
        path = (Path(config.invocation_params.dir) / arg.split("::")[0]).resolve()
        if path == folder or folder in path.parents:
            return True
    return False


def opt_in(folder: Path, env: str):
    """A ``pytest_ignore_collect`` hook that leaves ``folder`` out unless it was asked for."""
    def pytest_ignore_collect(collection_path, config):
        if folder in Path(collection_path).resolve().parents and not asked_for(folder, env, config):
            return True
        return None
    return pytest_ignore_collect
