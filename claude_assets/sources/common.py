"""Columns, record shapes and constants that several sources share (the usage and cost reports mostly)."""

from __future__ import annotations

from claude_assets.engine.tables import count, dimension, flag, money_cents, text, timestamp

TOOLS = ("edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool")

BOUNDS = (timestamp("starting_at", "starting_at"), timestamp("ending_at", "ending_at"))
TOKENS = (
    count("uncached_input_tokens", "uncached_input_tokens"),
    count("cache_creation_5m_input_tokens", "cache_creation.ephemeral_5m_input_tokens"),
    count("cache_creation_1h_input_tokens", "cache_creation.ephemeral_1h_input_tokens"),
    count("cache_read_input_tokens", "cache_read_input_tokens"),
    count("output_tokens", "output_tokens"),
    count("web_search_requests", "server_tool_use.web_search_requests"),
)
MODEL_DIMENSIONS = tuple(dimension(n, n) for n in ("model", "context_window", "inference_geo", "speed"))
# Newest dimensions of the Enterprise reports; null unless grouped on, which this project does not.
ENTERPRISE_DIMENSIONS = tuple(
    dimension(n, n) for n in ("rbac_group_id", "slack_channel_id", "claude_tag_category", "claude_tag_user_id")
)
COST_DIMENSIONS = (dimension("cost_type", "cost_type"), dimension("token_type", "token_type"))
ENVELOPE_COLUMNS = (
    timestamp("data_refreshed_at", "data_refreshed_at",
              "the API's watermark when the day was fetched: buckets after it were still incomplete"),
    text("organization_id", "organization_id", "the organization the API says it answered for (org_...)"),
)
AMOUNTS = (
    text("currency", "currency"),
    *money_cents("amount", "amount", exact=True),
)
ENTERPRISE_AMOUNTS = AMOUNTS + money_cents("list_amount", "list_amount", exact=True)
ACTOR = (
    text("actor_type", "actor.type"),
    text("user_id", "actor.user_id", "tagged user id (user_...)"),
    text("email", "actor.email|actor.email_address", "null for deleted accounts"),
    text("name", "actor.name"),
    flag("deleted", "actor.deleted"),
)

BUCKETS_PER_REQUEST = 31  # the most 1-day buckets any bucketed report returns in one page
ANALYTICS = "/v1/organizations/analytics"
LEGACY_NOTE = "Legacy endpoint (still supported); the Usage and Cost Analytics API (claude_usage, claude_cost) is " \
    "recommended."
DAILY_SYNC_HOURS = (26.0, 50.0)  # (warn, fail): a daily sync that missed one tick warns, two fail
