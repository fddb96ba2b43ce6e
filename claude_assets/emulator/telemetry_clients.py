"""Who a Claude Code installation says it is: its fixed traits and the identity attributes it puts
on every data point and event (facts §1.2), so a reader's attribution can be checked exactly.

Signed-in clients (the report's `user_actor` rows) send `user.id`, `organization.id`,
`user.email`, `user.account_uuid` and `user.account_id`. With `realistic`, a share of them send
the account ids without the e-mail (SDK callers that pass only account info, 2.1.51), and the
report's `api_actor` rows get clients too: API-key clients send only `user.id` (random per
install; CI runners install afresh every day) and `session.id`, and some keys add
`enduser.id=<e-mail>` through OTEL_RESOURCE_ATTRIBUTES as Anthropic advises, which reaches the
resource and, from 2.1.161 on, every point and event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from . import ids

if TYPE_CHECKING:
    from .org import SyntheticOrg
    from .people import ApiKey, User

MIXED_CASE_SHARE = 0.3  # users whose client sends their email as typed, in mixed case
NO_EMAIL_SHARE = 0.15  # realistic: signed-in clients that send account ids but no e-mail
AGENTS_VIEW_SHARE = 0.3  # realistic: users who open the `claude agents` dashboard now and then
RESOURCE_ATTRIBUTES_ON_POINTS = (2, 1, 161)
LANGUAGES = ("TypeScript", "Python", "Go", "Rust", "Java", "Markdown", "YAML", "unknown")
LANGUAGE_WEIGHTS = (30, 30, 10, 6, 8, 8, 5, 3)
HOSTS = (  # os.type, host.arch, os.version, weight
    ("darwin", "arm64", "24.6.0", 55), ("darwin", "amd64", "23.6.0", 10),
    ("linux", "amd64", "6.8.0-60-generic", 22), ("linux", "arm64", "6.11.0-1012-aws", 5),
    ("windows", "amd64", "10.0.26100", 8),
)
REMOTE_HOST = ("linux", "amd64", "6.8.0-60-generic")


def attrs(*pairs: tuple[str, str]) -> str:
    """OTLP/JSON string attributes, each preceded by a comma."""
    return "".join(f',{{"key":"{k}","value":{{"stringValue":{json.dumps(v)}}}}}' for k, v in pairs)


@dataclass(slots=True)
class Client:
    """The fixed traits of one Claude Code installation (a member's, or an API key's)."""

    seed_key: int | str  # the user's index (the random streams of the default output) or "key:<name>"
    member_email: str | None  # the member's lowercased e-mail (`TelemetryTruth.totals`); None for a key
    email: str | None  # `user.email` as the client sends it; None when it sends none
    account_uuid: str | None
    account_id: str | None
    host: tuple[str, str, str]
    install_id: str
    languages: tuple[str, ...]
    update_lag: int  # days between a release and this client running it
    enabled_on: date  # first day with telemetry
    enduser: str | None = None  # `enduser.id` set through OTEL_RESOURCE_ATTRIBUTES
    agents_view: bool = False  # opens the `claude agents` dashboard on some days

    def install(self, day: date) -> str:
        """`user.id`: fixed for a member's machine, new every day on a key's CI runner."""
        return self.install_id if self.account_id else ids.digest(0, self.install_id, day.toordinal()).hex()

    def identity(self, day: date) -> tuple[str, str]:
        """(kind, value) a reader should attribute this client's points to, best first."""
        if self.email:
            return "email", self.email.lower()
        if self.account_id:
            return "account_id", self.account_id
        if self.enduser:
            return "enduser.id", self.enduser
        return "user.id", self.install(day)

    def standard(self, day: date, session_id: str, org_uuid: str, terminal: str,
                 version: tuple[int, int, int]) -> str:
        """The standard attributes of a point or event, without the leading comma."""
        pairs = [("user.id", self.install(day)), ("session.id", session_id)]
        if self.account_id:
            pairs.append(("organization.id", org_uuid))
            if self.email:
                pairs.append(("user.email", self.email))
            pairs += [("user.account_uuid", self.account_uuid), ("user.account_id", self.account_id)]
        pairs.append(("terminal.type", terminal))
        if self.enduser and version >= RESOURCE_ATTRIBUTES_ON_POINTS:
            pairs.append(("enduser.id", self.enduser))
        return attrs(*pairs)[1:]

    def resource(self, version_text: str, remote: bool) -> str:
        os_type, arch, os_version = REMOTE_HOST if remote else self.host
        pairs = [("service.name", "claude-code"), ("service.version", version_text), ("os.type", os_type),
                 ("os.version", os_version), ("host.arch", arch)]
        if self.enduser:
            pairs.append(("enduser.id", self.enduser))
        return '{"attributes":[' + attrs(*pairs)[1:] + "]}"


def user_client(org: SyntheticOrg, user: User, realistic: bool) -> Client:
    r = ids.rng(org.seed, "telemetry-client", user.index)
    host = r.choices([h[:3] for h in HOSTS], [h[3] for h in HOSTS])[0]
    email = _mixed_case(user.email) if r.random() < MIXED_CASE_SHARE else user.email
    client = Client(
        seed_key=user.index, member_email=user.email.lower(), email=email,
        account_uuid=ids.stable_uuid(org.seed, "account", user.index), account_id=user.id, host=host,
        install_id=ids.digest(org.seed, "install", user.index).hex(),
        languages=tuple(dict.fromkeys(r.choices(LANGUAGES, LANGUAGE_WEIGHTS, k=3))),
        update_lag=r.randrange(0, 15), enabled_on=user.telemetry_enabled_on,
    )
    if realistic:
        real = ids.rng(org.seed, "telemetry-client-real", user.index)
        client.email = None if real.random() < NO_EMAIL_SHARE else email
        client.agents_view = real.random() < AGENTS_VIEW_SHARE
    return client


def key_client(org: SyntheticOrg, key: ApiKey, position: int) -> Client:
    """An API key's Claude Code: every other key has `enduser.id` set to a team mailbox."""
    r = ids.rng(org.seed, "telemetry-key-client", key.name)
    domain = org.users[0].email.split("@", 1)[1]
    return Client(
        seed_key=f"key:{key.name}", member_email=None, email=None, account_uuid=None, account_id=None,
        host=REMOTE_HOST, install_id=ids.digest(org.seed, "install", key.name).hex(),
        languages=tuple(dict.fromkeys(r.choices(LANGUAGES, LANGUAGE_WEIGHTS, k=2))), update_lag=0,
        enabled_on=date.min, enduser=f"{key.name}@{domain}" if position % 2 == 0 else None,
    )


def _mixed_case(email: str) -> str:
    local, domain = email.split("@", 1)
    return ".".join(p.capitalize() for p in local.split(".")) + "@" + domain.capitalize()
