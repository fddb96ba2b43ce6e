"""Dagster resources: the two API keys, the lake, the telemetry folder and the notifier.

Each organization (engine/organizations.py) has its own four. Keys come from `EnvVar`s, so the Dagster
UI shows the variable's name and never its value. A key that is not set at all is left empty here, so the asset that needs it fails with our own message
(which variable, which key, where to create it) and assets that do not need it still run.

Where a key is sent and which variable it is read from are deployment settings: a run's config (the launchpad,
`dg launch --config-json`) that sets them is refused before any request, so whoever may launch a run cannot
send a key, or any other variable's value, to a host of their choice.
"""

from __future__ import annotations

import os
from typing import Optional

import dagster as dg
from pydantic import Field, PrivateAttr

from claude_assets.defs.alerts import Notifier
from claude_assets.engine.client import DEFAULT_BASE_URL, ApiClient, ApiKey, KeyKind
from claude_assets.engine.client.errors import RunConfigOverrideError
from claude_assets.engine.client.http import DEADLINE_S, MAX_ANSWER_MB
from claude_assets.engine.lake import Lake
from claude_assets.engine.organizations import DEFAULT, Organization

DEPLOYMENT_FIELDS = ("api_key", "base_url", "key_env_var", "organization")  # never from a run's config


class _AnthropicApi(dg.ConfigurableResource):
    api_key: Optional[str] = None
    base_url: str = DEFAULT_BASE_URL
    requests_per_minute: float = Field(
        default=60.0,
        description="Client-side pace shared by every request of this organization and key kind; 0 turns it off. "
        "The Enterprise Analytics API allows 60 a minute unless your account team raised it.",
    )
    key_env_var: Optional[str] = Field(default=None, description="The variable the key comes from, named in errors.")
    organization: Optional[str] = Field(
        default=None, description="A name for the organization: clients with the same name share one rate budget."
    )
    max_retries: int = 8
    timeout_s: float = 60.0
    deadline_s: float = Field(default=DEADLINE_S, description="The most one request may take (connect, headers and "
                              "body together); an answer still arriving then is cut off and retried.")
    max_answer_mb: float = Field(default=MAX_ANSWER_MB, description="The largest answer read (decoded); a larger one "
                                 "is refused.")

    _kind: KeyKind = PrivateAttr()
    _client: Optional[ApiClient] = PrivateAttr(default=None)

    def get_client(self) -> ApiClient:
        """The resource's client; the key is checked (present, right kind) before any request."""
        if self._client is None:
            self._client = ApiClient(
                ApiKey(self.api_key, self._kind, self.key_env_var),
                self.base_url,
                requests_per_minute=self.requests_per_minute,
                organization=self.organization,
                max_retries=self.max_retries,
                timeout_s=self.timeout_s,
                deadline_s=self.deadline_s,
                max_answer_mb=self.max_answer_mb,
            )
        return self._client

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Refuse a run whose config sets the host or a key's source of any API resource, before any step asks."""
        run = context.run
        resources = (run.run_config or {}).get("resources") if run is not None else None
        for name, entry in (resources or {}).items():
            config = entry.get("config") if isinstance(entry, dict) else None
            field = next((f for f in DEPLOYMENT_FIELDS if isinstance(config, dict) and f in config), None)
            if field:
                raise RunConfigOverrideError(
                    f"This run's config sets `{field}` of the resource {name}: a run's config may not set the API host "
                    "or where a key comes from. Set the host with ANTHROPIC_BASE_URL (or base_url in the organizations "
                    "file) and the keys in ANTHROPIC_ADMIN_API_KEY / ANTHROPIC_ANALYTICS_API_KEY (or the organization's "
                    "*_api_key_env), then launch again without it."
                )

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

    base_dir: str = DEFAULT.data_dir

    def get_lake(self) -> Lake:
        return Lake(self.base_dir)


class TelemetryResource(dg.ConfigurableResource):
    """Where an OpenTelemetry Collector's file exporter writes Claude Code metrics (folder or fsspec URL)."""

    base_dir: str = DEFAULT.telemetry_dir


def _env(name: str):
    """An `EnvVar` when the variable is set, so the UI shows its name; None when it is not."""
    return dg.EnvVar(name) if os.environ.get(name) else None


def organization_resources(org: Organization) -> dict:
    """One organization's resources, under its resource keys (`lake`, or `acme_lake` when there are several)."""
    # ANTHROPIC_BASE_URL as an `EnvVar` too: credentials in it must not show in the UI or the stored job snapshot
    from_env = org.base_url == os.environ.get("ANTHROPIC_BASE_URL")

    def api(resource: type[_AnthropicApi], kind: str) -> _AnthropicApi:
        return resource(api_key=_env(org.key_env(kind)), key_env_var=org.key_env(kind),
                        base_url=dg.EnvVar("ANTHROPIC_BASE_URL") if from_env else org.base_url,
                        organization=org.name, requests_per_minute=org.requests_per_minute(kind))

    return {
        org.resource("admin_api"): api(AdminApiResource, "admin"),
        org.resource("analytics_api"): api(AnalyticsApiResource, "analytics"),
        org.resource("lake"): LakeResource(base_dir=org.data_dir),
        org.resource("telemetry"): TelemetryResource(base_dir=org.telemetry_dir),
    }


def resources_from_env(organizations: list[Organization]) -> dict:
    """The resources of every organization, and the notifier they share."""
    resources = {"notifier": Notifier(webhook_url=_env("CLAUDE_ASSETS_ALERT_WEBHOOK_URL"), ui_url=_env("CLAUDE_ASSETS_UI_URL"))}
    for org in organizations:
        resources.update(organization_resources(org))
    return resources
