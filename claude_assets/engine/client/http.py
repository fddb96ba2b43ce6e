"""The one HTTP client for every Anthropic analytics endpoint.

It owns what every request needs: headers, the shared rate limiter, retries with backoff and
jitter, mapping error responses to actionable exceptions, and following cursors. Endpoint
knowledge (paths, parameters, row shapes) lives in `claude_assets.engine.endpoint`, not here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import enum
import hashlib
import json
import logging
import os
import random
import re
import socket
import sys
import threading
import time
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlsplit

import httpx

from claude_assets import __version__
from claude_assets.engine.client.errors import (
    ADMIN_KEY_CHECKS,
    ANALYTICS_KEY_CHECKS,
    ApiError,
    CursorExpiredError,
    DayNotAvailableError,
    InsecureBaseUrlError,
    InvalidRequestError,
    KeyRejectedError,
    MalformedResponseError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnreachableHostError,
)
from claude_assets.engine.client.hosts import check_host, is_loopback
from claude_assets.engine.client.keys import ApiKey, KeyKind
from claude_assets.engine.client.ratelimit import RateLimiter, shared_limiter
from claude_assets.engine.client.redact import redact

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
USER_AGENT = f"claude-assets/{__version__} (https://github.com/claude-assets/claude_assets)"
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504, 529})
MAX_CURSOR_RESTARTS = 3
MAX_PAGES = 1_000  # of a listing whose caller names no bound; a sync asks its endpoint's (`Endpoint.max_pages`)
DEADLINE_S = 120.0  # one request whole: connect, headers and body
MAX_ANSWER_MB = 50.0  # one answer, decoded; a page of 1,000 rows is a few MB
# A host that held one answer open past its deadline tends to hold the next: three such attempts end the request,
# whatever max_retries allows, so a trickling host keeps a run (and its API's one pool slot) minutes, not half an hour.
DEADLINE_ATTEMPTS = 3
SHOWN_CHARS = 120  # of a body that is not JSON, quoted in the error
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LATEST = re.compile(r"(?:latest|newest|most recent)[^0-9]{0,40}?(\d{4}-\d{2}-\d{2})", re.IGNORECASE)


class Pagination(str, enum.Enum):
    """How an endpoint pages; every style goes through `ApiClient.fetch_all`."""

    HAS_MORE = "has_more"  # `has_more` + `next_page` (Admin API, Enterprise cost/usage)
    NEXT_PAGE = "next_page"  # `next_page` only, null on the last page (Enterprise engagement)
    NONE = "none"  # one response holds everything (Enterprise summaries)


@dataclasses.dataclass
class RequestStats:
    """What fetching cost; summed into run metadata."""

    requests: int = 0
    pages: int = 0
    retries: int = 0
    rate_limited: int = 0
    cursor_restarts: int = 0

    def add(self, other: "RequestStats") -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


@dataclasses.dataclass
class FetchResult:
    records: list[dict]
    stats: RequestStats
    pages: list[dict]  # every page of the listing, as received

    @property
    def last_page(self) -> dict:
        return self.pages[-1] if self.pages else {}


def check_base_url(base_url: str) -> str:
    """Refuse to send a key in clear text anywhere but this machine."""
    parts = urlsplit(base_url)
    if parts.scheme == "https" and parts.hostname:
        return base_url.rstrip("/")
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return base_url.rstrip("/")
    raise InsecureBaseUrlError(
        f"Refusing base URL {parts.scheme}://{parts.hostname or ''}: keys are only sent over https, or over "
        "plain http to this machine (127.0.0.1, ::1, localhost, as the emulator uses). Set "
        "ANTHROPIC_BASE_URL to an https:// address."
    )


class ApiClient:
    """Talks to one API host with one key; thread-safe, so a backfill can fetch days concurrently."""

    def __init__(
        self,
        key: ApiKey,
        base_url: str = DEFAULT_BASE_URL,
        *,
        requests_per_minute: float | None = 60,
        organization: str | None = None,
        max_retries: int = 8,
        timeout_s: float = 60.0,
        deadline_s: float = DEADLINE_S,
        max_answer_mb: float = MAX_ANSWER_MB,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 60.0,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.key = key
        self.base_url = check_host(check_base_url(base_url))
        self.limiter = limiter or shared_limiter(
            self.base_url, key.kind.value, organization or key.fingerprint, requests_per_minute
        )
        self.max_retries = max_retries
        self.deadline_s = deadline_s
        self.max_answer_mb = max_answer_mb
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._sleep = sleep
        self._random = random.Random()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            headers={
                "x-api-key": key.reveal(),
                "anthropic-version": ANTHROPIC_VERSION,
                "user-agent": USER_AGENT,
                "accept": "application/json",
            },
            # No connection is reused: each request opens its own, which `_Deadline` can cut.
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=0),
        )

    def __repr__(self) -> str:
        return f"ApiClient(base_url={redact(self.base_url)!r}, key={self.key!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- one request -------------------------------------------------------------------------

    def get_json(self, path: str, params: Mapping[str, Any], stats: RequestStats | None = None,
                 headers: Mapping[str, str] | None = None) -> dict:
        """GET with rate limiting and retries; returns the decoded JSON object or raises.

        `headers` are added to this request only (an `anthropic-beta` flag that one endpoint needs)."""
        return self.get_with_headers(path, params, stats, headers)[0]

    def get_with_headers(self, path: str, params: Mapping[str, Any], stats: RequestStats | None = None,
                         headers: Mapping[str, str] | None = None) -> tuple[dict, httpx.Headers]:
        """`get_json`, with the answer's headers too: the connection check reads the rate budget from them."""
        stats = stats if stats is not None else RequestStats()
        attempt = misses = 0
        pause = 0.0
        while True:
            self.limiter.acquire(self._sleep, pause=pause)
            pause = 0.0
            stats.requests += 1
            try:
                response = self._send(path, params, headers)
                body = self._decode(response, path) if response.status_code == 200 else None
            except (httpx.TransportError, _DeadlinePassed) as exc:
                unreachable = _unreachable(exc)
                if unreachable:  # an answer, not a hiccup: waiting would only delay the same error
                    raise UnreachableHostError(self._unreachable_message(path, *unreachable)) from None
                misses += isinstance(exc, _DeadlinePassed)
                if misses and (attempt >= self.max_retries or misses >= DEADLINE_ATTEMPTS):
                    raise TransportError(
                        f"GET {path} did not finish within {self.deadline_s:g} s, {misses} times: the API host "
                        "answered too slowly or held the answer open. Check the network and ANTHROPIC_BASE_URL; on a "
                        "slow link raise deadline_s on the resource. Then run again: days already written are kept."
                    ) from None
                if attempt >= self.max_retries:
                    raise TransportError(
                        f"GET {path} failed {attempt + 1} times ({type(exc).__name__}: {exc}). The API host "
                        f"{self.base_url} is unreachable or cutting responses off; check the network and "
                        "ANTHROPIC_BASE_URL, then run again: days already written are kept."
                    ) from None
                self._sleep(self._delay(attempt, None, stats))
                attempt += 1
                continue
            if body is not None:
                return body, response.headers
            if response.status_code in RETRYABLE_STATUSES and attempt < self.max_retries:
                retry_after = _retry_after(response)
                if response.status_code == 429:  # the limiter holds back every request it paces; this one waits in its slot
                    stats.rate_limited += 1
                    pause = self._delay(attempt, retry_after, stats)
                else:
                    self._sleep(self._delay(attempt, retry_after, stats))
                attempt += 1
                continue
            raise self._error(response, path, params, attempts=attempt + 1)

    def _send(self, path: str, params: Mapping[str, Any], headers: Mapping[str, str] | None) -> httpx.Response:
        """One GET, read whole within `deadline_s` and `max_answer_mb`, or refused.

        httpx's timeouts bound each read, so an answer trickling a byte at a time never trips them: `_Deadline`
        cuts the connection when the request's time is up, whatever stage it is in."""
        deadline = _Deadline(self.deadline_s)
        try:
            with deadline, self._http.stream("GET", path, params=_clean(params), headers=headers,
                                             extensions={"trace": deadline.trace}) as response:
                content = self._read_capped(response, path)
        except httpx.TransportError:
            if not deadline.passed:
                raise
        if deadline.passed:  # also when the cut ended a body that had no length: what came is not the answer
            raise _DeadlinePassed()
        kept = [(k, v) for k, v in response.headers.multi_items() if k not in _READ_HEADERS]
        return httpx.Response(response.status_code, headers=kept, content=content, request=response.request)

    def _read_capped(self, response: httpx.Response, path: str) -> bytes:
        """The decoded body, refused (before reading, when its length says so) beyond `max_answer_mb`."""
        cap = int(self.max_answer_mb * 1_000_000)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise MalformedResponseError(self._too_large(path, response, f"its Content-Length says {int(declared):,} "
                                                                         "bytes, so it was not read"))
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > cap:
                raise MalformedResponseError(self._too_large(path, response, f"it passed {cap:,} bytes and was cut"))
        return bytes(body)

    def _too_large(self, path: str, response: httpx.Response, said: str) -> str:
        return (f"GET {path} answered HTTP {response.status_code} with more than {self.max_answer_mb:g} MB ({said}); "
                "refused, as no page of the API comes near that. Check that ANTHROPIC_BASE_URL is the API; if it is, "
                "raise max_answer_mb on the resource. Then run again: days already written are kept.")

    def _backoff(self, attempt: int) -> float:
        return self._random.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2**attempt))

    def _delay(self, attempt: int, retry_after: float | None, stats: RequestStats) -> float:
        """How long to wait before the next attempt (counted as a retry): Retry-After and a little, or a backoff."""
        stats.retries += 1
        delay = self._backoff(attempt)
        if retry_after is not None:
            delay = retry_after + self._random.uniform(0, max(0.05, 0.1 * retry_after))
        log.info("retrying in %.2fs (attempt %d of %d)", delay, attempt + 2, self.max_retries + 1)
        return delay

    def _unreachable_message(self, path: str, why: str, detail: str) -> str:
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        address = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        proxy = next((name for name in _PROXY_VARIABLES if os.environ.get(name)), None)
        through = f" {proxy} is set: if the proxy it names is the one refusing, fix or unset it." if proxy else ""
        if why == "refused":
            cause = (f"nothing accepts connections at {address}, the host and port of ANTHROPIC_BASE_URL "
                     f"({self.base_url}): the connection was refused ({detail}). Check ANTHROPIC_BASE_URL (leave it "
                     f"unset for {DEFAULT_BASE_URL}); if it names the emulator or a proxy on this machine, start "
                     f"it.{through}")
        else:
            cause = (f"the host {host} of ANTHROPIC_BASE_URL ({self.base_url}) cannot be found: DNS answered "
                     f"'{detail}'. Check ANTHROPIC_BASE_URL for a typo (leave it unset for {DEFAULT_BASE_URL}), "
                     "then that this machine resolves names (its network, DNS server or VPN).")
        return (f"GET {path} failed at once: {cause} Not retried, as waiting does not change this answer; "
                "run again once it is fixed: days already written are kept.")

    def _decode(self, response: httpx.Response, path: str) -> dict:
        """The JSON object of a 200. A body cut off mid-transfer never gets here (httpx raises a transport
        error, which is retried), so a body that is not JSON is a whole answer from something else: fail now."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise MalformedResponseError(self._not_json(response, path)) from None
        except RecursionError:
            raise MalformedResponseError(
                f"GET {path} answered 200 with JSON nested too deep to read ({len(response.content):,} bytes, more "
                f"than {sys.getrecursionlimit():,} levels; the API's answers nest a few). Check that "
                "ANTHROPIC_BASE_URL is the API, then run again: days already written are kept."
            ) from None
        if not isinstance(body, dict):
            raise MalformedResponseError(
                f"GET {path} answered 200 with a JSON {type(body).__name__}, not an object. The API's shape "
                "has changed or ANTHROPIC_BASE_URL points at something else."
            )
        return body

    def _not_json(self, response: httpx.Response, path: str) -> str:
        """What came back (its type, size, first bytes and request-id: no other header) and where to look."""
        content_type = response.headers.get("content-type") or "no content-type"
        shown = _printable(response.content)[:SHOWN_CHARS]
        body = f"begins {shown!r}" if shown else "is empty"
        request_id = response.headers.get("request-id")
        if request_id:
            cause = (f"The API itself sent it (request-id {request_id}): check that ANTHROPIC_BASE_URL ({self.base_url}) "
                     "is the API, and if it is, report it with the request-id.")
        else:
            cause = (f"It has no request-id, so the API did not send it: a proxy, a captive portal (a network that "
                     f"wants you to sign in first) or an ANTHROPIC_BASE_URL ({self.base_url}) that is not the API "
                     f"answered in its place. Check ANTHROPIC_BASE_URL (leave it unset for {DEFAULT_BASE_URL}), "
                     "HTTPS_PROXY and NO_PROXY, and that this machine reaches the API without signing in to the network.")
        return (f"GET {path} answered HTTP {response.status_code} with a body that is not JSON ({content_type}, "
                f"{len(response.content)} bytes); it {body}. {cause} Then run again: days already written are kept.")

    def _error(self, response: httpx.Response, path: str, params: Mapping[str, Any], attempts: int) -> ApiError:
        status = response.status_code
        error_type, message, request_id = _error_fields(response)
        kind = self.key.kind
        said = f"(HTTP {status} {error_type or ''}, request-id {request_id or 'none'}): {message}".strip()
        common = dict(status=status, error_type=error_type, request_id=request_id, path=path)
        # Enterprise Analytics answers a rejected key, or API access switched off, with 404 on its
        # engagement endpoints (401 on cost/usage); its paths exist, so a 404 there means the key.
        if status == 401 or (status == 404 and kind is KeyKind.ANALYTICS):
            checks = ANALYTICS_KEY_CHECKS if kind is KeyKind.ANALYTICS else ADMIN_KEY_CHECKS
            not_enterprise = (" A 404 here also means the organization is not on Claude Enterprise: the "
                              "Enterprise Analytics API serves Claude Enterprise organizations only."
                              if status == 404 else "")
            return KeyRejectedError(
                f"{kind.api_name} rejected the key in {self.key.env_var} for GET {path} {said.rstrip('.')}.{not_enterprise}\n"
                f"{checks}", **common
            )
        if status == 403:
            return PermissionDeniedError(_permission_message(kind, self.key.env_var, path, said, message), **common)
        if status == 410 or (status == 400 and params.get("page") and re.search(r"cursor|page", message, re.I)):
            return CursorExpiredError(f"GET {path}: the page cursor is no longer valid {said}", **common)
        if status == 400:
            day = _requested_day(params)
            if day is not None and (_DATE.search(message) or re.search(r"availab|date|history", message, re.I)):
                latest = _latest_available(message)
                reason = message.rstrip(".") + (f" (newest available day: {latest.isoformat()})" if latest else "")
                return DayNotAvailableError(
                    f"{day.isoformat()} is not available from {kind.api_name} {said}. Ask only for days inside "
                    "the API's history window and lag; a day that is too recent becomes available later, and "
                    "the daily sync fetches it then.",
                    day=day,
                    latest_available=latest,
                    reason=reason,
                    **common,
                )
            return InvalidRequestError(f"{kind.api_name} refused GET {path} as invalid {said}", **common)
        if status == 429:
            return RateLimitedError(
                f"GET {path} was still rate limited after {attempts} attempts {said}. Another process may be "
                "sharing this organization's budget; lower requests_per_minute on the resource or ask your "
                "Anthropic account team to raise the organization's limit.",
                **common,
            )
        if status >= 500:
            return ServerError(
                f"GET {path} failed with a server error after {attempts} attempts {said}. This is on the API's "
                "side; run again later (days already written are kept).",
                **common,
            )
        return ApiError(f"GET {path} failed {said}", **common)

    # -- listings ----------------------------------------------------------------------------

    def fetch_all(
        self,
        path: str,
        params: Mapping[str, Any],
        pagination: Pagination,
        records: Callable[[dict], Iterable[dict]],
        headers: Mapping[str, str] | None = None,
        max_pages: int = MAX_PAGES,
    ) -> FetchResult:
        """Every record of a listing, following cursors; a listing whose cursor expires restarts cleanly.

        Records are buffered until the last page so that a restart from page 1 cannot duplicate
        rows: a listing is one day of one endpoint, small enough to hold. A page that repeats a record of
        an earlier page is refused: the API's cursor fixes its data, so its pages never share a row (§1), and
        a repeated page would land twice. Rows repeated inside one page are the API's own (two equal cost
        lines) and are kept.
        """
        stats = RequestStats()
        for restart in range(MAX_CURSOR_RESTARTS + 1):
            try:
                result, pages, seen = [], [], set()
                for page in self._pages(path, params, pagination, stats, headers, max_pages):
                    rows = list(records(page))
                    found = {_identity(row) for row in rows}
                    if not seen.isdisjoint(found):
                        raise MalformedResponseError(
                            f"GET {path}: page {len(pages) + 1} repeats rows of an earlier page of the same listing, "
                            "which the API's cursors never do; refused, and nothing of it was written, so no row "
                            "lands twice. Check that ANTHROPIC_BASE_URL is the API (not a caching proxy), then run "
                            "again: days already written are kept."
                        )
                    seen |= found
                    result.extend(rows)
                    pages.append(page)
                return FetchResult(result, stats, pages)
            except CursorExpiredError:
                if restart == MAX_CURSOR_RESTARTS:
                    raise
                stats.cursor_restarts += 1
                log.info("GET %s: cursor expired, restarting the listing from page 1", path)
        raise AssertionError("unreachable")

    def _pages(self, path: str, params: Mapping[str, Any], pagination: Pagination, stats: RequestStats,
               headers: Mapping[str, str] | None, max_pages: int):
        query = dict(params)
        seen: set[str] = set()
        for _ in range(max_pages):
            page = self.get_json(path, query, stats, headers)
            stats.pages += 1
            yield page
            cursor = page.get("next_page")
            if pagination is Pagination.NONE or not cursor or page.get("has_more") is False:
                return
            if not isinstance(cursor, str) or cursor in seen:
                raise MalformedResponseError(
                    f"GET {path} returned the cursor {cursor!r} twice; stopping rather than looping forever. "
                    "The API's pagination has changed; report it with the request-id of the last response."
                )
            seen.add(cursor)
            query = {**params, "page": cursor}
        raise MalformedResponseError(
            f"GET {path} still had a next page after {max_pages:,} pages, more than the days asked for can hold; "
            "stopped, and nothing of this listing was written. The API's pagination has changed or "
            "ANTHROPIC_BASE_URL is not the API: check it, report it with the request-id of the last response, then "
            "run again: days already written are kept."
        )


_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
_READ_HEADERS = ("content-encoding", "content-length", "transfer-encoding")  # describe the bytes sent, not those kept


class _DeadlinePassed(Exception):
    """A request's deadline passed before its answer was whole; retried like a cut-off answer."""


class _Deadline:
    """Shuts a request's connection when `seconds` have passed: a timer, and the socket the trace names at connect.

    A connection made after the time is up is shut as soon as it is made."""

    def __init__(self, seconds: float):
        self.passed = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def trace(self, event: str, info: dict) -> None:
        if event == "connection.connect_tcp.complete":
            with self._lock:
                self._socket = info["return_value"].get_extra_info("socket")
                if self.passed:
                    self._shut()

    def _cut(self) -> None:
        with self._lock:
            self.passed = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed: the request ended as the time ran out
                pass

    def __enter__(self) -> "_Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _unreachable(exc: Exception) -> tuple[str, str] | None:
    """("refused" or "dns", the system's words) when the host refused the connection or its name does not
    resolve; None for failures a retry may cure (timeouts, resets, answers cut off)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "refused", cause.strerror or str(cause)
        if isinstance(cause, socket.gaierror):
            return "dns", cause.strerror or str(cause)
        cause = cause.__cause__ or cause.__context__
    return None


def _printable(data: bytes) -> str:
    """A foreign body as one line of text that is safe to log: no control characters, and redacted, should a
    proxy's page echo the request it refused."""
    text = " ".join(redact(data.decode("utf-8", "replace")).split())
    return "".join(c if c.isprintable() else "?" for c in text)


def _identity(record: dict) -> bytes:
    """A record's identity across pages: a digest of its canonical JSON, small enough to keep for a whole listing."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _clean(params: Mapping[str, Any]) -> dict:
    return {k: v for k, v in params.items() if v is not None and v != []}


def _retry_after(response: httpx.Response, now: Callable[[], dt.datetime] | None = None) -> float | None:
    """Seconds to wait from `Retry-After`, which may be seconds or an HTTP date; None when absent or unreadable.

    The Admin API often sends no `Retry-After` on a 429 (and an `anthropic-ratelimit-requests-reset` that is
    already past), so None means: back off on our own schedule."""
    value = (response.headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - (now or _utcnow)()).total_seconds())


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


_SCOPES = re.compile(r"Got:\s*\[(?P<got>[^\]]*)\]\s*Needed:\s*\[(?P<needed>[^\]]*)\]", re.IGNORECASE)


def _permission_message(kind: KeyKind, env_var: str, path: str, said: str, message: str) -> str:
    """A 403: the key is valid but lacks a scope. The live API names the scopes it has and needs."""
    scopes = _SCOPES.search(message)
    needed = scopes and ", ".join(s.strip(" '\"") for s in scopes["needed"].split(",") if s.strip(" '\""))
    got = scopes and ", ".join(s.strip(" '\"") for s in scopes["got"].split(",") if s.strip(" '\""))
    if kind is KeyKind.ANALYTICS:
        lacks = needed or "read:analytics"
        return (
            f"{kind.api_name} refused GET {path} {said}. The key in {env_var} is valid but lacks the scope "
            f"{lacks} (it has: {got or 'no scopes'}). Only a key created for the Analytics API carries read:analytics; "
            f"an Admin or workspace key does not.\n{ANALYTICS_KEY_CHECKS}"
        )
    scope = f" (it needs {needed}; it has {got or 'no scopes'})" if needed else ""
    return (
        f"{kind.api_name} refused GET {path} {said}. The key in {env_var} is valid but may not read this "
        f"endpoint{scope}: use an organization Admin key, not a workspace key.\n{ADMIN_KEY_CHECKS}"
    )


def _error_fields(response: httpx.Response) -> tuple[str | None, str, str | None]:
    request_id = response.headers.get("request-id")
    try:
        body = response.json()
        error = body.get("error") or {}
        return error.get("type"), str(error.get("message") or "").strip(), body.get("request_id") or request_id
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError, RecursionError):
        return None, redact(response.text)[:300].strip(), request_id  # whole keys hidden before the cut


def _requested_day(params: Mapping[str, Any]) -> dt.date | None:
    for name in ("date", "starting_at", "starting_date"):
        value = params.get(name)
        if isinstance(value, str) and _DATE.match(value):
            return dt.date.fromisoformat(value[:10])
    return None


def _latest_available(message: str) -> dt.date | None:
    match = _LATEST.search(message)
    try:
        return dt.date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None
