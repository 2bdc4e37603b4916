"""`.ci/system-packages`: a fresh machine gets its Debian packages, or one message at once.

Run on a copy of the script with a package list naming a command no machine has, as a
user without root and without password-less sudo (stand-ins for `id` and `sudo` first on
the PATH), so nothing is installed.
"""
import shutil
import subprocess
import time

import pytest

from submissions import ROOT

LIST = """# package   command   targets
bubblewrap    bwrap-not-here    test grade
git           git               test
chromium      chromium-not-here e2e
"""


@pytest.fixture
def checkout(tmp_path):
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "system-packages", tmp_path / ".ci")
    (tmp_path / ".ci" / "apt-packages").write_text(LIST)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {"id": "echo 1000", "sudo": "exit 1"}.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return tmp_path


def run(checkout, *args):
    env = {"PATH": f"{checkout / 'bin'}:/usr/bin:/bin"}
    start = time.monotonic()
    proc = subprocess.run(["bash", str(checkout / ".ci" / "system-packages"), *args], capture_output=True,
                          text=True, env=env, timeout=60)
    return proc, time.monotonic() - start


def test_missing_package_without_root_stops_at_once_with_one_message(checkout):
    proc, seconds = run(checkout, "test")
    assert proc.returncode == 1 and seconds < 5
    lines = proc.stderr.strip().splitlines()
    assert lines == ["make test needs bwrap-not-here (Debian packages: bubblewrap), and it cannot install "
                     "them here without a password: install them with sudo apt-get install bubblewrap, "
                     "then run make test again."]


def test_only_the_targets_packages_are_asked_for(checkout):
    proc, _ = run(checkout, "e2e")
    assert proc.returncode == 1 and "chromium" in proc.stderr and "bubblewrap" not in proc.stderr


def test_soft_mode_warns_and_goes_on(checkout):
    proc, _ = run(checkout, "--soft", "grade")
    assert proc.returncode == 0 and proc.stderr.startswith("note: make grade needs bwrap-not-here")


def test_nothing_missing_is_silent(checkout):
    (checkout / ".ci" / "apt-packages").write_text("git git test\n")
    proc, _ = run(checkout, "test")
    assert proc.returncode == 0 and proc.stdout == proc.stderr == ""
