"""A derived asset's inputs as DuckDB views over the lake's day files, so a run's days are one query.

For a span of days, each input is a view named as the input asset over exactly the files the
span reads (`read_parquet` of a list, columns matched by name), with every column of the input's
`Table` (a column older days lack reads as null, so a query never depends on when a file was
written). Two tables say what exists, for the queries that must tell "no file" from "no rows":

- `run_days(date)`: every day of the span;
- `input_days(asset, date, position)`: the inputs read for each day, in the asset's order.

An input a better one replaces on a day (the legacy per-user reports, where the Usage and Cost
Analytics API has the day) is not read for that day, so its view holds only the other days.
A lake on an object store is read through the lake's own fsspec filesystem.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

from claude_assets.engine.lake import Lake
from claude_assets.engine.tables import Table

QUERIES = Path(__file__).parent / "queries"


def quote(text: str) -> str:
    """A SQL string literal: every text from the lake, the settings or a user goes into a statement through this
    or `identifier`, so no name can end the literal and add SQL of its own."""
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    """A SQL identifier (a view, schema or column name), quoted as DuckDB reads it."""
    return '"' + name.replace('"', '""') + '"'


def duck_type(arrow: pa.DataType) -> str:
    """The DuckDB type of a column of our tables (the types `engine/tables.py` uses)."""
    if pa.types.is_decimal(arrow):
        return f"DECIMAL({arrow.precision}, {arrow.scale})"
    names = {pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.string(): "VARCHAR", pa.bool_(): "BOOLEAN",
             pa.date32(): "DATE", pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ"}
    return names[arrow]


def query(name: str) -> str:
    """The SQL of `queries/<name>.sql`."""
    return (QUERIES / f"{name}.sql").read_text()


def connect(lake: Lake) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    if not lake.is_local:
        con.register_filesystem(lake.fs)
    return con


def days_read(present: dict[str, set[dt.date]], days: list[dt.date],
              replaces: dict[str, tuple[str, ...]]) -> dict[dt.date, list[str]]:
    """{day: the inputs read that day, in order}: those with the day in the lake, less those a better one replaces."""
    read = {}
    for day in days:
        found = [asset for asset, have in present.items() if day in have]
        replaced = {older for better, olders in replaces.items() if better in found for older in olders}
        read[day] = [asset for asset in found if asset not in replaced]
    return read


def create_views(con: duckdb.DuckDBPyConnection, lake: Lake, inputs: list[Table],
                 read: dict[dt.date, list[str]], by_name: bool = False) -> None:
    """The views and tables a query of `read`'s days sees (see the module's docstring).

    Files written by this version all have their table's columns, and are read as such. `by_name` reads
    files of older versions too (a column some lack is null there), at the cost of reading every file's
    schema first; a query that fails on the first reading is run again with it (`run_over_days`)."""
    for table in inputs:
        files = [lake.where(lake.day_path(table.asset, day)) for day, assets in read.items() if table.asset in assets]
        typed = {field.name: duck_type(field.type) for field in table.schema}
        if not files:
            columns = ", ".join(f"NULL::{kind} AS {identifier(name)}" for name, kind in typed.items())
            con.execute(f"CREATE OR REPLACE TEMP VIEW {identifier(table.asset)} AS SELECT {columns} WHERE false")
            continue
        source = (f"read_parquet([{', '.join(map(quote, files))}], hive_partitioning = false"
                  f"{', union_by_name = true' if by_name else ''})")
        have = set(typed)
        if by_name:
            have = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        columns = ", ".join(identifier(name) if name in have else f"NULL::{kind} AS {identifier(name)}"
                            for name, kind in typed.items())
        con.execute(f"CREATE OR REPLACE TEMP VIEW {identifier(table.asset)} AS SELECT {columns} FROM {source}")
    order = {table.asset: n for n, table in enumerate(inputs)}
    listed = [(asset, day) for day, assets in read.items() for asset in assets]
    con.register("_run_days", pa.table({"date": pa.array(list(read), pa.date32())}))
    con.register("_input_days", pa.table({
        "asset": pa.array([asset for asset, _ in listed], pa.string()),
        "date": pa.array([day for _, day in listed], pa.date32()),
        "position": pa.array([order[asset] for asset, _ in listed], pa.int32()),
    }))
    con.execute("CREATE OR REPLACE TEMP TABLE run_days AS SELECT * FROM _run_days")
    con.execute("CREATE OR REPLACE TEMP TABLE input_days AS SELECT * FROM _input_days")

def run_over_days(con: duckdb.DuckDBPyConnection, lake: Lake, inputs: list[Table], read: dict[dt.date, list[str]],
                  sql: str) -> pa.Table:
    """The query's rows for the days of `read`: the files read as this version writes them, else by name."""
    try:
        create_views(con, lake, inputs, read)
        return run_query(con, sql)
    except duckdb.Error:
        create_views(con, lake, inputs, read, by_name=True)
        return run_query(con, sql)


def run_query(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """Run a query file's statements (macros first, the query last) and return what the last one selects."""
    statements = duckdb.extract_statements(sql)
    for statement in statements[:-1]:
        con.execute(statement.query)
    return con.sql(statements[-1].query).to_arrow_table()
