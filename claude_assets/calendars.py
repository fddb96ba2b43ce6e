"""Partition calendars that carry each API's lag and history window.

A partition that the API cannot serve yet does not exist (the calendar ends at D-1 or D-3 through
`end_offset`); a partition older than the API's history window does exist, so a backfill can ask
for it, and the sync reports it as "not available: <reason>" instead of crashing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import dagster as dg

ENTERPRISE_FLOOR = dt.date(2026, 1, 1)
DEFAULT_HISTORY_START = dt.date(2025, 1, 1)


def history_start() -> dt.date:
    """First partition for APIs without a documented floor (`CLAUDE_ASSETS_HISTORY_START`)."""
    value = os.environ.get("CLAUDE_ASSETS_HISTORY_START")
    return dt.date.fromisoformat(value) if value else DEFAULT_HISTORY_START


@dataclasses.dataclass(frozen=True)
class Calendar:
    """When a day's data exists, how far back the API serves it, and when it stops changing."""

    name: str
    lag_days: int  # newest partition = today - lag_days
    settles_after: dt.timedelta  # after the day ends, how long values may still be revised
    floor: dt.date | None = None  # nothing before this day, ever
    window_days: int | None = None  # only the last N days are served
    deadline_hour: int = 6  # UTC hour by which the newest partition (today - lag) should be in the lake

    def partitions_def(self) -> dg.DailyPartitionsDefinition:
        start = max(history_start(), self.floor) if self.floor else history_start()
        return dg.DailyPartitionsDefinition(
            start_date=start.isoformat(), end_offset=1 - self.lag_days, timezone="UTC"
        )

    def refused_without_asking(self, day: dt.date, today: dt.date) -> str | None:
        """Why the API would certainly refuse `day`, so no request is spent on it; else None.

        Days before the floor are refused forever; days beyond the rolling window are skipped
        with one day of margin, so a difference between our clock and the API's never loses a
        day. Everything nearer the edges is asked, and the API's own 400 is the authority.
        """
        if self.floor and day < self.floor:
            return f"before {self.floor.isoformat()}, the first day this API has data for"
        if self.window_days is not None and day < today - dt.timedelta(days=self.window_days + 1):
            return f"older than the {self.window_days} days of history this API keeps"
        return None

    def newest_due(self, now: dt.datetime) -> dt.date:
        """The newest day that should be in the lake by `now`: today - lag once past the deadline hour."""
        newest = now.date() - dt.timedelta(days=self.lag_days)
        return newest if now.hour >= self.deadline_hour else newest - dt.timedelta(days=1)

    def is_settled(self, day: dt.date, fetched_at: dt.datetime) -> bool:
        day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
        return fetched_at >= day_end + self.settles_after


CLAUDE_CODE = Calendar("claude_code", lag_days=1, settles_after=dt.timedelta(hours=2))
ADMIN_USAGE_COST = Calendar("admin_usage_cost", lag_days=1, settles_after=dt.timedelta(days=1))
# Engagement day N-1 is aggregated at 10:00 UTC on day N and served three days later.
ENGAGEMENT = Calendar(
    "engagement", lag_days=3, settles_after=dt.timedelta(days=3), floor=ENTERPRISE_FLOOR, window_days=90,
    deadline_hour=16,
)
ENTERPRISE_USAGE_COST = Calendar(
    "enterprise_usage_cost", lag_days=1, settles_after=dt.timedelta(days=30), floor=ENTERPRISE_FLOOR, window_days=365
)
# The Usage and Cost Analytics API: the same floor and window as the Enterprise reports it succeeds;
# its seat usage is revised for up to 30 days like theirs (its Console usage lands within minutes).
USAGE_COST_ANALYTICS = Calendar(
    "usage_cost_analytics", lag_days=1, settles_after=dt.timedelta(days=30), floor=ENTERPRISE_FLOOR, window_days=365
)
TELEMETRY = Calendar("telemetry", lag_days=1, settles_after=dt.timedelta(hours=1))

BY_NAME = {c.name: c for c in (CLAUDE_CODE, ADMIN_USAGE_COST, ENGAGEMENT, ENTERPRISE_USAGE_COST, USAGE_COST_ANALYTICS,
                                TELEMETRY)}
METADATA_KEY = "claude_assets/calendar"  # on every asset spec: the name of its calendar


def of(spec: dg.AssetSpec) -> Calendar:
    """The calendar an asset is partitioned on, from its spec's metadata."""
    return BY_NAME[spec.metadata[METADATA_KEY]]
