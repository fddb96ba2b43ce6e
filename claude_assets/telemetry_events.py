"""Reading Claude Code's events (OTLP logs) from the same Collector files as its metrics.

Events carry what the counters cannot: the exact cost of each API request (`cost_usd_micros`),
API errors, every tool decision and its result. Claude Code exports them as `resourceLogs` lines,
in their own file or in the metrics file when a Collector's logs and metrics pipelines share one
file exporter; metrics lines are skipped here as events lines are skipped by the metrics reader.

- One row per event, on the UTC day of its `timeUnixNano` (else `observedTimeUnixNano`, else its
  `event.timestamp`), attributed to a person exactly as the metrics are (`telemetry._identity`).
- A record delivered twice (a retried export) is kept once.
- What people typed and what tools read or wrote is never stored, even when a client sends it
  (OTEL_LOG_USER_PROMPTS, OTEL_LOG_TOOL_DETAILS, OTEL_LOG_TOOL_CONTENT, OTEL_LOG_RAW_API_BODIES):
  those attributes are dropped and only counted. Every other attribute a column does not hold is
  kept in `attributes` (JSON), so event kinds without columns lose nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any, Iterable

from claude_assets.telemetry import (DEFAULT_IDENTITY_ATTRIBUTES, BadLines, ReadReport, _attributes, _identity, _lines,
                                     _text, day_of)

PREFIX = "claude_code."
SCOPE = "com.anthropic.claude_code.events"
# Attributes holding what a person typed or a tool read or wrote: never stored.
CONTENT = frozenset({"prompt", "prompt_text", "response", "tool_input", "tool_parameters", "tool_content", "body",
                     "body_ref", "content", "input", "output"})
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
class EventsReport(BadLines):
    """What reading events cost and skipped, for the materialization's metadata."""

    files: int = 0
    lines: int = 0
    event_lines: int = 0
    records: int = 0
    duplicates: int = 0
    other_scopes: int = 0  # log records that are not Claude Code's events (another app on the same Collector)
    other_organization_records: int = 0
    content_attributes_dropped: int = 0
    events: dict[str, int] = dataclasses.field(default_factory=dict)  # event name -> records


def _int(value: Any) -> int | None:
    """Claude Code sends some numbers as strings (`prompt_length`, a `duration_ms`), Collectors 64-bit ints too."""
    try:
        return int(float(value)) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _cost_micros(attributes: dict) -> int | None:
    """Exact when the client sends `cost_usd_micros`; older clients send only the float `cost_usd`."""
    micros = _int(attributes.get("cost_usd_micros"))
    if micros is not None:
        return micros
    usd = attributes.get("cost_usd")
    try:
        return round(float(usd) * 1_000_000) if usd is not None else None
    except (TypeError, ValueError):
        return None


def _success(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value).lower()) if value is not None else None


def _time_ns(record: dict, attributes: dict) -> int | None:
    for key in ("timeUnixNano", "observedTimeUnixNano"):
        value = _int(record.get(key))
        if value:
            return value
    stamp = _text(attributes.get("event.timestamp"))
    if stamp:
        try:
            return int(dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 10**9)
        except ValueError:
            return None
    return None


def event_row(record: dict, resource: dict, identity_attributes: tuple[str, ...], report: EventsReport) -> dict | None:
    """One log record as a row, or None if it is not one of Claude Code's events or has no time."""
    attributes = {**resource, **_attributes(record.get("attributes"))}
    name = _text(attributes.get("event.name")) or _text((record.get("body") or {}).get("stringValue"))
    if not name:
        return None
    name = name.removeprefix(PREFIX)
    time = _time_ns(record, attributes)
    if time is None:
        return None
    dropped = CONTENT & attributes.keys()
    report.content_attributes_dropped += len(dropped)
    identity = dict(zip(IDENTITY_COLUMNS, _identity(attributes, identity_attributes)))
    micros = _cost_micros(attributes)
    row = {
        "date": day_of(time), "time": dt.datetime.fromtimestamp(time / 1e9, dt.timezone.utc), "event": name,
        **identity,
        **{column: _text(attributes.get(key)) for column, key in TEXT.items()},
        **{column: _int(attributes.get(key)) for column, key in INTEGER.items()},
        "cost_usd_micros": micros, "cost_usd": micros / 1_000_000 if micros is not None else None,
        "success": _success(attributes.get("success")),
        "source": _text(attributes.get("source")) or _text(attributes.get("decision_source")),
    }
    rest = {k: v for k, v in attributes.items() if k not in _READ and k not in dropped}
    row["attributes"] = json.dumps(rest, sort_keys=True, default=str) if rest else None
    return row


def read_events(fs, paths: Iterable[str], days: set[dt.date] | None = None,
                identity_attributes: tuple[str, ...] = DEFAULT_IDENTITY_ATTRIBUTES,
                organization_id: str | None = None) -> tuple[list[dict], EventsReport]:
    """Rows of every Claude Code event on `days` (all days if None), duplicates removed, in time order."""
    report, files = EventsReport(), ReadReport()
    rows: dict[tuple, dict] = {}
    for path in paths:
        for number, line in _lines(fs, path, files):
            report.lines += 1
            try:
                batch = json.loads(line)
                logs = batch.get("resourceLogs")
                if logs is None:
                    continue  # a metrics line: the telemetry asset's
                report.event_lines += 1
                for resource_logs in logs:
                    resource = _attributes((resource_logs.get("resource") or {}).get("attributes"))
                    for scope_logs in resource_logs.get("scopeLogs") or ():
                        ours = ((scope_logs.get("scope") or {}).get("name") or SCOPE) == SCOPE
                        for record in scope_logs.get("logRecords") or ():
                            if not ours:
                                report.other_scopes += 1
                                continue
                            row = event_row(record, resource, identity_attributes, report)
                            if row is None:
                                report.other_scopes += 1
                                continue
                            if organization_id and row["organization_id"] not in (None, organization_id):
                                report.other_organization_records += 1
                                continue
                            report.records += 1
                            if days is not None and row["date"] not in days:
                                continue
                            key = (row["time"], row["identity"], row["session_id"], row["sequence"], row["event"],
                                   row["request_id"], row["tool_use_id"])
                            if key in rows:
                                report.duplicates += 1
                                continue
                            rows[key] = row
                            report.events[row["event"]] = report.events.get(row["event"], 0) + 1
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                report.bad(f"{path}:{number}", type(exc).__name__, line)
    report.files = files.files
    return sorted(rows.values(), key=lambda r: (r["time"], r["identity"], r["sequence"] or 0)), report
