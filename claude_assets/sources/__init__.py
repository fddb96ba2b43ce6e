"""WHAT is synced: one module per API family (and the telemetry, and the derived reports), each a `Source`.

`SOURCES` is the catalogue the Dagster wiring, the commands and the tests read: a new API family is one
new module here, added to `SOURCES`, plus its emulator handler.
"""

from __future__ import annotations

import dagster as dg

from claude_assets.engine.calendars import METADATA_KEY, Calendar
from claude_assets.engine.endpoint import Endpoint
from claude_assets.engine.source import Source
from claude_assets.sources import (
    admin_usage_cost,
    claude_code,
    claude_code_history,
    enterprise_engagement,
    enterprise_usage_cost,
    organization,
    telemetry,
    usage_cost_analytics,
)

CLAUDE_CODE = claude_code.SOURCE
ADMIN_USAGE_COST = admin_usage_cost.SOURCE
ENGAGEMENT = enterprise_engagement.SOURCE
ENTERPRISE_USAGE_COST = enterprise_usage_cost.SOURCE
USAGE_COST_ANALYTICS = usage_cost_analytics.SOURCE
TELEMETRY = telemetry.SOURCE
HISTORY = claude_code_history.SOURCE
ORGANIZATION = organization.SOURCE

SOURCES: tuple[Source, ...] = (CLAUDE_CODE, ADMIN_USAGE_COST, ENGAGEMENT, ENTERPRISE_USAGE_COST, USAGE_COST_ANALYTICS,
                               TELEMETRY, HISTORY, ORGANIZATION)

ENDPOINTS: tuple[Endpoint, ...] = tuple(e for source in SOURCES for e in source.endpoints)
RAW_ASSETS = tuple(asset for endpoint in ENDPOINTS for asset in endpoint.assets)  # every asset read from an API
RAW_TABLES = {table.asset: table for endpoint in ENDPOINTS for table in endpoint.tables}
TABLES = {table.asset: table for source in SOURCES for table in source.tables}  # every asset's table
CALENDARS = {calendar.name: calendar for source in SOURCES for calendar in source.calendars}


def by_group(group: str) -> Source:
    """The source of an asset group (every group comes from exactly one)."""
    found = next((source for source in SOURCES if source.group == group), None)
    if found is None:
        raise KeyError(f"no source holds the asset group {group!r}: its module is missing from SOURCES")
    return found


def endpoint(name: str) -> Endpoint:
    return next(e for e in ENDPOINTS if e.name == name)


def calendar_of(spec: dg.AssetSpec) -> Calendar:
    """The calendar an asset is partitioned on, from its spec's metadata."""
    return CALENDARS[spec.metadata[METADATA_KEY]]


# Asked which organization a key belongs to, for answers that name none (engine/fetch.py `key_organization`):
# the one API either key may call whose envelope names the organization.
ORGANIZATION_PROBE = endpoint("claude_usage")
