# The course's entry points. Every target sets up what it needs and is idempotent.
#   make lab     set up, copy the course into work/ (never overwriting), open JupyterLab
#   make test    set up, run every test
#   make e2e     set up, run the real-browser tests (JupyterLab in headless Chromium)
#   make release regenerate course/ from solutions/ (instructors)
#   make grade   autograde autograder/submitted/, write feedback and grades.csv
#   make report  the class report of the graded class (autograder/class-report/index.html)
#   make lms     Canvas or Moodle grade-import CSV: make lms ARGS='--roster roster.csv --format canvas'
#   make bench   training-loop benchmark and the course time table
#   make gpu-check  everything the course promises on a GPU (one line and exit 0 without one)
#   make student-dist  the student distribution in dist/ (notebooks, wheel, README; no solutions)
#   make site    the course website in dist/site/html (built offline)
#   make hub     run the course as a class on JupyterHub (root; README: Running a class on JupyterHub)
#   make hub-test  a whole class cycle on a throw-away hub with real accounts (root)

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
# VENV=... points make at another environment (the hub's grader: make grade VENV=/opt/dlcourse-hub/env)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
PYTEST_ARGS ?=
# Two workers suit the 2-core CI machine; each pins torch to one thread (see tests/conftest.py).
WORKERS ?= 2
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: system-test system-e2e system-grade system-hub system-hub-test hub-deps hub hub-test setup lab \
  instructor workspace test e2e release grade report lms bench bench-grading gpu-check student-dist site clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
	  { echo "The course needs Python 3.11 (found $$($(PYTHON) --version 2>&1)); run: make PYTHON=/path/to/python3.11 ..."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[pinned,test,site]'
	@touch $@

workspace: setup
	$(BIN)/python -m dlcourse.workspace course work

lab: workspace
	$(BIN)/python -m dlcourse.lab work $(ARGS)

# The instructor's JupyterLab at the repository root: formgrader, create-assignment, and
# nbgrader_config.py in effect.
instructor: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" jupyter lab $(ROOT_FLAG) $(ARGS)

# Debian packages a target needs (.ci/apt-packages): installed when that needs no password,
# otherwise one message, before anything else runs.
system-test system-e2e system-hub system-hub-test:
	@bash .ci/system-packages $(@:system-%=%)
system-grade:
	@bash .ci/system-packages --soft grade

test: system-test setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadscope $(PYTEST_ARGS)

# The real-browser tests (tests/e2e, left out of `make test`): Debian's chromium, no downloads.
# Screenshots and logs land in artifacts/e2e/.
e2e: system-e2e setup
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

release: setup
	$(BIN)/python -m autograder.release

grade: system-grade setup
	$(BIN)/python -m autograder.grade $(ARGS)

# The class report after `make grade` (autograder/report.py): autograder/class-report/index.html,
# its PNG plots and the same numbers as CSV; ARGS='--db URL' reads another gradebook.
report: setup
	$(BIN)/python -m autograder.report $(ARGS)

# Grade-import files for an LMS (autograder/lms.py) from the gradebook and a roster:
# make lms ARGS='--roster roster.csv --format canvas|moodle [--per-exercise]' writes
# autograder/exports/<format>.csv and <format>-missing.csv.
lms: setup
	$(BIN)/python -m autograder.lms $(ARGS)

# Training speed (dlcourse's fit against a DataLoader loop, threads 1 vs 2) and the course
# time table; ARGS="--full" adds full mode, ARGS="--only train" skips the notebooks.
bench: setup
	$(BIN)/python bench/train.py $(ARGS)

# Grading throughput: plain sequential nbgrader against make grade (40 submissions).
bench-grading: setup
	$(BIN)/python bench/grading.py $(ARGS)

# Everything the course promises on a CUDA GPU (bench/gpu_check.py): unit tests, every notebook in
# full mode with its promised figures, the benchmark's GPU rows; report in artifacts/gpu-check/.
# GPU_PYTHON=python3 uses a Python that already has a CUDA build of torch and the course's
# packages (a lab's GPU box, an offline machine) instead of `make setup`'s pinned set.
GPU_PYTHON ?=
gpu-check: $(if $(GPU_PYTHON),,setup)
	$(or $(GPU_PYTHON),$(BIN)/python) -m bench.gpu_check $(ARGS)

# What students get (publish/student_dist.py): dist/student/ (course/ notebooks, the dlcourse
# wheel with its datasets, a student README and Makefile) and dist/dlcourse-student.tar.gz;
# it fails if any solution, hidden-test or oracle line got in.
student-dist: setup
	$(BIN)/python -m publish.student_dist

# The course website (publish/site.py): dist/site/html/, built offline with Sphinx and myst-nb;
# the notebooks' fast-mode outputs are cached in dist/site/cache/ (a cold build runs all eight).
site: setup
	$(BIN)/python -m publish.site $(ARGS)

# The class hub (hub/): jupyterhub from the `hub` extra, its proxy from npm into hub/node_modules
# (hub/package-lock.json; never a global install).
HUB_STAMP := $(VENV)/.installed-hub
HUB_NPM_STAMP := hub/node_modules/.package-lock.json

$(HUB_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[pinned,test,hub]'
	@touch $@

$(HUB_NPM_STAMP): hub/package-lock.json
	cd hub && npm ci --no-audit --no-fund --loglevel=error

hub-deps: setup $(HUB_STAMP) $(HUB_NPM_STAMP)

# Prepare the machine (python -m hub.setup: exchange, homes, user environment, the grader's
# course copy) and run the hub in the foreground; settings from DLHUB_* (hub/settings.py).
hub: system-hub hub-deps
	@test "$$(id -u)" = 0 || { echo "make hub runs as root: it switches to each user's account"; exit 1; }
	$(BIN)/python -m hub.setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyterhub -f hub/jupyterhub_config.py

# A whole class on a throw-away hub: accounts created and removed, loopback only, screenshots
# and logs in artifacts/hub/.
hub-test: system-hub-test hub-deps
	$(BIN)/python -m pytest tests/hub -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf dist $(VENV) autograder/autograded autograder/feedback autograder/gradebook.db \
	  autograder/grades.csv autograder/report.csv autograder/class-report autograder/exports artifacts
