"""Year-long backfill of every raw asset against the emulator: rate-limit floor, speed, memory.

Two passes over the same days, each into a fresh lake, against an emulator process of
`--users` users:

(a) with the emulator's rate limit (`--rate-limit` requests/minute for each key kind, the
    Enterprise Analytics default being 60) and the client's limiter set to the same: requests,
    wall time, the rate-limit floor (the busier key kind's requests / allowed rate; the Admin
    and Enterprise budgets are separate and used at once) and wall / floor. This pass drives
    the sync engine each raw asset's step runs, one thread per key kind, as the code
    location's executor does (one step per API at a time).
(b) with rate limits off, through the real `dagster asset materialize --partition-range`
    command, one single-run backfill per calendar: wall time, rows/s and the peak RSS of the
    Dagster processes; and, for comparison, the same work as one Dagster run per partition,
    measured on a `--per-partition-days` slice of two endpoints and scaled to every endpoint
    and day.

`--calendars` limits both passes to the endpoints on those calendars, `--passes a` skips (b)
and `--per-partition-days 0` skips the comparison.

    python benchmarks/backfill_year.py [--days 365] [--users 1000] [--rate-limit 60]
    python benchmarks/backfill_year.py --days 30 --rate-limit 600    # a quick run, same ratios
    python benchmarks/backfill_year.py --days 1 --calendars claude_code --per-partition-days 1   # a smoke run

The last line is one JSON object: requests, floor_s, wall_s, ratio_to_floor and emulator_429s
of (a); wall_s_unlimited, rows_per_s, speedup_vs_per_partition and peak_rss_mb of (b); null for
what was skipped.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from claude_assets.engine.client import ApiClient, ApiKey, KeyKind
from claude_assets.engine.lake import Lake
from claude_assets.engine.sync import sync_days
from claude_assets.sources import ENDPOINTS

BIN = Path(sys.executable).parent
PER_PARTITION_ENDPOINTS = ("claude_code_report", "enterprise_user_usage")


class EmulatorProcess:
    """`claude-assets emulator` in its own process, so its memory is not counted as ours."""

    def __init__(self, users: int, rate_limit: int):
        self.process = subprocess.Popen(
            [str(BIN / "claude-assets"), "emulator", "--port", "0", "--users", str(users), "--seed", "7",
             "--rate-limit", str(rate_limit)],
            stdout=subprocess.PIPE, text=True,
        )
        self.env = {}
        while len(self.env) < 3:
            line = self.process.stdout.readline()
            if not line:
                self.stop()
                raise RuntimeError("the emulator did not start")
            # `export NAME=value`, so a shell can eval the lines (older emulators printed `NAME=value`)
            name, sep, value = line.strip().removeprefix("export ").partition("=")
            if sep:
                self.env[name] = value
        self.url = self.env["ANTHROPIC_BASE_URL"]

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stats(self) -> dict:
        return httpx.get(f"{self.url}/_emulator/stats").json()

    def stop(self) -> None:
        """Terminate it, or kill it if it will not go: a benchmark leaves no emulator behind."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def window(endpoint, days: int) -> list[dt.date]:
    """The newest `days` partitions of the endpoint's calendar (fewer if the calendar is shorter)."""
    partitions = endpoint.calendar.partitions_def()
    last = dt.date.fromisoformat(partitions.get_last_partition_key())
    first = max(dt.date.fromisoformat(partitions.get_first_partition_key()), last - dt.timedelta(days=days - 1))
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def pass_a(endpoints: list, users: int, days: int, rate_limit: int) -> dict:
    lake = Lake(tempfile.mkdtemp(prefix="backfill-a-"))
    totals = {kind: {"requests": 0, "rows": 0, "retries": 0, "days_unavailable": 0} for kind in KeyKind}
    with EmulatorProcess(users, rate_limit) as emulator:
        keys = {KeyKind.ADMIN: emulator.env["ANTHROPIC_ADMIN_API_KEY"],
                KeyKind.ANALYTICS: emulator.env["ANTHROPIC_ANALYTICS_API_KEY"]}

        def backfill(kind: KeyKind) -> None:
            client = ApiClient(ApiKey(keys[kind], kind), emulator.url, requests_per_minute=rate_limit,
                               organization=f"benchmark-{rate_limit}")
            for endpoint in (e for e in endpoints if (e.key_kind or KeyKind.ANALYTICS) is kind):
                for result in sync_days(endpoint, client, lake, window(endpoint, days), resume=False, concurrency=4):
                    totals[kind]["rows"] += result.rows
                    totals[kind]["requests"] += result.stats.requests
                    totals[kind]["retries"] += result.stats.retries
                    totals[kind]["days_unavailable"] += result.status == "unavailable"
                print(f"  (a) {endpoint.name}: done, {totals[kind]['requests']} {kind.value} requests so far",
                      flush=True)

        started = time.monotonic()
        with cf.ThreadPoolExecutor(2) as pool:
            for future in [pool.submit(backfill, kind) for kind in KeyKind]:
                future.result()
        wall = time.monotonic() - started
        served_429 = emulator.stats()["rate_limited"]
    busiest = max(t["requests"] for t in totals.values())
    floor = busiest / (rate_limit / 60)
    return {
        "requests": sum(t["requests"] for t in totals.values()),
        "requests_by_key_kind": {k.value: t["requests"] for k, t in totals.items()},
        "rows": sum(t["rows"] for t in totals.values()),
        "days_unavailable": sum(t["days_unavailable"] for t in totals.values()),
        "floor_s": round(floor, 1),
        "wall_s": round(wall, 1),
        "ratio_to_floor": round(wall / floor, 3),
        "emulator_429s": served_429,
        "client_retries": sum(t["retries"] for t in totals.values()),
    }


def dagster(args: list[str], env: dict) -> float:
    """Run the Dagster CLI, quietly unless it fails: then its output is the error."""
    started = time.monotonic()
    done = subprocess.run([str(BIN / "dagster"), *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"dagster {' '.join(args)} failed:\n{(done.stdout + done.stderr)[-5000:]}")
    return time.monotonic() - started


def pass_b(endpoints: list, users: int, days: int, per_partition_days: int) -> dict:
    home = tempfile.mkdtemp(prefix="backfill-home-")
    base = ["asset", "materialize", "-m", "claude_assets.definitions"]
    groups: dict[str, list] = {}
    for endpoint in endpoints:
        groups.setdefault(endpoint.calendar.name, []).append(endpoint)
    with EmulatorProcess(users, 0) as emulator:
        env = {**os.environ, **emulator.env, "DAGSTER_HOME": home,
               "CLAUDE_ASSETS_DATA_DIR": tempfile.mkdtemp(prefix="backfill-b-"),
               "CLAUDE_ASSETS_ADMIN_REQUESTS_PER_MINUTE": "0", "CLAUDE_ASSETS_ANALYTICS_REQUESTS_PER_MINUTE": "0"}
        wall = 0.0
        for name, group in groups.items():
            days_of = window(group[0], days)
            select = ",".join(a for e in group for a in e.assets)
            seconds = dagster([*base, "--select", select, "--partition-range", f"{days_of[0]}...{days_of[-1]}"], env)
            print(f"  (b) {name}: {len(group)} endpoints x {days} days in one run: {seconds:.1f}s", flush=True)
            wall += seconds
        lake = Lake(env["CLAUDE_ASSETS_DATA_DIR"])
        rows = sum(lake.read_day(a, d).num_rows for e in endpoints for a in e.assets for d in lake.days(a))
        peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        env["CLAUDE_ASSETS_DATA_DIR"] = tempfile.mkdtemp(prefix="backfill-pp-")
        per_run, runs = 0.0, 0
        for endpoint in (e for e in endpoints if e.name in PER_PARTITION_ENDPOINTS):
            for day in window(endpoint, per_partition_days):
                per_run += dagster([*base, "--select", ",".join(endpoint.assets), "--partition", day.isoformat()], env)
                runs += 1
    figures = {"wall_s": round(wall, 1), "rows": rows, "rows_per_s": round(rows / wall, 1),
               "peak_rss_mb": round(peak_rss_mb, 1)}
    if not runs:
        return {**figures, **dict.fromkeys(("per_partition_run_s", "per_partition_total_s",
                                            "speedup_vs_per_partition"))}
    per_partition_each = per_run / runs
    partitions = sum(len(window(e, days)) for e in endpoints)
    per_partition_total = per_partition_each * partitions
    print(f"  one run per partition: {per_partition_each:.2f}s a run over {runs} runs; "
          f"the {partitions} partitions would take {per_partition_total:.0f}s", flush=True)
    return {
        **figures,
        "per_partition_run_s": round(per_partition_each, 2),
        "per_partition_total_s": round(per_partition_total, 1),
        "speedup_vs_per_partition": round(per_partition_total / wall, 1),
    }


def main() -> None:
    every_calendar = list(dict.fromkeys(e.calendar.name for e in ENDPOINTS))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rate-limit", type=int, default=60, help="requests/minute per key kind (a)")
    parser.add_argument("--per-partition-days", type=int, default=14, help="0 = skip the per-partition comparison")
    parser.add_argument("--passes", default="a,b", help="which passes to run (default a,b)")
    parser.add_argument("--calendars", default=",".join(every_calendar),
                        help=f"backfill only the endpoints on these calendars (default {','.join(every_calendar)})")
    args = parser.parse_args()
    calendars = args.calendars.split(",")
    if unknown := set(calendars) - set(every_calendar):
        parser.error(f"unknown calendar(s): {', '.join(sorted(unknown))}")
    endpoints = [e for e in ENDPOINTS if e.calendar.name in calendars]
    print(f"Backfilling {args.days} days of the raw assets of {len(endpoints)} endpoints ({args.calendars}) "
          f"for {args.users} users", flush=True)
    a = dict.fromkeys(("requests", "floor_s", "wall_s", "ratio_to_floor", "emulator_429s"))
    if "a" in args.passes:
        a = pass_a(endpoints, args.users, args.days, args.rate_limit)
        print(f"(a) rate limit {args.rate_limit}/min: {a['requests']} requests {a['requests_by_key_kind']}, "
              f"wall {a['wall_s']}s, floor {a['floor_s']}s, wall/floor {a['ratio_to_floor']}, "
              f"429s sent by the emulator {a['emulator_429s']}, client retries {a['client_retries']}", flush=True)
    b = dict.fromkeys(("wall_s", "rows_per_s", "speedup_vs_per_partition", "peak_rss_mb"))
    if "b" in args.passes:
        b = pass_b(endpoints, args.users, args.days, args.per_partition_days)
        compared = ("" if b["speedup_vs_per_partition"] is None
                    else f", {b['speedup_vs_per_partition']}x faster than one run per partition")
        print(f"(b) no rate limit: wall {b['wall_s']}s for {b['rows']:,} rows ({b['rows_per_s']:,} rows/s), "
              f"peak RSS {b['peak_rss_mb']} MB{compared}", flush=True)
    print(json.dumps({
        "requests": a["requests"],
        "floor_s": a["floor_s"],
        "wall_s": a["wall_s"],
        "ratio_to_floor": a["ratio_to_floor"],
        "emulator_429s": a["emulator_429s"],
        "wall_s_unlimited": b["wall_s"],
        "rows_per_s": b["rows_per_s"],
        "speedup_vs_per_partition": b["speedup_vs_per_partition"],
        "peak_rss_mb": b["peak_rss_mb"],
    }))


if __name__ == "__main__":
    main()
