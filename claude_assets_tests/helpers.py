"""Small helpers the test stories share: resources pointed at an emulator, runs over days."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from claude_assets.defs.assets.raw import raw_assets
from claude_assets.defs.checks import claude_code_agrees_across_apis
from claude_assets.defs.resources import AdminApiResource, AnalyticsApiResource, LakeResource

TODAY = dt.datetime.now(dt.timezone.utc).date()


def resources(emu, lake_dir: str, admin_key: str | None = None, analytics_key: str | None = None) -> dict:
    return {
        "admin_api": AdminApiResource(
            api_key=emu.admin_key if admin_key is None else admin_key, base_url=emu.url, requests_per_minute=6000
        ),
        "analytics_api": AnalyticsApiResource(
            api_key=emu.analytics_key if analytics_key is None else analytics_key, base_url=emu.url,
            requests_per_minute=6000,
        ),
        "lake": LakeResource(base_dir=lake_dir),
    }


def materialize(emu, lake_dir: str, select, *, day=None, days=None, instance=None, run_config=None, **keys):
    """One real Dagster run of the selected raw assets over one day or a range of days."""
    tags = {}
    if days:
        tags = {"dagster/asset_partition_range_start": days[0].isoformat(),
                "dagster/asset_partition_range_end": days[-1].isoformat()}
    return dg.materialize(
        [*raw_assets, claude_code_agrees_across_apis],
        selection=select,
        partition_key=day.isoformat() if day else None,
        tags=tags,
        resources=resources(emu, lake_dir, **keys),
        instance=instance,
        run_config=run_config,
        raise_on_error=False,
    )


def materializations(result) -> dict[str, list]:
    found: dict[str, list] = {}
    for event in result.get_asset_materialization_events():
        found.setdefault(event.materialization.asset_key.to_user_string(), []).append(event.materialization)
    return found


def failure(result) -> str:
    """The message of a failed in-process run's failed step, as the run's page shows it."""
    return next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.to_string()
