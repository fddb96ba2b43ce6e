"""`claude-assets rebuild`: re-derive raw tables from the API's answers kept in the lake, asking the API nothing.

After a fix to how records are flattened, or after promoting a field out of `extra` to a column,
every day can be rebuilt from what the API said when it was fetched. Each endpoint is one
`dg launch` run over the range (clamped to its partitions) with `rebuild_from_raw`
set, so every rebuilt day is recorded in Dagster like any other materialization.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from typing import Sequence

from claude_assets.defs.assets.raw import lake_history
from claude_assets.engine.organizations import DEFAULT, Organization
from claude_assets.ops.instance import prepare_from_env
from claude_assets.ops.launch import MODULE, command
from claude_assets.sources import ENDPOINTS, RAW_ASSETS


class RebuildError(Exception):
    pass


def commands(start: dt.date, end: dt.date, select: list[str] | None,
             orgs: Sequence[Organization] = (DEFAULT,)) -> list[list[str]]:
    """One `dg launch` command per organization and endpoint with a selected table."""
    known = set(RAW_ASSETS)
    unknown = sorted(set(select or []) - known)
    if unknown:
        raise RebuildError(f"Unknown assets: {', '.join(unknown)}. Raw assets: {', '.join(sorted(known))}")
    found = []
    kept = lake_history(list(orgs))
    for org in orgs:
        for endpoint in ENDPOINTS:
            assets = [a for a in endpoint.assets if not select or a in select]
            partitions = endpoint.calendar.partitions_def(kept.get(endpoint.calendar))
            days = [key for key in partitions.get_partition_keys() if start.isoformat() <= key <= end.isoformat()]
            if not assets or not days:
                continue
            first, last = days[0], days[-1]
            config = {"ops": {org.op_name(endpoint.name): {"config": {"rebuild_from_raw": True}}}}
            found.append([command("dg"), "launch", "-m", MODULE,
                          "--assets", ",".join(org.key(a).to_user_string() for a in assets),
                          "--partition-range", f"{first}...{last}", "--config-json", json.dumps(config)])
    if not found:
        raise RebuildError(f"None of the selected assets has a partition between {start} and {end}.")
    return found


def run_rebuild(start: dt.date, end: dt.date, select: list[str] | None,
                orgs: Sequence[Organization] = (DEFAULT,)) -> int:
    failed = []
    found = commands(start, end, select, orgs)
    prepare_from_env()  # before the runs: one per endpoint, so a new instance is created once, not by each
    for argv in found:
        selected = argv[argv.index("--assets") + 1]
        print(f"Rebuilding {selected} for {argv[argv.index('--partition-range') + 1]} from the kept answers",
              flush=True)
        if subprocess.run(argv).returncode:
            failed.append(selected)
    if failed:
        print(f"FAILED: {', '.join(failed)}; the run logs above say why.")
        return 1
    return 0
