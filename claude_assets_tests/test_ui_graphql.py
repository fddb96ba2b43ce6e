"""What an operator sees through the real webserver's GraphQL API (what the Dagster UI shows), and
a month's backfill of every asset launched there and carried out by the real daemon."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import httpx
import pytest

from claude_assets import sources
from claude_assets.defs.freshness import LAG_CHECK, SOURCES
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry
from claude_assets.engine.lake import Lake
from claude_assets.engine.tables import NON_NEGATIVE, UNIQUE
from claude_assets.ops.backfill import DONE, SUCCEEDED, Webserver, plan
from claude_assets.sources import ENDPOINTS
from claude_assets_tests.helpers import TODAY
from claude_assets_tests.stack import dagster_stack, wait_for

# Every asset of the catalogue, with the group its source gives it (each group comes from exactly one source).
GROUPS = {asset: source.group for source in sources.SOURCES for asset in source.assets}
ENDPOINTS_BY_ASSET = {asset: endpoint for endpoint in ENDPOINTS for asset in endpoint.assets}
DERIVED = {asset for source in sources.SOURCES if source.derived for asset in source.assets}
# what the joined history reads when every source has the day: the Usage and Cost Analytics API's per-actor rows
# stand in for the legacy per-user reports
USER_DAILY_INPUTS = {"claude_code_telemetry", "claude_code_usage", "claude_code_model_usage",
                     "enterprise_user_activity", "claude_usage", "claude_cost"}
# 30 days ending at D-3, the newest day engagement data exists: every calendar holds all of them.
LAST = TODAY - dt.timedelta(days=3)
DAYS = [LAST - dt.timedelta(days=n) for n in range(29, -1, -1)]
ENGAGEMENT = sources.ENGAGEMENT.calendar
FETCHED_LONG_AGO = TODAY - dt.timedelta(days=ENGAGEMENT.window_days + 20)

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


@dataclasses.dataclass
class Deployment:
    url: str
    lake_dir: Path
    log: Path
    emu: Emulator
    answers: list[str] = dataclasses.field(default_factory=list)

    def ask(self, query: str, **variables) -> dict:
        """One GraphQL request; every answer is kept, to look for leaked keys in it."""
        reply = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=120)
        self.answers.append(reply.text)
        body = reply.json()
        assert reply.status_code == 200 and not body.get("errors"), reply.text[:2000]
        return body["data"]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """The webserver and daemon against an emulated organization of 15 users and its telemetry files."""
    tmp = tmp_path_factory.mktemp("ui_graphql")
    # a day fetched long ago, which the API no longer serves: the lake is its only history
    [summaries] = [t for t in ENDPOINTS_BY_ASSET["enterprise_summaries"].tables if t.asset == "enterprise_summaries"]
    Lake(str(tmp / "lake")).write_day("enterprise_summaries", FETCHED_LONG_AGO, summaries.schema.empty_table(), {})
    with Emulator(EmulatorConfig(seed=5, users=15, rate_limit_per_minute=0)) as emu:
        # the default clients: realistic, with their events in the metrics file for claude_code_events
        write_telemetry(emu.org, tmp / "telemetry", DAYS[0] - dt.timedelta(days=3), TODAY - dt.timedelta(days=1))
        # this emulator sets no rate limit, so the clients need not pace their requests to 60 a minute
        unpaced = {"CLAUDE_ASSETS_ADMIN_REQUESTS_PER_MINUTE": "0", "CLAUDE_ASSETS_ANALYTICS_REQUESTS_PER_MINUTE": "0"}
        with dagster_stack(tmp, emu, unpaced) as (url, _, lake_dir):
            yield Deployment(url, lake_dir, tmp / "dagster.log", emu)


def test_the_catalogue_lists_every_asset_with_its_group_kinds_description_freshness_and_checks(deployment):
    """The asset catalogue is what a newcomer reads first: nothing missing, nothing undocumented."""
    nodes = {n["assetKey"]["path"][0]: n for n in deployment.ask(CATALOGUE)["assetNodes"]}
    assert set(nodes) == set(GROUPS)
    for asset, node in nodes.items():
        assert node["groupName"] == GROUPS[asset], asset
        assert "parquet" in node["kinds"] and len(node["kinds"]) >= 2, (asset, node["kinds"])
        assert node["description"] and len(node["description"]) > 40, asset
        warn_hours, fail_hours = SOURCES[node["groupName"]]
        assert node["internalFreshnessPolicy"] == {
            "__typename": "TimeWindowFreshnessPolicy",
            "warnWindowSeconds": warn_hours * 3600, "failWindowSeconds": fail_hours * 3600,
        }, asset
        checks = {c["name"] for c in node["assetChecksOrError"]["checks"]}
        assert LAG_CHECK in checks, asset
        assert ({UNIQUE, NON_NEGATIVE} <= checks) == (asset not in DERIVED), (asset, checks)
    assert "claude_code_agrees_across_apis" in {c["name"] for c in nodes["enterprise_user_activity"]["assetChecksOrError"]["checks"]}


def test_a_month_backfill_of_every_asset_lands_in_the_lake_with_its_metadata(deployment):
    """One backfill of every asset over 30 days, as an operator launches it from the UI, runs to success."""
    graph_keys = {n["assetKey"]["path"][0]: n["partitionKeysByDimension"][0]["partitionKeys"]
                  for n in deployment.ask(CATALOGUE)["assetNodes"]}
    held = {asset: (dt.date.fromisoformat(keys[0]), dt.date.fromisoformat(keys[-1])) for asset, keys in graph_keys.items()}
    [chunk] = plan(DAYS[0], LAST, held, chunk_days=len(DAYS))
    assert chunk.ranges == {asset: (DAYS[0], LAST) for asset in GROUPS}, "a calendar refuses some of the 30 days"

    server = Webserver(deployment.url)
    backfill_id = server.launch(chunk, "every asset, 30 days")
    wait_for(lambda: server.status(backfill_id) in DONE, 900, "the backfill did not finish", deployment.log.parent)

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
        assert set(DAYS) <= set(lake.days(asset)), asset

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


def test_the_partition_bar_counts_no_day_the_api_can_no_longer_serve_and_the_lake_never_got(deployment):
    """Engagement is served for 90 days: older days the lake never got are not partitions, so not "Missing";
    the day the lake holds from long ago stays one, and the joined assets keep every day of their calendar."""
    nodes = {n["assetKey"]["path"][0]: n for n in deployment.ask(PARTITIONS)["assetNodes"]}
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
