"""The emulator's notion of "now": the real UTC clock, or a frozen instant tests can move."""

from __future__ import annotations

import threading
from datetime import datetime, timezone


class Clock:
    def __init__(self, frozen: datetime | None = None):
        self._lock = threading.Lock()
        self._frozen = _aware(frozen) if frozen is not None else None

    def now(self) -> datetime:
        with self._lock:
            frozen = self._frozen
        return frozen if frozen is not None else datetime.now(timezone.utc)

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._frozen = _aware(moment)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the emulator clock needs a timezone-aware datetime (e.g. tzinfo=timezone.utc)")
    return moment.astimezone(timezone.utc)
