"""A Dagster deployment on loopback, as an operator runs one: dagster-daemon and dagster-webserver
started against workspace.yaml, with the environment pointing at an emulator."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import socket
import subprocess
import time
from pathlib import Path
from unittest import mock

import httpx
import pytest

from claude_assets import sources
from claude_assets.emulator import Emulator
from claude_assets.ops.backfill import Chunk
from claude_assets.ops.instance import prepare
from claude_assets_tests.helpers import BIN, REPO, TODAY

ARTIFACTS = REPO / "test-artifacts" / "ui"  # the browser stories' screenshots
# The month the shared UI deployment backfills: 30 days ending at D-3, the newest day engagement data exists,
# so every calendar holds all of them.
LAST = TODAY - dt.timedelta(days=3)
MONTH = [LAST - dt.timedelta(days=n) for n in range(29, -1, -1)]
# a day of enterprise_summaries the shared deployment's lake got long ago, which the API no longer serves
FETCHED_LONG_AGO = TODAY - dt.timedelta(days=sources.ENGAGEMENT.calendar.window_days + 20)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dagster_stack(tmp_path: Path, emu: Emulator, extra_env: dict | None = None, webserver: bool = True,
                  instance_yaml: str | None = None):
    """A daemon (and webserver) against workspace.yaml and `emu`; `instance_yaml` becomes DAGSTER_HOME's dagster.yaml."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    if instance_yaml is not None:
        (home / "dagster.yaml").write_text(instance_yaml)
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "ANTHROPIC_BASE_URL": emu.url,
        "ANTHROPIC_ADMIN_API_KEY": emu.admin_key,
        "ANTHROPIC_ANALYTICS_API_KEY": emu.analytics_key,
        "CLAUDE_ASSETS_DATA_DIR": str(tmp_path / "lake"),
        "CLAUDE_ASSETS_TELEMETRY_DIR": str(tmp_path / "telemetry"),
        **(extra_env or {}),
    }
    # the storage first, as the README's `python -m claude_assets.instance` does: a daemon and a webserver creating
    # a new instance's storage at once can leave it unusable ("alembic_version has more than one head")
    with mock.patch.dict(os.environ, env):
        prepare(home)
    logs = open(tmp_path / "dagster.log", "w")
    commands = [[str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"]]
    if webserver:
        commands.append([str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)])
    processes = [subprocess.Popen(c, cwd=REPO, env=env, stdout=logs, stderr=subprocess.STDOUT) for c in commands]
    url = f"http://127.0.0.1:{port}"
    try:
        if webserver:
            wait_for(lambda: _answers(f"{url}/server_info"), 120, "the webserver did not start", tmp_path)
            wait_for(lambda: _location_loaded(url), 120, "the code location did not load", tmp_path)
        yield url, env, tmp_path / "lake"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
        logs.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


LOCATIONS = "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } assetNodes { id } }"


def _location_loaded(url: str) -> bool:
    """The webserver has loaded workspace.yaml's code location and serves its assets (it answers before that,
    with no location entry at all: a check of "every entry loaded" alone passes on none)."""
    data = httpx.post(f"{url}/graphql", json={"query": LOCATIONS}, timeout=10).json()["data"]
    entries = data["workspaceOrError"]["locationEntries"]
    return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries) and bool(data["assetNodes"])


def wait_for(condition, seconds: float, failure: str, tmp_path: Path):
    """Poll `condition` every second; fail with `failure` and the end of the Dagster log when time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(1)
    pytest.fail(f"{failure}; last log lines:\n" + (tmp_path / "dagster.log").read_text()[-3000:])


@dataclasses.dataclass
class Deployment:
    """The shared read-only UI deployment (conftest's `ui_deployment`): its webserver, lake, log and emulator, and
    the month's backfill it ran (`month_chunk` as planned from the catalogue, `month_backfill` its id)."""
    url: str
    lake_dir: Path
    log: Path
    emu: Emulator
    month_chunk: Chunk | None = None
    month_backfill: str = ""
    answers: list[str] = dataclasses.field(default_factory=list)

    def ask(self, query: str, **variables) -> dict:
        """One GraphQL request; every answer is kept, to look for leaked keys in it."""
        reply = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=120)
        self.answers.append(reply.text)
        body = reply.json()
        assert reply.status_code == 200 and not body.get("errors"), reply.text[:2000]
        return body["data"]
