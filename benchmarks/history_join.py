"""Joining a year of Claude Code history for 1,000 users: our asset against a plain DuckDB query.

Builds a lake for the emulated organization (the raw assets the join reads, and the metrics of
realistic clients: the users who turned telemetry on, and API keys). Then, each in a fresh process
so that its peak RSS is its own:

1. `claude_code_user_daily` materialized over the whole engagement calendar in one Dagster run
   (atomic writes per day, each day's metadata);
2. the same asset over its newest 31 days, to show memory does not grow with the days;
3. the plain DuckDB query a user would write instead: the asset's SQL over `read_parquet` globs,
   written per day with one `COPY ... PARTITION_BY (date)`;
4. Dagster's own share: the same run of an asset that computes nothing and records the same
   metadata per day (Dagster stores a planned and a materialization event per partition).

It checks that (1) and (3) hold the same rows (count, and sums per source), and prints the ratio
(1) / (3), and the asset's own work, (1) - (4), against (3); the target is at most 1.5.

    python benchmarks/history_join.py [--users 1000] [--days 365] [--lake DIR]

`--lake DIR` reuses a lake an earlier run built (it prints where). The last line is one JSON
object: days, rows, asset_s, duckdb_s, dagster_s, ratio, work_ratio, same_rows, peak_rss_mb,
peak_rss_month_mb, dagster_peak_rss_mb.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time

import pyarrow as pa

from claude_assets import sources
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry
from claude_assets.engine.client import ApiClient, ApiKey
from claude_assets.engine.lake import Lake
from claude_assets.engine.sync import sync_days
from claude_assets.engine.telemetry.files import open_telemetry_dir, telemetry_files
from claude_assets.engine.telemetry.metrics import read_telemetry
from claude_assets.sources import ENDPOINTS

SOURCES = ("claude_code_report", "enterprise_user_activity", "enterprise_user_usage", "enterprise_user_cost")

ASSET = """
import json, resource, time, dagster as dg
from claude_assets.defs.assets.history import claude_code_user_daily
from claude_assets.defs.resources import LakeResource
started = time.perf_counter()
result = dg.materialize([claude_code_user_daily], resources={{"lake": LakeResource(base_dir={lake!r})}},
    tags={{"dagster/asset_partition_range_start": {first!r}, "dagster/asset_partition_range_end": {last!r}}})
print(json.dumps({{"ok": result.success, "seconds": time.perf_counter() - started,
                   "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

# Dagster's share of (1): the same partitions, the same metadata per day, no work.
DAGSTER = """
import json, resource, time, dagster as dg
from claude_assets import sources
@dg.asset(name="claude_code_user_daily", partitions_def=sources.ENGAGEMENT.calendar.partitions_def(),
          backfill_policy=dg.BackfillPolicy.single_run())
def nothing(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    for key in context.partition_keys:
        context.add_asset_metadata({{"day_rows": 250, "dagster/row_count": 83000, "days_in_lake": 332,
                                    "path": dg.MetadataValue.path("/lake/" + key),
                                    "sources_used": "claude_code_telemetry, claude_code_usage, claude_code_model_usage",
                                    "rows_from_telemetry": 1, "rows_from_claude_code_report": 2,
                                    "rows_from_enterprise_users": 0}}, partition_key=key)
    return dg.MaterializeResult()
started = time.perf_counter()
result = dg.materialize([nothing], tags={{"dagster/asset_partition_range_start": {first!r},
                                          "dagster/asset_partition_range_end": {last!r}}})
print(json.dumps({{"ok": result.success, "seconds": time.perf_counter() - started,
                   "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

# The plain query: views over each input's files (an input the lake lacks is an empty view of its columns), the
# asset's own SQL, and one COPY that writes a Parquet file per day.
PLAIN = """
import json, resource, time, duckdb
from claude_assets.defs.assets.history import INPUTS
from claude_assets.defs.assets.inputs import duck_type, query
from claude_assets.engine.lake import Lake
from claude_assets import sources
lake = Lake({lake!r})
started = time.perf_counter()
con = duckdb.connect()
for table in INPUTS:
    if lake.days(table.asset):
        con.execute(f"CREATE VIEW {{table.asset}} AS SELECT * FROM read_parquet('{lake}/{{table.asset}}/date=*/*.parquet', "
                    "union_by_name = true, hive_partitioning = false) WHERE date BETWEEN '{first}' AND '{last}'")
    else:
        columns = ", ".join(f"NULL::{{duck_type(f.type)}} AS {{f.name}}" for f in table.schema)
        con.execute(f"CREATE VIEW {{table.asset}} AS SELECT {{columns}} WHERE false")
*macros, select = duckdb.extract_statements(query("claude_code_user_daily"))
for statement in macros:
    con.execute(statement.query)
con.execute(f"COPY ({{select.query}}) TO '{out}' (FORMAT parquet, PARTITION_BY (date))")
print(json.dumps({{"seconds": time.perf_counter() - started,
                   "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

SUMS = """SELECT source, count(*) AS rows, sum(sessions) AS sessions, sum(lines_added) AS lines,
                 round(sum(cost_usd), 6) AS cost, round(sum(coalesce(cost_usd_delta, 0)), 6) AS delta
          FROM read_parquet('{files}', hive_partitioning = {hive}) GROUP BY source ORDER BY source"""


def build_lake(root: str, users: int, days: list[dt.date]) -> None:
    lake = Lake(f"{root}/lake")
    with Emulator(EmulatorConfig(users=users, rate_limit_per_minute=0)) as emu:
        for endpoint in (e for e in ENDPOINTS if e.name in SOURCES):
            key = emu.admin_key if endpoint.key_kind.value == "admin" else emu.analytics_key
            client = ApiClient(ApiKey(key, endpoint.key_kind), emu.url, requests_per_minute=None)
            for _ in sync_days(endpoint, client, lake, days, resume=False):
                pass
        write_telemetry(emu.org, f"{root}/otel", days[0], days[-1], undercount=0.03, events=None)  # the join reads none
    fs, folder = open_telemetry_dir(f"{root}/otel")
    rows, _ = read_telemetry(fs, telemetry_files(fs, folder, None), set(days))
    from claude_assets.sources.telemetry import TELEMETRY_TABLE
    by_day = {d: [] for d in days}
    for row in rows:
        by_day[row["date"]].append(row)
    for d, day_rows in by_day.items():
        lake.write_day(TELEMETRY_TABLE.asset, d, pa.Table.from_pylist(day_rows, schema=TELEMETRY_TABLE.schema), {})


def run(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the timed process failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sums(files: str, hive: bool) -> list[tuple]:
    import duckdb
    return duckdb.sql(SUMS.format(files=files, hive=str(hive).lower())).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--lake", help="a folder an earlier run built (it holds lake/ and otel/)")
    args = parser.parse_args()
    partitions = sources.ENGAGEMENT.calendar.partitions_def()
    last = dt.date.fromisoformat(partitions.get_last_partition_key())
    first = max(dt.date.fromisoformat(partitions.get_first_partition_key()), last - dt.timedelta(days=args.days - 1))
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    root = args.lake or tempfile.mkdtemp(prefix="history-join-")
    if not args.lake:
        started = time.perf_counter()
        build_lake(root, args.users, days)
        print(f"lake of {len(days)} days for {args.users} users built in {time.perf_counter() - started:.0f}s "
              f"in {root} (--lake {root} reuses it)", flush=True)
    lake = Lake(f"{root}/lake")
    for d in lake.days("claude_code_user_daily"):  # each run starts from no joined days
        lake.fs.rm(f"{lake.asset_dir('claude_code_user_daily')}/date={d}", recursive=True)

    month = run(ASSET.format(lake=lake.base, first=str(max(first, last - dt.timedelta(days=30))), last=str(last)))
    asset = run(ASSET.format(lake=lake.base, first=str(first), last=str(last)))
    out = f"{root}/plain-{time.time_ns()}"
    plain = run(PLAIN.format(lake=lake.base, first=first, last=last, out=out))
    dagster = run(DAGSTER.format(first=str(first), last=str(last)))

    ours = sums(f"{lake.asset_dir('claude_code_user_daily')}/date=*/*.parquet", hive=False)
    theirs = sums(f"{out}/*/*.parquet", hive=True)
    rows = sum(r[1] for r in ours)
    same = ours == theirs
    ratio = asset["seconds"] / plain["seconds"]
    work = asset["seconds"] - dagster["seconds"]
    print(f"claude_code_user_daily, Dagster asset: {len(days)} days, {rows:,} rows in {asset['seconds']:.1f}s, "
          f"peak RSS {asset['peak_rss_mb']:.0f} MB (its newest 31 days: {month['peak_rss_mb']:.0f} MB)")
    print(f"plain DuckDB query writing a file per day: {plain['seconds']:.1f}s, peak RSS {plain['peak_rss_mb']:.0f} MB")
    print(f"Dagster recording {len(days)} partitions of an asset that does nothing: {dagster['seconds']:.1f}s, "
          f"peak RSS {dagster['peak_rss_mb']:.0f} MB")
    print(f"same rows: {'yes' if same else 'NO'} (rows and sums per source: {ours})")
    print(f"ratio asset / plain query: {ratio:.2f}; the asset's own work (less Dagster's {dagster['seconds']:.1f}s) "
          f"/ plain query: {work / plain['seconds']:.2f} (target: at most 1.5)", flush=True)
    print(json.dumps({"days": len(days), "rows": rows, "asset_s": round(asset["seconds"], 2),
                      "duckdb_s": round(plain["seconds"], 2), "dagster_s": round(dagster["seconds"], 2),
                      "ratio": round(ratio, 2), "work_ratio": round(work / plain["seconds"], 2), "same_rows": same,
                      "peak_rss_mb": round(asset["peak_rss_mb"]), "peak_rss_month_mb": round(month["peak_rss_mb"]),
                      "dagster_peak_rss_mb": round(dagster["peak_rss_mb"])}))


if __name__ == "__main__":
    main()
