"""Answers that drift from the documented shape: what an API that changed underneath a client sends.

A drift is armed for the next N successful answers (`Faults.drift_next`, or `{"drift_next": {...}}`
over `/_emulator/faults`). It rewrites every row of the answer (each `data` item, each bucket's
`results` item, each `summaries` item): `set` puts a value at a dotted field (`"n/a"` where a count
belongs), `drop` removes dotted fields or whole blocks (`user.id`, `chat_metrics`), and `keep_rows`
keeps only that share of the rows. The emulator's own cached rows are never touched.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Drift:
    set: dict[str, Any] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    keep_rows: float = 1.0

    def __post_init__(self) -> None:
        if not 0 <= self.keep_rows <= 1:
            raise ValueError("keep_rows must be a share from 0 to 1")

    def apply(self, body: dict) -> dict:
        body = json.loads(json.dumps(body))  # a copy: the handlers' rows are cached and shared
        for key in ("data", "summaries"):
            if isinstance(body.get(key), list):
                body[key] = [self._bucket(item) for item in self._kept(body[key])]
        return body

    def _kept(self, rows: list) -> list:
        return rows[: math.ceil(len(rows) * self.keep_rows)]

    def _bucket(self, item: Any) -> Any:
        if isinstance(item, dict) and isinstance(item.get("results"), list):
            return {**item, "results": [self._row(r) for r in self._kept(item["results"])]}
        return self._row(item)

    def _row(self, row: Any) -> Any:
        if not isinstance(row, dict):
            return row
        for path, value in self.set.items():
            *parents, last = path.split(".")
            node = row
            for part in parents:
                node = node.setdefault(part, {}) if isinstance(node, dict) else None
            if isinstance(node, dict):
                node[last] = value
        for path in self.drop:
            *parents, last = path.split(".")
            node = row
            for part in parents:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict):
                node.pop(last, None)
        return row
