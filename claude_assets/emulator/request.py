"""What a handler sees of one API call: its query, the data clock, the org, and paging."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from typing import Callable

from .config import EmulatorConfig
from .cursors import Cursors, query_fingerprint
from .org import SyntheticOrg
from .params import Query


class ResultCache:
    """A small LRU for whole query results (e.g. a per-user ranking), so that paging through
    one query computes it once. Keyed by query fingerprint and data boundary."""

    def __init__(self, size: int = 32):
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict = OrderedDict()

    def get(self, key, compute: Callable):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


@dataclass
class ApiRequest:
    path: str
    pairs: list[tuple[str, str]]
    headers: Message
    now: datetime
    org: SyntheticOrg
    config: EmulatorConfig
    cursors: Cursors
    results: ResultCache

    def query(self, *allowed: str) -> Query:
        return Query(self.pairs, allowed)

    @property
    def fingerprint(self) -> str:
        return query_fingerprint(self.path, self.pairs)

    def page(self, q: Query) -> tuple[dict, datetime]:
        """(position, as_of): the cursor's position and data boundary, or ({}, now) on page 1."""
        token = q.one("page")
        if token is None:
            return {}, self.now
        return self.cursors.read(token, self.fingerprint, self.now)

    def next_page(self, position: dict, as_of: datetime) -> str:
        return self.cursors.issue(self.fingerprint, position, as_of, self.now)

    def cached(self, as_of: datetime, compute: Callable):
        return self.results.get((self.fingerprint, as_of.isoformat()), compute)
