"""Is the data on time? Freshness policies for the sync cadence, and partition-lag checks for data time.

Dagster's `FreshnessPolicy` measures time since the last materialization of any partition, which
says whether syncs run, not whether the newest day an API serves has arrived. So every asset
gets both:

- a freshness policy from its source's warn and fail windows, overridable with
  `CLAUDE_ASSETS_FRESHNESS_<SOURCE>_HOURS=warn,fail`, e.g. `..._ENTERPRISE_ENGAGEMENT_HOURS=30,54`;
- a `partition_lag` check: the newest day that should exist by now (D-3 for engagement after its
  16:00 UTC deadline, D-1 for the others after 06:00 UTC) is materialized, and the daily syncs
  left no gap in the last week; the failing result lists the missing days. Older days, even one
  materialized by hand, are never a missed deadline.
"""

import datetime as dt
import os

import dagster as dg

from claude_assets.engine.calendars import Calendar
from claude_assets.engine.client import ConfigurationError
from claude_assets.engine.source import Source
from claude_assets.sources import by_group, calendar_of

# The daily syncs ask for the newest day only; a day one of them missed stays reported for a week,
# after which filling it is a backfill's business, not a missed deadline.
MAINTAINED_DAYS = 7
LAG_CHECK = "partition_lag"


def freshness_policy(source: Source) -> dg.FreshnessPolicy:
    warn, fail = source.freshness_hours
    name = f"CLAUDE_ASSETS_FRESHNESS_{source.group.upper()}_HOURS"
    override = os.environ.get(name)
    if override:
        try:
            warn, fail = (float(part) for part in override.split(","))
        except ValueError:
            raise ConfigurationError(
                f"{name}={override!r}: write two numbers of hours, warn then "
                "fail, e.g. 26,50."
            ) from None
        if not 1 / 60 <= warn < fail:
            raise ConfigurationError(
                f"{name}={override!r}: warn must be at least a minute "
                "(0.017 hours) and less than fail."
            )
    return dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=fail), warn_window=dt.timedelta(hours=warn))


def with_freshness(assets: list) -> list:
    """The assets with the freshness policy of their source (their group) applied."""
    return list(dg.map_asset_specs(
        lambda spec: spec.replace_attributes(freshness_policy=freshness_policy(by_group(spec.group_name))), assets
    ))


def missing_days(calendar: Calendar, materialized: set[str], first_partition: dt.date, now: dt.datetime) -> list[dt.date]:
    """Days that should be in the lake by `now` and are not, oldest first.

    That is the newest day due, and the gaps the daily syncs left in the last `MAINTAINED_DAYS`
    days from the first of them in the lake. A day older than that is a backfill's choice, not a
    deadline: materializing one by hand changes nothing here. A day the API no longer serves is
    never owed.
    """
    newest = calendar.newest_due(now)
    oldest = max(first_partition, calendar.bounds(now.date(), served=True)[0],
                 newest - dt.timedelta(days=MAINTAINED_DAYS - 1))
    window = [oldest + dt.timedelta(days=n) for n in range((newest - oldest).days + 1)]
    synced = min((d for d in window if d.isoformat() in materialized), default=newest)
    return [d for d in window if d >= synced and d.isoformat() not in materialized]


def lag_check(asset: str | dg.AssetKey, calendar: Calendar) -> dg.AssetChecksDefinition:
    key = dg.AssetKey.from_coercible(asset)

    @dg.asset_check(
        asset=key,
        name=LAG_CHECK,
        description=f"The newest day due ({calendar.lag_days} day(s) back, after {calendar.deadline_hour:02d}:00 UTC) "
        f"is materialized and the daily syncs left no gap in the last {MAINTAINED_DAYS} days.",
        automation_condition=dg.AutomationCondition.cron_tick_passed("20 * * * *", "UTC"),
    )
    def _check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        now = dt.datetime.now(dt.timezone.utc)
        partitions = calendar.partitions_def()
        materialized = context.instance.get_materialized_partitions(key)
        first = dt.date.fromisoformat(partitions.get_first_partition_key())
        missing = missing_days(calendar, materialized, first, now)
        newest = calendar.newest_due(now)
        late = newest in missing
        return dg.AssetCheckResult(
            passed=not missing,
            severity=dg.AssetCheckSeverity.ERROR if late else dg.AssetCheckSeverity.WARN,
            description=(f"{newest} is past its deadline and not in the lake" if late
                         else f"{len(missing)} day(s) of the last {MAINTAINED_DAYS} missing" if missing
                         else "every day due is in the lake"),
            metadata={
                "newest_due": newest.isoformat(),
                "missing_days": dg.MetadataValue.json([d.isoformat() for d in missing]),
                "missing_count": len(missing),
            },
        )

    return _check


def lag_checks(assets: list) -> list[dg.AssetChecksDefinition]:
    """One partition-lag check per partitioned asset, from its group's calendar."""
    return [
        lag_check(spec.key, calendar_of(spec))
        for assets_def in assets for spec in assets_def.specs if spec.partitions_def is not None
    ]
