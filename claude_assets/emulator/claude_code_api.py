"""GET /v1/organizations/usage_report/claude_code — one UTC day of per-actor activity.

A day without activity, or before the organization's history, is an empty 200 page, not an
error (field report F9). `claude_code_amounts="string"` sends `estimated_cost.amount` as a
decimal string, as one peer's fixtures show it.
"""

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
    if req.config.claude_code_amounts == "string":
        page = [_string_amounts(row) for row in page]
    has_more = offset + limit < len(all_rows)
    return {
        "data": page,
        "has_more": has_more,
        "next_page": req.next_page({"offset": offset + limit}, as_of) if has_more else None,
    }


def _string_amounts(row: dict) -> dict:
    """A copy of the row with every estimated cost as a decimal string (the cached row is shared)."""
    breakdown = [{**m, "estimated_cost": {**m["estimated_cost"], "amount": str(m["estimated_cost"]["amount"])}}
                 for m in row["model_breakdown"]]
    return {**row, "model_breakdown": breakdown}
