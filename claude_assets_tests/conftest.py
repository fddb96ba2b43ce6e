"""Shared fixtures: a real emulator on loopback for every test that talks HTTP."""

from __future__ import annotations

import pytest

from claude_assets.emulator import Emulator, EmulatorConfig


@pytest.fixture
def emulator():
    """A fresh emulator per test, so fault switches and rate budgets never leak between tests."""
    with Emulator(EmulatorConfig(seed=7, users=20)) as emu:
        yield emu
