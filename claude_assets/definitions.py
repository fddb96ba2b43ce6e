"""The `claude_assets` code location: `dagster dev -m claude_assets.definitions` or workspace.yaml.

One set of assets per organization (organizations.py): by default one, configured by the
environment, with plain asset keys; with CLAUDE_ASSETS_ORGANIZATIONS, each named organization's
assets under its name. The `connection_check` job checks every organization's keys (`claude-assets check`).
"""

import dagster as dg

from claude_assets import organizations
from claude_assets.assets.history import build_user_daily
from claude_assets.assets.organization import build_cost_reconciliation, build_org_daily_overview
from claude_assets.assets.raw import API_TAG, build_raw_assets, lake_history
from claude_assets.assets.telemetry import build_events_asset, build_telemetry_asset
from claude_assets.automation import automation_sensor, provisional_refetch, with_automation
from claude_assets.checks import cross_api_check
from claude_assets.connection import build_connection_check_job
from claude_assets.freshness import lag_checks, with_freshness
from claude_assets.incidents import incident_checks
from claude_assets.resources import resources_from_env
from claude_assets.sensors import sensors
from claude_assets.workers import recorded_multiprocess_executor

# Steps that call the same API for the same organization share one rate budget, so a run executes
# at most one of them at a time, while other APIs and organizations overlap. Across runs, the
# instance's pools do the same (deploy/dagster.yaml).
# The sources whose days are revised for a month: re-fetched daily until settled (if any organization syncs them).
PROVISIONAL_GROUPS = ("usage_cost_analytics", "enterprise_usage_cost", "admin_usage_cost")

# A run of several steps forks each from a server that imported the run's code location once (workers.py).
executor = recorded_multiprocess_executor.configured(
    {"tag_concurrency_limits": [{"key": API_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}],
     "start_method": {"forkserver": {}}}
)


def organization_assets(org: organizations.Organization, kept: dict | None = None) -> list[dg.AssetsDefinition]:
    return [*build_raw_assets(org, kept), build_telemetry_asset(org), build_events_asset(org), build_user_daily(org),
            build_org_daily_overview(org), build_cost_reconciliation(org)]


def build_definitions(orgs: list[organizations.Organization]) -> dg.Definitions:
    """The code location. It lists the lakes once, as it loads: a day an API no longer serves is a raw asset's
    partition only if the lake holds it (calendars.py)."""
    kept = lake_history(orgs)
    assets = with_automation(with_freshness([a for org in orgs for a in organization_assets(org, kept)]))
    return dg.Definitions(
        assets=assets,
        asset_checks=[*(cross_api_check(org) for org in orgs), *lag_checks(assets), incident_checks(assets)],
        resources=resources_from_env(orgs),
        executor=executor,
        jobs=[build_connection_check_job(orgs)],
        schedules=[provisional_refetch(group, assets) for group in PROVISIONAL_GROUPS
                   if any(spec.group_name == group for a in assets for spec in a.specs)],
        sensors=[*sensors, automation_sensor],
    )


defs = build_definitions(organizations.configured())
