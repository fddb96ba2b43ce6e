"""Alerts about the lake: what happened, what to do, sent to the Dagster log and a Slack-style webhook.

The notifier is a resource so tests and users can swap it. Posting never raises: a webhook that is
down must not break the sensor that watches the lake; the sensor keeps the message and retries it.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Optional

import dagster as dg
import httpx
from pydantic import Field

from claude_assets.engine.client.redact import redact

ALERT_KINDS = ("failure", "stale", "deadline", "key_rejected", "recovered")


@dataclasses.dataclass(frozen=True)
class Alert:
    """One message about one incident; `incident` names what it is about, e.g. `stale:api_cost`."""

    kind: str
    incident: str
    text: str
    run_id: Optional[str] = None

    def __post_init__(self):
        if self.kind not in ALERT_KINDS:
            raise ValueError(f"unknown alert kind {self.kind!r}; expected one of {', '.join(ALERT_KINDS)}")

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Alert":
        return cls(**data)


class Notifier(dg.ConfigurableResource):
    """Writes each alert to the Dagster log and, when a webhook is set, POSTs `{"text": ...}` to it."""

    webhook_url: Optional[str] = Field(default=None, description="Slack-compatible incoming webhook; unset = log only.")
    ui_url: Optional[str] = Field(default=None, description="The Dagster UI's address, for links to runs.")
    timeout_s: float = 10.0

    def render(self, alert: Alert) -> str:
        text = redact(alert.text)  # our messages never hold a key: a second line of defence for what they quote
        if alert.run_id and self.ui_url:
            text += f"\nRun: {self.ui_url.rstrip('/')}/runs/{alert.run_id}"
        return text

    def send(self, alert: Alert, log: Optional[logging.Logger] = None) -> bool:
        """Log the alert, then post it; True when the webhook took it (or there is none)."""
        level = logging.INFO if alert.kind == "recovered" else logging.WARNING
        (log or logging.getLogger(__name__)).log(level, self.render(alert))
        return self.post(alert)

    def post(self, alert: Alert) -> bool:
        """POST the alert to the webhook; False on any error or timeout, never raises."""
        if not self.webhook_url:
            return True
        try:
            response = httpx.post(self.webhook_url, json={"text": self.render(alert)}, timeout=self.timeout_s)
            return response.is_success
        except Exception:  # noqa: BLE001 - a broken webhook must never break the sensor
            return False
