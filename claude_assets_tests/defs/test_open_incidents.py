"""Open incidents are where an operator looks: each asset's `no_open_incident` check in the UI, and
`claude-assets status`; nobody has to read the watch sensor's cursor."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pytest
from dagster._core.definitions.freshness import FreshnessState
from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

import claude_assets.definitions
from claude_assets.defs.alerts import Notifier
from claude_assets.defs.incidents import INCIDENT_CHECK, incident_checks
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.ops.status import run_status
from claude_assets_tests.helpers import TODAY, freshness, materialize, tick

DAY = TODAY - dt.timedelta(days=6)
UI = "http://127.0.0.1:3000"
CHECKS = """
{
  assetNodes {
    assetKey { path }
    assetChecksOrError {
      ... on AssetChecks {
        checks {
          name
          executionForLatestMaterialization {
            status
            evaluation { description metadataEntries { label ... on JsonMetadataEntry { jsonString } } }
          }
        }
      }
    }
  }
}"""


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """The operator's instance: a DAGSTER_HOME that the UI, the sensors and `status` all read."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        yield instance


def incident_checks_in_the_ui(instance) -> dict[str, dict]:
    """Each asset's `no_open_incident` check as the webserver's GraphQL serves it to the asset page."""
    with define_out_of_process_context(claude_assets.definitions.__file__, "defs", instance) as context:
        result = execute_dagster_graphql(context, CHECKS)
    found = {}
    for node in result.data["assetNodes"]:
        [check] = [c for c in node["assetChecksOrError"]["checks"] if c["name"] == INCIDENT_CHECK]
        found["/".join(node["assetKey"]["path"])] = check["executionForLatestMaterialization"]
    return found


def incidents_of(execution: dict) -> list[dict]:
    [entry] = [e for e in execution["evaluation"]["metadataEntries"] if e["label"] == "incidents"]
    return json.loads(entry["jsonString"])


def test_a_failed_sync_and_a_stale_asset_show_as_open_incidents_until_they_are_fixed(instance, tmp_path, capsys):
    notify = Notifier(ui_url=UI + "/")
    with Emulator(EmulatorConfig(seed=11, users=5, rate_limit_per_minute=0)) as emu:
        # a sync fails on a revoked key and api_cost goes stale; the watch sensor ticks
        failed = materialize(emu, str(tmp_path / "lake"), ["claude_code_usage"], day=DAY, instance=instance,
                             admin_key="sk-ant-admin01-revoked")
        assert not failed.success
        freshness(instance, "api_cost", FreshnessState.PASS, FreshnessState.FAIL)
        cursor = tick(instance, notify, None)
        cursor = tick(instance, notify, cursor)

        # the asset pages show both incidents, with since when, the run and what to do; other assets show nothing
        ui = incident_checks_in_the_ui(instance)
        assert ui["claude_code_usage"]["status"] == "FAILED"
        [failure] = incidents_of(ui["claude_code_usage"])
        assert failure["kind"] == "failure" and failure["run"] == f"{UI}/runs/{failed.run_id}"
        assert "materialize the same days again" in failure["what_to_do"]
        assert ui["claude_code_usage"]["evaluation"]["description"].startswith("failure since ")
        assert ui["api_cost"]["status"] == "FAILED"
        assert [i["kind"] for i in incidents_of(ui["api_cost"])] == ["stale"]
        assert ui["claude_usage"] is None

        # `claude-assets status` lists the same incidents
        run_status()
        out = capsys.readouterr().out
        assert "Open incidents (2):" in out
        assert f"failure   since {failure['since']}  run {UI}/runs/{failed.run_id}" in out
        assert "api_cost" in out.split("Open incidents")[1] and "stale" in out.split("Open incidents")[1]
        assert out.count("what to do: ") == 2

        # the sync succeeds and api_cost is fresh again: the incidents close, in the UI and in status
        assert materialize(emu, str(tmp_path / "lake"), ["claude_code_usage"], day=DAY, instance=instance).success
        freshness(instance, "api_cost", FreshnessState.FAIL, FreshnessState.PASS)
        tick(instance, notify, cursor)

    # the all-clear is about the materialization that fixed it, whatever second the sensor ticked in
    key = dg.AssetCheckKey(dg.AssetKey("claude_code_usage"), INCIDENT_CHECK)
    cleared = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    [usage] = instance.get_asset_records([dg.AssetKey("claude_code_usage")])
    target = cleared.event.dagster_event.event_specific_data.target_materialization_data
    assert target is not None and target.storage_id == usage.asset_entry.last_materialization_record.storage_id
    ui = incident_checks_in_the_ui(instance)
    assert ui["claude_code_usage"]["status"] == "SUCCEEDED" and incidents_of(ui["claude_code_usage"]) == []
    assert ui["api_cost"]["status"] == "SUCCEEDED"
    run_status()
    assert "No open incidents." in capsys.readouterr().out


def test_an_incident_stays_visible_after_a_sync_that_does_not_close_it(instance, tmp_path):
    """A sync of an older day does not make a stale asset fresh; its page still shows the incident."""
    notify = Notifier()
    freshness(instance, "api_cost", FreshnessState.PASS, FreshnessState.WARN)
    cursor = tick(instance, notify, None)
    with Emulator(EmulatorConfig(seed=11, users=5, rate_limit_per_minute=0)) as emu:
        assert materialize(emu, str(tmp_path / "lake"), ["api_cost"], day=DAY, instance=instance).success
    tick(instance, notify, cursor)
    ui = incident_checks_in_the_ui(instance)
    assert ui["api_cost"]["status"] == "FAILED"
    assert [i["kind"] for i in incidents_of(ui["api_cost"])] == ["stale"]


def test_executing_the_check_repeats_the_sensor_s_verdict(instance):
    """An operator who clicks "Execute" on the check gets what the sensor recorded, never a false all-clear."""
    freshness(instance, "api_cost", FreshnessState.PASS, FreshnessState.FAIL)
    tick(instance, Notifier(), None)
    api_cost = dg.AssetSpec("api_cost", partitions_def=dg.DailyPartitionsDefinition(DAY.isoformat()))
    check = dg.AssetCheckKey(api_cost.key, INCIDENT_CHECK)
    external = dg.AssetsDefinition(specs=[api_cost])
    result = dg.materialize([external, incident_checks([external])], selection=dg.AssetSelection.checks(check),
                            instance=instance)
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.metadata["incidents"].value[0]["kind"] == "stale"
