"""Opaque page cursors (`page_<urlsafe base64>`), bound to one exact query and expiring.

A cursor carries the position of the next page, the instant the first page was served
(`as_of`: later pages are computed against the same data boundary, so pages never skip or
duplicate rows), a hash of the query it belongs to, and an HMAC so it cannot be forged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

from .errors import ApiError

RESTART = "Restart from page 1 by repeating the request without `page`."


def query_fingerprint(path: str, params: list[tuple[str, str]]) -> str:
    """Identity of a query: path plus every parameter except `page`, order-insensitive."""
    canonical = json.dumps([path, sorted((k, v) for k, v in params if k != "page")])
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


class Cursors:
    def __init__(self, secret: bytes, ttl_seconds: float):
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def issue(self, fingerprint: str, position: dict, as_of: datetime, now: datetime) -> str:
        payload = json.dumps(
            {"q": fingerprint, "p": position, "a": as_of.isoformat(), "t": now.timestamp()},
            separators=(",", ":"),
        ).encode()
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]
        return "page_" + base64.urlsafe_b64encode(mac + payload).decode().rstrip("=")

    def read(self, token: str, fingerprint: str, now: datetime) -> tuple[dict, datetime]:
        """(position, as_of) of a cursor; 400 if forged or for another query, 410 if expired."""
        try:
            if not token.startswith("page_"):
                raise ValueError
            body = token.removeprefix("page_")
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            mac, payload = raw[:12], raw[12:]
            if not hmac.compare_digest(
                mac, hmac.new(self._secret, payload, hashlib.sha256).digest()[:12]
            ):
                raise ValueError
            data = json.loads(payload)
        except ValueError:
            raise ApiError(400, f"The `page` cursor is not one this API issued. {RESTART}") from None
        if data["q"] != fingerprint:
            raise ApiError(
                400,
                "The `page` cursor belongs to a different query: every parameter except `page` must be "
                f"exactly the same as in the request that returned it. {RESTART}",
            )
        if now.timestamp() - data["t"] > self.ttl_seconds:
            raise ApiError(410, f"The `page` cursor has expired. {RESTART}")
        return data["p"], datetime.fromisoformat(data["a"])
