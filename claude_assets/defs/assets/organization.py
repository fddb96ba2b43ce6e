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

from claude_assets.defs.assets.charts import overview_chart, reconciliation_chart
from claude_assets.defs.assets.daily import derived_daily_asset
from claude_assets.engine.organizations import DEFAULT, Organization
from claude_assets.sources import TABLES
from claude_assets.sources.organization import OVERVIEW, RECONCILIATION, SOURCE

OVERVIEW_INPUTS = ["enterprise_summaries", "claude_code_user_daily", "claude_code_model_usage",
                   "claude_code_telemetry", "enterprise_cost", "api_cost", "claude_cost"]
RECONCILIATION_INPUTS = ["claude_code_telemetry", "claude_code_model_usage", "enterprise_user_cost", "claude_cost"]


def build_org_daily_overview(org: Organization = DEFAULT) -> dg.AssetsDefinition:
    """The query is `queries/org_daily_overview.sql`."""
    return derived_daily_asset(
        OVERVIEW, SOURCE.calendar_of(OVERVIEW.asset), SOURCE.group, [TABLES[name] for name in OVERVIEW_INPUTS],
        OVERVIEW.description, org, chart=overview_chart,
    )


def build_cost_reconciliation(org: Organization = DEFAULT) -> dg.AssetsDefinition:
    """The query is `queries/cost_reconciliation.sql`."""
    return derived_daily_asset(
        RECONCILIATION, SOURCE.calendar_of(RECONCILIATION.asset), SOURCE.group,
        [TABLES[name] for name in RECONCILIATION_INPUTS], RECONCILIATION.description, org,
        replaces={"claude_cost": ("enterprise_user_cost",)},
        chart=reconciliation_chart,
    )


org_daily_overview = build_org_daily_overview()
cost_reconciliation = build_cost_reconciliation()
