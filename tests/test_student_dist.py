"""`make student-dist`: the course, the wheel and a student README, and not one secret line."""
from __future__ import annotations

import io
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from publish.leaks import scan, secret_lines
from publish.settings import publication
from publish.student_dist import TARBALL, build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build(out)
    return out


def files_of(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_student_dist_holds_the_course_wheel_readme_and_nothing_else(dist):
    files = files_of(dist / "student")
    notebooks = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "course").glob("*/*.ipynb"))
    assert [f for f in files if f.endswith(".ipynb")] == notebooks
    wheel = f"wheels/{publication().wheel_name}"
    assert set(files) == set(notebooks) | {wheel, "README.md", "Makefile", ".gitignore"}
    for rel in notebooks:  # the released notebooks, byte for byte
        assert (dist / "student" / rel).read_bytes() == (ROOT / rel).read_bytes()
    readme = (dist / "student" / "README.md").read_text()
    assert f'pip install "{wheel}[pinned]"' in readme and "python -m dlcourse.lab work" in readme
    with zipfile.ZipFile(dist / "student" / wheel) as z:
        names = z.namelist()
    assert {"dlcourse/datasets/digits.npz", "dlcourse/datasets/SHA256SUMS"} <= set(names)
    assert not [n for n in names if n.startswith(("autograder", "solutions", "tests", "publish"))]
    with tarfile.open(dist / TARBALL) as tar:
        packed = sorted(m.name.removeprefix("dlcourse-student/") for m in tar.getmembers() if m.isfile())
    assert packed == files


def test_student_dist_has_no_solution_hidden_test_or_oracle_line(dist):
    leaks = scan(dist)  # the folder, the wheel inside it and the tarball
    assert not leaks, "\n".join(f"{leak.file}: {leak.line!r} (from {leak.origin})" for leak in leaks[:20])


def test_scan_finds_planted_secrets_in_files_and_archives(dist, tmp_path):
    """The scan can fail: solutions, an oracle and a hidden test planted in the distribution are found."""
    planted = tmp_path / "student"
    shutil.copytree(dist / "student", planted)
    shutil.copy(ROOT / "solutions" / "01-perceptron" / "perceptron.ipynb", planted / "course" / "copy.ipynb")
    oracle = (ROOT / "autograder" / "oracles" / "02_mlp.py").read_text()
    wheel = next((planted / "wheels").glob("*.whl"))
    with zipfile.ZipFile(wheel, "a") as z:
        z.writestr("dlcourse/oracle.py", oracle)
    hidden = next(line for line, origin in secret_lines().items() if "hidden test" in origin)
    with tarfile.open(planted / "extra.tar.gz", "w:gz") as tar:
        data = f"x = 1\n    {hidden}\n".encode()
        info = tarfile.TarInfo("notes.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    origins = {(leak.file.split("!")[0], leak.origin.split(" (")[-1]) for leak in scan(planted)}
    assert ("course/copy.ipynb", "solution)") in origins
    assert ("course/copy.ipynb", "hidden test)") in origins
    assert (f"wheels/{wheel.name}", "oracle)") in origins
    assert ("extra.tar.gz", "hidden test)") in origins
