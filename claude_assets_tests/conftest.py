"""Shared fixtures: a real emulator on loopback for every test that talks HTTP."""

from __future__ import annotations

import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine import fetch
from claude_assets.engine.client import ratelimit, redact


@pytest.fixture(autouse=True)
def a_new_process() -> None:
    """Each test starts as a new process would: no key's organization learnt, no rate budget spent, no key
    remembered. A test then passes on what its own code did, whatever ran before it in this process."""
    fetch.forget_key_organizations()
    ratelimit.forget_limiters()
    redact.forget_keys()


@pytest.fixture
def emulator():
    """A fresh emulator per test, so fault switches and rate budgets never leak between tests."""
    with Emulator(EmulatorConfig(seed=7, users=20)) as emu:
        yield emu
