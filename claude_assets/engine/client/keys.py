"""API keys as values that cannot leak by accident.

An `ApiKey` prints as its kind and a short hash, never its text: it is safe in reprs, logs,
exception messages and Dagster metadata. Only the HTTP client calls `reveal()`. Every key made into an
`ApiKey` is also remembered by `redact`, so an answer that echoes it never shows it.
"""

from __future__ import annotations

import enum
import hashlib

from claude_assets.engine.client.errors import MissingKeyError, WrongKeyKindError
from claude_assets.engine.client.redact import remember_key

ADMIN_KEY_PREFIX = "sk-ant-admin01-"


class KeyKind(str, enum.Enum):
    ADMIN = "admin"
    ANALYTICS = "analytics"

    @property
    def env_var(self) -> str:
        return {"admin": "ANTHROPIC_ADMIN_API_KEY", "analytics": "ANTHROPIC_ANALYTICS_API_KEY"}[self.value]

    @property
    def api_name(self) -> str:
        return {
            "admin": "the Admin API (Claude Code Analytics, Usage & Cost)",
            "analytics": "the Claude Enterprise Analytics API",
        }[self.value]


_WRONG_KIND = {
    KeyKind.ANALYTICS: (
        "The key given for the Claude Enterprise Analytics API starts with 'sk-ant-admin01-', so it is an "
        "Admin key. Admin keys only work for the Claude Code Analytics and Usage & Cost Admin APIs. Put it in "
        "ANTHROPIC_ADMIN_API_KEY, and set ANTHROPIC_ANALYTICS_API_KEY to a key the Primary Owner created at "
        "claude.ai -> Organization settings -> API (scope read:analytics)."
    ),
    KeyKind.ADMIN: (
        "The key given for the Admin API does not start with 'sk-ant-admin01-', so it is not an Admin key "
        "(a Claude Enterprise Analytics key or a workspace API key, for example). Admin and Analytics keys "
        "are not interchangeable. Create an Admin key in Claude Console -> Settings -> Admin keys and put it "
        "in ANTHROPIC_ADMIN_API_KEY; an Analytics key belongs in ANTHROPIC_ANALYTICS_API_KEY."
    ),
}


class ApiKey:
    """A stripped, kind-checked key whose text is only available through `reveal()`."""

    __slots__ = ("_value", "kind", "env_var")

    def __init__(self, raw: str | None, kind: KeyKind, env_var: str | None = None):
        env_var = env_var or kind.env_var
        value = (raw or "").strip().strip("'\"").strip()
        remember_key(value)
        if not value:
            raise MissingKeyError(
                f"No key is set for {kind.api_name}. Set {env_var} in the environment of the Dagster "
                "code location and run again."
            )
        if any(ch.isspace() for ch in value):
            raise MissingKeyError(
                f"The key in {env_var} has whitespace inside it, which a real key never has: it was "
                "probably copied with a line break. Copy it again as one line."
            )
        if value.startswith(ADMIN_KEY_PREFIX) != (kind is KeyKind.ADMIN):
            raise WrongKeyKindError(_WRONG_KIND[kind])
        self._value = value
        self.kind = kind
        self.env_var = env_var  # named in errors, so an organization's own variable is the one to fix

    @property
    def fingerprint(self) -> str:
        """A short, non-reversible id: tells keys apart in logs without showing them."""
        return hashlib.sha256(self._value.encode()).hexdigest()[:10]

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"ApiKey(kind={self.kind.value}, fingerprint={self.fingerprint})"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("ApiKey is not picklable, so it cannot be written anywhere by accident")
