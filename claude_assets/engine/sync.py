"""Fetching days of one endpoint into the lake: concurrently, resumably, with progress.

This is what every raw asset runs. Requests run in parallel threads, all paced by the one rate
limiter of their organization and key kind; a time-bucketed report answers up to a month of
days in one request. Each finished day is written atomically at once, so a run that dies
halfway keeps every day it finished, and the next run over the same range skips those days
(unless they were still provisional when fetched). Each answer is kept in the lake as received,
so a day can be rebuilt from it, and a day is only replaced by an answer at least as good.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as dt
import time
from typing import Collection, Iterable, Iterator

from claude_assets.engine.client import ApiClient, RequestStats
from claude_assets.engine.endpoint import Endpoint
from claude_assets.engine.fetch import learnt_organization, sync_span, utcnow
from claude_assets.engine.guards import OrganizationMismatchError, names_organization
from claude_assets.engine.lake import DamagedDayError, Lake
from claude_assets.engine.land import DayResult, rebuild_span


@dataclasses.dataclass
class SyncReport:
    endpoint: str
    days: list[DayResult] = dataclasses.field(default_factory=list)
    stats: RequestStats = dataclasses.field(default_factory=RequestStats)
    wall_s: float = 0.0

    def of(self, status: str) -> list[DayResult]:
        return [d for d in self.days if d.status == status]

    def rows(self, asset: str | None = None) -> int:
        return sum(w.rows for d in self.days for name, w in d.tables.items() if asset in (None, name))

    def summary(self) -> dict:
        return {
            "days_requested": len(self.days),
            "days_written": len(self.of("written")),
            "days_skipped": len(self.of("skipped")),
            "days_unavailable": len(self.of("unavailable")),
            "days_quarantined": len(self.of("quarantined")),
            "rows": self.rows(),
            "requests": self.stats.requests,
            "pages": self.stats.pages,
            "retries": self.stats.retries,
            "rate_limited_429": self.stats.rate_limited,
            "cursor_restarts": self.stats.cursor_restarts,
            "wall_s": round(self.wall_s, 2),
        }


def is_done(endpoint: Endpoint, lake: Lake, day: dt.date, assets: Collection[str]) -> bool:
    """A day counts as done when every selected table holds one fetch of it that had settled.

    A damaged file is not done: the day is fetched again, and the write says it replaced the file."""
    try:
        infos = [lake.day_info(asset, day) for asset in assets]
    except DamagedDayError:
        return False
    if any(info is None for info in infos):
        return False
    if len({info.get("fetch_id") for info in infos}) != 1 or not infos[0].get("fetched_at"):
        return False
    return endpoint.calendar.is_settled(day, dt.datetime.fromisoformat(infos[0]["fetched_at"]))


def spans(days: list[dt.date], longest: int) -> list[list[dt.date]]:
    """Consecutive days grouped into runs of at most `longest`, one request each."""
    groups: list[list[dt.date]] = []
    for day in sorted(days):
        if groups and len(groups[-1]) < longest and day - groups[-1][-1] == dt.timedelta(days=1):
            groups[-1].append(day)
        else:
            groups.append([day])
    return groups


def sync_days(
    endpoint: Endpoint,
    client: ApiClient | None,
    lake: Lake,
    days: Iterable[dt.date],
    *,
    assets: Collection[str] | None = None,
    resume: bool,
    concurrency: int = 4,
    report: SyncReport | None = None,
    today: dt.date | None = None,
    accept_worse: bool = False,
    rebuild: bool = False,
    organization_probe: Endpoint | None = None,
) -> Iterator[DayResult]:
    """Sync `days`, yielding each day's result as it finishes (tallied into `report`).

    A fatal error (a rejected key, a malformed response, a server that keeps failing) stops
    the run: it would fail the same way for every other day. Days already written stay. With
    `rebuild`, days are rebuilt from the answers kept in the lake and no client is needed. For an endpoint
    whose answers name no organization, `organization_probe` is the endpoint asked once which organization
    the key belongs to (`key_organization`).
    """
    report = report if report is not None else SyncReport(endpoint.name)
    assets = list(assets) if assets is not None else endpoint.assets
    today = today or utcnow().date()
    held = {asset: lake.organization(asset) for asset in assets}
    known = None if rebuild or client is None or names_organization(endpoint) else learnt_organization(client)
    for asset, theirs in held.items():
        if known and theirs and theirs != known:
            raise OrganizationMismatchError(asset, None, lake, theirs, known)
    started = time.monotonic()
    todo = []
    for day in sorted(set(days)):
        refused = None if rebuild else endpoint.calendar.refused_without_asking(day, today)
        if refused:
            report.days.append(DayResult(day, "unavailable", refused))
        elif resume and is_done(endpoint, lake, day, assets):
            report.days.append(DayResult(day, "skipped", "already in the lake, fetched after it settled"))
        else:
            todo.append(day)
            continue
        yield report.days[-1]
    with cf.ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix=endpoint.name) as pool:
        futures = [pool.submit(rebuild_span, endpoint, lake, span, assets, held) if rebuild
                   else pool.submit(sync_span, endpoint, client, lake, span, assets, accept_worse, held, organization_probe)
                   for span in spans(todo, endpoint.days_per_request)]
        try:
            for future in cf.as_completed(futures):
                for result in future.result():
                    report.days.append(result)
                    report.stats.add(result.stats)
                    report.wall_s = time.monotonic() - started
                    yield result
        finally:
            for pending in futures:
                pending.cancel()
    report.days.sort(key=lambda r: r.day)
    report.wall_s = time.monotonic() - started
