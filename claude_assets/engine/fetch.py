"""Fetching: one listing of consecutive days of an endpoint, kept as received, then landed day by day.

A refusal of a multi-day span is split until pinned to its day; the answer's organization is learnt from its
envelope or, for answers that name none, asked once per process and key (`key_organization`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from typing import Collection

from claude_assets.engine.client import ApiClient, DayNotAvailableError, RequestStats
from claude_assets.engine.client.errors import ClaudeAssetsError
from claude_assets.engine.endpoint import Endpoint
from claude_assets.engine.guards import (
    answer_parts,
    answered_organization,
    names_organization,
    refuse_two_organizations,
)
from claude_assets.engine.lake import Lake
from claude_assets.engine.land import DayResult, land

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


def learnt_organization(client: ApiClient) -> str | None:
    """The key's organization as this process learnt it already, without asking."""
    return _KEY_ORGANIZATIONS.get(_key(client))


def _learn(endpoint: Endpoint, client: ApiClient, answer: dict, probe: Endpoint | None) -> str | None:
    """The answer's organization; an envelope's also becomes the key's, for the answers that name none."""
    said = next((page["organization_id"] for _, pages in answer_parts(answer) for page in pages
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
    refuse_two_organizations(endpoint, answer)
    organization = _learn(endpoint, client, answer, organization_probe)
    if organization:
        answer["organization_id"] = organization
    name = lake.write_raw(endpoint.name, span[0], span[-1], answer)
    return land(endpoint, lake, span, answer, name, assets, stats, accept_worse, held)
