"""The first vertical slice: the Claude Code report as daily Parquet, through real Dagster runs."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import dagster as dg
import pandas as pd
import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.lake import Lake
from claude_assets_tests.helpers import TODAY, failure
from claude_assets_tests.helpers import materialize as run

DAY = TODAY - dt.timedelta(days=5)  # settled, and inside every calendar
SLICE = ("claude_code_usage", "claude_code_model_usage")


def materialize(emu, lake_dir, *, day=DAY, days=None, select=SLICE, instance=None, **keys):
    return run(emu, lake_dir, select, day=None if days else day, days=days, instance=instance, **keys)


def api_rows(emu: Emulator, day: dt.date) -> list[dict]:
    import httpx

    response = httpx.get(
        f"{emu.url}/v1/organizations/usage_report/claude_code",
        params={"starting_at": day.isoformat(), "limit": 1000},
        headers={"x-api-key": emu.admin_key, "anthropic-version": "2023-06-01"},
    )
    return response.json()["data"]


def test_a_day_lands_as_typed_parquet_matching_the_api(emulator, tmp_path):
    result = materialize(emulator, str(tmp_path))
    assert result.success
    lake = Lake(str(tmp_path))
    usage = lake.read_day("claude_code_usage", DAY).to_pandas()
    models = lake.read_day("claude_code_model_usage", DAY).to_pandas()
    truth = api_rows(emulator, DAY)
    assert len(usage) == len(truth) > 0
    assert usage["sessions"].sum() == sum(r["core_metrics"]["num_sessions"] for r in truth)
    assert len(models) == sum(len(r["model_breakdown"]) for r in truth)
    cents = sum(m["estimated_cost"]["amount"] for r in truth for m in r["model_breakdown"])
    assert models["estimated_cost_usd"].sum() == pytest.approx(cents / 100)
    assert set(usage["date"]) == {DAY}
    assert usage["extra"].isna().all(), "every field the emulator sends is a known column"
    on_disk = tmp_path / "claude_code_usage" / f"date={DAY}" / "part-0.parquet"
    assert on_disk.exists()

    events = {e.materialization.asset_key.to_user_string(): e.materialization
              for e in result.get_asset_materialization_events()}
    assert events["claude_code_usage"].partition == DAY.isoformat()
    assert events["claude_code_usage"].metadata["day_rows"].value == len(truth)
    schema = events["claude_code_usage"].metadata["dagster/column_schema"].value
    assert {"date", "email", "sessions", "lines_added", "extra"} <= {c.name for c in schema.columns}


def test_the_lake_reads_as_one_table_in_pandas(emulator, tmp_path):
    days = [DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1), DAY]
    assert materialize(emulator, str(tmp_path), days=days).success
    frame = pd.read_parquet(tmp_path / "claude_code_usage", partitioning=None)
    assert sorted(set(frame["date"])) == days


def test_rerunning_a_day_replaces_it_without_duplicates(emulator, tmp_path):
    with dg.instance_for_test() as instance:
        assert materialize(emulator, str(tmp_path), instance=instance).success
        first = Lake(str(tmp_path)).read_day("claude_code_usage", DAY)
        assert materialize(emulator, str(tmp_path), instance=instance).success
    second = Lake(str(tmp_path)).read_day("claude_code_usage", DAY)
    assert second.num_rows == first.num_rows
    assert second.to_pylist() == first.to_pylist()
    assert [p.name for p in (tmp_path / "claude_code_usage" / f"date={DAY}").iterdir()] == ["part-0.parquet"]


def test_a_crash_in_the_middle_of_a_write_leaves_the_previous_day_intact(emulator, tmp_path, monkeypatch):
    assert materialize(emulator, str(tmp_path)).success
    before = Lake(str(tmp_path)).read_day("claude_code_usage", DAY)

    def power_cut(fd):
        raise OSError("simulated power cut before the file reached the disk")

    monkeypatch.setattr("claude_assets.engine.lake.os.fsync", power_cut)
    result = materialize(emulator, str(tmp_path))
    assert not result.success
    assert Lake(str(tmp_path)).read_day("claude_code_usage", DAY).to_pylist() == before.to_pylist()
    assert pd.read_parquet(tmp_path / "claude_code_usage", partitioning=None).shape[0] == before.num_rows


def test_a_day_the_api_cannot_serve_yet_is_reported_not_crashed(tmp_path):
    yesterday = TODAY - dt.timedelta(days=1)
    earlier = dt.datetime.combine(TODAY - dt.timedelta(days=3), dt.time(12), tzinfo=dt.timezone.utc)
    with Emulator(EmulatorConfig(seed=7, users=10, now=earlier)) as emu, dg.instance_for_test() as instance:
        result = materialize(emu, str(tmp_path), day=yesterday, instance=instance)
        said = [e.user_message for e in instance.all_logs(result.run_id)]
    assert result.success
    assert result.get_asset_materialization_events() == []
    assert any(f"{yesterday}: not available:" in line for line in said)
    observation = next(e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION")
    listed = observation.event_specific_data.asset_observation.metadata["sync/days_unavailable_list"].value
    assert list(listed) == [yesterday.isoformat()]


def test_a_missing_admin_key_fails_the_run_with_the_variable_to_set(emulator, tmp_path):
    result = materialize(emulator, str(tmp_path), admin_key="")
    assert not result.success
    said = failure(result)
    assert said.startswith("dagster._core.definitions.events.Failure: MissingKeyError: No key is set"), \
        "the run's page leads with our message"
    assert "ANTHROPIC_ADMIN_API_KEY" in said


def test_the_key_never_reaches_the_event_log(emulator, tmp_path):
    with dg.instance_for_test() as instance:
        assert materialize(emulator, str(tmp_path), instance=instance).success
        logged = "\n".join(str(e) for e in instance.all_logs(instance.get_runs()[0].run_id))
    assert emulator.admin_key not in logged
    assert "claude_code_usage" in logged


@pytest.mark.subprocess
def test_the_dagster_cli_materializes_one_partition(emulator, tmp_path):
    env = {
        **os.environ,
        "ANTHROPIC_BASE_URL": emulator.url,
        "ANTHROPIC_ADMIN_API_KEY": emulator.admin_key,
        "CLAUDE_ASSETS_DATA_DIR": str(tmp_path / "lake"),
        "DAGSTER_HOME": str(tmp_path / "home"),
    }
    (tmp_path / "home").mkdir()
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    completed = subprocess.run(
        [dagster, "asset", "materialize", "-m", "claude_assets.definitions",
         "--select", "claude_code_usage", "--partition", DAY.isoformat()],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert emulator.admin_key not in completed.stdout + completed.stderr
    assert Lake(str(tmp_path / "lake")).days("claude_code_usage") == [DAY]
