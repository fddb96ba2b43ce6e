"""`make ui`: the Dagster UI against the embedded emulator, for a newcomer to click through.

Starts the emulator (and writes its organization's telemetry), then `dagster dev` on the
workspace with the same environment variables a real deployment uses; Ctrl-C stops both.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from claude_assets import calendars
from claude_assets.demo import DEMO_RATE_LIMIT
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.emulator.telemetry import write_telemetry

REPO = Path(__file__).resolve().parents[1]


def run_ui(*, port: int, data_dir: str, dagster_home: str, users: int) -> int:
    data, home = Path(data_dir).resolve(), Path(dagster_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    telemetry = data.parent / "telemetry" / "emulator"
    shutil.rmtree(telemetry, ignore_errors=True)
    dagster = shutil.which("dagster", path=os.path.dirname(sys.executable)) or "dagster"
    with Emulator(EmulatorConfig(users=users, rate_limit_per_minute=DEMO_RATE_LIMIT)) as emu:
        newest = dt.date.fromisoformat(calendars.TELEMETRY.partitions_def().get_last_partition_key())
        write_telemetry(emu.org, telemetry, newest - dt.timedelta(days=30), newest)
        env = {
            **os.environ,
            "ANTHROPIC_BASE_URL": emu.url,
            "ANTHROPIC_ADMIN_API_KEY": emu.admin_key,
            "ANTHROPIC_ANALYTICS_API_KEY": emu.analytics_key,
            "CLAUDE_ASSETS_DATA_DIR": str(data),
            "CLAUDE_ASSETS_TELEMETRY_DIR": str(telemetry),
            "CLAUDE_ASSETS_UI_URL": f"http://127.0.0.1:{port}",
            "CLAUDE_ASSETS_ADMIN_REQUESTS_PER_MINUTE": str(DEMO_RATE_LIMIT),
            "CLAUDE_ASSETS_ANALYTICS_REQUESTS_PER_MINUTE": str(DEMO_RATE_LIMIT),
            "DAGSTER_HOME": str(home),
        }
        print(f"Emulator of a {users}-user organization at {emu.url}; lake in {data}", flush=True)
        print(f"Dagster UI: http://127.0.0.1:{port}   (Ctrl-C stops it and the emulator)", flush=True)
        process = subprocess.Popen([dagster, "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
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
