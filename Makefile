# One command to try it, one to test it. Both create .venv on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check test-calendar ui install system-packages clean
# What the tests start besides Python: headless Chromium for the UI test, PostgreSQL for the deployment test,
# faketime for `make test-calendar`.
SYSTEM_PACKAGES := chromium chromium-driver postgresql faketime
# Two pytest-xdist workers; loadgroup keeps tests marked with one xdist_group on one worker. The heaviest stories
# are collected first (conftest.py), so each worker starts on one.
PARALLEL := -n 2 --dist loadgroup
# The fast tier: no daemon, webserver, browser, separate claude-assets/dg/dagster process or real wait.
FAST := not stack and not browser and not slow and not subprocess

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Start the embedded emulator, materialize the last 7 available days into ./demo in one process, print what
## landed and how long it took, stop. `rm -rf ./demo` deletes it.
demo: $(STAMP)
	$(BIN)/claude-assets demo

## The Dagster UI against the emulator; Ctrl-C stops both.
ui: $(STAMP)
	$(BIN)/claude-assets ui

## Debian packages the tests need, installed with apt-get when missing (as root, or through sudo).
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages for the tests:" $$missing; \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

## Run the whole test suite (what CI runs), within one UTC day (claude_assets_tests/one_day.py).
test: $(STAMP) system-packages
	$(BIN)/python -m claude_assets_tests.one_day $(PARALLEL)

## The fast tier while working (under 4 minutes): every test but the stack, browser, subprocess and slow ones.
check: $(STAMP)
	$(BIN)/python -m pytest $(PARALLEL) -m "$(FAST)"

## The tests that read the clock, under faketime at a spread of instants (claude_assets_tests/clock_matrix.py).
test-calendar: $(STAMP) system-packages
	$(BIN)/python -m claude_assets_tests.clock_matrix

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
