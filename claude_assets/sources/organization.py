"""Organization-level reports built from whatever raw and joined assets exist for each day (derived; the rules
are `defs/assets/organization.py` and its queries)."""

from __future__ import annotations

import pyarrow as pa

from claude_assets.engine.source import Source
from claude_assets.engine.tables import Column, Table, count, day, text
from claude_assets.sources import enterprise_engagement, enterprise_usage_cost

GROUP = "organization"
USD = pa.float64()

OVERVIEW = Table(
    asset="org_daily_overview",
    description="One row per UTC day: active users, seats, Claude Code totals, estimated vs billed cost.",
    natural_key=("date",),
    keeps_extra=False,
    columns=(
        day("date"),
        count("daily_active_users"), count("weekly_active_users"), count("monthly_active_users"),
        count("assigned_seats"), count("pending_invites"),
        count("claude_code_users", description="people with a Claude Code day in claude_code_user_daily (its person "
              "rows: not installs known only by user.id)"), count("claude_code_sessions"), count("lines_added"), count("lines_removed"),
        count("commits"), count("pull_requests"), count("input_tokens"), count("output_tokens"),
        Column("claude_code_estimated_cost_usd", USD, description="Claude Code report estimate, else telemetry"),
        Column("enterprise_list_cost_usd", USD, description="Enterprise cost report, list price"),
        Column("enterprise_billed_cost_usd", USD, description="Enterprise cost report, post-discount"),
        Column("api_billed_cost_usd", USD, description="Admin cost report"),
        Column("billed_cost_usd", USD, description="all usage, post-discount: claude_cost, else the legacy reports"),
        Column("list_cost_usd", USD, description="all usage, list price: claude_cost, else the Enterprise cost report"),
        text("cost_source", description="claude_cost, or the legacy reports the two totals came from"),
        text("sources", description="the assets this day was built from"),
    ),
)

RECONCILIATION = Table(
    asset="cost_reconciliation",
    description="One row per UTC day, user and model: Claude Code cost estimated (telemetry, Claude Code report) "
    "vs list vs billed (claude_cost, else the legacy Enterprise user cost report), with variance.",
    natural_key=("date", "email", "model"),
    keeps_extra=False,
    columns=(
        day("date"), text("email"), text("model"),
        Column("telemetry_estimated_usd", USD), Column("report_estimated_usd", USD),
        Column("list_usd", USD), Column("billed_usd", USD),
        Column("variance_usd", USD, description="billed minus the estimate (the report's, else telemetry's)"),
        Column("variance_pct", USD, description="variance_usd as a percent of the estimate"),
    ),
)


SOURCE = Source(
    group=GROUP,
    description="Derived: the organization's day (users, seats, Claude Code, cost) and cost reconciliation",
    calendar=enterprise_engagement.CALENDAR,
    cron="30 12 * * *",
    freshness_hours=(30, 54),
    key_kinds=(),
    provisional=False,
    probe=None,
    derived=True,
    tables=(OVERVIEW, RECONCILIATION),
    # the reconciliation follows the cost calendar of the reports it reconciles
    table_calendars=((RECONCILIATION.asset, enterprise_usage_cost.CALENDAR),),
)
