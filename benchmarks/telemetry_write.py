"""Throughput of the emulator's telemetry writer: OTLP/JSON lines files for a synthetic org.

Writes the last `--days` days before 2027-01-01 (when most telemetry users have switched it on)
for `--users` members into a temporary directory (or `--out`), then prints MB written, lines of
metrics, points, lines of events, seconds, MB/s and peak RSS; the last line is one JSON object
with the same figures. The files are the writer's default: realistic clients, their events in the
metrics file; `--plain` writes e-mail-only clients' metrics without events (the figures from
before realistic clients were the default).

    python benchmarks/telemetry_write.py [--users 200] [--days 90] [--temporality delta] [--plain]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry

NOW = datetime(2027, 1, 1, tzinfo=timezone.utc)


def run(users: int, days: int, temporality: str, out: Path, plain: bool = False) -> dict:
    org = Emulator(EmulatorConfig(seed=7, users=users, now=NOW)).org
    last = NOW.date() - timedelta(days=1)
    started = time.perf_counter()
    options = {"realistic": False, "events": None} if plain else {}
    truth = write_telemetry(org, out, last - timedelta(days=days - 1), last, temporality=temporality, **options)
    seconds = time.perf_counter() - started
    megabytes = sum(path.stat().st_size for path in truth.files) / 1e6
    return {
        "users": users,
        "days": days,
        "temporality": temporality,
        "plain": plain,
        "megabytes": round(megabytes, 1),
        "files": len(truth.files),
        "lines": truth.lines,
        "points": truth.points,
        "log_lines": truth.log_lines,
        "seconds": round(seconds, 2),
        "mb_per_second": round(megabytes / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--temporality", choices=("delta", "cumulative"), default="delta")
    parser.add_argument("--plain", action="store_true", help="e-mail-only clients, metrics only (no events)")
    parser.add_argument("--out", type=Path, default=None, help="keep the files here (default: a temporary directory)")
    args = parser.parse_args()
    if args.out is None:
        with tempfile.TemporaryDirectory() as scratch:
            result = run(args.users, args.days, args.temporality, Path(scratch), args.plain)
    else:
        result = run(args.users, args.days, args.temporality, args.out, args.plain)
    kind = "plain" if result["plain"] else "realistic"
    print(f"{result['users']} users x {result['days']} days ({result['temporality']}, {kind}): "
          f"{result['megabytes']} MB in {result['files']} file(s), {result['lines']} lines of metrics, "
          f"{result['points']} points, {result['log_lines']} lines of events, {result['seconds']} s, "
          f"{result['mb_per_second']} MB/s, peak RSS {result['peak_rss_mb']} MB")
    print(json.dumps(result, separators=(",", ":")))


if __name__ == "__main__":
    main()
