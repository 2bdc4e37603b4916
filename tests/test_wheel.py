"""The dlcourse wheel stands alone: a course notebook runs from it outside the repository.

The test builds the wheel, makes a fresh virtual environment in a temporary folder whose
only extra packages are a copy of what this environment has *minus dlcourse* (it stands
for Colab: torch, numpy and matplotlib already there), and runs the solved 01-perceptron
student notebook there in fast mode. Its first cell is the course's own Colab install cell
(publish.colab), with the wheel's address pointed at the freshly built file, so the
command under test is the one every notebook carries. pip may not reach any index and
ignores this machine's pip config: whatever the wheel needs must already be there, and
nothing but dlcourse may be installed (torch stays the environment's own).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import nbformat
import torch

from publish.colab import INSTALL_ID
from publish.settings import publication
from publish.student_dist import build_wheel
from submissions import solved

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "01-perceptron"
# What the "Colab" environment gets from this one: everything but dlcourse (pip and setuptools
# included: torch asks for a newer setuptools than a new venv's).
LEFT_OUT = ("dlcourse", "__editable__", "_dlcourse")
REPORT = """\
import json, os, sys, torch, dlcourse, dlcourse.data
print("REPORT " + json.dumps({"executable": sys.executable, "dlcourse": dlcourse.__file__,
    "data_dir": str(dlcourse.data.data_dir()), "torch": torch.__version__, "sys_path": sys.path,
    "cwd": os.getcwd()}))"""
# Runs the notebook with nbclient in the fresh environment. Its kernel client polls in
# one-second slices, like dlcourse.kernel's (which cannot be imported before the install).
RUNNER = """\
import queue, sys, time, nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from nbclient import NotebookClient
from traitlets import Type

class Sliced(AsyncZMQSocketChannel):
    async def get_msg(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = 1.0 if deadline is None else deadline - time.monotonic()
            try:
                return await super().get_msg(timeout=max(0.0, min(1.0, left)))
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

class Client(AsyncKernelClient):
    shell_channel_class = Type(Sliced)
    iopub_channel_class = Type(Sliced)

nb = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(nb, timeout=300, kernel_name="python3")
client.km = client.create_kernel_manager()
client.km.client_factory = Client
client.execute()
nbformat.write(nb, sys.argv[1])
"""


def preinstalled_packages(folder: Path) -> Path:
    """A folder of links to this environment's packages, dlcourse left out (Colab's stand-in)."""
    site = Path(torch.__file__).resolve().parent.parent
    folder.mkdir()
    for entry in site.iterdir():
        if not entry.name.startswith(LEFT_OUT) and entry.suffix != ".pth":
            (folder / entry.name).symlink_to(entry)
    return folder


def fresh_venv(path: Path, preinstalled: Path) -> tuple[Path, Path]:
    """A new virtual environment that sees ``preinstalled`` (pip included); (python, site-packages)."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(path)],
                   check=True, capture_output=True)
    python = path / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "colab-stand-in.pth").write_text(f"{preinstalled}\n")
    return python, site


def notebook_installing(wheel: Path) -> nbformat.NotebookNode:
    """The solved student notebook, its install cell pointed at ``wheel``, plus a report cell."""
    nb = solved(ASSIGNMENT)
    install = next(c for c in nb.cells if c.get("id") == INSTALL_ID)
    assert publication().wheel_url in install.source
    install.source = install.source.replace(publication().wheel_url, wheel.as_uri())
    nb.cells.append(nbformat.v4.new_code_cell(REPORT))
    return nb


def clean_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DLCOURSE_DATA", "PIP_FIND_LINKS", "PIP_CONSTRAINT")}
    env.update(DLCOURSE_FAST="1", MPLBACKEND="Agg", PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull,
               PIP_DISABLE_PIP_VERSION_CHECK="1", JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
               JUPYTER_DATA_DIR=str(home / "jupyter-data"), JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
               HOME=str(home))
    return env


def report_of(nb) -> dict:
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return json.loads(text.split("REPORT ", 1)[1])


def test_course_notebook_runs_from_the_wheel_outside_the_repository(tmp_path):
    wheel = build_wheel(tmp_path / "wheels")
    assert wheel.is_file(), f"no wheel {wheel.name} built"
    python, site = fresh_venv(tmp_path / "venv", preinstalled_packages(tmp_path / "preinstalled"))
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "run.py").write_text(RUNNER)
    nbformat.write(notebook_installing(wheel), work / "perceptron.ipynb")
    result = subprocess.run([str(python), str(tmp_path / "run.py"), "perceptron.ipynb"], cwd=work,
                            env=clean_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"the notebook failed outside the repository:\n{result.stderr[-4000:]}"

    report = report_of(nbformat.read(work / "perceptron.ipynb", as_version=4))
    assert Path(report["executable"]).parent == python.parent
    assert Path(report["dlcourse"]).is_relative_to(site), "dlcourse was not imported from the installed wheel"
    assert Path(report["data_dir"]) == site / "dlcourse" / "datasets"
    assert report["torch"] == torch.__version__, "installing dlcourse replaced the environment's torch"
    assert Path(report["cwd"]) == work
    inside = [p for p in report["sys_path"] if p and Path(p).resolve().is_relative_to(ROOT)]
    assert not inside, f"the kernel could reach the repository through sys.path: {inside}"
    installed = {d.metadata["Name"].lower() for d in metadata.distributions(path=[str(site)])}
    assert installed - {"pip", "setuptools"} == {"dlcourse"}, f"pip installed more than dlcourse: {installed}"
