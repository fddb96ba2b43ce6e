"""User stories for what peers saw on the live APIs (field reports F1-F13, reference §8): the
emulator answers a client the way the real services do where they differ from the docs."""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from email.utils import parsedate_to_datetime

import httpx
import pytest

from claude_assets.emulator import EmulatorConfig
from claude_assets.emulator.cli import add_arguments
from claude_assets_tests.helpers import NOW, start

LATEST = "2026-03-07"  # NOW - 3 days, the default engagement lag
VERSION = {"anthropic-version": "2023-06-01"}
CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
MESSAGES = "/v1/organizations/usage_report/messages"
ADMIN_COST = "/v1/organizations/cost_report"
ANALYTICS = "/v1/organizations/analytics"
USERS = f"{ANALYTICS}/users"
SUMMARIES = f"{ANALYTICS}/summaries"
PROJECTS = f"{ANALYTICS}/apps/chat/projects"
SKILLS = f"{ANALYTICS}/skills"
CONNECTORS = f"{ANALYTICS}/connectors"
ARTIFACTS = f"{ANALYTICS}/artifacts"
USER_USAGE = f"{ANALYTICS}/user_usage_report"
USER_COST = f"{ANALYTICS}/user_cost_report"
USAGE = f"{ANALYTICS}/usage_report"
COST = f"{ANALYTICS}/cost_report"
ADMIN_PATHS = (CLAUDE_CODE, MESSAGES, ADMIN_COST)
BUCKETED = (MESSAGES, ADMIN_COST, USAGE, COST)
ENTERPRISE_REPORTS = (USER_USAGE, USER_COST, USAGE, COST)
METRIC_BLOCKS = {  # /users block -> the product whose use fills it
    "chat_metrics": "chat", "claude_code_metrics": "claude_code", "cowork_metrics": "cowork",
    "office_metrics": "office_agent", "design_metrics": "claude_design", "science_metrics": "science",
}
MISSING_SCOPE = "Missing required scopes. Got: {} Needed: ['read:analytics']"


def get(emu, path, key=None, **params) -> httpx.Response:
    """A GET with the key its path family wants (Admin or Analytics) unless told otherwise."""
    default = emu.admin_key if path in ADMIN_PATHS else emu.analytics_key
    return httpx.get(emu.url + path, params=params, headers={"x-api-key": key or default, **VERSION}, timeout=30)


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"]["type"], body["error"]["message"]


def report_window(start: str = "2026-03-02", end: str = "2026-03-05") -> dict:
    return {"starting_at": f"{start}T00:00:00Z", "ending_at": f"{end}T00:00:00Z"}


def pages(emu, path, **params) -> list[dict]:
    """Every page of a listing, following next_page until it is null."""
    bodies = [get(emu, path, **params).json()]
    while bodies[-1]["next_page"] is not None:
        bodies.append(get(emu, path, **params, page=bodies[-1]["next_page"]).json())
    return bodies


# -- F1: at most five group_by[] dimensions ------------------------------------------------------
def test_asking_for_more_than_five_group_by_dimensions_is_refused_on_every_grouping_endpoint(emu):
    six = {
        MESSAGES: ["api_key_id", "workspace_id", "model", "service_tier", "context_window", "inference_geo"],
        ADMIN_COST: ["workspace_id", "description"] * 3,  # duplicates count: the raw pairs are counted
        USAGE: ["product", "model", "context_window", "inference_geo", "speed", "product"],
        COST: ["product", "model", "context_window", "inference_geo", "cost_type", "token_type"],
        USER_USAGE: ["product"] * 6,
        USER_COST: ["product", "model", "context_window", "inference_geo", "speed", "cost_type"],
        USERS: ["rbac_group_id"] * 6,
        ARTIFACTS: ["not-even-a-dimension"] * 6,  # counted before the values are checked
    }
    for path, group_by in six.items():
        window = {"date": "2026-03-04"} if path in (USERS, ARTIFACTS) else report_window()
        response = get(emu, path, **window, **{"group_by[]": group_by})
        body = response.json()
        assert response.status_code == 400, path
        assert body == {"type": "error",
                        "error": {"type": "invalid_request_error",
                                  "message": "Cannot specify more than 5 group_by[] dimensions."},
                        "request_id": response.headers["request-id"]}


def test_five_group_by_dimensions_are_still_fine(emu):
    five = ["api_key_id", "workspace_id", "model", "service_tier", "account_id"]
    response = get(emu, MESSAGES, **report_window(), **{"group_by[]": five})
    assert response.status_code == 200, response.text


# -- F2: keys without read:analytics -------------------------------------------------------------
def test_the_admin_key_on_enterprise_paths_is_told_which_scope_it_lacks(emu):
    calls = [(USERS, {"date": "2026-03-04"}), (SUMMARIES, {"starting_date": "2026-03-04"}),
             (SKILLS, {"date": "2026-03-04"}), (USER_COST, report_window()),
             (COST, report_window())]
    for path, params in calls:
        assert error_of(get(emu, path, key=emu.admin_key, **params)) == (
            403, "permission_error", MISSING_SCOPE.format("['api:admin']")), path


def test_a_key_with_no_scopes_gets_403_on_enterprise_paths_and_401_on_admin_paths(emu):
    assert emu.scopeless_key not in (emu.admin_key, emu.analytics_key)
    for path, params in ((USERS, {"date": "2026-03-04"}), (USER_USAGE, report_window())):
        assert error_of(get(emu, path, key=emu.scopeless_key, **params)) == (
            403, "permission_error", MISSING_SCOPE.format("[]"))
    for path, params in ((CLAUDE_CODE, {"starting_at": "2026-03-04"}), (MESSAGES, report_window())):
        status, kind, message = error_of(get(emu, path, key=emu.scopeless_key, **params))
        assert (status, kind) == (401, "authentication_error") and emu.scopeless_key not in message


def test_the_scopeless_key_is_derived_from_the_seed_unless_given():
    one, again, other = EmulatorConfig(seed=3), EmulatorConfig(seed=3), EmulatorConfig(seed=4)
    assert one.resolved_scopeless_key == again.resolved_scopeless_key != other.resolved_scopeless_key
    assert one.resolved_scopeless_key.startswith("sk-ant-api03-emu-")
    assert EmulatorConfig(scopeless_key="sk-ant-mine").resolved_scopeless_key == "sk-ant-mine"


def test_unknown_keys_keep_their_documented_answers(emu):
    assert error_of(get(emu, USERS, key="sk-ant-nobody", date="2026-03-04"))[:2] == (404, "not_found_error")
    assert error_of(get(emu, COST, key="sk-ant-nobody", **report_window()))[:2] == (401, "authentication_error")
    assert error_of(get(emu, MESSAGES, key="sk-ant-nobody", **report_window()))[:2] == (
        401, "authentication_error")


def test_with_access_off_the_analytics_key_gets_404_on_every_enterprise_path(emu):
    emu.faults.set_analytics_access(False)
    for path, params in ((USERS, {"date": "2026-03-04"}), (SKILLS, {"date": "2026-03-04"}),
                         *((p, report_window()) for p in ENTERPRISE_REPORTS)):
        assert error_of(get(emu, path, **params))[:2] == (404, "not_found_error"), path


# -- F3: 429s, retry-after styles and a stale reset header ---------------------------------------
def _limited(emu, path, **params) -> httpx.Response:
    """Spend the one-request budget, then return the 429 that follows."""
    assert get(emu, path, **params).status_code == 200
    response = get(emu, path, **params)
    assert response.status_code == 429
    return response


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_rate_limited_admin_call_carries_a_requests_reset_already_in_the_past():
    emu = start(admin_rate_limit_per_minute=1)
    try:
        response = _limited(emu, CLAUDE_CODE, starting_at="2026-03-04")
        assert int(response.headers["retry-after"]) >= 1
        reset = _instant(response.headers["anthropic-ratelimit-requests-reset"])
        assert reset < datetime.now(timezone.utc)
    finally:
        emu.stop()


def test_retry_after_can_be_the_http_date_when_the_budget_refills():
    emu = start(rate_limit_per_minute=1, retry_after="http-date")
    try:
        before = datetime.now(timezone.utc)
        response = _limited(emu, USERS, date="2026-03-04")
        when = parsedate_to_datetime(response.headers["retry-after"])
        assert response.headers["retry-after"].endswith(" GMT")
        assert before + timedelta(seconds=50) <= when <= datetime.now(timezone.utc) + timedelta(seconds=62)
        assert "anthropic-ratelimit-requests-reset" not in response.headers  # an Admin-family header only
    finally:
        emu.stop()


def test_retry_after_none_sends_no_retry_after_but_admin_429s_still_carry_the_stale_reset():
    emu = start(admin_rate_limit_per_minute=1, retry_after="none")
    try:
        response = _limited(emu, MESSAGES, **report_window())
        assert "retry-after" not in response.headers
        assert _instant(response.headers["anthropic-ratelimit-requests-reset"]) < datetime.now(timezone.utc)
    finally:
        emu.stop()


def test_injected_429s_follow_the_retry_after_setting():
    emu = start(retry_after="http-date")
    try:
        emu.faults.rate_limit_next(2, retry_after=7)
        before = datetime.now(timezone.utc)
        admin, analytics = get(emu, ADMIN_COST, **report_window()), get(emu, USERS, date="2026-03-04")
        for response in (admin, analytics):
            assert response.status_code == 429
            when = parsedate_to_datetime(response.headers["retry-after"])
            assert before + timedelta(seconds=6) <= when <= datetime.now(timezone.utc) + timedelta(seconds=9)
        assert "anthropic-ratelimit-requests-reset" in admin.headers
        assert "anthropic-ratelimit-requests-reset" not in analytics.headers
    finally:
        emu.stop()


def test_the_older_retry_after_booleans_still_work_and_bad_styles_are_refused():
    assert EmulatorConfig(retry_after=True).retry_after == "seconds"
    assert EmulatorConfig(retry_after=False).retry_after == "none"
    assert EmulatorConfig().retry_after == "seconds"
    with pytest.raises(ValueError):
        EmulatorConfig(retry_after="minutes")


def test_the_cli_takes_a_retry_after_style_and_keeps_no_retry_after_as_an_alias():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).retry_after == "seconds"
    assert parser.parse_args(["--retry-after", "http-date"]).retry_after == "http-date"
    assert parser.parse_args(["--no-retry-after"]).retry_after == "none"
    options = parser.parse_args(["--no-null-metric-blocks", "--claude-code-amounts", "string"])
    assert (options.null_metric_blocks, options.claude_code_amounts) == (False, "string")


# -- F4: ending_at on the bucket grid ------------------------------------------------------------
def test_bucketed_reports_refuse_an_ending_at_off_the_bucket_grid_or_equal_to_starting_at(emu):
    for path in BUCKETED:
        start_at = "2026-03-02T00:00:00Z"
        off_grid = get(emu, path, starting_at=start_at, ending_at="2026-03-03T23:59:59Z")
        assert error_of(off_grid) == (400, "invalid_request_error",
                                      "Invalid date range: ending date must be after starting date"), path
        empty = get(emu, path, starting_at=start_at, ending_at=start_at)
        assert error_of(empty) == (400, "invalid_request_error", "ending_at must be after starting_at"), path
        assert get(emu, path, starting_at=start_at, ending_at="2026-03-04T00:00:00Z").status_code == 200, path


def test_the_bucket_grid_follows_the_requested_bucket_width(emu):
    hourly = {"starting_at": "2026-03-04T00:00:00Z", "bucket_width": "1h"}
    assert get(emu, MESSAGES, **hourly, ending_at="2026-03-04T10:00:00Z").status_code == 200
    assert error_of(get(emu, USAGE, **hourly, ending_at="2026-03-04T10:30:00Z"))[2] == (
        "Invalid date range: ending date must be after starting date")


# -- F5: undated per-user rows -------------------------------------------------------------------
def test_per_user_reports_answer_one_undated_row_per_user_for_the_whole_range(emu):
    window = report_window("2026-03-02", "2026-03-05")
    rows = get(emu, USER_USAGE, **window, limit=1000).json()["data"]
    assert rows and all("starting_at" not in r and "ending_at" not in r for r in rows)
    assert len({r["actor"]["user_id"] for r in rows}) == len(rows)  # one row per user
    by_day = Counter()
    for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
        following = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        for r in get(emu, USER_USAGE, **report_window(day, following), limit=1000).json()["data"]:
            by_day[r["actor"]["user_id"]] += r["total_tokens"]
    assert {r["actor"]["user_id"]: r["total_tokens"] for r in rows} == dict(by_day)
    cost_rows = get(emu, USER_COST, **window, limit=1000).json()["data"]
    assert cost_rows and all("starting_at" not in r and "ending_at" not in r for r in cost_rows)


def test_per_user_reports_give_dated_daily_rows_when_asked_for_1d_buckets(emu):
    window = report_window("2026-03-02", "2026-03-05")
    daily = [r for body in pages(emu, USER_USAGE, **window, bucket_width="1d", limit=5) for r in body["data"]]
    days = [r["starting_at"] for r in daily]
    assert days == sorted(days) and set(days) == {"2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z",
                                                  "2026-03-04T00:00:00Z"}
    assert all(_instant(r["ending_at"]) - _instant(r["starting_at"]) == timedelta(days=1) for r in daily)
    summed = Counter()
    for r in daily:
        summed[r["actor"]["user_id"]] += r["total_tokens"]
    whole = get(emu, USER_USAGE, **window, limit=1000).json()["data"]
    assert dict(summed) == {r["actor"]["user_id"]: r["total_tokens"] for r in whole}
    cost = get(emu, USER_COST, **window, bucket_width="1d").json()["data"]
    assert cost and all(r["starting_at"].endswith("T00:00:00Z") for r in cost)


def test_daily_per_user_rows_need_an_ending_at_on_the_day_grid(emu):
    start_at = {"starting_at": "2026-03-02T00:00:00Z", "bucket_width": "1d"}
    status, _, message = error_of(get(emu, USER_USAGE, **start_at))
    assert status == 400 and "ending_at" in message
    assert error_of(get(emu, USER_COST, **start_at, ending_at="2026-03-03T12:00:00Z"))[2] == (
        "Invalid date range: ending date must be after starting date")


# -- F6: summaries -------------------------------------------------------------------------------
def test_summaries_without_ending_date_answer_only_the_starting_day(emu):
    body = get(emu, SUMMARIES, starting_date="2026-03-03").json()
    assert [row["starting_at"] for row in body["summaries"]] == ["2026-03-03T00:00:00Z"]
    assert body["summaries"][0]["ending_at"] == "2026-03-04T00:00:00Z"


def test_summaries_refuse_limit_and_bucket_width(emu):
    for extra in ({"limit": 10}, {"bucket_width": "1d"}):
        status, kind, message = error_of(get(emu, SUMMARIES, starting_date="2026-03-03", **extra))
        assert (status, kind) == (400, "invalid_request_error") and next(iter(extra)) in message


# -- F7: engagement pages have next_page, never has_more -----------------------------------------
def test_paging_users_by_next_page_alone_returns_every_user_once(emu):
    day = date(2026, 3, 4)
    bodies = pages(emu, USERS, date=day.isoformat(), limit=3)
    assert len(bodies) > 2
    assert all(set(body) == {"data", "next_page"} for body in bodies)
    ids = [row["user"]["id"] for body in bodies for row in body["data"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == {ud.user.id for ud in emu.org.active_user_days(day)}
    for path in (SKILLS, PROJECTS, CONNECTORS, SUMMARIES):
        params = {"starting_date": "2026-03-04"} if path == SUMMARIES else {"date": "2026-03-04"}
        assert "has_more" not in get(emu, path, **params).json(), path


# -- F8: null metric blocks on /users ------------------------------------------------------------
def _user_rows(emu, days) -> list[tuple[date, dict]]:
    return [(day, row) for day in days for row in get(emu, USERS, date=day.isoformat(), limit=1000).json()["data"]]


def test_about_half_of_the_blocks_of_unused_products_arrive_as_null(emu):
    days = [date(2026, 3, 2) + timedelta(days=i) for i in range(5)]
    eligible = nulled = 0
    for day, row in _user_rows(emu, days):
        used = emu.org.user_day(emu.org.user_by_id(row["user"]["id"]), day).products
        for block, product in METRIC_BLOCKS.items():
            if product in used:
                assert isinstance(row[block], dict), (block, row["user"]["id"], day)
            else:
                eligible += 1
                nulled += row[block] is None
    assert eligible > 100 and 0.35 < nulled / eligible < 0.65


def test_null_blocks_are_stable_and_only_ever_replace_zeros():
    days = [date(2026, 3, 3), date(2026, 3, 6)]
    one, two, plain = start(), start(), start(null_metric_blocks=False)
    try:
        first, again, zeros = _user_rows(one, days), _user_rows(two, days), _user_rows(plain, days)
    finally:
        for emulator in (one, two, plain):
            emulator.stop()
    assert first == again
    assert all(row[block] is not None for _, row in zeros for block in METRIC_BLOCKS)
    for (_, row), (_, full) in zip(first, zeros):
        for block in METRIC_BLOCKS:
            if row[block] is None:
                assert not any(_leaves(full[block])), block
            else:
                assert row[block] == full[block]


def _leaves(node):
    for value in node.values():
        yield from _leaves(value) if isinstance(value, dict) else (value,)


# -- F9: the Claude Code report's empty days and amount types ------------------------------------
EMPTY_PAGE = {"data": [], "has_more": False, "next_page": None}


def test_the_claude_code_report_answers_a_day_with_no_activity_yet_with_an_empty_page(emu):
    emu.set_now(datetime(2026, 3, 10, 0, 30, tzinfo=timezone.utc))  # nothing is an hour old yet today
    response = get(emu, CLAUDE_CODE, starting_at="2026-03-10")
    assert (response.status_code, response.json()) == (200, EMPTY_PAGE)
    assert get(emu, CLAUDE_CODE, starting_at="2026-03-09").json()["data"]


def test_the_claude_code_report_answers_a_day_before_the_history_with_an_empty_page():
    emu = start(history_start=date(2026, 2, 1))
    try:
        response = get(emu, CLAUDE_CODE, starting_at="2026-01-20")
        assert (response.status_code, response.json()) == (200, EMPTY_PAGE)
        assert get(emu, CLAUDE_CODE, starting_at="2026-02-03").json()["data"]
    finally:
        emu.stop()


def test_claude_code_costs_can_arrive_as_decimal_strings():
    numbers, strings = start(), start(claude_code_amounts="string")
    try:
        plain = get(numbers, CLAUDE_CODE, starting_at="2026-03-04", limit=1000).json()["data"]
        texts = get(strings, CLAUDE_CODE, starting_at="2026-03-04", limit=1000).json()["data"]
        pages_of_two = [r for body in pages(strings, CLAUDE_CODE, starting_at="2026-03-04", limit=2)
                        for r in body["data"]]
    finally:
        numbers.stop()
        strings.stop()
    assert texts == pages_of_two and len(texts) == len(plain) > 0
    for as_number, as_text in zip(plain, texts):
        for n, t in zip(as_number["model_breakdown"], as_text["model_breakdown"]):
            assert isinstance(n["estimated_cost"]["amount"], (int, float))
            assert isinstance(t["estimated_cost"]["amount"], str)
            assert Decimal(t["estimated_cost"]["amount"]) == Decimal(str(n["estimated_cost"]["amount"]))
        assert {**as_text, "model_breakdown": None} == {**as_number, "model_breakdown": None}


# -- F10: "" instead of null on non-token cost lines ---------------------------------------------
def test_admin_cost_by_description_sends_empty_strings_on_web_search_lines(emu):
    window = report_window("2026-03-02", "2026-03-06")
    results = [r for bucket in get(emu, ADMIN_COST, **window, **{"group_by[]": "description"}).json()["data"]
               for r in bucket["results"]]
    dims = ("model", "service_tier", "context_window", "token_type", "inference_geo")
    searches = [r for r in results if r["cost_type"] == "web_search"]
    tokens = [r for r in results if r["cost_type"] == "tokens"]
    assert searches and tokens
    assert all(r[d] == "" for r in searches for d in dims)
    assert all(r["model"] and r["token_type"] and r["service_tier"] for r in tokens)
    ungrouped = [r for bucket in get(emu, ADMIN_COST, **window).json()["data"] for r in bucket["results"]]
    assert all(r[d] is None for r in ungrouped for d in dims)


# -- F11: the newest available day is named in every refusal ------------------------------------
def test_every_refusal_of_a_day_not_yet_available_names_the_newest_day(emu):
    calls = [
        (USERS, {"date": "2026-03-08"}),
        (USERS, {"starting_date": "2026-03-01", "ending_date": "2026-03-10"}),
        (SUMMARIES, {"starting_date": "2026-03-09"}),
        (SUMMARIES, {"starting_date": "2026-03-01", "ending_date": "2026-03-10"}),
        (PROJECTS, {"date": "2026-03-09"}),
        (SKILLS, {"date": "2026-03-08"}),
        (CONNECTORS, {"date": "2026-03-10"}),
    ]
    for path, params in calls:
        status, kind, message = error_of(get(emu, path, **params))
        assert (status, kind) == (400, "invalid_request_error"), (path, params)
        assert f"The latest available date is {LATEST}." in message, (path, params, message)


def test_a_shorter_lag_moves_the_newest_day_named_in_the_refusal():
    emu = start(lag_days=1)
    try:
        assert "The latest available date is 2026-03-09." in error_of(get(emu, SKILLS, date="2026-03-10"))[2]
        assert get(emu, USERS, date="2026-03-09").status_code == 200
    finally:
        emu.stop()


# -- F12: organization_id and data_refreshed_at on every page ------------------------------------
def test_enterprise_cost_and_usage_pages_all_carry_the_organization_and_refresh_watermark(emu):
    for path in ENTERPRISE_REPORTS:
        bodies = pages(emu, path, **report_window(), limit=1)
        assert len(bodies) > 1, path
        assert {body["organization_id"] for body in bodies} == {emu.org.organization_id}
        watermarks = {body["data_refreshed_at"] for body in bodies}
        assert len(watermarks) == 1 and _instant(watermarks.pop()) <= NOW, path


# -- F13: grouping fields on every row -----------------------------------------------------------
def test_users_rows_always_carry_the_grouping_fields(emu):
    plain = get(emu, USERS, date="2026-03-04").json()["data"]
    assert plain and all(
        (r["rbac_group_id"], r["rbac_group_name"], r["distinct_user_count"]) == (None, None, None) for r in plain)
    grouped = get(emu, USERS, date="2026-03-04", **{"group_by[]": "rbac_group_id"}).json()["data"]
    names = dict(emu.org.rbac_groups)
    assert grouped and all(names[r["rbac_group_id"]] == r["rbac_group_name"] and r["distinct_user_count"] >= 1
                           for r in grouped)


def test_skills_connectors_and_projects_rows_carry_null_grouping_fields(emu):
    for path in (SKILLS, CONNECTORS, PROJECTS):
        rows = get(emu, path, date="2026-03-04").json()["data"]
        assert rows, path
        fields = defaultdict(set)
        for row in rows:
            for name in ("product", "rbac_group_id", "rbac_group_name", "user_id"):
                fields[name].add(row[name])
        assert all(values == {None} for values in fields.values()), path
