"""What one `write_telemetry` call wrote, exactly, so a reader of the files can be checked to the
unit: totals per member and per identity, events, and what a Collector restart erased."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path


@dataclass(slots=True)
class TelemetryTotals:
    """What made it into the files for one (day, email, model, terminal), in integer units:
    `cost_micros` is millionths of a USD, active time is in milliseconds."""

    sessions: int = 0  # session.count start_type fresh
    resumes: int = 0  # session.count start_type resume or continue
    lines_added: int = 0
    lines_removed: int = 0
    commits: int = 0
    pull_requests: int = 0
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_creation: int = 0
    cost_micros: int = 0
    edit_tool_accepted: int = 0
    edit_tool_rejected: int = 0
    write_tool_accepted: int = 0
    write_tool_rejected: int = 0
    notebook_edit_tool_accepted: int = 0
    notebook_edit_tool_rejected: int = 0
    active_user_ms: int = 0
    active_cli_ms: int = 0

    @property
    def cost_usd(self) -> float:
        return self.cost_micros / 1_000_000


@dataclass(frozen=True, slots=True)
class IdleGap:
    """A cumulative process that exported nothing for more than two days, then exported again."""

    session_id: str
    identity: tuple[str, str]
    terminal: str
    last_export: datetime  # its last export before the gap
    next_export: datetime  # its first export after it


@dataclass
class TelemetryTruth:
    """Exact truth of one `write_telemetry` call.

    `totals` is keyed by (UTC day of timeUnixNano, lowercased email, model or None, terminal):
    tokens and cost are under their model, lines under their `model` attribute (None before it
    existed), everything else under None. `mixed_case_emails` maps the lowercased email of every
    telemetry user whose client sends a mixed-case one to the email as sent. `lines` and `points`
    count what is in the files (duplicate deliveries included, `duplicate_batches` of them);
    `dropped_batches` never arrived; `midnight_crossing_points` start before the UTC midnight
    of the day their timeUnixNano falls on.

    `totals` are per member, by the e-mail the organization knows, whatever the client sends.
    As a reader should attribute points (`realistic` only): `identity_totals`, keyed by (day,
    kind, identity, model, terminal) with kind "email" (`user.email`, lowercased), "account_id"
    (`user.account_id` without an e-mail), "enduser.id" or "user.id" (nothing better), includes
    the API-key clients; `identity_points` counts the points in the files per kind (any mode).
    `agents_view_points` (dashboard launches) are in no total. `idle_gaps`: cumulative processes
    whose points resume more than two days later; on that day only the rise since their last
    point counts (and their session is not started again: that day has one session fewer).

    Events (`events` set): `event_counts` per (day, name) and `event_cost_micros` (the sum of
    `api_request` `cost_usd_micros`) per (day, kind, identity, terminal), as in the files;
    `log_lines`, `log_records` in the files, `dropped_log_batches` never arrived; `files` holds
    the metrics files (and so the events when "same"), `event_files` the events files when
    "separate".

    Collector restart: `totals`, `lines`, `points`, events, as above, are what is still on disk;
    `received_totals` what the Collector had received and written, `lost_totals` the difference
    (in cumulative mode the part a reader can no longer see on that day: a later surviving point of
    the same series carries the earlier rise), `lost_lines`, `lost_points`, `lost_log_lines`,
    `lost_log_records` what the truncation erased.
    """

    temporality: str
    totals: dict[tuple[date, str, str | None, str], TelemetryTotals] = field(default_factory=dict)
    mixed_case_emails: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    lines: int = 0
    points: int = 0
    dropped_batches: int = 0
    duplicate_batches: int = 0
    midnight_crossing_points: int = 0
    realistic: bool = False
    events: str | None = None
    collector_restart: datetime | None = None
    identity_totals: dict[tuple[date, str, str, str | None, str], TelemetryTotals] = field(default_factory=dict)
    identity_points: dict[str, int] = field(default_factory=dict)
    agents_view_points: int = 0
    idle_gaps: list[IdleGap] = field(default_factory=list)
    event_counts: dict[tuple[date, str], int] = field(default_factory=dict)
    event_cost_micros: dict[tuple[date, str, str, str], int] = field(default_factory=dict)
    event_files: list[Path] = field(default_factory=list)
    log_lines: int = 0
    log_records: int = 0
    dropped_log_batches: int = 0
    received_totals: dict[tuple[date, str, str | None, str], TelemetryTotals] = field(default_factory=dict)
    lost_totals: dict[tuple[date, str, str | None, str], TelemetryTotals] = field(default_factory=dict)
    lost_lines: int = 0
    lost_points: int = 0
    lost_log_lines: int = 0
    lost_log_records: int = 0
