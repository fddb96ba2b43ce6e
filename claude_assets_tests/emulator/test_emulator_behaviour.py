"""User stories against a real emulator on loopback: keys, availability, cursors, rate
limits, faults, determinism and cross-endpoint consistency of the synthetic organization."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from claude_assets.emulator import EmulatorConfig
from claude_assets_tests.helpers import NOW, start
from claude_assets_tests.stack import REPO

VERSION = {"anthropic-version": "2023-06-01"}
CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
MESSAGES = "/v1/organizations/usage_report/messages"
ANALYTICS = "/v1/organizations/analytics"
USERS = f"{ANALYTICS}/users"
USER_USAGE = f"{ANALYTICS}/user_usage_report"
USER_COST = f"{ANALYTICS}/user_cost_report"
COST = f"{ANALYTICS}/cost_report"


def admin(emu, path=CLAUDE_CODE, key=None, **params) -> httpx.Response:
    return httpx.get(emu.url + path, params=params, headers={"x-api-key": key or emu.admin_key, **VERSION})


def analytics(emu, path=USERS, key=None, **params) -> httpx.Response:
    return httpx.get(emu.url + path, params=params, headers={"x-api-key": key or emu.analytics_key, **VERSION})


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"]["type"], body["error"]["message"]


# -- keys and access --------------------------------------------------------------------------
def test_default_keys_are_deterministic_and_shaped_like_their_kind():
    a, b = EmulatorConfig(seed=3), EmulatorConfig(seed=3)
    assert a.resolved_admin_key == b.resolved_admin_key
    assert a.resolved_admin_key.startswith("sk-ant-admin01-")
    assert not a.resolved_analytics_key.startswith("sk-ant-admin01-")
    assert a.resolved_admin_key != EmulatorConfig(seed=4).resolved_admin_key


def test_admin_endpoints_reject_missing_and_analytics_keys_with_401(emu):
    for key in ("", emu.analytics_key, "sk-ant-admin01-not-this-one"):
        status, kind, message = error_of(admin(emu, key=key or None) if key else httpx.get(
            emu.url + CLAUDE_CODE, params={"starting_at": "2026-03-04"}, headers=VERSION))
        assert (status, kind) == (401, "authentication_error")
        assert emu.analytics_key not in message


def test_engagement_endpoints_answer_404_to_unknown_keys_and_403_to_the_admin_key(emu):
    assert error_of(analytics(emu, key="sk-ant-whatever", date="2026-03-04"))[:2] == (404, "not_found_error")
    # field report F2: the live API names the missing scope instead of answering 404
    assert error_of(analytics(emu, key=emu.admin_key, date="2026-03-04"))[:2] == (403, "permission_error")


def test_enterprise_cost_endpoints_answer_403_to_the_admin_key(emu):
    response = analytics(emu, USER_COST, key=emu.admin_key, starting_at="2026-03-02T00:00:00Z")
    assert error_of(response)[:2] == (403, "permission_error")  # field report F2, was 401


def test_access_toggle_off_denies_every_analytics_request_with_404(emu):
    emu.faults.set_analytics_access(False)
    assert analytics(emu, date="2026-03-04").status_code == 404
    assert analytics(emu, USER_COST, starting_at="2026-03-02T00:00:00Z").status_code == 404
    assert admin(emu, starting_at="2026-03-04").status_code == 200  # the Admin API is unaffected
    emu.faults.set_analytics_access(True)
    assert analytics(emu, date="2026-03-04").status_code == 200


def test_admin_calls_need_the_anthropic_version_header(emu):
    response = httpx.get(emu.url + CLAUDE_CODE, params={"starting_at": "2026-03-04"},
                         headers={"x-api-key": emu.admin_key})
    status, kind, message = error_of(response)
    assert (status, kind) == (400, "invalid_request_error") and "anthropic-version" in message


# -- validation and availability ---------------------------------------------------------------
def test_engagement_day_not_yet_available_names_the_latest_day(emu):
    status, _, message = error_of(analytics(emu, date="2026-03-09"))
    assert status == 400
    assert message == "date 2026-03-09 is not yet available. The latest available date is 2026-03-07."
    assert analytics(emu, date="2026-03-07").status_code == 200


def test_engagement_history_floors(emu):
    assert "2026-01-01" in error_of(analytics(emu, date="2025-12-31"))[2]
    emu.set_now(datetime(2026, 6, 30, tzinfo=timezone.utc))
    status, _, message = error_of(analytics(emu, date="2026-03-01"))
    assert status == 400 and "90-day" in message and "2026-04-01" in message


def test_bad_parameters_get_helpful_400s(emu):
    cases = [
        admin(emu, starting_at="2026-03-04T00:00:00Z"),  # a date is required, not a timestamp
        admin(emu, starting_at="2026-03-04", limit=1001),
        admin(emu, starting_at="2026-03-11"),  # the future
        analytics(emu, USER_USAGE, starting_at="2026-03-02"),  # needs a zone-qualified timestamp
        analytics(emu, USER_USAGE, starting_at="2026-01-02T00:00:00Z", ending_at="2026-02-03T00:00:00Z"),
        analytics(emu, f"{ANALYTICS}/usage_report", **{"starting_at": "2026-03-02T00:00:00Z", "group_by[]": "token_type"}),
        analytics(emu, f"{ANALYTICS}/summaries", starting_date="2026-01-05", ending_date="2026-02-06"),
        analytics(emu, date="2026-03-04", group_by="rbac_group_id"),  # missing brackets
    ]
    for response in cases:
        status, kind, message = error_of(response)
        assert (status, kind) == (400, "invalid_request_error"), message
        assert len(message) > 20


def test_claude_code_report_for_today_serves_only_the_hours_already_reported(emu):
    today = admin(emu, starting_at="2026-03-10", limit=1000).json()["data"]
    full = emu.org.claude_code_records(date(2026, 3, 10))
    assert 0 < len(today) <= len(full)
    by_key = {(r["actor"].get("email_address"), r["terminal_type"]): r for r in full}
    for row in today:
        final = by_key[(row["actor"].get("email_address"), row["terminal_type"])]
        assert row["core_metrics"]["lines_of_code"]["added"] <= final["core_metrics"]["lines_of_code"]["added"]


# -- pagination --------------------------------------------------------------------------------
def test_paging_through_a_day_returns_exactly_the_truth(emu):
    day = date(2026, 3, 4)
    rows, params = [], {"starting_at": day.isoformat(), "limit": 3}
    while True:
        body = admin(emu, **params).json()
        rows += body["data"]
        if not body["has_more"]:
            assert body["next_page"] is None
            break
        params["page"] = body["next_page"]
    assert rows == emu.org.claude_code_records(day)
    kinds = {(r["actor"]["type"], r["customer_type"]) for r in rows}
    assert ("api_actor", "api") in kinds and ("user_actor", "subscription") in kinds


def test_cursor_is_bound_to_its_query_and_expires(emu):
    first = analytics(emu, date="2026-03-04", limit=2).json()
    cursor = first["next_page"]
    assert analytics(emu, date="2026-03-04", limit=2, page=cursor).status_code == 200
    status, kind, message = error_of(analytics(emu, date="2026-03-05", limit=2, page=cursor))
    assert (status, kind) == (400, "invalid_request_error") and "page 1" in message
    assert analytics(emu, date="2026-03-04", limit=3, page=cursor).status_code == 400
    emu.set_now(NOW + timedelta(seconds=601))
    status, _, message = error_of(analytics(emu, date="2026-03-04", limit=2, page=cursor))
    assert status == 410 and "page 1" in message


# -- rate limits -------------------------------------------------------------------------------
def test_the_analytics_budget_is_shared_per_organization_and_429_says_when_to_retry():
    emu = start(rate_limit_per_minute=3, admin_rate_limit_per_minute=0)
    try:
        assert analytics(emu, date="2026-03-04").status_code == 200
        assert analytics(emu, f"{ANALYTICS}/skills", date="2026-03-04").status_code == 200
        assert analytics(emu, COST, starting_at="2026-03-02T00:00:00Z").status_code == 200
        limited = analytics(emu, date="2026-03-04")
        assert error_of(limited)[:2] == (429, "rate_limit_error")
        assert int(limited.headers["retry-after"]) >= 1
        assert admin(emu, starting_at="2026-03-04").status_code == 200  # separate Admin budget (off here)
        assert emu.stats.snapshot()["rate_limited"] == 1
    finally:
        emu.stop()


def test_retry_after_can_be_switched_off():
    emu = start(retry_after=False)
    try:
        emu.faults.rate_limit_next(1)
        response = analytics(emu, date="2026-03-04")
        assert response.status_code == 429 and "retry-after" not in response.headers
    finally:
        emu.stop()


# -- faults ------------------------------------------------------------------------------------
def test_fail_next_answers_the_next_requests_with_the_chosen_status(emu):
    emu.faults.fail_next(2, status=503)
    assert [analytics(emu, date="2026-03-04").status_code for _ in range(3)] == [503, 503, 200]
    emu.faults.fail_next(1, status=529)
    assert error_of(admin(emu, starting_at="2026-03-04"))[:2] == (529, "overloaded_error")


def test_faults_hit_before_auth_but_a_rejected_key_never_gets_data(emu):
    emu.faults.fail_next(1, status=500)
    assert error_of(analytics(emu, key="sk-ant-nope", date="2026-03-04"))[:2] == (500, "api_error")
    emu.faults.cut_off_next(1)
    with pytest.raises(httpx.HTTPError):
        analytics(emu, key="sk-ant-nope", date="2026-03-04")
    assert analytics(emu, key="sk-ant-nope", date="2026-03-04").status_code == 404


def test_rate_limit_storm(emu):
    emu.faults.rate_limit_next(2, retry_after=7)
    responses = [analytics(emu, date="2026-03-04") for _ in range(3)]
    assert [r.status_code for r in responses] == [429, 429, 200]
    assert responses[0].headers["retry-after"] == "7"
    assert emu.stats.snapshot()["rate_limited"] == 2


def test_cut_off_and_dropped_responses_break_the_connection(emu):
    emu.faults.cut_off_next(1)
    with pytest.raises(httpx.RemoteProtocolError):
        analytics(emu, date="2026-03-04")
    emu.faults.drop_next(1)
    with pytest.raises(httpx.RemoteProtocolError):
        analytics(emu, date="2026-03-04")
    assert analytics(emu, date="2026-03-04").status_code == 200


def test_slow_responses(emu):
    emu.faults.slow_next(1, 0.3)
    started = time.perf_counter()
    assert analytics(emu, date="2026-03-04").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_expire_cursors_hits_only_requests_that_carry_a_cursor(emu):
    cursor = analytics(emu, date="2026-03-04", limit=2).json()["next_page"]
    emu.faults.expire_cursors_next(1)
    assert analytics(emu, date="2026-03-04", limit=2).status_code == 200
    assert analytics(emu, date="2026-03-04", limit=2, page=cursor).status_code == 410
    assert analytics(emu, date="2026-03-04", limit=2, page=cursor).status_code == 200


def test_error_rate_is_seeded(emu):
    emu.faults.error_rate(0.5, status=504)
    first = [analytics(emu, date="2026-03-04").status_code for _ in range(12)]
    emu.faults.reset()
    emu.faults.error_rate(0.5, status=504)
    again = [analytics(emu, date="2026-03-04").status_code for _ in range(12)]
    assert first == again and {200, 504} == set(first)


def test_control_endpoints_work_from_another_process(emu):
    httpx.post(emu.url + "/_emulator/faults", json={"fail_next": {"count": 1, "status": 503}}).raise_for_status()
    assert analytics(emu, date="2026-03-04").status_code == 503
    stats = httpx.get(emu.url + "/_emulator/stats").json()
    assert stats["total"] == 1 and stats["by_status"] == {"503": 1}
    assert stats["by_key_kind"] == {"analytics": 1}
    httpx.post(emu.url + "/_emulator/clock", json={"now": "2026-03-12T12:00:00Z"}).raise_for_status()
    assert analytics(emu, date="2026-03-09").status_code == 200
    httpx.post(emu.url + "/_emulator/reset").raise_for_status()
    assert httpx.get(emu.url + "/_emulator/stats").json()["total"] == 0
    bad = httpx.post(emu.url + "/_emulator/faults", json={"explode": 1})
    assert bad.status_code == 400


# -- determinism and consistency ---------------------------------------------------------------
def test_same_seed_same_organization():
    one, two = start(), start()
    try:
        for path, call, params in (
            (CLAUDE_CODE, admin, {"starting_at": "2026-03-03", "limit": 1000}),
            (USERS, analytics, {"date": "2026-03-03", "limit": 1000}),
            (USER_COST, analytics, {"starting_at": "2026-03-01T00:00:00Z", "limit": 1000}),
        ):
            assert call(one, path, **params).json()["data"] == call(two, path, **params).json()["data"]
        assert one.org.users[0].id.startswith("user_01") and len(one.org.users[0].id) == 29
    finally:
        one.stop()
        two.stop()


def test_one_users_day_agrees_across_claude_code_users_and_usage_reports(emu):
    day = date(2026, 2, 3)  # old enough to be final (30 days) and inside the 90-day window
    user = next(ud.user for ud in emu.org.active_user_days(day)
                if ud.code and ud.user.customer_type == "subscription")
    rows = [r for r in emu.org.claude_code_records(day) if r["actor"].get("email_address") == user.email]

    users_page = analytics(emu, date=day.isoformat(), limit=1000).json()["data"]
    mine = next(r for r in users_page if r["user"]["id"] == user.id)
    core = mine["claude_code_metrics"]["core_metrics"]
    assert core["distinct_session_count"] == sum(r["core_metrics"]["num_sessions"] for r in rows)
    assert core["lines_of_code"]["added_count"] == sum(r["core_metrics"]["lines_of_code"]["added"] for r in rows)
    assert core["commit_count"] == sum(r["core_metrics"]["commits_by_claude_code"] for r in rows)
    edits = mine["claude_code_metrics"]["tool_actions"]["edit_tool"]["accepted_count"]
    assert edits == sum(r["tool_actions"]["edit_tool"]["accepted"] for r in rows)

    window = {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{day + timedelta(days=1)}T00:00:00Z",
              "user_ids[]": user.id, "products[]": "claude_code"}
    usage = analytics(emu, USER_USAGE, **window).json()["data"]
    assert len(usage) == 1
    models = [m for r in rows for m in r["model_breakdown"]]
    assert usage[0]["uncached_input_tokens"] == sum(m["tokens"]["input"] for m in models)
    assert usage[0]["output_tokens"] == sum(m["tokens"]["output"] for m in models)
    cache = usage[0]["cache_creation"]
    assert cache["ephemeral_5m_input_tokens"] + cache["ephemeral_1h_input_tokens"] == sum(
        m["tokens"]["cache_creation"] for m in models)

    cost = analytics(emu, USER_COST, **window).json()["data"][0]
    list_cents, amount = Decimal(cost["list_amount"]), Decimal(cost["amount"])
    estimated = sum(m["estimated_cost"]["amount"] for m in models)
    assert abs(list_cents - estimated) <= len(models)  # the estimate rounds each model to whole cents
    assert amount < list_cents and amount == (list_cents * Decimal("0.8")).quantize(Decimal("0.000001"))

    summary = analytics(emu, f"{ANALYTICS}/summaries", starting_date=day.isoformat(),
                        ending_date=(day + timedelta(days=1)).isoformat()).json()["data"][0]
    assert summary["daily_active_user_count"] == len(users_page)


def test_young_cost_is_provisional_and_converges_to_its_final_value(emu):
    window = {"starting_at": "2026-03-05T00:00:00Z", "ending_at": "2026-03-06T00:00:00Z"}

    def total():
        return Decimal(analytics(emu, COST, **window).json()["data"][0]["results"][0]["list_amount"])

    young = total()
    emu.set_now(NOW + timedelta(days=10))
    older = total()
    emu.set_now(NOW + timedelta(days=40))
    final = total()
    emu.set_now(NOW + timedelta(days=60))
    assert young < older < final == total()
    assert final <= young * Decimal("1.03")


def test_admin_messages_usage_includes_claude_code_billed_as_api():
    emu = start(users=60)
    try:
        day = date(2026, 3, 4)
        api_users = {ud.user.id for ud in emu.org.active_user_days(day) if ud.user.customer_type == "api" and ud.code}
        body = admin(emu, MESSAGES, starting_at=f"{day}T00:00:00Z", ending_at=f"{day + timedelta(days=1)}T00:00:00Z",
                     **{"group_by[]": "account_id"}).json()
        accounts = {r["account_id"] for r in body["data"][0]["results"]}
        assert api_users and api_users <= accounts
        assert None in accounts  # app and automation keys have no user account
    finally:
        emu.stop()


def test_telemetry_starts_partway_through_history_for_some_claude_code_users():
    emu = start(users=60)
    try:
        starts = [u.telemetry_enabled_on for u in emu.org.users if "claude_code" in u.products]
        assert any(s is None for s in starts)
        assert all(emu.org.history_start < s < NOW.date() for s in starts if s is not None)
    finally:
        emu.stop()


@pytest.mark.subprocess
def test_the_cli_prints_its_address_and_keys_and_stops_cleanly_on_sigterm():
    command = [sys.executable, "-m", "claude_assets.emulator", "--port", "0", "--users", "5",
               "--now", "2026-03-10T12:00:00Z", "--analytics-key", "sk-ant-analytics-cli-test"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        lines = [process.stdout.readline().strip() for _ in range(4)]
        assert lines[0].startswith("claude-assets emulator listening on http://127.0.0.1:")
        settings = dict(line.removeprefix("export ").split("=", 1) for line in lines[1:])
        assert settings["ANTHROPIC_ADMIN_API_KEY"].startswith("sk-ant-admin01-")
        assert settings["ANTHROPIC_ANALYTICS_API_KEY"] == "sk-ant-analytics-cli-test"
        response = httpx.get(settings["ANTHROPIC_BASE_URL"] + USERS, params={"date": "2026-03-04"},
                             headers={"x-api-key": settings["ANTHROPIC_ANALYTICS_API_KEY"]})
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
