"""`Emulator`: the HTTP server on loopback, its request pipeline and the control endpoints.

Pipeline of an API request: fault switches (before auth: a 5xx, 429, drop, cut-off or non-JSON
200 can hit any request) -> key check per endpoint family -> per-organization rate limit -> required
headers -> handler. Keys: the Admin key, the Analytics key (`read:analytics`) and a valid key
with no scopes; a known key lacking `read:analytics` gets 403 on Enterprise paths (field
report F2), except that the Usage and Cost Analytics paths also take the Admin key. A call there
spends the rate budget of its key's kind (Admin or Enterprise Analytics). Control endpoints under
`/_emulator/` need no key, never see faults and are not counted in stats:
  GET  /_emulator/stats            counters (see `Stats.snapshot`)
  POST /_emulator/faults           arm switches, e.g. {"fail_next": {"count": 2, "status": 503}} or
                                   {"non_json_next": {"count": 1, "body": "", "content_type": "text/plain"}}
                                   or {"echo_key_next": {"count": 1, "status": 403}}
  POST /_emulator/reset            disarm faults, zero stats, refill rate budgets
  POST /_emulator/clock            {"now": "2026-03-10T12:00:00Z"} freezes the data clock there
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from . import ids
from .clock import Clock
from .config import EmulatorConfig
from .cursors import RESTART, Cursors
from .errors import DEFAULT_MESSAGES, ApiError, error_body, new_request_id
from .faults import Faults
from .org import SyntheticOrg
from .ratelimit import TokenBucket
from .request import ApiRequest, ResultCache
from .routes import ADMIN, ENGAGEMENT, ROUTES, USAGE_COST
from .stats import Stats
from .timeutil import rfc3339

CONTROL_PREFIX = "/_emulator/"
KEY_SCOPES = {"admin": ["api:admin"], "scopeless": []}  # known keys without read:analytics
STALE_RESET = timedelta(seconds=3)  # how far in the past an Admin 429's requests-reset lies


class Emulator:
    """A running emulated organization. Use as a context manager or call start()/stop()."""

    def __init__(self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0):
        self.config = config or EmulatorConfig()
        self.host, self._port = host, port
        self.clock = Clock(self.config.now)
        history_start = self.config.resolved_history_start(self.clock.now().date())
        self.org = SyntheticOrg(self.config.seed, self.config.users, history_start)
        self.admin_key = self.config.resolved_admin_key
        self.analytics_key = self.config.resolved_analytics_key
        self.scopeless_key = self.config.resolved_scopeless_key
        self.faults = Faults(self.config.seed, self.config.analytics_access)
        self.stats = Stats()
        self.cursors = Cursors(ids.digest(self.config.seed, "cursor-secret", id(self)), self.config.cursor_ttl_seconds)
        self.results = ResultCache()
        self.buckets = {
            "analytics": TokenBucket(self.config.rate_limit_per_minute),
            ADMIN: TokenBucket(self.config.resolved_admin_rate_limit),
        }
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._server is None:
            self._server = _Server((self.host, self._port), _Handler, self)
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="claude-assets-emulator", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def set_now(self, moment: datetime) -> None:
        """Freeze the data clock at `moment` (timezone-aware)."""
        self.clock.set(moment)

    def reset(self) -> None:
        self.faults.reset()
        self.stats.reset()
        for bucket in self.buckets.values():
            bucket.reset()

    # -- request pipeline ---------------------------------------------------------------------
    def key_kind(self, key: str | None) -> str:
        if not key:
            return "none"
        known = {self.admin_key: "admin", self.analytics_key: "analytics", self.scopeless_key: "scopeless"}
        return known.get(key, "unknown")

    def authorize(self, family: str, kind: str, headers) -> None:
        """Raise the documented rejection for this endpoint family, or spend a rate token."""
        if family == ADMIN:
            if kind != "admin":
                raise ApiError(401, _bad_key_message(kind, "an Admin API key (sk-ant-admin01-...)"))
        else:
            self._check_analytics_key(family, kind)
        budget = self.budget(family, kind)
        wait = self.buckets[budget].take()
        if wait is not None:
            raise ApiError(429, DEFAULT_MESSAGES[429], self.rate_limit_headers(budget, wait))
        if family == ADMIN and not headers.get("anthropic-version"):
            raise ApiError(400, "The anthropic-version header is required (e.g. anthropic-version: 2023-06-01).")

    @staticmethod
    def budget(family: str, kind: str) -> str:
        """The rate budget a call spends: the Admin API's on Admin paths and for the Admin key on
        the Usage and Cost Analytics paths, the Enterprise Analytics one otherwise."""
        return ADMIN if family == ADMIN or (family == USAGE_COST and kind == "admin") else "analytics"

    def _check_analytics_key(self, family: str, kind: str) -> None:
        """A known key without the scope is told which scope it lacks, before the access toggle
        is consulted; unknown keys keep the family's documented rejection. The Usage and Cost
        Analytics API also takes the Admin key (reference §7.1)."""
        either = family == USAGE_COST
        if either and kind == "admin":
            return
        if kind in KEY_SCOPES:
            needed = "['read:analytics']" + (" or an Admin API key" if either else "")
            raise ApiError(403, f"Missing required scopes. Got: {KEY_SCOPES[kind]} Needed: {needed}")
        if kind != "analytics":
            if family == ENGAGEMENT:
                raise ApiError(404, "Not found. The API key is missing, invalid, or lacks the read:analytics scope.")
            wanted = "a Claude Enterprise Analytics API key (read:analytics)"
            raise ApiError(401, _bad_key_message(kind, "an Admin API key or " + wanted if either else wanted))
        if not self.faults.analytics_access:
            raise ApiError(404, "Not found. Analytics API access is turned off for this organization; "
                                "the Primary Owner can enable it in the organization's API settings.")

    def rate_limit_headers(self, budget: str, seconds: int) -> dict[str, str]:
        """`retry-after` in the configured style (seconds, or the HTTP date the budget refills);
        429s of the Admin budget also carry a requests-reset that has already passed, as live
        ones often do."""
        wall = datetime.now(timezone.utc)
        headers = {}
        if self.config.retry_after == "seconds":
            headers["retry-after"] = str(seconds)
        elif self.config.retry_after == "http-date":
            headers["retry-after"] = format_datetime(_whole_second_after(wall + timedelta(seconds=seconds)), usegmt=True)
        if budget == ADMIN:
            headers["anthropic-ratelimit-requests-reset"] = rfc3339(wall.replace(microsecond=0) - STALE_RESET)
        return headers

    def handle_api(self, path: str, pairs: list, headers) -> dict:
        """Authorize and run one API call; returns the 200 body or raises ApiError."""
        family, handler = ROUTES[path]
        self.authorize(family, self.key_kind(headers.get("x-api-key")), headers)
        return handler(ApiRequest(path, pairs, headers, self.clock.now(), self.org, self.config, self.cursors, self.results))


def _whole_second_after(moment: datetime) -> datetime:
    """An HTTP date has whole seconds: round up, so it never names an instant before the refill."""
    whole = moment.replace(microsecond=0)
    return whole + timedelta(seconds=1) if moment.microsecond else whole


def _bad_key_message(kind: str, wanted: str) -> str:
    if kind == "none":
        return f"Missing x-api-key header. This endpoint needs {wanted}."
    if kind in ("admin", "analytics"):
        return f"Invalid x-api-key: this endpoint needs {wanted}; the {kind} key is not accepted here."
    return f"Invalid x-api-key. This endpoint needs {wanted}."


def _echoed(status: int, key: str | None) -> str:
    """What a proxy that repeats the request it refused says; a 400 also reads as an unavailable day."""
    said = f"Request refused by the gateway (x-api-key: {key or 'none'})."
    return f"{said} The requested date is not available yet." if status == 400 else said


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler, emulator: Emulator):
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(address, handler)

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._lock:
            (self._connections.add if alive else self._connections.discard)(conn)

    def close_connections(self) -> None:
        """Hang up idle keep-alive connections so a stopped emulator answers nothing."""
        with self._lock:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "claude-assets-emulator"
    timeout = 120
    server: _Server

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without this, Nagle's algorithm meets
        # the client's delayed ACK and every keep-alive response stalls ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format, *args) -> None:  # noqa: A002 - quiet: tests read stats, not logs
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        started = time.perf_counter()
        emu = self.server.emulator
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        if parts.path.startswith(CONTROL_PREFIX):
            self._control(method, parts.path[len(CONTROL_PREFIX):].strip("/"))
            return
        request_id = new_request_id()
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        kind = emu.key_kind(self.headers.get("x-api-key"))
        emu.stats.begin()
        try:
            status = self._api(method, path, pairs, request_id, kind)
        except BaseException:
            emu.stats.end()
            raise
        emu.stats.record(path, kind, status, time.perf_counter() - started)

    def _api(self, method: str, path: str, pairs: list, request_id: str, kind: str) -> int:
        emu = self.server.emulator
        if path not in ROUTES:
            return self._send_error(ApiError(404, f"Not found: no endpoint at {path}."), request_id)
        fault = emu.faults.next_fault(any(k == "page" for k, _ in pairs))
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.kind == "drop":
            self.close_connection = True
            return 0
        if fault and fault.kind == "expire_cursor":
            return self._send_error(ApiError(410, f"The `page` cursor has expired. {RESTART}"), request_id)
        if fault and fault.kind == "rate_limit":
            headers = emu.rate_limit_headers(emu.budget(ROUTES[path][0], kind), fault.retry_after)
            return self._send_error(ApiError(429, DEFAULT_MESSAGES[429], headers), request_id)
        if fault and fault.kind == "fail":
            return self._send_error(ApiError(fault.status, DEFAULT_MESSAGES[fault.status]), request_id)
        if fault and fault.kind == "echo_key":
            return self._send_error(ApiError(fault.status, _echoed(fault.status, self.headers.get("x-api-key"))), request_id)
        if fault and fault.kind == "non_json":
            return self._send_payload(fault.status, fault.body.encode(), fault.content_type, None)
        try:
            if method != "GET":
                raise ApiError(405, f"Method {method} is not allowed on {path}; use GET.")
            status, body, headers = 200, emu.faults.drifted(emu.handle_api(path, pairs, self.headers)), {}
        except ApiError as error:
            status, body, headers = error.status, error_body(error.status, error.message, request_id), error.headers
        except Exception as exc:  # a bug in the emulator must still look like an API failure
            status, headers = 500, {}
            body = error_body(500, f"The emulator failed to serve this request ({type(exc).__name__}: {exc}).", request_id)
        return self._send(status, body, request_id, headers, cut_off=bool(fault and fault.kind == "cut_off"))

    def _send_error(self, error: ApiError, request_id: str) -> int:
        return self._send(error.status, error_body(error.status, error.message, request_id), request_id, error.headers)

    def _send(self, status: int, body: dict, request_id: str | None, headers: dict | None = None,
              cut_off: bool = False) -> int:
        payload = json.dumps(body, separators=(",", ":")).encode()
        return self._send_payload(status, payload, "application/json", request_id, headers, cut_off)

    def _send_payload(self, status: int, payload: bytes, content_type: str, request_id: str | None,
                      headers: dict | None = None, cut_off: bool = False) -> int:
        self.send_response(status)
        if content_type:
            self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        if request_id:
            self.send_header("request-id", request_id)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if cut_off:
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_WR)
        else:
            self.wfile.write(payload)
        return status

    # -- control endpoints --------------------------------------------------------------------
    def _control(self, method: str, name: str) -> None:
        emu = self.server.emulator
        try:
            if (method, name) == ("GET", "stats"):
                self._send(200, emu.stats.snapshot(), None)
            elif (method, name) == ("POST", "faults"):
                emu.faults.apply(self._json_body())
                self._send(200, {"ok": True}, None)
            elif (method, name) == ("POST", "reset"):
                emu.reset()
                self._send(200, {"ok": True}, None)
            elif (method, name) == ("POST", "clock"):
                emu.set_now(datetime.fromisoformat(self._json_body()["now"].replace("Z", "+00:00")))
                self._send(200, {"ok": True, "now": emu.clock.now().isoformat()}, None)
            else:
                self._send(404, error_body(404, f"Unknown control endpoint {method} /_emulator/{name}.", new_request_id()), None)
        except (ValueError, TypeError, KeyError) as exc:
            self._send(400, error_body(400, f"Bad control request: {exc}", new_request_id()), None)

    def _json_body(self) -> dict:
        length = int(self.headers.get("content-length") or 0)
        data = json.loads(self.rfile.read(length) or b"{}")
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data
