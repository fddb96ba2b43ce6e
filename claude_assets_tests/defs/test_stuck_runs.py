"""No run wedges a deployment: a run started from a shell and killed with -9 gives its API's pool slot back,
`status` lists a stuck run with the command that frees it, and a reversed range is refused (issue 22)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from claude_assets.defs.workers import PID_TAG
from claude_assets.emulator import Emulator, EmulatorConfig
from claude_assets.ops.instance import configure
from claude_assets_tests.helpers import TODAY, kill
from claude_assets_tests.stack import BIN, REPO, dagster_stack

DAY = TODAY - dt.timedelta(days=5)  # inside the engagement calendar, whose newest day is today - 3
GONE = "this run's process"  # workers.gone_message


def launch(env: dict, asset: str) -> subprocess.Popen:
    """`claude-assets launch` from a shell, as an operator's cron job runs it."""
    return subprocess.Popen([str(BIN / "claude-assets"), "launch", "--assets", asset, "--partition", DAY.isoformat()],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run_of(home: str, asset: str):
    """The newest run record of the run that set out to materialize `asset` (None before it has a run)."""
    with DagsterInstance.from_config(home) as instance:
        for record in instance.get_run_records(RunsFilter(), limit=10):
            planned = instance.get_records_for_run(record.dagster_run.run_id,
                                                   of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED).records
            if any(r.event_log_entry.dagster_event.asset_key.to_user_string() == asset for r in planned):
                return record
    return None


def step_started(home: str, run_id: str) -> float | None:
    with DagsterInstance.from_config(home) as instance:
        starts = instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)
    return starts[0].timestamp if starts else None


def step_pid(home: str, run_id: str) -> int | None:
    with DagsterInstance.from_config(home) as instance:
        workers = instance.all_logs(run_id, of_type=DagsterEventType.STEP_WORKER_STARTED)
    return int(workers[0].dagster_event.event_specific_data.metadata["pid"].value) if workers else None


@pytest.mark.subprocess
@pytest.mark.slow
@pytest.mark.stack
def test_a_shell_run_killed_with_minus_9_gives_its_pool_slot_back_within_minutes(tmp_path):
    configure(tmp_path / "ui_home")  # deploy/dagster.yaml on SQLite: the run queue, one slot per API, run monitoring
    instance_yaml = (tmp_path / "ui_home" / "dagster.yaml").read_text()
    with Emulator(EmulatorConfig(seed=7, users=6, rate_limit_per_minute=0)) as emu, \
            dagster_stack(tmp_path, emu, webserver=False, instance_yaml=instance_yaml) as (_, env, _):
        home = env["DAGSTER_HOME"]
        run_id, first = killed_mid_sync(tmp_path, emu, env)
        killed_at = time.time()
        orphan = step_pid(home, run_id)
        try:
            second = launch(env, "enterprise_summaries")  # the same API, so the same one-slot pool
            output = second.communicate(timeout=300)[0]
            assert second.returncode == 0 and "'days_written': 1," in output, output[-3000:]
            after = run_of(home, "enterprise_summaries").dagster_run
            assert step_started(home, after.run_id) - killed_at < 180

            with DagsterInstance.from_config(home) as instance:
                killed = instance.get_run_by_id(run_id)
                failure = instance.all_logs(run_id, of_type=DagsterEventType.RUN_FAILURE)
            assert killed.status == DagsterRunStatus.FAILURE and killed.tags[PID_TAG] == str(first.pid)
            assert GONE in failure[0].message and f"pid {first.pid}" in failure[0].message
        finally:
            if orphan:
                kill(orphan, home)  # the step's own process outlives the run's


def killed_mid_sync(tmp_path, emu, env: dict) -> tuple[str, subprocess.Popen]:
    """A shell-started sync killed with -9 while its step waits on a slow answer, with no daemon to notice."""
    home = env["DAGSTER_HOME"]
    emu.faults.slow_next(1, 600)  # the first request answers in ten minutes: the run is mid-request when killed
    first = launch(env, "enterprise_user_activity")
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        record = run_of(home, "enterprise_user_activity")
        if record is not None and step_started(home, record.dagster_run.run_id) is not None:
            break
        time.sleep(1)
    else:
        first.kill()
        pytest.fail("the first sync's step did not start: " + first.communicate()[0][-3000:])
    time.sleep(5)  # its step's first request is sent at once and answered in ten minutes
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    return record.dagster_run.run_id, first


@pytest.mark.subprocess
@pytest.mark.slow
def test_status_lists_a_killed_run_and_free_run_gives_its_slot_back(tmp_path):
    home = tmp_path / "dagster_home"
    configure(home)  # deploy/dagster.yaml on SQLite: one slot per API's pool
    with Emulator(EmulatorConfig(seed=7, users=6, rate_limit_per_minute=0)) as emu:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_ASSETS_"))},
               "DAGSTER_HOME": str(home), "ANTHROPIC_BASE_URL": emu.url, "ANTHROPIC_ADMIN_API_KEY": emu.admin_key,
               "ANTHROPIC_ANALYTICS_API_KEY": emu.analytics_key, "CLAUDE_ASSETS_DATA_DIR": str(tmp_path / "lake")}
        run_id, first = killed_mid_sync(tmp_path, emu, env)
        orphan = step_pid(str(home), run_id)
        try:
            def claude_assets(*args):
                return subprocess.run([str(BIN / "claude-assets"), *args], cwd=REPO, env=env, capture_output=True,
                                      text=True, timeout=300)

            status = claude_assets("status")
            assert status.returncode == 1, status.stderr[-2000:]
            assert f"{run_id}  its process (pid {first.pid}) is gone" in status.stdout
            assert f"free it: claude-assets free-run {run_id}" in status.stdout

            freed = claude_assets("free-run", run_id)
            assert freed.returncode == 0 and freed.stdout.strip() == (
                f"Run {run_id}: marked failed and freed its pool slots."), freed.stdout + freed.stderr
            assert "Stuck runs" not in claude_assets("status").stdout

            second = claude_assets("launch", "--assets", "enterprise_summaries", "--partition", DAY.isoformat())
            assert second.returncode == 0 and "'days_written': 1," in second.stdout + second.stderr
            assert run_of(str(home), "enterprise_user_activity").dagster_run.status == DagsterRunStatus.FAILURE
        finally:
            if orphan:
                kill(orphan, str(home))


@pytest.mark.subprocess
def test_free_run_refuses_an_unknown_run(tmp_path):
    configure(tmp_path / "dagster_home")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    done = subprocess.run([str(BIN / "claude-assets"), "free-run", "0" * 8], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == ("claude-assets free-run: No run 00000000 in the instance at DAGSTER_HOME; "
                                   "`claude-assets status` lists stuck runs.")


@pytest.mark.subprocess
@pytest.mark.parametrize("verb", [
    ["launch", "--assets", "enterprise_summaries", "--partition-range", "2026-03-05...2026-03-01"],
    ["backfill", "--from", "2026-03-05", "--to", "2026-03-01"],
    ["rebuild", "--from", "2026-03-05", "--to", "2026-03-01"],
])
def test_a_reversed_range_is_refused_in_one_line(tmp_path, verb):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home"), "CLAUDE_ASSETS_DATA_DIR": str(tmp_path)}
    done = subprocess.run([str(BIN / "claude-assets"), *verb], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "2026-03-01" in done.stderr and "before" in done.stderr
    assert not (tmp_path / "dagster_home").exists()  # nothing ran
