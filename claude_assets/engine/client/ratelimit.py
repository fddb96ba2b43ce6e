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

    def acquire(self, sleep: Callable[[float], None] | None = None, *, pause: float = 0.0) -> None:
        """Block until this caller's slot comes up, sleeping with `sleep` (the caller's, which tests replace).

        `pause`: the server asked us to slow down (429), so this caller's slot is at least that far off, and every
        other caller's comes after it."""
        with self._lock:
            now = self._clock()
            slot = max(now + pause, self._next)
            self._next = slot + self._interval
            wait = slot - now
        if wait > 0:
            (sleep or self._sleep)(wait)


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


def forget_limiters() -> None:
    """Drop every shared limiter, so the next request starts a new budget, as in a new process (tests)."""
    with _registry_lock:
        _registry.clear()
