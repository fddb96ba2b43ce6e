"""Admin Usage & Cost API: GET /v1/organizations/usage_report/messages and /cost_report.

Both report the Console side of the organization: Claude Code billed as API usage
("api" customers and the unattended `api_actor` keys) plus the org's production apps.
Data appears about five minutes after the fact and is never revised. An `ending_at` off the
bucket grid is refused (field report F4); cost lines that are not token costs carry `""`,
not null, in the description fields that do not apply to them (F10).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from . import buckets, catalog, money
from .errors import invalid
from .request import ApiRequest

DELAY = timedelta(minutes=5)
BUCKET_LIMITS = {"1d": (7, 31), "1h": (24, 168), "1m": (60, 1440)}
FAST_MODE_BETA = "fast-mode-2026-02-01"
_USAGE_DIMS = {  # group_by value -> ApiUsage attribute
    "api_key_id": "api_key_id", "workspace_id": "workspace_id", "model": "model",
    "service_tier": "service_tier", "context_window": "context_window",
    "inference_geo": "inference_geo", "speed": "speed", "account_id": "account_id",
    "service_account_id": "service_account_id",
}
_USAGE_FILTERS = {  # filter parameter -> ApiUsage attribute
    "api_key_ids[]": "api_key_id", "workspace_ids[]": "workspace_id", "models[]": "model",
    "service_tiers[]": "service_tier", "context_window[]": "context_window",
    "inference_geos[]": "inference_geo", "speeds[]": "speed", "account_ids[]": "account_id",
    "service_account_ids[]": "service_account_id",
}
_FILTER_OPTIONS = {
    "service_tiers[]": catalog.SERVICE_TIERS, "context_window[]": catalog.CONTEXT_WINDOWS,
    "inference_geos[]": catalog.INFERENCE_GEOS, "speeds[]": ("standard", "fast"),
}


def _range(q, as_of, width):
    start = q.instant("starting_at", required=True)
    end = q.instant("ending_at")
    if end is not None:
        buckets.check_end(start, end, width)
    if start >= as_of:
        raise invalid(f"starting_at {q.one('starting_at')} is in the future; nothing has been reported yet.")
    return start, min(end, as_of) if end is not None else as_of


def messages_usage(req: ApiRequest) -> dict:
    q = req.query("starting_at", "ending_at", "bucket_width", "limit", "page", "group_by[]", *_USAGE_FILTERS)
    position, as_of = req.page(q)
    width_name = q.choice("bucket_width", tuple(buckets.WIDTHS), "1d")
    start, end = _range(q, as_of, buckets.WIDTHS[width_name])
    default, high = BUCKET_LIMITS[width_name]
    limit = q.integer("limit", default, 1, high)
    group_by = q.many("group_by[]", tuple(_USAGE_DIMS))
    filters = {attr: set(q.many(name, _FILTER_OPTIONS.get(name))) for name, attr in _USAGE_FILTERS.items()}
    filters = {attr: values for attr, values in filters.items() if values}
    if ("speed" in group_by or "speed" in filters) and FAST_MODE_BETA not in req.headers.get("anthropic-beta", ""):
        raise invalid(f"Grouping or filtering by speed needs the header `anthropic-beta: {FAST_MODE_BETA}`.")
    dims = tuple(_USAGE_DIMS[g] for g in group_by)

    @lru_cache(maxsize=None)
    def day_groups(day):
        groups: dict[tuple, list[int]] = {}
        for item in req.org.api_usage(day):
            if all(getattr(item, attr) in values for attr, values in filters.items()):
                acc = groups.setdefault(tuple(getattr(item, a) for a in dims), [0] * 6)
                for i, v in enumerate((item.uncached, item.cache_5m, item.cache_1h, item.cache_read,
                                       item.output, item.web_search)):
                    acc[i] += v
        return groups

    page, has_more = buckets.plan(start, end, buckets.WIDTHS[width_name], position.get("offset", 0), limit)
    visible = as_of - DELAY
    data = []
    for b_start, b_end in page:
        totals = buckets.split(day_groups, b_start, min(b_end, end, visible))
        results = []
        for key in sorted(totals, key=_sort_key):
            v = totals[key]
            dims_out = {g: None for g in _USAGE_DIMS if g != "speed"}
            if "speed" in group_by:
                dims_out["speed"] = None
            dims_out.update(zip(group_by, key))
            results.append({
                **dims_out,
                "uncached_input_tokens": v[0],
                "cache_creation": {"ephemeral_1h_input_tokens": v[2], "ephemeral_5m_input_tokens": v[1]},
                "cache_read_input_tokens": v[3],
                "output_tokens": v[4],
                "server_tool_use": {"web_search_requests": v[5]},
            })
        data.append({"starting_at": _ts(b_start), "ending_at": _ts(b_end), "results": results})
    return _envelope(req, data, has_more, position, as_of, len(page))


def cost_report(req: ApiRequest) -> dict:
    q = req.query("starting_at", "ending_at", "bucket_width", "limit", "page", "group_by[]")
    position, as_of = req.page(q)
    q.choice("bucket_width", ("1d",), "1d")
    start, end = _range(q, as_of, buckets.WIDTHS["1d"])
    limit = q.integer("limit", 7, 1, 31)
    group_by = q.many("group_by[]", ("workspace_id", "description"))

    @lru_cache(maxsize=None)
    def day_groups(day):
        groups: dict[tuple, list[int]] = {}
        for item in req.org.api_usage(day):
            key = (item.workspace_id, item.model, item.service_tier, item.context_window, item.inference_geo)
            acc = groups.setdefault(key, [0] * 6)
            for i, v in enumerate((item.uncached, item.output, item.cache_read, item.cache_5m,
                                   item.cache_1h, item.web_search)):
                acc[i] += v
        return groups

    page, has_more = buckets.plan(start, end, buckets.WIDTHS["1d"], position.get("offset", 0), limit)
    visible = as_of - DELAY
    data = []
    for b_start, b_end in page:
        lines: dict[tuple, int] = {}
        for (workspace, model, tier, window, geo), v in buckets.split(day_groups, b_start, min(b_end, end, visible)).items():
            priced = zip(catalog.TOKEN_TYPES, money.token_units(model, tuple(v[:5]), tier))
            for token_type, units in [*priced, (None, v[5] * money.WEB_SEARCH_UNITS)]:
                if units:
                    line = _cost_line(workspace, model, tier, window, geo, token_type, group_by)
                    lines[line] = lines.get(line, 0) + units
        results = [_cost_result(line, units) for line, units in sorted(lines.items(), key=lambda kv: _sort_key(kv[0]))]
        data.append({"starting_at": _ts(b_start), "ending_at": _ts(b_end), "results": results})
    return _envelope(req, data, has_more, position, as_of, len(page))


def _cost_line(workspace, model, tier, window, geo, token_type, group_by) -> tuple:
    """The grouping identity of one priced line: (workspace_id, description fields...)."""
    ws = workspace if "workspace_id" in group_by else None
    if "description" not in group_by:
        return (ws, None, None, None, None, None, None, None)
    if token_type is None:
        return (ws, "Web Search Usage", "web_search", "", "", "", "", "")
    display = catalog.MODELS_BY_ID[model].display
    qualifiers = "".join(label for cond, label in (
        (window != "0-200k", " - Long Context"), (tier == "batch", " - Batch"), (geo == "us", " - US Only"),
    ) if cond)
    description = f"{display} Usage - {catalog.TOKEN_TYPE_LABEL[token_type]}{qualifiers}"
    return (ws, description, "tokens", model, tier, window, token_type, geo)


def _cost_result(line: tuple, units: int) -> dict:
    ws, description, cost_type, model, tier, window, token_type, geo = line
    return {
        "amount": money.cents_string(units), "context_window": window, "cost_type": cost_type,
        "currency": "USD", "description": description, "inference_geo": geo, "model": model,
        "service_tier": tier, "token_type": token_type, "workspace_id": ws,
    }


def _sort_key(key: tuple) -> tuple:
    return tuple("" if k is None else str(k) for k in key)


def _ts(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(req: ApiRequest, data: list, has_more: bool, position: dict, as_of, count: int) -> dict:
    offset = position.get("offset", 0) + count
    return {
        "data": data,
        "has_more": has_more,
        "next_page": req.next_page({"offset": offset}, as_of) if has_more else None,
    }
