"""`make demo` stays a demo: its own folder, one process, commands that paste as printed."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from claude_assets.engine.lake import Lake
from claude_assets_tests.stack import BIN


@pytest.mark.subprocess
@pytest.mark.xdist_group("demo")
def test_the_demo_keeps_to_its_own_folder_and_runs_in_one_process(demo):
    """Reads the session's one demo (conftest's `demo`), run in an empty folder as a newcomer would."""
    out, err = demo.completed.stdout, demo.completed.stderr
    assert demo.made == ["demo"], "nothing in the walkthrough's ./data or .dagster_home"
    assert demo.made_in_demo == {"data", ".dagster_home", "telemetry"}
    assert out.count("rm -rf ./demo") == 2, "where it wrote and how to delete it, at the start and the end"
    assert "dagster asset materialize" not in out + err, "no process per asset"
    assert re.search(r"Demo done in \d+ s", out)
    assert "org_daily_overview: 2 rows" in out and "daily_active_users" in out, "what the joined assets hold"
    lake = Lake(str(demo.folder / "demo" / "data"))
    assert len(lake.days("claude_code_user_daily")) == 2 and lake.organization("claude_cost")

    command = next(line.strip() for line in out.splitlines() if " sql -c " in line)
    ran = subprocess.run(command, shell=True, cwd="/", env=demo.env, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0 and "sum(sessions)" in ran.stdout, "the printed command pastes as it is"
    assert shlex.split(command)[1].startswith(str(BIN))
