# `make test` installs everything into .venv (created when missing) and runs the suite.
# `make demo` runs the main job end to end on the sample the project ships.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: test test-all demo install install-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt $(VENV)/.runtime-installed
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.runtime-installed
install-test: $(VENV)/.test-installed

test: $(VENV)/.test-installed
	$(PY) -m pytest -n 2 -q tests

test-all: $(VENV)/.test-installed
	$(PY) -m pytest -n 2 -q -m "" tests

demo: $(VENV)/.runtime-installed
	PYTHON=$(PY) bash demo.sh
