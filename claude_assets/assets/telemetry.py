"""`claude_code_telemetry`: Claude Code's OpenTelemetry metrics, per UTC day, user, model and terminal.

Telemetry is near real time but only exists from the day a client turned it on; the joined
history downstream uses it where it exists and the analytics APIs before. A run reads each
exporter file once for all its days (a year-long backfill is one pass), skipping files last
written before the range (minus a lookback, for cumulative series that began earlier).
"""

import datetime as dt
from typing import Iterator

import dagster as dg
import pyarrow as pa

from claude_assets import calendars
from claude_assets.assets.daily import write_day
from claude_assets.assets.raw import column_schema
from claude_assets.checks import day_findings, table_check_results, table_check_specs
from claude_assets.lake import Lake
from claude_assets.organizations import DEFAULT, Organization
from claude_assets.tables import Column, Table, count, day, text
from claude_assets.telemetry import KEY_COLUMNS, MEASURE_COLUMNS, open_telemetry_dir, read_telemetry, telemetry_files

LOOKBACK = dt.timedelta(days=2)

TELEMETRY_TABLE = Table(
    asset="claude_code_telemetry",
    description=(
        "One row per UTC day, person, model, terminal, organization and client version: Claude Code's "
        "OpenTelemetry counters (sessions, lines, commits, PRs, edit decisions, tokens, estimated cost in USD, active "
        "time). The person is the first identity a point carries, named in identity_source: user.email (lowercased), "
        "user.account_id or user.account_uuid, the configured attributes (enduser.id), user.id; else 'unattributed'. "
        "Metrics without a model attribute are on rows whose model is null."
    ),
    natural_key=KEY_COLUMNS,
    keeps_extra=False,  # points of metrics this version does not map are counted in `read/ignored_points`
    columns=(day("date"),
             text("identity_source", description="the attribute the row is attributed by (user.email, user.account_id, "
                  "user.account_uuid, enduser.id or another configured one, user.id) or unattributed"),
             text("identity", description="its value: the person as the telemetry names them"),
             text("email", description="lowercased: user.email, or an identity attribute holding an e-mail"),
             text("account_id", description="user.account_id (else user.account_uuid): the Admin APIs' user id"),
             text("model"), text("terminal_type"),
             text("organization_id", description="organization.id: whose clients sent it"),
             text("service_version", description="the Claude Code version (service.version)"))
    + tuple(Column(c, pa.float64()) if c.endswith(("_usd", "_s")) else count(c) for c in MEASURE_COLUMNS),
)


def build_telemetry_asset(org: Organization = DEFAULT) -> dg.AssetsDefinition:
    """The organization's telemetry asset, reading its own exporter folder."""
    key, lake_resource, telemetry_resource = org.key(TELEMETRY_TABLE.asset), org.resource("lake"), org.resource("telemetry")

    @dg.multi_asset(
        name=org.op_name(TELEMETRY_TABLE.asset),
        specs=[
            dg.AssetSpec(
                key,
                group_name="telemetry",
                description=TELEMETRY_TABLE.description + "\n\nSource: OTLP/JSON lines files in CLAUDE_ASSETS_TELEMETRY_DIR.",
                kinds={"parquet", "opentelemetry"},
                partitions_def=calendars.TELEMETRY.partitions_def(),
                skippable=True,
                metadata={"dagster/column_schema": column_schema(TELEMETRY_TABLE),
                          "natural_key": ", ".join(TELEMETRY_TABLE.natural_key),
                          calendars.METADATA_KEY: calendars.TELEMETRY.name},
            )
        ],
        check_specs=table_check_specs(TELEMETRY_TABLE, org),
        partitions_def=calendars.TELEMETRY.partitions_def(),
        backfill_policy=dg.BackfillPolicy.single_run(),
        required_resource_keys={telemetry_resource, lake_resource},
    )
    def _telemetry(context: dg.AssetExecutionContext) -> Iterator:
        base_dir = getattr(context.resources, telemetry_resource).base_dir
        lake = getattr(context.resources, lake_resource).get_lake()
        yield from read_into_lake(context, [dt.date.fromisoformat(k) for k in context.partition_keys], base_dir, lake, org)

    return _telemetry


def read_into_lake(context, days: list[dt.date], base_dir: str, lake: Lake, org: Organization) -> Iterator:
    """Read the exporter files once for all `days`, write each day, then record what was read and the checks."""
    fs, root = open_telemetry_dir(base_dir)
    since = dt.datetime.combine(days[0], dt.time(), tzinfo=dt.timezone.utc) - LOOKBACK
    paths = telemetry_files(fs, root, since) if fs.exists(root) else []
    if not paths:
        context.log.warning(
            f"No telemetry files under {base_dir} written since {since:%Y-%m-%d}: the days "
            "are written empty. Point CLAUDE_ASSETS_TELEMETRY_DIR at the folder your OpenTelemetry Collector's file "
            "exporter writes (its `path`), with CLAUDE_CODE_ENABLE_TELEMETRY=1 on the clients."
        )
    rows, report = read_telemetry(fs, paths, set(days), org.telemetry_identity_attributes,
                                  org.telemetry_organization_id)
    for example in report.bad_line_examples:
        context.log.warning(f"skipped a line that is not OTLP/JSON: {example}")
    for unreadable in report.unreadable_files:
        context.log.warning(f"could not read all of a telemetry file; kept its lines before the damage and read the "
                            f"others: {unreadable}")
    if report.not_telemetry_files:
        context.log.info(f"left alone files that are not OTLP JSON lines: {', '.join(report.not_telemetry_files)}")
    by_day: dict[dt.date, list[dict]] = {d: [] for d in days}
    for row in rows:
        by_day[row["date"]].append(row)
    findings = {}
    for d, day_rows in by_day.items():
        written = write_day(context, lake, TELEMETRY_TABLE, d, day_rows, org,
                            users=len({r["identity"] for r in day_rows}))
        findings[d] = day_findings(TELEMETRY_TABLE, written)
    summary = {
        "files": report.files, "megabytes": round(report.bytes / 2**20, 2), "lines": report.lines,
        "bad_lines": report.bad_lines, "event_lines": report.event_lines,
        "unreadable_files": len(report.unreadable_files), "not_telemetry_files": len(report.not_telemetry_files),
        "points": report.points, "points_without_time": report.points_without_time,
        "other_organization_points": report.other_organization_points,
        "ignored_points": report.ignored_points,
        "cumulative_series": report.series, "cumulative_resets": report.cumulative_resets,
    }
    context.log.info(f"claude_code_telemetry: {summary}")
    yield dg.AssetObservation(
        asset_key=org.key(TELEMETRY_TABLE.asset),
        metadata={**{f"read/{k}": v for k, v in summary.items()},
                  "read/bad_line_examples": dg.MetadataValue.json(report.bad_line_examples),
                  "read/unreadable_file_list": dg.MetadataValue.json(report.unreadable_files),
                  "read/not_telemetry_file_list": dg.MetadataValue.json(report.not_telemetry_files),
                  "read/points_by_identity_source": dg.MetadataValue.json(report.points_by_identity_source),
                  "read/points_by_organization": dg.MetadataValue.json(report.points_by_organization)},
    )
    yield dg.MaterializeResult(asset_key=org.key(TELEMETRY_TABLE.asset),
                               check_results=table_check_results(TELEMETRY_TABLE, findings, org))


claude_code_telemetry = build_telemetry_asset()
