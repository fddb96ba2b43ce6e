"""Open incidents where the UI shows them: a `no_open_incident` check on every asset.

The watch sensor decides when an incident opens and closes (sensors.py) and keeps that in its
cursor, which nobody should have to read. So whenever an asset's open incidents change, the sensor
also records a result of this asset's check: failed, with one metadata row per open incident (kind,
since, run, what to do), while any is open; passed when the last one closes. The asset's page, the
catalogue and the graph show it like any other check, and `claude-assets status` reads the same
results.

The results come from the sensor, so executing the check (in a run or from the UI) only repeats the
sensor's latest verdict. All the checks are one subsettable op, so a run that includes them costs
one step, not one per asset.
"""

import datetime as dt
from typing import Iterable, Optional

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluationTargetMaterializationData

INCIDENT_CHECK = "no_open_incident"
ADVICE = {
    "stale": "check that its schedule is on and its latest run succeeded, then materialize the missing days",
    "deadline": "check its schedule and latest run, then materialize the missing days",
    "failure": "open the run for the full error, fix the cause, then materialize the same days again",
}


def incident_checks(assets: Iterable[dg.AssetsDefinition]) -> dg.AssetChecksDefinition:
    """One `no_open_incident` check per partitioned asset, all in one op."""
    specs = [
        dg.AssetCheckSpec(
            INCIDENT_CHECK, asset=spec.key,
            description="Fails while the claude_assets_watch sensor has an incident open on this asset (a stale "
            "sync, a missed partition deadline, a failed run); the metadata says since when and what to do. "
            "The sensor records it; executing the check repeats the sensor's latest verdict.",
        )
        for assets_def in assets for spec in assets_def.specs if spec.partitions_def is not None
    ]

    @dg.multi_asset_check(specs=specs, name="open_incidents", can_subset=True)
    def _checks(context: dg.AssetCheckExecutionContext):
        keys = sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.to_user_string())
        last = recorded(context.instance, [k.asset_key for k in keys])
        for key in keys:
            yield verdict(key.asset_key, last.get(key.asset_key, ([], 0))[0], dg.AssetCheckResult)

    return _checks


def verdict(asset: dg.AssetKey, incidents: list[dict], cls=dg.AssetCheckEvaluation, **target):
    """The check's result for an asset with these open incidents (each: kind, since, run, what_to_do)."""
    return cls(
        asset_key=asset, check_name=INCIDENT_CHECK, passed=not incidents,
        description="; ".join(f"{i['kind']} since {i['since']}" for i in incidents) or "no open incident",
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"open_incidents": len(incidents), "incidents": dg.MetadataValue.json(incidents)},
        **target,
    )


def _about(materialization) -> dict:
    """A sensor's verdict names the materialization it is about. Without it the UI compares the verdict's
    row time, stored to the second, with the materialization's exact time, and hides a verdict recorded
    in the same second as the materialization before it."""
    if materialization is None:
        return {}
    return {"target_materialization_data": AssetCheckEvaluationTargetMaterializationData(
        storage_id=materialization.storage_id, run_id=materialization.run_id, timestamp=materialization.timestamp)}


def recorded(instance: dg.DagsterInstance, assets: list[dg.AssetKey]) -> dict[dg.AssetKey, tuple[list[dict], float]]:
    """Each asset's open incidents as last recorded, and when; an asset never recorded is absent.

    An execution still in progress (the check's own, in a run) has no result yet: the one before counts.
    """
    storage = instance.event_log_storage
    keys = [dg.AssetCheckKey(asset, INCIDENT_CHECK) for asset in assets]
    found = {}
    for key, latest in storage.get_latest_asset_check_execution_by_key(keys).items():
        for record in [latest] if _evaluation(latest) else storage.get_asset_check_execution_history(key, limit=5):
            evaluation = _evaluation(record)
            if evaluation is not None:
                found[key.asset_key] = (list(evaluation.metadata["incidents"].value), record.create_timestamp)
                break
    return found


def _evaluation(record) -> Optional[dg.AssetCheckEvaluation]:
    evaluation = record.event.dagster_event.event_specific_data if record.event else None
    return evaluation if isinstance(evaluation, dg.AssetCheckEvaluation) and "incidents" in evaluation.metadata else None


def record(instance: dg.DagsterInstance, before: dict[str, tuple[float, Optional[str]]],
           current: dict[str, tuple[float, Optional[str]]], ui_url: Optional[str]) -> None:
    """Records a result for every asset whose open incidents differ from its latest one.

    `before` and `current` map the sensor's open incidents (`stale:api_cost`) at the start and end
    of a tick to since when and their run; an asset that never had a materialization is known only
    by them.

    A failing result older than the asset's newest materialization is recorded again, since the
    UI shows a check's result only against the newest materialization.
    """
    wanted: dict[dg.AssetKey, list[dict]] = {}
    for incident, (since, run_id) in sorted(current.items(), key=lambda item: item[1][0]):
        kind, _, asset = incident.partition(":")
        wanted.setdefault(dg.AssetKey.from_user_string(asset), []).append(describe(kind, since, run_id, ui_url))
    closed = {dg.AssetKey.from_user_string(incident.partition(":")[2]) for incident in before}
    last = recorded(instance, list(set(wanted) | closed | set(instance.all_asset_keys())))
    newest = {r.asset_entry.asset_key: r.asset_entry.last_materialization_record
              for r in instance.get_asset_records(list(set(wanted) | set(last)))}
    for asset in sorted(set(wanted) | set(last), key=lambda a: a.to_user_string()):
        incidents, previous = wanted.get(asset, []), last.get(asset)
        materialized = newest.get(asset)
        outdated = bool(incidents and previous and materialized and materialized.timestamp > previous[1])
        if (previous[0] if previous else []) != incidents or outdated:
            instance.report_runless_asset_event(verdict(asset, incidents, **_about(materialized)))


def open_incidents(instance: dg.DagsterInstance, assets: list[dg.AssetKey]) -> list[dict]:
    """The open incidents of these assets, oldest first, as their checks last recorded them."""
    rows = [{"asset": asset.to_user_string(), **incident}
            for asset, (incidents, _) in recorded(instance, assets).items() for incident in incidents]
    return sorted(rows, key=lambda row: (row["since"], row["asset"]))


def describe(kind: str, since: float, run_id: Optional[str], ui_url: Optional[str]) -> dict:
    """One incident as the check's metadata and `status` show it."""
    when = dt.datetime.fromtimestamp(since, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    run = f"{ui_url.rstrip('/')}/runs/{run_id}" if run_id and ui_url else run_id
    return {"kind": kind, "since": when, "run": run, "what_to_do": ADVICE[kind]}
