"""`make demo` stays a demo: its own folder, one process, commands that paste as printed."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

from claude_assets.engine.lake import Lake
from claude_assets_tests.stack import BIN


def test_the_demo_keeps_to_its_own_folder_and_runs_in_one_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DAGSTER_HOME", "CLAUDE_ASSETS_"))}
    demo = subprocess.run([str(BIN / "claude-assets"), "demo", "--days", "2", "--users", "6"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    out = demo.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"], "nothing in the walkthrough's ./data or .dagster_home"
    assert {p.name for p in (tmp_path / "demo").iterdir()} == {"data", ".dagster_home", "telemetry"}
    assert out.count("rm -rf ./demo") == 2, "where it wrote and how to delete it, at the start and the end"
    assert "dagster asset materialize" not in out + demo.stderr, "no process per asset"
    assert re.search(r"Demo done in \d+ s", out)
    assert "org_daily_overview: 2 rows" in out and "daily_active_users" in out, "what the joined assets hold"
    lake = Lake(str(tmp_path / "demo" / "data"))
    assert len(lake.days("claude_code_user_daily")) == 2 and lake.organization("claude_cost")

    command = next(line.strip() for line in out.splitlines() if " sql -c " in line)
    ran = subprocess.run(command, shell=True, cwd="/", env=env, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0 and "sum(sessions)" in ran.stdout, "the printed command pastes as it is"
    assert shlex.split(command)[1].startswith(str(BIN))
