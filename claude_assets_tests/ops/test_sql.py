"""`claude-assets sql`: an analyst queries the lake with DuckDB, and a BI tool opens it as a database file."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess

import duckdb
import pyarrow as pa
import pytest

from claude_assets.engine.lake import Lake
from claude_assets.engine.organizations import Organization
from claude_assets.ops.sql import run_sql
from claude_assets_tests.stack import BIN

DAYS = [dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4)]


def _usage_day(lake: Lake, day: dt.date, sessions: int, **extra) -> None:
    columns = {"date": [day], "email": ["ana@example.com"], "sessions": [sessions], **{k: [v] for k, v in extra.items()}}
    lake.write_day("claude_code_usage", day, pa.table(columns), {})


def _cli(*args: str, data_dir, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_ASSETS_", "DAGSTER_HOME"))}
    return subprocess.run([str(BIN / "claude-assets"), "sql", *args], input=stdin, capture_output=True, text=True,
                          env={**env, "CLAUDE_ASSETS_DATA_DIR": str(data_dir)}, timeout=120)


@pytest.mark.subprocess
def test_each_asset_is_one_view_across_its_days_even_after_a_column_was_added(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    _usage_day(lake, DAYS[0], 2)
    _usage_day(lake, DAYS[1], 3, terminal_type="vscode")  # a column a later version added
    lake.write_lines("claude_code_telemetry", DAYS[0], [b"{}"])  # kept telemetry lines are no asset
    done = _cli("-c", "SELECT count(*) AS days, sum(sessions) AS sessions, count(terminal_type) AS typed "
                "FROM claude_code_usage", data_dir=tmp_path / "lake")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["days", "sessions", "typed", "2", "5", "1"]
    assert "_raw" not in _cli("-c", "SHOW TABLES", data_dir=tmp_path / "lake").stdout


@pytest.mark.subprocess
def test_statements_from_a_pipe_run_in_turn_and_a_bad_one_is_reported_without_a_traceback(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    _usage_day(lake, DAYS[0], 2)
    done = _cli(data_dir=tmp_path / "lake", stdin="SELECT sum(sessions) AS s FROM claude_code_usage;\n"
                "SELECT * FROM no_such_asset;\nSELECT 41 + 1 AS answer;\n")
    assert done.returncode == 1, "a failed statement makes the exit status non-zero"
    assert done.stdout.split() == ["s", "2", "answer", "42"], "the statements after the bad one still ran"
    assert "SQL error" in done.stderr and "no_such_asset" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.subprocess
def test_an_empty_lake_says_what_to_do(tmp_path):
    done = _cli("-c", "SELECT 1", data_dir=tmp_path / "nothing")
    assert done.returncode == 0 and "make demo" in done.stderr and "CLAUDE_ASSETS_DATA_DIR" in done.stderr


@pytest.mark.subprocess
def test_a_bi_tool_opens_the_exported_database_and_sees_days_added_later(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    _usage_day(lake, DAYS[0], 2)
    done = _cli("--export", str(tmp_path / "lake.duckdb"), data_dir=tmp_path / "lake")
    assert done.returncode == 0 and "claude_code_usage" in done.stdout, done.stderr
    _usage_day(lake, DAYS[1], 3)  # the next daily sync
    with duckdb.connect(str(tmp_path / "lake.duckdb"), read_only=True) as con:
        assert con.execute("SELECT sum(sessions) FROM claude_code_usage").fetchone() == (5,)


def test_a_lake_on_an_object_store_is_queried_and_exported_without_a_duckdb_extension(tmp_path):
    org = Organization(data_dir="memory://sql-story/lake")
    lake = Lake(org.data_dir)
    for n, day in enumerate(DAYS, 1):
        _usage_day(lake, day, n)
    out = io.StringIO()
    assert run_sql([org], command="SELECT sum(sessions) AS s FROM claude_code_usage", stdout=out) == 0
    assert out.getvalue().split() == ["s", "6"]
    out = io.StringIO()
    assert run_sql([org], export=str(tmp_path / "copy.duckdb"), stdout=out) == 0
    assert "tables copied" in out.getvalue(), "a tool outside this process cannot reach the store: the data is copied"
    with duckdb.connect(str(tmp_path / "copy.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM claude_code_usage").fetchone() == (3,)


def test_several_organizations_each_get_a_schema(tmp_path):
    orgs = [Organization(name=name, prefixed=True, data_dir=str(tmp_path / name)) for name in ("acme", "globex")]
    for sessions, org in enumerate(orgs, 1):
        _usage_day(Lake(org.data_dir), DAYS[0], sessions)
    out = io.StringIO()
    assert run_sql(orgs, command="SELECT (SELECT sum(sessions) FROM acme.claude_code_usage) AS acme, "
                   "(SELECT sum(sessions) FROM globex.claude_code_usage) AS globex", stdout=out) == 0
    assert out.getvalue().split() == ["acme", "globex", "1", "2"]
