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
import json
import logging
import threading
import time
import uuid
from typing import Collection, Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from claude_assets.engine.client import ApiClient, DayNotAvailableError, MalformedResponseError, RequestStats
from claude_assets.engine.client.errors import ClaudeAssetsError
from claude_assets.engine.endpoint import ENVELOPE, Endpoint
from claude_assets.engine.lake import META_KEY, DamagedDayError, Lake
from claude_assets.engine.tables import Flattened, Table, day_findings, flatten


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


class OrganizationMismatchError(ClaudeAssetsError):
    """One organization's day would land in a lake whose days came from another: two organizations' people and
    totals would mix, and days of the other one would be skipped as already done."""

    def __init__(self, asset: str, day: dt.date | None, lake: Lake, held: str, answered: str):
        where = f"{asset} {day.isoformat()}" if day else asset
        super().__init__(
            f"{where}: the API answers for organization {answered}, but the lake at {lake.base} holds {asset} days "
            f"of organization {held}, so nothing was written. A lake holds one organization. Point "
            "CLAUDE_ASSETS_DATA_DIR (or the organization's data_dir in the file CLAUDE_ASSETS_ORGANIZATIONS names) "
            f"at a folder of its own for {answered}, or check that the keys are those of {held}. If {held} is the "
            "demo's emulated organization (a `make demo` from before the demo had its own ./demo folder), delete "
            "the demo's days from this lake, or the lake if it holds nothing else, and run again."
        )


class OrganizationChangedError(ClaudeAssetsError):
    """One answer's pages name two organizations: landing it would mix them in one day, as the rule above
    stops between days."""

    def __init__(self, endpoint: Endpoint, answer: dict, first: tuple[str, str], then: tuple[str, str]):
        super().__init__(
            f"{endpoint.name} {answer['first']}..{answer['last']}: GET {endpoint.path} answered for organization "
            f"{first[0]} on {first[1]} and for {then[0]} on {then[1]}, so nothing was written. One listing is one "
            "organization's. Check that ANTHROPIC_BASE_URL is the API, not a proxy or cache that mixes answers, and "
            "that the key is one organization's; then run again: days already written are kept."
        )


log = logging.getLogger(__name__)

# (base URL, key fingerprint) -> the organization the key's answers named in their envelope, learnt in this process.
# It stands for the organization of the answers that name none (engagement, the Admin usage and cost reports).
_KEY_ORGANIZATIONS: dict[tuple[str, str], str] = {}
_UNNAMED: set[tuple[str, str]] = set()  # keys whose organization was asked in vain in this process: not asked again
_ASKING = threading.Lock()  # spans land in parallel threads: one of them asks, the others wait for its answer


def forget_key_organizations() -> None:
    """Forget every key's organization, learnt or asked in vain, as a new process starts (a lone `dg launch`)."""
    with _ASKING:
        _KEY_ORGANIZATIONS.clear()
        _UNNAMED.clear()


def _key(client: ApiClient) -> tuple[str, str]:
    return client.base_url, client.key.fingerprint


def names_organization(endpoint: Endpoint) -> bool:
    """Whether the endpoint's answers carry an `organization_id` (in their envelope or in every row)."""
    return any(c.name == "organization_id" for t in endpoint.tables for c in t.columns)


def answered_organization(endpoint: Endpoint, answer: dict) -> str | None:
    """The organization an answer is for: what the sync recorded in it, its pages' envelope, or its rows'."""
    if answer.get("organization_id"):
        return answer["organization_id"]
    if not names_organization(endpoint):
        return None
    return next((said for said, _ in _organizations_named(endpoint, answer)), None)


def _organizations_named(endpoint: Endpoint, answer: dict) -> Iterator[tuple[str, str]]:
    """(organization, where) for each envelope and row of an answer's pages that names one."""
    for grouping, pages in _parts(answer):
        for number, page in enumerate(pages, 1):
            where = f"page {number}" + (f" of grouping {grouping}" if grouping else "")
            for record in [page, *endpoint.records(page)]:
                said = record.get("organization_id") if isinstance(record, dict) else None
                if isinstance(said, str) and said:
                    yield said, where


def _learn(endpoint: Endpoint, client: ApiClient, answer: dict, probe: Endpoint | None) -> str | None:
    """The answer's organization; an envelope's also becomes the key's, for the answers that name none."""
    said = next((page["organization_id"] for _, pages in _parts(answer) for page in pages
                 if isinstance(page.get("organization_id"), str)), None)
    if said:
        _KEY_ORGANIZATIONS[_key(client)] = said
    if names_organization(endpoint):
        return answered_organization(endpoint, answer)
    return key_organization(client, probe)


def key_organization(client: ApiClient, probe: Endpoint | None) -> str | None:
    """The key's organization, for answers that name none: as an envelope named it in this process, or else asked
    once per process and key, when an answer came (a run that fetched nothing asks nothing). Without it a lone
    run of such an endpoint records no organization, and another organization's lake takes its days unchecked."""
    key = _key(client)
    with _ASKING:
        if key not in _KEY_ORGANIZATIONS and key not in _UNNAMED and probe is not None:
            said = _ask_organization(client, probe)
            if said:
                _KEY_ORGANIZATIONS[key] = said
            else:
                _UNNAMED.add(key)
        return _KEY_ORGANIZATIONS.get(key)


def _ask_organization(client: ApiClient, probe: Endpoint) -> str | None:
    """The organization the Usage and Cost Analytics API names in its envelope for yesterday, or None.

    It is the one API either key may call (reference §7.1) whose answer names the organization as the
    envelopes do (`org_...`): the Claude Code report names it per row, as a UUID, and only on days with
    activity. One day, no grouping and no buckets is one row; `limit=1` keeps it so. A refusal (no access,
    the beta off, a HIPAA organization's 400), a failure or an envelope naming none leaves the days unnamed,
    as before: it does not fail the sync."""
    day = utcnow().date() - dt.timedelta(days=1)
    query = {"starting_at": f"{day.isoformat()}T00:00:00Z",
             "ending_at": f"{(day + dt.timedelta(days=1)).isoformat()}T00:00:00Z", "limit": 1}
    try:
        said = client.get_json(probe.path, query, headers=probe.headers).get("organization_id")
    except ClaudeAssetsError as exc:
        log.info("GET %s could not tell the key's organization (%s); days of answers naming none record no "
                 "organization in this process", probe.path, type(exc).__name__)
        return None
    return said if isinstance(said, str) and said else None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


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


def sync_span(endpoint: Endpoint, client: ApiClient, lake: Lake, span: list[dt.date], assets: Collection[str],
              accept_worse: bool = False, held: dict[str, str | None] | None = None,
              organization_probe: Endpoint | None = None) -> list[DayResult]:
    """Fetch consecutive days in one listing, keep the answer, flatten each day into the endpoint's tables, write them.

    If the API refuses a multi-day span (one of its days is not available), the refusal's newest
    available day, when it names one (the live APIs do, F11), splits the span at once; otherwise the
    span is halved until the refusal is pinned to its day: a few requests, not one per day of the span.
    """
    fetched_at = utcnow()
    end = span[-1] + dt.timedelta(days=1)
    parts, stats = [], RequestStats()
    try:
        for grouping, query in endpoint.queries(span[0], end):
            fetched = client.fetch_all(endpoint.path, query, endpoint.pagination, endpoint.records, endpoint.headers,
                                       max_pages=endpoint.max_pages(len(span)))
            parts.append({"grouping": grouping, "query": query, "pages": fetched.pages})
            stats.add(fetched.stats)
    except DayNotAvailableError as exc:
        again = lambda days: sync_span(endpoint, client, lake, days, assets, accept_worse, held,  # noqa: E731
                                       organization_probe)
        latest = exc.latest_available
        if len(span) > 1 and latest is not None and latest < span[-1]:
            served = [d for d in span if d <= latest]
            return (again(served) if served else []) + [
                DayResult(d, "unavailable", exc.reason) for d in span if d > latest]
        if len(span) > 1:
            half = len(span) // 2
            return again(span[:half]) + again(span[half:])
        return [DayResult(span[0], "unavailable", exc.reason)]
    answer = {"endpoint": endpoint.name, "path": endpoint.path, "fetched_at": fetched_at.isoformat(),
              "fetch_id": uuid.uuid4().hex, "first": span[0].isoformat(), "last": span[-1].isoformat()}
    if endpoint.groupings:
        answer["parts"] = parts
    else:
        answer.update(query=parts[0]["query"], pages=parts[0]["pages"])
    _refuse_two_organizations(endpoint, answer)
    organization = _learn(endpoint, client, answer, organization_probe)
    if organization:
        answer["organization_id"] = organization
    name = lake.write_raw(endpoint.name, span[0], span[-1], answer)
    return _land(endpoint, lake, span, answer, name, assets, stats, accept_worse, held)


def _refuse_two_organizations(endpoint: Endpoint, answer: dict) -> None:
    """Stop before an answer whose pages (or groupings) name two organizations lands: one answer is one
    organization's days, as a lake is one organization's."""
    first = None
    for said, where in _organizations_named(endpoint, answer):
        if first is None:
            first = (said, where)
        elif said != first[0]:
            raise OrganizationChangedError(endpoint, answer, first, (said, where))


def _parts(answer: dict) -> list[tuple[str | None, list[dict]]]:
    """(grouping, pages) of a kept answer: one part, or one per grouping of an endpoint that has them."""
    if "parts" in answer:
        return [(part["grouping"], part["pages"]) for part in answer["parts"]]
    return [(None, answer["pages"])]


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
        results += _land(endpoint, lake, days, answer, name, assets, RequestStats(), accept_worse=True, held=held)
    return results


def _land(endpoint: Endpoint, lake: Lake, span: list[dt.date], answer: dict, raw_name: str,
          assets: Collection[str], stats: RequestStats, accept_worse: bool,
          held: dict[str, str | None] | None = None) -> list[DayResult]:
    """Flatten a kept answer into each of its days and write them, unless a day would get worse or came from
    another organization than the lake's (`held`: each asset's, when the caller looked already)."""
    parts = _parts(answer)
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
                held = _check_organization(lake, table.asset, day, befores[table.asset][0], organization, held)
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


def _check_organization(lake: Lake, asset: str, day: dt.date, before: pa.Table | None, organization: str,
                        held: dict[str, str | None] | None) -> dict[str, str | None]:
    """Stop before a day of `organization` replaces another organization's day, or joins a lake of another's.

    Days written before days recorded their organization say none, and are accepted. Returns `held`, looked up
    once when the caller had not."""
    held = {} if held is None else held
    if asset not in held:
        held[asset] = lake.organization(asset)
    kept = json.loads((before.schema.metadata or {}).get(META_KEY, b"{}")) if before is not None else {}
    theirs = kept.get("organization_id") or held[asset]
    if theirs and theirs != organization:
        raise OrganizationMismatchError(asset, day, lake, theirs, organization)
    return held


MIN_ROWS_SHARE = 0.5  # a settled day answered with fewer rows than this share of the kept ones is suspect
MIN_ROWS_EMPTIED = 3  # a column all null in one or two rows may be the data (a deleted project), not drift


def worse(endpoint: Endpoint, table: Table, day: dt.date, before: pa.Table | None, new: Flattened) -> list[str]:
    """Why a new answer for a day would make the day in the lake worse; empty when it is at least as good.

    Worse means: a key column that had a value in every row of a kind (`KINDS`) now has nulls in that kind;
    columns that had values are now empty in every one of three or more rows (a block of fields gone); values
    that parsed before no longer do; or, for a day that had settled, far fewer rows. A new field is not worse:
    it goes to `extra`. Dimensions are left out, as which of them hold values follows the query's grouping."""
    after = new.table
    if before is None or before.num_rows == 0:
        return []
    shared = [c for c in after.column_names if c in before.column_names and c != "extra"]
    key = [c for c in table.natural_key if c in shared and c != "date"]
    dimensions = {c.name for c in table.columns if c.blank_is_null}
    problems = _unidentified(key, before, after)
    emptied = [c for c in shared if c not in key and c not in dimensions and after.num_rows >= MIN_ROWS_EMPTIED
               and before[c].null_count < before.num_rows and after[c].null_count == after.num_rows]
    if emptied:
        problems.append(f"{len(emptied)} column(s) that had values are now empty ({', '.join(emptied[:8])}"
                        f"{', ...' if len(emptied) > 8 else ''})")
    problems += [f"{n} value(s) of {c} no longer parse (kept in extra._unparsed)" for c, n in new.unparsed_values.items()
                 if c in shared and before[c].null_count < before.num_rows]
    kept = json.loads((before.schema.metadata or {}).get(META_KEY, b"{}"))
    settled = kept.get("fetched_at") and endpoint.calendar.is_settled(day, dt.datetime.fromisoformat(kept["fetched_at"]))
    if settled and after.num_rows < before.num_rows * MIN_ROWS_SHARE:
        problems.append(f"{after.num_rows} rows where the settled day had {before.num_rows}")
    return problems


KINDS = ("grouping", "actor_type")  # key columns that say what kind of row it is: which other key columns it has


def _unidentified(key: list[str], before: pa.Table, after: pa.Table) -> list[str]:
    """Key columns that had a value in every row of a kind of row and now have nulls in rows of that kind.

    A row's identity is its whole key, judged per kind of row: an API key's row has no e-mail, so the first such
    row in a day of members' rows is new data, not drift. The kind columns themselves are judged over every row."""
    kinds = [c for c in key if c in KINDS]
    problems = [(c, after[c].null_count, "row") for c in kinds if before[c].null_count == 0 and after[c].null_count]
    kind_before = list(zip(*(before[c].to_pylist() for c in kinds))) if kinds else [()] * before.num_rows
    kind_after = list(zip(*(after[c].to_pylist() for c in kinds))) if kinds else [()] * after.num_rows
    for c in key:
        if c in kinds:
            continue
        gaps = {kind for kind, value in zip(kind_before, before[c].to_pylist()) if value is None}
        full = set(kind_before) - gaps
        nulls = sum(1 for kind, value in zip(kind_after, after[c].to_pylist()) if value is None and kind in full)
        if nulls:
            problems.append((c, nulls, f"row of its {' and '.join(kinds)}" if kinds else "row"))
    return [f"key column {c} is null in {nulls} of {after.num_rows} rows (it had a value in every {where})"
            for c, nulls, where in problems]


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
    known = None if rebuild or client is None or names_organization(endpoint) else _KEY_ORGANIZATIONS.get(_key(client))
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
