"""HTTP access to the Anthropic analytics APIs: keys, rate limiting, retries, pagination, errors."""

from claude_assets.engine.client.errors import (
    ApiError,
    ClaudeAssetsError,
    ConfigurationError,
    CursorExpiredError,
    DayNotAvailableError,
    InsecureBaseUrlError,
    InvalidRequestError,
    KeyRejectedError,
    MalformedResponseError,
    MissingKeyError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    WrongKeyKindError,
)
from claude_assets.engine.client.http import (
    DEFAULT_BASE_URL,
    USER_AGENT,
    ApiClient,
    FetchResult,
    Pagination,
    RequestStats,
)
from claude_assets.engine.client.keys import ADMIN_KEY_PREFIX, ApiKey, KeyKind
from claude_assets.engine.client.ratelimit import RateLimiter, shared_limiter

__all__ = [
    "ADMIN_KEY_PREFIX",
    "ApiClient",
    "ApiError",
    "ApiKey",
    "ClaudeAssetsError",
    "ConfigurationError",
    "CursorExpiredError",
    "DEFAULT_BASE_URL",
    "DayNotAvailableError",
    "FetchResult",
    "InsecureBaseUrlError",
    "InvalidRequestError",
    "KeyKind",
    "KeyRejectedError",
    "MalformedResponseError",
    "MissingKeyError",
    "Pagination",
    "PermissionDeniedError",
    "RateLimitedError",
    "RateLimiter",
    "RequestStats",
    "ServerError",
    "TransportError",
    "USER_AGENT",
    "WrongKeyKindError",
    "shared_limiter",
]
