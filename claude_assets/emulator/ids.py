"""Deterministic identifiers and random streams derived from the organization seed.

Every id the emulator hands out is a pure function of (seed, what it names), so two emulators
with the same seed agree byte for byte, and ids look like Anthropic's tagged ids
(`user_01` + 22 base62 characters) without ever colliding with real ones in spirit.
"""

from __future__ import annotations

import hashlib
import random
import struct
import uuid

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def digest(seed: int, *parts: object) -> bytes:
    """A 32-byte hash of the seed and any parts; the root of every derived value."""
    text = "\x1f".join(str(p) for p in (seed, *parts))
    return hashlib.blake2b(text.encode(), digest_size=32).digest()


def tagged_id(prefix: str, seed: int, *parts: object) -> str:
    """An id shaped like `user_01WCz1FkmYMm4gnmykNKUu3Q` (prefix, `01`, 22 base62 chars)."""
    n = int.from_bytes(digest(seed, prefix, *parts), "big")
    chars = []
    for _ in range(22):
        n, r = divmod(n, 62)
        chars.append(_BASE62[r])
    return f"{prefix}_01{''.join(chars)}"


def stable_uuid(seed: int, *parts: object) -> str:
    """A version-4-shaped UUID string (used for the Claude Code report's organization_id)."""
    return str(uuid.UUID(bytes=digest(seed, "uuid", *parts)[:16], version=4))


def rng(seed: int, *parts: object) -> random.Random:
    """An independent random stream for one named thing (a user, a user-day, an API key...)."""
    return random.Random(int.from_bytes(digest(seed, *parts), "big"))


def uniforms(seed_key: bytes, a: int, b: int) -> tuple[float, ...]:
    """Eight uniforms in [0, 1) for the pair (a, b), about 1 µs: cheap enough for presence scans."""
    raw = hashlib.blake2b(struct.pack("<qq", a, b), key=seed_key, digest_size=32).digest()
    return tuple(x / 4294967296.0 for x in struct.unpack("<8I", raw))
