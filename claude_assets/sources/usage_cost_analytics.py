"""The Usage and Cost Analytics API (beta; either key): all of an organization's usage and cost, seats and API
alike, in several groupings of the same days (each adds up to the day's totals)."""

from __future__ import annotations

import datetime as dt

from claude_assets.engine.calendars import ENTERPRISE_FLOOR, Calendar
from claude_assets.engine.client import KeyKind, Pagination
from claude_assets.engine.endpoint import Endpoint, bounds, data, with_envelope
from claude_assets.engine.source import Probe, Source
from claude_assets.engine.tables import Table, count, day, dimension, flag, money_cents, text
from claude_assets.sources.common import ANALYTICS, BOUNDS, DAILY_SYNC_HOURS, ENVELOPE_COLUMNS

GROUP = "usage_cost_analytics"
# The same floor and window as the Enterprise reports it succeeds; its seat usage is revised for up to 30 days
# like theirs (its Console usage lands within minutes).
CALENDAR = Calendar(
    "usage_cost_analytics", lag_days=1, settles_after=dt.timedelta(days=30), floor=ENTERPRISE_FLOOR, window_days=365
)
USAGE_COST_BETA = {"anthropic-beta": "analytics-usage-cost-2026-08-24"}  # the Usage and Cost Analytics API is beta
# A listing is held in memory until its last page; grouped by actor, a week is about 900 rows a day per
# 1,000 seats (emulator), so a year of a large organization is read a week at a time, not a month.
ANALYTICS_DAYS_PER_REQUEST = 7
_USAGE_COST_API = "Usage and Cost Analytics API (beta; the organization's Analytics or Admin key)"

# Each query groups by at most 5 dimensions (F1), so each table holds several groupings of the same days,
# labelled in its `grouping` column; every grouping adds up to the same totals: sum one, never several.
USAGE_GROUPINGS = (
    ("actor", ("actor", "product", "model")),  # who used what on which model and product
    ("key", ("workspace_id", "api_key_id", "service_tier", "product", "model")),  # which workspace, key and tier
    ("price", ("product", "model", "context_window", "inference_geo", "speed")),  # what set the price
)
COST_GROUPINGS = (
    ("actor", ("actor", "product", "model")),
    ("key", ("workspace_id", "api_key_id", "service_tier", "product", "model")),
    ("price", ("product", "model", "cost_type", "token_type", "context_window")),
    ("geo", ("product", "model", "inference_geo", "speed")),
)
# The dimensions the reference documents besides those above; null unless grouped on. A key it adds later
# is kept in `extra` (group.<name>), as §7.6 asks.
_OTHER_GROUP_KEYS = ("rbac_group_id", "agent_id", "deployment_id", "environment_id", "session_id",
                     "slack_channel_id", "claude_tag_category", "claude_tag_user_id", "user_profile_id")
_KEY_DIMENSIONS = ("product", "model", "workspace_id", "api_key_id", "service_tier", "context_window",
                   "inference_geo", "speed")
_ANALYTICS_KEY = (
    day("date", "starting_at"), *BOUNDS,
    text("grouping", "_grouping", "the grouping this row belongs to (actor, key, price, geo): each adds up to the "
         "day's totals, so filter on one"),
    text("actor_type", "group.actor.type|group.actor_type", "user_actor, api_key_actor, ... (grouping actor)"),
    text("actor_id", "group.actor.user_id|group.actor.api_key_id|group.actor.service_account_id|group.actor.id"
         "|group.actor", "tagged id of the user, API key or service account"),
    text("email", "group.actor.email|group.actor.email_address", "the user's e-mail, for user actors"),
    text("actor_name", "group.actor.name"),
    flag("actor_deleted", "group.actor.deleted"),
) + tuple(dimension(n, f"group.{n}") for n in _KEY_DIMENSIONS)
_ANALYTICS_TAIL = tuple(dimension(n, f"group.{n}") for n in _OTHER_GROUP_KEYS) + ENVELOPE_COLUMNS
_ANALYTICS_NATURAL_KEY = ("date", "grouping", "actor_type", "actor_id") + _KEY_DIMENSIONS

CLAUDE_USAGE = Table(
    asset="claude_usage",
    description="One row per UTC day, grouping and combination of its dimensions (actor, product, model, workspace, "
    "API key, service tier, context window, inference geo, speed): tokens and requests for all of the "
    "organization's usage, seats and API alike. Filter on one `grouping`: each adds up to the day's totals.",
    natural_key=_ANALYTICS_NATURAL_KEY,
    columns=_ANALYTICS_KEY + (
        count("uncached_input_tokens", "usage.uncached_input_tokens"),
        count("cache_creation_5m_input_tokens", "usage.cache_creation.ephemeral_5m_input_tokens"),
        count("cache_creation_1h_input_tokens", "usage.cache_creation.ephemeral_1h_input_tokens"),
        count("cache_read_input_tokens", "usage.cache_read_input_tokens"),
        count("output_tokens", "usage.output_tokens"),
        count("web_search_requests", "usage.server_tool_use.web_search_requests"),
        count("total_tokens", "usage.total_tokens"),
        count("requests", "usage.requests", "null where the API does not count them; execution spans for code "
              "execution rows"),
    ) + _ANALYTICS_TAIL,
)

CLAUDE_COST = Table(
    asset="claude_cost",
    description="One row per UTC day, grouping and combination of its dimensions (actor, product, model, workspace, "
    "API key, service tier, cost type, token type, context window, inference geo, speed): billed (post-discount, "
    "pre-credit) and list cost of all of the organization's usage. Filter on one `grouping`: each adds up to the "
    "day's totals.",
    natural_key=_ANALYTICS_NATURAL_KEY + ("cost_type", "token_type"),
    columns=_ANALYTICS_KEY + (
        dimension("cost_type", "group.cost_type"), dimension("token_type", "group.token_type"),
        text("currency", "cost.currency"),
        *money_cents("amount", "cost.amount", exact=True),
        *money_cents("list_amount", "cost.list_amount", exact=True),
        count("requests", "cost.requests", "null when grouped by cost type or token type"),
    ) + _ANALYTICS_TAIL,
)


def _usage_cost_analytics(name: str, path: str, table: Table, groupings: tuple) -> Endpoint:
    return Endpoint(
        name=name, path=f"{ANALYTICS}{path}", key_kind=None, group=GROUP,
        calendar=CALENDAR, pagination=Pagination.HAS_MORE,
        query=lambda start, end: {**bounds(start, end), "time_bucket_width": "1d", "limit": 1000},
        records=with_envelope(data), tables=(table,), api=_USAGE_COST_API,
        days_per_request=ANALYTICS_DAYS_PER_REQUEST, headers=USAGE_COST_BETA, groupings=groupings,
    )


SOURCE = Source(
    group=GROUP,
    description="Usage and Cost Analytics API (beta; either key): tokens and billed and list cost of all usage",
    calendar=CALENDAR,
    cron="30 4 * * *",
    freshness_hours=DAILY_SYNC_HOURS,
    key_kinds=(KeyKind.ADMIN, KeyKind.ANALYTICS),
    provisional=True,
    probe=Probe("Usage and Cost Analytics", "claude_usage"),
    derived=False,
    endpoints=(
        _usage_cost_analytics("claude_usage", "/usage", CLAUDE_USAGE, USAGE_GROUPINGS),
        _usage_cost_analytics("claude_cost", "/cost", CLAUDE_COST, COST_GROUPINGS),
    ),
)
