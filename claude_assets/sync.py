"""Fetching days of one endpoint into the lake: concurrently, resumably, with progress.

This is what every raw asset runs. Days are fetched in parallel threads, all paced by the one
rate limiter of their organization and key kind; each finished day is written atomically at
once, so a run that dies halfway keeps every day it finished, and the next run over the same
range skips those days (unless they were still provisional when fetched).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as dt
import time
import uuid
from typing import Collection, Iterable, Iterator

from claude_assets.client import ApiClient, DayNotAvailableError, RequestStats
from claude_assets.endpoints import Endpoint
from claude_assets.lake import Lake
from claude_assets.tables import Flattened, flatten


@dataclasses.dataclass
class DayResult:
    day: dt.date
    status: str  # "written", "skipped" (already in the lake and settled) or "unavailable"
    reason: str | None = None
    tables: dict[str, Flattened] = dataclasses.field(default_factory=dict)
    paths: dict[str, str] = dataclasses.field(default_factory=dict)
    stats: RequestStats = dataclasses.field(default_factory=RequestStats)
    fetched_at: dt.datetime | None = None

    @property
    def rows(self) -> int:
        return sum(f.table.num_rows for f in self.tables.values())


@dataclasses.dataclass
class SyncReport:
    endpoint: str
    days: list[DayResult] = dataclasses.field(default_factory=list)
    stats: RequestStats = dataclasses.field(default_factory=RequestStats)
    wall_s: float = 0.0

    def of(self, status: str) -> list[DayResult]:
        return [d for d in self.days if d.status == status]

    def rows(self, asset: str | None = None) -> int:
        return sum(
            f.table.num_rows for d in self.days for name, f in d.tables.items() if asset in (None, name)
        )

    def summary(self) -> dict:
        return {
            "days_requested": len(self.days),
            "days_written": len(self.of("written")),
            "days_skipped": len(self.of("skipped")),
            "days_unavailable": len(self.of("unavailable")),
            "rows": self.rows(),
            "requests": self.stats.requests,
            "pages": self.stats.pages,
            "retries": self.stats.retries,
            "rate_limited_429": self.stats.rate_limited,
            "cursor_restarts": self.stats.cursor_restarts,
            "wall_s": round(self.wall_s, 2),
        }


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def is_done(endpoint: Endpoint, lake: Lake, day: dt.date, assets: Collection[str]) -> bool:
    """A day counts as done when every selected table holds one fetch of it that had settled."""
    infos = [lake.day_info(asset, day) for asset in assets]
    if any(info is None for info in infos):
        return False
    if len({info.get("fetch_id") for info in infos}) != 1 or not infos[0].get("fetched_at"):
        return False
    return endpoint.calendar.is_settled(day, dt.datetime.fromisoformat(infos[0]["fetched_at"]))


def sync_day(endpoint: Endpoint, client: ApiClient, lake: Lake, day: dt.date, assets: Collection[str]) -> DayResult:
    """Fetch one day, flatten it into the endpoint's tables and write the selected ones."""
    reason = endpoint.calendar.before_floor(day)
    if reason:
        return DayResult(day, "unavailable", reason)
    fetched_at = utcnow()
    try:
        fetched = client.fetch_all(endpoint.path, endpoint.query(day), endpoint.pagination, endpoint.records)
    except DayNotAvailableError as exc:
        return DayResult(day, "unavailable", exc.reason)
    result = DayResult(day, "written", stats=fetched.stats, fetched_at=fetched_at)
    parent_rows = None
    for table in endpoint.tables:
        flat, rows = flatten(table, fetched.records, {"date": day}, parent_rows if table.explode else None)
        if table.explode is None:
            parent_rows = rows
        if table.asset in assets:
            result.tables[table.asset] = flat
    info = {"fetched_at": fetched_at.isoformat(), "fetch_id": uuid.uuid4().hex, "endpoint": endpoint.path}
    for asset, flat in reversed(result.tables.items()):  # children first: the main table completes the day
        result.paths[asset] = lake.write_day(asset, day, flat.table, info)
    return result


def sync_days(
    endpoint: Endpoint,
    client: ApiClient,
    lake: Lake,
    days: Iterable[dt.date],
    *,
    assets: Collection[str] | None = None,
    resume: bool,
    concurrency: int = 4,
    report: SyncReport | None = None,
) -> Iterator[DayResult]:
    """Sync `days`, yielding each day's result as it finishes (tallied into `report`).

    A fatal error (a rejected key, a malformed response, a server that keeps failing) stops
    the run: it would fail the same way for every other day. Days already written stay.
    """
    report = report if report is not None else SyncReport(endpoint.name)
    assets = list(assets) if assets is not None else endpoint.assets
    started = time.monotonic()
    todo = []
    for day in sorted(set(days)):
        if resume and is_done(endpoint, lake, day, assets):
            report.days.append(DayResult(day, "skipped", "already in the lake, fetched after it settled"))
            yield report.days[-1]
        else:
            todo.append(day)
    with cf.ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix=endpoint.name) as pool:
        futures = [pool.submit(sync_day, endpoint, client, lake, day, assets) for day in todo]
        try:
            for future in cf.as_completed(futures):
                result = future.result()
                report.days.append(result)
                report.stats.add(result.stats)
                report.wall_s = time.monotonic() - started
                yield result
        finally:
            for pending in futures:
                pending.cancel()
    report.days.sort(key=lambda r: r.day)
    report.wall_s = time.monotonic() - started
