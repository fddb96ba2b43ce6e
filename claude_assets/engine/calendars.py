"""Partition calendars that carry each API's lag and history window.

A partition that the API cannot serve yet does not exist (the calendar ends at D-1 or D-3 through
`end_offset`). A day older than the API's rolling history window is a partition of the raw assets
only if the lake holds it (`partitions_def(kept=...)`): the lake is the history, so days fetched
while they were served stay visible, and days that can never be fetched are not partitions, so
Dagster's partition bar does not show them as missing. The joined assets keep every day, as their
inputs reach back further. Nothing asks the API for a day beyond its window (`fit` clamps every
range to `bounds(..., served=True)`), no such day is counted as missing (`freshness.missing_days`),
and if a run asks anyway, the sync reports it as "not available: <reason>" instead of crashing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Collection

import dagster as dg

ENTERPRISE_FLOOR = dt.date(2026, 1, 1)
DEFAULT_HISTORY_START = dt.date(2025, 1, 1)


def utc_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


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

    def first_partition(self) -> dt.date:
        return max(history_start(), self.floor) if self.floor else history_start()

    def partitions_def(self, kept: Collection[dt.date] | None = None, today: dt.date | None = None
                       ) -> dg.DailyPartitionsDefinition:
        """Every day of the calendar; with `kept` (the days the lake holds), less the days the API no longer
        serves on `today` that the lake never got: those can never be materialized, so they are not partitions
        (not "Missing" on Dagster's partition bar), while the lake's history stays."""
        return dg.DailyPartitionsDefinition(
            start_date=self.first_partition().isoformat(), end_offset=1 - self.lag_days, timezone="UTC",
            exclusions=None if kept is None else self.lost(set(kept), today or utc_today()) or None,
        )

    def lost(self, kept: set[dt.date], today: dt.date) -> list[dt.datetime]:
        """Days older than the API's window on `today` and not in `kept`, as the partition exclusions they become."""
        first, served = self.first_partition(), self.bounds(today, served=True)[0]
        days = (first + dt.timedelta(days=n) for n in range((served - first).days))
        return [dt.datetime.combine(d, dt.time(), tzinfo=dt.timezone.utc) for d in days if d not in kept]

    def bounds(self, today: dt.date, *, served: bool = False) -> tuple[dt.date, dt.date]:
        """First and last partition on `today`; with `served`, from the oldest day the API still serves."""
        first = self.first_partition()
        if served and self.window_days is not None:
            first = max(first, today - dt.timedelta(days=self.window_days))
        return first, today - dt.timedelta(days=self.lag_days)

    def why_not(self, day: dt.date, today: dt.date) -> str | None:
        """Why the API cannot be asked for `day`, in a few words for the operator; None when it can."""
        if day > today - dt.timedelta(days=self.lag_days):
            return f"not served yet: the API's newest day is today - {self.lag_days}"
        if self.floor and day < self.floor:
            return f"the API has no data before {self.floor.isoformat()}"
        if day < self.first_partition():
            return f"partitions start at CLAUDE_ASSETS_HISTORY_START, {self.first_partition().isoformat()}"
        if self.window_days is not None and day < today - dt.timedelta(days=self.window_days):
            return f"the API keeps only the last {self.window_days} days; days fetched before stay in the lake"
        return None

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


METADATA_KEY = "claude_assets/calendar"  # on every asset spec: the name of its calendar



@dataclasses.dataclass
class Fitted:
    """A requested range fitted to the calendars of the assets it names."""

    ranges: dict[str, tuple[dt.date, dt.date]]  # asset -> the days that can be asked for
    notes: list[str]  # one line per calendar that left days out: which and why
    outside: bool  # no asset has a single partition in the range: the request names no day that exists


def _days(first: dt.date, last: dt.date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"


def fit(start: dt.date, end: dt.date, assets: dict[str, Calendar], today: dt.date, *, served: bool) -> Fitted:
    """Clamp [start, end] to each asset's calendar and, with `served`, to what its API still serves.

    Days the API no longer serves are history, not errors: they are left out with one line saying
    so. A range with no partition at all for any asset is the operator's mistake, and its lines
    give each calendar's range and why.
    """
    by_calendar: dict[Calendar, list[str]] = {}
    for asset, calendar in assets.items():
        by_calendar.setdefault(calendar, []).append(asset)
    fitted = Fitted({}, [], outside=True)
    for calendar, names in by_calendar.items():
        who = ", ".join(names)
        first, last = calendar.bounds(today)
        if end < first or start > last:
            why = calendar.why_not(start if end < first else end, today)
            fitted.notes.append(f"{who}: {_days(start, end)} is outside its calendar, {first} to {last} ({why})")
            continue
        fitted.outside = False
        low, high = calendar.bounds(today, served=served)
        day = dt.timedelta(days=1)
        left_out = [(start, min(end, first - day)), (max(start, first), min(end, low - day)), (max(start, high + day), end)]
        left_out = [(a, b) for a, b in left_out if a <= b]
        if left_out:
            fitted.notes.append(f"{who}: left out " + "; ".join(
                f"{_days(a, b)} ({calendar.why_not(a, today)})" for a, b in left_out))
        if max(start, low) <= min(end, high):
            fitted.ranges.update({name: (max(start, low), min(end, high)) for name in names})
    return fitted
