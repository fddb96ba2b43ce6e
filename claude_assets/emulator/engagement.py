"""Shared rules of the Enterprise Analytics engagement endpoints: which days exist, paging
without `has_more`, and `filter[]=dimension:value` parsing.

Availability follows the original contract the reference recommends for emulators: nothing
before 2026-01-01, nothing older than 90 days, and the newest day is today - lag_days. Every
refusal of a day not yet available names that newest day in one fixed sentence, which peers
parse (field report F11).
"""

from __future__ import annotations

from datetime import date, timedelta

from .errors import invalid
from .params import Query
from .request import ApiRequest

FIRST_DAY = date(2026, 1, 1)
HISTORY_DAYS = 90
MAX_FILTERS = 100


def latest_day(req: ApiRequest) -> date:
    return req.now.date() - timedelta(days=req.config.lag_days)


def check_available(req: ApiRequest, day: date, name: str) -> None:
    today = req.now.date()
    if day < FIRST_DAY:
        raise invalid(f"{name} {day.isoformat()} is before 2026-01-01. No analytics data exists before 2026-01-01.")
    earliest = today - timedelta(days=HISTORY_DAYS)
    if day < earliest:
        raise invalid(
            f"{name} {day.isoformat()} is outside the {HISTORY_DAYS}-day history window. "
            f"The earliest available date is {max(earliest, FIRST_DAY).isoformat()}."
        )
    latest = latest_day(req)
    if day > latest:
        raise invalid(
            f"{name} {day.isoformat()} is not yet available. The latest available date is {latest.isoformat()}."
        )


def check_range_end(req: ApiRequest, end: date) -> None:
    """An exclusive `ending_date` may reach one day past the latest available day."""
    latest = latest_day(req)
    if end > latest + timedelta(days=1):
        raise invalid(
            f"ending_date {end.isoformat()} (exclusive) reaches days that are not yet available. "
            f"The latest available date is {latest.isoformat()}. ending_date can be at most "
            f"{(latest + timedelta(days=1)).isoformat()}."
        )


def the_day(req: ApiRequest, q: Query) -> date:
    day = q.day("date", required=True)
    check_available(req, day, "date")
    return day


def filters(q: Query, dimensions: tuple[str, ...]) -> dict[str, set[str]]:
    """`filter[]=dimension:value` pairs; the same dimension ORs, different dimensions AND."""
    raw = q.many("filter[]")
    if len(raw) > MAX_FILTERS:
        raise invalid(f"filter[] accepts at most {MAX_FILTERS} values; got {len(raw)}.")
    parsed: dict[str, set[str]] = {}
    for item in raw:
        dimension, sep, value = item.partition(":")
        if not sep or not value or dimension not in dimensions:
            raise invalid(
                f"filter[] value {item!r} must look like dimension:value with dimension one of {', '.join(dimensions)}."
            )
        parsed.setdefault(dimension, set()).add(value)
    return parsed


def paged(req: ApiRequest, q: Query, rows_of, default_limit: int) -> dict:
    """Slice a full, deterministic row list into a page: `{"data": [...], "next_page": ...}`."""
    limit = q.integer("limit", default_limit, 1, 1000)
    position, as_of = req.page(q)
    rows = req.cached(as_of, rows_of)
    offset = position.get("offset", 0)
    more = offset + limit < len(rows)
    return {
        "data": rows[offset:offset + limit],
        "next_page": req.next_page({"offset": offset + limit}, as_of) if more else None,
    }


def user_passes(req: ApiRequest, user, flt: dict[str, set[str]]) -> bool:
    if "user_id" in flt and user.id not in flt["user_id"]:
        return False
    if "rbac_group_id" in flt:
        groups = {req.org.rbac_groups[g][0] for g in user.rbac_groups}
        if not groups & flt["rbac_group_id"]:
            return False
    return True
