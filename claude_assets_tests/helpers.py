"""Small helpers the test stories share (no test module imports another): resources pointed at an emulator,
runs over days, a webhook, the README's blocks, the environment of a command a user runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange

from claude_assets.defs.alerts import Notifier
from claude_assets.defs.assets.raw import raw_assets
from claude_assets.defs.checks import claude_code_agrees_across_apis
from claude_assets.defs.resources import AdminApiResource, AnalyticsApiResource, LakeResource, TelemetryResource
from claude_assets.defs.sensors import watch_sensor
from claude_assets.emulator import Emulator, EmulatorConfig

TODAY = dt.datetime.now(dt.timezone.utc).date()
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)  # the frozen emulator's "now" (`start`)
REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the virtualenv's scripts: claude-assets, dg, dagster
README = (REPO / "README.md").read_text()
STORAGE = ["history/runs.db", "history/runs/index.db", "schedules/schedules.db"]  # Dagster's SQLite files


def resources(emu, lake_dir: str, admin_key: str | None = None, analytics_key: str | None = None) -> dict:
    return {
        "admin_api": AdminApiResource(
            api_key=emu.admin_key if admin_key is None else admin_key, base_url=emu.url, requests_per_minute=6000
        ),
        "analytics_api": AnalyticsApiResource(
            api_key=emu.analytics_key if analytics_key is None else analytics_key, base_url=emu.url,
            requests_per_minute=6000,
        ),
        "lake": LakeResource(base_dir=lake_dir),
    }


def materialize(emu, lake_dir: str, select, *, day=None, days=None, instance=None, run_config=None, **keys):
    """One real Dagster run of the selected raw assets over one day or a range of days."""
    tags = {}
    if days:
        tags = {"dagster/asset_partition_range_start": days[0].isoformat(),
                "dagster/asset_partition_range_end": days[-1].isoformat()}
    return dg.materialize(
        [*raw_assets, claude_code_agrees_across_apis],
        selection=select,
        partition_key=day.isoformat() if day else None,
        tags=tags,
        resources=resources(emu, lake_dir, **keys),
        instance=instance,
        run_config=run_config,
        raise_on_error=False,
    )


def materializations(result) -> dict[str, list]:
    found: dict[str, list] = {}
    for event in result.get_asset_materialization_events():
        found.setdefault(event.materialization.asset_key.to_user_string(), []).append(event.materialization)
    return found


def failure(result) -> str:
    """The message of a failed in-process run's failed step, as the run's page shows it."""
    return next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.to_string()


def start(**overrides) -> Emulator:
    """A started emulator whose clock stands at NOW and that never rate-limits, so its answers are fixed data."""
    settings = {"seed": 7, "users": 20, "now": NOW, "rate_limit_per_minute": 0, **overrides}
    return Emulator(EmulatorConfig(**settings)).start()


class Sleeps:
    """Stands in for time.sleep so retry tests check the delays asked for without waiting them."""

    def __init__(self):
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def closed_port() -> int:
    """A loopback port nothing listens on: bound once to get a free number, then let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(assets, lake_dir, days, telemetry_dir=None):
    """One successful in-process run of `assets` over `days` on the lake in `lake_dir` (telemetry files from
    `telemetry_dir`, else the same folder)."""
    result = dg.materialize(
        assets,
        tags={"dagster/asset_partition_range_start": str(days[0]), "dagster/asset_partition_range_end": str(days[-1])},
        resources={"lake": LakeResource(base_dir=str(lake_dir)),
                   "telemetry": TelemetryResource(base_dir=str(telemetry_dir or lake_dir))},
        raise_on_error=False,
    )
    assert result.success
    return result


class Webhook:
    """A loopback HTTP server that records every JSON body POSTed to it and answers `status`."""

    def __init__(self, status: int = 200):
        self.status, self.received = status, []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self) -> list[str]:
        return [body["text"] for body in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def tick(instance, notify: Notifier, cursor):
    """One evaluation of the watch sensor; returns the cursor it leaves for the next tick."""
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"notifier": notify})
    watch_sensor(context)
    return context.cursor


def freshness(instance, asset: str, previous: FreshnessState, new: FreshnessState):
    instance.report_runless_asset_event(FreshnessStateChange(
        key=dg.AssetKey(asset), previous_state=previous, new_state=new, state_change_timestamp=time.time()
    ))


def two_organizations(acme: Emulator, globex: Emulator, lakes) -> str:
    return f"""
organizations:
  acme:
    data_dir: {lakes / "acme"}
    base_url: {acme.url}
    analytics_requests_per_minute: 6000
    admin_requests_per_minute: 6000
  globex:
    admin_api_key_env: GLOBEX_ADMIN_KEY
    analytics_api_key_env: GLOBEX_ANALYTICS_KEY
    data_dir: {lakes / "globex"}
    base_url: {globex.url}
    analytics_requests_per_minute: 6000
    admin_requests_per_minute: 6000
"""


def block_after(marker: str) -> str:
    """The fenced code block that follows `<!-- marker -->` in the README."""
    found = re.search(rf"<!-- {marker} -->\n```\w+\n(.*?)```", README, re.S)
    assert found, f"the README has no <!-- {marker} --> block"
    return found.group(1)


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DAGSTER_HOME", "CLAUDE_ASSETS_"))}
    return {**env, "DAGSTER_HOME": str(tmp_path / "home"), "CLAUDE_ASSETS_DATA_DIR": str(tmp_path / "data"), **extra}


def run_benchmark(tmp_path: Path, script: str, *args: str) -> dict:
    """Run benchmarks/<script> with its temporary files in tmp_path; the JSON object of its last line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "DAGSTER_HOME", "CLAUDE_ASSETS_"))}
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), *args], cwd=tmp_path,
                          env={**env, "TMPDIR": str(tmp_path)}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(done.stdout.splitlines()[-1])
    assert isinstance(figures, dict), done.stdout[-3000:]
    return figures


def kill(pid: int, home: str) -> bool:
    """SIGKILL one of the run's processes if it is still running and still this instance's (not a reused pid)."""
    try:
        if f"DAGSTER_HOME={home}".encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
            os.kill(pid, signal.SIGKILL)
            return True
    except (FileNotFoundError, ProcessLookupError):
        pass
    return False
