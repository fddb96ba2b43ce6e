"""Sensors that tell people when the lake needs them: failed syncs, rejected keys, stale assets, late days.

Open-source Dagster evaluates freshness policies but sends no alert, so `watch_sensor` reads the
event log after its cursor and turns state changes into one alert per incident and one "recovered"
message when it clears. Its JSON cursor holds the open incidents and the webhook posts still to
retry, so neither is lost or repeated across ticks; each asset's open incidents are also recorded as
its `no_open_incident` check result (incidents.py), which the UI and `status` show. A run-failure
sensor cannot keep a cursor of its own, so it marks a run whose alert did not reach the webhook
with a run tag that the watch sensor retries.
"""

from __future__ import annotations

import json
from typing import Iterator, Optional

import dagster as dg
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.events import DagsterEventType
from dagster._utils.error import SerializableErrorInfo

from claude_assets.defs import incidents, workers
from claude_assets.defs.alerts import Alert, Notifier

ALERT_TAG = "claude_assets/alert"  # on a failed run: "delivered" or "undelivered" (retried by watch_sensor)
DEADLINE_CHECK = "partition_lag"
PAGE = 500
MAX_OUTBOX = 200  # a webhook down for days keeps the newest messages, not an ever-growing cursor
RERUN_HINT = (
    "What to do: open the run for the full error, fix the cause, then materialize the same days again; "
    "days already written are kept and not fetched again."
)


def run_assets(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The assets a run set out to materialize, from its planned materializations (selection can be empty)."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED).records
    return sorted({r.event_log_entry.dagster_event.asset_key.to_user_string() for r in records})


def _run_days(tags: dict) -> str:
    start, end = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
    if start and end:
        return start if start == end else f"{start}...{end}"
    return tags.get("dagster/partition", "no partition")


def _root_error(instance: dg.DagsterInstance, run_id: str) -> Optional[SerializableErrorInfo]:
    """The first step's error, or the first of its causes that is one of ours (a Dagster wrapper says little)."""
    failures = instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    if not failures:
        return None
    error = failures[0].dagster_event.step_failure_data.error
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause
    return next((e for e in chain if e.message.startswith("claude_assets.")), chain[0])


def _first_line(error: SerializableErrorInfo) -> str:
    line = error.message.splitlines()[0] if error.message else error.cls_name
    qualified, _, rest = line.partition(": ")
    return f"{error.cls_name}: {rest}" if rest and qualified.endswith(error.cls_name) else line


def failure_alert(instance: dg.DagsterInstance, run: dg.DagsterRun) -> Optional[Alert]:
    """One alert for a failed run: which assets and days, the error's first line, and what to do."""
    assets = run_assets(instance, run.run_id)
    if not assets:
        return None
    error = _root_error(instance, run.run_id)
    first = _first_line(error) if error else f"the run failed ({run.tags.get('dagster/failure_reason', 'no step error')})"
    head = f"claude_assets sync failed: {', '.join(assets)} for {_run_days(run.tags)} (run {run.run_id[:8]}).\n{first}"
    if error and "rejected the key" in error.message:
        checks = "\n".join(error.message.splitlines()[1:])
        return Alert("key_rejected", f"run:{run.run_id}", f"{head}\n{checks}", run.run_id)
    return Alert("failure", f"run:{run.run_id}", f"{head}\n{RERUN_HINT}", run.run_id)


@dg.run_failure_sensor(
    name="claude_assets_failure_alerts",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="One alert per failed run of our assets: assets, days, the error and what to do.",
)
def failure_alert_sensor(context: dg.RunFailureSensorContext, notifier: Notifier):
    alert = failure_alert(context.instance, context.dagster_run)
    if alert is not None:
        delivered = notifier.send(alert, context.log)
        context.instance.add_run_tags(context.dagster_run.run_id, {ALERT_TAG: "delivered" if delivered else "undelivered"})


class _State:
    """The watch sensor's cursor: where it stopped reading, open incidents, posts to retry.

    `open` holds each incident's latest cause (a failure closes at a materialization after it);
    `opened` and `runs` say since when it is open and which run to look at, for the UI.
    """

    def __init__(self, cursor: Optional[str]):
        data = json.loads(cursor) if cursor else {}
        self.freshness: Optional[int] = data.get("freshness")
        self.failures: Optional[str] = data.get("failures")
        self.open: dict[str, float] = data.get("open", {})
        self.opened: dict[str, float] = data.get("opened", {})
        self.runs: dict[str, str] = data.get("runs", {})
        self.outbox: list[Alert] = [Alert.from_json(a) for a in data.get("outbox", [])]

    def dump(self) -> str:
        return json.dumps({
            "freshness": self.freshness, "failures": self.failures, "open": self.open,
            "opened": self.opened, "runs": self.runs,
            "outbox": [a.to_json() for a in self.outbox[-MAX_OUTBOX:]],
        })

    def opens(self, incident: str, since: float, run_id: Optional[str] = None) -> bool:
        """Open an incident; True only the first time, so it is alerted once."""
        new = incident not in self.open
        self.open[incident] = max(since, self.open.get(incident, since))
        self.opened.setdefault(incident, since)
        if run_id and self.open[incident] == since:
            self.runs[incident] = run_id
        return new

    def closes(self, incident: str) -> bool:
        self.opened.pop(incident, None)
        self.runs.pop(incident, None)
        return self.open.pop(incident, None) is not None

    def shown(self) -> dict[str, tuple[float, Optional[str]]]:
        """Each open incident: since when, and its run if it has one."""
        return {i: (self.opened.get(i, last), self.runs.get(i)) for i, last in self.open.items()}


def _events(instance: dg.DagsterInstance, event_type: DagsterEventType, after: Optional[int]):
    return instance.event_log_storage.get_event_records(
        dg.EventRecordsFilter(event_type=event_type, after_cursor=after), limit=PAGE, ascending=True
    )


def _freshness_alerts(instance: dg.DagsterInstance, state: _State) -> Iterator[Alert]:
    for record in _events(instance, DagsterEventType.FRESHNESS_STATE_CHANGE, state.freshness):
        state.freshness = record.storage_id
        change = record.event_log_entry.dagster_event.event_specific_data
        asset, incident = change.key.to_user_string(), f"stale:{change.key.to_user_string()}"
        if change.new_state in (FreshnessState.WARN, FreshnessState.FAIL) and state.opens(incident, record.timestamp):
            yield Alert("stale", incident, (
                f"{asset} is stale ({change.new_state.value}): its newest materialization is older than its "
                "freshness policy allows.\nWhat to do: check that its schedule is on and its latest run succeeded, "
                "then materialize the missing days."
            ))
        elif change.new_state == FreshnessState.PASS and state.closes(incident):
            yield Alert("recovered", incident, f"{asset} is fresh again (freshness PASS).")


def _deadline_alerts(instance: dg.DagsterInstance, state: _State) -> Iterator[Alert]:
    """Follows each asset's latest `partition_lag` result: a failure opens the incident, a pass closes it.

    Read as latest results, not as events after a cursor: the default SQLite storage keeps check
    evaluations in per-run shards, which no single storage id can page through.
    """
    keys = [dg.AssetCheckKey(key, DEADLINE_CHECK) for key in instance.all_asset_keys()]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    for check_key, record in latest.items():
        evaluation = record.event.dagster_event.event_specific_data if record.event else None
        if not isinstance(evaluation, dg.AssetCheckEvaluation):
            continue
        asset = check_key.asset_key.to_user_string()
        incident = f"deadline:{asset}"
        if not evaluation.passed and state.opens(incident, record.create_timestamp, record.run_id or None):
            missing = evaluation.metadata.get("missing_days")
            days = f": missing {missing.value}" if missing is not None else ""
            yield Alert("deadline", incident, (
                f"{asset} missed its partition deadline{days}.\nWhat to do: check its schedule and latest run, "
                "then materialize the missing days."
            ), record.run_id or None)
        elif evaluation.passed and state.closes(incident):
            yield Alert("recovered", incident, f"{asset} caught up: {DEADLINE_CHECK} passes again.")


def _failure_recoveries(instance: dg.DagsterInstance, state: _State) -> Iterator[Alert]:
    """Opens an incident per asset of each failed run; it clears at the asset's next materialization."""
    result = instance.fetch_run_status_changes(DagsterEventType.RUN_FAILURE, limit=PAGE, cursor=state.failures,
                                               ascending=True)
    state.failures = result.cursor
    for record in result.records:
        for asset in run_assets(instance, record.run_id):
            state.opens(f"failure:{asset}", record.timestamp, record.run_id)
    for incident, since in list(state.open.items()):
        if not incident.startswith("failure:"):
            continue
        asset = incident.removeprefix("failure:")
        latest = instance.fetch_materializations(dg.AssetKey.from_user_string(asset), limit=1).records
        if latest and latest[0].timestamp > since and state.closes(incident):
            yield Alert("recovered", incident, f"{asset} recovered: materialized again after the failed run.",
                        latest[0].run_id)


def _retry_failed_runs(instance: dg.DagsterInstance, notifier: Notifier) -> None:
    for run in instance.get_runs(dg.RunsFilter(tags={ALERT_TAG: "undelivered"}), limit=20):
        alert = failure_alert(instance, run)
        if alert is None or notifier.post(alert):
            instance.add_run_tags(run.run_id, {ALERT_TAG: "delivered"})


@dg.sensor(
    name="claude_assets_watch",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Stale assets, missed partition deadlines and recoveries; retries webhook posts that failed.",
)
def watch_sensor(context: dg.SensorEvaluationContext, notifier: Notifier):
    state = _State(context.cursor)
    before = state.shown()
    alerts = [*_freshness_alerts(context.instance, state), *_deadline_alerts(context.instance, state),
              *_failure_recoveries(context.instance, state)]
    incidents.record(context.instance, before, state.shown(), notifier.ui_url)  # first: a tick that fails here posts nothing
    state.outbox = [alert for alert in state.outbox if not notifier.post(alert)]
    for alert in alerts:
        if not notifier.send(alert, context.log):
            state.outbox.append(alert)
    _retry_failed_runs(context.instance, notifier)
    context.update_cursor(state.dump())
    return dg.SkipReason(f"alerts only; this sensor launches no runs. Open incidents: {len(state.open)} "
                         f"(each asset's {incidents.INCIDENT_CHECK} check, or claude-assets status)")


@dg.sensor(
    name="claude_assets_dead_runs",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Fails a run whose process is gone (kill -9, a stopped container) and frees its pool slots.",
)
def dead_run_sensor(context: dg.SensorEvaluationContext):
    """Run monitoring checks only the runs a run launcher started; this also checks runs started from a shell,
    whose process the executor recorded (defs/workers.py), so a killed one gives its API's pool slot back."""
    failed = workers.fail_dead_runs(context.instance)
    for run_id in failed:
        context.log.warning(f"run {run_id}: its process is gone; marked failed and its pool slots freed")
    return dg.SkipReason(f"launches no runs; failed {len(failed)} run(s) whose process is gone")


sensors = [failure_alert_sensor, watch_sensor, dead_run_sensor]
