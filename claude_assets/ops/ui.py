"""`make ui`: the Dagster UI against the embedded emulator, for a newcomer to click through.

Starts the emulator (and writes its organization's telemetry), then `dagster dev` on the
workspace with the same environment variables a real deployment uses, and the run queue, pools and
run monitoring of deploy/dagster.yaml; Ctrl-C stops both.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from claude_assets.ops.demo import emulated_deployment
from claude_assets.ops.instance import configure
from claude_assets.ops.launch import command

REPO = Path(__file__).resolve().parents[2]


def run_ui(*, port: int, data_dir: str, dagster_home: str, users: int) -> int:
    configure(Path(dagster_home).resolve())
    with emulated_deployment(data_dir=data_dir, dagster_home=dagster_home, users=users, telemetry_days=30) as env:
        env = {**env, "CLAUDE_ASSETS_UI_URL": f"http://127.0.0.1:{port}"}
        print(f"Lake in {env['CLAUDE_ASSETS_DATA_DIR']}. Dagster UI: http://127.0.0.1:{port} "
              "(Ctrl-C stops it and the emulator)", flush=True)
        process = subprocess.Popen([command("dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
                                   cwd=REPO, env=env, start_new_session=True)
        stop = lambda *_: os.killpg(process.pid, signal.SIGINT)  # noqa: E731 - dagster dev shuts down cleanly on SIGINT
        signal.signal(signal.SIGTERM, stop)
        try:
            process.wait()
        except KeyboardInterrupt:
            stop()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    print("Stopped the Dagster UI and the emulator.", flush=True)
    return 0
