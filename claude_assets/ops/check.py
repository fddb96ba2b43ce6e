"""`claude-assets check`: does each key reach its API, and what may it read (engine/connection.py asks)."""

from __future__ import annotations

from claude_assets.engine.client.redact import redact
from claude_assets.engine.connection import check, from_environment
from claude_assets.engine.organizations import Organization
from claude_assets.sources import SOURCES


def run_check(organizations: list[Organization]) -> int:
    """Print the report; exit status 1 on any failure."""
    report = check({org: from_environment(org) for org in organizations}, SOURCES)
    print(redact(report.text()))
    return 1 if report.failed else 0
