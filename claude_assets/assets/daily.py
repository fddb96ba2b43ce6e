"""Daily assets computed from files and the lake: one way to read their inputs, write a day and record it.

The telemetry asset writes days with `write_day`; the joined and report assets are all built by
`derived_daily_asset`: for each day of the run, read the inputs that exist in the lake, compute
the day, write it atomically, and say which inputs it used (an organization may have only some).

These write every day of their run, so they end in one `MaterializeResult` (each day with its
own metadata, through `add_asset_metadata`): its output is what lets a downstream asset in the
same run start, where events alone would make Dagster skip it.
"""

import datetime as dt
from typing import Callable

import dagster as dg
import pandas as pd
import pyarrow as pa

from claude_assets import calendars
from claude_assets.assets.raw import column_schema, synced_assets
from claude_assets.endpoints import RAW_ASSETS
from claude_assets.lake import Lake
from claude_assets.organizations import DEFAULT, Organization
from claude_assets.tables import Table

Rows = pd.DataFrame | list[dict]


def read_day(lake: Lake, asset: str, day: dt.date) -> pd.DataFrame | None:
    """One day of an asset as a frame, or None if that day is not in the lake."""
    table = lake.read_day(asset, day)
    return None if table is None else table.to_pandas()


def actor_rows(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """One grouping of a Usage and Cost Analytics table (who spent it): the others add up to the same totals."""
    return None if frame is None else frame[frame["grouping"] == "actor"]


def write_day(
    context: dg.AssetExecutionContext, lake: Lake, table: Table, day: dt.date, rows: pd.DataFrame | list[dict],
    org: Organization = DEFAULT, **metadata,
) -> pa.Table:
    """Replace `day` of `table` in the lake with `rows` (typed by the table's schema) and record the day's metadata."""
    if isinstance(rows, pd.DataFrame):
        arrow = pa.Table.from_pandas(rows, schema=table.schema, preserve_index=False)
    else:
        arrow = pa.Table.from_pylist(rows, schema=table.schema)
    path = lake.write_day(table.asset, day, arrow, {"fetched_at": dt.datetime.now(dt.timezone.utc).isoformat()})
    context.add_asset_metadata(
        {"dagster/row_count": arrow.num_rows, "path": dg.MetadataValue.path(path), **metadata},
        asset_key=org.key(table.asset), partition_key=day.isoformat(),
    )
    return arrow


def derived_daily_asset(
    table: Table,
    calendar: calendars.Calendar,
    group: str,
    inputs: list[str],
    compute: Callable[[dt.date, dict[str, pd.DataFrame | None]], tuple[Rows, dict]],
    description: str,
    org: Organization = DEFAULT,
    replaces: dict[str, tuple[str, ...]] | None = None,
) -> dg.AssetsDefinition:
    """A daily asset of `org` whose day is `compute(day, inputs)` -> (rows, extra metadata).

    `replaces` names inputs that, on a day they have, stand in for others (the Usage and Cost Analytics API
    for the legacy reports): those are then not read, so `sources_used` says which one the day came from.
    Inputs from endpoints the organization does not sync are never read (compute sees None)."""
    partitions_def = calendar.partitions_def()
    lake_resource = org.resource("lake")
    readable = [asset for asset in inputs if asset not in RAW_ASSETS or asset in synced_assets(org)]
    spec = dg.AssetSpec(
        org.key(table.asset), group_name=group, description=description, kinds={"parquet", "pandas"},
        partitions_def=partitions_def, deps=[org.key(asset) for asset in readable], skippable=True,
        metadata={"dagster/column_schema": column_schema(table), "natural_key": ", ".join(table.natural_key),
                  calendars.METADATA_KEY: calendar.name},
    )

    @dg.multi_asset(
        name=org.op_name(table.asset),
        specs=[spec],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        required_resource_keys={lake_resource},
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        lake: Lake = getattr(context.resources, lake_resource).get_lake()
        for key in context.partition_keys:
            day = dt.date.fromisoformat(key)
            found = {asset: read_day(lake, asset, day) if asset in readable else None for asset in inputs}
            for better, older in (replaces or {}).items():
                if found.get(better) is not None:
                    found.update(dict.fromkeys(older))
            used = [asset for asset, frame in found.items() if frame is not None]
            if not used:
                context.log.warning(f"{table.asset} {key}: none of its inputs is in the lake for this day; wrote it empty")
            rows, metadata = compute(day, found)
            write_day(context, lake, table, day, rows, org, sources_used=", ".join(used) or "none", **metadata)
        return dg.MaterializeResult(asset_key=org.key(table.asset))

    return _asset
