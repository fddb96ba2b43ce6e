"""Enterprise Analytics cost and usage (beta): /user_usage_report, /user_cost_report,
/usage_report and /cost_report.

They report what Enterprise seats consumed (chat, Cowork, Office, Design, Chrome and
subscription Claude Code), priced at list and after the org's discount. Data lands about
four hours after the fact (`data_refreshed_at`) and stays provisional for 30 days: a day
younger than that reports a little less than its final value (late events), converging
as the clock advances, so a re-fetch can see revisions.

Every envelope carries `organization_id` and `data_refreshed_at` (field report F12). The
per-user reports answer one undated row per user and grouping for the whole range (F5), or,
with `bucket_width=1d` and an `ending_at`, dated rows per day. Bucketed reports refuse an
`ending_at` off the bucket grid (F4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from . import buckets, catalog, money
from .errors import invalid
from .params import Query
from .request import ApiRequest
from .timeutil import UTC, day_pieces, floor_to, rfc3339

FIRST_INSTANT = datetime(2026, 1, 1, tzinfo=UTC)
HISTORY = timedelta(days=365)
MAX_RANGE = timedelta(days=31)
REFRESH_LAG = timedelta(hours=4)
FINAL_AFTER_DAYS = 30
BUCKET_LIMITS = {"1d": (7, 31), "1h": (24, 168), "1m": (60, 256)}
DIMS = ("product", "model", "context_window", "inference_geo", "speed")
FANOUT = ("cost_type", "token_type")
ALWAYS_NULL = ("rbac_group_id", "slack_channel_id", "claude_tag_category", "claude_tag_user_id")
_ITEM_FILTERS = {
    "products[]": ("product", catalog.ENTERPRISE_PRODUCTS),
    "models[]": ("model", None),
    "context_windows[]": ("context_window", catalog.CONTEXT_WINDOWS),
    "inference_geos[]": ("inference_geo", catalog.INFERENCE_GEOS),
    "speeds[]": ("speed", catalog.SPEEDS),
}
_UNMODELED_FILTERS = ("slack_channel_ids[]", "claude_tag_categories[]", "claude_tag_user_ids[]")
_COMMON = ("starting_at", "ending_at", "limit", "page", "group_by[]", "user_ids[]", "rbac_group_ids[]",
           *_ITEM_FILTERS, *_UNMODELED_FILTERS)
_USAGE_ORDER = {"total_tokens": 7, "output_tokens": 4, "uncached_input_tokens": 0, "requests": 6}


@dataclass
class Scope:
    """The parsed window, filters and grouping of one request."""

    start: datetime
    end: datetime
    as_of: datetime
    item_filters: dict[str, set[str]]
    user_ids: set[str]
    group_ids: set[str]
    nothing: bool  # a filter on a dimension the emulator has no data for (Slack, Claude tags)
    dims: tuple[str, ...]
    fanout: tuple[str, ...]

    @property
    def watermark(self) -> datetime:
        return floor_to(self.as_of, timedelta(hours=1)) - REFRESH_LAG


def checked_start(q: Query, as_of: datetime) -> datetime:
    """`starting_at`, refused before the floor, beyond the 365-day window or in the future (shared with
    the Usage and Cost Analytics API, which has the same history)."""
    start = q.instant("starting_at", required=True)
    if start < FIRST_INSTANT:
        raise invalid("starting_at must not be before 2026-01-01T00:00:00Z; no cost or usage data exists earlier.")
    if start < as_of - HISTORY:
        raise invalid(f"starting_at must be within the last 365 days (not before {rfc3339(as_of - HISTORY)}).")
    if start >= as_of:
        raise invalid("starting_at is in the future.")
    return start


def _scope(q: Query, as_of: datetime, snap: timedelta, cost: bool, grid: bool = False) -> Scope:
    """`grid`: the range is cut into buckets of `snap`, so an explicit end must lie on their grid."""
    start = checked_start(q, as_of)
    end = q.instant("ending_at")
    if end is None:
        end = min(as_of, start + MAX_RANGE)
    else:
        buckets.check_end(start, end, snap if grid else None)
        if end - start > MAX_RANGE:
            raise invalid("The range from starting_at to ending_at may span at most 31 days.")
    group_by = q.many("group_by[]", DIMS + FANOUT if cost else DIMS)
    item_filters = {attr: set(q.many(name, options, 100)) for name, (attr, options) in _ITEM_FILTERS.items()}
    return Scope(
        start=floor_to(start, snap),
        end=min(end, as_of),
        as_of=as_of,
        item_filters={k: v for k, v in item_filters.items() if v},
        user_ids=set(q.many("user_ids[]", max_items=100)),
        group_ids=set(q.many("rbac_group_ids[]", max_items=100)),
        nothing=any(q.many(name) for name in _UNMODELED_FILTERS),
        dims=tuple(d for d in DIMS if d in group_by),
        fanout=tuple(f for f in FANOUT if f in group_by),
    )


def _pieces(req: ApiRequest, s: Scope, start: datetime, end: datetime, exclude_deleted: bool = False):
    """Yield (user, item, values) for every usage item in [start, end) the scope keeps, with
    values = [uncached, 5m, 1h, cache_read, output, web_search, requests] after provisional
    revision and cut to the part of the day inside the interval."""
    if s.nothing:
        return
    today = s.as_of.date()
    groups = {gid: g for g, (gid, _) in enumerate(req.org.rbac_groups)}
    wanted_groups = {groups.get(gid, -1) for gid in s.group_ids}
    for day, c0, c1 in day_pieces(start, min(end, s.watermark)):
        pending = max(0, FINAL_AFTER_DAYS - (today - day).days) / FINAL_AFTER_DAYS
        whole = c0 == 0.0 and c1 == 1.0
        for ud in req.org.active_user_days(day):
            user = ud.user
            if (s.user_ids and user.id not in s.user_ids) or (wanted_groups and not wanted_groups & set(user.rbac_groups)):
                continue
            if exclude_deleted and user.deleted(today):
                continue
            keep = 1 - ud.revision * pending
            for item in ud.usage:
                if any(getattr(item, attr) not in values for attr, values in s.item_filters.items()):
                    continue
                raw = (item.uncached, item.cache_5m, item.cache_1h, item.cache_read, item.output,
                       item.web_search, item.requests)
                if keep < 1:
                    raw = [math.floor(v * keep) for v in raw]
                if not whole:
                    raw = [math.floor(v * c1) - math.floor(v * c0) for v in raw]
                yield user, item, raw


def _priced(model: str, v: list[int]) -> list[tuple[str, str | None, int]]:
    """(cost_type, token_type, list units) lines of one usage vector."""
    tokens = (v[0], v[4], v[3], v[1], v[2])  # catalog.TOKEN_TYPES order
    lines = [("tokens", t, u) for t, u in zip(catalog.TOKEN_TYPES, money.token_units(model, tokens)) if u]
    if v[5]:
        lines.append(("web_search", None, v[5] * money.WEB_SEARCH_UNITS))
    return lines


def _dims(s: Scope, key: tuple) -> dict:
    out = dict.fromkeys(DIMS)
    out.update(zip(s.dims, key))
    out.update(dict.fromkeys(ALWAYS_NULL))
    return out


def _usage_fields(v: list[int]) -> dict:
    return {
        "uncached_input_tokens": v[0],
        "cache_creation": {"ephemeral_1h_input_tokens": v[2], "ephemeral_5m_input_tokens": v[1]},
        "cache_read_input_tokens": v[3],
        "output_tokens": v[4],
        "server_tool_use": {"web_search_requests": v[5]},
        "requests": v[6],
    }


def _actor(user, today) -> dict:
    return {"type": "user_actor", "user_id": user.id, "name": user.name, "email": user.email,
            "email_address": user.email, "deleted": user.deleted(today)}


def _envelope(req: ApiRequest, s: Scope, data: list, offset: int, more: bool) -> dict:
    return {
        "data": data,
        "has_more": more,
        "next_page": req.next_page({"offset": offset}, s.as_of) if more else None,
        "data_refreshed_at": rfc3339(s.watermark),
        "organization_id": req.org.organization_id,
    }


# -- per-user reports ---------------------------------------------------------------------------
def _user_scope(q: Query, as_of: datetime, cost: bool) -> tuple[Scope, list | None]:
    """The scope of a per-user report and its day windows when `bucket_width=1d` asks for dated
    rows; None = one undated row per user for the whole range, as the live API answers."""
    width_name = q.choice("bucket_width", ("1d",))
    if width_name is None:
        return _scope(q, as_of, timedelta(hours=1), cost), None
    if not q.has("ending_at"):
        raise invalid("`bucket_width` needs an explicit `ending_at`.")
    width = buckets.WIDTHS[width_name]
    s = _scope(q, as_of, width, cost, grid=True)
    windows, _ = buckets.plan(s.start, s.end, width, 0, MAX_RANGE.days + 1)
    return s, windows


def _dated(windows: list | None, w: int) -> dict:
    if windows is None:
        return {}
    return {"starting_at": rfc3339(windows[w][0]), "ending_at": rfc3339(windows[w][1])}


def user_usage_report(req: ApiRequest) -> dict:
    q = req.query(*_COMMON, "order", "order_by", "exclude_deleted_users", "bucket_width")
    position, as_of = req.page(q)
    s, windows = _user_scope(q, as_of, cost=False)
    limit = q.integer("limit", 20, 1, 1000)
    descending = q.choice("order", ("asc", "desc"), "desc") == "desc"
    metric = _USAGE_ORDER[q.choice("order_by", tuple(_USAGE_ORDER), "total_tokens")]
    exclude_deleted = q.boolean("exclude_deleted_users", False)

    def ranked_in(start: datetime, end: datetime) -> list:
        totals: dict[tuple, list[int]] = {}
        for user, item, v in _pieces(req, s, start, end, exclude_deleted):
            acc = totals.setdefault((user.index, tuple(getattr(item, d) for d in s.dims)), [0] * 8)
            for i, x in enumerate(v):
                acc[i] += x
        for acc in totals.values():
            acc[7] = acc[0] + acc[1] + acc[2] + acc[3] + acc[4]
        return _rank(req, totals, metric, descending)

    rows = req.cached(as_of, lambda: _per_window(windows, s, ranked_in))
    offset = position.get("offset", 0)
    today = as_of.date()
    data = [
        {"actor": _actor(req.org.users[u], today), **_dims(s, key), **_usage_fields(v),
         "total_tokens": v[7], **_dated(windows, w)}
        for w, (u, key), v in rows[offset:offset + limit]
    ]
    return _envelope(req, s, data, offset + limit, offset + limit < len(rows))


def user_cost_report(req: ApiRequest) -> dict:
    q = req.query(*_COMMON, "order", "order_by", "exclude_deleted_users", "bucket_width")
    position, as_of = req.page(q)
    s, windows = _user_scope(q, as_of, cost=True)
    limit = q.integer("limit", 20, 1, 1000)
    descending = q.choice("order", ("asc", "desc"), "desc") == "desc"
    by_list = q.choice("order_by", ("amount", "list_amount"), "amount") == "list_amount"
    exclude_deleted = q.boolean("exclude_deleted_users", False)

    def ranked_in(start: datetime, end: datetime) -> list:
        bases: dict[tuple, dict] = {}
        for user, item, v in _pieces(req, s, start, end, exclude_deleted):
            base = bases.setdefault((user.index, tuple(getattr(item, d) for d in s.dims)), {"lines": {}, "requests": 0})
            base["requests"] += v[6]
            for cost_type, token_type, units in _priced(item.model, v):
                fan = _fan_key(s, cost_type, token_type)
                base["lines"][fan] = base["lines"].get(fan, 0) + units
        totals = {}
        for key, base in bases.items():
            list_units = sum(base["lines"].values())
            if list_units:
                amount = sum(money.discounted(u) for u in base["lines"].values())
                totals[key] = (list_units if by_list else amount, base)
        return _rank(req, totals, None, descending)

    rows = req.cached(as_of, lambda: _per_window(windows, s, ranked_in))
    offset = position.get("offset", 0)
    today = as_of.date()
    data = []
    for w, (u, key), (_, base) in rows[offset:offset + limit]:
        head = {"actor": _actor(req.org.users[u], today), **_dims(s, key), **_dated(windows, w)}
        for fan, units in sorted(base["lines"].items(), key=lambda kv: _sort_key(kv[0])):
            data.append({**head, **_cost_fields(s, fan, units, base["requests"])})
    return _envelope(req, s, data, offset + limit, offset + limit < len(rows))


def _per_window(windows: list | None, s: Scope, ranked_in) -> list:
    """(window index, identity, value) rows: each day's ranking in turn, or the whole range's."""
    spans = windows if windows is not None else [(s.start, s.end)]
    return [(w, identity, value) for w, (start, end) in enumerate(spans) for identity, value in ranked_in(start, end)]


def _rank(req: ApiRequest, totals: dict, metric: int | None, descending: bool) -> list:
    """Rows sorted by the metric (desc by default), ties broken by user id then dimensions."""
    users = req.org.users

    def value(item):
        v = item[1]
        return v[metric] if metric is not None else v[0]

    by_identity = sorted(totals.items(), key=lambda kv: (users[kv[0][0]].id, _sort_key(kv[0][1])))
    return sorted(by_identity, key=value, reverse=descending)


def _fan_key(s: Scope, cost_type: str, token_type: str | None) -> tuple:
    return (cost_type if "cost_type" in s.fanout else None, token_type if "token_type" in s.fanout else None)


def _cost_fields(s: Scope, fan: tuple, list_units: int, requests: int) -> dict:
    cost_type, token_type = fan
    return {
        "cost_type": cost_type,
        "token_type": token_type,
        "currency": "USD",
        "amount": money.cents_string(money.discounted(list_units)),
        "list_amount": money.cents_string(list_units),
        "requests": None if s.fanout else requests,
    }


def _sort_key(values: tuple) -> tuple:
    """Stable order for dimension tuples: by value, nulls last."""
    return tuple("\uffff" if v is None else str(v) for v in values)


# -- bucketed reports ---------------------------------------------------------------------------
def _bucketed(req: ApiRequest, cost: bool):
    q = req.query(*_COMMON, "bucket_width")
    position, as_of = req.page(q)
    width_name = q.choice("bucket_width", tuple(buckets.WIDTHS), "1d")
    s = _scope(q, as_of, buckets.WIDTHS[width_name], cost=cost, grid=True)
    default, high = BUCKET_LIMITS[width_name]
    limit = q.integer("limit", default, 1, high)
    page, more = buckets.plan(s.start, s.end, buckets.WIDTHS[width_name], position.get("offset", 0), limit)
    return s, page, more, position.get("offset", 0) + len(page)


def usage_report(req: ApiRequest) -> dict:
    s, page, more, offset = _bucketed(req, cost=False)

    @lru_cache(maxsize=None)
    def day_groups(day):
        groups: dict[tuple, list[int]] = {}
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for _, item, v in _pieces(req, s, start, start + timedelta(days=1)):
            acc = groups.setdefault(tuple(getattr(item, d) for d in s.dims), [0] * 7)
            for i, x in enumerate(v):
                acc[i] += x
        return groups

    data = []
    for b_start, b_end in page:
        totals = buckets.split(day_groups, b_start, min(b_end, s.end))
        results = [{**_dims(s, key), **_usage_fields(totals[key])} for key in sorted(totals, key=_sort_key)]
        data.append({"starting_at": rfc3339(b_start), "ending_at": rfc3339(b_end), "results": results})
    return _envelope(req, s, data, offset, more)


def cost_report(req: ApiRequest) -> dict:
    s, page, more, offset = _bucketed(req, cost=True)

    @lru_cache(maxsize=None)
    def day_groups(day):
        groups: dict[tuple, list[int]] = {}
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for _, item, v in _pieces(req, s, start, start + timedelta(days=1)):
            acc = groups.setdefault((tuple(getattr(item, d) for d in s.dims), item.model), [0] * 7)
            for i, x in enumerate(v):
                acc[i] += x
        return groups

    data = []
    for b_start, b_end in page:
        lines: dict[tuple, list[int]] = {}
        for (key, model), v in buckets.split(day_groups, b_start, min(b_end, s.end)).items():
            priced = _priced(model, v)
            for cost_type, token_type, units in priced:
                lines.setdefault((key, _fan_key(s, cost_type, token_type)), [0, 0])[0] += units
            if priced and not s.fanout:
                lines[(key, (None, None))][1] += v[6]
        results = [
            {**_dims(s, key), **_cost_fields(s, fan, units, requests)}
            for (key, fan), (units, requests) in sorted(lines.items(), key=lambda kv: _sort_key(kv[0][0] + kv[0][1]))
        ]
        data.append({"starting_at": rfc3339(b_start), "ending_at": rfc3339(b_end), "results": results})
    return _envelope(req, s, data, offset, more)
