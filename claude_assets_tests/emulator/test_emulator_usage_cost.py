"""User stories for the Usage and Cost Analytics API (reference §7) against a real emulator:
its keys and beta header, parameters, flat ranked rows and paging, and totals that equal the
legacy Admin and Enterprise reports' for the same days and the same clock.

The clock is frozen on Wednesday 2026-04-15 12:34:56 UTC: the Enterprise watermark is then 08:00,
days after 2026-03-16 are still provisional, and 2026-01-01 lies within the last 365 days.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.cli import add_arguments

NOW = datetime(2026, 4, 15, 12, 34, 56, tzinfo=timezone.utc)
BETA = "analytics-usage-cost-2026-08-24"
USAGE = "/v1/organizations/analytics/usage"
COST = "/v1/organizations/analytics/cost"
MESSAGES = "/v1/organizations/usage_report/messages"
ADMIN_COST = "/v1/organizations/cost_report"
SEAT_USAGE = "/v1/organizations/analytics/usage_report"
SEAT_COST = "/v1/organizations/analytics/cost_report"
USAGE_DIMS = {
    "actor", "actor_type", "agent_id", "api_key_id", "claude_tag_category", "claude_tag_user_id",
    "context_window", "deployment_id", "environment_id", "inference_geo", "model", "product",
    "rbac_group_id", "service_tier", "session_id", "slack_channel_id", "speed", "user_profile_id",
    "workspace_id",
}
COST_DIMS = USAGE_DIMS | {"cost_type", "token_type"}
SEAT_PRODUCTS = {"chat", "claude_code", "cowork", "office_agent", "claude_in_chrome", "claude_design"}
SETTLED_WEEKEND, SETTLED_WEEKDAY = date(2026, 3, 7), date(2026, 3, 4)  # Saturday, Wednesday
RECENT_WEEKEND, RECENT_WEEKDAY = date(2026, 4, 11), date(2026, 4, 13)  # Saturday, Monday: provisional


def start(**overrides) -> Emulator:
    settings = {"seed": 7, "users": 50, "now": NOW, "rate_limit_per_minute": 0, **overrides}
    return Emulator(EmulatorConfig(**settings)).start()


@pytest.fixture(scope="module")
def emu():
    """One emulator for the read-only stories (none of them arms a fault or spends a budget)."""
    emulator = start()
    yield emulator
    emulator.stop()


def call(emu, path, key=None, beta=BETA, **params) -> httpx.Response:
    headers = {"x-api-key": key or emu.analytics_key, "anthropic-version": "2023-06-01"}
    if beta is not None:
        headers["anthropic-beta"] = beta
    return httpx.get(emu.url + path, params=params, headers=headers, timeout=60)


def body(emu, path, **params) -> dict:
    response = call(emu, path, **params)
    assert response.status_code == 200, response.text
    return response.json()


def rows(emu, path, **params) -> list[dict]:
    page = body(emu, path, limit=1000, **params)
    assert page["has_more"] is False and page["next_page"] is None
    return page["data"]


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["type"], error["message"]


def days(first: date, last: date | None = None) -> dict:
    last = last or first
    return {"starting_at": f"{first}T00:00:00Z", "ending_at": f"{last + timedelta(days=1)}T00:00:00Z"}


def legacy(emu, path, **params) -> list[dict]:
    """Every result of a legacy bucketed report (one request: the windows here are short)."""
    key = emu.admin_key if path in (MESSAGES, ADMIN_COST) else emu.analytics_key
    response = call(emu, path, key=key, beta=None, **params)
    assert response.status_code == 200, response.text
    assert response.json()["has_more"] is False
    return [r for bucket in response.json()["data"] for r in bucket["results"]]


def tokens(usage: dict) -> tuple[int, ...]:
    return (usage["uncached_input_tokens"], usage["cache_creation"]["ephemeral_5m_input_tokens"],
            usage["cache_creation"]["ephemeral_1h_input_tokens"], usage["cache_read_input_tokens"],
            usage["output_tokens"], usage["server_tool_use"]["web_search_requests"])


def plus(a: tuple, b: tuple) -> tuple:
    return tuple(x + y for x, y in zip(a, b))


# -- keys, beta header, budgets -----------------------------------------------------------------
def test_the_beta_header_is_required_and_may_be_one_of_several(emu):
    status, kind, message = error_of(call(emu, USAGE, beta=None, **days(RECENT_WEEKDAY)))
    assert (status, kind) == (400, "invalid_request_error")
    assert "anthropic-beta" in message and BETA in message
    assert error_of(call(emu, COST, beta="fast-mode-2026-02-01", **days(RECENT_WEEKDAY)))[0] == 400
    listed = call(emu, COST, beta=f"fast-mode-2026-02-01, {BETA}", **days(RECENT_WEEKDAY))
    assert listed.status_code == 200, listed.text


def test_the_admin_and_analytics_keys_get_the_same_answer_other_keys_are_refused(emu):
    params = {**days(RECENT_WEEKEND), "group_by[]": ["actor", "model"], "limit": 5}
    for path in (USAGE, COST):
        by_admin, by_analytics = call(emu, path, key=emu.admin_key, **params), call(emu, path, **params)
        assert by_admin.status_code == by_analytics.status_code == 200
        assert by_admin.json() == by_analytics.json() and by_admin.json()["has_more"]
        status, kind, message = error_of(call(emu, path, key=emu.scopeless_key, **params))
        assert (status, kind) == (403, "permission_error")
        assert "read:analytics" in message and "Admin" in message
        for key in ("sk-ant-nobody", ""):
            response = httpx.get(emu.url + path, params=params, timeout=30,
                                 headers={"anthropic-beta": BETA, **({"x-api-key": key} if key else {})})
            assert error_of(response)[:2] == (401, "authentication_error")


def test_each_key_spends_the_rate_budget_of_its_kind():
    analytics_limited = start(rate_limit_per_minute=1, admin_rate_limit_per_minute=0)
    admin_limited = start(rate_limit_per_minute=0, admin_rate_limit_per_minute=1)
    try:
        window = days(RECENT_WEEKDAY)
        assert call(analytics_limited, USAGE, **window).status_code == 200
        assert call(analytics_limited, USAGE, **window).status_code == 429
        assert call(analytics_limited, USAGE, key=analytics_limited.admin_key, **window).status_code == 200
        assert call(admin_limited, COST, key=admin_limited.admin_key, **window).status_code == 200
        refused = call(admin_limited, COST, key=admin_limited.admin_key, **window)
        assert refused.status_code == 429 and "anthropic-ratelimit-requests-reset" in refused.headers
        assert call(admin_limited, COST, **window).status_code == 200
    finally:
        analytics_limited.stop()
        admin_limited.stop()


def test_with_access_off_only_the_analytics_key_is_turned_away():
    emulator = start(analytics_access=False)
    try:
        assert error_of(call(emulator, USAGE, **days(RECENT_WEEKDAY)))[:2] == (404, "not_found_error")
        assert call(emulator, USAGE, key=emulator.admin_key, **days(RECENT_WEEKDAY)).status_code == 200
    finally:
        emulator.stop()


# -- parameters ---------------------------------------------------------------------------------
def test_more_than_five_group_by_dimensions_are_refused_with_the_live_message(emu):
    six = ["actor", "model", "product", "context_window", "inference_geo", "speed"]
    response = call(emu, USAGE, **days(RECENT_WEEKDAY), **{"group_by[]": six})
    assert error_of(response) == (400, "invalid_request_error", "Cannot specify more than 5 group_by[] dimensions.")
    five = call(emu, COST, **days(RECENT_WEEKDAY), **{"group_by[]": six[:3] + ["cost_type", "token_type"]})
    assert five.status_code == 200, five.text


def test_unknown_dimensions_and_cost_only_dimensions_on_usage_are_refused(emu):
    for path, dim in ((USAGE, "colour"), (USAGE, "cost_type"), (COST, "description")):
        assert error_of(call(emu, path, **days(RECENT_WEEKDAY), **{"group_by[]": dim}))[:2] == (
            400, "invalid_request_error"), (path, dim)


def test_range_rules(emu):
    def refused(**params) -> bool:
        return error_of(call(emu, USAGE, **params))[:2] == (400, "invalid_request_error")

    assert refused(starting_at="2025-12-31T00:00:00Z", ending_at="2026-01-02T00:00:00Z")
    assert refused(starting_at="2026-02-01T00:00:00Z", ending_at="2026-03-05T00:00:00Z")  # 32 days
    assert call(emu, USAGE, starting_at="2026-02-01T00:00:00Z", ending_at="2026-03-04T00:00:00Z").status_code == 200
    assert refused(starting_at="2026-04-16T00:00:00Z")  # the future
    assert refused(starting_at="2026-04-13T00:00:00Z", ending_at="2026-04-13T00:00:00Z")
    assert refused(starting_at="2026-04-13T00:00:00Z", ending_at="2026-04-13T23:59:59Z", time_bucket_width="1d")
    assert refused(starting_at="2026-04-13T00:00:00Z", ending_at="2026-04-13T10:30:00Z", time_bucket_width="1h")
    assert refused(starting_at="2026-04-13T00:00:00Z", time_bucket_width="1w")
    assert refused(starting_at="2026-04-13T00:00:00Z", limit="1001")


def test_without_buckets_one_row_covers_the_range_in_whole_hours(emu):
    [row] = rows(emu, USAGE, starting_at="2026-04-13T09:30:00Z", ending_at="2026-04-14T17:45:00Z")
    assert (row["starting_at"], row["ending_at"]) == ("2026-04-13T09:00:00Z", "2026-04-14T17:00:00Z")
    [row] = rows(emu, COST, starting_at="2026-04-14T00:00:00Z")  # ending_at defaults to now
    assert (row["starting_at"], row["ending_at"]) == ("2026-04-14T00:00:00Z", "2026-04-15T12:00:00Z")
    page = body(emu, COST, starting_at="2026-04-14T00:00:00Z")
    assert page["data_refreshed_at"] == "2026-04-15T08:00:00Z"
    assert page["organization_id"] == emu.org.organization_id


def test_hourly_buckets_add_up_to_the_day(emu):
    params = {**days(SETTLED_WEEKDAY), "group_by[]": "model"}
    hourly = rows(emu, USAGE, time_bucket_width="1h", **params)
    daily = rows(emu, USAGE, time_bucket_width="1d", **params)
    assert len({r["starting_at"] for r in hourly}) == 24
    summed = defaultdict(lambda: (0,) * 6)
    for r in hourly:
        summed[r["group"]["model"]] = plus(summed[r["group"]["model"]], tokens(r["usage"]))
    assert summed == {r["group"]["model"]: tokens(r["usage"]) for r in daily}


# -- rows ---------------------------------------------------------------------------------------
def test_every_group_key_is_present_and_null_unless_grouped(emu):
    for path, dims in ((USAGE, USAGE_DIMS), (COST, COST_DIMS)):
        data = rows(emu, path, **days(RECENT_WEEKDAY), **{"group_by[]": "model"})
        assert data
        for row in data:
            assert set(row) == {"starting_at", "ending_at", "group", "usage" if path == USAGE else "cost"}
            assert set(row["group"]) == dims
            assert all(v is None for k, v in row["group"].items() if k != "model")
        models = [r["group"]["model"] for r in data]
        assert len(set(models)) == len(models) > 1
        assert None not in models if path == USAGE else None in models  # the Console's web searches


def test_usage_and_cost_fields(emu):
    for row in rows(emu, USAGE, **days(RECENT_WEEKDAY), **{"group_by[]": "product"}):
        usage = row["usage"]
        assert set(usage) == {"uncached_input_tokens", "cache_creation", "cache_read_input_tokens", "output_tokens",
                              "server_tool_use", "total_tokens", "requests"}
        assert usage["total_tokens"] == sum(tokens(usage)[:5]) > 0 and isinstance(usage["requests"], int)
    for row in rows(emu, COST, **days(RECENT_WEEKDAY), **{"group_by[]": "product"}):
        cost = row["cost"]
        assert set(cost) == {"amount", "list_amount", "currency", "requests"} and cost["currency"] == "USD"
        assert isinstance(cost["amount"], str) and len(cost["amount"].split(".")[1]) == 6
        assert 0 < Decimal(cost["amount"]) <= Decimal(cost["list_amount"]) and isinstance(cost["requests"], int)
        seat = row["group"]["product"] is not None
        assert (Decimal(cost["amount"]) < Decimal(cost["list_amount"])) == seat  # only seats are discounted


def test_console_rows_name_the_api_key_and_seat_rows_the_user(emu):
    group_by = ["actor", "product", "api_key_id", "workspace_id", "service_tier"]
    data = rows(emu, USAGE, **days(RECENT_WEEKDAY), **{"group_by[]": group_by})
    kinds = {r["group"]["actor"]["type"] for r in data}
    assert kinds == {"user_actor", "api_key_actor"}
    for row in data:
        g = row["group"]
        if g["actor"]["type"] == "user_actor":
            assert set(g["actor"]) == {"type", "user_id", "name", "email", "deleted"}
            assert g["actor"]["user_id"].startswith("user_") and g["product"] in SEAT_PRODUCTS
            assert (g["api_key_id"], g["workspace_id"], g["service_tier"]) == (None, None, None)
        else:
            assert set(g["actor"]) == {"type", "api_key_id", "name"} and g["actor"]["name"]
            assert g["actor"]["api_key_id"] == g["api_key_id"] and g["api_key_id"].startswith("apikey_")
            assert g["product"] is None and g["service_tier"] in ("standard", "batch")
    automation = emu.org.workspaces["automation"]
    assert any(r["group"]["workspace_id"] == automation for r in data)


def test_only_combinations_with_usage_come_back(emu):
    automation = emu.org.workspaces["automation"]
    params = {**days(RECENT_WEEKDAY), "group_by[]": ["product", "actor_type", "workspace_id"]}
    data = rows(emu, USAGE, **params, **{"workspace_ids[]": automation})
    assert data and all(r["usage"]["total_tokens"] > 0 for r in data)
    assert {(r["group"]["product"], r["group"]["actor_type"], r["group"]["workspace_id"]) for r in data} == {
        (None, "api_key_actor", automation)}
    assert rows(emu, USAGE, **params, **{"workspace_ids[]": automation, "products[]": "chat"}) == []
    assert rows(emu, COST, **params, **{"slack_channel_ids[]": "C0123"}) == []  # not modelled: matches nothing


def test_filters_select_actors_keys_and_groups(emu):
    window = days(RECENT_WEEKDAY)
    app_key, anchor = emu.org.app_keys[0].id, emu.org.users[0]
    picked = rows(emu, COST, **window, **{"group_by[]": "actor", "actor_ids[]": [app_key, anchor.id]})
    assert {r["group"]["actor"].get("api_key_id") or r["group"]["actor"]["user_id"] for r in picked} == {
        app_key, anchor.id}
    by_key = rows(emu, USAGE, **window, **{"group_by[]": "api_key_id", "api_key_ids[]": app_key})
    assert [r["group"]["api_key_id"] for r in by_key] == [app_key]
    groups = {gid for gid, _ in emu.org.rbac_groups}
    by_group = rows(emu, USAGE, **window, **{"group_by[]": "rbac_group_id"})
    assert {r["group"]["rbac_group_id"] for r in by_group} <= groups | {None} and None in {
        r["group"]["rbac_group_id"] for r in by_group}  # the Console has no groups
    first = sorted(groups)[0]
    one = rows(emu, USAGE, **window, **{"group_by[]": "rbac_group_id", "rbac_group_ids[]": first})
    assert [r["group"]["rbac_group_id"] for r in one] == [first]
    assert one[0]["usage"] == next(r["usage"] for r in by_group if r["group"]["rbac_group_id"] == first)


def test_deleted_users_are_flagged_and_can_be_left_out(emu):
    window = {"starting_at": "2026-01-02T00:00:00Z", "ending_at": "2026-01-12T00:00:00Z", "group_by[]": "actor"}
    actors = [r["group"]["actor"] for r in rows(emu, USAGE, **window)]
    assert any(a["type"] == "user_actor" and a["deleted"] for a in actors)
    kept = [r["group"]["actor"] for r in rows(emu, USAGE, **window, exclude_deleted_users="true")]
    assert kept and not any(a["type"] == "user_actor" and a["deleted"] for a in kept)


# -- ranking and paging -------------------------------------------------------------------------
def test_rows_are_ranked_by_the_metric_across_buckets(emu):
    window = {**days(RECENT_WEEKEND, RECENT_WEEKDAY), "time_bucket_width": "1d", "group_by[]": ["actor", "model"]}
    for path, order_by, metric in ((USAGE, None, lambda r: r["usage"]["total_tokens"]),
                                   (USAGE, "output_tokens", lambda r: r["usage"]["output_tokens"]),
                                   (COST, None, lambda r: Decimal(r["cost"]["amount"])),
                                   (COST, "list_amount", lambda r: Decimal(r["cost"]["list_amount"]))):
        extra = {"order_by": order_by} if order_by else {}
        desc, asc = rows(emu, path, **window, **extra), rows(emu, path, **window, **extra, order="asc")
        values = [metric(r) for r in desc]
        assert values == sorted(values, reverse=True) and len(set(r["starting_at"] for r in desc)) == 3
        assert [metric(r) for r in asc] == sorted(values)
        assert sorted(map(repr, asc)) == sorted(map(repr, desc))
        starts = [r["starting_at"] for r in desc]
        assert starts != sorted(starts)  # ranked, not grouped by bucket


def test_paging_returns_every_row_once_and_the_cursor_is_bound_to_its_query():
    emulator = start()
    try:
        params = {**days(RECENT_WEEKEND, RECENT_WEEKDAY), "time_bucket_width": "1d", "group_by[]": ["actor", "model"]}
        whole = rows(emulator, COST, **params)
        pages = [body(emulator, COST, **params, limit=7)]
        while pages[-1]["next_page"] is not None:
            assert pages[-1]["has_more"] is True and len(pages[-1]["data"]) == 7
            pages.append(body(emulator, COST, **params, limit=7, page=pages[-1]["next_page"]))
        assert len(pages) > 3 and pages[-1]["has_more"] is False
        assert [r for p in pages for r in p["data"]] == whole
        cursor = pages[0]["next_page"]
        changed = call(emulator, COST, **{**params, "order": "asc"}, limit=7, page=cursor)
        assert error_of(changed)[:2] == (400, "invalid_request_error")
        emulator.set_now(NOW + timedelta(minutes=11))  # past the cursor's ten minutes
        assert error_of(call(emulator, COST, **params, limit=7, page=cursor))[0] == 410
    finally:
        emulator.stop()


def test_grouped_by_cost_type_or_token_type_requests_are_null(emu):
    for group_by in (["cost_type"], ["token_type"], ["model", "cost_type", "token_type"]):
        data = rows(emu, COST, **days(RECENT_WEEKDAY), **{"group_by[]": group_by})
        assert data and all(r["cost"]["requests"] is None for r in data)
    fanned = rows(emu, COST, **days(RECENT_WEEKDAY), **{"group_by[]": ["cost_type", "token_type"]})
    assert {(r["group"]["cost_type"], r["group"]["token_type"]) for r in fanned} == {
        ("web_search", None), ("tokens", "uncached_input_tokens"), ("tokens", "output_tokens"),
        ("tokens", "cache_read_input_tokens"), ("tokens", "cache_creation.ephemeral_5m_input_tokens"),
        ("tokens", "cache_creation.ephemeral_1h_input_tokens")}


# -- the same totals as the legacy reports ------------------------------------------------------
def legacy_usage(emu, day: date) -> dict:
    """(model, product) -> (token parts, web searches): Admin messages usage (product null) plus
    the Enterprise usage report."""
    window = {**days(day), "bucket_width": "1d"}
    totals = defaultdict(lambda: (0,) * 6)
    for r in legacy(emu, MESSAGES, **window, **{"group_by[]": "model"}):
        totals[(r["model"], None)] = plus(totals[(r["model"], None)], tokens(r))
    for r in legacy(emu, SEAT_USAGE, **window, **{"group_by[]": ["model", "product"]}):
        totals[(r["model"], r["product"])] = plus(totals[(r["model"], r["product"])], tokens(r))
    return dict(totals)


def legacy_cost(emu, day: date) -> dict:
    """(model, product) -> amount: Admin cost lines by description (product null; a web search
    has no model there, "" per F10) plus the Enterprise cost report."""
    window = {**days(day), "bucket_width": "1d"}
    totals = defaultdict(Decimal)
    for r in legacy(emu, ADMIN_COST, **days(day), **{"group_by[]": "description"}):
        totals[(r["model"] or None, None)] += Decimal(r["amount"])
    for r in legacy(emu, SEAT_COST, **window, **{"group_by[]": ["model", "product"]}):
        totals[(r["model"], r["product"])] += Decimal(r["amount"])
    return dict(totals)


def new_totals(emu, day: date) -> tuple[dict, dict]:
    params = {**days(day), "time_bucket_width": "1d", "group_by[]": ["model", "product"]}
    usage = {(r["group"]["model"], r["group"]["product"]): tokens(r["usage"]) for r in rows(emu, USAGE, **params)}
    cost = {(r["group"]["model"], r["group"]["product"]): Decimal(r["cost"]["amount"]) for r in rows(emu, COST, **params)}
    return usage, cost


@pytest.mark.parametrize("day", [SETTLED_WEEKDAY, SETTLED_WEEKEND, RECENT_WEEKDAY, RECENT_WEEKEND])
def test_per_day_model_and_product_totals_equal_the_legacy_reports(emu, day):
    usage, cost = new_totals(emu, day)
    assert usage == legacy_usage(emu, day)
    assert cost == legacy_cost(emu, day)
    assert {p for _, p in usage} >= {None, "chat", "claude_code"}  # both sides are there
    assert (None, None) in cost  # the Console's web searches, billed without a model as in the Admin report


def test_a_provisional_day_is_revised_like_the_enterprise_reports():
    emulator = start()
    try:
        before, _ = new_totals(emulator, RECENT_WEEKDAY)
        emulator.set_now(NOW + timedelta(days=30))  # the day is final now
        after, cost_after = new_totals(emulator, RECENT_WEEKDAY)
        assert after == legacy_usage(emulator, RECENT_WEEKDAY)
        assert cost_after == legacy_cost(emulator, RECENT_WEEKDAY)
        assert {k: v for k, v in after.items() if k[1] is None} == {k: v for k, v in before.items() if k[1] is None}
        seats_before = sum(sum(v) for k, v in before.items() if k[1] is not None)
        assert seats_before < sum(sum(v) for k, v in after.items() if k[1] is not None)
    finally:
        emulator.stop()


def test_seat_list_amounts_and_requests_are_the_enterprise_reports(emu):
    params = {**days(RECENT_WEEKDAY), "group_by[]": ["model", "product"]}
    seat_cost = legacy(emu, SEAT_COST, **params, bucket_width="1d")
    seat_usage = legacy(emu, SEAT_USAGE, **params, bucket_width="1d")
    cost = {(r["group"]["model"], r["group"]["product"]): r["cost"] for r in rows(emu, COST, **params)}
    usage = {(r["group"]["model"], r["group"]["product"]): r["usage"] for r in rows(emu, USAGE, **params)}
    assert seat_cost and seat_usage
    for r in seat_cost:
        mine = cost[(r["model"], r["product"])]
        assert (mine["list_amount"], mine["requests"]) == (r["list_amount"], r["requests"])
    for r in seat_usage:
        assert usage[(r["model"], r["product"])]["requests"] == r["requests"]


# -- amounts as JSON numbers --------------------------------------------------------------------
def test_amounts_can_be_sent_as_json_numbers(emu):
    numbers = start(usage_cost_amounts="number")
    try:
        params = {**days(SETTLED_WEEKDAY), "group_by[]": ["model", "product"]}
        as_numbers, as_text = rows(numbers, COST, **params), rows(emu, COST, **params)
    finally:
        numbers.stop()
    assert len(as_numbers) == len(as_text) > 0
    for n, t in zip(as_numbers, as_text):
        for field in ("amount", "list_amount"):
            assert isinstance(n["cost"][field], float) and isinstance(t["cost"][field], str)
            assert Decimal(str(n["cost"][field])) == Decimal(t["cost"][field])
        assert {**n, "cost": None} == {**t, "cost": None}


def test_the_amount_type_is_a_checked_config_and_cli_switch():
    with pytest.raises(ValueError):
        EmulatorConfig(usage_cost_amounts="float")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).usage_cost_amounts == "string"
    assert parser.parse_args(["--usage-cost-amounts", "number"]).usage_cost_amounts == "number"
