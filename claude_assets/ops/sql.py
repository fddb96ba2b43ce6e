"""`claude-assets sql`: the lake in DuckDB, one view per asset, for a query, a shell or a BI tool.

Each asset is a view named as the asset, across every day in the lake (`read_parquet` over its
`date=*/part-0.parquet` files, columns matched by name, so days written before a column existed
read as null there). With several organizations, each has its own schema (`acme.claude_code_usage`).
A lake on an object store is read through the same fsspec filesystem the lake writes with, so no
DuckDB extension is downloaded.

`--export FILE.duckdb` writes a database file BI tools open: the same views over a local lake (so it
stays current as days are added), or copies of the tables when the lake is on an object store,
which a tool outside this process could not reach. The file is written beside its path and renamed
into place, and carries a `claude_assets_export` table: an export replaces only a file that has it.

Only folders named as one of the code location's assets become views, every name quoted: anyone who
can create a folder (or an object-store prefix) in the lake can pick its name, so no name is SQL.
"""

from __future__ import annotations

import os
import sys
import uuid
from typing import TextIO

import duckdb
import pandas as pd

from claude_assets import __version__
from claude_assets.defs.assets.inputs import identifier, quote
from claude_assets.engine.lake import FILE_NAME, Lake
from claude_assets.engine.organizations import Organization
from claude_assets.sources import TABLES

PROMPT, CONTINUE = "claude-assets> ", "          ...> "
MAX_ROWS = 200  # printed per statement
EXPORT_MARK = "claude_assets_export"  # the table that says `--export` wrote a database file
DUCKDB_MAGIC = (8, b"DUCK")  # where a DuckDB database file says what it is
LAKE_ASSETS = frozenset(TABLES)  # the folders an asset of the code location writes, raw and derived


class SqlError(Exception):
    """Why `claude-assets sql` cannot go on, in one line, with what to do."""


def asset_days(lake: Lake) -> dict[str, int]:
    """{asset: days} of the assets with at least one day in the lake (its folders other than `_raw`, `_quarantine`).

    A folder that no asset writes is left out with a warning, its name never part of a statement."""
    try:
        with lake.store_errors():
            entries = lake.fs.ls(lake.root, detail=False)
    except FileNotFoundError:
        return {}
    days = {}
    for name in sorted(entry.rstrip("/").rsplit("/", 1)[-1] for entry in entries):
        if name.startswith(("_", ".")):
            continue
        if name not in LAKE_ASSETS:
            print(f"claude-assets sql: left out {name!r} in the lake at {lake.base}: no asset is named so.",
                  file=sys.stderr)
            continue
        days[name] = len(lake.days(name))
    return {name: n for name, n in days.items() if n}


def create_views(con: duckdb.DuckDBPyConnection, orgs: list[Organization], copy: bool = False) -> dict[str, int]:
    """A view (or with `copy`, a table) per asset of each organization's lake; {qualified name: days}."""
    made = {}
    for org in orgs:
        lake = Lake(org.data_dir)
        if not lake.is_local:
            con.register_filesystem(lake.fs)
        schema = org.name if org.prefixed else "main"
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {identifier(schema)}")
        try:
            present = asset_days(lake)
        except OSError as exc:
            raise SqlError(f"The lake at {lake.base} cannot be read: {exc.strerror or exc} (CLAUDE_ASSETS_DATA_DIR, "
                           "or the organization's data_dir, says where it is).") from None
        for asset, days in present.items():
            kind = "TABLE" if copy else "VIEW"
            files = lake.where(f"{lake.asset_dir(asset)}/date=*/{FILE_NAME}")
            con.execute(f"CREATE OR REPLACE {kind} {identifier(schema)}.{identifier(asset)} AS SELECT * FROM "
                        f"read_parquet({quote(files)}, hive_partitioning = false, union_by_name = true)")
            made[asset if schema == "main" else f"{schema}.{asset}"] = days
    return made


def run_sql(orgs: list[Organization], command: str | None = None, export: str | None = None,
            stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Run `command`, write `export`, or read statements from `stdin` (a shell when it is a terminal).

    `SqlError` when the lake cannot be read or the export cannot be written."""
    if export:
        return _export(orgs, export, stdout)
    con = duckdb.connect()
    made = create_views(con, orgs)
    if not made:
        print(f"No asset has a day in {', '.join(o.data_dir for o in orgs)} yet: materialize some first "
              "(`make demo` builds a demo lake in ./demo/data: CLAUDE_ASSETS_DATA_DIR=./demo/data), or set "
              "CLAUDE_ASSETS_DATA_DIR to your lake.", file=sys.stderr)
    if command is not None:
        return _execute(con, command, stdout)
    return _shell(con, made, stdin, stdout)


def _export(orgs: list[Organization], export: str, stdout: TextIO) -> int:
    """Write the database into a temporary file beside `export`, then rename it into place: a BI tool never
    opens half an export, and a failed one leaves the earlier file as it was."""
    target = os.path.abspath(export)
    folder = os.path.dirname(target)
    _check_export_target(export, target, folder)
    copy = any(not Lake(org.data_dir).is_local for org in orgs)
    tmp = f"{folder}/.{os.path.basename(target)}.{uuid.uuid4().hex}.tmp"
    try:
        with duckdb.connect(tmp) as con:
            made = create_views(con, orgs, copy=copy)
            con.execute(f"CREATE TABLE {EXPORT_MARK} AS SELECT {quote(__version__)} AS claude_assets_version, "
                        "now() AS written_at")
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, f"{tmp}.wal"):
            if os.path.exists(leftover):
                os.remove(leftover)
    kind = "tables copied from" if copy else "views over"
    print(f"Wrote {export}: {len(made)} {kind} the lake ({', '.join(made) or 'no asset has a day yet'}). "
          f"Open it with DuckDB or a BI tool's DuckDB connector.", file=stdout)
    return 0


def _check_export_target(export: str, target: str, folder: str) -> None:
    """Refuse, in one line, a path that cannot be written or a file an export did not write."""
    if os.path.isdir(target):
        raise SqlError(f"--export {export} is a folder: give a file name in it, such as "
                       f"{export.rstrip('/')}/lake.duckdb.")
    if not os.path.isdir(folder):
        raise SqlError(f"--export {export}: the folder {folder} does not exist; create it or pick another path.")
    probe = f"{folder}/.{os.path.basename(target)}.{uuid.uuid4().hex}.tmp"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        os.remove(probe)
    except OSError as exc:
        raise SqlError(f"--export {export}: the folder {folder} cannot be written ({exc.strerror}); "
                       "pick a path in a folder you may write.") from None
    if not os.path.exists(target):
        return
    offset, magic = DUCKDB_MAGIC
    with open(target, "rb") as handle:
        handle.seek(offset)
        if handle.read(len(magic)) != magic:
            raise SqlError(f"--export {export}: a file that is not a DuckDB database is there, and is left alone; "
                           "pick another path, or delete it first.")
    try:
        with duckdb.connect(target, read_only=True) as con:
            marked = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                                 "AND table_name = ?", [EXPORT_MARK]).fetchone()[0]
    except duckdb.Error as exc:
        raise SqlError(f"--export {export}: the DuckDB database there cannot be opened ({str(exc).splitlines()[0]}); "
                       "close the program that holds it, or pick another path.") from None
    if not marked:
        raise SqlError(f"--export {export}: a DuckDB database that claude-assets sql --export did not write is there, "
                       "and is left alone; pick another path, or delete it first.")


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
