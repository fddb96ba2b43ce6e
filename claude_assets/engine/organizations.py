"""Which Anthropic organizations this code location syncs, configured in one place.

By default it syncs one organization configured by environment variables (README), with asset
keys like `claude_code_usage`. To sync several, point `CLAUDE_ASSETS_ORGANIZATIONS` at a YAML
file (deploy/organizations.example.yaml): each organization gets its own keys (named by the
variables that hold them, never the keys themselves), lake, telemetry folder and rate budget,
and its assets are prefixed with its name (`acme/claude_code_usage`), its resources too
(`acme_admin_api`), and its API steps take its own pools (`anthropic_admin_api_acme`).
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from typing import Optional

import dagster as dg
import yaml

from claude_assets.engine.client import DEFAULT_BASE_URL, KeyKind
from claude_assets.engine.client.redact import redact, watch_variables
from claude_assets.engine.endpoint import Endpoint
from claude_assets.engine.telemetry.metrics import DEFAULT_IDENTITY_ATTRIBUTES

CONFIG_ENV_VAR = "CLAUDE_ASSETS_ORGANIZATIONS"
KEY_KINDS = tuple(kind.value for kind in KeyKind)
_OFF = ("0", "false", "no", "off")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class OrganizationsConfigError(ValueError):
    """The organizations file cannot be used; the message says which entry and what to change (redacted: it may
    quote a data_dir or base_url with credentials in it)."""

    def __init__(self, message: str):
        super().__init__(redact(message))


@dataclass(frozen=True)
class Organization:
    """One organization: where its keys, data and telemetry are, and how fast it may call each API."""

    name: str = "default"
    prefixed: bool = False  # the single organization of the default setup keeps plain names
    admin_key_env: str = "ANTHROPIC_ADMIN_API_KEY"
    analytics_key_env: str = "ANTHROPIC_ANALYTICS_API_KEY"
    data_dir: str = "./data"
    telemetry_dir: str = "./telemetry"
    base_url: str = DEFAULT_BASE_URL
    admin_requests_per_minute: float = 60.0
    analytics_requests_per_minute: float = 60.0
    # Which key speaks for the organization on the Usage and Cost Analytics API, which takes either:
    # "analytics" (Claude Enterprise) or "admin" (Claude Console). Unset: the Analytics key when its
    # variable is set, else the Admin key.
    usage_cost_key: Optional[str] = None
    legacy_usage_cost: bool = True  # also sync the six legacy usage and cost endpoints
    # The attributes naming the person behind clients that send no e-mail (API key, Bedrock, Vertex, Foundry),
    # set through OTEL_RESOURCE_ATTRIBUTES; tried after user.email and the account ids, before user.id.
    telemetry_identity_attributes: tuple[str, ...] = DEFAULT_IDENTITY_ATTRIBUTES
    telemetry_organization_id: Optional[str] = None  # keep only this organization.id's telemetry (default: all)

    def __post_init__(self) -> None:
        watch_variables(self.admin_key_env, self.analytics_key_env)  # their values are redacted wherever they appear
        if self.usage_cost_key not in (None, *KEY_KINDS):
            raise OrganizationsConfigError(
                f"Organization {self.name!r}: the Usage and Cost Analytics key is {self.usage_cost_key!r} "
                "(CLAUDE_ASSETS_USAGE_COST_KEY, or usage_cost_key in the organizations file); write analytics (a "
                "Claude Enterprise organization's Analytics key) or admin (a Claude Console organization's Admin key).")

    def key(self, asset: str) -> dg.AssetKey:
        return dg.AssetKey([self.name, asset] if self.prefixed else [asset])

    def op_name(self, name: str) -> str:
        return f"{self.name}__{name}" if self.prefixed else name

    def resource(self, base: str) -> str:
        """This organization's key for a resource (`lake`, `admin_api`, ...)."""
        return f"{self.name}_{base}" if self.prefixed else base

    def pool(self, kind: str) -> str:
        """The Dagster pool of the steps calling one API for this organization (deploy/dagster.yaml limits it)."""
        return f"anthropic_{kind}_api" + (f"_{self.name}" if self.prefixed else "")

    def key_env(self, kind: str) -> str:
        """The variable holding this organization's key of `kind` (`admin` or `analytics`)."""
        return self.admin_key_env if kind == "admin" else self.analytics_key_env

    def requests_per_minute(self, kind: str) -> float:
        return self.admin_requests_per_minute if kind == "admin" else self.analytics_requests_per_minute

    def syncs(self, endpoint: Endpoint) -> bool:
        """Whether this organization syncs the endpoint: all, or all but the legacy ones when it turned those off."""
        return self.legacy_usage_cost or not endpoint.legacy

    def key_kind(self, endpoint: Endpoint) -> str:
        """The key an endpoint is asked with: its own, or this organization's choice where either works."""
        return endpoint.key_kind.value if endpoint.key_kind else self.usage_cost_kind()

    def usage_cost_kind(self) -> str:
        """The kind of key (`admin` or `analytics`) the Usage and Cost Analytics API is asked with."""
        if self.usage_cost_key:
            return self.usage_cost_key
        if os.environ.get(self.admin_key_env) and not os.environ.get(self.analytics_key_env):
            return "admin"
        return "analytics"


DEFAULT = Organization()


def from_environment() -> Organization:
    """The single organization of the default setup, as the README's variables configure it."""
    env = os.environ
    return Organization(
        data_dir=env.get("CLAUDE_ASSETS_DATA_DIR") or DEFAULT.data_dir,
        telemetry_dir=env.get("CLAUDE_ASSETS_TELEMETRY_DIR") or DEFAULT.telemetry_dir,
        base_url=env.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL,
        admin_requests_per_minute=float(env.get("CLAUDE_ASSETS_ADMIN_REQUESTS_PER_MINUTE") or 60),
        analytics_requests_per_minute=float(env.get("CLAUDE_ASSETS_ANALYTICS_REQUESTS_PER_MINUTE") or 60),
        usage_cost_key=(env.get("CLAUDE_ASSETS_USAGE_COST_KEY") or "").strip().lower() or None,
        legacy_usage_cost=(env.get("CLAUDE_ASSETS_LEGACY_USAGE_COST") or "on").strip().lower() not in _OFF,
        telemetry_identity_attributes=_names(env.get("CLAUDE_ASSETS_TELEMETRY_IDENTITY_ATTRIBUTES"))
        or DEFAULT_IDENTITY_ATTRIBUTES,
        telemetry_organization_id=(env.get("CLAUDE_ASSETS_TELEMETRY_ORGANIZATION_ID") or "").strip() or None,
    )


def _names(value: Optional[str]) -> tuple[str, ...]:
    """`enduser.id, team.member` -> ("enduser.id", "team.member")."""
    return tuple(name.strip() for name in (value or "").split(",") if name.strip())


_FIELDS = {"admin_api_key_env": "admin_key_env", "analytics_api_key_env": "analytics_key_env",
           "data_dir": "data_dir", "telemetry_dir": "telemetry_dir", "base_url": "base_url",
           "admin_requests_per_minute": "admin_requests_per_minute",
           "analytics_requests_per_minute": "analytics_requests_per_minute", "usage_cost_key": "usage_cost_key",
           "legacy_usage_cost": "legacy_usage_cost", "telemetry_identity_attributes": "telemetry_identity_attributes",
           "telemetry_organization_id": "telemetry_organization_id"}


def parse(text: str, source: str = "the organizations file") -> list[Organization]:
    """Organizations from YAML text (`organizations: {name: {field: value}}`); errors name the entry."""
    document = yaml.safe_load(text) or {}
    entries = document.get("organizations") if isinstance(document, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise OrganizationsConfigError(f"{source} has no `organizations:` mapping of name -> settings.")
    organizations = []
    for name, settings in entries.items():
        where = f"{source}, organization {name!r}"
        if not isinstance(name, str) or not _NAME.match(name):
            raise OrganizationsConfigError(
                f"{where}: a name is lower-case letters, digits and _, starting with a letter (it prefixes asset keys).")
        settings = settings or {}
        unknown = sorted(set(settings) - set(_FIELDS))
        if unknown:
            raise OrganizationsConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(_FIELDS)}.")
        if "data_dir" not in settings:
            raise OrganizationsConfigError(f"{where}: set `data_dir`, its own lake folder or s3:// prefix.")
        for field in ("admin_api_key_env", "analytics_api_key_env"):
            if str(settings.get(field, "")).startswith("sk-ant-"):
                raise OrganizationsConfigError(
                    f"{where}: `{field}` holds a key. Put the key in an environment variable and write that "
                    "variable's name here, so the key never sits in a file.")
        if not isinstance(settings.get("legacy_usage_cost", True), bool):
            raise OrganizationsConfigError(f"{where}: legacy_usage_cost is true or false.")
        values = {_FIELDS[k]: v for k, v in settings.items()}
        if "telemetry_identity_attributes" in values:
            names = values["telemetry_identity_attributes"]
            values["telemetry_identity_attributes"] = _names(names) if isinstance(names, str) else tuple(names)
        values.setdefault("admin_key_env", f"{name.upper()}_ANTHROPIC_ADMIN_API_KEY")
        values.setdefault("analytics_key_env", f"{name.upper()}_ANTHROPIC_ANALYTICS_API_KEY")
        values.setdefault("telemetry_dir", f"{DEFAULT.telemetry_dir}/{name}")
        values.setdefault("base_url", os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL)
        organizations.append(Organization(name=name, prefixed=True, **values))
    _no_shared_lake(organizations, source)
    return organizations


def _no_shared_lake(organizations: list[Organization], source: str) -> None:
    lakes = [_location(o.data_dir) for o in organizations]
    for org, lake in zip(organizations, lakes):
        for other, other_lake in zip(organizations, lakes):
            if org is not other and (lake == other_lake or lake.startswith(other_lake.rstrip("/") + "/")):
                raise OrganizationsConfigError(
                    f"{source}: {org.name} ({org.data_dir}) and {other.name} ({other.data_dir}) would share the lake "
                    f"{other_lake}; give each its own data_dir.")


def _location(data_dir: str) -> str:
    """One spelling per place: `x/shared`, `x/./shared/` and `x//shared` are one folder, as are the same for a URL."""
    if "://" not in data_dir:
        return os.path.normpath(os.path.abspath(os.path.expanduser(data_dir)))
    scheme, rest = data_dir.split("://", 1)
    where, _, path = rest.partition("/")
    path = posixpath.normpath("/" + path).lstrip("/")
    return f"{scheme.lower()}://{where}" + (f"/{path}" if path not in ("", ".") else "")


def named(names: Optional[list[str]]) -> list[Organization]:
    """The configured organizations called `names` (all of them when no names are given)."""
    orgs = configured()
    unknown = sorted(set(names or []) - {o.name for o in orgs})
    if unknown:
        known = ", ".join(o.name for o in orgs if o.prefixed) or f"none: {CONFIG_ENV_VAR} is not set"
        raise OrganizationsConfigError(f"Unknown organization(s) {', '.join(unknown)}; configured: {known}.")
    return [o for o in orgs if not names or o.name in names]


def configured(path: Optional[str] = None) -> list[Organization]:
    """The organizations this code location syncs: the file named by CLAUDE_ASSETS_ORGANIZATIONS, or one from the environment."""
    path = path or os.environ.get(CONFIG_ENV_VAR)
    if not path:
        return [from_environment()]
    try:
        with open(path) as f:
            text = f.read()
    except OSError as error:
        raise OrganizationsConfigError(
            f"{CONFIG_ENV_VAR} names {path}, which cannot be read ({error.strerror}); fix the path or unset it "
            "to sync the one organization of ANTHROPIC_ADMIN_API_KEY / ANTHROPIC_ANALYTICS_API_KEY.") from None
    return parse(text, path)
