"""The endpoint type: how one API endpoint is asked for a span of UTC days and what its answers become.

An `Endpoint` says where to ask (path, key kind, the query for a span of UTC days, how it pages), when
its data exists (its `Calendar`), and which tables its records become. The endpoints themselves are
data in `claude_assets.sources`; one asset factory (`defs/assets/raw.py`) turns each into an asset.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Callable, Iterable

from claude_assets.engine.calendars import Calendar
from claude_assets.engine.client import KeyKind, MalformedResponseError, Pagination
from claude_assets.engine.tables import Table


@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    key_kind: KeyKind | None  # None: either key works, and the organization says which one speaks for it
    group: str
    calendar: Calendar
    pagination: Pagination
    query: Callable[[dt.date, dt.date], dict[str, Any]]  # the query for the days [start, end)
    records: Callable[[dict], Iterable[dict]]
    tables: tuple[Table, ...]  # the first is the endpoint's main table; the rest are child tables
    api: str  # which API, for descriptions
    days_per_request: int = 1  # >1 for time-bucketed reports, which answer a range in one request
    headers: dict[str, str] = dataclasses.field(default_factory=dict)  # sent on this endpoint's requests only
    # (label, group_by) pairs: the same days asked once per grouping, each row labelled with its grouping in the
    # table's `grouping` column. This is how one table holds more dimensions than one query may group by (F1).
    groupings: tuple[tuple[str, tuple[str, ...]], ...] = ()
    legacy: bool = False  # an endpoint the Usage and Cost Analytics API supersedes (still supported)

    def __post_init__(self) -> None:
        for label, query in self.queries(dt.date(2026, 1, 1), dt.date(2026, 1, 2)):
            grouped = query.get("group_by[]", [])
            if len(grouped) > MAX_GROUP_BY:
                raise ValueError(f"{self.name} {label or ''} groups by {len(grouped)} dimensions; the live API refuses "
                                 f"more than {MAX_GROUP_BY} (field report F1): split them over two groupings")

    def queries(self, start: dt.date, end: dt.date) -> list[tuple[str | None, dict[str, Any]]]:
        """The queries that answer the days [start, end): one, or one per grouping, with the grouping's label."""
        query = self.query(start, end)
        if not self.groupings:
            return [(None, query)]
        return [(label, {**query, "group_by[]": list(dims)}) for label, dims in self.groupings]

    def record_day(self, record: dict) -> dt.date | None:
        """The UTC day a record says it belongs to (its date or its bucket's start), if it says one."""
        for key in ("date", "starting_at", "starting_date"):
            value = record.get(key)
            if isinstance(value, str):
                try:
                    return dt.date.fromisoformat(value[:10])
                except ValueError:
                    return None
        return None

    @property
    def assets(self) -> list[str]:
        return [t.asset for t in self.tables]

    def max_pages(self, days: int) -> int:
        """The most pages one listing of `days` days can take: more means a cursor that never runs out, not data.

        A bucketed report's `limit` counts whole days' buckets, so a page holds at least a day; otherwise a page
        holds `limit` rows, and a day at most MAX_ROWS_PER_DAY."""
        if self.pagination is Pagination.NONE:
            return 1
        query = self.query(dt.date(2026, 1, 1), dt.date(2026, 1, 1) + dt.timedelta(days=days))
        if "bucket_width" in query:
            return days + PAGE_SLACK
        return days * -(-MAX_ROWS_PER_DAY // query["limit"]) + PAGE_SLACK


MAX_ROWS_PER_DAY = 1_000_000  # one day of one query: a row per seat, product and model of the largest organizations
PAGE_SLACK = 10  # pages past the bound, for a short page or an empty last one
MAX_GROUP_BY = 5  # the live API answers more `group_by[]` values with a 400 (api-reference §8, F1)


def data(page: dict) -> list[dict]:
    """A page's `data` list; a page without one is not the API's answer."""
    rows = page.get("data")
    if not isinstance(rows, list):
        raise MalformedResponseError(
            f"The response has no 'data' list (it has: {', '.join(sorted(page)) or 'nothing'}). The API's shape "
            "has changed or ANTHROPIC_BASE_URL points at something else; nothing was written for this day."
        )
    return rows


def bounds(start: dt.date, end: dt.date) -> dict[str, str]:
    """RFC 3339 UTC midnights for the days [start, end)."""
    return {"starting_at": f"{start.isoformat()}T00:00:00Z", "ending_at": f"{end.isoformat()}T00:00:00Z"}


def bucket_results(page: dict) -> list[dict]:
    """Rows of a time-bucketed report: each result carries its bucket's bounds."""
    rows = []
    for bucket in data(page):
        edges = {"starting_at": bucket.get("starting_at"), "ending_at": bucket.get("ending_at")}
        rows.extend({**edges, **result} for result in bucket.get("results") or [])
    return rows


ENVELOPE = ("data_refreshed_at", "organization_id")  # kept with every row of the Enterprise cost and usage reports


def with_envelope(rows: Callable[[dict], list[dict]]) -> Callable[[dict], list[dict]]:
    """Each row carries its page's watermark and organization (F12): buckets after the watermark were incomplete."""
    def records(page: dict) -> list[dict]:
        envelope = {key: page[key] for key in ENVELOPE if key in page}
        return [{**envelope, **row} for row in rows(page)]

    return records

