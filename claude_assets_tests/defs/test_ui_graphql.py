"""What an operator sees through the real webserver's GraphQL API (what the Dagster UI shows), and
a month's backfill of every asset launched there and carried out by the real daemon."""

from __future__ import annotations

import datetime as dt

import pytest

from claude_assets import sources
from claude_assets.defs.freshness import LAG_CHECK
from claude_assets.engine.lake import Lake
from claude_assets.engine.tables import NON_NEGATIVE, UNIQUE
from claude_assets.ops.backfill import SUCCEEDED, Webserver
from claude_assets_tests.helpers import TODAY
from claude_assets_tests.stack import FETCHED_LONG_AGO, LAST, MONTH

# Every asset of the catalogue, with the group its source gives it (each group comes from exactly one source).
GROUPS = {asset: source.group for source in sources.SOURCES for asset in source.assets}
DERIVED = {asset for source in sources.SOURCES if source.derived for asset in source.assets}
# what the joined history reads when every source has the day: the Usage and Cost Analytics API's per-actor rows
# stand in for the legacy per-user reports
USER_DAILY_INPUTS = {"claude_code_telemetry", "claude_code_usage", "claude_code_model_usage",
                     "enterprise_user_activity", "claude_usage", "claude_cost"}
ENGAGEMENT = sources.ENGAGEMENT.calendar
# Every story here only reads the session's shared deployment (conftest's `ui_deployment`), which has backfilled
# every asset over the 30 days of MONTH.
pytestmark = [pytest.mark.xdist_group("ui"), pytest.mark.stack]

CATALOGUE = """
{
  assetNodes {
    assetKey { path }
    groupName
    kinds
    description
    partitionKeysByDimension { partitionKeys }
    internalFreshnessPolicy { __typename ... on TimeWindowFreshnessPolicy { warnWindowSeconds failWindowSeconds } }
    assetChecksOrError { __typename ... on AssetChecks { checks { name } } }
  }
}"""

BACKFILL = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill {
      assetBackfillData {
        assetBackfillStatuses {
          ... on AssetPartitionsStatusCounts {
            assetKey { path } numPartitionsTargeted numPartitionsMaterialized numPartitionsFailed
          }
        }
      }
      runs {
        runId status
        eventConnection(limit: 100000) { hasMore events { __typename ... on MessageEvent { message } } }
      }
    }
  }
}"""

MATERIALIZATIONS = """
query Latest($day: String!) {
  assetNodes {
    assetKey { path }
    latestMaterializationByPartition(partitions: [$day]) {
      partition
      metadataEntries {
        label
        ... on IntMetadataEntry { intValue }
        ... on PathMetadataEntry { path }
        ... on TextMetadataEntry { text }
      }
    }
  }
}"""


def test_the_catalogue_lists_every_asset_with_its_group_kinds_description_freshness_and_checks(ui_deployment):
    """The asset catalogue is what a newcomer reads first: nothing missing, nothing undocumented."""
    nodes = {n["assetKey"]["path"][0]: n for n in ui_deployment.ask(CATALOGUE)["assetNodes"]}
    assert set(nodes) == set(GROUPS)
    for asset, node in nodes.items():
        assert node["groupName"] == GROUPS[asset], asset
        assert "parquet" in node["kinds"] and len(node["kinds"]) >= 2, (asset, node["kinds"])
        assert node["description"] and len(node["description"]) > 40, asset
        warn_hours, fail_hours = sources.by_group(node["groupName"]).freshness_hours
        assert node["internalFreshnessPolicy"] == {
            "__typename": "TimeWindowFreshnessPolicy",
            "warnWindowSeconds": warn_hours * 3600, "failWindowSeconds": fail_hours * 3600,
        }, asset
        checks = {c["name"] for c in node["assetChecksOrError"]["checks"]}
        assert LAG_CHECK in checks, asset
        assert ({UNIQUE, NON_NEGATIVE} <= checks) == (asset not in DERIVED), (asset, checks)
    assert "claude_code_agrees_across_apis" in {c["name"] for c in nodes["enterprise_user_activity"]["assetChecksOrError"]["checks"]}


def test_a_month_backfill_of_every_asset_lands_in_the_lake_with_its_metadata(ui_deployment):
    """One backfill of every asset over 30 days, as an operator launches it from the UI, runs to success."""
    deployment = ui_deployment
    assert deployment.month_chunk.ranges == {asset: (MONTH[0], LAST) for asset in GROUPS}, \
        "a calendar refuses some of the 30 days"
    server, backfill_id = Webserver(deployment.url), deployment.month_backfill

    backfill = deployment.ask(BACKFILL, id=backfill_id)["partitionBackfillOrError"]
    statuses = {s["assetKey"]["path"][0]: s for s in backfill["assetBackfillData"]["assetBackfillStatuses"]}
    # (targeted, materialized, failed) partitions per asset, as the backfill page shows them
    assert {asset: (s["numPartitionsTargeted"], s["numPartitionsMaterialized"], s["numPartitionsFailed"])
            for asset, s in statuses.items()} == {asset: (30, 30, 0) for asset in GROUPS}
    assert server.status(backfill_id) in SUCCEEDED
    assert backfill["runs"] and all(run["status"] == "SUCCESS" for run in backfill["runs"])
    assert not any(run["eventConnection"]["hasMore"] for run in backfill["runs"]), "the key scan below must see every event"

    lake = Lake(str(deployment.lake_dir))
    for asset in GROUPS:
        assert set(MONTH) <= set(lake.days(asset)), asset

    latest = {n["assetKey"]["path"][0]: n["latestMaterializationByPartition"][0]
              for n in deployment.ask(MATERIALIZATIONS, day=LAST.isoformat())["assetNodes"]}
    for asset, event in latest.items():
        metadata = {e["label"]: e for e in event["metadataEntries"]}
        assert event["partition"] == LAST.isoformat()
        assert metadata["path"]["path"] == lake.day_path(asset, LAST), asset
        assert "dagster/row_count" in metadata, asset
    usage = {e["label"]: e for e in latest["claude_code_usage"]["metadataEntries"]}
    assert usage["dagster/row_count"]["intValue"] > 0
    user_daily = {e["label"]: e for e in latest["claude_code_user_daily"]["metadataEntries"]}
    assert set(user_daily["sources_used"]["text"].split(", ")) == USER_DAILY_INPUTS

    seen = deployment.log.read_text() + "".join(deployment.answers)
    for key in (deployment.emu.admin_key, deployment.emu.analytics_key):
        assert key not in seen


PARTITIONS = """
{
  assetNodes {
    assetKey { path }
    partitionKeysByDimension { partitionKeys }
    partitionStats { numPartitions numMaterialized }
  }
}"""


def test_the_partition_bar_counts_no_day_the_api_can_no_longer_serve_and_the_lake_never_got(ui_deployment):
    """Engagement is served for 90 days: older days the lake never got are not partitions, so not "Missing";
    the day the lake holds from long ago stays one, and the joined assets keep every day of their calendar."""
    nodes = {n["assetKey"]["path"][0]: n for n in ui_deployment.ask(PARTITIONS)["assetNodes"]}
    first, last = ENGAGEMENT.bounds(TODAY)
    served = ENGAGEMENT.bounds(TODAY, served=True)[0]
    every_day = {(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)}
    can_be_had = {d for d in every_day if d >= served.isoformat() or d == FETCHED_LONG_AGO.isoformat()}
    for asset in ("enterprise_summaries", "enterprise_user_activity", "enterprise_skills"):
        keys = set(nodes[asset]["partitionKeysByDimension"][0]["partitionKeys"])
        assert keys == can_be_had, asset
        # the bar's "Missing" is its partitions less the materialized, failed and in-progress ones
        assert nodes[asset]["partitionStats"]["numPartitions"] == len(can_be_had), asset
    for asset in ("claude_code_user_daily", "org_daily_overview"):
        assert set(nodes[asset]["partitionKeysByDimension"][0]["partitionKeys"]) == every_day, asset
