"""Rows of the Claude Code Analytics report, built from a day's truth.

One row per (date, actor, terminal_type). `share` < 1 serves the part of today that is
older than an hour: every counter becomes floor(value * share), so a partial day only ever
grows towards the final one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from . import money
from .activity import TOOL_KEYS, CodeRecord
from .timeutil import midnight, rfc3339

if TYPE_CHECKING:
    from datetime import date

    from .org import SyntheticOrg


def day_rows(org: SyntheticOrg, day: date, share: float) -> list[dict]:
    keyed = []
    for ud in org.active_user_days(day):
        actor = {"type": "user_actor", "email_address": ud.user.email}
        for rec in ud.code:
            keyed.append(((0, ud.user.email, rec.terminal), actor, ud.user.customer_type, rec))
    for key, rec in org.console_day(day).actor_code:
        actor = {"type": "api_actor", "api_key_name": key.name}
        keyed.append(((1, key.name, rec.terminal), actor, "api", rec))
    keyed.sort(key=lambda item: item[0])
    stamp = rfc3339(midnight(day))
    rows = []
    for _, actor, customer_type, rec in keyed:
        row = _row(stamp, actor, org.organization_uuid, customer_type, rec, share)
        if row is not None:
            rows.append(row)
    return rows


def _row(stamp: str, actor: dict, org_uuid: str, customer_type: str, rec: CodeRecord, share: float) -> dict | None:
    def part(value: int) -> int:
        return value if share >= 1 else math.floor(value * share)

    breakdown = []
    for m in rec.models:
        tokens = [part(v) for v in (m.input, m.output, m.cache_read, m.cache_5m, m.cache_1h)]
        if not any(tokens):
            continue
        cost = sum(money.token_units(m.model, tuple(tokens)))
        breakdown.append({
            "model": m.model,
            "tokens": {"input": tokens[0], "output": tokens[1], "cache_read": tokens[2],
                       "cache_creation": tokens[3] + tokens[4]},
            "estimated_cost": {"currency": "USD", "amount": money.whole_cents(cost)},
        })
    sessions = part(rec.sessions)
    if not breakdown and not sessions:
        return None
    return {
        "date": stamp,
        "actor": actor,
        "organization_id": org_uuid,
        "customer_type": customer_type,
        "subscription_type": "enterprise" if customer_type == "subscription" else None,
        "terminal_type": rec.terminal,
        "is_remote": rec.is_remote,
        "core_metrics": {
            "num_sessions": max(sessions, 1),
            "lines_of_code": {"added": part(rec.lines_added), "removed": part(rec.lines_removed)},
            "commits_by_claude_code": part(rec.commits),
            "pull_requests_by_claude_code": part(rec.pull_requests),
        },
        "tool_actions": {
            key: {"accepted": part(acc), "rejected": part(rej)} for key, (acc, rej) in zip(TOOL_KEYS, rec.tools)
        },
        "model_breakdown": breakdown,
    }
