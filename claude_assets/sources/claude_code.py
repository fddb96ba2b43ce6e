"""The Claude Code Analytics API (Admin key): per actor, day and terminal, and per model beneath."""

from __future__ import annotations

import datetime as dt

from claude_assets.engine.calendars import Calendar
from claude_assets.engine.client import KeyKind, Pagination
from claude_assets.engine.endpoint import Endpoint, data
from claude_assets.engine.source import Probe, Source
from claude_assets.engine.tables import Table, count, day, flag, money_cents, parent, text
from claude_assets.sources.common import DAILY_SYNC_HOURS, TOOLS

GROUP = "claude_code_analytics"
CALENDAR = Calendar("claude_code", lag_days=1, settles_after=dt.timedelta(hours=2))

_ACTOR_KEY = (
    day("date", "date", "UTC day of the activity"),
    text("actor_type", "actor.type", "user_actor (OAuth login) or api_actor (API key login)"),
    text("email", "actor.email_address", "the user's e-mail, for user_actor rows"),
    text("api_key_name", "actor.api_key_name", "the API key's name, for api_actor rows"),
    text("terminal_type", "terminal_type", "vscode, iTerm.app, tmux, ..."),
)

CLAUDE_CODE_USAGE = Table(
    asset="claude_code_usage",
    description="One row per actor, UTC day and terminal: Claude Code sessions, lines, commits, PRs and edit decisions.",
    natural_key=("date", "actor_type", "email", "api_key_name", "terminal_type"),
    consumed_elsewhere=("model_breakdown",),
    columns=_ACTOR_KEY
    + (
        text("organization_id", "organization_id"),
        text("customer_type", "customer_type", "api (pay as you go) or subscription (Pro/Team/Enterprise)"),
        text("subscription_type", "subscription_type"),
        flag("is_remote", "is_remote"),
        count("sessions", "core_metrics.num_sessions"),
        count("lines_added", "core_metrics.lines_of_code.added"),
        count("lines_removed", "core_metrics.lines_of_code.removed"),
        count("commits", "core_metrics.commits_by_claude_code"),
        count("pull_requests", "core_metrics.pull_requests_by_claude_code"),
    )
    + tuple(
        count(f"{tool}_{decision}", f"tool_actions.{tool}.{decision}")
        for tool in TOOLS
        for decision in ("accepted", "rejected")
    ),
)

CLAUDE_CODE_MODEL_USAGE = Table(
    asset="claude_code_model_usage",
    description="One row per actor, UTC day, terminal and model: tokens and estimated cost (child of claude_code_usage).",
    natural_key=CLAUDE_CODE_USAGE.natural_key + ("model",),
    explode="model_breakdown",
    columns=tuple(parent(c) for c in _ACTOR_KEY)
    + (
        text("model", "model"),
        count("input_tokens", "tokens.input"),
        count("output_tokens", "tokens.output"),
        count("cache_read_tokens", "tokens.cache_read"),
        count("cache_creation_tokens", "tokens.cache_creation"),
        *money_cents("estimated_cost", "estimated_cost.amount", exact=False),
        text("currency", "estimated_cost.currency"),
    ),
)

CLAUDE_CODE_REPORT = Endpoint(
    name="claude_code_report",
    path="/v1/organizations/usage_report/claude_code",
    key_kind=KeyKind.ADMIN,
    group=GROUP,
    calendar=CALENDAR,
    pagination=Pagination.HAS_MORE,
    query=lambda start, end: {"starting_at": start.isoformat(), "limit": 1000},
    records=data,
    tables=(CLAUDE_CODE_USAGE, CLAUDE_CODE_MODEL_USAGE),
    api="Claude Code Analytics API (Admin key)",
)

SOURCE = Source(
    group=GROUP,
    description="Claude Code Analytics API (Admin key): sessions, lines, commits, PRs, tool decisions, tokens",
    calendar=CALENDAR,
    cron="30 1 * * *",
    freshness_hours=DAILY_SYNC_HOURS,
    key_kinds=(KeyKind.ADMIN,),
    provisional=False,
    probe=Probe("Claude Code Analytics", "claude_code_report",
                "the Admin key is accepted (a Claude Console organization)"),
    derived=False,
    endpoints=(CLAUDE_CODE_REPORT,),
)
