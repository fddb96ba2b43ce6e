"""The production path of deploy/: a Dagster instance on PostgreSQL, the lake on S3, and two
backfills of one organization launched at once that together stay inside its rate limit."""

from __future__ import annotations

import datetime as dt

import httpx
import psycopg2
import pytest

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.lake import Lake
from claude_assets.ops.backfill import Chunk, Webserver
from claude_assets_tests.helpers import TODAY
from claude_assets_tests.services import postgres_server, s3_server
from claude_assets_tests.stack import REPO, dagster_stack, wait_for

LIMIT = 30  # the organization's Enterprise Analytics limit, requests a minute
DAYS = 40  # per backfill: more requests than one minute's burst, so two at once would overrun the limit
ASSET = "enterprise_user_activity"  # one request a day

ORGANIZATIONS = f"""
organizations:
  acme:
    data_dir: s3://analytics-lake/claude/acme
    telemetry_dir: {{telemetry}}
    base_url: {{base_url}}
    analytics_requests_per_minute: {LIMIT}
"""

STEP_STATS = """
query Runs($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill { runs(limit: 10) { runId status stepStats { stepKey startTime endTime } } }
  }
}"""


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """deploy/dagster.yaml on a real PostgreSQL, CLAUDE_ASSETS_ORGANIZATIONS naming an S3 lake, and the emulated org."""
    with postgres_server() as pg, s3_server("analytics-lake") as s3, \
            Emulator(EmulatorConfig(seed=11, users=8, rate_limit_per_minute=LIMIT)) as emu:
        for name, value in s3.items():
            monkeypatch.setenv(name, value)  # so this test can read the lake the runs wrote
        organizations = tmp_path / "organizations.yaml"
        organizations.write_text(ORGANIZATIONS.format(telemetry=tmp_path / "telemetry", base_url=emu.url))
        env = {**pg, **s3, "CLAUDE_ASSETS_ORGANIZATIONS": str(organizations),
               "ACME_ANTHROPIC_ANALYTICS_API_KEY": emu.analytics_key, "ACME_ANTHROPIC_ADMIN_API_KEY": emu.admin_key}
        instance_yaml = (REPO / "deploy" / "dagster.yaml").read_text()
        with dagster_stack(tmp_path, emu, env, instance_yaml=instance_yaml) as (url, _, _):
            yield url, emu, pg, tmp_path


@pytest.mark.stack
@pytest.mark.slow
def test_two_backfills_of_one_organization_share_its_rate_budget(deployment):
    url, emu, pg, tmp_path = deployment
    newest = TODAY - dt.timedelta(days=3)
    ranges = [(newest - dt.timedelta(days=2 * DAYS - 1), newest - dt.timedelta(days=DAYS)),
              (newest - dt.timedelta(days=DAYS - 1), newest)]
    server = Webserver(url)
    backfills = [server.launch(Chunk(a, b, {f"acme/{ASSET}": (a, b)}), f"test {a}..{b}") for a, b in ranges]

    wait_for(lambda: all(server.status(b) in {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED",
                                              "CANCELED"} for b in backfills),
             900, "the two backfills did not finish", tmp_path)
    assert [server.status(b) for b in backfills] == ["COMPLETED_SUCCESS"] * 2

    # Together they never went over the organization's limit: the API refused nothing ...
    stats = emu.stats.snapshot()
    assert stats["by_key_kind"]["analytics"] >= 2 * DAYS
    assert stats["rate_limited"] == 0, stats
    # ... because the pool let one step at a time call the API, across the two runs.
    windows, run_ids = [], []
    for backfill in backfills:
        runs = httpx.post(f"{url}/graphql", json={"query": STEP_STATS, "variables": {"id": backfill}},
                          timeout=30).json()["data"]["partitionBackfillOrError"]["runs"]
        assert len(runs) == 1, "a single-run backfill policy: one run per backfill"
        run_ids.append(runs[0]["runId"])
        windows += [(s["startTime"], s["endTime"]) for s in runs[0]["stepStats"] if s["stepKey"] == f"acme__{ASSET}"]
    (first_start, first_end), (second_start, second_end) = sorted(windows)
    assert first_end <= second_start, "the two runs called the API at the same time"

    # Every day is in the S3 lake, and the two runs are in PostgreSQL (the daemon's own daily syncs may
    # have added runs of their own meanwhile: only these two are asserted on).
    lake = Lake("s3://analytics-lake/claude/acme")
    assert len(lake.days(ASSET)) == 2 * DAYS and lake.days(ASSET)[-1] == newest
    connection = psycopg2.connect(host=pg["DAGSTER_PG_HOST"], port=pg["DAGSTER_PG_PORT"], dbname=pg["DAGSTER_PG_DB"],
                                  user=pg["DAGSTER_PG_USERNAME"], password=pg["DAGSTER_PG_PASSWORD"])
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT run_id, status FROM runs WHERE run_id = ANY(%s)", (run_ids,))
        assert dict(cursor.fetchall()) == {run_id: "SUCCESS" for run_id in run_ids}
    connection.close()
    log = (tmp_path / "dagster.log").read_text()
    assert emu.analytics_key not in log and pg["DAGSTER_PG_PASSWORD"] not in log
