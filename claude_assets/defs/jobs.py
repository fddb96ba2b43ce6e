"""Jobs besides the assets' own: `connection_check`, `claude-assets check` in the UI."""

from __future__ import annotations

import dagster as dg

from claude_assets.engine.client.redact import redact
from claude_assets.engine.connection import check, from_resources
from claude_assets.engine.organizations import KEY_KINDS, Organization
from claude_assets.sources import SOURCES


def build_connection_check_job(organizations: list[Organization]) -> dg.JobDefinition:
    """The same check as a job in the UI, with the keys and base URL of each organization's resources."""
    keys = {org.resource(f"{kind}_api") for org in organizations for kind in KEY_KINDS}

    @dg.op(name="check_connections", required_resource_keys=keys,
           description="Asks each API one small question per organization and key; fails with what to fix.")
    def check_connections(context):
        report = check({org: from_resources(context.resources, org) for org in organizations}, SOURCES)
        for line in redact(report.table()).splitlines():
            context.log.info(line)
        if report.failed:
            raise dg.Failure(description=redact(report.text()), metadata={"requests": report.requests})
        return dg.Output(None, metadata={"report": dg.MetadataValue.md(f"```\n{redact(report.table())}\n```"),
                                         "requests": report.requests})

    @dg.job(name="connection_check", description="claude-assets check: does each key reach its API, and what may it "
                                                 "read. Sends a handful of requests; fails with the steps to fix it.")
    def connection_check():
        check_connections()

    return connection_check
