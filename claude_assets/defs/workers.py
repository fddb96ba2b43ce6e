"""Where each run's process runs, so a run whose process is gone is found, failed, and its pool slots freed.

A run started from a shell (`claude-assets launch`, `dg launch`, `dagster asset materialize`, a cron job) runs
in that shell's process: no run launcher started it, so Dagster's run monitoring cannot check it, and killed
with -9 it stays STARTED holding its pools' one slot for good. The executor below (the multiprocess executor,
plus two run tags) records the host and pid of every run's process as the run starts; `dead_run_sensor`
(sensors.py), evaluated by the daemon, fails a STARTED run whose process is gone from the host it runs on and
frees its slots. A run on another host or container is never judged from here: `claude-assets status` lists it
once it has held a slot for longer than STUCK_AFTER, with `claude-assets free-run <run id>`.

The executor also runs a run that materializes one step's assets (a sync of one API's report, for a day or a
backfill's range, and the checks on it) in the run's own process: a step's child process re-imports Dagster
and the definitions, most of such a run's time, and the checks read what the step wrote, after it, so nothing
would run alongside. The run is its own process already (the shell's, or the daemon's run worker), the step
claims its pool's slot as in a child, and a failed step fails the run. A run of several such steps, which may
overlap, keeps one child per step, forked from a server that imported the definitions once
(`start_method: forkserver`, definitions.py).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path
from typing import Optional

import dagster as dg
from dagster._core.executor.base import Executor
from dagster._core.executor.in_process import InProcessExecutor
from dagster._core.storage.dagster_run import FINISHED_STATUSES, DagsterRunStatus, RunRecord, RunsFilter

HOST_TAG = "claude_assets/worker_host"
PID_TAG = "claude_assets/worker_pid"
STUCK_AFTER = dt.timedelta(hours=6)  # a run holding a pool slot this long is listed by `status`, whatever its host
ENDED_HOLDING = dt.timedelta(minutes=5)  # the daemon frees a finished run's slots within a minute
FREE_COMMAND = "claude-assets free-run"


def this_host() -> str:
    """The host name, and on Linux the pid namespace: two containers can share a name, never a namespace."""
    try:
        return f"{socket.gethostname()} {os.readlink('/proc/self/ns/pid')}"
    except OSError:
        return socket.gethostname()


class _Recorded(Executor):
    """The multiprocess executor, in process for a run that materializes one step's assets, which first tags the
    run with where its process runs."""

    def __init__(self, inner: Executor):
        self._inner = inner
        self._in_process = InProcessExecutor(inner.retries, inner.step_dependency_config)

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan):
        plan_context.instance.add_run_tags(plan_context.run_id, {HOST_TAG: this_host(), PID_TAG: str(os.getpid())})
        materializing = [key for key in execution_plan.step_keys_to_execute
                         if any(out.properties.asset_key for out in execution_plan.get_step_by_key(key).step_outputs)]
        inner = self._in_process if len(materializing) <= 1 else self._inner
        yield from inner.execute(plan_context, execution_plan)


@dg.executor(name="multiprocess", config_schema=dg.multiprocess_executor.config_schema,
             requirements=dg.multiprocess_executor.get_requirements)
def recorded_multiprocess_executor(init_context):
    """`dg.multiprocess_executor`, with the run's host and pid in its tags, and in process for a run that
    materializes one step's assets (this module's docstring says why)."""
    return _Recorded(dg.multiprocess_executor.executor_creation_fn(init_context))


def _started(pid: int) -> Optional[float]:
    """When process `pid` started (Unix time), where /proc says."""
    try:
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
    except (OSError, IndexError, ValueError, StopIteration):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def worker_alive(record: RunRecord) -> Optional[bool]:
    """Whether the run's process still runs; None when it ran on another host (or recorded nothing)."""
    tags = record.dagster_run.tags
    if tags.get(HOST_TAG) != this_host() or not tags.get(PID_TAG, "").isdigit():
        return None
    pid = int(tags[PID_TAG])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, as another user
    started = _started(pid)
    begun = record.start_time or record.create_timestamp.timestamp()
    return started is None or started <= begun + 5  # a later process with the same pid is not the run's


def gone_message(record: RunRecord) -> str:
    tags = record.dagster_run.tags
    return (f"claude_assets: this run's process (pid {tags[PID_TAG]} on {tags[HOST_TAG].split()[0]}) is gone "
            "without ending the run (killed, or its container stopped): marked failed and its pool slots freed. "
            "Materialize its days again.")


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail every STARTED run whose process is gone from this host, and free its pool slots at once."""
    failed = []
    for record in instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.STARTED])):
        if worker_alive(record) is not False:
            continue
        now = instance.get_run_record_by_id(record.dagster_run.run_id)
        if now is None or now.dagster_run.status != DagsterRunStatus.STARTED:
            continue  # it ended between the two reads: its process exited after recording the end
        instance.report_run_failed(now.dagster_run, gone_message(now))
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(now.dagster_run.run_id)
        failed.append(now.dagster_run.run_id)
    return failed


def stuck_runs(instance: dg.DagsterInstance, now: dt.datetime) -> list[dict]:
    """Runs that hold or may hold pool slots nothing will free: a run whose process is gone from this host, a
    finished run still holding slots (no daemon frees them), a run holding a slot for longer than STUCK_AFTER."""
    holding = (instance.event_log_storage.get_concurrency_run_ids()
               if instance.event_log_storage.supports_global_concurrency_limits else set())
    in_progress = instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING]))
    ids = {r.dagster_run.run_id for r in in_progress}
    records = list(in_progress) + (list(instance.get_run_records(RunsFilter(run_ids=sorted(holding - ids))))
                                   if holding - ids else [])
    found = []
    for record in records:
        run = record.dagster_run
        began = dt.datetime.fromtimestamp(record.start_time or record.create_timestamp.timestamp(), dt.timezone.utc)
        if run.status in FINISHED_STATUSES:
            ended = dt.datetime.fromtimestamp(record.end_time or began.timestamp(), dt.timezone.utc)
            why = f"{run.status.value.lower()} since {ended:%Y-%m-%d %H:%M} UTC, still holding pool slots"
            if now - ended < ENDED_HOLDING:
                continue
        elif worker_alive(record) is False:
            why = f"its process (pid {run.tags[PID_TAG]}) is gone, the run is still {run.status.value}"
        elif run.run_id in holding and now - began > STUCK_AFTER and worker_alive(record) is None:
            why = (f"holding a pool slot since {began:%Y-%m-%d %H:%M} UTC; free it only if its process is gone "
                   f"({run.tags.get(HOST_TAG, 'host not recorded').split()[0]})")
        else:
            continue
        found.append({"run": run.run_id, "job": run.job_name, "why": why})
    return found


class FreeRunError(Exception):
    pass


def free_run(instance: dg.DagsterInstance, run_id: str) -> str:
    """Fail `run_id` if it has not ended and free the pool slots it holds; refused while its process runs here."""
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        raise FreeRunError(f"No run {run_id} in the instance at DAGSTER_HOME; `claude-assets status` lists stuck runs.")
    run = record.dagster_run
    if worker_alive(record):
        raise FreeRunError(f"Run {run_id} is still running (pid {run.tags[PID_TAG]} on this host): stop it, "
                           "or terminate it from the UI, instead of freeing it.")
    said = []
    if run.status not in FINISHED_STATUSES:
        instance.report_run_failed(run, "claude_assets: marked failed by `claude-assets free-run`, which freed its "
                                        "pool slots. Materialize its days again.")
        said.append("marked failed")
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    said.append("freed its pool slots")
    return f"Run {run_id}: {' and '.join(said)}."
