"""Anthropic's standard error body and the status -> `error.type` mapping (reference §0)."""

from __future__ import annotations

import secrets

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    410: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
    504: "api_error",
    529: "overloaded_error",
}
DEFAULT_MESSAGES = {
    500: "An internal error occurred while serving this request. Retry with exponential backoff.",
    503: "The service is temporarily unavailable. Retry with exponential backoff.",
    504: "The request timed out. Retry with exponential backoff.",
    529: "The API is temporarily overloaded. Retry with exponential backoff.",
    429: "Rate limit exceeded for this organization. Wait for the time in the retry-after header, "
         "or back off exponentially when there is none, then retry.",
}
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class ApiError(Exception):
    """Raised by handlers; the server turns it into the standard error response."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def new_request_id() -> str:
    """`req_011C...` with 24 characters after the prefix, like Anthropic's."""
    return "req_011C" + "".join(secrets.choice(_BASE58) for _ in range(20))


def error_body(status: int, message: str, request_id: str) -> dict:
    return {
        "type": "error",
        "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message},
        "request_id": request_id,
    }


def invalid(message: str) -> ApiError:
    return ApiError(400, message)
