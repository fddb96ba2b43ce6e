"""Memory of reading a long range of cumulative telemetry: does it grow with the length of the range?

Writes `--days` days of the emulated organization's cumulative metrics for `--users` members
(realistic clients, no events; or reuses `--out`), then reads it into a lake the way `claude_code_telemetry` does (each day's
rows, kept lines and cumulative series written before the next day is read), in a fresh process
per range: the last 30 days, then all of them. Each prints its peak RSS; with memory bounded by a
day, the two are close.

    python benchmarks/telemetry_year.py [--users 1000] [--days 365] [--out FOLDER]

The last line is one JSON object: per range its days, megabytes read, seconds, MB/min, megabytes kept in
the lake's `_raw/` and peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOW = dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)  # most telemetry users have switched it on by then
SHORT = 30


def write(users: int, days: int, out: Path) -> None:
    from claude_assets.emulator import Emulator, EmulatorConfig
    from claude_assets.emulator.telemetry import write_telemetry

    org = Emulator(EmulatorConfig(seed=7, users=users, now=NOW)).org
    last = NOW.date() - dt.timedelta(days=1)
    started = time.perf_counter()
    write_telemetry(org, out, last - dt.timedelta(days=days - 1), last, temporality="cumulative", events=None)
    print(f"wrote {days} days of cumulative telemetry for {users} users in {time.perf_counter() - started:.0f}s",
          flush=True)


def read(folder: str, days: int) -> dict:
    """Read the last `days` days into a new lake, day by day as the asset does; this process's figures."""
    import pyarrow as pa

    from claude_assets.defs.assets.telemetry import LOOKBACK_DAYS
    from claude_assets.engine.lake import Lake
    from claude_assets.engine.telemetry.files import open_telemetry_dir, telemetry_files
    from claude_assets.engine.telemetry.metrics import ReadReport, metrics_by_day
    from claude_assets.sources.telemetry import TELEMETRY_TABLE

    last = NOW.date() - dt.timedelta(days=1)
    wanted = [last - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    lake, asset = Lake(tempfile.mkdtemp(prefix="telemetry-year-lake-")), TELEMETRY_TABLE.asset
    fs, root = open_telemetry_dir(folder)
    report, rows_written = ReadReport(), 0
    started = time.perf_counter()
    for day, rows, lines, series in metrics_by_day(fs, telemetry_files(fs, root, None), wanted, report,
                                                   lake=lake, asset=asset, lookback=LOOKBACK_DAYS):
        lake.write_lines(asset, day, [line.text for line in lines])
        lake.write_series(asset, day, series)
        lake.write_day(asset, day, pa.Table.from_pylist(rows, schema=TELEMETRY_TABLE.schema), {})
        rows_written += len(rows)
    wall = time.perf_counter() - started
    megabytes = report.bytes / 2**20
    kept = sum(f.stat().st_size for f in Path(lake.root, "_raw").rglob("*") if f.is_file()) / 2**20
    return {"days": days, "megabytes": round(megabytes, 1), "rows": rows_written, "seconds": round(wall, 1),
            "mb_per_min": round(megabytes / wall * 60, 1), "kept_mb": round(kept, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--out", help="a folder holding (or to hold) the telemetry files; a temporary one if absent")
    parser.add_argument("--read", type=int, help=argparse.SUPPRESS)  # the child: read this many days of --out
    args = parser.parse_args()
    if args.read:
        print(json.dumps(read(args.out, args.read)))
        return
    out = Path(args.out or tempfile.mkdtemp(prefix="telemetry-year-"))
    if not any(out.glob("metrics*")):
        write(args.users, args.days, out)
    ranges = {}
    for days in sorted({min(SHORT, args.days), args.days}):
        child = subprocess.run([sys.executable, __file__, "--out", str(out), "--read", str(days)],
                               capture_output=True, text=True, check=True)
        ranges[f"{days}_days"] = figures = json.loads(child.stdout.splitlines()[-1])
        print(f"{days} days: {figures['megabytes']:,.1f} MB read in {figures['seconds']:.0f}s "
              f"({figures['mb_per_min']:,.0f} MB/min), {figures['rows']:,} rows, {figures['kept_mb']:,.1f} MB of lines and "
              f"series kept in the lake, peak RSS {figures['peak_rss_mb']} MB",
              flush=True)
    print(json.dumps({"users": args.users, **ranges}))


if __name__ == "__main__":
    main()
