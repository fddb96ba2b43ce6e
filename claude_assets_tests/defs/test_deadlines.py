"""Issue 15, point 3: `partition_lag` reports deadlines, not curiosity.

It looks at the day due and the gaps the daily syncs left in their week; a day older than that,
materialized by hand to look at it, never fails the check nor pages anyone.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from claude_assets import sources
from claude_assets.defs.freshness import MAINTAINED_DAYS, lag_check, missing_days
from claude_assets.engine import calendars

UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)


def _keys(days) -> set[str]:
    return {d.isoformat() for d in days}


def test_an_old_day_materialized_by_hand_changes_nothing():
    now = dt.datetime(2026, 12, 1, 17, tzinfo=UTC)
    due = sources.ENGAGEMENT.calendar.newest_due(now)
    synced = _keys(due - n * DAY for n in range(3))  # the daily syncs started three days ago
    before = missing_days(sources.ENGAGEMENT.calendar, synced, calendars.ENTERPRISE_FLOOR, now)
    for back in (MAINTAINED_DAYS, 14, 60):
        explored = synced | _keys([due - back * DAY])
        assert missing_days(sources.ENGAGEMENT.calendar, explored, calendars.ENTERPRISE_FLOOR, now) == before == []


def test_a_gap_the_daily_syncs_left_this_week_and_the_day_due_are_still_reported():
    now = dt.datetime(2026, 12, 1, 17, tzinfo=UTC)
    due = sources.ENGAGEMENT.calendar.newest_due(now)
    synced = _keys(due - n * DAY for n in range(1, MAINTAINED_DAYS) if n != 3)
    assert missing_days(sources.ENGAGEMENT.calendar, synced, calendars.ENTERPRISE_FLOOR, now) == [due - 3 * DAY, due]


def test_the_check_passes_after_someone_explores_a_day_two_weeks_back():
    """The issue's story: daily syncs running, one day two weeks back materialized by hand."""
    key = dg.AssetKey("enterprise_summaries")
    calendar = sources.ENGAGEMENT.calendar
    due = calendar.newest_due(dt.datetime.now(UTC))

    @dg.asset(key=key, partitions_def=calendar.partitions_def())
    def enterprise_summaries():
        return None

    check = lag_check(key, calendar)
    with dg.instance_for_test() as instance:
        for day in [*(due - n * DAY for n in range(3)), due - 14 * DAY]:
            instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=day.isoformat()))
        result = dg.materialize([enterprise_summaries, check], selection=dg.AssetSelection.checks(check),
                                instance=instance)
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed, evaluation.metadata["missing_days"].value
    assert evaluation.metadata["missing_days"].value == []
