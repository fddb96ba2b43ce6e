"""Organization-level reports built from whatever raw and joined assets exist for each day.

An organization may have only an Admin key, only an Analytics key, or both: every column that
needs a source which is not in the lake for that day is null, and each materialization lists
the sources it used.

- `org_daily_overview`: one row per day: active users, seats, Claude Code totals, estimated
  versus billed cost.
- `cost_reconciliation`: per day, user and model, Claude Code cost as estimated by telemetry
  and by the Claude Code report, versus list and billed (post-discount) cost, with the variance.

Billed and list cost come from `claude_cost` (the Usage and Cost Analytics API) on the days it has,
else from the legacy reports; `sources_used` and `cost_source` say which. Each is one SQL query,
`queries/<asset>.sql`, with its rules as commented steps.
"""

import dagster as dg
import pyarrow as pa

from claude_assets import calendars
from claude_assets.assets.daily import derived_daily_asset
from claude_assets.assets.history import USER_DAILY
from claude_assets.assets.telemetry import TELEMETRY_TABLE
from claude_assets.assets.charts import overview_chart, reconciliation_chart
from claude_assets.endpoints import RAW_TABLES
from claude_assets.organizations import DEFAULT, Organization
from claude_assets.tables import Column, Table, count, day, text

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


OVERVIEW_INPUTS = ["enterprise_summaries", "claude_code_user_daily", "claude_code_model_usage",
                   "claude_code_telemetry", "enterprise_cost", "api_cost", "claude_cost"]
RECONCILIATION_INPUTS = ["claude_code_telemetry", "claude_code_model_usage", "enterprise_user_cost", "claude_cost"]
_TABLES = {**RAW_TABLES, TELEMETRY_TABLE.asset: TELEMETRY_TABLE, USER_DAILY.asset: USER_DAILY}


def build_org_daily_overview(org: Organization = DEFAULT) -> dg.AssetsDefinition:
    """The query is `queries/org_daily_overview.sql`."""
    return derived_daily_asset(
        OVERVIEW, calendars.ENGAGEMENT, GROUP, [_TABLES[name] for name in OVERVIEW_INPUTS], OVERVIEW.description,
        org,
        chart=overview_chart,
    )


def build_cost_reconciliation(org: Organization = DEFAULT) -> dg.AssetsDefinition:
    """The query is `queries/cost_reconciliation.sql`."""
    return derived_daily_asset(
        RECONCILIATION, calendars.ENTERPRISE_USAGE_COST, GROUP, [_TABLES[name] for name in RECONCILIATION_INPUTS],
        RECONCILIATION.description,
        org,
        replaces={"claude_cost": ("enterprise_user_cost",)},
        chart=reconciliation_chart,
    )


org_daily_overview = build_org_daily_overview()
cost_reconciliation = build_cost_reconciliation()
