"""The README is a contract: its five-minute walkthrough and its sample queries run as written."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from claude_assets.definitions import defs
from claude_assets_tests.helpers import README, block_after
from claude_assets_tests.stack import BIN, REPO

pytestmark = pytest.mark.subprocess  # the walkthrough's commands and `claude-assets demo`


def newcomer_folder(tmp_path: Path) -> Path:
    """A folder that looks like the clone after `make install`, so the walkthrough's files land in tmp_path."""
    for name in (".venv", "Makefile", "pyproject.toml", "workspace.yaml", "claude_assets"):
        (tmp_path / name).symlink_to(REPO / name)
    return tmp_path


def test_the_walkthrough_works_as_written_against_the_emulator(tmp_path):
    """A newcomer rehearses with no key: the emulator's three export lines replace the two key lines."""
    emulator = subprocess.Popen([str(BIN / "claude-assets"), "emulator", "--port", "0", "--users", "12"],
                                stdout=subprocess.PIPE, text=True)
    try:
        exports = [emulator.stdout.readline().strip() for _ in range(4)][1:]
        assert all(line.startswith("export ANTHROPIC_") for line in exports), exports
        steps = block_after("walkthrough").splitlines()
        assert steps[-1].startswith(".venv/bin/dagster dev -w workspace.yaml"), "the walkthrough ends in the UI"
        script = []
        for line in steps[:-1]:  # the UI itself is test_ui.py's story
            if line.startswith("export ANTHROPIC_ADMIN_API_KEY="):
                script += exports
            elif not line.startswith("export ANTHROPIC_ANALYTICS_API_KEY="):
                script.append(line)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DAGSTER_HOME", "CLAUDE_ASSETS_"))}
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(script)], cwd=newcomer_folder(tmp_path),
                              env=env, capture_output=True, text=True, timeout=600)
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    said = done.stderr + done.stdout
    assert "Every check passed" in done.stdout, "the keys checked before the first run"
    assert said.count("'days_written': 1,") == 2 and "DEBUG" not in said, "two quiet runs, a day each"
    assert "@" in done.stdout and "chat_message_count" in done.stdout, "the day's users printed"
    assert (tmp_path / "data" / "claude_code_usage").is_dir() and (tmp_path / ".dagster_home").is_dir()


@pytest.mark.subprocess
@pytest.mark.xdist_group("demo")
def test_every_sample_query_runs_on_the_lake_make_demo_builds(demo):
    """On the session's one demo lake (conftest's `demo`), from the folder the demo made."""
    queries = block_after("sample-queries")
    asked = set(re.findall(r'read\("(\w+)"\)', queries))
    assert asked == {spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()}, "one query per asset"

    folder = demo.folder / "demo"
    ran = subprocess.run([str(BIN / "python"), "-c", queries], cwd=folder, capture_output=True, text=True,
                         timeout=300)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.count("\n") > 17 and "Empty DataFrame" not in ran.stdout, ran.stdout

    sql = block_after("sql-queries")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_ASSETS_", "DAGSTER_HOME"))}
    ran = subprocess.run([str(BIN / "claude-assets"), "sql", "-c", sql], cwd=folder, env=env, capture_output=True,
                         text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.split()[:3] == ["date", "sessions", "lines_added"] and len(ran.stdout.splitlines()) == 3, \
        "one row per day of the demo's two"
    without = sql.replace("FROM claude_code_usage", re.search(r"`(FROM read_parquet\(.*?\))`", README).group(1))
    ran = subprocess.run([str(BIN / "python"), "-c", f"import duckdb; print(duckdb.sql({without!r}).fetchall())"],
                         cwd=folder, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0 and ran.stdout.count("datetime.date(") == 2, ran.stderr[-3000:]
