# One command to try it, one to test it. Both create .venv on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test ui install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Start the embedded emulator, materialize the last 7 available days, print what landed, stop.
demo: $(STAMP)
	$(BIN)/claude-assets demo

## The Dagster UI against the emulator; Ctrl-C stops both.
ui: $(STAMP)
	$(BIN)/claude-assets ui

## Run the whole test suite (what CI runs).
test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
