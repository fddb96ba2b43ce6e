"""Shared fixtures: a real emulator on loopback for every test that talks HTTP."""

from __future__ import annotations

import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine import fetch
from claude_assets.engine.client import ratelimit, redact
from claude_assets_tests.helpers import start


@pytest.fixture(autouse=True)
def a_new_process() -> None:
    """Each test starts as a new process would: no key's organization learnt, no rate budget spent, no key
    remembered. A test then passes on what its own code did, whatever ran before it in this process."""
    fetch.forget_key_organizations()
    ratelimit.forget_limiters()
    redact.forget_keys()


# Tiers by marker, heaviest first: daemons, webservers and browsers, then real waits, then other processes.
TIERS = ({"stack", "browser"}, {"slow"}, {"subprocess"})


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Heavy stories first, so that under `-n 2 --dist loadgroup` each worker starts on a long one and the short
    tests fill in around them, instead of the minutes-long stories meeting at the end on one worker. Runs last
    and sorts stably, so pytest's order within a tier (modules together, fixtures set up once) is kept."""
    def tier(item) -> int:
        marks = {mark.name for mark in item.iter_markers()}
        return next((i for i, names in enumerate(TIERS) if marks & names), len(TIERS))

    items.sort(key=tier)


@pytest.fixture
def emu():
    """The emulator at a fixed `helpers.NOW` and without a rate limit, for the emulator's own stories (a module
    that needs another kind of emulator defines its own `emu`)."""
    emulator = start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator():
    """A fresh emulator per test, so fault switches and rate budgets never leak between tests."""
    with Emulator(EmulatorConfig(seed=7, users=20)) as emu:
        yield emu
