"""`make demo`: the whole product in one command, against the embedded emulator.

It starts the emulator on a free loopback port, writes the telemetry files its organization's
Claude Code clients would have exported, points the code location at both through the same
environment variables a real deployment uses, materializes the newest available days of every
asset (raw, telemetry, then the joined history and reports) in this one process, a run per
partition calendar, and shows what landed in the lake. It keeps to its own folder (`./demo`:
lake, Dagster instance, telemetry), so the emulated organization never mixes with yours in `./data`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shlex
import shutil
import sys
import time
import warnings
from pathlib import Path
from typing import Iterator

import pandas as pd

from claude_assets import sources
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry
from claude_assets.engine import calendars, organizations
from claude_assets.engine.lake import Lake
from claude_assets.ops.instance import configure, prepare
from claude_assets.sources import ENDPOINTS

DEMO_DIR = "./demo"  # the demo's lake, instance and telemetry, apart from the walkthrough's ./data and .dagster_home
DEMO_RATE_LIMIT = 600  # a raised limit keeps the demo quick; pacing and 429 handling are the same
JOINED = ["claude_code_user_daily", "org_daily_overview", "cost_reconciliation"]


def _steps() -> list[tuple[calendars.Calendar, list[str]]]:
    """(calendar, assets) runs in dependency order: a run covers one partitions definition's days (the raw
    engagement assets have fewer than the joined ones, engine/calendars.py), and the joined assets come after what
    they read. The usage and cost reports run before engagement, so the Analytics key's
    organization is known when the engagement days, whose answers name none, are written."""
    raw = {}
    for endpoint in ENDPOINTS:
        raw.setdefault(endpoint.calendar, []).extend(endpoint.assets)
    return [
        (sources.CLAUDE_CODE.calendar, raw[sources.CLAUDE_CODE.calendar]),
        (sources.ADMIN_USAGE_COST.calendar, raw[sources.ADMIN_USAGE_COST.calendar]),
        (sources.USAGE_COST_ANALYTICS.calendar, raw[sources.USAGE_COST_ANALYTICS.calendar]),
        (sources.ENTERPRISE_USAGE_COST.calendar, raw[sources.ENTERPRISE_USAGE_COST.calendar]),
        (sources.TELEMETRY.calendar, ["claude_code_telemetry", "claude_code_events"]),
        (sources.ENGAGEMENT.calendar, raw[sources.ENGAGEMENT.calendar]),
        (sources.ENGAGEMENT.calendar, ["claude_code_user_daily", "org_daily_overview"]),
        (sources.ENTERPRISE_USAGE_COST.calendar, ["cost_reconciliation"]),
    ]


@contextlib.contextmanager
def emulated_deployment(*, data_dir: str, dagster_home: str, users: int, telemetry_days: int) -> Iterator[dict]:
    """The emulator running, its telemetry written, the Dagster instance set up, and the environment a
    deployment would set for them.

    Yields that environment (plus `os.environ`); `make demo` and `make ui` both run Dagster in it.
    """
    data = Path(data_dir).resolve()
    home = Path(dagster_home).resolve()
    configure(home, in_process=True)  # `make ui` has given its instance deploy/dagster.yaml's settings already
    prepare(home)  # before any Dagster process opens it, so none of them race to create its storage
    telemetry = data.parent / "telemetry" / "emulator"  # the emulator's own, rewritten on every run
    shutil.rmtree(telemetry, ignore_errors=True)
    with Emulator(EmulatorConfig(users=users, rate_limit_per_minute=DEMO_RATE_LIMIT)) as emu:
        print(f"Emulator for a synthetic organization of {users} users at {emu.url}, allowing "
              f"{DEMO_RATE_LIMIT} requests a minute per API (the real Enterprise default is 60)", flush=True)
        newest = dt.date.fromisoformat(sources.TELEMETRY.calendar.partitions_def().get_last_partition_key())
        truth = write_telemetry(emu.org, telemetry, newest - dt.timedelta(days=telemetry_days), newest)
        print(f"Telemetry its Claude Code clients exported: {truth.lines:,} OTLP/JSON lines of metrics and "
              f"{truth.log_lines:,} of events in {telemetry}", flush=True)
        yield {
            **{k: v for k, v in os.environ.items() if k != organizations.CONFIG_ENV_VAR},  # the emulated org only
            "ANTHROPIC_BASE_URL": emu.url,
            "ANTHROPIC_ADMIN_API_KEY": emu.admin_key,
            "ANTHROPIC_ANALYTICS_API_KEY": emu.analytics_key,
            "CLAUDE_ASSETS_DATA_DIR": str(data),
            "DAGSTER_HOME": str(home),
            "CLAUDE_ASSETS_TELEMETRY_DIR": str(telemetry),
            "CLAUDE_ASSETS_ADMIN_REQUESTS_PER_MINUTE": str(DEMO_RATE_LIMIT),
            "CLAUDE_ASSETS_ANALYTICS_REQUESTS_PER_MINUTE": str(DEMO_RATE_LIMIT),
        }


def _shown(path: Path) -> str:
    """A path as the user can paste it: relative to the current folder when inside it."""
    with contextlib.suppress(ValueError):
        return "./" + str(path.relative_to(Path.cwd()))
    return str(path)


def places(data: Path, home: Path) -> tuple[str, str]:
    """What the demo wrote where, and the command that deletes it all."""
    telemetry = data.parent / "telemetry"
    folders = {data.parent, home.parent}
    root = folders.pop() if len(folders) == 1 and data.parent != Path.cwd() else None
    said = f"lake {_shown(data)}, Dagster instance {_shown(home)}, telemetry {_shown(telemetry)}"
    delete = shlex.join(["rm", "-rf", _shown(root)] if root else ["rm", "-rf", *map(_shown, (data, home, telemetry))])
    return said, delete


@contextlib.contextmanager
def _environment(env: dict) -> Iterator[None]:
    """`os.environ` as a deployment would set it, for the Dagster runs of this process; restored after."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_demo(*, days: int, data_dir: str, dagster_home: str, users: int) -> int:
    started = time.monotonic()
    data, home = Path(data_dir).resolve(), Path(dagster_home).resolve()
    said, delete = places(data, home)
    print(f"The demo keeps to its own folders: {said}. Delete them with: {delete}", flush=True)
    with emulated_deployment(data_dir=data_dir, dagster_home=dagster_home, users=users,
                             telemetry_days=days + 3) as env, _environment(env), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        failed = _materialize(days, Lake(str(data)))
    _show(Lake(str(data)), home)
    print(f"\nThe demo's lake, instance and telemetry: {said}. Delete them with: {delete}")
    if failed:
        print(f"\nFAILED: {'; '.join(failed)}", file=sys.stderr)
        return 1
    print(f"Demo done in {time.monotonic() - started:.0f} s.")
    return 0


def _materialize(days: int, lake: Lake) -> list[str]:
    """Every asset's newest `days`, a run per step in this process (no process per asset); returns the failures."""
    import dagster as dg

    from claude_assets.definitions import build_definitions

    base = build_definitions(organizations.configured())
    steps = _steps()
    jobs = [dg.define_asset_job(f"demo_{n}_{calendar.name}", selection=dg.AssetSelection.assets(*assets),
                                executor_def=dg.in_process_executor)
            for n, (calendar, assets) in enumerate(steps)]
    defs = dg.Definitions(assets=base.assets, asset_checks=base.asset_checks, resources=base.resources, jobs=jobs)
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    failed = []
    with dg.DagsterInstance.get() as instance:
        for job, (calendar, assets) in zip(jobs, steps):
            last = dt.date.fromisoformat(calendar.partitions_def().get_last_partition_key())  # never excluded
            first = last - dt.timedelta(days=days - 1)
            print(f"\n{', '.join(assets)}: {first}...{last}", flush=True)
            result = defs.resolve_job_def(job.name).execute_in_process(
                instance=instance, run_config=quiet, raise_on_error=False,
                tags={"dagster/asset_partition_range_start": first.isoformat(),
                      "dagster/asset_partition_range_end": last.isoformat()})
            for asset in assets:
                counts = [lake.day_rows(asset, d) for d in lake.days(asset) if first <= d <= last]
                print(f"  {asset:<28} {len(counts):>3} days, {sum(counts):>6} rows", flush=True)
            failed += [f"{event.step_key}: {event.step_failure_data.error.message.strip()}"
                       for event in result.all_events if event.is_step_failure]
    return failed


def _show(lake: Lake, home: Path) -> None:
    venv = Path(sys.executable).parent
    root = shlex.quote(str(lake.root))
    print("\nWhat the joined assets hold:")
    for asset, columns in (("claude_code_user_daily", None),
                           ("org_daily_overview", ["date", "daily_active_users", "assigned_seats", "claude_code_users",
                                                   "claude_code_sessions", "lines_added", "billed_cost_usd"])):
        frame = lake.read_asset(asset).to_pandas() if lake.days(asset) else pd.DataFrame()
        print(f"\n{asset}: {len(frame)} rows")
        if frame.empty:
            continue
        if columns is None:
            print("Claude Code sessions per day, by the source each user-day came from:")
            print(frame.pivot_table(index="date", columns="source", values="sessions", aggfunc="sum").to_string())
        else:
            print(frame[columns].to_string(index=False))
    history = "claude_code_user_daily"
    print(
        "\nQuery it with pandas:\n"
        f"  {shlex.quote(sys.executable)} -c \"import pandas as pd; df = pd.read_parquet('{lake.root}/{history}', "
        "partitioning=None); print(df.pivot_table(index='date', columns='source', values='sessions', aggfunc='sum'))\"\n"
        "or with DuckDB, a view per asset:\n"
        f"  CLAUDE_ASSETS_DATA_DIR={root} {shlex.quote(str(venv / 'claude-assets'))} sql -c "
        f"\"SELECT date, source, sum(sessions), sum(lines_added) FROM {history} GROUP BY ALL ORDER BY ALL\"\n"
        "or click through these runs in the Dagster UI, with the emulator behind it (Ctrl-C stops both):\n"
        f"  {shlex.quote(str(venv / 'claude-assets'))} ui --data-dir {root} --dagster-home {shlex.quote(str(home))}"
    )
