"""Daily assets computed from files and the lake: one way to compute their days, write a day and record it.

The telemetry asset writes days with `write_day`; the joined and report assets are all built by
`derived_daily_asset`: one SQL query per asset (`queries/<asset>.sql`) computes a span of the run's
days at once in DuckDB, over views of exactly the input files those days read (see `inputs.py`);
then each day is written atomically with its own metadata, saying which inputs it used (an
organization may have only some). Spans of a quarter keep memory flat over a year-long run.

These write every day of their run, so they end in one `MaterializeResult` (each day with its
own metadata, through `add_asset_metadata`): its output is what lets a downstream asset in the
same run start, where events alone would make Dagster skip it.
"""

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from claude_assets.defs.assets.inputs import connect, days_read, query, run_over_days
from claude_assets.defs.assets.raw import column_schema, size_metadata, synced_assets
from claude_assets.engine import calendars
from claude_assets.engine.lake import Lake
from claude_assets.engine.organizations import DEFAULT, Organization
from claude_assets.engine.tables import Table
from claude_assets.sources import RAW_ASSETS

SPAN_DAYS = 92  # days computed by one query: a year-long run is 4 queries, and memory holds a quarter
WRITERS = 4  # threads writing a span's days (encoding and fsync release the GIL)


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
        {"day_rows": arrow.num_rows, "path": dg.MetadataValue.path(path), **metadata},
        asset_key=org.key(table.asset), partition_key=day.isoformat(),
    )
    return arrow


def record_size(context: dg.AssetExecutionContext, lake: Lake, table: Table, days: list[dt.date],
                org: Organization = DEFAULT) -> None:
    """Add the table's size in the lake, measured once when the run has written its `days`, to each day's metadata."""
    size = size_metadata(lake, table.asset) if days else {}
    for day in days:
        context.add_asset_metadata(size, asset_key=org.key(table.asset), partition_key=day.isoformat())


def derived_daily_asset(
    table: Table,
    calendar: calendars.Calendar,
    group: str,
    inputs: list[Table],
    description: str,
    org: Organization = DEFAULT,
    replaces: dict[str, tuple[str, ...]] | None = None,
    chart: Callable[[Lake, dt.date], dict] | None = None,
    day_metadata: Callable[[pa.Table], dict] | None = None,
) -> dg.AssetsDefinition:
    """A daily asset of `org` whose days are the query `queries/<table.asset>.sql` over `inputs`.

    `replaces` names inputs that, on a day they have, stand in for others (the Usage and Cost Analytics API
    for the legacy reports): those are then not read, so `sources_used` says which one the day came from.
    Inputs from endpoints the organization does not sync are never read (the query sees no rows).
    `day_metadata(rows)` adds to each day's metadata.
    `chart(lake, day)` -> metadata (an image) is added to the run's newest day only: the asset page shows the
    latest materialization's metadata, and a year-long run should not store a chart per day."""
    partitions_def = calendar.partitions_def()
    lake_resource = org.resource("lake")
    sql = query(table.asset)
    readable = {t.asset for t in inputs if t.asset not in RAW_ASSETS or t.asset in synced_assets(org)}
    spec = dg.AssetSpec(
        org.key(table.asset), group_name=group, description=description, kinds={"parquet", "duckdb"},
        partitions_def=partitions_def, deps=[org.key(t.asset) for t in inputs if t.asset in readable], skippable=True,
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
        present = {t.asset: set(lake.days(t.asset)) if t.asset in readable else set() for t in inputs}
        days = sorted(dt.date.fromisoformat(key) for key in context.partition_keys)
        info = {"fetched_at": dt.datetime.now(dt.timezone.utc).isoformat()}

        def record(written: list[tuple[dt.date, list[str], pa.Table, Future]]) -> None:
            for day, used, rows, path in written:
                if not used:
                    context.log.warning(f"{table.asset} {day}: none of its inputs is in the lake for this day; "
                                        "wrote it empty")
                context.add_asset_metadata(
                    {"day_rows": rows.num_rows, "path": dg.MetadataValue.path(path.result()),
                     "sources_used": ", ".join(used) or "none", **(day_metadata(rows) if day_metadata else {})},
                    asset_key=org.key(table.asset), partition_key=day.isoformat())

        # A span's days are written by a few threads while DuckDB computes the next span; at most one span
        # is held in memory besides the one being computed.
        with connect(lake) as con, ThreadPoolExecutor(max_workers=WRITERS) as writers:
            written: list = []
            for start in range(0, len(days), SPAN_DAYS):
                read = days_read(present, days[start:start + SPAN_DAYS], replaces or {})
                result = _compute(con, lake, inputs, read, sql)
                record(written)
                written = [(day, used, rows, writers.submit(lake.write_day, table.asset, day, rows, info))
                           for (day, used), rows in zip(read.items(), _by_day(result, list(read), table.schema))]
            record(written)
        record_size(context, lake, table, days, org)
        if chart is not None and days:
            context.add_asset_metadata(chart(lake, days[-1]), asset_key=org.key(table.asset),
                                       partition_key=days[-1].isoformat())
        return dg.MaterializeResult(asset_key=org.key(table.asset))

    return _asset


def _by_day(result: pa.Table, days: list[dt.date], schema: pa.Schema) -> list[pa.Table]:
    """The query's rows (ordered by date) cut into one table per day, typed by the asset's schema."""
    result = result.select(schema.names).cast(schema)
    dates = result["date"].cast(pa.int32()).to_numpy(zero_copy_only=False)
    epoch = dt.date(1970, 1, 1)
    bounds = [(int(np.searchsorted(dates, n, "left")), int(np.searchsorted(dates, n, "right")))
              for n in ((day - epoch).days for day in days)]
    return [result.slice(first, end - first) for first, end in bounds]


def _compute(con: duckdb.DuckDBPyConnection, lake: Lake, inputs: list[Table],
             read: dict[dt.date, list[str]], sql: str) -> pa.Table:
    """The query's rows for the days of `read`; a damaged input file is named with what to do about it."""
    try:
        return run_over_days(con, lake, inputs, read, sql)
    except duckdb.Error:
        for day, used in read.items():
            for asset in used:
                lake.day_rows(asset, day)  # raises DamagedDayError, which names the file and the fix
        raise
