"""Claude Code's OpenTelemetry output, as a Collector's file exporter writes it: metrics and events.

Near real time, but only from the day a client turned it on; `claude_code_history` uses it where it exists
and the analytics APIs before.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from claude_assets.engine.calendars import Calendar
from claude_assets.engine.source import Source
from claude_assets.engine.tables import Column, Table, count, day, flag, text, timestamp
from claude_assets.engine.telemetry.metrics import KEY_COLUMNS, MEASURE_COLUMNS
from claude_assets.sources.common import DAILY_SYNC_HOURS

GROUP = "telemetry"
CALENDAR = Calendar("telemetry", lag_days=1, settles_after=dt.timedelta(hours=1))

_IDENTITY = (
    text("identity_source", description="the attribute the person was named by (user.email, user.account_id, "
         "user.account_uuid, enduser.id or another configured one, user.id) or unattributed"),
    text("identity", description="its value: the person as the telemetry names them"),
    text("email", description="lowercased: user.email, or an identity attribute holding an e-mail"),
    text("account_id", description="user.account_id (else user.account_uuid): the Admin APIs' user id"),
)
_CLIENT = (
    text("organization_id", description="organization.id: whose clients sent it"),
    text("service_version", description="the Claude Code version (service.version)"),
)

TELEMETRY_TABLE = Table(
    asset="claude_code_telemetry",
    description=(
        "One row per UTC day, person, model, terminal, organization and client version: Claude Code's "
        "OpenTelemetry counters (sessions, lines, commits, PRs, edit decisions, tokens, estimated cost in USD, active "
        "time). The person is the first identity a point carries, named in identity_source: user.email (lowercased), "
        "user.account_id or user.account_uuid, the configured attributes (enduser.id), user.id; else 'unattributed'. "
        "Metrics without a model attribute are on rows whose model is null."
    ),
    natural_key=KEY_COLUMNS,
    keeps_extra=False,  # points of metrics this version does not map are counted in `read/ignored_points`
    columns=(day("date"), *_IDENTITY, text("model"), text("terminal_type"), *_CLIENT)
    + tuple(Column(c, pa.float64()) if c.endswith(("_usd", "_s")) else count(c) for c in MEASURE_COLUMNS),
)


EVENTS_TABLE = Table(
    asset="claude_code_events",
    description=(
        "One row per Claude Code event (OpenTelemetry logs): API requests with their exact cost "
        "(cost_usd_micros) and tokens, API errors, tool decisions and results, prompts (their length only), "
        "attributed to a person as the metrics are. What people typed and tool contents are never stored; the "
        "event's other attributes are kept in `attributes` (JSON)."
    ),
    natural_key=("date", "time", "identity", "session_id", "sequence", "event", "request_id", "tool_use_id"),
    keeps_extra=False,
    columns=(
        day("date"), timestamp("time"), text("event", description="api_request, tool_decision, ... (no prefix)"),
        count("sequence", description="event.sequence: the event's number in its process"), text("session_id"), text("prompt_id"),
        *_IDENTITY, text("terminal_type"), *_CLIENT, text("model"), text("speed"), text("query_source"),
        text("request_id"),
        count("cost_usd_micros", description="exact cost of an API request in millionths of a USD"),
        Column("cost_usd", pa.float64()),
        count("input_tokens"), count("output_tokens"), count("cache_read_tokens"), count("cache_creation_tokens"),
        count("duration_ms"), text("tool_name"), text("tool_use_id"), text("decision", description="accept or reject"),
        text("source", description="who decided: config, user_permanent, ... (decision_source on tool results)"),
        flag("success"), text("error"), text("error_type"), count("status_code"), count("attempt"),
        text("attributes", description="JSON of the event's other attributes (content attributes are dropped)"),
    ),
)


SOURCE = Source(
    group=GROUP,
    description="Claude Code OpenTelemetry (OTLP/JSON lines files in CLAUDE_ASSETS_TELEMETRY_DIR): metrics, events",
    calendar=CALENDAR,
    cron="15 0 * * *",
    freshness_hours=DAILY_SYNC_HOURS,
    key_kinds=(),
    provisional=False,
    probe=None,
    derived=False,
    tables=(TELEMETRY_TABLE, EVENTS_TABLE),
)
