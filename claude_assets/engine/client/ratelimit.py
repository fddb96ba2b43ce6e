"""A client-side rate limiter shared by every request for one organization and key kind.

The Enterprise Analytics API allows 60 requests a minute per organization, shared by all its
endpoints and all its keys. Spacing requests evenly (no bursts) keeps a year-long backfill under
the limit from the first request, instead of discovering it through 429s, and reaches the
floor: N requests take (N - 1) / rate seconds.
"""

from __future__ import annotations

import threading
import time
from typing import Callable


class RateLimiter:
    """Hands out evenly spaced send times to any number of threads."""

    def __init__(
        self,
        requests_per_minute: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.requests_per_minute = requests_per_minute
        self._interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def acquire(self) -> None:
        """Block until this caller's slot comes up."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
            wait = slot - now
        if wait > 0:
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Push every caller's next slot back, after the server asked us to slow down (429)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


_registry: dict[tuple[str, str, str], RateLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(base_url: str, kind: str, organization: str, requests_per_minute: float | None) -> RateLimiter:
    """The one limiter for (host, key kind, organization) in this process.

    `organization` is a name the user configures, or the key's fingerprint when they don't:
    several keys of one organization share its limit, so name the organization to share it.
    """
    key = (base_url.rstrip("/"), kind, organization)
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None or limiter.requests_per_minute != requests_per_minute:
            limiter = _registry[key] = RateLimiter(requests_per_minute)
        return limiter
