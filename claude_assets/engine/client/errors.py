"""Exceptions whose messages say what happened and what to do next.

Every message is written for the person reading a failed Dagster run: the cause first, then the
fix. None of them ever contains an API key: the client never passes one in, and every message (and every
piece of an answer an error keeps) passes `redact`, should the answer quoted in it echo one.
"""

from __future__ import annotations

import datetime as dt

from claude_assets.engine.client.redact import redact

ANALYTICS_KEY_CHECKS = (
    "Check, in order:\n"
    "  1. API access is on: the Primary Owner opens claude.ai -> Organization settings -> API "
    "(older UI: claude.ai/analytics/api-keys) and turns the Access toggle on.\n"
    "  2. The key is copied whole: no spaces, quotes or line breaks around or inside it.\n"
    "  3. The key was created by a Primary Owner of the organization you mean, has the "
    "read:analytics scope and has not been revoked.\n"
    "Then set ANTHROPIC_ANALYTICS_API_KEY to the key and run again."
)

ADMIN_KEY_CHECKS = (
    "Check, in order:\n"
    "  1. It is an Admin key (it starts with sk-ant-admin01-), created by an organization admin "
    "in Claude Console -> Settings -> Admin keys; workspace API keys are rejected.\n"
    "  2. The key is copied whole: no spaces, quotes or line breaks around or inside it.\n"
    "  3. The key belongs to the organization you mean and has not been revoked.\n"
    "Then set ANTHROPIC_ADMIN_API_KEY to the key and run again."
)


class ClaudeAssetsError(Exception):
    """Base class: anything this project raises on purpose. Its message is redacted here, once for all."""

    def __init__(self, *args):
        super().__init__(*(redact(arg) if isinstance(arg, str) else arg for arg in args))


class ConfigurationError(ClaudeAssetsError):
    """A setting is missing or wrong; caught before any request is sent."""


class MissingKeyError(ConfigurationError):
    pass


class WrongKeyKindError(ConfigurationError):
    pass


class InsecureBaseUrlError(ConfigurationError):
    pass


class HostNotAllowedError(ConfigurationError):
    """The base URL names a host no deployment setting names: the key is not sent there."""


class RunConfigOverrideError(ConfigurationError):
    """A run's config sets an API resource's host or the source of its key."""


class LakeNotWritableError(ConfigurationError):
    """The lake cannot be written (read-only, missing permission): found before any request is sent."""


class ApiError(ClaudeAssetsError):
    """The API answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        request_id: str | None = None,
        path: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.error_type = redact(error_type) if error_type else error_type  # read from the answer, as is the id
        self.request_id = redact(request_id) if request_id else request_id
        self.path = path


class KeyRejectedError(ApiError):
    """The key was refused (401, or 404 on the Enterprise engagement endpoints)."""


class PermissionDeniedError(ApiError):
    """403: the key is valid but may not read this endpoint (scope or plan)."""


class DayNotAvailableError(ApiError):
    """The API refuses a day: not yet aggregated, in the future, or outside its history window."""

    def __init__(self, message: str, *, day: dt.date, latest_available: dt.date | None, reason: str, **kw):
        super().__init__(message, **kw)
        self.day = day
        self.latest_available = latest_available
        self.reason = redact(reason)  # one line for the run log: what the API said, and the newest day if known


class InvalidRequestError(ApiError):
    """400 for anything but an unavailable day: a bug in a request, reported with the API's words."""


class CursorExpiredError(ApiError):
    """410, or a 400 about a cursor: the listing must restart from page 1."""


class RateLimitedError(ApiError):
    """429 kept coming after every retry."""


class ServerError(ApiError):
    """5xx kept coming after every retry."""


class TransportError(ClaudeAssetsError):
    """The connection failed, timed out or was cut off, after every retry."""


class UnreachableHostError(TransportError):
    """The API host refused the connection or its name does not resolve: raised at once, without retries."""


class MalformedResponseError(ClaudeAssetsError):
    """A 200 whose body is not JSON, or not the documented shape."""
