"""The API client against the emulator, over real HTTP on loopback."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.client import (
    ApiClient,
    ApiKey,
    DayNotAvailableError,
    InsecureBaseUrlError,
    KeyKind,
    KeyRejectedError,
    MissingKeyError,
    Pagination,
    RateLimiter,
    ServerError,
    WrongKeyKindError,
)
from claude_assets_tests.helpers import Sleeps

CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
USERS = "/v1/organizations/analytics/users"
SUMMARIES = "/v1/organizations/analytics/summaries"
MESSAGES = "/v1/organizations/usage_report/messages"
USER_COST = "/v1/organizations/analytics/user_cost_report"
NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.timezone.utc)


def records(page: dict) -> list[dict]:
    return page["data"]


def buckets(page: dict) -> list[dict]:
    return page["data"]


@pytest.fixture
def frozen():
    with Emulator(EmulatorConfig(seed=7, users=30, now=NOW, rate_limit_per_minute=0)) as emu:
        yield emu


def admin(emu, **kw) -> ApiClient:
    kw.setdefault("requests_per_minute", None)
    return ApiClient(ApiKey(emu.admin_key, KeyKind.ADMIN), emu.url, **kw)


def analytics(emu, **kw) -> ApiClient:
    kw.setdefault("requests_per_minute", None)
    return ApiClient(ApiKey(emu.analytics_key, KeyKind.ANALYTICS), emu.url, **kw)


def key_of(row: dict) -> tuple:
    actor = row["actor"]
    return (row["date"], actor.get("email_address") or actor.get("api_key_name"), row["terminal_type"])


# -- every pagination style behind one call --------------------------------------------------


def test_has_more_pages_add_up_to_the_single_page_listing(frozen):
    with admin(frozen) as client:
        whole = client.fetch_all(CLAUDE_CODE, {"starting_at": "2026-03-16", "limit": 1000}, Pagination.HAS_MORE, records)
        paged = client.fetch_all(CLAUDE_CODE, {"starting_at": "2026-03-16", "limit": 3}, Pagination.HAS_MORE, records)
    assert len(whole.records) > 6, "the synthetic day should need several pages of 3"
    assert paged.stats.pages == -(-len(whole.records) // 3)
    assert sorted(map(key_of, paged.records)) == sorted(map(key_of, whole.records))
    assert len(set(map(key_of, paged.records))) == len(paged.records), "no row twice"


def test_next_page_only_pagination_of_engagement_endpoints(frozen):
    with analytics(frozen) as client:
        result = client.fetch_all(USERS, {"date": "2026-03-10", "limit": 7}, Pagination.NEXT_PAGE, records)
    emails = [r["user"]["email_address"] for r in result.records]
    assert result.stats.pages > 1
    assert "has_more" not in result.last_page
    assert emails == sorted(emails) and len(set(emails)) == len(emails)


def test_time_buckets_are_followed_across_pages(frozen):
    with admin(frozen) as client:
        result = client.fetch_all(
            MESSAGES,
            {"starting_at": "2026-03-01T00:00:00Z", "ending_at": "2026-03-08T00:00:00Z", "bucket_width": "1d", "limit": 2},
            Pagination.HAS_MORE,
            buckets,
        )
    starts = [b["starting_at"][:10] for b in result.records]
    assert starts == [f"2026-03-0{d}" for d in range(1, 8)]
    assert result.stats.pages == 4


def test_unpaginated_summaries_take_one_request(frozen):
    with analytics(frozen) as client:
        result = client.fetch_all(
            SUMMARIES, {"starting_date": "2026-03-01", "ending_date": "2026-03-08"}, Pagination.NONE,
            lambda page: page["summaries"],
        )
    assert result.stats.requests == 1
    assert len(result.records) == 7


# -- retries -----------------------------------------------------------------------------------


def test_an_expired_cursor_restarts_the_listing_without_duplicates(frozen):
    frozen.faults.expire_cursors_next(1)
    with admin(frozen) as client:
        result = client.fetch_all(CLAUDE_CODE, {"starting_at": "2026-03-16", "limit": 3}, Pagination.HAS_MORE, records)
        whole = client.fetch_all(CLAUDE_CODE, {"starting_at": "2026-03-16", "limit": 1000}, Pagination.HAS_MORE, records)
    assert result.stats.cursor_restarts == 1
    assert sorted(map(key_of, result.records)) == sorted(map(key_of, whole.records))


def test_429_waits_as_long_as_retry_after_says(frozen):
    frozen.faults.rate_limit_next(2, retry_after=3)
    sleeps = Sleeps()
    with admin(frozen, sleep=sleeps) as client:
        result = client.fetch_all(CLAUDE_CODE, {"starting_at": "2026-03-16", "limit": 1000}, Pagination.HAS_MORE, records)
    assert result.records
    assert result.stats.rate_limited == 2 and result.stats.retries == 2
    assert len(sleeps.delays) == 2 and all(3 <= d <= 3.5 for d in sleeps.delays)


@pytest.mark.parametrize("status", [500, 503, 504, 529])
def test_server_errors_are_retried_with_backoff(frozen, status):
    frozen.faults.fail_next(3, status=status)
    sleeps = Sleeps()
    with admin(frozen, sleep=sleeps) as client:
        result = client.fetch_all(CLAUDE_CODE, {"starting_at": "2026-03-16", "limit": 1000}, Pagination.HAS_MORE, records)
    assert result.records and result.stats.retries == 3
    assert len(sleeps.delays) == 3


def test_cut_off_bodies_and_dropped_connections_are_retried(frozen):
    frozen.faults.cut_off_next(1)
    frozen.faults.drop_next(1)
    with admin(frozen, sleep=Sleeps()) as client:
        result = client.fetch_all(CLAUDE_CODE, {"starting_at": "2026-03-16", "limit": 1000}, Pagination.HAS_MORE, records)
    assert result.records and result.stats.retries == 2


def test_a_timeout_is_retried(frozen):
    frozen.faults.slow_next(1, seconds=2)
    with admin(frozen, sleep=Sleeps(), timeout_s=0.5) as client:
        result = client.fetch_all(CLAUDE_CODE, {"starting_at": "2026-03-16", "limit": 1000}, Pagination.HAS_MORE, records)
    assert result.records and result.stats.retries == 1


def test_a_server_that_keeps_failing_gives_up_with_advice(frozen):
    frozen.faults.fail_next(10, status=500)
    with admin(frozen, sleep=Sleeps(), max_retries=2) as client, pytest.raises(ServerError) as raised:
        client.get_json(CLAUDE_CODE, {"starting_at": "2026-03-16"})
    assert "after 3 attempts" in str(raised.value) and "run again later" in str(raised.value)


# -- the rate limiter ------------------------------------------------------------------------


def test_the_limiter_spaces_requests_so_no_window_exceeds_the_limit():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    sent = []
    for _ in range(200):
        limiter.acquire()
        sent.append(now[0])
    assert sent[-1] == pytest.approx(199.0), "200 requests at 60/minute take the floor, 199 s"
    assert max(sum(1 for t in sent if start <= t < start + 60) for start in sent) <= 60


def test_clients_of_one_organization_share_one_budget_over_http():
    with Emulator(EmulatorConfig(seed=7, users=5, rate_limit_per_minute=240, now=NOW)) as emu:
        first = ApiClient(ApiKey(emu.analytics_key, KeyKind.ANALYTICS), emu.url, requests_per_minute=240)
        second = ApiClient(ApiKey(emu.analytics_key, KeyKind.ANALYTICS), emu.url, requests_per_minute=240)
        assert first.limiter is second.limiter
        stamps = []

        def call(client):
            client.get_json(USERS, {"date": "2026-03-10", "limit": 5})
            stamps.append(threading.get_ident())

        threads = [threading.Thread(target=call, args=(c,)) for c in (first, second) * 4]
        started = dt.datetime.now()
        [t.start() for t in threads]
        [t.join() for t in threads]
        elapsed = (dt.datetime.now() - started).total_seconds()
        assert len(stamps) == 8
        assert elapsed >= 7 * 0.25 * 0.95, "8 requests at 240/minute are spaced 0.25 s apart"
        assert emu.stats.snapshot()["rate_limited"] == 0


# -- errors that tell the user what to do ----------------------------------------------------


def test_a_rejected_analytics_key_lists_the_three_checks(frozen):
    bad = ApiClient(ApiKey("sk-ant-analytics-revoked", KeyKind.ANALYTICS), frozen.url, requests_per_minute=None)
    for path, params in ((USERS, {"date": "2026-03-10"}), (USER_COST, {"starting_at": "2026-03-10T00:00:00Z"})):
        with pytest.raises(KeyRejectedError) as raised:
            bad.get_json(path, params)
        message = str(raised.value)
        assert raised.value.status in (401, 404)
        assert "Access toggle" in message and "copied whole" in message and "Primary Owner" in message


def test_access_toggle_off_is_a_rejected_key(frozen):
    frozen.faults.set_analytics_access(False)
    with analytics(frozen) as client:
        for path, params in ((USERS, {"date": "2026-03-10"}), (USER_COST, {"starting_at": "2026-03-10T00:00:00Z"})):
            with pytest.raises(KeyRejectedError, match="Access toggle"):
                client.get_json(path, params)


def test_a_rejected_admin_key_says_where_admin_keys_come_from(frozen):
    bad = ApiClient(ApiKey("sk-ant-admin01-revoked", KeyKind.ADMIN), frozen.url, requests_per_minute=None)
    with pytest.raises(KeyRejectedError, match="Settings -> Admin keys") as raised:
        bad.get_json(CLAUDE_CODE, {"starting_at": "2026-03-16"})
    assert raised.value.status == 401


def test_a_day_not_yet_available_names_the_newest_day(frozen):
    with analytics(frozen) as client, pytest.raises(DayNotAvailableError) as raised:
        client.get_json(USERS, {"date": "2026-03-19"})
    assert raised.value.latest_available == dt.date(2026, 3, 17)
    assert "2026-03-17" in raised.value.reason


def test_the_wrong_key_kind_is_caught_before_any_request(frozen):
    with pytest.raises(WrongKeyKindError, match="ANTHROPIC_ADMIN_API_KEY"):
        ApiKey(frozen.admin_key, KeyKind.ANALYTICS)
    with pytest.raises(WrongKeyKindError, match="not an Admin key"):
        ApiKey(frozen.analytics_key, KeyKind.ADMIN)
    assert frozen.stats.snapshot()["total"] == 0


def test_keys_are_stripped_and_a_missing_key_says_which_variable(frozen):
    with ApiClient(ApiKey(f"  {frozen.admin_key}\n", KeyKind.ADMIN), frozen.url, requests_per_minute=None) as client:
        assert client.get_json(CLAUDE_CODE, {"starting_at": "2026-03-16"})["data"] is not None
    with pytest.raises(MissingKeyError, match="ANTHROPIC_ANALYTICS_API_KEY"):
        ApiKey("  ", KeyKind.ANALYTICS)


@pytest.mark.parametrize("url", ["http://api.example.com", "http://10.0.0.5:8080", "ftp://127.0.0.1"])
def test_keys_are_never_sent_in_clear_text_off_this_machine(frozen, url):
    with pytest.raises(InsecureBaseUrlError, match="https"):
        ApiClient(ApiKey(frozen.admin_key, KeyKind.ADMIN), url)


def test_the_key_never_appears_in_logs_exceptions_or_reprs(frozen, caplog, capsys):
    secret = "sk-ant-admin01-this-one-must-never-leak"
    caplog.set_level(logging.DEBUG)
    frozen.faults.fail_next(1, status=503)
    client = ApiClient(ApiKey(secret, KeyKind.ADMIN), frozen.url, requests_per_minute=None, sleep=Sleeps())
    with pytest.raises(KeyRejectedError) as raised:
        client.get_json(CLAUDE_CODE, {"starting_at": "2026-03-16"})
    seen = "\n".join([caplog.text, str(raised.value), repr(raised.value), repr(client), repr(client.key),
                      str(client.key), *capsys.readouterr()])
    assert "httpx" in caplog.text or "retrying" in caplog.text, "the logs were captured"
    assert secret not in seen and secret[15:] not in seen
