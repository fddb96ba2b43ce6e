"""Per-organization token buckets: Enterprise Analytics and the Admin API each have one.

A bucket holds `limit` tokens and refills limit/60 per second, so a client may burst a
full minute's budget (paging) and then settles at the per-minute rate. Real (monotonic)
time drives it even when the data clock is frozen, because budgets are about wall time.
"""

from __future__ import annotations

import math
import threading
import time


class TokenBucket:
    def __init__(self, per_minute: int, monotonic=time.monotonic):
        self.per_minute = per_minute
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._tokens = float(per_minute)
        self._stamp = monotonic()

    def take(self) -> int | None:
        """Spend one token. None when allowed, else whole seconds until a token is back (>= 1)."""
        if self.per_minute <= 0:
            return None
        rate = self.per_minute / 60.0
        with self._lock:
            now = self._monotonic()
            self._tokens = min(float(self.per_minute), self._tokens + (now - self._stamp) * rate)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return None
            return max(1, math.ceil((1 - self._tokens) / rate))

    def reset(self) -> None:
        with self._lock:
            self._tokens = float(self.per_minute)
            self._stamp = self._monotonic()
