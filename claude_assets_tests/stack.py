"""A Dagster deployment on loopback, as an operator runs one: dagster-daemon and dagster-webserver
started against workspace.yaml, with the environment pointing at an emulator."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from claude_assets.emulator import Emulator

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


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
