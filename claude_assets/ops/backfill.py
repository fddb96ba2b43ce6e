"""`claude-assets backfill`: a long backfill launched through the running Dagster instance.

It asks the webserver's GraphQL API (`launchPartitionBackfill`) for one backfill per chunk of
days, clamped to the days each asset's API still serves (one line says what was left out and why;
days beyond an API's history window are history, not failures), and waits for each chunk before launching
the next: the chunks of one organization share its rate budget, so running them one after
another is as fast as running them together, and each chunk's runs show up in the UI as they
land. Stopping the command stops launching; running it again fetches only what is missing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Callable, Sequence

import httpx

from claude_assets.engine import calendars
from claude_assets.engine.organizations import DEFAULT, Organization
from claude_assets.sources import ENDPOINTS

DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
SUCCEEDED = {"COMPLETED", "COMPLETED_SUCCESS"}

LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}"""

STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status numPartitions }
    ... on Error { message }
  }
}"""


class BackfillError(Exception):
    pass


@dataclasses.dataclass
class Chunk:
    start: dt.date
    end: dt.date
    ranges: dict[str, tuple[dt.date, dt.date]]  # asset key (`acme/api_cost`) -> first and last day it can hold


def selected_calendars(select: list[str] | None) -> dict[str, calendars.Calendar]:
    """Each selected raw asset (all when `select` is empty) and the calendar it is partitioned on."""
    known = {asset: endpoint.calendar for endpoint in ENDPOINTS for asset in endpoint.assets}
    unknown = sorted(set(select or []) - set(known))
    if unknown:
        raise BackfillError(f"Unknown assets: {', '.join(unknown)}. Known: {', '.join(known)}")
    return {asset: calendar for asset, calendar in known.items() if not select or asset in select}


def fitted(start: dt.date, end: dt.date, select: list[str] | None, *, served: bool) -> calendars.Fitted:
    """[start, end] fitted to the selected assets' calendars today (see `calendars.fit`); a reversed range is
    refused, as `backfill` and `rebuild` would otherwise have nothing to do and say so obscurely."""
    if end < start:
        raise BackfillError(f"--to {end} is before --from {start}; write them the other way round.")
    today = dt.datetime.now(dt.timezone.utc).date()
    return calendars.fit(start, end, selected_calendars(select), today, served=served)


def asset_ranges(select: list[str] | None, orgs: Sequence[Organization] = (DEFAULT,)) -> dict[str, tuple[dt.date, dt.date]]:
    """Each selected raw asset's first day its API still serves and last partition, for every organization in `orgs`."""
    today = dt.datetime.now(dt.timezone.utc).date()
    return {org.key(asset).to_user_string(): calendar.bounds(today, served=True)
            for asset, calendar in selected_calendars(select).items() for org in orgs}


def plan(start: dt.date, end: dt.date, ranges: dict[str, tuple[dt.date, dt.date]], chunk_days: int) -> list[Chunk]:
    """Chunks of at most `chunk_days` covering [start, end], each asset clamped to its calendar."""
    chunks = []
    cursor = start
    while cursor <= end:
        stop = min(end, cursor + dt.timedelta(days=chunk_days - 1))
        clamped = {
            asset: (max(cursor, first), min(stop, last))
            for asset, (first, last) in ranges.items()
            if max(cursor, first) <= min(stop, last)
        }
        if clamped:
            chunks.append(Chunk(cursor, stop, clamped))
        cursor = stop + dt.timedelta(days=1)
    return chunks


class Webserver:
    """The few GraphQL calls a backfill needs."""

    def __init__(self, url: str, timeout_s: float = 60.0):
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=timeout_s)

    def _call(self, query: str, variables: dict) -> dict:
        try:
            response = self._http.post(f"{self.url}/graphql", json={"query": query, "variables": variables})
        except httpx.TransportError as exc:
            raise BackfillError(
                f"Cannot reach the Dagster webserver at {self.url} ({type(exc).__name__}). Start it "
                "(`dagster dev -w workspace.yaml`, or `make ui`) or pass --url."
            ) from None
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise BackfillError(f"The webserver refused the request: {body.get('errors') or response.text[:500]}")
        return body["data"]

    def launch(self, chunk: Chunk, title: str) -> str:
        params = {
            "partitionsByAssets": [
                {"assetKey": {"path": asset.split("/")}, "partitions": {"range": {"start": a.isoformat(), "end": b.isoformat()}}}
                for asset, (a, b) in sorted(chunk.ranges.items())
            ],
            "title": title,
            "tags": [{"key": "claude_assets/backfill", "value": title}],
        }
        result = self._call(LAUNCH, {"params": params})["launchPartitionBackfill"]
        if result["__typename"] != "LaunchBackfillSuccess":
            raise BackfillError(f"Dagster did not launch the backfill: {result.get('message') or result['__typename']}")
        return result["backfillId"]

    def status(self, backfill_id: str) -> str:
        result = self._call(STATUS, {"id": backfill_id})["partitionBackfillOrError"]
        if result["__typename"] != "PartitionBackfill":
            raise BackfillError(f"Backfill {backfill_id}: {result.get('message') or result['__typename']}")
        return result["status"]


def run_backfill(
    *,
    start: dt.date,
    end: dt.date,
    select: list[str] | None,
    orgs: Sequence[Organization],
    url: str,
    chunk_days: int,
    poll_s: float = 5.0,
    say: Callable[[str], None] = print,
) -> int:
    fit = fitted(start, end, select, served=True)
    if fit.outside:
        raise BackfillError("\n".join(fit.notes))
    for note in fit.notes:
        say(note)
    ranges = {org.key(asset).to_user_string(): days for asset, days in fit.ranges.items() for org in orgs}
    chunks = plan(start, end, ranges, chunk_days)
    if not chunks:
        say(f"Nothing to ask for: every selected day between {start} and {end} is left out above.")
        return 0
    server = Webserver(url)
    say(f"{len(chunks)} chunk(s) of at most {chunk_days} days, launched one after another through {server.url}")
    failed = []
    for number, chunk in enumerate(chunks, 1):
        title = f"claude-assets {chunk.start}..{chunk.end}"
        backfill_id = server.launch(chunk, title)
        say(f"[{number}/{len(chunks)}] {chunk.start}..{chunk.end}: backfill {backfill_id} for "
            f"{len(chunk.ranges)} assets ({server.url}/runs/b/{backfill_id})")
        status = server.status(backfill_id)
        while status not in DONE:
            time.sleep(poll_s)
            status = server.status(backfill_id)
        say(f"[{number}/{len(chunks)}] {status.lower()}")
        if status not in SUCCEEDED:
            failed.append(backfill_id)
    if failed:
        say(f"Backfills that did not succeed: {', '.join(failed)}. Open them in the UI for the failed runs; "
            "running this command again fetches only the days still missing.")
        return 1
    return 0
