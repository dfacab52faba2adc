# `make test` installs everything into .venv (created when missing) and runs the suite.
# `make demo` runs the main job end to end on the sample the project ships.
# `make recipe` pretrains a small BERT on ../shared's text and fine-tunes it beside random init.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED_DATA ?= ../shared/data
RECIPE_DIR ?= $(HOME)/bert_tf_recipe

.PHONY: test test-all demo install install-test recipe

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

recipe: $(VENV)/.runtime-installed
	$(PY) -m bench.pretraining_recipe --shared_data=$(SHARED_DATA) --work_dir=$(RECIPE_DIR)
