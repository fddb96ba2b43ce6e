"""Issue 15, points 2 and 4: history windows and calendars, as the operator meets them.

A range is clamped to the days each API still serves, with one line on what was left out, and
exits 0; days beyond the window that the lake holds stay partitions, so its history stays visible;
a day that can no longer be fetched and never was is no partition, and missing nowhere. A range naming no day of
any selected calendar gets one line per calendar, its range and why, and exits 2.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pyarrow as pa
import pytest

from claude_assets import cli, sources
from claude_assets.defs.freshness import missing_days
from claude_assets.engine import calendars
from claude_assets.ops.backfill import fitted
from claude_assets_tests.helpers import TODAY
from claude_assets_tests.stack import free_port

UTC = dt.timezone.utc
DAY = dt.timedelta(days=1)
WINDOW = sources.ENGAGEMENT.calendar.window_days


def _around(call, read):
    """`call()`'s answer and the values `read()` gave just before and just after it: one, or two when midnight passed
    while it ran; the code under test read the clock in between, so it saw one of them."""
    before = read()
    answer = call()
    return answer, {before, read()}


def _cli(capsys, *argv: str) -> tuple[int, list[str], list[str]]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def _backfill(capsys, start: dt.date, end: dt.date, select: str):
    unreachable = f"http://127.0.0.1:{free_port()}"  # a launched chunk would fail: nothing may be launched
    return _cli(capsys, "backfill", "--from", str(start), "--to", str(end), "--select", select, "--url", unreachable)


def test_a_backfill_beyond_the_history_window_asks_nothing_says_so_in_one_line_and_exits_0(capsys):
    start, end = TODAY - (WINDOW + 5) * DAY, TODAY - (WINDOW + 1) * DAY
    code, out, err = _backfill(capsys, start, end, "enterprise_summaries")
    assert code == 0, out + err
    [left_out] = [line for line in out if line.startswith("enterprise_summaries: left out ")]
    assert str(end) in left_out and "keeps only the last 90 days" in left_out


def test_a_range_across_the_window_edge_is_clamped_to_the_days_still_served():
    start, end = TODAY - 200 * DAY, TODAY - 10 * DAY
    fit, todays = _around(lambda: fitted(start, end, ["enterprise_summaries", "enterprise_cost", "api_cost"],
                                         served=True), calendars.utc_today)
    assert fit.ranges["enterprise_summaries"][0] in {max(calendars.ENTERPRISE_FLOOR, t - WINDOW * DAY) for t in todays}
    assert fit.ranges["enterprise_cost"][0] == max(calendars.ENTERPRISE_FLOOR, start)
    assert fit.ranges["api_cost"] == (start, end)
    assert not fit.outside


def test_days_beyond_the_window_that_the_lake_holds_stay_partitions_and_the_others_are_none():
    old = TODAY - (WINDOW + 30) * DAY
    if old - DAY < calendars.ENTERPRISE_FLOOR:
        pytest.skip("on this date the 90-day window reaches back to the API's first day")
    partitions = sources.ENGAGEMENT.calendar.partitions_def(kept={old}, today=TODAY)
    assert partitions.has_partition_key(old.isoformat())
    assert not partitions.has_partition_key((old - DAY).isoformat()), "never fetched, and it can no longer be"
    assert partitions.has_partition_key((TODAY - WINDOW * DAY).isoformat()), "the oldest day the API serves"
    assert sources.ENGAGEMENT.calendar.partitions_def().has_partition_key((old - DAY).isoformat()), \
        "without the lake's days (the joined assets), every day of the calendar"


def test_a_day_that_can_no_longer_be_fetched_and_never_was_is_missing_nowhere():
    """The lake holds one day fetched long ago, and the daily syncs' recent days; nothing is owed."""
    from claude_assets.definitions import defs
    from claude_assets.ops.status import asset_status

    now = dt.datetime.now(UTC)
    due = sources.ENGAGEMENT.calendar.newest_due(now)
    fetched_long_ago = now.date() - (WINDOW + 2) * DAY
    have = {d.isoformat() for d in [fetched_long_ago, *(due - n * DAY for n in range(3))]}
    assert missing_days(sources.ENGAGEMENT.calendar, have, calendars.ENTERPRISE_FLOOR, now) == []
    [spec] = [s for s in defs.resolve_all_asset_specs() if s.key.to_user_string() == "enterprise_summaries"]
    with dg.instance_for_test() as instance:
        for day in sorted(have):
            if spec.partitions_def.has_partition_key(day):
                instance.report_runless_asset_event(dg.AssetMaterialization(spec.key, partition=day))
        [row] = asset_status(instance, [spec], now)
    assert row["missing"] == []


@pytest.mark.parametrize("day,why", [
    (TODAY + 3 * DAY, "not served yet"),
    (TODAY, "not served yet"),  # engagement serves a day three days after it
    (calendars.ENTERPRISE_FLOOR - DAY, "the API has no data before 2026-01-01"),
])
def test_a_day_outside_its_calendar_gets_one_line_with_the_range_and_why(capsys, day, why):
    (code, out, err), ranges = _around(lambda: _backfill(capsys, day, day, "enterprise_summaries"), _range)
    assert code == 2 and out == []
    [line] = err
    assert any(line.startswith(f"claude-assets backfill: enterprise_summaries: {day} is outside its calendar, "
                               f"{calendar} ({why}") for calendar in ranges), line


def test_a_rebuild_of_a_day_outside_its_calendar_gets_the_same_line(capsys):
    (code, out, err), ranges = _around(lambda: _cli(capsys, "rebuild", "--from", str(TODAY), "--to", str(TODAY),
                                                    "--select", "enterprise_summaries"), _range)
    assert code == 2 and out == []
    assert err in [[f"claude-assets rebuild: enterprise_summaries: {TODAY} is outside its calendar, {calendar} "
                    "(not served yet: the API's newest day is today - 3)"] for calendar in ranges]


def _range() -> str:
    partitions = sources.ENGAGEMENT.calendar.partitions_def()
    return f"{partitions.get_first_partition_key()} to {partitions.get_last_partition_key()}"


def test_a_rebuild_from_the_kept_answers_asks_only_for_days_that_are_partitions(tmp_path):
    """A range reaching back past the window starts at the oldest day the lake holds or the API serves:
    `dg launch` would refuse a range that starts on a day that is not a partition."""
    import dataclasses

    from claude_assets.engine.lake import Lake
    from claude_assets.engine.organizations import DEFAULT
    from claude_assets.ops.rebuild import commands

    served = sources.ENGAGEMENT.calendar.bounds(TODAY, served=True)[0]
    if served <= calendars.ENTERPRISE_FLOOR:
        pytest.skip("on this date the 90-day window reaches back to the API's first day")
    org = dataclasses.replace(DEFAULT, data_dir=str(tmp_path))
    [command], todays = _around(lambda: commands(calendars.ENTERPRISE_FLOOR, TODAY - 10 * DAY,
                                                 ["enterprise_summaries"], [org]), calendars.utc_today)
    assert command[command.index("--partition-range") + 1] in {
        f"{sources.ENGAGEMENT.calendar.bounds(today, served=True)[0]}...{TODAY - 10 * DAY}" for today in todays}

    held = served - 30 * DAY
    Lake(str(tmp_path)).write_day("enterprise_summaries", held, pa.table({"date": [held]}), {})
    [command] = commands(calendars.ENTERPRISE_FLOOR, TODAY - 10 * DAY, ["enterprise_summaries"], [org])
    assert command[command.index("--partition-range") + 1] == f"{held}...{TODAY - 10 * DAY}"
