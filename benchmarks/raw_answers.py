"""What keeping the API's answers costs: disk per year, and the time to rebuild a year from them.

Every raw endpoint is synced over the newest `--days` partitions of its calendar from an emulator of
`--users` users (rate limits off), which keeps each listing's pages gzip-compressed in the lake's
`_raw` folder. Then every table is deleted and rebuilt from those answers alone, with no client at
all, and the rebuilt tables are checked equal to the fetched ones.

    python benchmarks/raw_answers.py [--days 365] [--users 1000]
    python benchmarks/raw_answers.py --days 7 --users 10      # the smoke run

The last line is one JSON object: raw_mb, tables_mb, raw_mb_per_year, fetch_s, rebuild_s, rows,
rebuilt_equal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.client import ApiClient, ApiKey, KeyKind
from claude_assets.engine.lake import RAW_DIR, Lake
from claude_assets.engine.sync import sync_days
from claude_assets.sources import ENDPOINTS


def window(endpoint, days: int) -> list[dt.date]:
    """The newest `days` partitions of the endpoint's calendar (fewer if the calendar is shorter)."""
    partitions = endpoint.calendar.partitions_def()
    last = dt.date.fromisoformat(partitions.get_last_partition_key())
    first = max(dt.date.fromisoformat(partitions.get_first_partition_key()), last - dt.timedelta(days=days - 1))
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def megabytes(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="raw-answers-"))
    lake = Lake(str(root))
    rows = 0
    with Emulator(EmulatorConfig(seed=7, users=args.users, rate_limit_per_minute=0)) as emu:
        keys = {KeyKind.ADMIN: emu.admin_key, KeyKind.ANALYTICS: emu.analytics_key}
        started = time.monotonic()
        for endpoint in ENDPOINTS:
            kind = endpoint.key_kind or KeyKind.ANALYTICS  # either key reads the Usage and Cost Analytics API
            client = ApiClient(ApiKey(keys[kind], kind), emu.url, requests_per_minute=None)
            with client:
                for result in sync_days(endpoint, client, lake, window(endpoint, args.days), resume=False):
                    rows += result.rows
            print(f"  fetched {endpoint.name}", flush=True)
        fetch_s = time.monotonic() - started
    fetched = {asset: lake.read_asset(asset) for endpoint in ENDPOINTS for asset in endpoint.assets}
    raw_mb = megabytes(root / RAW_DIR)
    tables_mb = megabytes(root) - raw_mb
    for asset in fetched:
        shutil.rmtree(root / asset, ignore_errors=True)

    started = time.monotonic()
    for endpoint in ENDPOINTS:
        for _ in sync_days(endpoint, None, lake, window(endpoint, args.days), resume=False, rebuild=True):
            pass
    rebuild_s = time.monotonic() - started
    equal = all(lake.read_asset(asset).equals(table) for asset, table in fetched.items())
    shutil.rmtree(root)
    figures = {
        "days": args.days, "users": args.users, "rows": rows,
        "raw_mb": round(raw_mb, 2), "tables_mb": round(tables_mb, 2),
        "raw_mb_per_year": round(raw_mb * 365 / args.days, 1),
        "fetch_s": round(fetch_s, 1), "rebuild_s": round(rebuild_s, 1), "rebuilt_equal": equal,
    }
    print(f"Kept answers: {raw_mb:.1f} MB for {args.days} days of {args.users} users (tables: {tables_mb:.1f} MB); "
          f"fetched in {fetch_s:.0f} s, rebuilt from the answers in {rebuild_s:.0f} s; equal: {equal}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
