"""UTC time helpers and the intraday activity profile.

Activity inside a day follows one working-hours curve. A day total V is split over any
interval [s0, s1) of the day as floor(V*C(s1)) - floor(V*C(s0)), where C is the cumulative
share of the day's activity at second s. The split telescopes, so hourly, minute and
partial-day views always add up exactly to the daily totals.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from itertools import accumulate

UTC = timezone.utc
DAY = timedelta(days=1)
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 9, 10, 11, 10, 9, 7, 5, 4, 3, 2, 2, 1)
_TOTAL = sum(_HOUR_WEIGHTS)
_CUMULATIVE = (0.0, *(c / _TOTAL for c in accumulate(_HOUR_WEIGHTS)))


def day_share(seconds: float) -> float:
    """C(s): the share of a day's activity that happened before `seconds` after midnight."""
    if seconds <= 0:
        return 0.0
    if seconds >= 86400:
        return 1.0
    hour, rest = divmod(seconds, 3600)
    hour = int(hour)
    return _CUMULATIVE[hour] + (_CUMULATIVE[hour + 1] - _CUMULATIVE[hour]) * rest / 3600


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    """`2026-03-02T00:00:00Z` (no fractional seconds when whole)."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def days_between(start: date, end: date):
    """Days in [start, end)."""
    day = start
    while day < end:
        yield day
        day += DAY


def day_pieces(start: datetime, end: datetime):
    """Split [start, end) at UTC midnights into (day, share_start, share_end) triples."""
    moment = start
    while moment < end:
        day = moment.date()
        day_start = midnight(day)
        piece_end = min(end, day_start + DAY)
        yield (
            day,
            day_share((moment - day_start).total_seconds()),
            day_share((piece_end - day_start).total_seconds()),
        )
        moment = piece_end


def floor_to(moment: datetime, width: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((moment - epoch) // width) * width
