"""`claude_code_user_daily`: every user's Claude Code day, from telemetry where it exists and the APIs before
(derived; the rules are `defs/assets/history.py` and its query)."""

from __future__ import annotations

import pyarrow as pa

from claude_assets.engine.source import Source
from claude_assets.engine.tables import Column, Table, count, day, flag, text
from claude_assets.sources.enterprise_engagement import CALENDAR

GROUP = "claude_code_history"

MEASURES = ("sessions", "lines_added", "lines_removed", "commits", "pull_requests", "edit_accepted", "edit_rejected",
            "multi_edit_accepted", "multi_edit_rejected", "input_tokens", "output_tokens", "cache_read_tokens",
            "cache_creation_tokens", "cost_usd")
_MEANING = {f"{edits}_{decision}": meaning for edits, meaning in (
    ("edit", "Edit, Write and NotebookEdit decisions: the tools telemetry counts"),
    ("multi_edit", "MultiEdit decisions: only the APIs count them, so they come from the APIs on every row"),
) for decision in ("accepted", "rejected")}

USER_DAILY = Table(
    asset="claude_code_user_daily",
    description="One row per UTC day and user (e-mail, lowercased): Claude Code activity from telemetry where it "
    "covers the user that day, else the Claude Code Analytics report, else the Enterprise users endpoint.",
    natural_key=("date", "email"),
    keeps_extra=False,
    columns=(day("date"), text("email"))
    + tuple(Column(m, pa.float64()) if m == "cost_usd" else count(m, description=_MEANING.get(m, "")) for m in MEASURES)
    + (text("source", description="telemetry, claude_code_report or enterprise_users"),
       flag("person", description="false for telemetry known only by an install's user.id (an API-key, Bedrock, "
            "Vertex or Foundry client with no person attribute) or unattributed: kept, but not a user"))
    + tuple(Column(f"{m}_delta", pa.float64(), description="telemetry minus the API, where both cover the day")
            for m in MEASURES),
)


SOURCE = Source(
    group=GROUP,
    description="Derived: each user's Claude Code day, from telemetry where it exists and the APIs before",
    calendar=CALENDAR,  # it reaches as far as the engagement days it falls back on
    cron="0 12 * * *",
    freshness_hours=(30, 54),
    key_kinds=(),
    provisional=False,
    probe=None,
    derived=True,
    tables=(USER_DAILY,),
)
