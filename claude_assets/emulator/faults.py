"""Runtime fault switches, flipped from tests (`emu.faults`) or over HTTP (`/_emulator/faults`).

Each switch arms the next N API requests; the server asks `next_fault()` once per API
request, before authentication, so any request can be hit the way a real network or an
overloaded backend would hit it.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from .drift import Drift

FAIL_STATUSES = (500, 503, 504, 529)
ECHO_STATUSES = (400, 401, 403, 500)
# What a captive portal or a corporate proxy answers in the API's place: a complete 200, not JSON.
PORTAL_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Sign in to the network</title></head>\n"
    "<body><h1>Sign in to continue</h1><p>This network requires you to sign in before you can reach "
    "the internet.</p></body></html>\n"
)


@dataclass(frozen=True)
class Fault:
    """What to do to one request. `kind`: fail, rate_limit, cut_off, drop, expire_cursor, non_json
    (a 200 with `body` as `content_type`, and no request-id: something other than the API answered),
    echo_key (an error `status` whose message repeats the request's x-api-key, as some proxies do).
    `delay` (seconds) is applied first, whatever the kind (kind None = only slow)."""

    kind: str | None
    status: int = 0
    retry_after: int = 0
    delay: float = 0.0
    body: str = ""
    content_type: str = ""


class Faults:
    def __init__(self, seed: int = 0, analytics_access: bool = True):
        self._lock = threading.Lock()
        self._seed = seed
        self._initial_access = analytics_access
        self.reset()

    def reset(self) -> None:
        """Disarm everything and restore the configured access toggle."""
        with self._lock:
            self._fail: list[int] = []
            self._rate_limit: list[int] = []
            self._cut_off = 0
            self._non_json: list[tuple[str, str]] = []
            self._echo_key: list[int] = []
            self._drop = 0
            self._slow: list[float] = []
            self._expire = 0
            self._error_rate = 0.0
            self._error_status = 500
            self._rng = random.Random(self._seed)
            self._drift: list[Drift] = []
            self.analytics_access = self._initial_access

    def fail_next(self, count: int, status: int = 500) -> None:
        if status not in FAIL_STATUSES:
            raise ValueError(f"status must be one of {FAIL_STATUSES}")
        with self._lock:
            self._fail += [status] * count

    def rate_limit_next(self, count: int, retry_after: int = 1) -> None:
        with self._lock:
            self._rate_limit += [max(1, int(retry_after))] * count

    def cut_off_next(self, count: int) -> None:
        with self._lock:
            self._cut_off += count

    def non_json_next(self, count: int, body: str = PORTAL_PAGE, content_type: str = "text/html") -> None:
        """Answer the next `count` requests with a complete 200 whose body is not JSON (no content-type
        header when `content_type` is empty)."""
        with self._lock:
            self._non_json += [(body, content_type)] * count

    def echo_key_next(self, count: int, status: int = 401) -> None:
        """Answer the next `count` requests with error `status`, its message quoting the request's x-api-key
        verbatim; a 400 also says the day is not available, so a client takes it for an unavailable day."""
        if status not in ECHO_STATUSES:
            raise ValueError(f"status must be one of {ECHO_STATUSES}")
        with self._lock:
            self._echo_key += [status] * count

    def drop_next(self, count: int) -> None:
        with self._lock:
            self._drop += count

    def slow_next(self, count: int, seconds: float) -> None:
        with self._lock:
            self._slow += [float(seconds)] * count

    def expire_cursors_next(self, count: int) -> None:
        with self._lock:
            self._expire += count

    def error_rate(self, p: float, status: int = 500) -> None:
        if not 0 <= p <= 1 or status not in FAIL_STATUSES:
            raise ValueError(f"p must be in [0, 1] and status one of {FAIL_STATUSES}")
        with self._lock:
            self._error_rate, self._error_status = p, status

    def set_analytics_access(self, enabled: bool) -> None:
        with self._lock:
            self.analytics_access = bool(enabled)

    def next_fault(self, has_cursor: bool) -> Fault | None:
        """Consume and return the fault for the next API request, if any is armed."""
        with self._lock:
            delay = self._slow.pop(0) if self._slow else 0.0
            if self._drop:
                self._drop -= 1
                return Fault("drop", delay=delay)
            if self._cut_off:
                self._cut_off -= 1
                return Fault("cut_off", delay=delay)
            if self._non_json:
                body, content_type = self._non_json.pop(0)
                return Fault("non_json", status=200, delay=delay, body=body, content_type=content_type)
            if self._fail:
                return Fault("fail", status=self._fail.pop(0), delay=delay)
            if self._echo_key:
                return Fault("echo_key", status=self._echo_key.pop(0), delay=delay)
            if self._rate_limit:
                return Fault("rate_limit", status=429, retry_after=self._rate_limit.pop(0), delay=delay)
            if has_cursor and self._expire:
                self._expire -= 1
                return Fault("expire_cursor", status=410, delay=delay)
            if self._error_rate and self._rng.random() < self._error_rate:
                return Fault("fail", status=self._error_status, delay=delay)
            return Fault(None, delay=delay) if delay else None

    def drift_next(self, count: int, set: dict | None = None, drop: list[str] | None = None,  # noqa: A002
                   keep_rows: float = 1.0) -> None:
        """Rewrite the rows of the next `count` successful answers (see `drift.Drift`)."""
        drift = Drift(set=dict(set or {}), drop=tuple(drop or ()), keep_rows=keep_rows)
        with self._lock:
            self._drift += [drift] * count

    def drifted(self, body: dict) -> dict:
        """A successful answer, rewritten by the next armed drift if there is one."""
        with self._lock:
            drift = self._drift.pop(0) if self._drift else None
        return drift.apply(body) if drift else body

    def apply(self, spec: dict) -> None:
        """Arm switches from a JSON object, e.g. {"fail_next": {"count": 2, "status": 503}}."""
        actions = {
            "fail_next": self.fail_next, "rate_limit_next": self.rate_limit_next,
            "cut_off_next": self.cut_off_next, "non_json_next": self.non_json_next, "drop_next": self.drop_next,
            "echo_key_next": self.echo_key_next,
            "slow_next": self.slow_next, "expire_cursors_next": self.expire_cursors_next,
            "error_rate": self.error_rate, "drift_next": self.drift_next,
        }
        for name, args in spec.items():
            if name == "reset":
                if args:
                    self.reset()
            elif name == "set_analytics_access":
                self.set_analytics_access(args["enabled"] if isinstance(args, dict) else args)
            elif name in actions and isinstance(args, dict):
                actions[name](**args)
            elif name in actions:
                actions[name](args)
            else:
                raise ValueError(f"unknown fault switch {name!r}; known: {', '.join(['reset', 'set_analytics_access', *actions])}")
