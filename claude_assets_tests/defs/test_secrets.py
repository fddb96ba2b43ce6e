"""Secrets stay secret (issue 22, points 1 and 2): a run's config cannot send a key, or any variable's value,
to a host of its choice, from the CLI, the UI's GraphQL or in process; a key goes only to a host the
deployment names; and a key an answer echoes (as some proxies do) reaches no output, log, lake file or
Dagster storage. Canary keys, made fresh per session, are searched for everywhere afterwards."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import subprocess
import time
from pathlib import Path

import dagster as dg
import httpx
import pytest

from claude_assets.defs.assets.raw import raw_assets
from claude_assets.defs.resources import AdminApiResource, AnalyticsApiResource, LakeResource
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.engine.client import ApiClient, ApiKey, KeyKind
from claude_assets.engine.client.errors import HostNotAllowedError, TransportError
from claude_assets_tests.helpers import TODAY, _env, closed_port, failure, materialize
from claude_assets_tests.stack import BIN, REPO, dagster_stack

DAY = TODAY - dt.timedelta(days=5)  # inside every calendar
ADMIN_CANARY = f"sk-ant-admin01-CANARY{secrets.token_hex(12)}"
ANALYTICS_CANARY = f"CANARYanalytics{secrets.token_hex(12)}"  # no sk-ant- prefix: only the configured-key rule hides it
SECRET_CANARY = f"CANARYsecret{secrets.token_hex(12)}"  # a variable no key lives in, e.g. a database password
CANARIES = (ADMIN_CANARY, ANALYTICS_CANARY, SECRET_CANARY)
REFUSED = "a run's config may not set the API host or where a key comes from"
CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"


@pytest.fixture
def emu():
    with Emulator(EmulatorConfig(seed=7, users=5, admin_key=ADMIN_CANARY, analytics_key=ANALYTICS_CANARY)) as emu:
        yield emu


@pytest.fixture
def attacker():
    """A server that would record whatever reached it: a run's config points the key here."""
    with Emulator(EmulatorConfig(seed=8, users=1)) as emu:
        yield emu


def override(attacker: Emulator, **fields) -> dict:
    """The attack: the Analytics resource (whose key may be any text) reads CANARY_SECRET and sends it to `attacker`."""
    config = fields or {"base_url": attacker.url, "api_key": {"env": "CANARY_SECRET"}}
    return {"resources": {"analytics_api": {"config": config}}}


def leaks(texts=(), folders=()) -> list[str]:
    """Where any canary appears: in the texts given, or in any file (text or binary) under the folders."""
    found = [f"text {n}" for n, text in enumerate(texts) for c in CANARIES if c in text]
    for folder in folders:
        for path in Path(folder).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                found += [str(path) for c in CANARIES if c.encode() in data]
    return found


def errors(result) -> str:
    """Every error a run recorded (a resource's that failed to start is not a step's failure), with its causes."""
    return "\n".join(error.to_string() for event in result.all_events
                     if (error := getattr(event.event_specific_data, "error", None)) is not None)


def requests(*servers: Emulator) -> int:
    return sum(server.stats.snapshot()["total"] for server in servers)


# -- a key is sent only where it belongs ---------------------------------------------------------------------


@pytest.mark.parametrize("fields, named", [
    (None, "api_key"), ({"base_url": "attacker"}, "base_url"), ({"key_env_var": "CANARY_SECRET"}, "key_env_var"),
    ({"organization": "someone_else"}, "organization"),
], ids=["host and key", "host", "key variable", "organization"])
def test_a_run_config_setting_a_host_or_a_keys_source_fails_before_any_request(
        fields, named, emu, attacker, tmp_path, monkeypatch):
    monkeypatch.setenv("CANARY_SECRET", SECRET_CANARY)
    config = override(attacker, **{k: attacker.url if v == "attacker" else v for k, v in (fields or {}).items()})
    result = materialize(emu, str(tmp_path / "lake"), ["enterprise_summaries"], day=DAY, run_config=config)
    assert not result.success
    message = errors(result)
    assert REFUSED in message and f"`{named}` of the resource analytics_api" in message
    assert "ANTHROPIC_BASE_URL" in message
    assert requests(emu, attacker) == 0
    assert not leaks([message, *(str(e) for e in result.all_events)], [tmp_path])


@pytest.mark.subprocess
def test_claude_assets_launch_with_a_run_config_override_fails_and_sends_nothing(emu, attacker, tmp_path):
    env = _env(tmp_path, ANTHROPIC_BASE_URL=emu.url, ANTHROPIC_ADMIN_API_KEY=ADMIN_CANARY,
               ANTHROPIC_ANALYTICS_API_KEY=ANALYTICS_CANARY, CANARY_SECRET=SECRET_CANARY)
    ran = subprocess.run([str(BIN / "claude-assets"), "launch", "--assets", "enterprise_summaries", "--partition",
                          DAY.isoformat(), "--config-json", json.dumps(override(attacker))],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert ran.returncode != 0
    assert REFUSED in ran.stdout + ran.stderr and "`api_key` of the resource analytics_api" in ran.stdout + ran.stderr
    assert requests(emu, attacker) == 0
    assert not leaks([ran.stdout, ran.stderr], [tmp_path])


@pytest.mark.stack
def test_a_run_config_override_launched_through_the_webservers_graphql_fails_and_sends_nothing(
        emu, attacker, tmp_path):
    """Launched as the launchpad does; ANTHROPIC_BASE_URL carries a password, which the UI must not show either."""
    base_url = f"http://user:secretpw@127.0.0.1:{emu.port}"
    with dagster_stack(tmp_path, emu, extra_env={"CANARY_SECRET": SECRET_CANARY, "ANTHROPIC_BASE_URL": base_url}) as (
            url, _, lake):
        shown = _graphql(url, RESOURCE, {"name": "analytics_api"})["topLevelResourceDetailsOrError"]
        run_id = _launch_run(url, "enterprise_summaries", DAY, override(attacker))
        status = _wait_for_end(url, run_id, 240)
        said = _run_messages(url, run_id)
    assert {"key": "base_url", "value": "ANTHROPIC_BASE_URL", "type": "ENV_VAR"} in shown["configuredValues"]
    assert status == "FAILURE"
    assert REFUSED in said and "`api_key` of the resource analytics_api" in said
    assert requests(emu, attacker) == 0
    assert not leaks([said, json.dumps(shown)], [tmp_path])
    assert "secretpw" not in said + json.dumps(shown) and not [
        path for path in tmp_path.rglob("*") if path.is_file() and b"secretpw" in path.read_bytes()]


def test_a_host_no_setting_names_gets_no_key_and_one_line_saying_why(emu, tmp_path):
    resources = {
        "admin_api": AdminApiResource(api_key=ADMIN_CANARY, base_url="https://claude-assets-attacker.invalid"),
        "analytics_api": AnalyticsApiResource(api_key=ANALYTICS_CANARY, base_url="https://claude-assets-attacker.invalid"),
        "lake": LakeResource(base_dir=str(tmp_path)),
    }
    result = dg.materialize(raw_assets, selection=["claude_code_usage"], partition_key=DAY.isoformat(),
                            resources=resources, raise_on_error=False)
    message = failure(result)
    assert "Refusing to send a key to claude-assets-attacker.invalid: host not allowed" in message
    assert "ANTHROPIC_BASE_URL" in message and not leaks([message])


def test_a_host_named_by_the_organizations_file_may_get_its_key(tmp_path, monkeypatch):
    """Allowed hosts come from deployment settings: here the file CLAUDE_ASSETS_ORGANIZATIONS names."""
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    with pytest.raises(HostNotAllowedError):
        ApiClient(ApiKey(ADMIN_CANARY, KeyKind.ADMIN), "https://claude-assets-proxy.invalid")
    settings = tmp_path / "organizations.yaml"
    settings.write_text(f"organizations:\n  acme:\n    data_dir: {tmp_path / 'acme'}\n"
                        "    base_url: https://claude-assets-proxy.invalid\n")
    monkeypatch.setenv("CLAUDE_ASSETS_ORGANIZATIONS", str(settings))
    with ApiClient(ApiKey(ADMIN_CANARY, KeyKind.ADMIN), "https://claude-assets-proxy.invalid",
                   requests_per_minute=None) as client, pytest.raises(TransportError, match="cannot be found"):
        client.get_json(CLAUDE_CODE, {"starting_at": DAY.isoformat()})


# -- secrets redacted at the source ---------------------------------------------------------------------------


def _resources(emu: Emulator, lake: Path) -> dict:
    """The keys of the emulator, one retry only, so a 500 fails within seconds."""
    api = dict(base_url=emu.url, requests_per_minute=6000, max_retries=1)
    return {"admin_api": AdminApiResource(api_key=ADMIN_CANARY, **api),
            "analytics_api": AnalyticsApiResource(api_key=ANALYTICS_CANARY, **api),
            "lake": LakeResource(base_dir=str(lake))}


@pytest.mark.subprocess
@pytest.mark.parametrize("status", [400, 401, 403, 500])
def test_a_key_echoed_in_an_error_body_reaches_no_output_log_lake_or_storage(status, emu, tmp_path, capfd):
    home, lake = tmp_path / "home", tmp_path / "lake"
    home.mkdir()
    emu.faults.echo_key_next(100, status=status)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        results = [dg.materialize(raw_assets, selection=[asset], partition_key=DAY.isoformat(), instance=instance,
                                  resources=_resources(emu, lake), raise_on_error=False)
                   for asset in ("claude_code_usage", "enterprise_summaries")]  # the Admin key, then the Analytics key
        events = [str(e) for result in results for e in instance.all_logs(result.run_id)]
    assert requests(emu) >= 2, "both APIs were asked and answered with the echo"
    # a 400 is taken for an unavailable day: the run succeeds and keeps the API's words in its metadata
    assert [result.success for result in results] == [status == 400] * 2
    out, err = capfd.readouterr()
    assert any("[the key]" in text for text in events), "the echoed body was quoted, with the key hidden"
    assert not leaks([out, err, *events], [home, lake])

    emu.faults.reset()
    control = httpx.post(f"{emu.url}/_emulator/faults", json={"echo_key_next": {"count": 100, "status": status}})
    assert control.status_code == 200
    checked = subprocess.run([str(BIN / "claude-assets"), "check"], cwd=REPO, capture_output=True, text=True,
                             timeout=120, env=_env(tmp_path, ANTHROPIC_BASE_URL=emu.url,
                                                   ANTHROPIC_ADMIN_API_KEY=ADMIN_CANARY,
                                                   ANTHROPIC_ANALYTICS_API_KEY=ANALYTICS_CANARY))
    assert checked.returncode == 1 and "[the key]" in checked.stdout
    assert not leaks([checked.stdout, checked.stderr])


@pytest.mark.subprocess
def test_credentials_in_the_base_url_are_never_shown(tmp_path, monkeypatch):
    base_url = f"http://user:secretpw@127.0.0.1:{closed_port()}"
    with ApiClient(ApiKey(ADMIN_CANARY, KeyKind.ADMIN), base_url, requests_per_minute=None) as client:
        assert "secretpw" not in repr(client) and "***@127.0.0.1" in repr(client)
        with pytest.raises(TransportError) as raised:
            client.get_json(CLAUDE_CODE, {"starting_at": DAY.isoformat()})
    assert "secretpw" not in str(raised.value) and "http://***@127.0.0.1" in str(raised.value)
    checked = subprocess.run([str(BIN / "claude-assets"), "check"], cwd=REPO, capture_output=True, text=True,
                             timeout=120, env=_env(tmp_path, ANTHROPIC_BASE_URL=base_url,
                                                   ANTHROPIC_ADMIN_API_KEY=ADMIN_CANARY))
    assert checked.returncode == 1 and "the connection was refused" in checked.stdout
    assert "secretpw" not in checked.stdout + checked.stderr


# -- GraphQL, as the Dagster UI's launchpad calls it -----------------------------------------------------------

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
RESOURCE = """
query Resource($name: String!) {
  topLevelResourceDetailsOrError(resourceSelector: {repositoryLocationName: "claude_assets",
                                                    repositoryName: "__repository__", resourceName: $name}) {
    ... on ResourceDetails { configuredValues { key value type } }
  }
}"""
STATUS = "query Status($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
EVENTS = """
query Events($id: ID!) {
  logsForRun(runId: $id) {
    ... on EventConnection { events {
      ... on MessageEvent { message }
      ... on ExecutionStepFailureEvent { error { message causes { message } } }
      ... on RunFailureEvent { pipelineFailureError: error { message causes { message } } }
    } }
  }
}"""


def _graphql(url: str, query: str, variables: dict) -> dict:
    response = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=60)
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def _launch_run(url: str, asset: str, day: dt.date, run_config: dict) -> str:
    params = {
        "selector": {"repositoryLocationName": "claude_assets", "repositoryName": "__repository__",
                     "jobName": "__ASSET_JOB", "assetSelection": [{"path": [asset]}]},
        "runConfigData": run_config,
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": day.isoformat()}]},
    }
    launched = _graphql(url, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def _wait_for_end(url: str, run_id: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = _graphql(url, STATUS, {"id": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            return status
        time.sleep(1)
    pytest.fail(f"run {run_id} did not end within {seconds:.0f} s (last status {status})")


def _run_messages(url: str, run_id: str) -> str:
    return json.dumps(_graphql(url, EVENTS, {"id": run_id})["logsForRun"])
