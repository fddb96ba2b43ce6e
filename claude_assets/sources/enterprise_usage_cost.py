"""The Claude Enterprise Analytics API's usage and cost reports (Analytics key; legacy, still supported):
per user and for the organization, revised for up to 30 days."""

from __future__ import annotations

import datetime as dt

from claude_assets.engine.calendars import ENTERPRISE_FLOOR, Calendar
from claude_assets.engine.client import KeyKind, Pagination
from claude_assets.engine.endpoint import Endpoint, bounds, bucket_results, data, with_envelope
from claude_assets.engine.source import Source
from claude_assets.engine.tables import Table, count, day, dimension
from claude_assets.sources.common import (
    ACTOR,
    ANALYTICS,
    BOUNDS,
    BUCKETS_PER_REQUEST,
    COST_DIMENSIONS,
    DAILY_SYNC_HOURS,
    ENTERPRISE_AMOUNTS,
    ENTERPRISE_DIMENSIONS,
    ENVELOPE_COLUMNS,
    MODEL_DIMENSIONS,
    TOKENS,
)
from claude_assets.sources.enterprise_engagement import ENTERPRISE_API, ENTERPRISE_PROBE

GROUP = "enterprise_usage_cost"
CALENDAR = Calendar(
    "enterprise_usage_cost", lag_days=1, settles_after=dt.timedelta(days=30), floor=ENTERPRISE_FLOOR, window_days=365
)

ENTERPRISE_USER_USAGE = Table(
    asset="enterprise_user_usage",
    description="One row per user, product and model for a UTC day: tokens and requests.",
    natural_key=("date", "user_id", "product", "model", "context_window", "inference_geo", "speed"),
    columns=(day("date"), *BOUNDS) + ACTOR + (dimension("product", "product"),) + MODEL_DIMENSIONS + TOKENS
    + ENTERPRISE_DIMENSIONS
    + (count("requests", "requests"), count("total_tokens", "total_tokens")) + ENVELOPE_COLUMNS,
)

ENTERPRISE_USER_COST = Table(
    asset="enterprise_user_cost",
    description="One row per user, product, model, cost type and token type for a UTC day: billed (post-discount) "
    "and list cost.",
    natural_key=("date", "user_id", "product", "model", "context_window", "inference_geo", "speed", "cost_type",
                 "token_type"),
    columns=(day("date"), *BOUNDS) + ACTOR + (dimension("product", "product"),) + MODEL_DIMENSIONS
    + COST_DIMENSIONS + ENTERPRISE_DIMENSIONS + ENTERPRISE_AMOUNTS + (count("requests", "requests"),)
    + ENVELOPE_COLUMNS,
)

ENTERPRISE_USAGE = Table(
    asset="enterprise_usage",
    description="One row per UTC day, product and model for the organization: tokens and requests.",
    natural_key=("date", "product", "model", "context_window", "inference_geo", "speed"),
    columns=(day("date", "starting_at"), *BOUNDS, dimension("product", "product")) + MODEL_DIMENSIONS + TOKENS
    + ENTERPRISE_DIMENSIONS + (count("requests", "requests"),) + ENVELOPE_COLUMNS,
)

ENTERPRISE_COST = Table(
    asset="enterprise_cost",
    description="One row per UTC day, product, model, cost type and token type for the organization: billed and "
    "list cost.",
    natural_key=("date", "product", "model", "context_window", "inference_geo", "speed", "cost_type", "token_type"),
    columns=(day("date", "starting_at"), *BOUNDS, dimension("product", "product")) + MODEL_DIMENSIONS
    + COST_DIMENSIONS + ENTERPRISE_DIMENSIONS + ENTERPRISE_AMOUNTS + (count("requests", "requests"),)
    + ENVELOPE_COLUMNS,
)


def _enterprise_cost_usage(name: str, path: str, table: Table, group_by: tuple[str, ...], bucketed: bool):
    def query(start: dt.date, end: dt.date) -> dict:
        q = {**bounds(start, end), "group_by[]": list(group_by)}
        return {**q, "bucket_width": "1d", "limit": BUCKETS_PER_REQUEST} if bucketed else {**q, "limit": 1000}

    return Endpoint(
        name=name, path=f"{ANALYTICS}{path}", key_kind=KeyKind.ANALYTICS, group=GROUP,
        calendar=CALENDAR, pagination=Pagination.HAS_MORE, query=query,
        records=with_envelope(bucket_results if bucketed else data), tables=(table,), api=ENTERPRISE_API,
        days_per_request=BUCKETS_PER_REQUEST if bucketed else 1, legacy=True,
    )


SOURCE = Source(
    group=GROUP,
    description="Claude Enterprise Analytics API (Analytics key; legacy): tokens and billed and list cost, per user "
    "and for the organization",
    calendar=CALENDAR,
    cron="30 4 * * *",
    freshness_hours=DAILY_SYNC_HOURS,
    key_kinds=(KeyKind.ANALYTICS,),
    provisional=True,
    probe=ENTERPRISE_PROBE,
    derived=False,
    endpoints=(
        _enterprise_cost_usage("enterprise_user_usage", "/user_usage_report", ENTERPRISE_USER_USAGE,
                               ("product", "model"), bucketed=False),
        _enterprise_cost_usage("enterprise_user_cost", "/user_cost_report", ENTERPRISE_USER_COST,
                               ("product", "model", "cost_type", "token_type"), bucketed=False),
        _enterprise_cost_usage("enterprise_usage", "/usage_report", ENTERPRISE_USAGE, ("product", "model"),
                               bucketed=True),
        _enterprise_cost_usage("enterprise_cost", "/cost_report", ENTERPRISE_COST,
                               ("product", "model", "cost_type", "token_type"), bucketed=True),
    ),
)
