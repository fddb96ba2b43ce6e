"""Ingestion speed of Claude Code telemetry: MB of OTLP/JSON lines read per minute, and memory.

Writes the emulated organization's telemetry (delta and cumulative; realistic clients, metrics
only) to a temporary folder, then reads it the way `claude_code_telemetry` does, on one core.
Target: at least 50 MB a minute.

    python benchmarks/telemetry_ingest.py [--users 200] [--days 60]

The last line is one JSON object: delta_mb_per_min, cumulative_mb_per_min and peak_rss_mb.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import tempfile
import time

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry
from claude_assets.engine.telemetry.files import open_telemetry_dir, telemetry_files
from claude_assets.engine.telemetry.metrics import read_telemetry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--days", type=int, default=60)
    args = parser.parse_args()
    end = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)  # the emulator's clock is UTC
    start = end - dt.timedelta(days=args.days - 1)
    with Emulator(EmulatorConfig(users=args.users, rate_limit_per_minute=0)) as emu:
        org = emu.org
    results = {}
    for temporality in ("delta", "cumulative"):
        folder = tempfile.mkdtemp(prefix=f"telemetry-{temporality}-")
        # realistic clients (the default), but metrics only: this reader skips lines of events, which
        # would swell the MB read a minute (about threefold) without measuring its work
        write_telemetry(org, folder, start, end, temporality=temporality, undercount=0.02, events=None)
        fs, root = open_telemetry_dir(folder)
        started, cpu = time.perf_counter(), time.process_time()
        rows, report = read_telemetry(fs, telemetry_files(fs, root, None))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        mb = report.bytes / 2**20
        results[temporality] = {"mb": round(mb, 1), "lines": report.lines, "points": report.points, "rows": len(rows),
                                "wall_s": round(wall, 2), "mb_per_min": round(mb / wall * 60, 1)}
        print(f"{temporality}: {mb:.1f} MB, {report.lines:,} lines, {report.points:,} points -> {len(rows):,} rows "
              f"in {wall:.1f}s ({cpu:.1f}s CPU): {mb / wall * 60:,.0f} MB/min", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB (includes the emulated organization's cache)")
    print(json.dumps({**{f"{k}_mb_per_min": v["mb_per_min"] for k, v in results.items()}, "peak_rss_mb": round(peak)}))


if __name__ == "__main__":
    main()
