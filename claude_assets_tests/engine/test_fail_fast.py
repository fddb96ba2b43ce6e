"""Misconfigurations fail at once and say where: a closed port or a host that does not resolve names
ANTHROPIC_BASE_URL within seconds, without a retry storm; a lake that cannot be written is found
before the API is asked, naming CLAUDE_ASSETS_DATA_DIR (or the organization's data_dir) and the path.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time

import dagster as dg
import pytest

from claude_assets.definitions import build_definitions
from claude_assets.defs.assets.raw import raw_assets
from claude_assets.defs.resources import AdminApiResource, AnalyticsApiResource, LakeResource
from claude_assets.engine.client import ApiClient, ApiKey, KeyKind, RequestStats, TransportError
from claude_assets.engine.organizations import parse
from claude_assets_tests.helpers import TODAY, Sleeps, closed_port, failure, materialize

CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
DAY = TODAY - dt.timedelta(days=5)  # inside every calendar


@pytest.mark.parametrize("base_url, says", [
    (f"http://127.0.0.1:{closed_port()}", "the connection was refused"),
    ("https://claude-assets-check.invalid", "cannot be found: DNS answered"),  # .invalid never resolves (RFC 2606)
], ids=["closed port", "unknown host"])
def test_an_unreachable_host_fails_after_one_attempt_naming_ANTHROPIC_BASE_URL(base_url, says, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", base_url)  # a host the deployment names, so a key may go there
    sleeps, stats = Sleeps(), RequestStats()
    client = ApiClient(ApiKey("sk-ant-admin01-anything", KeyKind.ADMIN), base_url, requests_per_minute=None,
                       sleep=sleeps)
    with client, pytest.raises(TransportError) as raised:
        client.get_json(CLAUDE_CODE, {"starting_at": DAY.isoformat()}, stats)
    assert stats.requests == 1 and stats.retries == 0 and sleeps.delays == [], "one connection attempt, no backoff"
    message = str(raised.value)
    host = base_url.split("//")[1]
    assert says in message and "ANTHROPIC_BASE_URL" in message and host in message
    assert "sk-ant-admin01-anything" not in message


def test_a_connection_dropped_mid_request_is_still_retried(emulator):
    emulator.faults.drop_next(2)
    with ApiClient(ApiKey(emulator.admin_key, KeyKind.ADMIN), emulator.url, requests_per_minute=None,
                   sleep=Sleeps()) as client:
        stats = RequestStats()
        client.get_json(CLAUDE_CODE, {"starting_at": DAY.isoformat()}, stats)
    assert stats.retries == 2, "only a refused connection or an unknown host is final"


def test_a_sync_pointed_at_a_closed_port_fails_within_seconds(tmp_path):
    port = closed_port()
    resources = {
        "admin_api": AdminApiResource(api_key="sk-ant-admin01-anything", base_url=f"http://127.0.0.1:{port}"),
        "analytics_api": AnalyticsApiResource(api_key="anything", base_url=f"http://127.0.0.1:{port}"),
        "lake": LakeResource(base_dir=str(tmp_path)),
    }
    started = time.monotonic()
    result = dg.materialize(raw_assets, selection=["claude_code_usage"], partition_key=DAY.isoformat(),
                            resources=resources, raise_on_error=False)
    elapsed = time.monotonic() - started
    assert not result.success
    assert elapsed < 15, f"took {elapsed:.0f} s: a closed port is not retried nine times with backoff"
    message = failure(result)
    assert f"127.0.0.1:{port}, the host and port of ANTHROPIC_BASE_URL" in message and "refused" in message


@pytest.fixture
def read_only(tmp_path):
    """A folder this process cannot write: its mode says so, and for root, whom modes do not stop, its
    immutable flag does (chattr +i)."""
    folder = tmp_path / "lake"
    folder.mkdir()
    folder.chmod(0o555)
    chattr = shutil.which("chattr")
    if _writable(folder) and chattr:
        subprocess.run([chattr, "+i", str(folder)], capture_output=True)
    try:
        if _writable(folder):
            pytest.skip("this user can write any folder here (root without chattr)")
        yield folder
    finally:
        if chattr:
            subprocess.run([chattr, "-i", str(folder)], capture_output=True)
        folder.chmod(0o755)


def _writable(folder) -> bool:
    try:
        (folder / "probe").touch()
        (folder / "probe").unlink()
        return True
    except OSError:
        return False


def test_a_read_only_lake_fails_before_the_api_is_asked_naming_CLAUDE_ASSETS_DATA_DIR(emulator, read_only):
    result = materialize(emulator, str(read_only), ["claude_code_usage"], day=DAY)
    assert not result.success
    message = failure(result)
    assert f"The lake at {read_only} cannot be written" in message and "CLAUDE_ASSETS_DATA_DIR" in message
    assert "nothing was fetched" in message
    assert emulator.stats.snapshot()["total"] == 0, "the API was not asked for what could not be kept"


def test_an_organizations_unwritable_lake_names_its_own_data_dir(emulator, read_only, monkeypatch):
    monkeypatch.setenv("ACME_ANTHROPIC_ADMIN_API_KEY", emulator.admin_key)
    orgs = parse(f"organizations:\n  acme:\n    data_dir: {read_only}\n    base_url: {emulator.url}\n")
    result = build_definitions(orgs).resolve_implicit_global_asset_job_def().execute_in_process(
        partition_key=DAY.isoformat(), asset_selection=[dg.AssetKey(["acme", "claude_code_usage"])],
        raise_on_error=False)
    assert not result.success
    message = failure(result)
    assert "Point the data_dir of organization acme (in the file CLAUDE_ASSETS_ORGANIZATIONS names)" in message
    assert str(read_only) in message and emulator.stats.snapshot()["total"] == 0
