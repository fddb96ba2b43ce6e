"""Strict query-string parsing: every mistake a client can make gets a 400 that says what to fix.

Lists use bracket syntax (`group_by[]=model&group_by[]=product`); scalars may appear once;
parameters an endpoint does not know are rejected rather than silently ignored. Every endpoint
that groups refuses more than five `group_by[]` values, as the live Admin API does (field report F1).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from .errors import invalid

MAX_GROUP_BY = 5
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|z|[+-]\d{2}:\d{2})$")


class Query:
    def __init__(self, pairs: list[tuple[str, str]], allowed: tuple[str, ...]):
        self.pairs = pairs
        unknown = sorted({k for k, _ in pairs if k not in allowed})
        if unknown:
            hint = ""
            if any(f"{k}[]" in allowed for k in unknown):
                hint = " List parameters use bracket syntax, one per value: `group_by[]=a&group_by[]=b`."
            raise invalid(
                f"Unknown query parameter(s): {', '.join(unknown)}. This endpoint accepts: "
                f"{', '.join(allowed)}.{hint}"
            )
        if sum(k == "group_by[]" for k, _ in pairs) > MAX_GROUP_BY:  # raw pairs: duplicates count too
            raise invalid(f"Cannot specify more than {MAX_GROUP_BY} group_by[] dimensions.")

    def has(self, name: str) -> bool:
        return any(k == name for k, _ in self.pairs)

    def one(self, name: str, required: bool = False) -> str | None:
        values = [v for k, v in self.pairs if k == name]
        if len(values) > 1:
            raise invalid(f"`{name}` was given {len(values)} times; give it once.")
        if not values:
            if required:
                raise invalid(f"`{name}` is required.")
            return None
        return values[0]

    def many(self, name: str, options: tuple[str, ...] | None = None, max_items: int | None = None) -> list[str]:
        values = [v for k, v in self.pairs if k == name]
        if options is not None:
            for v in values:
                if v not in options:
                    raise invalid(f"`{name}` value {v!r} is not supported. Allowed values: {', '.join(options)}.")
        if max_items is not None and len(values) > max_items:
            raise invalid(f"`{name}` accepts at most {max_items} values; got {len(values)}.")
        return list(dict.fromkeys(values))

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.one(name)
        if raw is None:
            return default
        if not re.fullmatch(r"\d+", raw) or not low <= int(raw) <= high:
            raise invalid(f"`{name}` must be an integer from {low} to {high}; got {raw!r}.")
        return int(raw)

    def choice(self, name: str, options: tuple[str, ...], default: str | None = None) -> str | None:
        raw = self.one(name)
        if raw is None:
            return default
        if raw not in options:
            raise invalid(f"`{name}` must be one of {', '.join(options)}; got {raw!r}.")
        return raw

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.one(name)
        if raw is None:
            return default
        if raw.lower() not in ("true", "false"):
            raise invalid(f"`{name}` must be true or false; got {raw!r}.")
        return raw.lower() == "true"

    def day(self, name: str, required: bool = False) -> date | None:
        raw = self.one(name, required)
        if raw is None:
            return None
        try:
            if not _DATE.match(raw):
                raise ValueError
            return date.fromisoformat(raw)
        except ValueError:
            raise invalid(f"`{name}` must be a UTC date in YYYY-MM-DD form (e.g. 2026-03-02); got {raw!r}.") from None

    def instant(self, name: str, required: bool = False) -> datetime | None:
        raw = self.one(name, required)
        if raw is None:
            return None
        try:
            if not _INSTANT.match(raw):
                raise ValueError
            return datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1] in "Zz" else raw)  # 3.10 lacks "Z"
        except ValueError:
            raise invalid(
                f"`{name}` must be an RFC 3339 timestamp with a time zone (e.g. 2026-03-02T00:00:00Z); "
                f"got {raw!r}. A '+' offset must be URL-encoded as %2B."
            ) from None
