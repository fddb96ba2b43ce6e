"""Time buckets for the bucketed reports, and splitting per-day totals into them.

Per-day group totals are cut into any [start, end) with the intraday profile
(`timeutil.day_share`); because the cut telescopes, buckets always add up to the day.
An explicit `ending_at` must lie on the bucket grid (field report F4).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Callable

from .errors import invalid
from .timeutil import day_pieces, floor_to

WIDTHS = {"1d": timedelta(days=1), "1h": timedelta(hours=1), "1m": timedelta(minutes=1)}


def check_end(start: datetime, end: datetime, width: timedelta | None) -> None:
    """The live reports refuse an empty range, and read an `ending_at` off the bucket grid
    (e.g. 23:59:59 with 1d buckets) as a range that ends too early, with these messages.
    `width` None: the report has no buckets, so any later instant will do."""
    if end <= start:
        raise invalid("ending_at must be after starting_at")
    if width is not None and floor_to(end, width) != end:
        raise invalid("Invalid date range: ending date must be after starting date")


def plan(start: datetime, end: datetime, width: timedelta, offset: int, limit: int):
    """The page of buckets [offset, offset+limit) between floor(start) and end, and has_more."""
    first = floor_to(start, width)
    total = max(0, math.ceil((end - first) / width))
    stop = min(total, offset + limit)
    return [(first + i * width, first + (i + 1) * width) for i in range(offset, stop)], stop < total


def split(day_groups: Callable[[date], dict], start: datetime, end: datetime) -> dict[tuple, list[int]]:
    """Sum each group's per-day vector over [start, end), cutting partial days by share."""
    totals: dict[tuple, list[int]] = {}
    for day, c0, c1 in day_pieces(start, end):
        for key, vector in day_groups(day).items():
            acc = totals.setdefault(key, [0] * len(vector))
            if c0 == 0.0 and c1 == 1.0:
                for i, v in enumerate(vector):
                    acc[i] += v
            else:
                for i, v in enumerate(vector):
                    acc[i] += math.floor(v * c1) - math.floor(v * c0)
    return {k: v for k, v in totals.items() if any(v)}
