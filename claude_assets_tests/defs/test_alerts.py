"""Alerts: one message per incident and one when it clears, through a real instance and a real webhook."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pytest
from dagster._core.definitions.freshness import FreshnessState

from claude_assets.defs.alerts import Alert, Notifier
from claude_assets.defs.sensors import ALERT_TAG, failure_alert_sensor
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.client.errors import ADMIN_KEY_CHECKS
from claude_assets_tests.helpers import TODAY, Webhook, freshness, materialize, tick

DAY = TODAY - dt.timedelta(days=6)


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def emu():
    with Emulator(EmulatorConfig(seed=11, users=5, rate_limit_per_minute=0)) as emulator:
        yield emulator


def notifier(url: str) -> Notifier:
    return Notifier(webhook_url=url, ui_url="http://127.0.0.1:3000/", timeout_s=2)


def run_failure_sensor(instance, result, notify: Notifier):
    context = dg.build_run_status_sensor_context(
        sensor_name="claude_assets_failure_alerts",
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        resources={"notifier": notify},
    ).for_run_failure()
    failure_alert_sensor(context)


def test_a_rejected_key_fires_one_alert_with_the_checks_and_one_recovery(emu, tmp_path, webhook):
    notify = notifier(webhook.url)
    with dg.instance_for_test() as instance:
        failed = materialize(emu, str(tmp_path), ["claude_code_usage"], day=DAY, instance=instance,
                             admin_key="sk-ant-admin01-revoked")
        assert not failed.success
        run_failure_sensor(instance, failed, notify)
        cursor = tick(instance, notify, None)
        cursor = tick(instance, notify, cursor)
        [text] = webhook.texts()
        assert "claude_code_usage" in text and DAY.isoformat() in text
        assert "KeyRejectedError: " in text and "rejected the key in ANTHROPIC_ADMIN_API_KEY" in text
        assert ADMIN_KEY_CHECKS in text
        assert f"http://127.0.0.1:3000/runs/{failed.run_id}" in text
        assert "sk-ant-admin01-revoked" not in text
        assert instance.get_run_by_id(failed.run_id).tags[ALERT_TAG] == "delivered"

        assert materialize(emu, str(tmp_path), ["claude_code_usage"], day=DAY, instance=instance).success
        cursor = tick(instance, notify, cursor)
        tick(instance, notify, cursor)
        assert len(webhook.texts()) == 2
        assert webhook.texts()[1].startswith("claude_code_usage recovered")


def test_a_failure_names_the_assets_the_days_and_what_to_do(emu, tmp_path, webhook):
    days = [DAY - dt.timedelta(days=1), DAY]
    with dg.instance_for_test() as instance:
        failed = materialize(emu, str(tmp_path), ["claude_code_usage"], days=days, instance=instance,
                             admin_key="sk-ant-api03-not-an-admin-key")
        run_failure_sensor(instance, failed, notifier(webhook.url))
        [text] = webhook.texts()
        assert f"claude_code_usage for {days[0]}...{days[1]}" in text
        assert "What to do" in text or "Check, in order" in text


def test_a_stale_asset_fires_one_alert_and_one_recovery_across_ticks(webhook):
    notify = notifier(webhook.url)
    with dg.instance_for_test() as instance:
        freshness(instance, "api_cost", FreshnessState.PASS, FreshnessState.WARN)
        cursor = tick(instance, notify, None)
        freshness(instance, "api_cost", FreshnessState.WARN, FreshnessState.FAIL)
        cursor = tick(instance, notify, cursor)
        cursor = tick(instance, notify, cursor)
        assert len(webhook.texts()) == 1 and webhook.texts()[0].startswith("api_cost is stale (WARN)")
        freshness(instance, "api_cost", FreshnessState.FAIL, FreshnessState.PASS)
        cursor = tick(instance, notify, cursor)
        tick(instance, notify, cursor)
        assert webhook.texts()[1:] == ["api_cost is fresh again (freshness PASS)."]


def test_a_missed_partition_deadline_opens_and_closes_one_incident(webhook):
    notify = notifier(webhook.url)

    def lag(passed: bool):
        return dg.AssetCheckEvaluation(asset_key=dg.AssetKey("api_usage"), check_name="partition_lag", passed=passed,
                                       metadata={"missing_days": "2026-03-02, 2026-03-03"})

    with dg.instance_for_test() as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization("api_usage", partition="2026-03-01"))
        instance.report_runless_asset_event(lag(False))
        cursor = tick(instance, notify, None)
        instance.report_runless_asset_event(lag(False))
        cursor = tick(instance, notify, cursor)
        instance.report_runless_asset_event(lag(True))
        tick(instance, notify, cursor)
        assert webhook.texts() == [
            webhook.texts()[0], "api_usage caught up: partition_lag passes again.",
        ]
        assert "missed its partition deadline: missing 2026-03-02, 2026-03-03" in webhook.texts()[0]


def test_a_failing_webhook_never_breaks_a_sensor_and_is_retried_next_tick(emu, tmp_path):
    broken = Webhook(status=500)
    try:
        notify = notifier(broken.url)
        with dg.instance_for_test() as instance:
            failed = materialize(emu, str(tmp_path), ["claude_code_usage"], day=DAY, instance=instance,
                                 admin_key="sk-ant-admin01-revoked")
            run_failure_sensor(instance, failed, notify)
            freshness(instance, "api_cost", FreshnessState.PASS, FreshnessState.FAIL)
            cursor = tick(instance, notify, None)
            assert len(broken.received) == 3, "the failure alert, then on the tick its retry and the stale alert"
            assert instance.get_run_by_id(failed.run_id).tags[ALERT_TAG] == "undelivered"
            assert len(json.loads(cursor)["outbox"]) == 1

            broken.status = 200
            cursor = tick(instance, notify, cursor)
            assert len(json.loads(cursor)["outbox"]) == 0
            assert instance.get_run_by_id(failed.run_id).tags[ALERT_TAG] == "delivered"
            delivered = broken.texts()[3:]
            assert len(delivered) == 2 and any(t.startswith("api_cost is stale") for t in delivered)
            tick(instance, notify, cursor)
            assert len(broken.received) == 5
    finally:
        broken.close()


def test_a_webhook_that_times_out_or_is_unreachable_returns_false():
    alert = Alert("failure", "run:x", "boom sk-ant-admin01-Xy9secretKEY")
    assert Notifier(webhook_url="http://127.0.0.1:9/hook", timeout_s=0.5).send(alert) is False
    assert Notifier().send(alert) is True
    assert "sk-ant-admin01-Xy9secretKEY" not in Notifier().render(alert)
