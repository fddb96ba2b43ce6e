"""One asset factory for every endpoint in `claude_assets.engine.endpoint`.

Each endpoint becomes one multi-asset (its main table plus child tables), daily partitioned on
its calendar, with a single-run backfill policy: a year-long backfill is one run whose days are
fetched concurrently under the shared rate limiter, not 365 runs of process start-up.

Every day is recorded in Dagster once, with its own row count and path. When the run has every
day it was asked for in the lake, they are recorded as the step's outputs (per-day metadata
through `add_asset_metadata`), which is what lets assets and checks downstream in the same run
go on: Dagster skips those when their parent yields events only. When some day was unavailable,
or the run fails or is stopped, each day it wrote is recorded by its own event instead, so a
failed year-long backfill still shows, and keeps, every day it finished.
"""

import datetime as dt
import time
from typing import Iterator

import dagster as dg
from pydantic import Field

from claude_assets.defs.checks import table_check_results, table_check_specs
from claude_assets.engine import calendars
from claude_assets.engine.client import MissingKeyError
from claude_assets.engine.client.errors import ClaudeAssetsError, LakeNotWritableError
from claude_assets.engine.endpoint import Endpoint
from claude_assets.engine.lake import Lake
from claude_assets.engine.organizations import CONFIG_ENV_VAR, DEFAULT, Organization
from claude_assets.engine.sync import DayResult, SyncReport, sync_days
from claude_assets.engine.tables import Table
from claude_assets.sources import ENDPOINTS, ORGANIZATION_PROBE
from claude_assets.sources.common import LEGACY_NOTE

RESOURCE_FOR_KIND = {"admin": "admin_api", "analytics": "analytics_api"}
API_TAG = "claude_assets/api"  # op tag: steps calling one API share its rate budget, so they run one at a time
PROGRESS_EVERY_S = 5.0


class SyncConfig(dg.Config):
    """Run config for raw assets."""

    refetch_existing: bool = Field(
        default=False,
        description=(
            "Fetch every day of the range again. By default a run over several days skips days already in "
            "the lake that had settled when fetched, so a failed or killed backfill resumes where it stopped. "
            "A run over a single day always fetches it."
        ),
    )
    concurrency: int = Field(default=4, description="Days fetched at once; the shared rate limiter still paces them.")
    accept_worse_answers: bool = Field(
        default=False,
        description=(
            "Replace days even when the new answer looks worse than the day in the lake (a key column gone null, "
            "a block of fields missing, values that no longer parse, far fewer rows for a settled day). By "
            "default such an answer is quarantined under the lake's _quarantine folder, the day stays, and the "
            "run fails naming the day and the fields. Set it only after checking the quarantined answer."
        ),
    )
    rebuild_from_raw: bool = Field(
        default=False,
        description=(
            "Rebuild the days from the API's answers kept in the lake's _raw folder, asking the API nothing: "
            "after a fix to how records are read, or to audit a number. Days with no kept answer are listed "
            "as unavailable."
        ),
    )


def column_schema(table: Table) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(f.name, str(f.type), description=(f.metadata or {}).get(b"description", b"").decode())
                 for f in table.schema]
    )


def _description(endpoint: Endpoint, table: Table, org: Organization) -> str:
    calendar = endpoint.calendar
    history = f"; history from {calendar.floor}" if calendar.floor else ""
    window = f", last {calendar.window_days} days" if calendar.window_days else ""
    legacy = f"\n\n{LEGACY_NOTE}" if endpoint.legacy else ""
    return (
        f"{table.description}{legacy}\n\nSource: {endpoint.api}, GET {endpoint.path}. "
        f"Key: {org.key_env(org.key_kind(endpoint))}. "
        f"Partitions: UTC days, newest D-{calendar.lag_days}{history}{window}. "
        f"Natural key: {', '.join(table.natural_key)}."
    )


def _client(context: dg.AssetExecutionContext, endpoint: Endpoint, org: Organization, resource: str):
    """The client of the endpoint's key; where either key works and neither is set, the error names both."""
    try:
        return getattr(context.resources, resource).get_client()
    except MissingKeyError:
        if endpoint.key_kind or org.usage_cost_key:
            raise
        raise MissingKeyError(
            f"{endpoint.name} reads the Usage and Cost Analytics API, which takes either key, and neither is set. "
            f"Set {org.analytics_key_env} (Claude Enterprise: an Analytics key with read:analytics, created at "
            f"claude.ai -> Organization settings -> API) or {org.admin_key_env} (Claude Console: an Admin key, "
            "Console -> Settings -> Admin keys) in the environment of the Dagster code location, and reload it."
        ) from None


def size_metadata(lake: Lake, asset: str) -> dict:
    """The table's size in the lake, all days: `dagster/row_count` is what the asset page shows as its row count,
    which would otherwise be the newest day's (`day_rows`)."""
    try:
        days, rows = lake.size(asset)
    except OSError:  # the lake could not be listed: the days' own metadata still says what was written
        return {}
    return {"dagster/row_count": rows, "days_in_lake": days}


def writable(lake: Lake, org: Organization) -> Lake:
    """The lake, once a probe file could be written to it: an unwritable lake fails before the API is asked,
    naming the setting to change rather than a bare OSError after the fetch."""
    try:
        lake.check_writable()
    except OSError as exc:
        setting = (f"the data_dir of organization {org.name} (in the file {CONFIG_ENV_VAR} names)" if org.prefixed
                   else "CLAUDE_ASSETS_DATA_DIR")
        raise LakeNotWritableError(
            f"The lake at {lake.base} cannot be written ({exc.strerror or exc}), so nothing was fetched. Point "
            f"{setting} at a folder or bucket this process may write, or let it write there: a read-only mount, "
            "a folder owned by another user or a bucket policy without write access looks like this. Then run again."
        ) from None
    return lake


def failure(exc: ClaudeAssetsError) -> dg.Failure:
    """Our error as the step's failure, so the run's log and page lead with our message (cause, then the
    numbered fix) rather than a Python stack trace that ends in it."""
    return dg.Failure(description=f"{type(exc).__name__}: {exc}", metadata={"error": type(exc).__name__})


def build_raw_asset(endpoint: Endpoint, org: Organization = DEFAULT,
                    kept: dict[calendars.Calendar, set[dt.date]] | None = None) -> dg.AssetsDefinition:
    """`kept`: the days each calendar's raw tables hold in the lakes (`lake_history`); without it, every day of
    the calendar is a partition."""
    partitions_def = endpoint.calendar.partitions_def(None if kept is None else kept.get(endpoint.calendar, set()))
    kind = org.key_kind(endpoint)
    api_resource, lake_resource = org.resource(RESOURCE_FOR_KIND[kind]), org.resource("lake")
    specs = [
        dg.AssetSpec(
            org.key(table.asset),
            group_name=endpoint.group,
            description=_description(endpoint, table, org),
            kinds={"parquet", "anthropic"},
            partitions_def=partitions_def,
            skippable=True,
            metadata={
                "endpoint": f"GET {endpoint.path}",
                "api_key_env_var": org.key_env(kind),
                **({"legacy": LEGACY_NOTE} if endpoint.legacy else {}),
                calendars.METADATA_KEY: endpoint.calendar.name,
                "natural_key": ", ".join(table.natural_key),
                "dagster/column_schema": column_schema(table),
            },
        )
        for table in endpoint.tables
    ]

    @dg.multi_asset(
        name=org.op_name(endpoint.name),
        specs=specs,
        check_specs=[spec for table in endpoint.tables for spec in table_check_specs(table, org)],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        required_resource_keys={api_resource, lake_resource},
        can_subset=True,
        op_tags={API_TAG: org.pool(kind)},
        pool=org.pool(kind),
    )
    def _sync(context: dg.AssetExecutionContext, config: SyncConfig):
        try:
            lake = writable(getattr(context.resources, lake_resource).get_lake(), org)
            client = None if config.rebuild_from_raw else _client(context, endpoint, org, api_resource)
        except ClaudeAssetsError as exc:
            raise failure(exc) from None
        days = [dt.date.fromisoformat(key) for key in context.partition_keys]
        selected = [t.asset for t in endpoint.tables if org.key(t.asset) in context.selected_asset_keys]
        progress = _Progress(context, endpoint, org, selected, len(days))
        report = SyncReport(endpoint.name)
        try:
            for result in sync_days(
                endpoint,
                client,
                lake,
                days,
                assets=selected,
                resume=len(days) > 1 and not config.refetch_existing and not config.rebuild_from_raw,
                concurrency=config.concurrency,
                report=report,
                accept_worse=config.accept_worse_answers,
                rebuild=config.rebuild_from_raw,
                organization_probe=ORGANIZATION_PROBE,
            ):
                progress.on_day(result, report)
        except ClaudeAssetsError as exc:  # ours says what to do: the run shows it instead of a stack trace
            yield from progress.events(lake)
            raise failure(exc) from None
        except BaseException:  # failed or stopped: record what landed before saying so
            yield from progress.events(lake)
            raise
        yield progress.finish(report)
        if report.of("quarantined"):
            yield from progress.events(lake)
            raise dg.Failure(description=_quarantined(endpoint, report), metadata={
                "days_quarantined": dg.MetadataValue.json({d.day.isoformat(): d.reason for d in report.of("quarantined")})})
        yield from progress.events(lake) if report.of("unavailable") else progress.outputs(report, lake)
        for table in endpoint.tables:
            findings = {d.day: d.tables[table.asset].findings for d in report.of("written") if table.asset in d.tables}
            for check in table_check_results(table, findings, org):
                if dg.AssetCheckKey(org.key(table.asset), check.check_name) in context.selected_asset_check_keys:
                    yield check

    return _sync


def _quarantined(endpoint: Endpoint, report: SyncReport) -> str:
    """The run's failure when answers looked worse than the days they would replace: which days, why, what to do."""
    days = report.of("quarantined")
    lines = [f"  {d.day.isoformat()}: {d.reason}\n    kept aside at {next(iter(d.paths.values()))}" for d in days]
    return (
        f"{endpoint.name}: the API's answer for {len(days)} day(s) looks worse than the day already in the lake, "
        "so the day in the lake was kept and the new answer quarantined:\n" + "\n".join(lines) + "\n"
        "The API's answer no longer matches what this version reads (a field renamed, removed or retyped). "
        "Compare the quarantined file with the day in the lake. If the API really changed the data, run again "
        "with accept_worse_answers: true in the run config; if not, report the drift with the answer kept in "
        "the lake's _raw folder. Days written in this run are kept."
    )


class _Progress:
    """Keeps each written day's metadata for Dagster, and logs a progress line every few seconds."""

    def __init__(self, context: dg.AssetExecutionContext, endpoint: Endpoint, org: Organization, selected: list[str],
                 total: int):
        self.context, self.endpoint, self.org, self.selected, self.total = context, endpoint, org, selected, total
        self.written: list[tuple[dg.AssetKey, str, dict]] = []  # (asset, day, metadata) of every day written
        self.done = 0
        self.last_log = time.monotonic()

    def on_day(self, result: DayResult, report: SyncReport) -> None:
        self.done += 1
        day = result.day.isoformat()
        if result.status == "unavailable":
            self.context.log.warning(f"{self.endpoint.name} {day}: not available: {result.reason}")
        elif result.status == "quarantined":
            self.context.log.error(f"{self.endpoint.name} {day}: the new answer looks worse than the day in the "
                                   f"lake, which is kept: {result.reason}")
        elif result.status == "written":
            for table in self.endpoint.tables:
                written = result.tables.get(table.asset)
                if written is None:
                    continue
                key = self.org.key(table.asset)
                metadata = {
                    "day_rows": written.rows,
                    "dagster/column_schema": column_schema(table),
                    "path": dg.MetadataValue.path(result.paths[table.asset]),
                    "fetched_at": result.fetched_at.isoformat(),
                    "extra_fields": len(written.extra_fields),
                    "extra_field_names": ", ".join(sorted(written.extra_fields)) or "none",
                    "unparsed_values": sum(written.unparsed_values.values()),
                    "requests": result.stats.requests,
                    "pages": result.stats.pages,
                    "retries": result.stats.retries,
                    "revised_totals": dg.MetadataValue.json(written.revisions),
                    "null_blocks": dg.MetadataValue.json(written.null_blocks),
                    **{f"api/{key}": value for key, value in result.envelope.items()},
                }
                self.written.append((key, day, metadata))
                if result.problems.get(table.asset):
                    metadata["accepted_worse_answer"] = dg.MetadataValue.json(result.problems[table.asset])
                    self.context.log.warning(f"{table.asset} {day}: replaced although the answer looks worse "
                                             f"(accept_worse_answers): {'; '.join(result.problems[table.asset])}")
                if written.replaced_damaged:
                    metadata["replaced_damaged_file"] = written.replaced_damaged
                    self.context.log.warning(
                        f"{table.asset} {day}: the file in the lake could not be read ({written.replaced_damaged}); "
                        "fetched the day again and replaced it."
                    )
                if written.revisions:
                    self.context.log.info(f"{table.asset} {day}: revised since the last fetch: {written.revisions}")
                if written.extra_fields:
                    self.context.log.warning(
                        f"{table.asset} {day}: the API sent fields this version does not know, kept in `extra`: "
                        f"{', '.join(sorted(written.extra_fields))}"
                    )
        if time.monotonic() - self.last_log >= PROGRESS_EVERY_S or self.done == self.total:
            self.last_log = time.monotonic()
            stats = report.stats
            self.context.log.info(
                f"{self.endpoint.name}: day {self.done}/{self.total}, {report.rows():,} rows, "
                f"{stats.requests:,} requests, {stats.retries:,} retries, {stats.rate_limited:,} 429s"
            )

    def _sizes(self, lake: Lake) -> dict[dg.AssetKey, dict]:
        """Each selected table's size in the lake now that the run wrote its days, measured once per run."""
        return {self.org.key(asset): size_metadata(lake, asset) for asset in self.selected}

    def events(self, lake: Lake) -> Iterator[dg.AssetMaterialization]:
        """Each day written, as its own materialization."""
        sizes = self._sizes(lake) if self.written else {}
        for key, day, metadata in self.written:
            yield dg.AssetMaterialization(asset_key=key, partition=day, metadata={**metadata, **sizes.get(key, {})})

    def outputs(self, report: SyncReport, lake: Lake) -> Iterator[dg.MaterializeResult]:
        """The selected assets as outputs covering the run's days, each day with its own metadata.

        Days a resumed run found already in the lake are recorded again with what the lake holds."""
        sizes = self._sizes(lake)
        for key, day, metadata in self.written:
            self.context.add_asset_metadata({**metadata, **sizes.get(key, {})}, asset_key=key, partition_key=day)
        for result in report.of("skipped"):
            for asset in self.selected:
                day = result.day.isoformat()
                self.context.add_asset_metadata(
                    {"day_rows": lake.day_rows(asset, result.day), "path": dg.MetadataValue.path(
                        lake.location(asset, result.day)), "resumed": result.reason, **sizes.get(self.org.key(asset), {})},
                    asset_key=self.org.key(asset), partition_key=day)
        for asset in self.selected:
            yield dg.MaterializeResult(asset_key=self.org.key(asset))

    def finish(self, report: SyncReport) -> dg.AssetObservation:
        summary = report.summary()
        unavailable = {r.day.isoformat(): r.reason for r in report.of("unavailable")}
        self.context.log.info(f"{self.endpoint.name} done: {summary}")
        return dg.AssetObservation(
            asset_key=self.org.key((self.selected or self.endpoint.assets)[0]),
            metadata={
                **{f"sync/{k}": v for k, v in summary.items()},
                "sync/days_unavailable_list": dg.MetadataValue.json(unavailable),
            },
        )


def synced_endpoints(org: Organization) -> list[Endpoint]:
    """The endpoints `org` syncs: all, or all but the legacy usage and cost ones when it turned those off."""
    return [e for e in ENDPOINTS if org.syncs(e)]


def synced_assets(org: Organization) -> set[str]:
    return {asset for endpoint in synced_endpoints(org) for asset in endpoint.assets}


def lake_history(orgs: list[Organization]) -> dict[calendars.Calendar, set[dt.date]]:
    """The days any organization's lake holds of any raw table of each calendar with a history window.

    One set per calendar, not per asset or organization: assets that share a partitions definition can
    run together (an endpoint's tables, a schedule over a group across organizations). A lake that cannot
    be listed (an object store without credentials where the definitions load) counts as empty, so its
    old days show as missing rather than the code location failing to load.
    """
    kept: dict[calendars.Calendar, set[dt.date]] = {}
    unlisted: set[str] = set()  # lakes that could not be listed: said once, not once per endpoint
    for endpoint in ENDPOINTS:
        if endpoint.calendar.window_days is None:
            continue
        days = kept.setdefault(endpoint.calendar, set())
        for org in orgs:
            if org.data_dir in unlisted:
                continue
            try:
                lake = Lake(org.data_dir)
                days.update(d for asset in endpoint.assets for d in lake.days(asset))
            except Exception as exc:  # noqa: BLE001 - listing the lake must never stop the definitions loading
                unlisted.add(org.data_dir)
                dg.get_dagster_logger().warning(f"Could not list the lake at {org.data_dir} ({exc}); days beyond "
                                                "the history windows will show as missing.")
    return kept


def build_raw_assets(org: Organization = DEFAULT, kept: dict[calendars.Calendar, set[dt.date]] | None = None
                     ) -> list[dg.AssetsDefinition]:
    return [build_raw_asset(endpoint, org, kept) for endpoint in synced_endpoints(org)]


raw_assets = build_raw_assets()
