"""Every endpoint as a daily Parquet asset: one day, a range, empty days, resumed backfills, drift."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pyarrow.parquet as pq
import pytest

from claude_assets.defs.checks import claude_code_agrees_across_apis
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.lake import Lake
from claude_assets.sources import ENDPOINTS
from claude_assets_tests.helpers import TODAY, materializations, materialize

DAY = TODAY - dt.timedelta(days=6)  # inside every calendar and settled for all but cost/usage
RANGE = [TODAY - dt.timedelta(days=d) for d in (8, 7, 6)]
BY_NAME = {e.name: e for e in ENDPOINTS}


@pytest.fixture
def unlimited():
    with Emulator(EmulatorConfig(seed=11, users=25, rate_limit_per_minute=0)) as emu:
        yield emu


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_endpoint_materializes_one_day_as_typed_parquet(unlimited, tmp_path, endpoint):
    result = materialize(unlimited, str(tmp_path), endpoint.assets, day=DAY)
    assert result.success
    lake, found = Lake(str(tmp_path)), materializations(result)
    for table in endpoint.tables:
        written = lake.read_day(table.asset, DAY)
        assert written.schema.remove_metadata() == table.schema.remove_metadata()
        assert [m.partition for m in found[table.asset]] == [DAY.isoformat()]
        assert found[table.asset][0].metadata["day_rows"].value == written.num_rows
    assert lake.read_day(endpoint.tables[0].asset, DAY).num_rows > 0, "the synthetic organization is active"
    checks = result.get_asset_check_evaluations()
    cross_api = {"claude_code_agrees_across_apis"} if endpoint.name == "enterprise_user_activity" else set()
    assert {c.check_name for c in checks} == {"unique_natural_key", "non_negative_counts"} | cross_api
    assert all(c.passed for c in checks)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_endpoint_backfills_a_range_in_one_run(unlimited, tmp_path, endpoint):
    result = materialize(unlimited, str(tmp_path), endpoint.assets, days=RANGE)
    assert result.success
    for asset in endpoint.assets:
        assert sorted(m.partition for m in materializations(result)[asset]) == [d.isoformat() for d in RANGE]
        assert Lake(str(tmp_path)).days(asset) == RANGE
    observation = next(e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION")
    requests = observation.event_specific_data.asset_observation.metadata["sync/requests"].value
    if endpoint.days_per_request > 1:
        assert requests == max(1, len(endpoint.groupings)), "a bucketed report answers the range in one request a grouping"
    else:
        assert requests >= len(RANGE)


def test_a_day_without_activity_is_an_empty_partition_with_every_column(tmp_path):
    start = TODAY - dt.timedelta(days=4)
    with Emulator(EmulatorConfig(seed=3, users=10, history_start=start, rate_limit_per_minute=0)) as emu:
        quiet, busy = start - dt.timedelta(days=2), start
        for day in (quiet, busy):
            for asset in ("claude_code_usage", "enterprise_user_usage"):
                assert materialize(emu, str(tmp_path), [asset], day=day).success
    lake = Lake(str(tmp_path))
    for asset in ("claude_code_usage", "enterprise_user_usage"):
        empty, full = lake.read_day(asset, quiet), lake.read_day(asset, busy)
        assert empty.num_rows == 0 and full.num_rows > 0
        assert empty.schema.remove_metadata() == full.schema.remove_metadata()


def test_a_killed_backfill_resumes_where_it_stopped_without_duplicates(unlimited, tmp_path, monkeypatch):
    days = [TODAY - dt.timedelta(days=d) for d in range(12, 4, -1)]
    original = Lake.write_day
    written = []

    def dies_after_three_days(self, asset, day, table, info):
        if len({d for _, d in written}) == 3 and (asset, day) not in written:
            raise KeyboardInterrupt("the run was killed")
        written.append((asset, day))
        return original(self, asset, day, table, info)

    monkeypatch.setattr(Lake, "write_day", dies_after_three_days)
    killed = materialize(unlimited, str(tmp_path), ["claude_code_usage"], days=days, run_config={
        "ops": {"claude_code_report": {"config": {"concurrency": 1}}}})
    assert not killed.success
    kept = Lake(str(tmp_path)).days("claude_code_usage")
    assert len(kept) == 3, "every day finished before the kill is kept"
    assert len(materializations(killed)["claude_code_usage"]) == 3, "and recorded in Dagster"

    monkeypatch.setattr(Lake, "write_day", original)
    before = unlimited.stats.snapshot()["total"]
    resumed = materialize(unlimited, str(tmp_path), ["claude_code_usage"], days=days)
    assert resumed.success
    assert unlimited.stats.snapshot()["total"] - before == len(days) - 3, "only the missing days are fetched"
    lake = Lake(str(tmp_path))
    assert lake.days("claude_code_usage") == days
    recorded = {m.partition: m.metadata for m in materializations(resumed)["claude_code_usage"]}
    assert sorted(recorded) == [d.isoformat() for d in days], "the resumed run records each day once"
    assert all(recorded[d.isoformat()]["day_rows"].value == lake.day_rows("claude_code_usage", d) for d in days)
    # what the asset page shows as its row count: the whole table, not the day recorded last
    table_rows = sum(lake.day_rows("claude_code_usage", d) for d in days)
    assert {(m["dagster/row_count"].value, m["days_in_lake"].value) for m in recorded.values()} == {(table_rows, len(days))}
    assert table_rows > max(lake.day_rows("claude_code_usage", d) for d in days)
    assert sum("resumed" in metadata for metadata in recorded.values()) == 3
    table = lake.read_asset("claude_code_usage").to_pandas()
    assert not table.duplicated(subset=["date", "actor_type", "email", "api_key_name", "terminal_type"]).any()


def test_refetch_existing_fetches_every_day_again(unlimited, tmp_path):
    days = RANGE
    assert materialize(unlimited, str(tmp_path), ["claude_code_usage"], days=days).success
    before = unlimited.stats.snapshot()["total"]
    again = materialize(unlimited, str(tmp_path), ["claude_code_usage"], days=days,
                        run_config={"ops": {"claude_code_report": {"config": {"refetch_existing": True}}}})
    assert again.success and unlimited.stats.snapshot()["total"] - before == len(days)


def test_days_outside_the_history_window_are_reported_without_a_request(unlimited, tmp_path):
    old = TODAY - dt.timedelta(days=120)
    result = materialize(unlimited, str(tmp_path), ["enterprise_user_activity"], days=[old, old + dt.timedelta(days=1)])
    assert result.success
    assert unlimited.stats.snapshot()["total"] == 0
    observation = next(e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION")
    listed = observation.event_specific_data.asset_observation.metadata["sync/days_unavailable_list"].value
    assert all("90 days of history" in reason for reason in listed.values()) and len(listed) == 2


def test_the_lake_can_live_in_memory(unlimited):
    assert materialize(unlimited, "memory://lake-test", ["enterprise_summaries"], day=DAY).success
    assert Lake("memory://lake-test").read_day("enterprise_summaries", DAY).num_rows == 1


def test_parquet_files_are_self_describing(unlimited, tmp_path):
    assert materialize(unlimited, str(tmp_path), ["enterprise_user_cost"], day=DAY).success
    path = tmp_path / "enterprise_user_cost" / f"date={DAY}" / "part-0.parquet"
    schema = pq.read_schema(path)
    assert str(schema.field("amount_cents").type) == "decimal128(38, 9)"
    assert json.loads(schema.metadata[b"claude_assets"])["endpoint"].endswith("/user_cost_report")


def test_claude_code_agrees_across_the_admin_and_enterprise_apis(unlimited, tmp_path):
    for asset in ("claude_code_usage", "enterprise_user_activity"):
        assert materialize(unlimited, str(tmp_path), [asset], day=DAY).success
    result = materialize(unlimited, str(tmp_path), dg.AssetSelection.checks(claude_code_agrees_across_apis))
    evaluation = next(c for c in result.get_asset_check_evaluations() if c.check_name == "claude_code_agrees_across_apis")
    assert evaluation.passed
    assert evaluation.metadata["user_days_compared"].value > 0


def test_a_month_long_request_refused_for_one_day_costs_a_few_requests_not_a_month(tmp_path):
    """The summaries answer 31 days at once; the oldest day of the window is refused by the API."""
    with Emulator(EmulatorConfig(seed=2, users=5, rate_limit_per_minute=0)) as emu:
        edge = TODAY - dt.timedelta(days=91)  # asked (our clock may lag the API's), refused by the API
        days = [edge + dt.timedelta(days=n) for n in range(31)]
        result = materialize(emu, str(tmp_path), ["enterprise_summaries"], days=days)
        requests = emu.stats.snapshot()["total"]
    assert result.success
    assert Lake(str(tmp_path)).days("enterprise_summaries") == days[1:]
    assert requests <= 2 * 5 + 1, "bisecting 31 days pins the refused day in about log2(31) steps"
