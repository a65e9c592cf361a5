# The two commands a fresh machine needs: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ADAPTERS := $(wildcard adapters/*/pyproject.toml)
ADAPTER_DIRS := $(patsubst %/pyproject.toml,%,$(ADAPTERS))

.PHONY: install demo test lint typecheck unit bench clean

install: $(STAMP)

$(STAMP): pyproject.toml $(ADAPTERS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(foreach d,$(ADAPTER_DIRS),-e ./$(d))
	touch $(STAMP)

demo: install
	$(BIN)/loyalty-connector demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/python -m pytest

test: lint typecheck unit

bench: install
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/backfill.py
	$(BIN)/python bench/evaluation.py
	$(BIN)/python bench/mapping.py
	$(BIN)/python bench/evaluation_strategy.py

clean:
	rm -rf $(VENV) build *.egg-info
