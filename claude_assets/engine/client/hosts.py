"""The hosts a key may be sent to, fixed by the deployment's settings and never by a run.

Anthropic's API host, this machine (the emulator, any port), and the host of ANTHROPIC_BASE_URL or of an
organization's `base_url` in the file CLAUDE_ASSETS_ORGANIZATIONS names. Anything else is refused before a
request is made, so a base URL slipped in through a run's config cannot carry a key away.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from claude_assets.engine.client.errors import HostNotAllowedError

ANTHROPIC_HOST = "api.anthropic.com"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts() -> set[str]:
    """The hosts the deployment's settings name (besides loopback, which is always allowed)."""
    from claude_assets.engine import organizations  # it imports the client: only needed when a client is made

    urls = [os.environ.get("ANTHROPIC_BASE_URL") or ""]
    if os.environ.get(organizations.CONFIG_ENV_VAR):
        try:
            urls += [org.base_url for org in organizations.configured()]
        except organizations.OrganizationsConfigError:
            pass  # the code location reports the file's error itself; its hosts are not allowed meanwhile
    return {ANTHROPIC_HOST} | {(urlsplit(url).hostname or "").lower() for url in urls} - {""}


def check_host(base_url: str) -> str:
    """`base_url` when a key may go to its host; else the refusal, in one line."""
    host = (urlsplit(base_url).hostname or "").lower()
    if is_loopback(host) or host in allowed_hosts():
        return base_url
    raise HostNotAllowedError(
        f"Refusing to send a key to {host or base_url}: host not allowed. Keys go only to {ANTHROPIC_HOST}, this "
        "machine, or the host of ANTHROPIC_BASE_URL or an organization's base_url in the CLAUDE_ASSETS_ORGANIZATIONS "
        "file; if this host is yours (a proxy), name it there."
    )
