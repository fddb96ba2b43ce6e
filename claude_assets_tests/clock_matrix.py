"""`make test-calendar`: the tests that read the clock, run with the clock moved to chosen instants.

A test whose outcome depends on the date or the time of day is a defect. This runs the tests that
read the clock (every "today", cron, deadline, window and partition edge) with the whole process
tree's wall clock moved to each instant below (time-machine in every Python process, libfaketime
for the shell's `date`), and prints one line per instant. libfaketime alone is not enough: it
moves the monotonic clock too, and Python's timed waits (every daemon loop) then hang or fail. The
instants cover weekdays and weekends, the first and last day of a month and of a year, leap days,
years ahead, late evening, and the minutes either side of the cron hours and deadlines the README
names; the last three start minutes before midnight (on a Sunday, at a month's end, on New Year's
Eve), so their runs cross it: a test must expect the day the product read, whichever side it was.

    .venv/bin/python -m claude_assets_tests.clock_matrix              # every instant, the clock-reading tests
    .venv/bin/python -m claude_assets_tests.clock_matrix --at "2028-02-29 05:59:00" -k freshness
    .venv/bin/python -m claude_assets_tests.clock_matrix --tests claude_assets_tests/defs/test_freshness.py

The stories that start a dagster-daemon or a webserver run here too, at the instants marked in
DAEMON: gRPC alone keeps the real wall clock (clock/sitecustomize.py says why).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

from claude_assets_tests.stack import REPO

CLOCK = REPO / "claude_assets_tests" / "clock"  # its sitecustomize.py moves every Python process's wall clock

# (instant in UTC, why it is here)
INSTANTS = [
    ("2026-12-05 00:14:00", "Saturday, a minute before the telemetry sync (00:15)"),
    ("2027-02-28 04:29:00", "last day of February, a Sunday, before the Enterprise usage and cost sync (04:30)"),
    ("2028-02-29 05:59:00", "a leap day, a minute before the D-1 deadline (06:00)"),
    ("2026-11-30 06:59:00", "last day of a month, before the provisional re-fetch (07:00)"),
    ("2026-12-04 15:59:00", "a Friday, before the engagement deadline (16:00)"),
    ("2027-09-01 16:00:30", "first day of a month, just past the engagement deadline"),
    ("2029-07-26 09:00:00", "years ahead: a week whose draw ran no API key's Claude Code on the days tests sync"),
    ("2030-03-31 22:45:00", "years ahead: late evening of a Sunday, the last day of a month"),
    ("2027-05-09 23:57:00", "Sunday, three minutes to midnight: the run crosses into Monday"),
    ("2027-10-31 23:59:00", "Sunday, the last day of a month, a minute to midnight: the run crosses into a new month"),
    ("2026-12-31 23:58:00", "New Year's Eve, two minutes to midnight: the run crosses into a new year"),
]

# The tests that read the clock: calendars, freshness and lag checks, automation, alerts, the joined
# history and every story that picks its days relative to today.
CLOCK_TESTS = [
    "claude_assets_tests/defs/test_freshness.py",
    "claude_assets_tests/defs/test_alerts.py",
    "claude_assets_tests/defs/test_user_daily.py",
    "claude_assets_tests/sources/test_live_api_behaviour.py",
    "claude_assets_tests/defs/test_raw_assets.py",
    "claude_assets_tests/sources/test_claude_code_usage.py",
    "claude_assets_tests/defs/test_organization.py",
    "claude_assets_tests/sources/test_telemetry.py",
    "claude_assets_tests/engine/test_never_worse.py",
    "claude_assets_tests/engine/test_damaged_files.py",
    "claude_assets_tests/engine/test_organizations.py",
    "claude_assets_tests/sources/test_official_examples.py",
    "claude_assets_tests/ops/test_readme.py::test_the_walkthrough_works_as_written_against_the_emulator",
    "claude_assets_tests/ops/test_history_window.py",
    "claude_assets_tests/defs/test_deadlines.py",
    "claude_assets_tests/engine/test_lake_organization.py",
    "claude_assets_tests/engine/test_fail_fast.py",
    "claude_assets_tests/defs/test_charts.py",
    "claude_assets_tests/ops/test_connection_check.py",
    "claude_assets_tests/ops/test_demo.py",
    "claude_assets_tests/ops/test_quiet_commands.py",
]
# The stories with a dagster-daemon and a webserver (automation, backfills from the UI, the chart pages, the
# deployment): about ten minutes an instant on two workers, so they run at one instant, the one whose run crosses
# midnight into a new year; every other instant runs the clock-reading tests without them (about 3 minutes).
DAEMON_TESTS = [
    "claude_assets_tests/ops/test_backfill_cli.py",
    "claude_assets_tests/defs/test_daemon_end_to_end.py",
    "claude_assets_tests/defs/test_ui_graphql.py",
    "claude_assets_tests/defs/test_deployment.py",
]
DAEMON = {"2026-12-31 23:58:00"}


@contextlib.contextmanager
def moved_clock(offset: int) -> Iterator[dict]:
    """The environment in which every process sees the wall clock moved by `offset` seconds.

    In Python processes by `clock/sitecustomize.py` (the wall clock only, so timed waits still wait as
    long as they say), and in the shell's `date` by a `date` on PATH that runs the real one under
    libfaketime.
    """
    with tempfile.TemporaryDirectory(prefix="clock-") as shims:
        date = Path(shims) / "date"
        date.write_text(f'#!/bin/sh\nexec faketime -f "{offset:+d}" {shutil.which("date")} "$@"\n')
        date.chmod(0o755)
        yield {**os.environ, "TZ": "UTC", "TEST_CLOCK_OFFSET_S": str(offset),
               "PATH": os.pathsep.join([shims, os.environ.get("PATH", "")]),
               # REPO too: every process the tests start imports this checkout (a worktree's), not the one an
               # editable install in a shared .venv points at
               "PYTHONPATH": os.pathsep.join(filter(None, [str(CLOCK), str(REPO), os.environ.get("PYTHONPATH")]))}


# Each instant runs on two pytest-xdist workers, as `make test` does (the Makefile's PARALLEL); `-n 0` runs one.
PARALLEL = ["-n", "2", "--dist", "loadgroup"]


def run_at(instant: str, tests: list[str], extra: list[str]) -> tuple[int, str, float]:
    """pytest with the clock at `instant` (and running on from there); (exit code, summary, seconds).

    The clock is moved by one offset from the real one, so every process the tests spawn (the
    emulator, a daemon, a run) shares it (`moved_clock`).
    """
    wanted = dt.datetime.strptime(instant, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)
    offset = round((wanted - dt.datetime.now(dt.timezone.utc)).total_seconds())
    with moved_clock(offset) as env:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PARALLEL, *tests, *extra]
        started = time.monotonic()
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = lines[-1] if lines else done.stderr.strip().splitlines()[-1:]
    if done.returncode:
        sys.stdout.write(done.stdout[-6000:] + done.stderr[-2000:])
    return done.returncode, str(summary), time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--at", action="append", help="run at this instant only (YYYY-MM-DD HH:MM:SS, UTC); repeatable")
    parser.add_argument("--tests", nargs="+", help="run these test files or ids instead of the clock-reading set")
    args, pytest_args = parser.parse_known_args(argv)  # the rest goes to pytest (e.g. -k freshness)
    if shutil.which("faketime") is None:
        print("faketime is missing: run `make system-packages` (Debian's faketime package).", file=sys.stderr)
        return 2
    chosen = [(at, "as asked") for at in args.at] if args.at else INSTANTS
    failures = 0
    for instant, why in chosen:
        if args.tests:
            tests, only = args.tests, []
        elif instant in DAEMON:
            tests, only = CLOCK_TESTS + DAEMON_TESTS, []
        else:  # the clock-reading tests that start no daemon, webserver or browser (test_charts' pages do)
            tests, only = CLOCK_TESTS, ["-m", "not stack and not browser"]
        code, summary, seconds = run_at(instant, tests, only + pytest_args)
        failures += code != 0
        print(f"{instant} UTC  {'PASS' if code == 0 else 'FAIL'}  {summary}  ({seconds:.0f} s; {why})", flush=True)
    print(f"{len(chosen) - failures} of {len(chosen)} instants passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
