"""`make lab`'s launcher serves the workspace with Validate and without exchange errors."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "dlcourse-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    req = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    (work / "hello.txt").write_text("hi")
    port = free_port()
    log = open(work.parent / "lab.log", "w")
    env = {**os.environ, "DLCOURSE_EXCHANGE": "auto"}
    proc = subprocess.Popen([sys.executable, "-m", "dlcourse.lab", str(work), "--no-browser",
                             f"--port={port}", "--ServerApp.ip=127.0.0.1",
                             f"--IdentityProvider.token={TOKEN}"],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if get(f"{base}/api/status")[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    try:
        assert proc.poll() is None, f"JupyterLab exited: {(work.parent / 'lab.log').read_text()[-2000:]}"
        yield base, work, work.parent / "lab.log"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def page_config(html: str) -> dict:
    m = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    assert m, "no page config in the lab page"
    return json.loads(m.group(1))


def test_lab_serves_the_workspace(lab):
    base, work, _ = lab
    status, body = get(f"{base}/api/contents")
    assert status == 200
    assert "hello.txt" in [item["name"] for item in json.loads(body)["content"]]


def test_validate_is_on_and_exchange_parts_are_off_without_an_exchange(lab):
    base, _, log = lab
    status, html = get(f"{base}/lab")
    assert status == 200
    config = page_config(html)
    disabled = config.get("disabledExtensions", {})
    assert "@jupyter/nbgrader:assignment-list" in disabled and "@jupyter/nbgrader:formgrader" in disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    assert get(f"{base}/assignments?course_id=")[0] == 404  # handler not loaded: nothing to fail
    assert "ExchangeError" not in log.read_text()



def test_validate_runs_cells_with_sliced_polls_and_a_full_mode_time_limit(tmp_path):
    import nbformat
    from nbgrader.preprocessors import Execute
    from traitlets.config.loader import PyFileConfigLoader

    from dlcourse.kernel import SlicedKernelClient
    from dlcourse.lab import VALIDATE_CELL_TIMEOUT, write_config

    write_config(tmp_path, exchange=False)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    execute = Execute(config=config)  # what Validate runs the notebook with
    execute.nb = nbformat.v4.new_notebook()
    assert execute.timeout == VALIDATE_CELL_TIMEOUT > 30
    assert execute.create_kernel_manager().client_factory is SlicedKernelClient
