"""Enterprise Analytics GET /analytics/users (per-user activity) and /analytics/summaries.

A user appears in /users for a day exactly when they were active that day, so the day's
row count is the summaries' daily_active_user_count. A user's claude_code_metrics are the
sum of their Claude Code report rows for the day. As on the live API, about half of the blocks
of products a user did not touch arrive as null instead of zeros (field report F8), and every
row carries the grouping fields, null when ungrouped (F13). /summaries without `ending_date`
answers the starting day only (F6).
"""

from __future__ import annotations

from datetime import date, timedelta

from . import activity, catalog, ids
from .activity import UserDay
from .engagement import FIRST_DAY, check_available, check_range_end, filters, latest_day, paged, user_passes
from .errors import invalid
from .request import ApiRequest
from .timeutil import DAY, days_between, midnight, rfc3339

MAX_ROLLUP_DAYS = 366
MAX_SUMMARY_DAYS = 31
BLOCK_PRODUCTS = (  # metric block -> the product whose use fills it
    ("chat_metrics", "chat"), ("claude_code_metrics", "claude_code"), ("cowork_metrics", "cowork"),
    ("office_metrics", "office_agent"), ("design_metrics", "claude_design"), ("science_metrics", "science"),
)
NULL_BLOCK_SHARE = 0.5

# Flat layout of a user-day's metrics: (path...) in the order of `_flat()`.
PATHS: tuple[tuple[str, ...], ...] = (
    *(("chat_metrics", f) for f in activity.CHAT_FIELDS),
    ("claude_code_metrics", "core_metrics", "commit_count"),
    ("claude_code_metrics", "core_metrics", "pull_request_count"),
    ("claude_code_metrics", "core_metrics", "lines_of_code", "added_count"),
    ("claude_code_metrics", "core_metrics", "lines_of_code", "removed_count"),
    ("claude_code_metrics", "core_metrics", "distinct_session_count"),
    ("claude_code_metrics", "core_metrics", "artifacts_created_count"),
    *(("claude_code_metrics", "tool_actions", tool, side)
      for tool in activity.TOOL_KEYS for side in ("accepted_count", "rejected_count")),
    *(("cowork_metrics", f) for f in activity.COWORK_FIELDS),
    *(("design_metrics", f) for f in activity.DESIGN_FIELDS),
    *(("office_metrics", app, f) for app in catalog.OFFICE_APPS for f in activity.OFFICE_FIELDS),
    *(("science_metrics", f) for f in activity.SCIENCE_FIELDS),
    ("web_search_count",),
)


def _flat(ud: UserDay) -> list[int]:
    code = ud.code
    tools = [sum(rec.tools[t][side] for rec in code) for t in range(len(activity.TOOL_KEYS)) for side in (0, 1)]
    return [
        *ud.chat,
        sum(r.commits for r in code), sum(r.pull_requests for r in code),
        sum(r.lines_added for r in code), sum(r.lines_removed for r in code),
        sum(r.sessions for r in code), 0,
        *tools, *ud.cowork, *ud.design,
        *(v for app in catalog.OFFICE_APPS for v in ud.office[app]),
        *ud.science, ud.web_search_count,
    ]


def _nest(values: list[int], aggregated: bool) -> dict:
    """Metric blocks from a flat vector; distinct counts can't be summed, so aggregated rows
    (roll-ups and groups) carry null for them, as the reference allows."""
    out: dict = {}
    for path, value in zip(PATHS, values):
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = None if aggregated and path[-1].startswith("distinct_") else value
    return out


def _add(acc: list[int] | None, values: list[int]) -> list[int]:
    return values if acc is None else [a + b for a, b in zip(acc, values)]


def _null_unused_blocks(req: ApiRequest, row: dict, user, day: date, used: set[str]) -> None:
    """Send about half of the blocks of products the user did not use as null, the choice fixed
    by (seed, user, day, block); a block with any non-zero value always stays an object."""
    draws = ids.uniforms(ids.digest(req.org.seed, "null-metric-blocks"), user.index, day.toordinal())
    for (block, product), draw in zip(BLOCK_PRODUCTS, draws):
        if product not in used and draw < NULL_BLOCK_SHARE and not any(_leaves(row[block])):
            row[block] = None


def _leaves(node: dict):
    for value in node.values():
        yield from _leaves(value) if isinstance(value, dict) else (value,)


def users(req: ApiRequest) -> dict:
    q = req.query("date", "starting_date", "ending_date", "limit", "page", "group_by[]", "filter[]", "order")
    flt = filters(q, ("project_id", "rbac_group_id", "user_id"))
    group_by = q.many("group_by[]", ("rbac_group_id",))
    descending = q.choice("order", ("asc", "desc"), "asc") == "desc"
    days = _requested_days(req, q)
    rollup = len(days) > 1 or q.has("starting_date")

    def rows() -> list[dict]:
        per_key: dict = {}
        last_seen: dict = {}
        members: dict = {}
        used: dict = {}
        for day in days:
            for ud in req.org.active_user_days(day):
                if not user_passes(req, ud.user, flt):
                    continue
                if "project_id" in flt and not {req.org.projects[p[0]].id for p in ud.projects} & flt["project_id"]:
                    continue
                keys = [req.org.rbac_groups[g][0] for g in ud.user.rbac_groups] if group_by else [ud.user.email]
                flat = _flat(ud)
                for key in keys:
                    per_key[key] = _add(per_key.get(key), flat)
                    last_seen[key] = day
                    members.setdefault(key, set()).add(ud.user.index)
                    used.setdefault(key, set()).update(ud.products)
        out = []
        for key in sorted(per_key, reverse=descending):
            row: dict
            if group_by:
                name = dict(req.org.rbac_groups)[key]
                row = {"rbac_group_id": key, "rbac_group_name": name, "distinct_user_count": len(members[key])}
            else:
                user = req.org.user_by_email(key)
                row = {"user": {"id": user.id, "email_address": user.email, "type": "user"},
                       "rbac_group_id": None, "rbac_group_name": None, "distinct_user_count": None}
            row.update(_nest(per_key[key], aggregated=rollup or bool(group_by)))
            row["last_activity_date"] = last_seen[key].isoformat()
            if not group_by and req.config.null_metric_blocks:
                _null_unused_blocks(req, row, user, days[0], used[key])
            out.append(row)
        return out

    return paged(req, q, rows, default_limit=20)


def _requested_days(req: ApiRequest, q) -> list[date]:
    day = q.day("date")
    start = q.day("starting_date")
    end = q.day("ending_date")
    if day is not None and (start is not None or end is not None):
        raise invalid("Give either `date` (one day) or `starting_date`/`ending_date` (a roll-up), not both.")
    if day is not None:
        check_available(req, day, "date")
        return [day]
    if start is None:
        raise invalid("`date` is required (or `starting_date`, with optional `ending_date`, for a roll-up).")
    check_available(req, start, "starting_date")
    if end is None:
        end = latest_day(req) + DAY
    if end <= start:
        raise invalid("ending_date is exclusive and must be later than starting_date.")
    if (end - start).days > MAX_ROLLUP_DAYS:
        raise invalid(f"The range from starting_date to ending_date may span at most {MAX_ROLLUP_DAYS} days.")
    check_range_end(req, end)
    return list(days_between(start, end))


_PRODUCT_COUNTS = (  # summaries prefix -> activity product
    ("chat", "chat"), ("claude_code", "claude_code"), ("claude_design", "claude_design"),
    ("office_agent", "office_agent"), ("science", "science"),
)


def summaries(req: ApiRequest) -> dict:
    q = req.query("starting_date", "ending_date", "filter[]")
    start = q.day("starting_date", required=True)
    end = q.day("ending_date")
    flt = filters(q, ("rbac_group_id",))
    check_available(req, start, "starting_date")
    if end is None:
        end = start + DAY
    if end <= start:
        raise invalid("ending_date is exclusive and must be later than starting_date.")
    if (end - start).days > MAX_SUMMARY_DAYS:
        raise invalid(f"The range from starting_date to ending_date may span at most {MAX_SUMMARY_DAYS} days.")
    check_range_end(req, end)
    scope = -1
    if flt:
        scope = 0
        for u in req.org.users:
            if user_passes(req, u, flt):
                scope |= 1 << u.index
    rows = [_summary(req, day, scope, scoped=bool(flt)) for day in days_between(start, end)]
    return {"data": rows, "next_page": None, "summaries": rows}


def _window(req: ApiRequest, day: date, days: int, product: str | None, scope: int) -> int:
    """Distinct active users in the `days`-day window ending on `day` (inclusive). Days before
    2026-01-01 have no data, so early windows undercount, as the reference warns."""
    mask = 0
    for back in range(days):
        d = day - timedelta(days=back)
        if d < FIRST_DAY:
            break
        mask |= req.org.active_mask(d, product)
    return (mask & scope).bit_count()


def _summary(req: ApiRequest, day: date, scope: int, scoped: bool) -> dict:
    org = req.org
    dau, wau, mau = (_window(req, day, n, None, scope) for n in (1, 7, 30))
    seats = None if scoped else org.members_on(day)

    def rate(active: int):
        return None if not seats else round(100 * active / seats, 2)

    row = {
        "starting_at": rfc3339(midnight(day)),
        "ending_at": rfc3339(midnight(day + DAY)),
        "daily_active_user_count": dau,
        "weekly_active_user_count": wau,
        "monthly_active_user_count": mau,
        "assigned_seat_count": seats,
        "pending_invite_count": None if scoped else org.pending_invites_on(day),
        "daily_adoption_rate": rate(dau),
        "weekly_adoption_rate": rate(wau),
        "monthly_adoption_rate": rate(mau),
    }
    for prefix, product in (("cowork", "cowork"), *_PRODUCT_COUNTS):
        for label, n in (("daily", 1), ("weekly", 7), ("monthly", 30)):
            row[f"{prefix}_{label}_active_user_count"] = _window(req, day, n, product, scope)
    row["science_entitled_user_count"] = sum(
        1 for u in org.users if "science" in u.products and u.is_member(day) and scope >> u.index & 1
    )
    return row
