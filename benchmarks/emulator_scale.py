"""Scale check of the emulator: a full-year backfill for an organization of 1,000 users.

Replays what a sync does on first run, endpoint by endpoint (the cache-unfriendly order):
every day of the year from the Claude Code report (paged), the Enterprise cost/usage
reports one day at a time, the Admin usage/cost reports in 31-day windows, and the 90 days
of engagement data the API keeps. Prints requests served, mean/max latency per endpoint
and peak RSS; the last line is one JSON object with the same figures.

    python benchmarks/emulator_scale.py [--users 1000] [--days 365]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import httpx

from claude_assets.emulator import Emulator, EmulatorConfig

NOW = datetime(2027, 1, 1, tzinfo=timezone.utc)  # the year before is exactly 2026, inside every floor
A = "/v1/organizations"
E = f"{A}/analytics"


def _day_windows(last: date, days: int):
    for back in range(days, 0, -1):
        day = last - timedelta(days=back - 1)
        yield day, {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{day + timedelta(days=1)}T00:00:00Z"}


def run(users: int, days: int) -> dict:
    latencies: dict[str, list[float]] = defaultdict(list)
    config = EmulatorConfig(seed=7, users=users, now=NOW, rate_limit_per_minute=0)
    started = time.perf_counter()
    with Emulator(config) as emu, httpx.Client(base_url=emu.url, timeout=60) as client:
        admin = {"x-api-key": emu.admin_key, "anthropic-version": "2023-06-01"}
        analytics = {"x-api-key": emu.analytics_key, "anthropic-version": "2023-06-01"}

        def fetch_all(path: str, params: dict, headers: dict) -> int:
            """Follow next_page to the end; returns the number of rows/buckets seen."""
            seen, params = 0, dict(params)
            while True:
                t0 = time.perf_counter()
                response = client.get(path, params=params, headers=headers)
                latencies[path].append(time.perf_counter() - t0)
                response.raise_for_status()
                body = response.json()
                seen += len(body["data"])
                if not body.get("next_page"):
                    return seen
                params["page"] = body["next_page"]

        yesterday = NOW.date() - timedelta(days=1)
        for day, _ in _day_windows(yesterday, days):
            fetch_all(f"{A}/usage_report/claude_code", {"starting_at": day.isoformat(), "limit": 200}, admin)
        for path, extra in ((f"{E}/user_usage_report", {"limit": 1000}),
                            (f"{E}/user_cost_report", {"limit": 1000, "group_by[]": ["product", "cost_type"]}),
                            (f"{E}/usage_report", {"group_by[]": ["product", "model"]}),
                            (f"{E}/cost_report", {"group_by[]": ["product", "token_type"]})):
            for _, window in _day_windows(yesterday, days):
                fetch_all(path, {**window, **extra}, analytics)
        for path, extra in ((f"{A}/usage_report/messages", {"group_by[]": ["model", "api_key_id"]}),
                            (f"{A}/cost_report", {"group_by[]": ["description"]})):
            start = yesterday - timedelta(days=days - 1)
            while start <= yesterday:
                end = min(start + timedelta(days=31), yesterday + timedelta(days=1))
                fetch_all(path, {"starting_at": f"{start}T00:00:00Z", "ending_at": f"{end}T00:00:00Z",
                                 "limit": 31, **extra}, admin)
                start = end
        latest = NOW.date() - timedelta(days=config.lag_days)
        engagement_days = min(days, 90 - config.lag_days + 1)  # the API keeps today-90 .. today-lag
        for name in ("users", "apps/chat/projects", "skills", "connectors", "plugins", "artifacts"):
            for back in range(engagement_days):
                fetch_all(f"{E}/{name}", {"date": (latest - timedelta(days=back)).isoformat(), "limit": 1000}, analytics)
        first = latest - timedelta(days=engagement_days - 1)
        while first <= latest:
            end = min(first + timedelta(days=31), latest + timedelta(days=1))
            fetch_all(f"{E}/summaries", {"starting_date": first.isoformat(), "ending_date": end.isoformat()}, analytics)
            first = end
        served = emu.stats.snapshot()["total"]

    per_endpoint = {
        path: {"requests": len(values), "mean_ms": round(statistics.fmean(values) * 1000, 1),
               "max_ms": round(max(values) * 1000, 1)}
        for path, values in latencies.items()
    }
    return {
        "users": users,
        "days": days,
        "requests_served": served,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "endpoints": per_endpoint,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    result = run(args.users, args.days)
    print(f"{result['users']} users x {result['days']} days: {result['requests_served']} requests "
          f"in {result['wall_seconds']} s, peak RSS {result['peak_rss_mb']} MB")
    for path, figures in result["endpoints"].items():
        print(f"  {path:55s} {figures['requests']:5d} req  mean {figures['mean_ms']:7.1f} ms  max {figures['max_ms']:7.1f} ms")
    print(json.dumps(result, separators=(",", ":")))


if __name__ == "__main__":
    main()
