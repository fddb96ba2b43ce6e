"""A hostile server on loopback cannot hold a request, a run or memory without bound, nor land what it repeats.

Each case talks real HTTP to a server on 127.0.0.1 that trickles, floods, nests, pages without end, repeats a page
or changes organization between pages; each asserts the client gives up in bounded time with our message, and,
through a real sync into a real lake, that nothing lands."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import dagster as dg
import pytest

from claude_assets.defs.assets.raw import raw_assets
from claude_assets.defs.resources import AdminApiResource, AnalyticsApiResource, LakeResource
from claude_assets.engine import fetch, guards, sync
from claude_assets.engine.client import ApiClient, ApiKey, KeyKind, MalformedResponseError, Pagination, TransportError
from claude_assets.engine.lake import Lake
from claude_assets.sources import ENDPOINTS
from claude_assets_tests.helpers import failure

CANARY = "sk-ant-admin01-hostile-canary-7d1f0c"  # a key of this test's own: it must go nowhere but loopback
DEADLINE_S = 1.0
SLACK_S = 2.0  # what a give-up may take past its deadline on a busy machine
PATH = "/v1/organizations/usage_report/claude_code"
ENDPOINT = {e.name: e for e in ENDPOINTS}


class Hostile:
    """A raw-socket HTTP server: each connection's request is answered by `answer(conn, path, query, number)`,
    `number` counting requests from 1. Raw sockets, so an answer can trickle its status line and headers."""

    def __init__(self, answer: Callable[[socket.socket, str, dict, int], None]):
        self.answer = answer
        self.requests = 0
        self.stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:  # the accept timed out, or the listener was closed
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    got = conn.recv(65536)
                    if not got:
                        return
                    head += got
                with self._lock:
                    self.requests += 1
                    number = self.requests
                target = urlsplit(head.split(b" ")[1].decode())
                self.answer(conn, target.path, parse_qs(target.query), number)
            except OSError:  # the client cut the connection: what this server is for
                pass

    def trickle(self, conn: socket.socket, data: bytes, every_s: float = 0.25) -> None:
        """Send `data` a byte at a time until it is sent, the client hangs up, or the server stops."""
        for byte in data:
            if self.stopped.wait(every_s):
                return
            conn.sendall(bytes([byte]))

    def stop(self) -> None:
        self.stopped.set()
        self._listener.close()
        for thread in [self._accepting, *self._threads]:
            thread.join(timeout=5)
            assert not thread.is_alive(), "a server thread outlived its test"


@pytest.fixture
def hostile():
    servers = []

    def start(answer) -> Hostile:
        servers.append(Hostile(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def reply(conn: socket.socket, body: bytes | dict, status: str = "200 OK") -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                 "Connection: close\r\n\r\n".encode() + data)


def client(server: Hostile, sleeps: list | None = None, **settings) -> ApiClient:
    settings = {"deadline_s": DEADLINE_S, "max_retries": 0, "timeout_s": 30.0, **settings}
    return ApiClient(ApiKey(CANARY, KeyKind.ADMIN), server.url, requests_per_minute=None,
                     sleep=(sleeps if sleeps is not None else []).append, **settings)


def within(seconds: float, call: Callable[[], object]) -> tuple[BaseException | None, float]:
    """Run `call` in a thread, at most `seconds`: (what it raised, how long it took). A hang fails the test."""
    outcome: list = [None]

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test, which asserts on it
            outcome[0] = exc

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=seconds)
    assert not thread.is_alive(), f"the client was still waiting after {seconds} s"
    return outcome[0], time.monotonic() - started


def files(lake_dir) -> list[str]:
    return sorted(str(p.relative_to(lake_dir)) for p in lake_dir.rglob("*") if p.is_file())


# -- one request: deadline, size, depth -----------------------------------------------------------------------------

def test_an_answer_trickling_its_body_is_given_up_at_the_deadline_and_retried_with_the_injected_sleep(hostile):
    """Each read gets a byte within the 30 s read timeout, yet every attempt ends at the 1 s deadline; three such
    attempts end the request although max_retries allows eight."""
    server = hostile(lambda conn, *_: (
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"),
        server.trickle(conn, b'{"data": [' + b" " * 488 + b"]}")))
    sleeps: list = []
    with client(server, sleeps, max_retries=8) as api:
        raised, took = within(3 * DEADLINE_S + 3 * SLACK_S, lambda: api.get_json(PATH, {}))
    assert isinstance(raised, TransportError), raised
    assert "did not finish within 1 s, 3 times" in str(raised) and "raise deadline_s" in str(raised)
    assert server.requests == 3 and len(sleeps) == 2, "retried by the usual policy, its waits through `sleep`"
    assert 3 * DEADLINE_S <= took < 3 * DEADLINE_S + SLACK_S, "the backoff went through `sleep`, not time.sleep"
    assert CANARY not in str(raised)


def test_an_answer_trickling_its_headers_is_given_up_at_the_deadline(hostile):
    server = hostile(lambda conn, *_: server.trickle(conn, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 400 + b"\r\n\r\n"))
    with client(server) as api:
        raised, took = within(DEADLINE_S + 2 * SLACK_S, lambda: api.get_json(PATH, {}))
    assert isinstance(raised, TransportError) and "did not finish within 1 s, 1 times" in str(raised), raised
    assert DEADLINE_S <= took < DEADLINE_S + SLACK_S


def test_a_content_length_over_the_cap_is_refused_before_its_body_is_read(hostile):
    """The server sends the head and then nothing: a client reading the body would wait for the deadline."""
    server = hostile(lambda conn, *_: (
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"),
        server.stopped.wait(5)))
    with client(server, max_answer_mb=1, deadline_s=10) as api:
        raised, took = within(SLACK_S, lambda: api.get_json(PATH, {}))
    assert isinstance(raised, MalformedResponseError), raised
    assert "more than 1 MB (its Content-Length says 100,000,000 bytes, so it was not read); refused" in str(raised)
    assert "raise max_answer_mb" in str(raised) and server.requests == 1, "not retried: it would answer the same"
    assert took < SLACK_S


def test_a_chunked_answer_growing_past_the_cap_is_cut_off_and_refused(hostile):
    sent = []

    def flood(conn, *_):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (10_000, b"[" * 10_000)
        while not server.stopped.is_set():
            conn.sendall(chunk)
            sent.append(len(chunk))

    server = hostile(flood)
    with client(server, max_answer_mb=0.2, deadline_s=10) as api:
        raised, took = within(SLACK_S, lambda: api.get_json(PATH, {}))
    assert isinstance(raised, MalformedResponseError), raised
    assert "more than 0.2 MB (it passed 200,000 bytes and was cut)" in str(raised)
    assert took < SLACK_S and server.requests == 1


def test_json_nested_200_000_deep_is_our_message_not_a_recursion_error(hostile):
    deep = b'{"data": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    server = hostile(lambda conn, *_: reply(conn, deep))
    with client(server) as api:
        raised, _ = within(SLACK_S, lambda: api.get_json(PATH, {}))
    assert isinstance(raised, MalformedResponseError), repr(raised)
    assert f"GET {PATH} answered 200 with JSON nested too deep to read (400,010 bytes" in str(raised)
    assert "Check that ANTHROPIC_BASE_URL" in str(raised)


def test_a_500_whose_body_is_nested_200_000_deep_is_still_a_server_error(hostile):
    server = hostile(lambda conn, *_: reply(conn, b"[" * 200_000, "500 Internal Server Error"))
    with client(server) as api:
        raised, _ = within(SLACK_S, lambda: api.get_json(PATH, {}))
    assert "failed with a server error after 1 attempts" in str(raised), repr(raised)


# -- listings: pages without end, repeated pages, organization changes --------------------------------------------

def day() -> dt.date:
    """A day every calendar used here asks the API for, relative to the clock the sync reads."""
    return fetch.utcnow().date() - dt.timedelta(days=5)


def run_sync(server: Hostile, endpoint: str, lake_dir) -> BaseException | None:
    """A real sync of one day into a real lake, bounded in time; what it raised."""
    with client(server) as api:
        raised, _ = within(30, lambda: list(sync.sync_days(ENDPOINT[endpoint], api, Lake(str(lake_dir)), [day()],
                                                           resume=False, today=fetch.utcnow().date())))
    return raised


def test_endless_distinct_cursors_stop_at_the_endpoints_page_bound_and_nothing_lands(hostile, tmp_path):
    """api_cost pages by whole days' buckets: one day can take no more than its bound of 11 pages."""
    def endless(conn, path, query, number):
        bucket = {"starting_at": f"{day()}T00:00:00Z", "ending_at": f"{day() + dt.timedelta(days=1)}T00:00:00Z",
                  "results": [{"amount": str(number), "currency": "USD", "workspace_id": None, "description": "x"}]}
        reply(conn, {"data": [bucket], "has_more": True, "next_page": f"page_{number}"})

    server = hostile(endless)
    raised = run_sync(server, "api_cost", tmp_path)
    bound = ENDPOINT["api_cost"].max_pages(1)
    assert isinstance(raised, MalformedResponseError), repr(raised)
    assert f"still had a next page after {bound:,} pages" in str(raised) and "nothing of this listing" in str(raised)
    assert server.requests == bound == 11
    assert files(tmp_path) == []


def test_a_page_repeated_under_a_new_cursor_is_refused_and_nothing_lands(hostile, tmp_path):
    rows = [{"date": day().isoformat(), "actor": {"type": "user_actor", "email_address": f"u{i}@example.com"},
             "organization_id": "0f1e2d3c", "terminal_type": "vscode", "core_metrics": {"num_sessions": i}}
            for i in range(3)]

    def repeating(conn, path, query, number):  # the same page under page_1, page_2, ...
        reply(conn, {"data": rows, "has_more": True, "next_page": f"page_{number}"})

    server = hostile(repeating)
    raised = run_sync(server, "claude_code_report", tmp_path)
    assert isinstance(raised, MalformedResponseError), repr(raised)
    assert f"GET {PATH}: page 2 repeats rows of an earlier page" in str(raised)
    assert server.requests == 2 and files(tmp_path) == []


def test_rows_repeated_inside_one_page_are_the_apis_own_and_kept(hostile):
    """Two equal lines on one page can be two equal costs; only a row seen on an earlier page is a repeat."""
    line = {"amount": "12.5", "currency": "USD"}
    pages = {None: {"data": [line, line], "has_more": True, "next_page": "page_2"},
             "page_2": {"data": [{**line, "amount": "3"}], "has_more": False, "next_page": None}}
    server = hostile(lambda conn, path, query, number: reply(conn, pages[query.get("page", [None])[0]]))
    with client(server) as api:
        result = api.fetch_all(PATH, {}, Pagination.HAS_MORE, lambda page: page["data"])
    assert result.records == [line, line, {**line, "amount": "3"}]


def test_an_organization_changing_between_pages_is_refused_and_nothing_lands(hostile, tmp_path):
    def two_organizations(conn, path, query, number):
        row = {"starting_at": f"{day()}T00:00:00Z", "ending_at": f"{day() + dt.timedelta(days=1)}T00:00:00Z",
               "actor": {"type": "user_actor", "user_id": f"user_{number}"}, "requests": number}
        reply(conn, {"data": [row], "has_more": number == 1, "next_page": "page_2" if number == 1 else None,
                     "organization_id": f"org_{'AAA' if number == 1 else 'BBB'}",
                     "data_refreshed_at": f"{day() + dt.timedelta(days=2)}T00:00:00Z"})

    server = hostile(two_organizations)
    raised = run_sync(server, "enterprise_user_usage", tmp_path)
    assert isinstance(raised, guards.OrganizationChangedError), repr(raised)
    assert "for organization org_AAA on page 1 and for org_BBB on page 2, so nothing was written" in str(raised)
    assert server.requests == 2 and files(tmp_path) == []


def test_a_runs_deadline_setting_bounds_a_trickling_answer_in_a_real_dagster_run(hostile, tmp_path):
    """The resource's deadline_s reaches every request: the run fails with our message, not after minutes."""
    server = hostile(lambda conn, *_: server.trickle(conn, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 400 + b"\r\n\r\n"))
    resources = {"admin_api": AdminApiResource(api_key=CANARY, base_url=server.url, requests_per_minute=0,
                                               max_retries=0, deadline_s=DEADLINE_S),
                 "analytics_api": AnalyticsApiResource(api_key=None, base_url=server.url),
                 "lake": LakeResource(base_dir=str(tmp_path))}
    runs: list = []
    raised, _ = within(60, lambda: runs.append(dg.materialize(
        raw_assets, selection="claude_code_usage", partition_key=day().isoformat(), resources=resources,
        raise_on_error=False)))
    assert raised is None and not runs[0].success, raised
    assert "did not finish within 1 s, 1 times" in failure(runs[0])
    assert server.requests == 1 and files(tmp_path) == []
