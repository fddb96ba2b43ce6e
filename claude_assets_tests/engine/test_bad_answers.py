"""A 200 that is not JSON (a proxy's page, a captive portal, a wrong ANTHROPIC_BASE_URL) fails at once and
says so, instead of being retried for a minute as a connection problem."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from claude_assets.engine.client import ApiClient, ApiKey, KeyKind, MalformedResponseError, RequestStats
from claude_assets.engine.lake import Lake
from claude_assets_tests.helpers import TODAY, materialize

USERS = "/v1/organizations/analytics/users"
DAY = TODAY - dt.timedelta(days=5)  # inside the engagement calendar, whose newest day is today - 3


def client(emu, sleeps: list) -> ApiClient:
    return ApiClient(ApiKey(emu.analytics_key, KeyKind.ANALYTICS), emu.url, requests_per_minute=None,
                     sleep=sleeps.append)


def arm(emu, **switch) -> None:
    """Arm the switch over HTTP, as a test of another process would."""
    httpx.post(f"{emu.url}/_emulator/faults", json={"non_json_next": {"count": 1, **switch}}).raise_for_status()


@pytest.mark.parametrize("switch, content_type, begins", [
    ({}, "text/html", "'<!DOCTYPE html> <html><head><title>Sign in to the network"),
    ({"body": "Service temporarily unavailable", "content_type": "text/plain"}, "text/plain",
     "'Service temporarily unavailable'"),
    ({"body": "", "content_type": ""}, "no content-type", "is empty"),
], ids=["portal-page", "plain-text", "empty"])
def test_a_200_that_is_not_json_fails_after_one_request(emulator, switch, content_type, begins):
    arm(emulator, **switch)
    sleeps, stats = [], RequestStats()
    with client(emulator, sleeps) as api, pytest.raises(MalformedResponseError) as raised:
        api.get_json(USERS, {"date": DAY.isoformat()}, stats)
    message = str(raised.value)
    assert stats.requests == 1 and sleeps == [], "sent once, never retried"
    assert f"HTTP 200 with a body that is not JSON ({content_type}," in message
    assert begins in message
    assert "no request-id" in message and "proxy" in message and "captive portal" in message
    assert f"ANTHROPIC_BASE_URL ({emulator.url})" in message and "HTTPS_PROXY" in message
    assert emulator.analytics_key not in message


def test_only_the_first_bytes_are_quoted_and_only_printable(emulator):
    emulator.faults.non_json_next(1, body="\x00\x1b[31m<html>\r\n" + "x" * 5000)
    with client(emulator, []) as api, pytest.raises(MalformedResponseError) as raised:
        api.get_json(USERS, {"date": DAY.isoformat()})
    quoted = str(raised.value).split("it begins ")[1].split(". ")[0]
    assert quoted == repr("??[31m<html> " + "x" * 107) and "5014 bytes" in str(raised.value)


def test_a_page_that_echoes_the_request_does_not_show_the_key(emulator):
    emulator.faults.non_json_next(1, body=f"<pre>GET /v1/organizations/analytics/users\nx-api-key: {emulator.analytics_key}")
    with client(emulator, []) as api, pytest.raises(MalformedResponseError) as raised:
        api.get_json(USERS, {"date": DAY.isoformat()})
    assert "x-api-key: [the key]" in str(raised.value) and emulator.analytics_key not in str(raised.value)


def test_a_day_whose_answer_is_not_json_fails_its_run_and_writes_nothing(emulator, tmp_path):
    arm(emulator)
    result = materialize(emulator, str(tmp_path), ["enterprise_user_activity"], day=DAY)
    assert not result.success
    error = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.to_string()
    assert "MalformedResponseError" in error and "not JSON (text/html," in error and "<!DOCTYPE html>" in error
    assert emulator.stats.snapshot()["total"] == 1, "the run stopped at the first answer"
    assert Lake(str(tmp_path)).days("enterprise_user_activity") == []
    assert not result.get_asset_materialization_events()
