"""`make demo`: the whole product in one command, against the embedded emulator.

It starts the emulator on a free loopback port, writes the telemetry files its organization's
Claude Code clients would have exported, points the code location at both through the same
environment variables a real deployment uses, materializes the newest available days of every
asset (raw, telemetry, then the joined history and reports) with the real `dagster asset
materialize` command, and shows what landed in the lake.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pandas as pd

from claude_assets import calendars, organizations
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry
from claude_assets.endpoints import ENDPOINTS
from claude_assets.instance import prepare
from claude_assets.lake import Lake


DEMO_RATE_LIMIT = 600  # a raised limit keeps the demo quick; pacing and 429 handling are the same
# (assets materialized together, their calendar), in dependency order
STEPS = [(e.assets, e.calendar) for e in ENDPOINTS] + [
    (["claude_code_telemetry"], calendars.TELEMETRY),
    (["claude_code_events"], calendars.TELEMETRY),
    (["claude_code_user_daily"], calendars.ENGAGEMENT),
    (["org_daily_overview"], calendars.ENGAGEMENT),
    (["cost_reconciliation"], calendars.ENTERPRISE_USAGE_COST),
]


@contextlib.contextmanager
def emulated_deployment(*, data_dir: str, dagster_home: str, users: int, telemetry_days: int) -> Iterator[dict]:
    """The emulator running, its telemetry written, the Dagster instance set up, and the environment a
    deployment would set for them.

    Yields that environment (plus `os.environ`); `make demo` and `make ui` both run Dagster in it.
    """
    data = Path(data_dir).resolve()
    home = Path(dagster_home).resolve()
    prepare(home)  # before any Dagster process opens it, so none of them race to create its storage
    telemetry = data.parent / "telemetry" / "emulator"  # the emulator's own, rewritten on every run
    shutil.rmtree(telemetry, ignore_errors=True)
    with Emulator(EmulatorConfig(users=users, rate_limit_per_minute=DEMO_RATE_LIMIT)) as emu:
        print(f"Emulator for a synthetic organization of {users} users at {emu.url}, allowing "
              f"{DEMO_RATE_LIMIT} requests a minute per API (the real Enterprise default is 60)", flush=True)
        newest = dt.date.fromisoformat(calendars.TELEMETRY.partitions_def().get_last_partition_key())
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


def dagster_command() -> str:
    """The `dagster` of this environment, also when the venv is not activated."""
    return shutil.which("dagster", path=os.path.dirname(sys.executable)) or "dagster"


def run_demo(*, days: int, data_dir: str, dagster_home: str, users: int) -> int:
    data, home = Path(data_dir).resolve(), Path(dagster_home).resolve()
    dagster = dagster_command()
    with emulated_deployment(data_dir=data_dir, dagster_home=dagster_home, users=users,
                             telemetry_days=days + 3) as env:
        failed = []
        for assets, calendar in STEPS:
            last = dt.date.fromisoformat(calendar.partitions_def().get_last_partition_key())
            first = last - dt.timedelta(days=days - 1)
            command = [
                dagster, "asset", "materialize", "-m", "claude_assets.definitions",
                "--select", ",".join(assets), "--partition-range", f"{first}...{last}",
            ]
            print(f"\n$ {' '.join(command[1:])}")
            code = _run_quietly(command, env)
            if code != 0:
                failed.append(assets[0])
    _show(Lake(str(data)))
    print(f"\nDagster instance with these runs: {home}  (open it: DAGSTER_HOME={home} dagster dev)")
    if failed:
        print(f"\nFAILED: {', '.join(failed)}; the run logs above say why.", file=sys.stderr)
        return 1
    return 0


def _run_quietly(command: list[str], env: dict) -> int:
    """Run a Dagster command, echoing our own log lines and errors, not Dagster's debug chatter."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if " - DEBUG - " in line or "Warning" in line or line.startswith("  "):
            continue
        if " - INFO - " in line or " - WARNING - " in line or " - ERROR - " in line:
            print("  " + line.rstrip().split(" - ", 5)[-1])
        elif "Error" in line:
            print("  " + line.rstrip())
    return process.wait()


def _show(lake: Lake) -> None:
    print(f"\nThe lake: {lake.root}")
    for assets, _ in STEPS:
        for asset in assets:
            counts = {d: lake.read_day(asset, d).num_rows for d in lake.days(asset)}
            shown = ", ".join(f"{d:%m-%d}: {n}" for d, n in list(counts.items())[-10:])
            print(f"  {asset:<28} {len(counts):>3} days, {sum(counts.values()):>6} rows  ({shown})")
    history = "claude_code_user_daily"
    bin_dir = Path(sys.executable).parent
    print(
        "\nQuery it with pandas:\n"
        f"  {sys.executable} -c \"import pandas as pd; df = pd.read_parquet('{lake.root}/{history}', partitioning=None); "
        "print(df.pivot_table(index='date', columns='source', values='sessions', aggfunc='sum'))\"\n"
        "or with DuckDB, a view per asset:\n"
        f"  CLAUDE_ASSETS_DATA_DIR={lake.root} {bin_dir / 'claude-assets'} sql -c "
        f"\"SELECT date, source, sum(sessions), sum(lines_added) FROM {history} GROUP BY ALL ORDER BY ALL\""
    )
    frame = pd.read_parquet(f"{lake.root}/{history}", partitioning=None)
    if not frame.empty:
        print("\nClaude Code sessions per day, by the source each user-day came from:")
        print(frame.pivot_table(index="date", columns="source", values="sessions", aggfunc="sum").to_string())
