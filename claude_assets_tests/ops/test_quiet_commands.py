"""The commands a newcomer types print what matters first: the README's runs use the command the pinned
Dagster recommends on the project's dagster.yaml, a failed run leads with our message, and a day outside
a calendar gets one line with the range and why (issue 15, points 4 and 5)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import dagster as dg
import pytest

from claude_assets import sources
from claude_assets.definitions import defs
from claude_assets.engine import calendars
from claude_assets.engine.client.errors import MissingKeyError
from claude_assets_tests.helpers import _env, block_after
from claude_assets_tests.stack import BIN, REPO

DAY = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=3)).isoformat()


def test_the_walkthrough_uses_dg_launch_on_the_projects_instance():
    steps = block_after("walkthrough")
    assert "dagster asset materialize" not in steps and steps.count(".venv/bin/dg launch ") == 2
    assert "python -m claude_assets.instance" in steps


@pytest.mark.subprocess
def test_a_failed_run_in_a_terminal_leads_with_our_message(tmp_path):
    env = _env(tmp_path)
    ready = subprocess.run([str(BIN / "python"), "-m", "claude_assets.instance"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert ready.returncode == 0, ready.stderr
    assert "python_log_level: INFO" in (tmp_path / "home" / "dagster.yaml").read_text()
    ran = subprocess.run([str(BIN / "dg"), "launch", "-m", "claude_assets.definitions", "--assets",
                          "claude_code_usage", "--partition", DAY], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    said = (ran.stderr + ran.stdout).splitlines()
    assert ran.returncode == 1
    assert not any(word in "\n".join(said) for word in ("DEBUG", "SupersessionWarning", "No dagster instance")), said
    # The steps' lines arrive in either order: a dependent step's one-line skip may come before the failure.
    lead = next(i for i, line in enumerate(said) if "STEP_FAILURE" in line)
    assert lead <= 1 and all("Dependencies" in line for line in said[:lead]), said[:4]
    assert said[lead + 2].startswith(
        "dagster._core.definitions.events.Failure: MissingKeyError: No key is set for the Admin"), said[:4]


def test_a_failed_run_records_our_message_not_a_wrapped_exception(tmp_path, monkeypatch):
    """The run page shows the run's failure error first: it must be our message, not Dagster's wrapper."""
    for name in [n for n in os.environ if n.startswith(("ANTHROPIC_", "CLAUDE_ASSETS_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CLAUDE_ASSETS_DATA_DIR", str(tmp_path / "data"))
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection={dg.AssetKey("claude_code_usage")})
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, partition_key=DAY, raise_on_error=False)
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data
    assert failure.user_failure_data is not None
    assert failure.user_failure_data.description.startswith(f"{MissingKeyError.__name__}: No key is set for the Admin")
    assert failure.error.message.startswith("dagster._core.definitions.events.Failure: MissingKeyError")


@pytest.mark.subprocess
def test_a_day_outside_its_calendar_gets_one_line_with_the_range_and_why(tmp_path):
    today = dt.datetime.now(dt.timezone.utc).date()
    ran = subprocess.run([str(BIN / "claude-assets"), "launch", "--assets", "enterprise_summaries",
                          "--partition", today.isoformat()], cwd=REPO, env=_env(tmp_path), capture_output=True,
                         text=True, timeout=120)
    assert ran.returncode == 2 and ran.stdout == ""
    lines = ran.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"claude-assets launch: enterprise_summaries: {today} is outside "
                                                   "its calendar, 2026-01-01 to "), lines
    assert "(not served yet" in lines[0]


@pytest.mark.subprocess
def test_a_day_the_api_no_longer_serves_and_the_lake_never_got_gets_one_line_too(tmp_path):
    """Such a day is not a partition (it could never be materialized): the line says why, not a traceback."""
    today = dt.datetime.now(dt.timezone.utc).date()
    lost = max(today - dt.timedelta(days=sources.ENGAGEMENT.calendar.window_days + 5), calendars.ENTERPRISE_FLOOR)
    if lost >= today - dt.timedelta(days=sources.ENGAGEMENT.calendar.window_days):  # the API still serves every day
        pytest.skip("on this date the 90-day window reaches back to the API's first day")
    ran = subprocess.run([str(BIN / "claude-assets"), "launch", "--assets", "enterprise_summaries",
                          "--partition", lost.isoformat()], cwd=REPO, env=_env(tmp_path), capture_output=True,
                         text=True, timeout=120)
    assert ran.returncode == 2 and ran.stdout == ""
    assert ran.stderr.splitlines() == [
        f"claude-assets launch: enterprise_summaries: {lost} is not one of its partitions, as the lake never got it "
        "(the API keeps only the last 90 days; days fetched before stay in the lake)"]
