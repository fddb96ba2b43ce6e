"""Does each key reach its API, and what may it read? The questions behind `claude-assets check` (ops/check.py)
and the `connection_check` job (defs/jobs.py).

Fivetran and Airbyte test a connection before the first sync; this is that test, so a wrong key shows
up here and not as a failed run. For each organization and API it asks one small question (one recent
day, `limit=1`; two when the API names a newer day than the one asked) and prints one line: whether the
API answers, what the key may read (scope, Access toggle, Claude Enterprise or Console organization, the
endpoints it serves), the newest day and the rate budget. A failure is followed by the numbered steps the
client's error gives. Keys are never printed, only the variables that hold them, and everything printed or
logged passes `redact`, should an answer quoted in a failure echo a key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from typing import Mapping, Sequence

import httpx

from claude_assets.engine.client import (
    ApiClient,
    ApiKey,
    ClaudeAssetsError,
    DayNotAvailableError,
    InsecureBaseUrlError,
    KeyKind,
    KeyRejectedError,
    MalformedResponseError,
    MissingKeyError,
    PermissionDeniedError,
    RateLimitedError,
    RequestStats,
    ServerError,
    TransportError,
    WrongKeyKindError,
)
from claude_assets.engine.client.errors import HostNotAllowedError, UnreachableHostError
from claude_assets.engine.endpoint import Endpoint
from claude_assets.engine.organizations import KEY_KINDS, Organization
from claude_assets.engine.source import Probe, Source

MAX_RETRIES = 1  # a check answers in seconds: one more try for a 429 or 5xx, not the sync's patience
TIMEOUT_S = 30.0
RATE_HEADERS = ("anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-remaining",
                "anthropic-ratelimit-requests-reset")


_ORGANIZATION = {"admin": "a Claude Console organization", "analytics": "a Claude Enterprise organization"}


@dataclasses.dataclass(frozen=True)
class Credential:
    """One key as the check gets it (from the environment or a Dagster resource) and where it is sent."""

    text: str | None = dataclasses.field(repr=False)
    env_var: str
    base_url: str
    requests_per_minute: float | None


@dataclasses.dataclass(frozen=True)
class Line:
    organization: str
    api: str
    env_var: str
    status: str  # OK, FAIL or SKIP
    said: str
    details: str = ""  # a failure's whole message: the cause, then the numbered checks


@dataclasses.dataclass
class Report:
    lines: list[Line]
    requests: int

    @property
    def failed(self) -> list[Line]:
        return [line for line in self.lines if line.status == "FAIL"]

    def table(self) -> str:
        """One line per organization and API."""
        widths = [max(len(getattr(line, f)) for line in self.lines) for f in ("organization", "api", "env_var")]
        return "\n".join(
            f"{line.status:<4}  {line.organization:<{widths[0]}}  {line.api:<{widths[1]}}  "
            f"{line.env_var:<{widths[2]}}  {line.said}" for line in self.lines)

    def text(self) -> str:
        """The table, then each distinct failure once with its steps, or that all passed."""
        if not self.failed:
            return f"{self.table()}\n\nEvery check passed ({_requests(self.requests)})."
        causes: dict[str, list[Line]] = {}
        for line in self.failed:
            causes.setdefault(line.details, []).append(line)
        blocks = [", ".join(f"{l.organization} / {l.api} ({l.env_var})" for l in lines) + ":\n  "
                  + details.replace("\n", "\n  ") for details, lines in causes.items()]
        return (f"{self.table()}\n\n{len(self.failed)} of {len(self.lines)} checks failed "
                f"({_requests(self.requests)}). What to do:\n\n" + "\n\n".join(blocks))


def _requests(n: int) -> str:
    return f"{n} request{'' if n == 1 else 's'} sent"


def from_environment(org: Organization) -> dict[str, Credential]:
    """The organization's keys as `claude-assets check` reads them: from the variables the sync reads."""
    return {kind: Credential(os.environ.get(org.key_env(kind)), org.key_env(kind), org.base_url,
                             org.requests_per_minute(kind)) for kind in KEY_KINDS}


def from_resources(resources, org: Organization) -> dict[str, Credential]:
    """The organization's keys as its Dagster resources hold them, so the job checks what the assets use."""
    found = {}
    for kind in KEY_KINDS:
        api = getattr(resources, org.resource(f"{kind}_api"))
        found[kind] = Credential(api.api_key, api.key_env_var or org.key_env(kind), api.base_url,
                                 api.requests_per_minute)
    return found


def probes(catalogue: Sequence[Source]) -> list[tuple[Probe, list[Source]]]:
    """Each probe once, with the sources it vouches for: the current APIs first, then the legacy ones."""
    found: dict[Probe, list[Source]] = {}
    legacy = lambda source: all(e.legacy for e in source.endpoints)  # noqa: E731
    for source in sorted((s for s in catalogue if s.probe), key=legacy):
        found.setdefault(source.probe, []).append(source)
    return list(found.items())


def check(organizations: Mapping[Organization, Mapping[str, Credential]], catalogue: Sequence[Source],
          today: dt.date | None = None) -> Report:
    """Ask each of the catalogue's probes once per organization and key; one line each."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    report = Report([], 0)
    unreachable: dict[str, UnreachableHostError] = {}  # base URL -> why: a dead host is asked once, not per API
    for org, credentials in organizations.items():
        report.lines += check_organization(org, credentials, probes(catalogue), today, report, unreachable)
    return report


def check_organization(org: Organization, credentials: Mapping[str, Credential],
                       probes: list[tuple[Probe, list[Source]]], today: dt.date, report: Report,
                       unreachable: dict[str, UnreachableHostError]) -> list[Line]:
    if not any((c.text or "").strip() for c in credentials.values()):
        admin, analytics = (credentials[kind].env_var for kind in KEY_KINDS)
        return [Line(org.name, "every API", f"{admin} / {analytics}", "FAIL", "neither key is set: nothing to check",
                     f"Neither {admin} nor {analytics} is set. Set the key(s) the organization has (README: Run it "
                     "for your organization) in the environment of the code location, then check again.")]
    lines, clients = [], {}
    try:
        for api, vouched in probes:
            probe = next(e for s in vouched for e in s.endpoints if e.name == api.endpoint)
            kind = org.key_kind(probe)
            credential = credentials[kind]
            line = functools.partial(Line, org.name, api.api, credential.env_var)
            covered = [e for s in vouched for e in s.endpoints if org.syncs(e)]
            dead = unreachable.get(credential.base_url)
            if not covered:
                lines.append(line("SKIP", "not synced (legacy_usage_cost is off)"))
            elif not (credential.text or "").strip():
                lines.append(line("SKIP", f"not set: this API's {sum(len(e.assets) for e in covered)} assets fail "
                                          "until it is"))
            elif dead:
                lines.append(line("FAIL", _short(dead), str(dead)))
            else:
                try:
                    if kind not in clients:
                        clients[kind] = _client(org, kind, credential)
                    lines.append(line("OK", _ask(clients[kind], api, probe, covered, kind, credential, today, report)))
                except ClaudeAssetsError as exc:
                    if isinstance(exc, UnreachableHostError):
                        unreachable[credential.base_url] = exc
                    lines.append(line("FAIL", _short(exc), str(exc)))
    finally:
        for client in clients.values():
            client.close()
    return lines


def _client(org: Organization, kind: str, credential: Credential) -> ApiClient:
    return ApiClient(ApiKey(credential.text, KeyKind(kind), credential.env_var), credential.base_url,
                     requests_per_minute=credential.requests_per_minute, organization=org.name,
                     max_retries=MAX_RETRIES, timeout_s=TIMEOUT_S)


def _ask(client: ApiClient, api: Probe, probe: Endpoint, covered: list[Endpoint], kind: str, credential: Credential,
         today: dt.date, report: Report) -> str:
    """One line of what the API said to the newest day it could have: yesterday, or the newest it names."""
    day = today - dt.timedelta(days=1)
    stats = RequestStats()
    try:
        try:
            page, headers = _get(client, probe, day, stats)
        except DayNotAvailableError as exc:
            day = exc.latest_available or today - dt.timedelta(days=probe.calendar.lag_days)
            page, headers = _get(client, probe, day, stats)
    finally:
        report.requests += stats.requests
    reads = api.reads or f"the {kind.capitalize()} key is accepted ({_ORGANIZATION[kind]})"
    organization = page.get("organization_id")
    paths = dict.fromkeys(e.path.removeprefix("/v1/organizations/").removeprefix("analytics/") for e in covered)
    return (f"answers: {reads}{f', organization {organization}' if organization else ''}; "
            f"reads {', '.join(paths)}; newest day {day.isoformat()}: {_day(probe, page)}; {_budget(headers, credential)}")


def _get(client: ApiClient, endpoint: Endpoint, day: dt.date, stats: RequestStats) -> tuple[dict, httpx.Headers]:
    """The endpoint's own query for one day, cut to one record where the endpoint takes a limit."""
    query = endpoint.query(day, day + dt.timedelta(days=1))
    if "limit" in query:
        query["limit"] = 1
    return client.get_with_headers(endpoint.path, query, stats, endpoint.headers)


def _day(endpoint: Endpoint, page: dict) -> str:
    records = list(endpoint.records(page))
    if not records:
        return "no activity"
    first = records[0]
    if "assigned_seat_count" in first:
        return f"{first.get('daily_active_user_count')} active users of {first['assigned_seat_count']} seats"
    return "has data"


def _budget(headers: Mapping[str, str], credential: Credential) -> str:
    """What the API says is left of the rate budget, if it says; else the pace this code location keeps."""
    limit, remaining, reset = (headers.get(name) for name in RATE_HEADERS)
    if limit or remaining:
        return (f"rate budget {remaining or '?'} of {limit or '?'} requests left"
                + (f", resets {reset}" if reset else ""))
    pace = f"{credential.requests_per_minute:g}/min" if credential.requests_per_minute else "no pace"
    return f"rate budget: not in the answer's headers, paced here at {pace}"


def _short(exc: ClaudeAssetsError) -> str:
    """The failure in a few words; the full message, with the steps, follows the table."""
    status = getattr(exc, "status", None)
    for kind, said in (
        (UnreachableHostError, "unreachable: connection refused or no such host (ANTHROPIC_BASE_URL)"),
        (TransportError, "no answer: the network failed or timed out"),
        (WrongKeyKindError, "the wrong kind of key (not sent)"),
        (MissingKeyError, "the key is malformed (not sent)"),
        (InsecureBaseUrlError, "base URL refused: keys go over https only (not sent)"),
        (HostNotAllowedError, "base URL refused: host not allowed (not sent)"),
        (PermissionDeniedError, f"the key lacks the scope this API needs (HTTP {status})"),
        (KeyRejectedError, f"the key is rejected (HTTP {status})" + (
            ", or Access is off, or not a Claude Enterprise organization" if status == 404 else "")),
        (RateLimitedError, "rate limited: something else spends this budget"),
        (ServerError, f"the API failed (HTTP {status})"),
        (MalformedResponseError, "the answer is not the API's"),
    ):
        if isinstance(exc, kind):
            return said
    return f"refused (HTTP {status})" if status else type(exc).__name__
