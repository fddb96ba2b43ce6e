"""Left alone, the deployment syncs on schedule and says so when data goes stale: a real dagster-daemon."""

from __future__ import annotations

import datetime as dt

import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.lake import Lake
from claude_assets_tests.helpers import Webhook
from claude_assets_tests.stack import dagster_stack, wait_for


@pytest.mark.stack
@pytest.mark.slow
def test_a_scheduled_sync_lands_then_a_stale_alert_reaches_the_webhook(tmp_path):
    webhook = Webhook()
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=2)
    yesterday = soon.date() - dt.timedelta(days=1)  # the newest day when the sync fires, even past midnight
    fast = {
        # the Claude Code report syncs two minutes from now (once), and is stale 62 s (warn) / 124 s (fail) later
        "CLAUDE_ASSETS_CLAUDE_CODE_ANALYTICS_SYNC_CRON": f"{soon.minute} {soon.hour} * * *",
        "CLAUDE_ASSETS_FRESHNESS_CLAUDE_CODE_ANALYTICS_HOURS": "0.0172,0.0345",
        "CLAUDE_ASSETS_ALERT_WEBHOOK_URL": webhook.url,
        # Dagster's freshness daemon looks every 5 s instead of 30, so the stale state is seen soon after 62 s
        "FRESHNESS_DAEMON_INTERVAL_SECONDS": "5",
    }
    try:
        with Emulator(EmulatorConfig(seed=5, users=10, rate_limit_per_minute=0)) as emu, \
                dagster_stack(tmp_path, emu, fast, webserver=False) as (_, _, lake_dir):
            lake = Lake(str(lake_dir))
            wait_for(lambda: yesterday in lake.days("claude_code_usage"), 300,
                     "no scheduled sync of the newest day landed", tmp_path)
            wait_for(lambda: any("claude_code_usage is stale" in text for text in webhook.texts()), 300,
                     "no stale alert reached the webhook", tmp_path)
            assert emu.admin_key not in " ".join(webhook.texts())
    finally:
        webhook.close()
    stale = [t for t in webhook.texts() if "claude_code_usage is stale" in t]
    assert len(stale) == 1, "one alert per incident, not one per tick"
