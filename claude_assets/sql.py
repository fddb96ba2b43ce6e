"""`claude-assets sql`: the lake in DuckDB, one view per asset, for a query, a shell or a BI tool.

Each asset is a view named as the asset, across every day in the lake (`read_parquet` over its
`date=*/part-0.parquet` files, columns matched by name, so days written before a column existed
read as null there). With several organizations, each has its own schema (`acme.claude_code_usage`).
A lake on an object store is read through the same fsspec filesystem the lake writes with, so no
DuckDB extension is downloaded.

`--export FILE.duckdb` writes a database file BI tools open: the same views over a local lake (so it
stays current as days are added), or copies of the tables when the lake is on an object store,
which a tool outside this process could not reach.
"""

from __future__ import annotations

import sys
from typing import TextIO

import duckdb
import pandas as pd

from claude_assets.assets.inputs import quote
from claude_assets.lake import FILE_NAME, Lake
from claude_assets.organizations import Organization

PROMPT, CONTINUE = "claude-assets> ", "          ...> "
MAX_ROWS = 200  # printed per statement


def asset_days(lake: Lake) -> dict[str, int]:
    """{asset: days} of the assets with at least one day in the lake (its folders other than `_raw`, `_quarantine`)."""
    if not lake.fs.exists(lake.root):
        return {}
    names = (entry.rstrip("/").rsplit("/", 1)[-1] for entry in lake.fs.ls(lake.root, detail=False))
    days = {name: len(lake.days(name)) for name in sorted(names) if not name.startswith(("_", "."))}
    return {name: n for name, n in days.items() if n}


def create_views(con: duckdb.DuckDBPyConnection, orgs: list[Organization], copy: bool = False) -> dict[str, int]:
    """A view (or with `copy`, a table) per asset of each organization's lake; {qualified name: days}."""
    made = {}
    for org in orgs:
        lake = Lake(org.data_dir)
        if not lake.is_local:
            con.register_filesystem(lake.fs)
        schema = org.name if org.prefixed else "main"
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for asset, days in asset_days(lake).items():
            kind = "TABLE" if copy else "VIEW"
            files = lake.where(f"{lake.asset_dir(asset)}/date=*/{FILE_NAME}")
            con.execute(f'CREATE OR REPLACE {kind} "{schema}"."{asset}" AS SELECT * FROM read_parquet('
                        f"{quote(files)}, hive_partitioning = false, union_by_name = true)")
            made[asset if schema == "main" else f"{schema}.{asset}"] = days
    return made


def run_sql(orgs: list[Organization], command: str | None = None, export: str | None = None,
            stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Run `command`, write `export`, or read statements from `stdin` (a shell when it is a terminal)."""
    if export:
        copy = any(not Lake(org.data_dir).is_local for org in orgs)
        with duckdb.connect(export) as con:
            made = create_views(con, orgs, copy=copy)
        kind = "tables copied from" if copy else "views over"
        print(f"Wrote {export}: {len(made)} {kind} the lake ({', '.join(made) or 'no asset has a day yet'}). "
              f"Open it with DuckDB or a BI tool's DuckDB connector.", file=stdout)
        return 0
    con = duckdb.connect()
    made = create_views(con, orgs)
    if not made:
        print(f"No asset has a day in {', '.join(o.data_dir for o in orgs)} yet: materialize some first "
              "(`make demo` builds a demo lake in ./demo/data: CLAUDE_ASSETS_DATA_DIR=./demo/data), or set "
              "CLAUDE_ASSETS_DATA_DIR to your lake.", file=sys.stderr)
    if command is not None:
        return _execute(con, command, stdout)
    return _shell(con, made, stdin, stdout)


def _execute(con: duckdb.DuckDBPyConnection, sql: str, stdout: TextIO) -> int:
    """Run each statement in turn and print what it returns; stop at the first that fails."""
    try:
        for statement in duckdb.extract_statements(sql):
            relation = con.sql(statement.query)
            if relation is not None:
                _print(relation, stdout)
    except duckdb.Error as error:
        print(f"SQL error: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


def _print(relation: duckdb.DuckDBPyRelation, stdout: TextIO) -> None:
    """The result as an aligned table, values as DuckDB returns them (a sum of integers stays an integer)."""
    rows = relation.limit(MAX_ROWS + 1).fetchall()
    table = pd.DataFrame(rows[:MAX_ROWS], columns=relation.columns, dtype=object)
    print(table.to_string(index=False), file=stdout)
    if len(rows) > MAX_ROWS:
        print(f"(the first {MAX_ROWS} rows; add a LIMIT, or --export the lake for a BI tool)", file=stdout)
    stdout.flush()


def _shell(con: duckdb.DuckDBPyConnection, made: dict[str, int], stdin: TextIO, stdout: TextIO) -> int:
    """Statements end with `;`; a failed one is reported and the shell goes on. Ctrl-D leaves."""
    interactive = stdin.isatty()
    if interactive:
        print(f"DuckDB {duckdb.__version__} over the lake: {len(made)} views ({', '.join(made)}). "
              "End statements with ';', Ctrl-D to leave.", file=stdout)
        import readline  # noqa: F401  (line editing and history for input())
    failed, pending = 0, []
    while True:
        try:
            line = input(CONTINUE if pending else PROMPT) + "\n" if interactive else stdin.readline()
        except EOFError:
            print(file=stdout)
            break
        if not line:
            break
        pending.append(line)
        if line.rstrip().endswith(";"):
            failed |= _execute(con, "".join(pending), stdout)
            pending = []
    if "".join(pending).strip():
        failed |= _execute(con, "".join(pending), stdout)
    return failed
