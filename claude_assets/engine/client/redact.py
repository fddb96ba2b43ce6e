"""One redaction for every text that leaves the client: messages, quoted bodies, metadata, reprs, `check` output.

It removes every configured key (each key an `ApiKey` was made from, and the value of every variable that holds
a key: ANTHROPIC_ADMIN_API_KEY, ANTHROPIC_ANALYTICS_API_KEY and each organization's own), any `sk-ant-...`
token, and the credentials of a URL (`https://user:pass@host` -> `https://***@host`). A proxy that echoes the
request it refused, or a base URL with a password in it, then cannot put a secret in a log or in the lake.
"""

from __future__ import annotations

import os
import re
import threading

DEFAULT_KEY_VARIABLES = frozenset({"ANTHROPIC_ADMIN_API_KEY", "ANTHROPIC_ANALYTICS_API_KEY"})
KEY_VARIABLES = set(DEFAULT_KEY_VARIABLES)
HIDDEN = "[the key]"
MIN_SECRET_CHARS = 8  # shorter values are not keys, and hiding them would garble ordinary words
_TOKEN = re.compile(r"sk-ant-[A-Za-z0-9_-]+")
_PREFIX = re.compile(r"sk-ant-[a-z]{1,9}\d{0,2}-?")  # `sk-ant-admin01-` quoted in advice is not a key
_URL_CREDENTIALS = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^/\s'\"<>@]*(?:@[^/\s'\"<>@]*)*@")
_lock = threading.Lock()
_keys: set[str] = set()


def _cleaned(value: str | None) -> str:
    """A key as `ApiKey` keeps it: without the spaces and quotes a copy and paste adds."""
    return (value or "").strip().strip("'\"").strip()


def remember_key(value: str | None) -> None:
    """A key this process holds (from a variable or a resource's config): hidden from now on."""
    value = _cleaned(value)
    if len(value) >= MIN_SECRET_CHARS:
        with _lock:
            _keys.add(value)


def watch_variables(*names: str) -> None:
    """Variables that hold keys (an organization's own): their values are hidden wherever they appear."""
    with _lock:
        KEY_VARIABLES.update(names)


def forget_keys() -> None:
    """Forget the remembered keys and watched variables, as a new process starts (tests: so a test's key is hidden
    because its own code remembered it, not an earlier test's)."""
    with _lock:
        _keys.clear()
        KEY_VARIABLES.clear()
        KEY_VARIABLES.update(DEFAULT_KEY_VARIABLES)


def secrets() -> list[str]:
    """Every key value to hide, longest first, so a key containing another is hidden whole."""
    with _lock:
        values = set(_keys) | {_cleaned(os.environ.get(name)) for name in KEY_VARIABLES}
    return sorted((v for v in values if len(v) >= MIN_SECRET_CHARS), key=len, reverse=True)


def redact(text: str) -> str:
    """`text` without any configured key, `sk-ant-` token or URL credentials."""
    for secret in secrets():
        text = text.replace(secret, HIDDEN)
    text = _TOKEN.sub(lambda m: m[0] if _PREFIX.fullmatch(m[0]) else HIDDEN, text)
    return _URL_CREDENTIALS.sub(r"\1***@", text)
