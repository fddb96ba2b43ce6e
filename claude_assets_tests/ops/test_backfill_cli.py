"""An operator's year-long backfill, launched by `claude-assets backfill` through a real webserver and daemon."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.lake import Lake
from claude_assets.ops.backfill import plan
from claude_assets_tests.helpers import TODAY
from claude_assets_tests.stack import BIN, dagster_stack, free_port


@pytest.fixture
def running_dagster(tmp_path):
    with Emulator(EmulatorConfig(seed=5, users=15, rate_limit_per_minute=0)) as emu:
        with dagster_stack(tmp_path, emu) as (url, env, lake):
            yield url, env, lake, emu


def test_a_backfill_is_chunked_and_clamped_to_each_calendar():
    end = TODAY - dt.timedelta(days=1)
    chunks = plan(end - dt.timedelta(days=99), end, {
        "claude_code_usage": (dt.date(2025, 1, 1), end),
        "enterprise_user_activity": (dt.date(2026, 1, 1), end - dt.timedelta(days=2)),
    }, chunk_days=31)
    assert [len(range((c.end - c.start).days + 1)) for c in chunks] == [31, 31, 31, 7]
    assert chunks[-1].ranges["enterprise_user_activity"][1] == end - dt.timedelta(days=2)
    assert chunks[0].ranges["claude_code_usage"][0] == end - dt.timedelta(days=99)


@pytest.mark.stack
@pytest.mark.subprocess
@pytest.mark.slow
def test_the_backfill_command_lands_every_day_through_the_running_instance(running_dagster):
    url, env, lake_dir, emu = running_dagster
    first, last = TODAY - dt.timedelta(days=6), TODAY - dt.timedelta(days=3)
    completed = subprocess.run(
        [str(BIN / "claude-assets"), "backfill", "--from", str(first), "--to", str(last),
         "--select", "claude_code_usage,claude_code_model_usage,api_cost", "--url", url, "--chunk-days", "2"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "2 chunk(s)" in completed.stdout and completed.stdout.count("completed_success") == 2
    days = [first + dt.timedelta(days=n) for n in range(4)]
    lake = Lake(str(lake_dir))
    for asset in ("claude_code_usage", "claude_code_model_usage", "api_cost"):
        assert lake.days(asset) == days
    assert emu.admin_key not in completed.stdout + completed.stderr


@pytest.mark.subprocess
def test_the_backfill_command_says_when_no_webserver_answers():
    completed = subprocess.run(
        [str(BIN / "claude-assets"), "backfill", "--from", "2026-03-01", "--to", "2026-03-02",
         "--url", f"http://127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 2
    assert "Cannot reach the Dagster webserver" in completed.stderr
