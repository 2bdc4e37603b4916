"""Repository rules: pins agree, notebooks are committed clean, course/ is generated."""
import filecmp
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def pep508_pins(specs):
    pins = {}
    for spec in specs:
        name, op, version = re.match(r"^([A-Za-z0-9_.-]+)\s*(==|=)\s*(\S+)$", spec).groups()
        pins[name.lower()] = version
    return pins


def conda_pins(path):
    """Conda pins (name=version) and those of its pip section (name==version)."""
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^\s*-\s+([A-Za-z0-9_.-]+)(==|=)(\S+)\s*(#.*)?$", line)
        if m and m.group(1) != "python":
            pins[CONDA_NAMES.get(m.group(1), m.group(1)).lower()] = m.group(3)
    return pins


PINNED_EXTRAS = ("pinned", "test", "site", "hub")  # what `make setup` and the hub install: exact pins


def test_environment_yml_pins_match_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    pip = pep508_pins([spec for name in PINNED_EXTRAS for spec in extras[name]])
    conda = conda_pins(ROOT / "environment.yml")
    assert pip, "no pins found in pyproject.toml"
    assert conda == pip, (f"environment.yml and pyproject.toml disagree: only in pyproject "
                          f"{ {k: v for k, v in pip.items() if conda.get(k) != v} }, only in "
                          f"environment.yml { {k: v for k, v in conda.items() if pip.get(k) != v} }")
    assert "python=3.11" in (ROOT / "environment.yml").read_text()
    assert project["requires-python"].startswith(">=3.11")


def test_torch_is_pinned_to_2_13():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "torch==2.13.*" in project["optional-dependencies"]["pinned"]


def test_install_requirements_are_lower_bounds_covered_by_pins():
    """The wheel's own requirements never pin (so Colab keeps its torch), and each has a
    pin in the `pinned` extra that satisfies it (so `make setup` stays reproducible)."""
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = pep508_pins(project["optional-dependencies"]["pinned"])
    for spec in project["dependencies"]:
        req = Requirement(spec)
        assert all(s.operator == ">=" for s in req.specifier), f"{spec}: use a lower bound, not a pin"
        assert req.name.lower() in pins, f"{spec} has no pin in the pinned extra"
        pinned = pins[req.name.lower()].replace(".*", ".0")
        assert req.specifier.contains(pinned, prereleases=True), f"{spec} excludes its own pin {pinned}"


def tracked_notebooks():
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True)
    files = [ROOT / p for p in out.stdout.split()]
    # before the first commit git tracks nothing: fall back to the folders themselves
    return files or sorted((ROOT / "solutions").rglob("*.ipynb")) + sorted((ROOT / "course").rglob("*.ipynb"))


@pytest.mark.parametrize("path", tracked_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_committed_clean(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {i} has outputs: clear them before committing"
            assert cell.get("execution_count") is None, f"cell {i} has an execution count"
        assert "widgets" not in cell.get("metadata", {})
    assert "widgets" not in nb["metadata"], "notebook metadata holds saved widget state"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_course_is_exactly_what_release_produces(tmp_path):
    """course/ is generated: regenerating it into a temporary folder changes nothing."""
    out = tmp_path / "release"
    subprocess.run([sys.executable, "-m", "autograder.release", "--into", str(out),
                    "--db", f"sqlite:///{tmp_path / 'gb.db'}"], cwd=ROOT, check=True, capture_output=True)
    committed = sorted(p.relative_to(ROOT / "course") for p in (ROOT / "course").rglob("*") if p.is_file())
    produced = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert produced, "the release produced no files"
    assert committed == produced, "course/ and a fresh release hold different files: run `make release`"
    _, mismatch, errors = filecmp.cmpfiles(ROOT / "course", out, [str(p) for p in produced], shallow=False)
    assert not mismatch and not errors, f"course/ differs from a fresh release in {mismatch + errors}: run `make release`"


def test_every_graded_cell_has_an_oracle_and_a_bare_probe():
    from autograder.oracle import load_exercises

    for nb_path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        exercises = load_exercises(nb_path.parent.name)
        graded = []
        for cell in json.loads(nb_path.read_text())["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
                gid = meta["grade_id"]
                graded.append(gid)
                source = "".join(cell["source"])
                hidden = source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
                calls = re.findall(r"probe(?:_value)?\(\s*\"([^\"]+)\"", hidden)
                assert calls == [gid], f"{nb_path.name}:{gid}: the hidden part must probe exactly {gid!r}"
        assert sorted(graded) == sorted(exercises), f"{nb_path.name}: graded cells and oracle disagree"
        assert len(graded) >= 6, f"{nb_path.name}: at least 6 graded exercises"
