"""`make test`: the whole suite, within one UTC day.

The tests pick their days relative to the date they are collected on (`helpers.TODAY`), and the
emulator serves days relative to the date it is asked on. A suite that crosses midnight UTC (it
takes about 16 minutes on two workers) would see the two disagree, and a test would fail for the hour
it ran at, not for anything the code does. So a suite started less than `MARGIN` before midnight runs with
every process's clock moved forward to a minute past midnight (as `make test-calendar` moves it),
and has the whole next day. Forward, not back: Dagster's SQLite storage stamps rows with the real
clock, and a daemon whose clock is behind those stamps never finished a backfill (tried). What the
code does across midnight is what `make test-calendar` checks, at 2026-12-31 23:58.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from claude_assets_tests.clock_matrix import moved_clock
from claude_assets_tests.stack import REPO

MARGIN = dt.timedelta(hours=2)


def offset(now: dt.datetime) -> int:
    """Seconds to move the clock by so that a suite started at `now` ends on the day it starts on: 0, or up to a
    minute past the coming midnight."""
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
    return round((midnight - now).total_seconds()) + 60 if midnight - now < MARGIN else 0


def main(argv: list[str]) -> int:
    moved = offset(dt.datetime.now(dt.timezone.utc))
    command = [sys.executable, "-m", "pytest", *argv]
    if not moved:
        return subprocess.run(command, cwd=REPO).returncode
    print(f"Less than {MARGIN} to midnight UTC: the suite runs with its clock moved forward {moved} s, to a minute "
          "past midnight, so that it runs within one day (claude_assets_tests/one_day.py).", flush=True)
    already = int(os.environ.get("TEST_CLOCK_OFFSET_S") or 0)  # under `make test-calendar`'s moved clock
    with moved_clock(already + moved) as env:
        return subprocess.run(command, cwd=REPO, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
