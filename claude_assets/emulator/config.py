"""`EmulatorConfig`: everything that shapes one emulated organization and its API behaviour."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

ADMIN_KEY_PREFIX = "sk-ant-admin01-"
ANALYTICS_KEY_PREFIX = "sk-ant-analytics-emu-"
SCOPELESS_KEY_PREFIX = "sk-ant-api03-emu-"
RETRY_AFTER_STYLES = ("seconds", "http-date", "none")
CLAUDE_CODE_AMOUNTS = ("number", "string")
USAGE_COST_AMOUNTS = ("string", "number")


@dataclass
class EmulatorConfig:
    """Settings of one emulator; see the package docstring for the meaning of each field."""

    seed: int = 7
    users: int = 50
    rate_limit_per_minute: int = 60
    admin_rate_limit_per_minute: int | None = None
    lag_days: int = 3
    admin_key: str | None = None
    analytics_key: str | None = None
    scopeless_key: str | None = None
    now: datetime | None = None
    analytics_access: bool = True
    cursor_ttl_seconds: float = 600
    retry_after: str | bool = "seconds"
    history_start: date | None = None
    null_metric_blocks: bool = True
    claude_code_amounts: str = "number"
    usage_cost_amounts: str = "string"

    def __post_init__(self) -> None:
        if self.users < 1:
            raise ValueError("users must be at least 1")
        if self.now is not None and self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware (e.g. datetime(..., tzinfo=timezone.utc))")
        if self.lag_days < 0:
            raise ValueError("lag_days must be >= 0")
        if isinstance(self.retry_after, bool):  # the older switch: on = seconds, off = no header
            self.retry_after = "seconds" if self.retry_after else "none"
        if self.retry_after not in RETRY_AFTER_STYLES:
            raise ValueError(f"retry_after must be one of {', '.join(RETRY_AFTER_STYLES)}")
        if self.claude_code_amounts not in CLAUDE_CODE_AMOUNTS:
            raise ValueError(f"claude_code_amounts must be one of {', '.join(CLAUDE_CODE_AMOUNTS)}")
        if self.usage_cost_amounts not in USAGE_COST_AMOUNTS:
            raise ValueError(f"usage_cost_amounts must be one of {', '.join(USAGE_COST_AMOUNTS)}")

    @property
    def resolved_admin_key(self) -> str:
        return self.admin_key or ADMIN_KEY_PREFIX + "emu-" + _hex(self.seed, "admin")

    @property
    def resolved_analytics_key(self) -> str:
        return self.analytics_key or ANALYTICS_KEY_PREFIX + _hex(self.seed, "analytics")

    @property
    def resolved_scopeless_key(self) -> str:
        return self.scopeless_key or SCOPELESS_KEY_PREFIX + _hex(self.seed, "scopeless")

    @property
    def resolved_admin_rate_limit(self) -> int:
        if self.admin_rate_limit_per_minute is None:
            return self.rate_limit_per_minute
        return self.admin_rate_limit_per_minute

    def resolved_history_start(self, today: date) -> date:
        return self.history_start or today - timedelta(days=400)


def _hex(seed: int, kind: str) -> str:
    return hashlib.sha256(f"claude-assets-emulator:{kind}:{seed}".encode()).hexdigest()[:40]
