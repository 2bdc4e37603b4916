"""The sandbox, on its own: a tiny notebook run through SandboxedExecute reports what it sees."""
import json
import os
import stat

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder import cgroup, sandbox
from autograder.sandbox import SandboxedExecute
from submissions import ROOT, plant_links

pytestmark = pytest.mark.skipif(sandbox.bwrap_problem() is not None, reason="bubblewrap cannot run here")

PROBE = f"""
import json, os, socket
facts = {{"uid": os.getuid(), "cwd": os.getcwd(), "files": sorted(os.listdir('.')),
          "secret": os.environ.get("DLCOURSE_TEST_SECRET"),
          "solutions": os.path.exists({str(ROOT / 'solutions')!r}),
          "autograder": os.path.exists({str(ROOT / 'autograder')!r}),
          "home": os.path.exists({os.path.expanduser('~') + '/.bashrc'!r})}}
try:
    socket.create_connection(("127.0.0.1", 9), timeout=2)
    facts["network"] = "open"
except OSError as e:
    facts["network"] = type(e).__name__
try:
    open({str(ROOT / 'dlcourse' / 'SANDBOX-WRITE')!r}, "w")
    facts["write_dlcourse"] = True
except OSError:
    facts["write_dlcourse"] = False
open("scratch.txt", "w").write("mine")
import dlcourse.data
facts["digits"] = len(dlcourse.data.digits((0, 1)).y_train)
print("FACTS" + json.dumps(facts))
"""


def run(cells, tmp_path, **traits):
    (tmp_path / "helper.txt").write_text("shipped with the submission")
    nb = new_notebook(cells=[new_code_cell(c) for c in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    ex = SandboxedExecute(**{"timeout": 60, **traits})
    nb, _ = ex.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    return nb


def outputs_text(cell):
    return "".join(o.get("text", "") for o in cell.outputs) + "".join(
        f"{o.get('ename')}: {o.get('evalue')}" for o in cell.outputs if o.output_type == "error")


def test_the_kernel_sees_only_what_it_should(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCOURSE_TEST_SECRET", "instructor-only")
    nb = run([PROBE], tmp_path)
    text = outputs_text(nb.cells[0])
    facts = json.loads(text.split("FACTS", 1)[1].strip().splitlines()[0])
    assert facts["network"] in ("ConnectionRefusedError", "OSError", "TimeoutError")
    assert not facts["solutions"] and not facts["autograder"] and not facts["home"]
    assert facts["secret"] is None
    assert not facts["write_dlcourse"]
    assert facts["files"] == ["helper.txt"] and facts["cwd"] != str(tmp_path)
    assert facts["digits"] > 0  # the course's data and package are readable
    if os.getuid() == 0:
        assert facts["uid"] != 0
    assert not (tmp_path / "scratch.txt").exists(), "the kernel wrote into the real submission folder"
    assert not (ROOT / "dlcourse" / "SANDBOX-WRITE").exists()


def test_a_dead_kernel_is_restarted_and_later_cells_run(tmp_path):
    nb = run(["x = 1", "import os; os._exit(3)", "print('alive', 'x' in globals())"], tmp_path)
    assert "KernelDied" in outputs_text(nb.cells[1])
    assert "alive False" in outputs_text(nb.cells[2])


def test_a_hang_that_ignores_interrupts_is_cut_and_the_rest_runs(tmp_path):
    hang = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    nb = run(["y = 2", hang, "print('after', 'y' in globals())"], tmp_path, timeout=5)
    assert "CellTimeout" in outputs_text(nb.cells[1])
    assert "after False" in outputs_text(nb.cells[2])


def test_an_interruptible_slow_cell_keeps_the_kernel(tmp_path):
    nb = run(["z = 3", "import time\ntime.sleep(60)", "print('kept', z)"], tmp_path, timeout=5)
    assert "kept 3" in outputs_text(nb.cells[2])


def test_memory_and_process_limits(tmp_path):
    nb = run(["b = bytearray(3 * 2**30)",
              "import subprocess\nkids = [subprocess.Popen(['sleep', '60']) for _ in range(500)]",
              "print('still here')"], tmp_path, memory_limit_mb=1024, process_limit=32)
    assert "MemoryError" in outputs_text(nb.cells[0])
    assert "BlockingIOError" in outputs_text(nb.cells[1]) or "Resource temporarily" in outputs_text(nb.cells[1])
    assert "still here" in outputs_text(nb.cells[2])


def test_notebook_time_limit_marks_the_rest_as_not_run(tmp_path):
    nb = run(["import time\ntime.sleep(4)", "print('too late')"], tmp_path, notebook_timeout=3, timeout=60)
    assert "NotebookTimeLimit" in outputs_text(nb.cells[1]) or "CellTimeout" in outputs_text(nb.cells[0])
    assert "too late" not in outputs_text(nb.cells[1])


def test_links_planted_by_a_kernel_never_make_the_grader_touch_host_files(tmp_path):
    host = tmp_path / "host"
    host.mkdir(mode=0o700)
    canary_file, canary_dir, created = host / "canary.txt", host / "canary-dir", host / "created-by-grader"
    canary_file.write_text("keep me")
    canary_file.chmod(0o600)
    canary_dir.mkdir(mode=0o700)
    (canary_dir / "inner.txt").write_text("keep me too")
    (canary_dir / "inner.txt").chmod(0o600)
    work = tmp_path / "submission"
    work.mkdir()
    nb = run([plant_links(canary_file, canary_dir, created), "print('after restart')"], work)
    assert "KernelDied" in outputs_text(nb.cells[0])
    assert "after restart" in outputs_text(nb.cells[1]), "the kernel did not come back after the restart"
    assert stat.S_IMODE(canary_file.stat().st_mode) == 0o600 and canary_file.read_text() == "keep me"
    assert stat.S_IMODE(canary_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((canary_dir / "inner.txt").stat().st_mode) == 0o600
    assert not created.exists(), "the grader wrote a connection file through a planted link"
    if os.getuid() == 0:
        assert canary_file.stat().st_uid == 0 and canary_dir.stat().st_uid == 0


def test_the_sandbox_is_bounded_as_a_whole_where_cgroups_work(tmp_path):
    if cgroup.problem() is not None:
        pytest.skip(cgroup.problem())
    three_hogs = ("import os, sys\nkids = []\nfor _ in range(3):\n    pid = os.fork()\n    if pid == 0:\n"
                  "        try:\n            b = bytearray(400 * 2**20)\n"
                  "            b[::4096] = b'x' * len(b[::4096])\n"
                  "            import time; time.sleep(3)\n        finally:\n            os._exit(0)\n"
                  "    kids.append(pid)\nprint('statuses', [os.waitpid(p, 0)[1] for p in kids])")
    nb = run([three_hogs, "print('alive')"], tmp_path, memory_limit_mb=768)
    text = outputs_text(nb.cells[0])
    # each child holds 400 MiB, under the 768 MiB per-process limit; together they exceed the sandbox's
    assert "statuses [0, 0, 0]" not in text, text
    assert "statuses" in text or "KernelDied" in text, text


def test_the_sandbox_gets_its_cpu_quota_however_many_processes_it_forks(tmp_path):
    if cgroup.problem() is not None:
        pytest.skip(cgroup.problem())
    spin = ("import os, resource, time\nstart = time.time()\nkids = []\nfor _ in range(4):\n"
            "    pid = os.fork()\n    if pid == 0:\n"
            "        while time.time() < start + 4:\n            pass\n"
            "        os._exit(0)\n    kids.append(pid)\nfor p in kids:\n    os.waitpid(p, 0)\n"
            "wall = time.time() - start\ncpu = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "print('CPU', (cpu.ru_utime + cpu.ru_stime) / wall)")
    nb = run([spin], tmp_path, cpus=0.1)
    cores = float(outputs_text(nb.cells[0]).split("CPU", 1)[1].split()[0])
    assert cores < 0.2, f"four busy processes used {cores:.2f} cores of a 0.1-core sandbox"


def test_without_cgroups_a_sandbox_still_runs_on_rlimits(tmp_path, monkeypatch):
    monkeypatch.setattr(cgroup, "_v2_base", lambda: None)
    monkeypatch.setattr(cgroup, "_v1_bases", lambda: None)
    assert "cgroups cannot be used here" in cgroup.problem()
    cell = "import resource\nprint('ran', resource.getrlimit(resource.RLIMIT_DATA)[0] // 2**20)"
    nb = run([cell], tmp_path, memory_limit_mb=1024)
    assert "ran 1024" in outputs_text(nb.cells[0])
