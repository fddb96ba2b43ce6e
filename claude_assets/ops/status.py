"""`claude-assets status`: where every asset stands, from the Dagster instance the sensors read.

Per asset: the newest day in the lake as Dagster recorded it, the newest day that should be there
by now, the missing days its `partition_lag` check reports (never a day the API no longer serves,
nor one older than the daily syncs' week), the freshness state the daemon last wrote, and the
last failed run that targeted it. Then the open incidents, as the watch sensor last recorded them
in each asset's `no_open_incident` check (what the UI shows), with what to do about each. Last, the
runs that may hold a pool slot nothing will free (defs/workers.py), with the command that frees each.
"""

import datetime as dt
import sys

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

from claude_assets import sources
from claude_assets.defs.freshness import missing_days
from claude_assets.defs.incidents import open_incidents
from claude_assets.defs.sensors import run_assets
from claude_assets.defs.workers import FREE_COMMAND, FreeRunError, free_run, stuck_runs
from claude_assets.ops.instance import prepare_from_env

FAILED_RUNS_SCANNED = 50


def asset_status(instance: dg.DagsterInstance, specs: list[dg.AssetSpec], now: dt.datetime) -> list[dict]:
    failed = [(run, run_assets(instance, run.run_id)) for run in instance.get_runs(
        filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE]), limit=FAILED_RUNS_SCANNED)]
    freshness = instance.event_log_storage.get_freshness_state_records([s.key for s in specs])
    rows = []
    for spec in specs:
        calendar = sources.calendar_of(spec)
        materialized = instance.get_materialized_partitions(spec.key)
        first = dt.date.fromisoformat(spec.partitions_def.get_first_partition_key())
        missing = missing_days(calendar, materialized, first, now)
        last_failure = next((run for run, targeted in failed if spec.key.to_user_string() in targeted), None)
        state = freshness.get(spec.key)
        rows.append({
            "asset": spec.key.to_user_string(),
            "newest": max(materialized) if materialized else None,
            "due": calendar.newest_due(now).isoformat(),
            "missing": [d.isoformat() for d in missing],
            "freshness": state.freshness_state.value if state else "UNKNOWN",
            "last_failure": last_failure.run_id if last_failure else None,
        })
    return rows


def print_status(rows: list[dict]) -> None:
    print(f"{'asset':<28} {'newest':<11} {'due':<11} {'missing':>7}  {'freshness':<10} last failed run")
    for row in rows:
        missing = row["missing"]
        print(f"{row['asset']:<28} {row['newest'] or '-':<11} {row['due']:<11} {len(missing):>7}  "
              f"{row['freshness']:<10} {row['last_failure'] or '-'}")
        if missing and len(missing) <= 5:
            print(f"{'':<28} missing: {', '.join(missing)}")
        elif missing:
            print(f"{'':<28} missing: {', '.join(missing[:3])} ... {missing[-1]}")


def print_incidents(incidents: list[dict]) -> None:
    if not incidents:
        print("\nNo open incidents.")
        return
    print(f"\nOpen incidents ({len(incidents)}):")
    for row in incidents:
        run = f"  run {row['run']}" if row["run"] else ""
        print(f"  {row['asset']:<28} {row['kind']:<9} since {row['since']}{run}")
        print(f"  {'':<28} what to do: {row['what_to_do']}")


def print_stuck(stuck: list[dict]) -> None:
    if not stuck:
        return
    print(f"\nStuck runs ({len(stuck)}): each may hold its API's pool slot, so that API's other runs wait.")
    for row in stuck:
        print(f"  {row['run']}  {row['why']}")
        print(f"  {'':<36}  free it: {FREE_COMMAND} {row['run']}")


def run_status() -> int:
    from claude_assets.definitions import defs

    specs = sorted((s for s in defs.resolve_all_asset_specs() if s.partitions_def is not None),
                   key=lambda s: (s.group_name, s.key.to_user_string()))
    prepare_from_env()
    with dg.DagsterInstance.get() as instance:
        rows = asset_status(instance, specs, dt.datetime.now(dt.timezone.utc))
        incidents = open_incidents(instance, [spec.key for spec in specs])
        stuck = stuck_runs(instance, dt.datetime.now(dt.timezone.utc))
    print_status(rows)
    print_incidents(incidents)
    print_stuck(stuck)
    return 1 if stuck or any(row["due"] in row["missing"] for row in rows) else 0


def run_free(run_id: str) -> int:
    """`claude-assets free-run`: fail a stuck run and free its pool slots (workers.free_run)."""
    prepare_from_env()
    with dg.DagsterInstance.get() as instance:
        try:
            print(free_run(instance, run_id))
        except FreeRunError as exc:
            print(f"claude-assets free-run: {exc}", file=sys.stderr)
            return 2
    return 0
