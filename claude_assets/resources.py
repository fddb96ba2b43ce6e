"""Dagster resources: the two API keys, the lake, the telemetry folder and the notifier.

Keys come from `EnvVar`s, so the Dagster UI shows the variable's name and never its value. A key
that is not set at all is left empty here, so the asset that needs it fails with our own message
(which variable, which key, where to create it) and assets that do not need it still run.
"""

from __future__ import annotations

import os
from typing import Optional

import dagster as dg
from pydantic import Field, PrivateAttr

from claude_assets.alerts import Notifier
from claude_assets.client import DEFAULT_BASE_URL, ApiClient, ApiKey, KeyKind
from claude_assets.lake import Lake

DEFAULT_DATA_DIR = "./data"
DEFAULT_TELEMETRY_DIR = "./telemetry"


class _AnthropicApi(dg.ConfigurableResource):
    api_key: Optional[str] = None
    base_url: str = DEFAULT_BASE_URL
    requests_per_minute: float = Field(
        default=60.0,
        description="Client-side pace shared by every request of this organization and key kind; 0 turns it off. "
        "The Enterprise Analytics API allows 60 a minute unless your account team raised it.",
    )
    organization: Optional[str] = Field(
        default=None, description="A name for the organization: clients with the same name share one rate budget."
    )
    max_retries: int = 8
    timeout_s: float = 60.0

    _kind: KeyKind = PrivateAttr()
    _client: Optional[ApiClient] = PrivateAttr(default=None)

    def get_client(self) -> ApiClient:
        """The resource's client; the key is checked (present, right kind) before any request."""
        if self._client is None:
            self._client = ApiClient(
                ApiKey(self.api_key, self._kind),
                self.base_url,
                requests_per_minute=self.requests_per_minute,
                organization=self.organization,
                max_retries=self.max_retries,
                timeout_s=self.timeout_s,
            )
        return self._client

    def teardown_after_execution(self, context) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class AdminApiResource(_AnthropicApi):
    """Admin key (`sk-ant-admin01-...`): Claude Code Analytics and the Admin Usage & Cost API."""

    _kind: KeyKind = PrivateAttr(default=KeyKind.ADMIN)


class AnalyticsApiResource(_AnthropicApi):
    """Claude Enterprise Analytics key (scope `read:analytics`): engagement, usage and cost."""

    _kind: KeyKind = PrivateAttr(default=KeyKind.ANALYTICS)


class LakeResource(dg.ConfigurableResource):
    """Where the Parquet lake lives: a folder or an fsspec URL (`s3://...`, `memory://...`)."""

    base_dir: str = DEFAULT_DATA_DIR

    def get_lake(self) -> Lake:
        return Lake(self.base_dir)


class TelemetryResource(dg.ConfigurableResource):
    """Where an OpenTelemetry Collector's file exporter writes Claude Code metrics (folder or fsspec URL)."""

    base_dir: str = DEFAULT_TELEMETRY_DIR


def _env(name: str):
    """An `EnvVar` when the variable is set, so the UI shows its name; None when it is not."""
    return dg.EnvVar(name) if os.environ.get(name) else None


def _pace(kind: str) -> float:
    """`CLAUDE_ASSETS_<KIND>_REQUESTS_PER_MINUTE`, for organizations whose limit was raised (0 = no pacing)."""
    return float(os.environ.get(f"CLAUDE_ASSETS_{kind}_REQUESTS_PER_MINUTE") or 60)


def resources_from_env() -> dict:
    """The resources as the code location configures them from the environment."""
    base_url = dg.EnvVar("ANTHROPIC_BASE_URL") if os.environ.get("ANTHROPIC_BASE_URL") else DEFAULT_BASE_URL
    data_dir = dg.EnvVar("CLAUDE_ASSETS_DATA_DIR") if os.environ.get("CLAUDE_ASSETS_DATA_DIR") else DEFAULT_DATA_DIR
    return {
        "admin_api": AdminApiResource(
            api_key=_env(KeyKind.ADMIN.env_var), base_url=base_url, requests_per_minute=_pace("ADMIN")
        ),
        "analytics_api": AnalyticsApiResource(
            api_key=_env(KeyKind.ANALYTICS.env_var), base_url=base_url, requests_per_minute=_pace("ANALYTICS")
        ),
        "lake": LakeResource(base_dir=data_dir),
        "telemetry": TelemetryResource(base_dir=_env("CLAUDE_ASSETS_TELEMETRY_DIR") or DEFAULT_TELEMETRY_DIR),
        "notifier": Notifier(webhook_url=_env("CLAUDE_ASSETS_ALERT_WEBHOOK_URL"), ui_url=_env("CLAUDE_ASSETS_UI_URL")),
    }
