"""Usage and Cost Analytics API (beta): GET /v1/organizations/analytics/usage and /cost.

One view of all the organization's usage and spend, so its totals are the legacy reports':
per (day, model, product), usage = Admin `usage_report/messages` (the Console, `product` null) +
Enterprise `usage_report` (seats), and cost = Admin `cost_report` + Enterprise `cost_report`.
Each side keeps its legacy timing: Console data shows five minutes after the fact and is final;
seat data stops at the Enterprise watermark (`data_refreshed_at`) and is revised for 30 days.
Whole days match the legacy reports exactly; a day still arriving is cut in proportion, so it
can differ from them by rounding, as the legacy reports differ between groupings.

Rows are flat (`group` with every dimension, null unless grouped, plus `usage` or `cost`), only
for combinations with usage, ranked by the `order_by` metric across time buckets (desc unless
`order=asc`), and paged by the emulator's query-bound cursors. Console rows name the API key as
actor (`api_key_actor`); seat rows name the user (`user_actor`, as the legacy per-user reports)
and their product. Amounts are decimal strings of cents, or JSON numbers with
`usage_cost_amounts="number"`. Every call needs `anthropic-beta: analytics-usage-cost-2026-08-24`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, partial

from . import buckets, catalog, money
from .admin_reports import DELAY
from .enterprise_reports import MAX_RANGE, REFRESH_LAG, checked_start
from .errors import invalid
from .params import Query
from .request import ApiRequest
from .timeutil import floor_to, rfc3339
from .usage_cost_facts import CONSOLE, SEAT, console_facts, day_groups, seat_facts

BETA = "analytics-usage-cost-2026-08-24"
HOUR = timedelta(hours=1)
WIDTHS = ("1d", "1h")
USAGE_DIMS = (
    "actor", "actor_type", "agent_id", "api_key_id", "claude_tag_category", "claude_tag_user_id",
    "context_window", "deployment_id", "environment_id", "inference_geo", "model", "product",
    "rbac_group_id", "service_tier", "session_id", "slack_channel_id", "speed", "user_profile_id",
    "workspace_id",
)
FANOUT = ("cost_type", "token_type")
COST_DIMS = tuple(sorted(USAGE_DIMS + FANOUT))
ACTOR_TYPES = ("user_actor", "service_account_actor", "api_key_actor", "federated_identity_actor")
USAGE_ORDER = ("total_tokens", "output_tokens", "uncached_input_tokens", "requests")
COST_ORDER = ("amount", "list_amount")
MAX_LIST = 100
_FILTERS = {  # parameter -> (dimension, allowed values or None)
    "actor_ids[]": ("actor", None), "actor_types[]": ("actor_type", ACTOR_TYPES),
    "api_key_ids[]": ("api_key_id", None), "workspace_ids[]": ("workspace_id", None),
    "models[]": ("model", None), "products[]": ("product", catalog.ENTERPRISE_PRODUCTS),
    "service_tiers[]": ("service_tier", catalog.SERVICE_TIERS),
    "context_windows[]": ("context_window", catalog.CONTEXT_WINDOWS),
    "inference_geos[]": ("inference_geo", catalog.INFERENCE_GEOS),
    "speeds[]": ("speed", catalog.SPEEDS), "rbac_group_ids[]": ("rbac_group_id", None),
}
_UNMODELLED = ("agent_ids[]", "claude_tag_categories[]", "claude_tag_user_ids[]", "deployment_ids[]",
               "environment_ids[]", "session_ids[]", "slack_channel_ids[]", "user_profile_ids[]")
_PARAMS = ("starting_at", "ending_at", "time_bucket_width", "group_by[]", "order_by", "order", "limit",
           "page", "exclude_deleted_users", *_FILTERS, *_UNMODELLED)


@dataclass
class _Ask:
    """One parsed request: its time windows, grouping, filters and ranking."""

    windows: list[tuple[datetime, datetime]]
    end: datetime
    group_dims: tuple[str, ...]
    fanout: tuple[str, ...]
    filters: dict[str, set]
    nothing: bool  # a filter on a dimension the emulator has no data for
    exclude_deleted: bool
    order_by: str
    descending: bool
    limit: int


def usage(req: ApiRequest) -> dict:
    return _serve(req, cost=False)


def cost(req: ApiRequest) -> dict:
    return _serve(req, cost=True)


def _serve(req: ApiRequest, cost: bool) -> dict:
    _require_beta(req)
    q = req.query(*_PARAMS)
    position, as_of = req.page(q)
    ask = _parse(q, as_of, cost)
    rows = req.cached(as_of, lambda: _rows(req, ask, as_of, cost))
    offset = position.get("offset", 0)
    more = offset + ask.limit < len(rows)
    return {
        "data": rows[offset:offset + ask.limit],
        "has_more": more,
        "next_page": req.next_page({"offset": offset + ask.limit}, as_of) if more else None,
        "data_refreshed_at": rfc3339(_watermark(as_of)),
        "organization_id": req.org.organization_id,
    }


def _require_beta(req: ApiRequest) -> None:
    sent = {beta.strip() for value in req.headers.get_all("anthropic-beta") or () for beta in value.split(",")}
    if BETA not in sent:
        raise invalid(f"This endpoint is in beta: send the header `anthropic-beta: {BETA}` "
                      "(several betas may be listed, comma-separated).")


def _watermark(as_of: datetime) -> datetime:
    """The seat data's watermark, as the Enterprise reports'; the Console side is fresher."""
    return floor_to(as_of, HOUR) - REFRESH_LAG


def _parse(q: Query, as_of: datetime, cost: bool) -> _Ask:
    start = checked_start(q, as_of)
    width_name = q.choice("time_bucket_width", WIDTHS)
    width = buckets.WIDTHS[width_name] if width_name else None
    end = q.instant("ending_at")
    if end is None:
        end = start + MAX_RANGE
    else:
        buckets.check_end(start, end, width)
        if end - start > MAX_RANGE:
            raise invalid("The range from starting_at to ending_at may span at most 31 days.")
    end = min(end, as_of)
    if width is None:  # one row for the whole range, in whole hours
        first, end = floor_to(start, HOUR), floor_to(end, HOUR)
        windows = [(first, end)] if end > first else []
    else:
        windows, _ = buckets.plan(start, end, width, 0, MAX_RANGE // width + 1)
    group_by = q.many("group_by[]", COST_DIMS if cost else USAGE_DIMS)
    filters = {dim: set(q.many(name, options, MAX_LIST)) for name, (dim, options) in _FILTERS.items()}
    order_by = q.choice("order_by", COST_ORDER if cost else USAGE_ORDER, "amount" if cost else "total_tokens")
    return _Ask(
        windows=windows,
        end=end,
        group_dims=tuple(d for d in group_by if d not in FANOUT),
        fanout=tuple(f for f in FANOUT if f in group_by),
        filters={dim: values for dim, values in filters.items() if values},
        nothing=any(q.many(name, max_items=MAX_LIST) for name in _UNMODELLED),
        exclude_deleted=q.boolean("exclude_deleted_users", False),
        order_by=order_by,
        descending=q.choice("order", ("asc", "desc"), "desc") == "desc",
        limit=q.integer("limit", 20, 1, 1000),
    )


def _rows(req: ApiRequest, ask: _Ask, as_of: datetime, cost: bool) -> list[dict]:
    """Every row of the query, ranked: per window, each source's groups cut to what it shows."""
    today = as_of.date()
    shown_until = {SEAT: _watermark(as_of), CONSOLE: as_of - DELAY}

    @lru_cache(maxsize=None)
    def groups(source, day):
        if ask.nothing:
            return {}
        facts = (seat_facts(req.org, day, today, ask.exclude_deleted) if source == SEAT
                 else console_facts(req.org, day, cost))
        return day_groups(facts, ask.filters, ask.group_dims)

    totals: dict[tuple, list[int]] = {}
    for w, (w_start, w_end) in enumerate(ask.windows):
        for source, until in shown_until.items():
            cut = buckets.split(partial(groups, source), w_start, min(w_end, ask.end, until))
            for (key, model, tier), v in cut.items():
                if cost:
                    _add_cost(totals, w, key, source, model, tier, v, ask.fanout)
                else:
                    acc = totals.setdefault((w, key), [0] * 7)
                    for i, x in enumerate(v):
                        acc[i] += x
    actor = _actors(req, today)
    names = ask.group_dims + ask.fanout
    amount = money.cents_string if req.config.usage_cost_amounts == "string" else _cents_number
    ranked = []
    for (w, key), acc in sorted(totals.items(), key=lambda kv: (kv[0][0], _sort_key(kv[0][1]))):
        group = dict.fromkeys(COST_DIMS if cost else USAGE_DIMS)
        group.update(zip(names, key))
        if group["actor"] is not None:
            group["actor"] = actor(group["actor"])
        metric, field, body = _cost_body(acc, ask, amount) if cost else _usage_body(acc, ask)
        w_start, w_end = ask.windows[w]
        ranked.append((metric, {"starting_at": rfc3339(w_start), "ending_at": rfc3339(w_end),
                                "group": group, field: body}))
    ranked.sort(key=lambda item: item[0], reverse=ask.descending)  # stable: ties keep time, then group order
    return [row for _, row in ranked]


def _add_cost(totals: dict, w: int, key: tuple, source: str, model: str | None, tier: str | None,
              v: list[int], fanout: tuple[str, ...]) -> None:
    """Price one cut vector into [seat list units, Console units, requests] per row; seats get
    their discount per row, as the Enterprise cost report discounts per line."""
    lines = []
    if model is not None:
        tokens = (v[0], v[4], v[3], v[1], v[2])  # catalog.TOKEN_TYPES order
        lines = [("tokens", t, u) for t, u in zip(catalog.TOKEN_TYPES, money.token_units(model, tokens, tier)) if u]
    if v[5]:
        lines.append(("web_search", None, v[5] * money.WEB_SEARCH_UNITS))
    for cost_type, token_type, units in lines:
        fan = tuple(value for name, value in zip(FANOUT, (cost_type, token_type)) if name in fanout)
        totals.setdefault((w, key + fan), [0, 0, 0])[0 if source == SEAT else 1] += units
    if lines and not fanout:
        totals[(w, key)][2] += v[6]


def _usage_body(v: list[int], ask: _Ask) -> tuple[int, str, dict]:
    total = v[0] + v[1] + v[2] + v[3] + v[4]
    metric = {"total_tokens": total, "output_tokens": v[4], "uncached_input_tokens": v[0], "requests": v[6]}
    return metric[ask.order_by], "usage", {
        "uncached_input_tokens": v[0],
        "cache_creation": {"ephemeral_1h_input_tokens": v[2], "ephemeral_5m_input_tokens": v[1]},
        "cache_read_input_tokens": v[3],
        "output_tokens": v[4],
        "server_tool_use": {"web_search_requests": v[5]},
        "total_tokens": total,
        "requests": v[6],
    }


def _cost_body(acc: list[int], ask: _Ask, amount) -> tuple[int, str, dict]:
    seat_list, console, requests = acc
    spent, listed = money.discounted(seat_list) + console, seat_list + console
    return spent if ask.order_by == "amount" else listed, "cost", {
        "amount": amount(spent),
        "list_amount": amount(listed),
        "currency": "USD",
        "requests": None if ask.fanout else requests,
    }


def _cents_number(units: int) -> float:
    return float(money.cents_string(units))


def _actors(req: ApiRequest, today):
    """actor id -> the `group.actor` object: an API key (Console) or a user (seats)."""
    org = req.org
    keys = {key.id: key.name for key in (*org.actor_keys, *org.app_keys)}
    keys.update({u.api_key_id: "claude-code-" + u.email.split("@")[0] for u in org.users if u.api_key_id})

    def actor(actor_id: str) -> dict:
        if actor_id in keys:
            return {"type": "api_key_actor", "api_key_id": actor_id, "name": keys[actor_id]}
        user = org.user_by_id(actor_id)
        return {"type": "user_actor", "user_id": user.id, "name": user.name, "email": user.email,
                "deleted": user.deleted(today)}

    return actor


def _sort_key(values: tuple) -> tuple:
    """Stable order for group keys: by value, nulls last."""
    return tuple("\uffff" if v is None else str(v) for v in values)
