"""`claude-assets launch`: `dg launch` on this code location, after checking the days asked for.

It takes `dg launch`'s options (`--assets`, `--partition` or `--partition-range`, `--config-json`, ...) and
adds `-m claude_assets.definitions`. Dagster answers a day outside an asset's calendar (the future, today
for engagement, before 2026-01-01 for Enterprise) with a 50-line DagsterUnknownPartitionError that gives
neither the range nor the reason; this says both in one line per calendar and exits 2, before Dagster starts.
A reversed `--partition-range`, which Dagster runs as a run that does nothing, is refused the same way. A new
instance's storage is created first, once (instance.py), so two first launches at once cannot break it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys

from claude_assets import sources
from claude_assets.engine import calendars
from claude_assets.ops.instance import prepare_from_env

MODULE = "claude_assets.definitions"


def command(name: str) -> str:
    """The `name` command (dg, dagster) of this environment, also when the venv is not activated."""
    return shutil.which(name, path=os.path.dirname(sys.executable)) or name


def outside(assets: list[str], start: dt.date, end: dt.date, today: dt.date) -> list[str]:
    """One line per calendar of `assets` whose partitions [start, end] leaves or starts or ends off: its range
    and why. A day beyond an API's window that the lake never got is not a partition (engine/calendars.py)."""
    from claude_assets.definitions import defs

    by_problem: dict[tuple[calendars.Calendar, dt.date], list[str]] = {}
    for spec in defs.resolve_all_asset_specs():
        if spec.key.to_user_string() in assets and calendars.METADATA_KEY in spec.metadata:
            day = next((d for d in (start, end) if not spec.partitions_def.has_partition_key(d.isoformat())), None)
            if day is not None:
                by_problem.setdefault((sources.calendar_of(spec), day), []).append(spec.key.to_user_string())
    lines = []
    for (calendar, day), names in by_problem.items():
        first, last = calendar.bounds(today)
        where = (f"is outside its calendar, {first} to {last}" if not first <= day <= last
                 else "is not one of its partitions, as the lake never got it")
        lines.append(f"{', '.join(names)}: {day} {where} ({calendar.why_not(day, today)})")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="claude-assets launch", add_help=False)
    parser.add_argument("--assets", default="")
    parser.add_argument("--partition")
    parser.add_argument("--partition-range")
    known, _ = parser.parse_known_args(argv)
    days = known.partition_range.split("...") if known.partition_range else [known.partition] * 2
    try:
        start, end = (dt.date.fromisoformat(day) for day in days)
    except (TypeError, ValueError):  # no day, or not a date: Dagster's own answer says what it expects
        start = end = None
    if start is not None and end < start:
        print(f"claude-assets launch: --partition-range {known.partition_range} ends before it starts; "
              f"write it as {end}...{start}.", file=sys.stderr)
        return 2
    if start is not None:
        today = dt.datetime.now(dt.timezone.utc).date()
        lines = outside(known.assets.split(","), start, end, today)
        if lines:
            print("\n".join(f"claude-assets launch: {line}" for line in lines), file=sys.stderr)
            return 2
    prepare_from_env()
    os.execv(command("dg"), [command("dg"), "launch", "-m", MODULE, *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
