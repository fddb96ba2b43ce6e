"""Joining a year of Claude Code history for 1,000 users: `claude_code_user_daily` over every day.

Builds a lake for the emulated organization (the raw assets the join reads, and the metrics of
realistic clients: the users who turned telemetry on, and API keys), then materializes
`claude_code_user_daily` over the whole engagement calendar in one run, in a fresh process whose
peak RSS is the join's own.

    python benchmarks/history_join.py [--users 1000] [--days 365]

The last line is one JSON object: days, rows, join_s, rows_per_s, peak_rss_mb.
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

from claude_assets import calendars
from claude_assets.client import ApiClient, ApiKey
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry
from claude_assets.endpoints import ENDPOINTS
from claude_assets.lake import Lake
from claude_assets.sync import sync_days
from claude_assets.telemetry.files import open_telemetry_dir, telemetry_files
from claude_assets.telemetry.metrics import read_telemetry

SOURCES = ("claude_code_report", "enterprise_user_activity", "enterprise_user_usage", "enterprise_user_cost")

JOIN = """
import json, resource, time, dagster as dg
from claude_assets.assets.history import claude_code_user_daily
from claude_assets.resources import LakeResource
started = time.perf_counter()
result = dg.materialize([claude_code_user_daily], resources={{"lake": LakeResource(base_dir={lake!r})}},
    tags={{"dagster/asset_partition_range_start": {first!r}, "dagster/asset_partition_range_end": {last!r}}})
print(json.dumps({{"ok": result.success, "join_s": time.perf_counter() - started,
                   "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    partitions = calendars.ENGAGEMENT.partitions_def()
    last = dt.date.fromisoformat(partitions.get_last_partition_key())
    first = max(dt.date.fromisoformat(partitions.get_first_partition_key()), last - dt.timedelta(days=args.days - 1))
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    root = tempfile.mkdtemp(prefix="history-join-")
    lake = Lake(f"{root}/lake")
    started = time.perf_counter()
    with Emulator(EmulatorConfig(users=args.users, rate_limit_per_minute=0)) as emu:
        for endpoint in (e for e in ENDPOINTS if e.name in SOURCES):
            key = emu.admin_key if endpoint.key_kind.value == "admin" else emu.analytics_key
            client = ApiClient(ApiKey(key, endpoint.key_kind), emu.url, requests_per_minute=None)
            for _ in sync_days(endpoint, client, lake, days, resume=False):
                pass
        write_telemetry(emu.org, f"{root}/otel", days[0], days[-1], undercount=0.03, events=None)  # the join reads none
    fs, folder = open_telemetry_dir(f"{root}/otel")
    rows, _ = read_telemetry(fs, telemetry_files(fs, folder, None), set(days))
    from claude_assets.assets.telemetry import TELEMETRY_TABLE
    by_day = {d: [] for d in days}
    for row in rows:
        by_day[row["date"]].append(row)
    for d, day_rows in by_day.items():
        lake.write_day(TELEMETRY_TABLE.asset, d, pa.Table.from_pylist(day_rows, schema=TELEMETRY_TABLE.schema), {})
    print(f"lake of {len(days)} days for {args.users} users built in {time.perf_counter() - started:.0f}s", flush=True)

    code = JOIN.format(lake=f"{root}/lake", first=str(days[0]), last=str(days[-1]))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    joined = sum(lake.read_day("claude_code_user_daily", d).num_rows for d in lake.days("claude_code_user_daily"))
    print(f"claude_code_user_daily: {len(days)} days, {joined:,} rows joined in {figures['join_s']:.1f}s "
          f"({joined / figures['join_s']:,.0f} rows/s), peak RSS {figures['peak_rss_mb']:.0f} MB", flush=True)
    print(json.dumps({"days": len(days), "rows": joined, "join_s": round(figures["join_s"], 1),
                      "rows_per_s": round(joined / figures["join_s"]), "peak_rss_mb": round(figures["peak_rss_mb"])}))


if __name__ == "__main__":
    main()
