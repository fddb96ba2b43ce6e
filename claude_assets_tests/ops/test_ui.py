"""`make ui`: a newcomer gets the Dagster UI against the emulator, and Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from claude_assets_tests.stack import REPO, free_port

pytestmark = [pytest.mark.stack, pytest.mark.subprocess]  # `claude-assets ui`: the webserver, the daemon, the emulator


@pytest.mark.stack
@pytest.mark.subprocess
def test_the_ui_starts_against_the_emulator_and_ctrl_c_stops_it(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "claude-assets"), "ui", "--port", str(port), "--users", "10",
         "--data-dir", str(tmp_path / "data"), "--dagster-home", str(tmp_path / "home")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        # as from a terminal: a suite started in the background (`make test &`) would pass on SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline, assets = time.monotonic() + 180, None
    while time.monotonic() < deadline and assets is None:
        try:
            reply = httpx.post(f"http://127.0.0.1:{port}/graphql", timeout=5,
                               json={"query": "{ assetNodes { assetKey { path } } instance { poolConfig { defaultPoolLimit } } }"}).json()
            assets = {node["assetKey"]["path"][0] for node in reply["data"]["assetNodes"]}
            pool_limit = reply["data"]["instance"]["poolConfig"]["defaultPoolLimit"]
        except (httpx.TransportError, KeyError, TypeError, ValueError):
            time.sleep(1)
    try:
        assert assets and {"claude_code_usage", "claude_code_user_daily", "org_daily_overview"} <= assets
        assert pool_limit == 1, "runs launched from the UI share each API's budget, as in deploy/dagster.yaml"
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        output = process.communicate(timeout=90)[0]
    assert process.returncode == 0, output[-2000:]
    assert f"http://127.0.0.1:{port}" in output and "Stopped the Dagster UI and the emulator." in output
    emulator_url = next(line.split(" at ")[1].split(",")[0] for line in output.splitlines()
                        if line.startswith("Emulator for a synthetic organization"))
    try:
        httpx.get(f"{emulator_url}/_emulator/stats", timeout=2)
        raise AssertionError("the emulator is still answering")
    except httpx.TransportError:
        pass
