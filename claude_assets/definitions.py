"""The `claude_assets` code location: `dagster dev -m claude_assets.definitions` or workspace.yaml."""

import dagster as dg

from claude_assets.assets.raw import API_TAG, raw_assets
from claude_assets.assets.history import claude_code_user_daily
from claude_assets.assets.organization import cost_reconciliation, org_daily_overview
from claude_assets.assets.telemetry import claude_code_telemetry
from claude_assets.automation import automation_sensor, provisional_refetch, with_automation
from claude_assets.checks import claude_code_agrees_across_apis
from claude_assets.freshness import lag_checks, with_freshness
from claude_assets.resources import resources_from_env
from claude_assets.sensors import sensors

# Steps that call the same API share one rate budget, so a run executes at most one of them at a
# time, while steps of the Admin and the Enterprise API overlap.
executor = dg.multiprocess_executor.configured(
    {"tag_concurrency_limits": [{"key": API_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]}
)

assets = with_automation(with_freshness(
    [*raw_assets, claude_code_telemetry, claude_code_user_daily, org_daily_overview, cost_reconciliation]
))

defs = dg.Definitions(
    assets=assets,
    asset_checks=[claude_code_agrees_across_apis, *lag_checks(assets)],
    resources=resources_from_env(),
    executor=executor,
    schedules=[provisional_refetch(group, assets) for group in ("enterprise_usage_cost", "admin_usage_cost")],
    sensors=[*sensors, automation_sensor],
)
