"""The `claude_assets` code location: `dagster dev -m claude_assets.definitions` or workspace.yaml.

One set of assets per organization (engine/organizations.py): by default one, configured by the
environment, with plain asset keys; with CLAUDE_ASSETS_ORGANIZATIONS, each named organization's
assets under its name. The `connection_check` job checks every organization's keys (`claude-assets check`).
"""

import dagster as dg

from claude_assets.defs.assets.history import build_user_daily
from claude_assets.defs.assets.organization import build_cost_reconciliation, build_org_daily_overview
from claude_assets.defs.assets.raw import API_TAG, build_raw_assets, lake_history
from claude_assets.defs.assets.telemetry import build_events_asset, build_telemetry_asset
from claude_assets.defs.automation import automation_sensor, provisional_refetch, with_automation
from claude_assets.defs.checks import cross_api_check
from claude_assets.defs.freshness import lag_checks, with_freshness
from claude_assets.defs.incidents import incident_checks
from claude_assets.defs.jobs import build_connection_check_job
from claude_assets.defs.resources import resources_from_env
from claude_assets.defs.sensors import sensors
from claude_assets.defs.workers import recorded_multiprocess_executor
from claude_assets.engine import organizations
from claude_assets.sources import SOURCES

# Steps that call the same API for the same organization share one rate budget, so a run executes
# at most one of them at a time, while other APIs and organizations overlap. Across runs, the
# instance's pools do the same (deploy/dagster.yaml). A run of one materializing step runs in process; a run of
# several forks each step from a server that imported the run's code location once (defs/workers.py).
executor = recorded_multiprocess_executor.configured(
    {"tag_concurrency_limits": [{"key": API_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}],
     "start_method": {"forkserver": {}}}
)


def organization_assets(org: organizations.Organization, kept: dict | None = None) -> list[dg.AssetsDefinition]:
    return [*build_raw_assets(org, kept), build_telemetry_asset(org), build_events_asset(org), build_user_daily(org),
            build_org_daily_overview(org), build_cost_reconciliation(org)]


def build_definitions(orgs: list[organizations.Organization]) -> dg.Definitions:
    """The code location. It lists the lakes once, as it loads: a day an API no longer serves is a raw asset's
    partition only if the lake holds it (engine/calendars.py)."""
    kept = lake_history(orgs)
    assets = with_automation(with_freshness([a for org in orgs for a in organization_assets(org, kept)]))
    return dg.Definitions(
        assets=assets,
        asset_checks=[*(cross_api_check(org) for org in orgs), *lag_checks(assets), incident_checks(assets)],
        resources=resources_from_env(orgs),
        executor=executor,
        jobs=[build_connection_check_job(orgs)],
        # the sources whose days are revised for a while: re-fetched daily until settled, if any organization syncs them
        schedules=[provisional_refetch(source.group, assets) for source in SOURCES if source.provisional
                   and any(spec.group_name == source.group for a in assets for spec in a.specs)],
        sensors=[*sensors, automation_sensor],
    )


defs = build_definitions(organizations.configured())
