"""Fetching days of one endpoint into the lake: concurrently, resumably, with progress.

This is what every raw asset runs. Requests run in parallel threads, all paced by the one rate
limiter of their organization and key kind; a time-bucketed report answers up to a month of
days in one request. Each finished day is written atomically at once, so a run that dies
halfway keeps every day it finished, and the next run over the same range skips those days
(unless they were still provisional when fetched).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as dt
import time
import uuid
from typing import Collection, Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from claude_assets.checks import day_findings
from claude_assets.client import ApiClient, DayNotAvailableError, MalformedResponseError, RequestStats
from claude_assets.endpoints import ENVELOPE, Endpoint
from claude_assets.lake import Lake
from claude_assets.tables import flatten


@dataclasses.dataclass
class Written:
    """What was written for one table and day: kept instead of the rows, so a year stays small."""

    rows: int
    extra_fields: dict[str, int]
    unparsed_values: dict[str, int]
    findings: dict
    revisions: dict[str, float]  # numeric column -> new total minus the total it replaced (re-fetches only)
    null_blocks: dict[str, int] = dataclasses.field(default_factory=dict)  # blocks the API sent as null -> rows


@dataclasses.dataclass
class DayResult:
    day: dt.date
    status: str  # "written", "skipped" (already in the lake and settled) or "unavailable"
    reason: str | None = None
    tables: dict[str, Written] = dataclasses.field(default_factory=dict)
    paths: dict[str, str] = dataclasses.field(default_factory=dict)
    stats: RequestStats = dataclasses.field(default_factory=RequestStats)
    fetched_at: dt.datetime | None = None
    envelope: dict = dataclasses.field(default_factory=dict)  # what the answer said of itself (F12), kept with the day

    @property
    def rows(self) -> int:
        return sum(w.rows for w in self.tables.values())


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


def spans(days: list[dt.date], longest: int) -> list[list[dt.date]]:
    """Consecutive days grouped into runs of at most `longest`, one request each."""
    groups: list[list[dt.date]] = []
    for day in sorted(days):
        if groups and len(groups[-1]) < longest and day - groups[-1][-1] == dt.timedelta(days=1):
            groups[-1].append(day)
        else:
            groups.append([day])
    return groups


def sync_span(endpoint: Endpoint, client: ApiClient, lake: Lake, span: list[dt.date], assets: Collection[str]) -> list[DayResult]:
    """Fetch consecutive days in one listing, flatten each day into the endpoint's tables, write them.

    If the API refuses a multi-day span (one of its days is not available), the refusal's newest
    available day, when it names one (the live APIs do, F11), splits the span at once; otherwise the
    span is halved until the refusal is pinned to its day: a few requests, not one per day of the span.
    """
    fetched_at = utcnow()
    end = span[-1] + dt.timedelta(days=1)
    try:
        fetched = client.fetch_all(endpoint.path, endpoint.query(span[0], end), endpoint.pagination, endpoint.records,
                                   endpoint.headers)
    except DayNotAvailableError as exc:
        latest = exc.latest_available
        if len(span) > 1 and latest is not None and latest < span[-1]:
            served = [d for d in span if d <= latest]
            return (sync_span(endpoint, client, lake, served, assets) if served else []) + [
                DayResult(d, "unavailable", exc.reason) for d in span if d > latest]
        if len(span) > 1:
            half = len(span) // 2
            return [r for part in (span[:half], span[half:]) for r in sync_span(endpoint, client, lake, part, assets)]
        return [DayResult(span[0], "unavailable", exc.reason)]
    by_day: dict[dt.date, list[dict]] = {day: [] for day in span}
    for record in fetched.records:
        said = endpoint.record_day(record)
        day = span[0] if said is None and len(span) == 1 else said
        if day not in by_day:
            raise MalformedResponseError(
                f"GET {endpoint.path} for {span[0]}..{span[-1]} returned a record dated {day}, outside the days "
                "asked for. Nothing was written for these days; the API's answer no longer matches its query."
            )
        by_day[day].append(record)
    envelope = {key: fetched.last_page[key] for key in ENVELOPE if fetched.last_page.get(key) is not None}
    results = []
    for day in span:
        result = DayResult(day, "written", fetched_at=fetched_at, envelope=envelope,
                           stats=fetched.stats if day == span[0] else RequestStats())
        parent_rows, flats = None, {}
        for table in endpoint.tables:
            flat, rows = flatten(table, by_day[day], _known(day), parent_rows if table.explode else None)
            if table.explode is None:
                parent_rows = rows
            if table.asset in assets:
                flats[table.asset] = (table, flat)
        info = {"fetched_at": fetched_at.isoformat(), "fetch_id": uuid.uuid4().hex, "endpoint": endpoint.path,
                **envelope}
        for table, flat in reversed(flats.values()):  # children first: the main table completes the day
            revisions = _revisions(lake.read_day(table.asset, day), flat.table)
            result.paths[table.asset] = lake.write_day(table.asset, day, flat.table, info)
            result.tables[table.asset] = Written(
                flat.table.num_rows, flat.extra_fields, flat.unparsed_values, day_findings(table, flat.table), revisions,
                flat.null_blocks,
            )
        results.append(result)
    return results


def _known(day: dt.date) -> dict:
    """What a request for one day already says about its rows: their day and its bounds."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
    return {"date": day, "starting_at": start, "ending_at": start + dt.timedelta(days=1)}


def _revisions(before: pa.Table | None, after: pa.Table) -> dict[str, float]:
    """How the totals of a re-fetched day moved (cost and usage are revised for 30 days)."""
    if before is None:
        return {}
    moved = {}
    for field in after.schema:
        if field.name in before.column_names and (pa.types.is_integer(field.type) or pa.types.is_floating(field.type)):
            old = pc.sum(before[field.name]).as_py() or 0
            new = pc.sum(after[field.name]).as_py() or 0
            if abs(new - old) > 1e-9:
                moved[field.name] = round(new - old, 6)
    return moved


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
    today: dt.date | None = None,
) -> Iterator[DayResult]:
    """Sync `days`, yielding each day's result as it finishes (tallied into `report`).

    A fatal error (a rejected key, a malformed response, a server that keeps failing) stops
    the run: it would fail the same way for every other day. Days already written stay.
    """
    report = report if report is not None else SyncReport(endpoint.name)
    assets = list(assets) if assets is not None else endpoint.assets
    today = today or utcnow().date()
    started = time.monotonic()
    todo = []
    for day in sorted(set(days)):
        refused = endpoint.calendar.refused_without_asking(day, today)
        if refused:
            report.days.append(DayResult(day, "unavailable", refused))
        elif resume and is_done(endpoint, lake, day, assets):
            report.days.append(DayResult(day, "skipped", "already in the lake, fetched after it settled"))
        else:
            todo.append(day)
            continue
        yield report.days[-1]
    with cf.ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix=endpoint.name) as pool:
        futures = [pool.submit(sync_span, endpoint, client, lake, span, assets)
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
