"""Daily automation: each source syncs its newest day once the API has made it available.

Every asset gets an automation condition from its source's cron (overridable with
`CLAUDE_ASSETS_<SOURCE>_SYNC_CRON`). Raw assets and telemetry use `on_cron`: after the cron
tick, the latest partition of their calendar, which by construction is the newest day the
API serves (D-1, or D-3 for engagement), is requested once; days the API cannot serve are not
partitions, so nothing asks for them. The joined and report assets follow later in the day,
whatever subset of their parents the organization has (so they do not wait on assets that never
update). The default automation condition sensor evaluates these in `dagster dev`.
"""

import os

import dagster as dg

from claude_assets.engine.source import Source
from claude_assets.sources import by_group


def sync_cron(source: Source) -> str:
    return os.environ.get(f"CLAUDE_ASSETS_{source.group.upper()}_SYNC_CRON") or source.cron


def automation_condition(source: Source) -> dg.AutomationCondition:
    cron = sync_cron(source)
    if source.derived:
        return (
            dg.AutomationCondition.in_latest_time_window()
            & dg.AutomationCondition.cron_tick_passed(cron, "UTC").since_last_handled()
            & ~dg.AutomationCondition.in_progress()
        ).with_label(f"daily at {cron} UTC, from the parents it has")
    return dg.AutomationCondition.on_cron(cron, "UTC")


# Evaluates every automation condition above (and the partition-lag checks'); RUNNING out of the box.
automation_sensor = dg.AutomationConditionSensorDefinition(
    "claude_assets_automation",
    target=dg.AssetSelection.all() | dg.AssetSelection.all_asset_checks(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
)


def with_automation(assets: list) -> list:
    return list(dg.map_asset_specs(
        lambda spec: spec.replace_attributes(automation_condition=automation_condition(by_group(spec.group_name))), assets
    ))


# Cost and usage stay provisional for 30 days (late events, reconciliation). A daily run over the
# last month re-fetches exactly the days not yet settled (the sync skips settled ones) and
# records in each day's metadata how its totals moved.
PROVISIONAL_DAYS = 30
PROVISIONAL_CRON = "0 7 * * *"


def provisional_refetch(group: str, assets: list) -> dg.ScheduleDefinition:
    job = dg.define_asset_job(f"refetch_provisional_{group}", selection=dg.AssetSelection.groups(group))

    @dg.schedule(job=job, cron_schedule=PROVISIONAL_CRON, execution_timezone="UTC",
                 default_status=dg.DefaultScheduleStatus.RUNNING, name=f"refetch_provisional_{group}")
    def _schedule(context: dg.ScheduleEvaluationContext):
        partitions = next(s.partitions_def for a in assets for s in a.specs if s.group_name == group)
        keys = partitions.get_partition_keys(current_time=context.scheduled_execution_time)[-PROVISIONAL_DAYS:]
        return dg.RunRequest(
            run_key=f"{group}-{keys[-1]}",
            tags={"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]},
        )

    return _schedule
