# The front door. `make demo` and `make test` do all the set-up they need on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint fmt migrate run setup system clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

setup: $(STAMP)

## system: PostgreSQL + PostGIS running, Debian chromium for the browser tests (installs when missing)
system:
	scripts/ensure-system.sh

demo: setup
	$(BIN)/tartip demo

test: setup system
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not bench" $(PYTEST_ARGS)

bench: setup system
	$(BIN)/python -m pytest tests -p no:xdist -m bench $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: setup
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

migrate: setup
	$(BIN)/tartip db upgrade

run: setup
	$(BIN)/tartip serve

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
