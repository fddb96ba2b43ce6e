"""Claude Code's OpenTelemetry output as two assets: `claude_code_telemetry` (the metrics, per UTC day,
person, model and terminal) and `claude_code_events` (one row per event).

Telemetry is near real time but only exists from the day a client turned it on; the joined
history downstream uses it where it exists and the analytics APIs before. A run reads each
exporter file once for all its days (a year-long backfill is one pass), skipping files last
written before the range (minus a lookback, for cumulative series that began earlier), and writes
the days one by one. Each day keeps the lines it was read from (and, for the metrics, where its
cumulative series stood) in the lake's `_raw/`, so reading it again never reads less.
"""

import datetime as dt
from typing import Callable, Iterator

import dagster as dg

from claude_assets.defs.assets.daily import record_size, write_day
from claude_assets.defs.assets.raw import column_schema
from claude_assets.defs.checks import table_check_results, table_check_specs
from claude_assets.engine import calendars
from claude_assets.engine.lake import Lake
from claude_assets.engine.organizations import DEFAULT, Organization
from claude_assets.engine.tables import Table, day_findings
from claude_assets.engine.telemetry.events import EventsReport, events_by_day
from claude_assets.engine.telemetry.files import open_telemetry_dir, telemetry_files
from claude_assets.engine.telemetry.metrics import ReadReport, metrics_by_day
from claude_assets.sources.telemetry import EVENTS_TABLE, SOURCE, TELEMETRY_TABLE

LOOKBACK_DAYS = 2


def _telemetry_asset(table: Table, read: Callable, org: Organization) -> dg.AssetsDefinition:
    """A telemetry asset of `org`, reading its own exporter folder with `read(context, days, base_dir, lake, org)`."""
    key, lake_resource, telemetry_resource = org.key(table.asset), org.resource("lake"), org.resource("telemetry")

    @dg.multi_asset(
        name=org.op_name(table.asset),
        specs=[
            dg.AssetSpec(
                key,
                group_name=SOURCE.group,
                description=table.description + "\n\nSource: OTLP/JSON lines files in CLAUDE_ASSETS_TELEMETRY_DIR.",
                kinds={"parquet", "opentelemetry"},
                partitions_def=SOURCE.calendar.partitions_def(),
                skippable=True,
                metadata={"dagster/column_schema": column_schema(table), "natural_key": ", ".join(table.natural_key),
                          calendars.METADATA_KEY: SOURCE.calendar.name},
            )
        ],
        check_specs=table_check_specs(table, org),
        partitions_def=SOURCE.calendar.partitions_def(),
        backfill_policy=dg.BackfillPolicy.single_run(),
        required_resource_keys={telemetry_resource, lake_resource},
    )
    def _asset(context: dg.AssetExecutionContext) -> Iterator:
        base_dir = getattr(context.resources, telemetry_resource).base_dir
        lake = getattr(context.resources, lake_resource).get_lake()
        yield from read(context, [dt.date.fromisoformat(k) for k in context.partition_keys], base_dir, lake, org)

    return _asset


def build_telemetry_asset(org: Organization = DEFAULT) -> dg.AssetsDefinition:
    return _telemetry_asset(TELEMETRY_TABLE, read_into_lake, org)


def build_events_asset(org: Organization = DEFAULT) -> dg.AssetsDefinition:
    return _telemetry_asset(EVENTS_TABLE, read_events_into_lake, org)


def _files(context, days: list[dt.date], base_dir: str):
    """(filesystem, the exporter files that can hold `days`), warning where to point if there are none."""
    fs, root = open_telemetry_dir(base_dir)
    since = dt.datetime.combine(days[0], dt.time(), tzinfo=dt.timezone.utc) - dt.timedelta(days=LOOKBACK_DAYS)
    paths = telemetry_files(fs, root, since) if fs.exists(root) else []
    if not paths:
        context.log.warning(
            f"No telemetry files under {base_dir} written since {since:%Y-%m-%d}: the days hold only what "
            "earlier runs read and kept in the lake (nothing, for a day never read). Point "
            "CLAUDE_ASSETS_TELEMETRY_DIR at the folder your OpenTelemetry Collector's file exporter writes (its "
            "`path`), with CLAUDE_CODE_ENABLE_TELEMETRY=1 on the clients."
        )
    return fs, paths


def _people(rows: list[dict]) -> int:
    return len({r["identity"] for r in rows})


def _log_files(context, report) -> None:
    for example in report.bad_line_examples:
        context.log.warning(f"skipped a line that is not OTLP/JSON, or parts of it that cannot be: {example}")
    for unreadable in report.unreadable_files:
        context.log.warning(f"could not read all of a telemetry file; kept its lines before the damage and read the "
                            f"others: {unreadable}")
    for too_large in report.too_large_files:
        context.log.warning(f"stopped reading a telemetry file at its limit and kept the lines before it: {too_large}")
    for skipped in report.skipped_files:
        context.log.warning(f"skipped what is not a regular file in the telemetry folder: {skipped}. Remove it, "
                            "or point the Collector's file exporter at a regular file.")
    if report.spool_full:
        context.log.warning(f"read only part of the telemetry files: {report.spool_full}")
    if report.not_telemetry_files:
        context.log.info(f"left alone files that are not OTLP JSON lines: {', '.join(report.not_telemetry_files)}")
    if report.kept_only_lines:
        context.log.info(f"read {report.kept_only_lines} line(s) that no file holds any more (a Collector restart or a "
                         "pruned rotation) from what earlier runs kept in the lake")


def _files_summary(report) -> dict:
    return {"files": report.files, "megabytes": round(report.bytes / 2**20, 2), "lines": report.lines,
            "bad_lines": report.bad_lines, "bad_values": report.bad_values, "duplicate_lines": report.duplicate_lines,
            "kept_lines": report.kept_lines, "kept_only_lines": report.kept_only_lines,
            "unreadable_files": len(report.unreadable_files), "not_telemetry_files": len(report.not_telemetry_files),
            "too_large_files": len(report.too_large_files), "skipped_files": len(report.skipped_files),
            "spool_full": report.spool_full}


def _files_metadata(report) -> dict:
    return {"read/bad_line_examples": dg.MetadataValue.json(report.bad_line_examples),
            "read/unreadable_file_list": dg.MetadataValue.json(report.unreadable_files),
            "read/not_telemetry_file_list": dg.MetadataValue.json(report.not_telemetry_files),
            "read/too_large_file_list": dg.MetadataValue.json(report.too_large_files),
            "read/skipped_file_list": dg.MetadataValue.json(report.skipped_files)}


def read_into_lake(context, days: list[dt.date], base_dir: str, lake: Lake, org: Organization) -> Iterator:
    """Read the exporter files once for all `days`, write each day with its lines and series, then record what was read."""
    fs, paths = _files(context, days, base_dir)
    report, findings, asset = ReadReport(), {}, TELEMETRY_TABLE.asset
    for day, rows, lines, series in metrics_by_day(fs, paths, days, report, org.telemetry_identity_attributes,
                                                   org.telemetry_organization_id, lake, asset, LOOKBACK_DAYS):
        lake.write_lines(asset, day, [line.text for line in lines])
        lake.write_series(asset, day, series)
        findings[day] = day_findings(TELEMETRY_TABLE, write_day(context, lake, TELEMETRY_TABLE, day, rows, org,
                                                                users=_people(rows)))
    record_size(context, lake, TELEMETRY_TABLE, list(findings), org)
    _log_files(context, report)
    summary = {
        **_files_summary(report), "event_lines": report.other_kind_lines,
        "points": report.points, "points_without_time": report.points_without_time,
        "other_organization_points": report.other_organization_points,
        "ignored_points": report.ignored_points, "cumulative_series": report.series,
        "cumulative_series_from_earlier_days": report.series_from_earlier_days,
        "cumulative_resets": report.cumulative_resets, "capped_totals": report.capped_totals,
    }
    context.log.info(f"claude_code_telemetry: {summary}")
    yield dg.AssetObservation(
        asset_key=org.key(TELEMETRY_TABLE.asset),
        metadata={**{f"read/{k}": v for k, v in summary.items()}, **_files_metadata(report),
                  "read/points_by_identity_source": dg.MetadataValue.json(report.points_by_identity_source),
                  "read/points_by_organization": dg.MetadataValue.json(report.points_by_organization)},
    )
    yield dg.MaterializeResult(asset_key=org.key(TELEMETRY_TABLE.asset),
                               check_results=table_check_results(TELEMETRY_TABLE, findings, org))


def read_events_into_lake(context, days: list[dt.date], base_dir: str, lake: Lake, org: Organization) -> Iterator:
    """Read the events of `days` from the exporter files, write each day with its lines, record what was read."""
    fs, paths = _files(context, days, base_dir)
    report, findings, asset = EventsReport(), {}, EVENTS_TABLE.asset
    for day, rows, lines in events_by_day(fs, paths, days, report, org.telemetry_identity_attributes,
                                          org.telemetry_organization_id, lake, asset):
        lake.write_lines(asset, day, [line.text for line in lines])
        cost = round(sum(r["cost_usd_micros"] or 0 for r in rows) / 1_000_000, 6)
        findings[day] = day_findings(EVENTS_TABLE, write_day(context, lake, EVENTS_TABLE, day, rows, org,
                                                             users=_people(rows), cost_usd=cost))
    record_size(context, lake, EVENTS_TABLE, list(findings), org)
    _log_files(context, report)
    if report.content_attributes_dropped:
        context.log.info(f"dropped {report.content_attributes_dropped} attribute(s) holding prompts or tool contents: "
                         "they are never stored")
    summary = {**_files_summary(report), "event_lines": report.event_lines, "records": report.records,
               "duplicates": report.duplicates, "other_scopes": report.other_scopes,
               "other_organization_records": report.other_organization_records,
               "content_attributes_dropped": report.content_attributes_dropped}
    context.log.info(f"claude_code_events: {summary}")
    yield dg.AssetObservation(
        asset_key=org.key(EVENTS_TABLE.asset),
        metadata={**{f"read/{k}": v for k, v in summary.items()}, **_files_metadata(report),
                  "read/events": dg.MetadataValue.json(report.events)},
    )
    yield dg.MaterializeResult(asset_key=org.key(EVENTS_TABLE.asset),
                               check_results=table_check_results(EVENTS_TABLE, findings, org))


claude_code_telemetry = build_telemetry_asset()
claude_code_events = build_events_asset()
