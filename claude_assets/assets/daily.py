"""What every derived daily asset does with a computed day: write it atomically and record it."""

import datetime as dt

import dagster as dg
import pandas as pd
import pyarrow as pa

from claude_assets.lake import Lake
from claude_assets.tables import Table


def write_day(
    lake: Lake, table: Table, day: dt.date, rows: pd.DataFrame | list[dict], **metadata
) -> tuple[dg.AssetMaterialization, pa.Table]:
    """Replace `day` of `table` in the lake with `rows` (typed by the table's schema); the event and what was written."""
    if isinstance(rows, pd.DataFrame):
        arrow = pa.Table.from_pandas(rows, schema=table.schema, preserve_index=False)
    else:
        arrow = pa.Table.from_pylist(rows, schema=table.schema)
    path = lake.write_day(table.asset, day, arrow, {"fetched_at": dt.datetime.now(dt.timezone.utc).isoformat()})
    event = dg.AssetMaterialization(
        asset_key=table.asset,
        partition=day.isoformat(),
        metadata={"dagster/row_count": arrow.num_rows, "path": dg.MetadataValue.path(path), **metadata},
    )
    return event, arrow
