"""A run that dies (kill -9, the OOM killer) on the instance `make ui` creates gives its pool slot back, so
the steps of the same pool in other runs go on instead of waiting for it forever."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import yaml
from dagster import DagsterEventType, DagsterInstance

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.ops.backfill import Chunk, Webserver
from claude_assets.ops.instance import configure
from claude_assets_tests.helpers import TODAY, kill
from claude_assets_tests.stack import dagster_stack, wait_for

LIMIT = 6  # requests a minute: the backfill below takes minutes, so it is still calling the API when killed
BACKFILL_DAYS = (TODAY - dt.timedelta(days=14), TODAY - dt.timedelta(days=5))  # inside the engagement calendar
DAY = TODAY - dt.timedelta(days=5)
pytestmark = [pytest.mark.stack, pytest.mark.slow]  # a daemon and a webserver, a backfill paced over minutes

RUNS = """
query Runs($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill { runs(limit: 10) { runId status stepStats { stepKey status } } }
  }
}"""


def graphql(url: str, query: str, **variables) -> dict:
    return httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30).json()["data"]


def only_run(url: str, backfill: str) -> dict | None:
    runs = graphql(url, RUNS, id=backfill)["partitionBackfillOrError"]["runs"]
    return runs[0] if runs else None


def processes(home: str, run_id: str) -> dict[DagsterEventType, int]:
    """The run's worker (its first engine event with a pid) and its step's process, from its event log."""
    found = {}
    with DagsterInstance.from_config(home) as instance:
        for entry in instance.all_logs(run_id, of_type={DagsterEventType.ENGINE_EVENT,
                                                        DagsterEventType.STEP_WORKER_STARTED}):
            pid = entry.dagster_event.event_specific_data.metadata.get("pid")
            if pid is not None:
                found.setdefault(entry.dagster_event.event_type, int(pid.value))
    return found


def test_a_killed_run_gives_its_pool_slot_back(tmp_path):
    configure(tmp_path / "ui_home")  # the instance `make ui` starts on: SQLite, the pools, run monitoring
    settings = yaml.safe_load((tmp_path / "ui_home" / "dagster.yaml").read_text())
    # run monitoring looks every 5 s instead of 30, and frees a dead run's slots 5 s after it ended: the story is
    # that the slot comes back, not how soon, so it need not idle for a minute
    settings["run_monitoring"] |= {"poll_interval_seconds": 5, "free_slots_after_run_end_seconds": 5}
    instance_yaml = yaml.safe_dump(settings, sort_keys=False)
    paced = {"CLAUDE_ASSETS_ANALYTICS_REQUESTS_PER_MINUTE": str(LIMIT)}
    with Emulator(EmulatorConfig(seed=7, users=6, rate_limit_per_minute=LIMIT)) as emu, \
            dagster_stack(tmp_path, emu, paced, instance_yaml=instance_yaml) as (url, env, _):
        server = Webserver(url)
        first, last = BACKFILL_DAYS
        slow = server.launch(Chunk(first, last, {"enterprise_user_activity": (first, last)}), "killed")

        def step_running() -> bool:
            run = only_run(url, slow)
            return bool(run) and any(s["status"] == "IN_PROGRESS" for s in run["stepStats"])

        wait_for(step_running, 150, "the backfill's step did not start", tmp_path)
        killed = only_run(url, slow)["runId"]
        pids = processes(env["DAGSTER_HOME"], killed)
        assert kill(pids[DagsterEventType.ENGINE_EVENT], env["DAGSTER_HOME"]), "the run's worker is not running"
        try:
            after = server.launch(Chunk(DAY, DAY, {"enterprise_summaries": (DAY, DAY)}), "after the kill")
            wait_for(lambda: (only_run(url, after) or {}).get("status") in {"SUCCESS", "FAILURE", "CANCELED"}, 180,
                     "the run after the kill did not finish: the killed run still holds the pool's slot", tmp_path)
            assert only_run(url, after)["status"] == "SUCCESS"
            assert only_run(url, slow)["status"] == "FAILURE"
        finally:
            if DagsterEventType.STEP_WORKER_STARTED in pids:  # a run of one step has none: its worker runs it
                kill(pids[DagsterEventType.STEP_WORKER_STARTED], env["DAGSTER_HOME"])  # it outlives the worker
