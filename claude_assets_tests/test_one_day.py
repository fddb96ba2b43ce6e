"""`make test` runs within one UTC day: a suite started late in the evening gets a clock moved back."""

import datetime as dt

import pytest

from claude_assets_tests.one_day import MARGIN, offset


@pytest.mark.parametrize("at,moved", [
    ("2026-12-01 21:59:59", 0),  # two hours to midnight: a 40-minute suite ends the same day
    ("2026-12-01 22:00:01", 2 * 3600 - 1 + 60),  # to a minute past midnight
    ("2026-12-31 23:59:30", 90),  # also across a month's and a year's end
    ("2027-01-01 00:00:00", 0),
])
def test_a_suite_that_would_cross_midnight_runs_from_a_minute_past_it(at, moved):
    now = dt.datetime.fromisoformat(at).replace(tzinfo=dt.timezone.utc)
    assert offset(now) == moved
    start = now + dt.timedelta(seconds=offset(now))
    assert (start + MARGIN - dt.timedelta(seconds=61)).date() == start.date(), "a long suite later, still the same day"
