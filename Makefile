# The course's entry points. Every target sets up what it needs and is idempotent.
#   make lab     set up, copy the course into work/ (never overwriting), open JupyterLab
#   make test    set up, run every test
#   make release regenerate course/ from solutions/ (instructors)
#   make grade   autograde autograder/submitted/, write feedback and grades.csv

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=
PYTEST_ARGS ?=
# Two workers suit the 2-core CI machine; each pins torch to one thread (see tests/conftest.py).
WORKERS ?= 2
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup lab instructor workspace test release grade bench-grading clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
	  { echo "The course needs Python 3.11 (found $$($(PYTHON) --version 2>&1)); run: make PYTHON=/path/to/python3.11 ..."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

workspace: setup
	$(BIN)/python -m dlcourse.workspace course work

lab: workspace
	$(BIN)/python -m dlcourse.lab work $(ARGS)

# The instructor's JupyterLab at the repository root: formgrader, create-assignment, and
# nbgrader_config.py in effect.
instructor: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" jupyter lab $(ROOT_FLAG) $(ARGS)

test: setup
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadscope $(PYTEST_ARGS)

release: setup
	$(BIN)/python -m autograder.release

grade: setup
	$(BIN)/python -m autograder.grade $(ARGS)

# Grading throughput: plain sequential nbgrader against make grade (40 submissions).
bench-grading: setup
	$(BIN)/python bench/grading.py $(ARGS)

clean:
	rm -rf $(VENV) autograder/autograded autograder/feedback autograder/gradebook.db \
	  autograder/grades.csv autograder/report.csv artifacts
