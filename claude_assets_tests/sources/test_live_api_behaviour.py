"""What other integrations saw on the live APIs (api-reference §8, F1-F13), met by real syncs.

The emulator reproduces each field report (test_emulator_field_reports.py shows it does); these
stories show that our syncs cope with it: over real HTTP, into real Parquet, through real runs.
"""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc
import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.client import ApiClient, ApiKey, KeyKind, Pagination
from claude_assets.engine.endpoint import MAX_GROUP_BY
from claude_assets.engine.lake import Lake
from claude_assets.sources import ENDPOINTS
from claude_assets_tests.helpers import TODAY, Sleeps, failure, materializations, materialize

# A day inside every calendar and history window (engagement ends at D-3, keeps 90 days); the
# synthetic organization has Claude Code and chat activity on every day, weekends included.
DAY = TODAY - dt.timedelta(days=5)
WEEK = [DAY - dt.timedelta(days=n) for n in range(6, -1, -1)]
TOKENS = ["uncached_input_tokens", "cache_creation_5m_input_tokens", "cache_creation_1h_input_tokens",
          "cache_read_input_tokens", "output_tokens", "web_search_requests"]


@pytest.fixture
def org():
    with Emulator(EmulatorConfig(seed=21, users=24, rate_limit_per_minute=0)) as emu:
        yield emu


def table(lake_dir, asset):
    return Lake(str(lake_dir)).read_asset(asset).to_pandas()


def test_f1_the_messages_usage_keeps_every_dimension_in_two_groupings_of_at_most_five(org, tmp_path):
    """The live usage report refuses a sixth group_by[]; we read it twice and the totals agree."""
    assert all(len(e.query(DAY, DAY).get("group_by[]", [])) <= MAX_GROUP_BY for e in ENDPOINTS)
    result = materialize(org, str(tmp_path), ["api_messages_usage", "api_messages_usage_by_geo"], days=WEEK)
    assert result.success
    assert org.stats.snapshot()["by_status"].get("400", 0) == 0, "the emulator refused a query"
    by_key, by_geo = table(tmp_path, "api_messages_usage"), table(tmp_path, "api_messages_usage_by_geo")
    assert by_key["api_key_id"].notna().any() and by_key["inference_geo"].isna().all()
    assert by_geo["inference_geo"].notna().all() and by_geo["speed"].notna().all() and by_geo["api_key_id"].isna().all()
    assert (by_key.groupby("date")[TOKENS].sum() == by_geo.groupby("date")[TOKENS].sum()).all().all()
    for day in WEEK:
        truth = sum(item.output for item in org.org.api_usage(day))
        assert by_key.loc[by_key["date"] == day, "output_tokens"].sum() == truth


def test_f2_a_key_without_the_analytics_scope_names_the_scope_and_the_checks(org, tmp_path):
    result = materialize(org, str(tmp_path), ["enterprise_user_activity"], day=DAY, analytics_key=org.scopeless_key)
    assert not result.success
    message = failure(result)
    assert "lacks the scope read:analytics" in message and "HTTP 403 permission_error" in message
    assert "1. API access is on" in message and org.scopeless_key not in message


def test_f2_a_404_on_engagement_says_the_organization_may_not_be_on_enterprise(org, tmp_path):
    result = materialize(org, str(tmp_path), ["enterprise_user_activity"], day=DAY, analytics_key="not-a-key")
    message = failure(result)
    assert "not on Claude Enterprise" in message and "1. API access is on" in message


@pytest.mark.parametrize("retry_after", ["none", "http-date"])
def test_f3_a_429_without_seconds_in_retry_after_is_waited_out(retry_after):
    with Emulator(EmulatorConfig(seed=21, users=6, rate_limit_per_minute=0, retry_after=retry_after)) as emu:
        emu.faults.rate_limit_next(2, retry_after=2)
        sleeps = Sleeps()
        client = ApiClient(ApiKey(emu.admin_key, KeyKind.ADMIN), emu.url, requests_per_minute=None, sleep=sleeps)
        with client:
            result = client.fetch_all("/v1/organizations/usage_report/claude_code",
                                      {"starting_at": DAY.isoformat(), "limit": 1000}, Pagination.HAS_MORE,
                                      lambda page: page["data"])
    assert result.records and result.stats.rate_limited == 2 and len(sleeps.delays) == 2
    if retry_after == "http-date":
        assert all(1.5 <= d <= 3.5 for d in sleeps.delays), sleeps.delays  # 2 s ahead, in whole seconds, jittered
    else:
        assert all(0 <= d <= 1.0 for d in sleeps.delays), "our own backoff: 0.5 s, then 1 s, at most"


def test_f4_every_report_with_a_time_range_is_asked_on_utc_midnights():
    """The live bucketed reports refuse an ending_at off the bucket grid, or equal to starting_at."""
    ranged = [e for e in ENDPOINTS if "ending_at" in e.query(DAY, DAY + dt.timedelta(days=1))]
    assert {e.name for e in ranged} >= {"api_messages_usage", "api_cost", "enterprise_usage", "enterprise_cost"}
    for endpoint in ranged:
        query = endpoint.query(DAY, DAY + dt.timedelta(days=3))
        assert query["starting_at"] == f"{DAY}T00:00:00Z", endpoint.name
        assert query["ending_at"] == f"{DAY + dt.timedelta(days=3)}T00:00:00Z", endpoint.name


def test_f5_undated_per_user_rows_take_the_day_they_were_asked_for(org, tmp_path):
    assert materialize(org, str(tmp_path), ["enterprise_user_usage", "enterprise_user_cost"], days=WEEK[-3:]).success
    for asset in ("enterprise_user_usage", "enterprise_user_cost"):
        rows = table(tmp_path, asset)
        assert len(rows) > 0 and set(rows["date"]) == set(WEEK[-3:])
        starts = rows["starting_at"].dt.date
        assert (starts == rows["date"]).all() and ((rows["ending_at"] - rows["starting_at"]).dt.days == 1).all()


def test_f6_summaries_are_asked_with_both_dates_and_give_each_day(org, tmp_path):
    assert materialize(org, str(tmp_path), ["enterprise_summaries"], days=WEEK).success
    summaries = table(tmp_path, "enterprise_summaries")
    assert sorted(summaries["date"]) == WEEK and (summaries["daily_active_users"] >= 2).all()
    # (besides, once a process, the key's organization is asked: summaries name none)
    assert org.stats.snapshot()["by_path"]["/v1/organizations/analytics/summaries"] == 1, \
        "a week of summaries is one request"


def test_f7_engagement_pages_without_has_more_are_followed_to_the_end(org):
    client = ApiClient(ApiKey(org.analytics_key, KeyKind.ANALYTICS), org.url, requests_per_minute=None)
    with client:
        result = client.fetch_all("/v1/organizations/analytics/users", {"date": DAY.isoformat(), "limit": 1},
                                  Pagination.NEXT_PAGE, lambda page: page["data"])
    active = org.org.active_user_days(DAY)
    assert len(active) >= 2 and result.stats.pages == len(active), "one user a page, every page read"
    assert sorted(r["user"]["email_address"] for r in result.records) == sorted(ud.user.email for ud in active)


def test_f8_null_metric_blocks_become_nulls_and_are_counted(org, tmp_path):
    result = materialize(org, str(tmp_path), ["enterprise_user_activity"], days=WEEK)
    assert result.success
    users = table(tmp_path, "enterprise_user_activity")
    blocks: dict[str, int] = {}
    for event in materializations(result)["enterprise_user_activity"]:
        assert event.metadata["extra_fields"].value == 0, "a null block is not drift"
        for block, rows in event.metadata["null_blocks"].value.items():
            blocks[block] = blocks.get(block, 0) + rows
    assert blocks.get("claude_code_metrics", 0) > 0 and blocks.get("cowork_metrics", 0) > 0, blocks
    assert users["claude_code_sessions"].isna().sum() == blocks["claude_code_metrics"]
    assert users["cowork_message_count"].isna().sum() == blocks["cowork_metrics"]
    for day in WEEK:
        truth = sum(rec.sessions for ud in org.org.active_user_days(day) for rec in ud.code)
        assert users.loc[users["date"] == day, "claude_code_sessions"].sum() == truth


def test_f9_a_day_before_history_is_an_empty_day_and_string_amounts_are_exact(tmp_path):
    start = TODAY - dt.timedelta(days=8)
    quiet = start - dt.timedelta(days=2)
    with Emulator(EmulatorConfig(seed=21, users=8, rate_limit_per_minute=0, history_start=start,
                                 claude_code_amounts="string")) as emu:
        for day in (quiet, DAY):
            assert materialize(emu, str(tmp_path), ["claude_code_usage", "claude_code_model_usage"], day=day).success
        truth = [m["estimated_cost"]["amount"] for r in emu.org.claude_code_records(DAY) for m in r["model_breakdown"]]
    lake = Lake(str(tmp_path))
    assert lake.read_day("claude_code_usage", quiet).num_rows == 0
    costs = lake.read_day("claude_code_model_usage", DAY).column("estimated_cost_cents").to_pylist()
    assert sorted(costs) == sorted(float(a) for a in truth) and pc.sum(pc.is_null(
        lake.read_day("claude_code_model_usage", DAY).column("estimated_cost_usd"))).as_py() == 0


def test_f10_blank_dimensions_of_the_cost_report_are_null(org, tmp_path):
    assert materialize(org, str(tmp_path), ["api_cost"], day=DAY).success
    cost = table(tmp_path, "api_cost")
    web = cost[cost["cost_type"] == "web_search"]
    assert len(web) > 0 and web["model"].isna().all() and web["token_type"].isna().all()
    for column in ("model", "service_tier", "context_window", "token_type", "inference_geo", "workspace_id"):
        assert not (cost[column] == "").any(), column


def test_f11_the_newest_day_named_in_a_refusal_splits_the_range_in_one_step(tmp_path):
    """The API is two days behind its usual lag: the refusal names its newest day, which is all we need."""
    with Emulator(EmulatorConfig(seed=21, users=6, rate_limit_per_minute=0, lag_days=5)) as emu:
        newest = TODAY - dt.timedelta(days=3)
        days = [newest - dt.timedelta(days=n) for n in range(5, -1, -1)]
        result = materialize(emu, str(tmp_path), ["enterprise_summaries"], days=days)
        requests = emu.stats.snapshot()["by_path"]["/v1/organizations/analytics/summaries"]  # not the organization's
    assert result.success and requests == 2, "one refused request, one for the days it has"
    served = TODAY - dt.timedelta(days=5)
    assert Lake(str(tmp_path)).days("enterprise_summaries") == [d for d in days if d <= served]
    observation = next(e.asset_observation_data.asset_observation for e in result.all_events
                       if e.event_type_value == "ASSET_OBSERVATION")
    unavailable = observation.metadata["sync/days_unavailable_list"].value
    assert sorted(unavailable) == [d.isoformat() for d in days if d > served]
    assert all(served.isoformat() in reason for reason in unavailable.values())


def test_f12_the_watermark_and_organization_of_each_answer_are_kept_with_the_day(org, tmp_path):
    assets = ["enterprise_usage", "enterprise_cost", "enterprise_user_usage", "enterprise_user_cost"]
    result = materialize(org, str(tmp_path), assets, day=DAY)
    assert result.success
    for asset in assets:
        rows = table(tmp_path, asset)
        assert len(rows) > 0 and set(rows["organization_id"]) == {org.org.organization_id}, asset
        assert rows["data_refreshed_at"].notna().all(), asset
        [event] = materializations(result)[asset]
        assert event.metadata["api/organization_id"].value == org.org.organization_id
        assert Lake(str(tmp_path)).day_info(asset, DAY)["data_refreshed_at"] == event.metadata["api/data_refreshed_at"].value


def test_f13_grouping_fields_of_the_newest_reference_are_columns_not_drift(org, tmp_path):
    assets = ["enterprise_user_activity", "enterprise_skills", "enterprise_connectors", "enterprise_chat_projects"]
    result = materialize(org, str(tmp_path), assets, day=DAY)
    assert result.success
    for asset in assets:
        rows = table(tmp_path, asset)
        assert {"rbac_group_id", "rbac_group_name"} <= set(rows.columns), asset
        assert len(rows) > 0 and rows["rbac_group_id"].isna().all(), asset
        [event] = materializations(result)[asset]
        assert event.metadata["extra_fields"].value == 0, (asset, event.metadata["extra_field_names"].value)
    assert "distinct_users" in table(tmp_path, "enterprise_user_activity").columns
    assert {"product", "user_id"} <= set(table(tmp_path, "enterprise_skills").columns)
