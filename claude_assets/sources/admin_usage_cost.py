"""The Admin Usage & Cost API (Admin key; legacy, still supported): Messages API usage and billed cost."""

from __future__ import annotations

import datetime as dt

from claude_assets.engine.calendars import Calendar
from claude_assets.engine.client import KeyKind, Pagination
from claude_assets.engine.endpoint import Endpoint, bounds, bucket_results
from claude_assets.engine.source import Probe, Source
from claude_assets.engine.tables import Table, day, dimension, text
from claude_assets.sources.common import (
    AMOUNTS,
    BOUNDS,
    BUCKETS_PER_REQUEST,
    COST_DIMENSIONS,
    DAILY_SYNC_HOURS,
    MODEL_DIMENSIONS,
    TOKENS,
)

GROUP = "admin_usage_cost"
CALENDAR = Calendar("admin_usage_cost", lag_days=1, settles_after=dt.timedelta(days=1))
FAST_MODE_BETA = {"anthropic-beta": "fast-mode-2026-02-01"}  # grouping the Admin usage report by speed needs it
_ADMIN = "Admin Usage & Cost API (Admin key)"

# The live usage report refuses more than 5 `group_by[]` dimensions (F1), so the Messages API's usage is
# read twice, as two groupings of the same buckets: who spent it, and how it was priced. Both tables
# have every dimension column (null where not grouped, as the API sends them), and their totals per
# day agree: sum either one, never both.
MESSAGES_BY_KEY = ("api_key_id", "workspace_id", "model", "service_tier", "context_window")
MESSAGES_BY_GEO = ("model", "service_tier", "context_window", "inference_geo", "speed")
_MESSAGES_COLUMNS = (
    (day("date", "starting_at"), *BOUNDS)
    + tuple(dimension(n, n) for n in ("api_key_id", "workspace_id", "account_id", "service_account_id", "service_tier"))
    + MODEL_DIMENSIONS
    + TOKENS
)

API_MESSAGES_USAGE = Table(
    asset="api_messages_usage",
    description="One row per UTC day and API key, workspace, model, service tier and context window: Messages API "
    "tokens. Inference geo and speed are in api_messages_usage_by_geo (the API groups by at most 5 dimensions).",
    natural_key=("date", *MESSAGES_BY_KEY),
    columns=_MESSAGES_COLUMNS,
)

API_MESSAGES_USAGE_BY_GEO = Table(
    asset="api_messages_usage_by_geo",
    description="One row per UTC day and model, service tier, context window, inference geo and speed: Messages "
    "API tokens, the same totals as api_messages_usage grouped by what sets the price instead of by key.",
    natural_key=("date", *MESSAGES_BY_GEO),
    columns=_MESSAGES_COLUMNS,
)

API_COST = Table(
    asset="api_cost",
    description="One row per UTC day, workspace and cost description (model, token type, ...): billed cost.",
    natural_key=("date", "workspace_id", "description"),
    columns=(day("date", "starting_at"), *BOUNDS, dimension("workspace_id", "workspace_id"),
             text("description", "description"), dimension("service_tier", "service_tier"))
    + MODEL_DIMENSIONS
    + COST_DIMENSIONS
    + AMOUNTS,
)


def _admin_report(name: str, path: str, table: Table, group_by: tuple[str, ...]):
    return Endpoint(
        name=name, path=path, key_kind=KeyKind.ADMIN, group=GROUP,
        calendar=CALENDAR, pagination=Pagination.HAS_MORE,
        query=lambda start, end: {
            **bounds(start, end), "bucket_width": "1d", "limit": BUCKETS_PER_REQUEST, "group_by[]": list(group_by)
        },
        records=bucket_results, tables=(table,), api=_ADMIN, days_per_request=BUCKETS_PER_REQUEST,
        headers=FAST_MODE_BETA if "speed" in group_by else {}, legacy=True,
    )


SOURCE = Source(
    group=GROUP,
    description="Admin Usage & Cost API (Admin key; legacy): Messages API tokens by key and by price, billed cost",
    calendar=CALENDAR,
    cron="30 1 * * *",
    freshness_hours=DAILY_SYNC_HOURS,
    key_kinds=(KeyKind.ADMIN,),
    provisional=True,
    probe=Probe("Admin Usage & Cost (legacy)", "api_cost", "the Admin key is accepted"),
    derived=False,
    endpoints=(
        _admin_report("api_messages_usage", "/v1/organizations/usage_report/messages", API_MESSAGES_USAGE,
                      MESSAGES_BY_KEY),
        _admin_report("api_messages_usage_by_geo", "/v1/organizations/usage_report/messages",
                      API_MESSAGES_USAGE_BY_GEO, MESSAGES_BY_GEO),
        _admin_report("api_cost", "/v1/organizations/cost_report", API_COST, ("workspace_id", "description")),
    ),
)
