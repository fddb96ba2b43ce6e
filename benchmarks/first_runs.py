"""Two first runs at once on a new Dagster instance, many times: how many instances are usable afterwards.

Each trial makes a new DAGSTER_HOME holding only the project's dagster.yaml (as `claude_assets.ops.instance`
writes it: SQLite storage, the pools), starts two syncs of one day at the same moment against an emulator,
then checks the instance: every SQLite storage file has a single alembic version row (two mean two processes
created and stamped it: "alembic_version has more than one head"), and a third run succeeds. With
`--command claude-assets` (the default) the runs are `claude-assets launch`, which creates the storage once
under a lock first; `--command dg` starts plain `dg launch`, Dagster's own behaviour, for comparison.

    python benchmarks/first_runs.py [--trials 20] [--minutes 10] [--command claude-assets|dg]

Trials stop when `--minutes` have passed. The last line is one JSON object: command, trials, usable,
first_runs_failed (of the two per trial), two_heads (trials whose storage was stamped twice), third_run_failed,
seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.ops.instance import configure

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
STORAGE = ["history/runs.db", "history/runs/index.db", "schedules/schedules.db"]  # Dagster's SQLite files
DAY = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=5)).isoformat()  # in the engagement calendar


def launch(command: str, env: dict, asset: str) -> subprocess.Popen:
    argv = ([str(BIN / "claude-assets"), "launch"] if command == "claude-assets"
            else [str(BIN / "dg"), "launch", "-m", "claude_assets.definitions"])
    return subprocess.Popen([*argv, "--assets", asset, "--partition", DAY], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def versions(home: Path) -> int:
    """The most alembic version rows of any storage file (1 is right; 0 for a file not created)."""
    most = 0
    for name in STORAGE:
        if (home / name).exists():
            with sqlite3.connect(home / name) as db:
                most = max(most, db.execute("SELECT count(*) FROM alembic_version").fetchone()[0])
    return most


def trial(command: str, emu: Emulator, folder: Path) -> dict:
    home = folder / "dagster_home"
    configure(home)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_ASSETS_"))},
           "DAGSTER_HOME": str(home), "ANTHROPIC_BASE_URL": emu.url, "ANTHROPIC_ADMIN_API_KEY": emu.admin_key,
           "ANTHROPIC_ANALYTICS_API_KEY": emu.analytics_key, "CLAUDE_ASSETS_DATA_DIR": str(folder / "lake")}
    first = [launch(command, env, asset) for asset in ("enterprise_summaries", "claude_code_usage")]  # two APIs
    for run in first:
        run.communicate(timeout=600)
    third = launch(command, env, "enterprise_summaries")
    third.communicate(timeout=600)
    heads = versions(home)
    return {"first_ok": sum(run.returncode == 0 for run in first), "two_heads": heads > 1,
            "third_ok": third.returncode == 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10.0, help="stop starting trials after this long")
    parser.add_argument("--command", choices=["claude-assets", "dg"], default="claude-assets")
    args = parser.parse_args()
    started = time.monotonic()
    results = []
    with Emulator(EmulatorConfig(seed=7, users=3, rate_limit_per_minute=0)) as emu, \
            tempfile.TemporaryDirectory(prefix="first_runs_") as scratch:
        for number in range(args.trials):
            if results and time.monotonic() - started > args.minutes * 60:
                break
            result = trial(args.command, emu, Path(scratch) / str(number))
            results.append(result)
            print(f"trial {number + 1}: first runs succeeded {result['first_ok']}/2, "
                  f"storage stamped twice: {result['two_heads']}, third run succeeded: {result['third_ok']}",
                  flush=True)
    usable = sum(not r["two_heads"] and r["third_ok"] for r in results)
    print(f"{usable} of {len(results)} new instances usable after two first runs at once ({args.command} launch)")
    print(json.dumps({"command": args.command, "trials": len(results), "usable": usable,
                      "first_runs_failed": sum(2 - r["first_ok"] for r in results),
                      "two_heads": sum(r["two_heads"] for r in results),
                      "third_run_failed": sum(not r["third_ok"] for r in results),
                      "seconds": round(time.monotonic() - started, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
