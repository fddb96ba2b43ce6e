"""Reading Claude Code's events (OTLP logs) from the same Collector files as its metrics.

Events carry what the counters cannot: the exact cost of each API request (`cost_usd_micros`),
API errors, every tool decision and its result. Claude Code exports them as `resourceLogs` lines,
in their own file or in the metrics file when a Collector's logs and metrics pipelines share one
file exporter; metrics lines are skipped here as events lines are skipped by the metrics reader.

- One row per event, on the UTC day of its `timeUnixNano` (else `observedTimeUnixNano`, else its
  `event.timestamp`), attributed to a person exactly as the metrics are (`telemetry._identity`).
- A record delivered twice (a retried export) is kept once.
- A record whose numbers or time cannot be (NaN, Infinity, a negative or 64-bit-overflowing count
  or cost, a time outside 1970 to 9999-12-30, a number that is not one) is left out and counted in
  `bad_values`; its line is counted and quoted as a bad line once, and its other records count.
- What people typed and what tools read or wrote is never stored, even when a client sends it
  (OTEL_LOG_USER_PROMPTS, OTEL_LOG_TOOL_DETAILS, OTEL_LOG_TOOL_CONTENT, OTEL_LOG_RAW_API_BODIES):
  those attributes are dropped and only counted. Every other attribute a column does not hold is
  kept in `attributes` (JSON), so event kinds without columns lose nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any, Iterable, Iterator

from claude_assets.engine.lake import Lake
from claude_assets.engine.telemetry.days import DayLines, Line, LinesReport
from claude_assets.engine.telemetry.files import BadValue, amount, day_of, nanos, whole
from claude_assets.engine.telemetry.metrics import (
    DEFAULT_IDENTITY_ATTRIBUTES,
    LINE_ERRORS,
    _attributes,
    _identity,
    _text,
)

PREFIX = "claude_code."
SCOPE = "com.anthropic.claude_code.events"
# Attributes holding what a person typed or a tool read or wrote: never stored.
CONTENT = frozenset({"prompt", "prompt_text", "response", "tool_input", "tool_parameters", "tool_content", "body",
                     "body_ref", "content", "input", "output"})
MAX_COST_USD = 2**53 / 1_000_000  # a request's cost in USD whose micro-dollars a double holds exactly
IDENTITY_COLUMNS = ("identity_source", "identity", "email", "account_id", "model", "terminal_type",
                    "organization_id", "service_version")  # as `telemetry._identity` returns them
# column -> attribute, for the typed columns read straight from an attribute
TEXT = {"session_id": "session.id", "prompt_id": "prompt.id", "speed": "speed",
        "query_source": "query_source", "request_id": "request_id", "tool_name": "tool_name",
        "tool_use_id": "tool_use_id", "decision": "decision", "error": "error", "error_type": "error_type"}
INTEGER = {"sequence": "event.sequence", "input_tokens": "input_tokens", "output_tokens": "output_tokens",
           "cache_read_tokens": "cache_read_tokens", "cache_creation_tokens": "cache_creation_tokens",
           "duration_ms": "duration_ms", "status_code": "status_code", "attempt": "attempt"}
# read elsewhere, or the identity's: not repeated in `attributes`
_READ = frozenset({*TEXT.values(), *INTEGER.values(), "model", "event.name", "event.timestamp", "cost_usd",
                   "cost_usd_micros", "success", "source", "decision_source", "user.email", "user.account_id", "user.account_uuid",
                   "user.id", "organization.id", "service.version", "terminal.type", "service.name"})


@dataclasses.dataclass
class EventsReport(LinesReport):
    """What reading events cost and skipped, for the materialization's metadata."""

    event_lines: int = 0
    records: int = 0
    duplicates: int = 0
    other_scopes: int = 0  # log records that are not Claude Code's events (another app on the same Collector)
    other_organization_records: int = 0
    content_attributes_dropped: int = 0
    events: dict[str, int] = dataclasses.field(default_factory=dict)  # event name -> records


def _int(value: Any, what: str) -> int | None:
    """A count (never negative, held in 64 bits). Claude Code sends some as strings (`prompt_length`, a
    `duration_ms`), Collectors 64-bit ints as strings too; `BadValue` for what cannot be one."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, str)) and not isinstance(value, bool) and str(value).strip().lstrip("-").isdigit():
        return whole(value, what)  # exact, where a double would round a 64-bit int
    return int(amount(value, what))


def _cost_micros(attributes: dict) -> int | None:
    """Exact when the client sends `cost_usd_micros`; older clients send only the float `cost_usd`."""
    micros = _int(attributes.get("cost_usd_micros"), "cost_usd_micros")
    if micros is not None:
        return micros
    usd = attributes.get("cost_usd")
    return round(amount(usd, "cost_usd", MAX_COST_USD) * 1_000_000) if usd is not None else None


def _success(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value).lower()) if value is not None else None


def _time_ns(record: dict, attributes: dict) -> int | None:
    """The record's time (None if it names none); `BadValue` for a time outside 1970 to 9999-12-30."""
    for key in ("timeUnixNano", "observedTimeUnixNano"):
        value = record.get(key)
        if value not in (None, "", 0, "0"):
            return nanos(value, key)
    stamp = _text(attributes.get("event.timestamp"))
    if stamp:
        try:
            when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            when = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
            return nanos((when - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)
                         * 1000, "event.timestamp")
        except (ValueError, OverflowError):
            return None
    return None


def event_row(record: dict, resource: dict, identity_attributes: tuple[str, ...]) -> tuple[dict | None, int]:
    """(one log record as a row, or None if it is not one of Claude Code's events or has no time;
    how many content attributes were dropped from it)."""
    attributes = {**resource, **_attributes(record.get("attributes"))}
    name = _text(attributes.get("event.name")) or _text((record.get("body") or {}).get("stringValue"))
    if not name:
        return None, 0
    name = name.removeprefix(PREFIX)
    time = _time_ns(record, attributes)
    if time is None:
        return None, 0
    dropped = CONTENT & attributes.keys()
    identity = dict(zip(IDENTITY_COLUMNS, _identity(attributes, identity_attributes)))
    micros = _cost_micros(attributes)
    row = {
        "date": day_of(time), "time": dt.datetime.fromtimestamp(time / 1e9, dt.timezone.utc), "event": name,
        **identity,
        **{column: _text(attributes.get(key)) for column, key in TEXT.items()},
        **{column: _int(attributes.get(key), key) for column, key in INTEGER.items()},
        "cost_usd_micros": micros, "cost_usd": micros / 1_000_000 if micros is not None else None,
        "success": _success(attributes.get("success")),
        "source": _text(attributes.get("source")) or _text(attributes.get("decision_source")),
    }
    rest = {k: v for k, v in attributes.items() if k not in _READ and k not in dropped}
    row["attributes"] = json.dumps(rest, sort_keys=True, default=str) if rest else None
    return row, len(dropped)


def _record_times(batch: dict) -> Iterator[int]:
    """The times of a batch's records, for a line that names none in `timeUnixNano`: their `event.timestamp`."""
    for resource_logs in batch["resourceLogs"]:
        for scope_logs in resource_logs.get("scopeLogs") or ():
            for record in scope_logs.get("logRecords") or ():
                try:
                    time = _time_ns(record, _attributes(record.get("attributes")))
                except BadValue:
                    continue
                if time:
                    yield time


def day_events(day: dt.date, lines: Iterable[Line], report: EventsReport,
               identity_attributes: tuple[str, ...] = DEFAULT_IDENTITY_ATTRIBUTES,
               organization_id: str | None = None) -> tuple[list[dict], list[Line]]:
    """(rows of every Claude Code event on `day`, duplicates removed, in time order; the lines that held them)."""
    rows: dict[tuple, dict] = {}
    read: list[Line] = []
    for line in lines:
        ours = line.first_day in (None, day)  # a line's own counts, made once
        try:
            logs = json.loads(line.text).get("resourceLogs")
            if logs is None:
                continue  # a metrics line: the telemetry asset's
            report.event_lines += ours
            held, bad = False, []
            for resource_logs in logs:
                resource = _attributes((resource_logs.get("resource") or {}).get("attributes"))
                for scope_logs in resource_logs.get("scopeLogs") or ():
                    mine = ((scope_logs.get("scope") or {}).get("name") or SCOPE) == SCOPE
                    for record in scope_logs.get("logRecords") or ():
                        try:
                            row, dropped = event_row(record, resource, identity_attributes) if mine else (None, 0)
                        except BadValue as exc:
                            bad.append(exc)
                            continue
                        if row is None:
                            report.other_scopes += ours
                            continue
                        if row["date"] != day:
                            continue
                        held = True
                        report.content_attributes_dropped += dropped
                        if organization_id and row["organization_id"] not in (None, organization_id):
                            report.other_organization_records += 1
                            continue
                        report.records += 1
                        key = (row["time"], row["identity"], row["session_id"], row["sequence"], row["event"],
                               row["request_id"], row["tool_use_id"])
                        if key in rows:
                            report.duplicates += 1
                            continue
                        rows[key] = row
                        report.events[row["event"]] = report.events.get(row["event"], 0) + 1
            if bad and ours:
                report.bad_values += len(bad)
                report.bad(line.where, f"{len(bad)} record(s) left out, the first: {bad[0]}", line.text)
            if held:
                read.append(line)
        except LINE_ERRORS as exc:
            if ours:
                report.bad(line.where, type(exc).__name__, line.text)
    return sorted(rows.values(), key=lambda r: (r["time"], r["identity"], r["sequence"] or 0)), read


def events_by_day(fs, paths: list[str], days: list[dt.date], report: EventsReport,
                  identity_attributes: tuple[str, ...] = DEFAULT_IDENTITY_ATTRIBUTES, organization_id: str | None = None,
                  lake: Lake | None = None, asset: str | None = None) -> Iterator[tuple[dt.date, list[dict], list[Line]]]:
    """(day, rows, lines read) for each of `days` in order; with a `lake`, merged with the lines kept for `asset`."""
    with DayLines(fs, paths, "events", _record_times, report, days, lake, asset) as source:
        for number, day in enumerate(days):
            rows, lines = day_events(day, source.read(day, undated=number == 0), report, identity_attributes,
                                     organization_id)
            yield day, rows, lines
