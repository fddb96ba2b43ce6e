"""What a user waits for one run: `dg launch` of one asset for one day, and a daemon-launched 30-day backfill.

(a) `dg launch -m claude_assets.definitions --assets claude_code_usage --partition DAY` as the README runs it,
    on an instance set up like `python -m claude_assets.instance` (the project's dagster.yaml: run queue, pools,
    run monitoring) against an emulator, each time on a new lake: the command's wall time.
(b) a dagster-daemon and webserver against workspace.yaml; a backfill of `--days` days of claude_code_usage
    submitted through the webserver's GraphQL API (as `claude-assets backfill` does, on a new lake each time):
    the wall time from the submission until every run of the backfill has finished (the runs' end time, so the
    polling interval is not counted), and the runs' own time (their start to their end, without the daemon's
    queue and backfill ticks).

The client's rate pacing is off (the emulator's limit too), so the figures are start-up and work, not waiting.

    python benchmarks/launch_speed.py [--repeat 3] [--days 30] [--skip-backfill]

Each figure is the median of `--repeat` times. The last line is one JSON object: repeat, launch_s (median),
launch_all_s, launch_cpu_s (median CPU seconds of the command and its children), and unless skipped backfill_days, backfill_s (median), backfill_all_s, backfill_runs,
backfill_run_s (median of the runs' own time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.ops.backfill import Chunk, Webserver
from claude_assets.ops.instance import configure, prepare

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSET = "claude_code_usage"
LAST_DAY = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=5)  # in every calendar, the engagement one too
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
RUNS = """
query Runs($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { runId status startTime endTime } }
  }
}"""
LOADED = "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } assetNodes { id } }"


def environment(emu: Emulator, folder: Path) -> dict:
    """The variables a user exports (README), for an instance and a lake in `folder`; no pacing."""
    home = folder / "dagster_home"
    configure(home)
    prepare(home)
    return {**{k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_ASSETS_"))},
            "DAGSTER_HOME": str(home), "ANTHROPIC_BASE_URL": emu.url, "ANTHROPIC_ADMIN_API_KEY": emu.admin_key,
            "ANTHROPIC_ANALYTICS_API_KEY": emu.analytics_key, "CLAUDE_ASSETS_DATA_DIR": str(folder / "lake"),
            "CLAUDE_ASSETS_TELEMETRY_DIR": str(folder / "telemetry"),
            "CLAUDE_ASSETS_ADMIN_REQUESTS_PER_MINUTE": "0", "CLAUDE_ASSETS_ANALYTICS_REQUESTS_PER_MINUTE": "0"}


def launch_once(env: dict) -> tuple[float, float]:
    """The command's wall seconds, and the CPU seconds of it and its children (what other work on a busy
    machine cannot inflate)."""
    shutil.rmtree(env["CLAUDE_ASSETS_DATA_DIR"], ignore_errors=True)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run([str(BIN / "dg"), "launch", "-m", "claude_assets.definitions", "--assets", ASSET,
                           "--partition", LAST_DAY.isoformat()], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    seconds = time.monotonic() - started
    if done.returncode:
        raise RuntimeError(f"dg launch failed:\n{(done.stdout + done.stderr)[-5000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime


def wait(condition, seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}; last log lines:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


def loaded(url: str) -> bool:
    try:
        data = httpx.post(f"{url}/graphql", json={"query": LOADED}, timeout=10).json()["data"]
    except (httpx.TransportError, ValueError, KeyError):
        return False
    entries = data["workspaceOrError"]["locationEntries"]
    return bool(entries) and all(e["loadStatus"] == "LOADED" for e in entries) and bool(data["assetNodes"])


def backfill_once(server: Webserver, env: dict, days: int, log: Path) -> tuple[float, list[float]]:
    """Seconds from submission until the backfill's last run ended, and each run's own seconds."""
    shutil.rmtree(env["CLAUDE_ASSETS_DATA_DIR"], ignore_errors=True)
    first = LAST_DAY - dt.timedelta(days=days - 1)
    submitted = time.time()
    backfill_id = server.launch(Chunk(first, LAST_DAY, {ASSET: (first, LAST_DAY)}), f"launch_speed {submitted}")
    wait(lambda: server.status(backfill_id) in {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED",
                                                "CANCELED"}, 900, "the backfill did not finish", log)
    status = server.status(backfill_id)
    runs = server._call(RUNS, {"id": backfill_id})["runsOrError"]["results"]
    if status not in {"COMPLETED", "COMPLETED_SUCCESS"} or not runs or any(r["status"] != "SUCCESS" for r in runs):
        raise RuntimeError(f"backfill {backfill_id} {status}: {runs}; last log lines:\n{log.read_text()[-3000:]}")
    return max(r["endTime"] for r in runs) - submitted, [r["endTime"] - r["startTime"] for r in runs]


def backfills(env: dict, folder: Path, repeat: int, days: int) -> dict:
    port = free_port()
    log_path = folder / "dagster.log"
    with open(log_path, "w") as log:
        commands = [[str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                    [str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]]
        processes = [subprocess.Popen(c, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT) for c in commands]
        try:
            url = f"http://127.0.0.1:{port}"
            wait(lambda: loaded(url), 180, "the webserver did not load the code location", log_path)
            server = Webserver(url)
            walls, run_times = [], []
            for number in range(repeat):
                wall, own = backfill_once(server, env, days, log_path)
                walls.append(wall)
                run_times.extend(own)
                print(f"(b) backfill {number + 1}: {days} days of {ASSET} in {len(own)} run(s), all finished "
                      f"{wall:.1f}s after submission (runs' own time {', '.join(f'{s:.1f}s' for s in own)})",
                      flush=True)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)
    return {"backfill_days": days, "backfill_s": round(statistics.median(walls), 1),
            "backfill_all_s": [round(s, 1) for s in walls], "backfill_runs": len(run_times) // repeat,
            "backfill_run_s": round(statistics.median(run_times), 1)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--days", type=int, default=30, help="days in each backfill (b)")
    parser.add_argument("--skip-backfill", action="store_true", help="only (a)")
    args = parser.parse_args()
    with Emulator(EmulatorConfig(seed=7, users=20, rate_limit_per_minute=0)) as emu, \
            tempfile.TemporaryDirectory(prefix="launch_speed_") as scratch:
        env = environment(emu, Path(scratch))
        launches, cpus = [], []
        for number in range(args.repeat):
            wall, cpu = launch_once(env)
            launches.append(wall)
            cpus.append(cpu)
            print(f"(a) dg launch {number + 1}: {ASSET} for {LAST_DAY} in {wall:.1f}s ({cpu:.1f}s of CPU)", flush=True)
        figures = {"repeat": args.repeat, "launch_s": round(statistics.median(launches), 1),
                   "launch_all_s": [round(s, 1) for s in launches], "launch_cpu_s": round(statistics.median(cpus), 1)}
        if not args.skip_backfill:
            figures |= backfills(env, Path(scratch), args.repeat, args.days)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
