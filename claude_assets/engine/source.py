"""The `Source` type: everything about one API family (or the telemetry, or a derived report) in one value.

Each module of `claude_assets.sources` declares one. The Dagster wiring reads the group, calendar, cron,
freshness windows and provisional rule from it, `claude-assets check` its probe, the asset factories its
endpoints and tables: nothing else keys a dictionary by a group name, so a new API family is one new
module in `sources/` (plus its emulator handler).
"""

from __future__ import annotations

import dataclasses

from claude_assets.engine.calendars import Calendar
from claude_assets.engine.client import KeyKind
from claude_assets.engine.endpoint import Endpoint
from claude_assets.engine.tables import Table


@dataclasses.dataclass(frozen=True)
class Probe:
    """What `claude-assets check` asks to vouch for a source's key: one small question to one endpoint.

    Sources that share a probe (the Enterprise engagement and usage-and-cost endpoints) share its one line."""

    api: str  # the check's name for the API, e.g. "Claude Code Analytics"
    endpoint: str  # the name of the endpoint asked
    reads: str = ""  # what an answer proves the key may read; empty: "the <kind> key is accepted"


@dataclasses.dataclass(frozen=True)
class Source:
    """One asset group and how it is kept: where from, with which key, on which calendar, how often, how late."""

    group: str  # the Dagster asset group of every asset of the source
    description: str  # one line: what it is and where it comes from
    calendar: Calendar  # which days exist, how far back they are served and when they settle
    cron: str  # UTC cron of the daily sync (`CLAUDE_ASSETS_<GROUP>_SYNC_CRON` overrides it)
    freshness_hours: tuple[float, float]  # (warn, fail) hours since the last sync (`CLAUDE_ASSETS_FRESHNESS_...`)
    key_kinds: tuple[KeyKind, ...]  # the keys its endpoints may use; () for files and derived reports
    provisional: bool  # its days are revised for a while: re-fetched daily until settled (`calendar.settles_after`)
    probe: Probe | None  # the connection check's question; None: nothing to ask (no key)
    derived: bool  # built from other assets' days: it follows them, whatever subset of its parents exists
    endpoints: tuple[Endpoint, ...] = ()
    tables: tuple[Table, ...] = ()  # every table its assets write (an API source's: its endpoints')
    table_calendars: tuple[tuple[str, Calendar], ...] = ()  # (asset, calendar) of a table on another calendar

    def __post_init__(self) -> None:
        if self.endpoints:
            object.__setattr__(self, "tables", tuple(t for e in self.endpoints for t in e.tables))
        for endpoint in self.endpoints:
            if endpoint.group != self.group or endpoint.calendar is not self.calendar:
                raise ValueError(f"source {self.group}: endpoint {endpoint.name} names another group or calendar")

    @property
    def assets(self) -> tuple[str, ...]:
        return tuple(t.asset for t in self.tables)

    @property
    def calendars(self) -> tuple[Calendar, ...]:
        return (self.calendar, *(calendar for _, calendar in self.table_calendars))

    def calendar_of(self, asset: str) -> Calendar:
        return dict(self.table_calendars).get(asset, self.calendar)
