"""GET /v1/organizations/usage_report/claude_code — one UTC day of per-actor activity."""

from __future__ import annotations

from datetime import timedelta

from .claude_code_rows import day_rows
from .errors import invalid
from .request import ApiRequest
from .timeutil import day_share, midnight

FRESHNESS = timedelta(hours=1)  # only activity older than this is served


def claude_code_report(req: ApiRequest) -> dict:
    q = req.query("starting_at", "limit", "page")
    day = q.day("starting_at", required=True)
    limit = q.integer("limit", 20, 1, 1000)
    position, as_of = req.page(q)
    today = as_of.date()
    if day > today:
        raise invalid(
            f"starting_at {day.isoformat()} is in the future. The newest day with data is today, "
            f"{today.isoformat()} (activity older than one hour)."
        )
    share = 1.0
    if day == today:
        share = day_share((as_of - FRESHNESS - midnight(day)).total_seconds())

    def rows():
        return day_rows(req.org, day, share) if share > 0 else []

    all_rows = req.cached(as_of, rows)
    offset = position.get("offset", 0)
    page = all_rows[offset:offset + limit]
    has_more = offset + limit < len(all_rows)
    return {
        "data": page,
        "has_more": has_more,
        "next_page": req.next_page({"offset": offset + limit}, as_of) if has_more else None,
    }
