"""Freshness: every asset knows how stale its sync may get, and a check watches the data's own lag."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from claude_assets import sources
from claude_assets.defs.assets.raw import raw_assets
from claude_assets.defs.freshness import freshness_policy, lag_check, missing_days
from claude_assets_tests.helpers import resources

UTC = dt.timezone.utc


def test_every_asset_has_the_freshness_policy_of_its_source():
    from claude_assets.definitions import defs

    specs = list(defs.resolve_all_asset_specs())
    assert len(specs) == 21
    for spec in specs:
        assert spec.freshness_policy is not None, spec.key
        assert spec.freshness_policy.warn_window < spec.freshness_policy.fail_window


def test_a_user_can_widen_a_source_s_windows(monkeypatch):
    monkeypatch.setenv("CLAUDE_ASSETS_FRESHNESS_ENTERPRISE_ENGAGEMENT_HOURS", "30,54")
    policy = freshness_policy(sources.ENGAGEMENT)
    assert (policy.warn_window.to_timedelta(), policy.fail_window.to_timedelta()) == (
        dt.timedelta(hours=30), dt.timedelta(hours=54))


@pytest.mark.parametrize("setting", ["26", "soon,later", "0.001,0.002", "50,26"])
def test_a_freshness_setting_that_cannot_work_says_how_to_write_it(monkeypatch, setting):
    from claude_assets.engine.client import ConfigurationError

    monkeypatch.setenv("CLAUDE_ASSETS_FRESHNESS_TELEMETRY_HOURS", setting)
    with pytest.raises(ConfigurationError, match="CLAUDE_ASSETS_FRESHNESS_TELEMETRY_HOURS"):
        freshness_policy(sources.TELEMETRY)


@pytest.mark.parametrize("hour,due", [(9, 4), (16, 3)])
def test_engagement_day_d_minus_3_is_due_after_its_deadline(hour, due):
    now = dt.datetime(2026, 3, 20, hour, tzinfo=UTC)
    assert sources.ENGAGEMENT.calendar.newest_due(now) == now.date() - dt.timedelta(days=due)


def test_missing_days_inside_the_window_are_listed_oldest_first():
    now = dt.datetime(2026, 3, 20, 12, tzinfo=UTC)
    have = {f"2026-03-{d:02d}" for d in range(10, 20) if d != 14}
    missing = missing_days(sources.CLAUDE_CODE.calendar, have, dt.date(2026, 3, 10), now)
    assert missing == [dt.date(2026, 3, 14)]
    assert missing_days(sources.CLAUDE_CODE.calendar, have - {"2026-03-19"}, dt.date(2026, 3, 10), now)[-1] == dt.date(2026, 3, 19)


def test_the_lag_check_fails_loudly_when_the_newest_due_day_is_missing(emulator, tmp_path):
    due = sources.CLAUDE_CODE.calendar.newest_due(dt.datetime.now(UTC))
    check = lag_check("claude_code_usage", sources.CLAUDE_CODE.calendar)
    with dg.instance_for_test() as instance:
        earlier = [due - dt.timedelta(days=2), due - dt.timedelta(days=1)]
        dg.materialize(raw_assets, selection=["claude_code_usage"], instance=instance, resources=resources(emulator, str(tmp_path)),
                       tags={"dagster/asset_partition_range_start": str(earlier[0]),
                             "dagster/asset_partition_range_end": str(earlier[1])})
        result = dg.materialize([*raw_assets, check], selection=dg.AssetSelection.checks(check), instance=instance,
                                resources=resources(emulator, str(tmp_path)))
    [evaluation] = result.get_asset_check_evaluations()
    missing = evaluation.metadata["missing_days"].value
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert due.isoformat() in missing and not {d.isoformat() for d in earlier} & set(missing)


def requested(defs, instance, when: dt.datetime, cursor=None):
    """{asset: [partition keys]} the automation would request at `when`, and the cursor to carry on."""
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=when, cursor=cursor)
    found: dict[str, list[str]] = {}
    for asset_partition in result._requested_asset_partitions:
        found.setdefault(asset_partition.asset_key.to_user_string(), []).append(asset_partition.partition_key)
    return found, result.cursor


def test_each_calendar_requests_its_newest_day_after_its_cron_and_nothing_newer():
    from claude_assets.definitions import defs

    today = dt.datetime.now(UTC).date()
    with dg.instance_for_test() as instance:
        at_0100, cursor = requested(defs, instance, dt.datetime.combine(today, dt.time(1, 0), tzinfo=UTC))
        at_0200, cursor = requested(defs, instance, dt.datetime.combine(today, dt.time(2, 0), tzinfo=UTC), cursor)
        at_1100, _ = requested(defs, instance, dt.datetime.combine(today, dt.time(11, 0), tzinfo=UTC), cursor)
    yesterday, engagement_day = str(today - dt.timedelta(days=1)), str(today - dt.timedelta(days=3))
    assert at_0200.get("claude_code_usage") == [yesterday]
    assert "claude_code_usage" not in at_1100, "requested once a day"
    assert "enterprise_user_activity" not in at_0200, "engagement waits for its 10:30 UTC tick"
    assert at_1100.get("enterprise_user_activity") == [engagement_day]
    every_day = [day for days in (at_0200, at_1100) for partitions in days.values() for day in partitions]
    assert max(every_day) <= yesterday, "no day the APIs cannot serve is ever requested"


def test_the_provisional_refetch_runs_over_the_last_30_days_of_cost_every_morning():
    from claude_assets.definitions import defs

    schedule = next(s for s in defs.schedules if s.name == "refetch_provisional_enterprise_usage_cost")
    when = dt.datetime.combine(dt.datetime.now(UTC).date(), dt.time(7), tzinfo=UTC)
    [request] = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=when)).run_requests
    yesterday = when.date() - dt.timedelta(days=1)
    assert request.tags["dagster/asset_partition_range_end"] == str(yesterday)
    assert request.tags["dagster/asset_partition_range_start"] == str(yesterday - dt.timedelta(days=29))


def test_a_refetched_provisional_day_records_how_its_cost_moved(tmp_path):
    from claude_assets.emulator import Emulator, EmulatorConfig
    from claude_assets_tests.helpers import materializations, materialize

    now = dt.datetime.now(UTC).replace(microsecond=0)
    day = now.date() - dt.timedelta(days=3)
    with Emulator(EmulatorConfig(seed=6, users=20, rate_limit_per_minute=0, now=now)) as emu:
        first = materialize(emu, str(tmp_path), ["enterprise_cost"], day=day)
        emu.set_now(now + dt.timedelta(days=10))  # late events arrive; the day's totals are revised
        second = materialize(emu, str(tmp_path), ["enterprise_cost"], day=day)
    assert materializations(first)["enterprise_cost"][0].metadata["revised_totals"].value == {}
    moved = materializations(second)["enterprise_cost"][0].metadata["revised_totals"].value
    assert moved.get("amount_usd", 0) > 0, moved


def test_status_shows_each_asset_s_newest_day_gaps_and_last_failure(emulator, tmp_path):
    from claude_assets.definitions import defs
    from claude_assets.ops.status import asset_status

    now = dt.datetime.now(UTC)
    due = sources.CLAUDE_CODE.calendar.newest_due(now)
    specs = [s for s in defs.resolve_all_asset_specs() if s.key.to_user_string() == "claude_code_usage"]
    with dg.instance_for_test() as instance:
        for day in (due - dt.timedelta(days=2), due):
            dg.materialize(raw_assets, selection=["claude_code_usage"], instance=instance, partition_key=str(day),
                           resources=resources(emulator, str(tmp_path)))
        dg.materialize(raw_assets, selection=["claude_code_usage"], instance=instance, partition_key=str(due),
                       resources=resources(emulator, str(tmp_path), admin_key="sk-ant-admin01-revoked"),
                       raise_on_error=False)
        [row] = asset_status(instance, specs, now)
        failed_run = instance.get_runs(limit=1)[0].run_id
    assert row["newest"] == str(due) and row["due"] == str(due)
    assert row["missing"] == [str(due - dt.timedelta(days=1))]
    assert row["last_failure"] == failed_run
