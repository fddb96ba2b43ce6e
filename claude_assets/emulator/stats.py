"""Thread-safe request counters, so tests and the benchmark can see what clients really sent."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict


class Stats:
    """A request is counted after its answer is sent, so `snapshot` first waits (briefly) for the requests
    still being answered: a client that has read its answer must find it counted."""

    WAIT_S = 5.0

    def __init__(self):
        self._lock = threading.Condition()
        self._answering = 0
        self.reset()

    def begin(self) -> None:
        """A request arrived; `record` (or `end`, for one that was never answered) ends it."""
        with self._lock:
            self._answering += 1

    def end(self) -> None:
        with self._lock:
            self._ended()

    def _ended(self) -> None:
        self._answering = max(0, self._answering - 1)
        self._lock.notify_all()

    def reset(self) -> None:
        with self._lock:
            self._total = 0
            self._by_kind: Counter[str] = Counter()
            self._by_path: Counter[str] = Counter()
            self._by_status: Counter[int] = Counter()
            self._rate_limited = 0
            self._latency: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])

    def record(self, path: str, key_kind: str, status: int, seconds: float) -> None:
        with self._lock:
            self._ended()  # under the same lock as the counts: a snapshot never sees one without the other
            self._total += 1
            self._by_kind[key_kind] += 1
            self._by_path[path] += 1
            self._by_status[status] += 1
            if status == 429:
                self._rate_limited += 1
            entry = self._latency[path]
            entry[0] += 1
            entry[1] += seconds
            entry[2] = max(entry[2], seconds)

    def snapshot(self) -> dict:
        """`total`, `by_key_kind` (admin/analytics/scopeless/none/unknown), `by_path`,
        `by_status` (string keys, JSON-friendly), `rate_limited` (429s sent), and
        `latency_ms` per path (`count`, `mean`, `max`, measured inside the server)."""
        with self._lock:
            self._lock.wait_for(lambda: self._answering == 0, timeout=self.WAIT_S)
            return {
                "total": self._total,
                "by_key_kind": dict(self._by_kind),
                "by_path": dict(self._by_path),
                "by_status": {str(k): v for k, v in sorted(self._by_status.items())},
                "rate_limited": self._rate_limited,
                "latency_ms": {
                    path: {"count": n, "mean": round(total / n * 1000, 3), "max": round(peak * 1000, 3)}
                    for path, (n, total, peak) in self._latency.items()
                },
            }
