"""Landing: a kept answer flattened into each of its days' tables and written, each day atomically.

The same path serves a fetch and a rebuild from the answers kept in the lake's `_raw/`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Collection

import pyarrow as pa
import pyarrow.compute as pc

from claude_assets.engine.client import MalformedResponseError, RequestStats
from claude_assets.engine.endpoint import ENVELOPE, Endpoint
from claude_assets.engine.guards import answer_parts, answered_organization, check_organization, worse
from claude_assets.engine.lake import DamagedDayError, Lake
from claude_assets.engine.tables import day_findings, flatten


@dataclasses.dataclass
class Written:
    """What was written for one table and day: kept instead of the rows, so a year stays small."""

    rows: int
    extra_fields: dict[str, int]
    unparsed_values: dict[str, int]
    findings: dict
    revisions: dict[str, float]  # numeric column -> new total minus the total it replaced (re-fetches only)
    null_blocks: dict[str, int] = dataclasses.field(default_factory=dict)  # blocks the API sent as null -> rows
    replaced_damaged: str | None = None  # the unreadable file this write replaced


@dataclasses.dataclass
class DayResult:
    day: dt.date
    status: str  # "written", "skipped" (in the lake and settled), "unavailable" or "quarantined" (looked worse)
    reason: str | None = None
    tables: dict[str, Written] = dataclasses.field(default_factory=dict)
    paths: dict[str, str] = dataclasses.field(default_factory=dict)
    stats: RequestStats = dataclasses.field(default_factory=RequestStats)
    fetched_at: dt.datetime | None = None
    envelope: dict = dataclasses.field(default_factory=dict)  # what the answer said of itself (F12), kept with the day
    problems: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # why it looked worse, if accepted anyway

    @property
    def rows(self) -> int:
        return sum(w.rows for w in self.tables.values())


def rebuild_span(endpoint: Endpoint, lake: Lake, span: list[dt.date], assets: Collection[str],
                 held: dict[str, str | None] | None = None) -> list[DayResult]:
    """Rebuild days from the answers kept in the lake, asking the API nothing.

    Each day is rebuilt from the answer it was last built from (or, if its file is gone, the newest
    answer that covers it), so a fix to a flattener or a field promoted out of `extra` reaches every
    day without a request."""
    chosen: dict[str, list[dt.date]] = {}
    results = []
    for day in span:
        names = lake.raw_answers(endpoint.name, day)
        if not names:
            results.append(DayResult(day, "unavailable", "no answer from the API is kept for this day in the lake's "
                                     "_raw folder: fetch it (run without rebuild_from_raw)"))
            continue
        try:
            current = (lake.day_info(endpoint.tables[0].asset, day) or {}).get("raw")
        except DamagedDayError:
            current = None
        chosen.setdefault(current if current in names else names[0], []).append(day)
    for name, days in chosen.items():
        answer = lake.read_raw(name)
        results += land(endpoint, lake, days, answer, name, assets, RequestStats(), accept_worse=True, held=held)
    return results


def land(endpoint: Endpoint, lake: Lake, span: list[dt.date], answer: dict, raw_name: str,
          assets: Collection[str], stats: RequestStats, accept_worse: bool,
          held: dict[str, str | None] | None = None) -> list[DayResult]:
    """Flatten a kept answer into each of its days and write them, unless a day would get worse or came from
    another organization than the lake's (`held`: each asset's, when the caller looked already)."""
    parts = answer_parts(answer)
    records = [{**record, "_grouping": grouping} if grouping else record
               for grouping, pages in parts for page in pages for record in endpoint.records(page)]
    first, last = dt.date.fromisoformat(answer["first"]), dt.date.fromisoformat(answer["last"])
    by_day: dict[dt.date, list[dict]] = {day: [] for day in span}
    for record in records:
        said = endpoint.record_day(record)
        day = first if said is None and first == last else said
        if day is None or not first <= day <= last:
            raise MalformedResponseError(
                f"GET {endpoint.path} for {first}..{last} returned a record dated {day}, outside the days "
                "asked for. Nothing was written for these days; the API's answer no longer matches its query."
            )
        if day in by_day:
            by_day[day].append(record)
    last_page = next((pages[-1] for _, pages in reversed(parts) if pages), {})
    envelope = {key: last_page[key] for key in ENVELOPE if last_page.get(key) is not None}
    fetched_at = dt.datetime.fromisoformat(answer["fetched_at"])
    organization = answered_organization(endpoint, answer)
    results = []
    for day in span:
        result = DayResult(day, "written", fetched_at=fetched_at, envelope=envelope,
                           stats=stats if day == span[0] else RequestStats())
        parent_rows, flats = None, {}
        for table in endpoint.tables:
            flat, rows = flatten(table, by_day[day], _known(day), parent_rows if table.explode else None)
            if table.explode is None:
                parent_rows = rows
            if table.asset in assets:
                flats[table.asset] = (table, flat)
        info = {"fetched_at": answer["fetched_at"], "fetch_id": uuid.uuid4().hex, "endpoint": endpoint.path,
                "raw": raw_name, **envelope, **({"organization_id": organization} if organization else {})}
        befores, problems = {}, {}
        for table, flat in flats.values():
            try:
                befores[table.asset] = (lake.read_day(table.asset, day), None)
            except DamagedDayError as exc:
                befores[table.asset] = (None, exc.location)
            if organization:
                held = check_organization(lake, table.asset, day, befores[table.asset][0], organization, held)
            found = worse(endpoint, table, day, befores[table.asset][0], flat)
            if found:
                problems[table.asset] = found
        if problems and not accept_worse:
            result.status = "quarantined"
            result.reason = "; ".join(f"{asset}: {', '.join(found)}" for asset, found in problems.items())
            for table, flat in flats.values():
                result.paths[table.asset] = lake.quarantine(
                    table.asset, day, flat.table, {**info, "problems": problems.get(table.asset, [])})
            results.append(result)
            continue
        result.problems = problems
        for table, flat in reversed(flats.values()):  # children first: the main table completes the day
            before, damaged = befores[table.asset]
            revisions = _revisions(before, flat.table)
            result.paths[table.asset] = lake.write_day(table.asset, day, flat.table, info)
            result.tables[table.asset] = Written(
                flat.table.num_rows, flat.extra_fields, flat.unparsed_values, day_findings(table, flat.table), revisions,
                flat.null_blocks, damaged,
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
