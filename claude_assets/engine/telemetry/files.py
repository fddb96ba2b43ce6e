"""Finding and reading the files an OpenTelemetry Collector's file exporter writes.

Any file in the folder that holds OTLP JSON lines is read, whatever a Collector named it
(`.jsonl`, `.ndjson`, `.log`, no extension, rotated names), gzipped or not (told by its first
bytes, not its name). A file that cannot be read (a corrupt `.gz`, a permission) is named and
counted, what it held before the damage is kept, and the other files are still read; a file that
is not OTLP at all (a README) is named and left alone.

What a file may cost is bounded by `Limits` (environment settings, read in `Limits.from_environment`):
a line longer than the longest allowed is skipped and counted without ever being held whole, a
file that expands past its limit (a gzip bomb) is read up to the limit and named, and anything
that is not a regular file (a FIFO, a socket, a device) is named and never opened. Numbers and
times are checked where they are read (`whole`, `amount`, `nanos`): a NaN, an Infinity, a number
no column can hold or a time outside 1970 to 9999-12-30 is a `BadValue`, counted, never stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import math
import os
import re
import stat
import zlib
from typing import Any, Iterator

import fsspec
from fsspec.implementations.local import LocalFileSystem

from claude_assets.engine.client.errors import ConfigurationError

NANOS_PER_DAY = 86_400 * 10**9
QUOTED_BAD_LINES = 5
QUOTED_CHARACTERS = 120
MAX_NANOS = (dt.date(9999, 12, 31) - dt.date(1970, 1, 1)).days * NANOS_PER_DAY  # a time any day column can hold
INT64 = 2**63
_WHOLE = re.compile(r"\s*-?\d{1,40}\s*")
CHUNK_BYTES = 1 << 20  # files are read this much at a time, so a line's length never decides what is held
MIB, GIB = 2**20, 2**30


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one read of the telemetry folder may cost; each is a setting with a default."""

    max_line_bytes: int = 16 * MIB  # a longer line is skipped and counted
    max_file_bytes: int = 4 * GIB  # a file (gunzipped) is read up to this many bytes and named
    max_spool_bytes: int = 8 * GIB  # the local spool of a run's lines stops here, named in the metadata

    SETTINGS = {"max_line_bytes": "CLAUDE_ASSETS_TELEMETRY_MAX_LINE_BYTES",
                "max_file_bytes": "CLAUDE_ASSETS_TELEMETRY_MAX_FILE_BYTES",
                "max_spool_bytes": "CLAUDE_ASSETS_TELEMETRY_MAX_SPOOL_BYTES"}

    @classmethod
    def from_environment(cls) -> Limits:
        """The limits the environment sets, the defaults for the others."""
        values = {}
        for field, name in cls.SETTINGS.items():
            value = os.environ.get(name, "").strip()
            if not value:
                continue
            if not value.isdigit() or not 1024 <= int(value) <= (2**32 - 1 if field == "max_line_bytes" else 2**50):
                raise ConfigurationError(f"{name}={value!r}: write a number of bytes, at least 1024 (and, for a line, "
                                         f"under 4 GiB); the default is {getattr(cls, field)}.")
            values[field] = int(value)
        return cls(**values)


class BadValue(ValueError):
    """A number or time that cannot be what it claims (NaN, Infinity, out of range, not a number)."""


def whole(value: Any, what: str, low: int = 0, high: int = INT64) -> int:
    """An integer as OTLP JSON writes one (a number, or a string for 64-bit fields) in [low, high)."""
    if isinstance(value, str) and _WHOLE.fullmatch(value):
        value = int(value)
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadValue(f"{what} is not a whole number: {_shown(value)}")
    if not low <= value < high:
        raise BadValue(f"{what} {_shown(value)} is out of range")
    return value


def amount(value: Any, what: str, high: float = INT64) -> float:
    """A finite number (a double, or a numeric string as some clients send them) in [0, high)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise BadValue(f"{what} is not a number: {_shown(value)}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadValue(f"{what} is not a number: {_shown(value)}")
    if not (isinstance(value, int) or math.isfinite(value)) or not 0 <= value < high:
        raise BadValue(f"{what} {_shown(value)} is not a finite amount in range")
    return float(value)


def _shown(value: Any) -> str:
    """A value as a message quotes it: never longer than a line."""
    shown = repr(value) if isinstance(value, str) else str(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def nanos(value: Any, what: str = "timeUnixNano") -> int:
    """A time in Unix nanoseconds from 1970 to 9999-12-30 (the last day any date column can follow)."""
    return whole(value, what, 0, MAX_NANOS)


@dataclasses.dataclass
class BadLines:
    """Lines that are not valid OTLP/JSON: counted, and the first few quoted with file and line number."""

    bad_lines: int = 0
    bad_line_examples: list[str] = dataclasses.field(default_factory=list)

    def bad(self, where: str, error: str, line: bytes) -> None:
        self.bad_lines += 1
        if len(self.bad_line_examples) < QUOTED_BAD_LINES:
            quoted = line[:QUOTED_CHARACTERS * 4].decode("utf-8", "replace")[:QUOTED_CHARACTERS]
            self.bad_line_examples.append(f"{where}: {error}: {quoted!r}")


def day_of(time_unix_nano: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=time_unix_nano // NANOS_PER_DAY)


def open_telemetry_dir(url: str):
    """(filesystem, root) for a local folder or an fsspec URL."""
    fs, root = fsspec.core.url_to_fs(url)
    return fs, root.rstrip("/")


def telemetry_files(fs, root: str, since: dt.datetime | None, now: dt.datetime | None = None) -> list[str]:
    """Exporter files under `root`; with `since`, only those written to at or after it.

    File times come from the clock of whatever wrote the folder (a Collector on another host, a
    shared mount), not ours. So `since` is moved back by how far the newest file lags our `now`: a
    writer whose clock is behind ours never has a file skipped, and the filter never skips more
    than a plain comparison would.
    """
    paths = sorted(p for p in fs.find(root) if not os.path.basename(p).startswith("."))
    if since is None:
        return paths
    modified = {path: _modified(fs, path) for path in paths}
    known = [m for m in modified.values() if m is not None]
    if known:
        now = now or dt.datetime.now(dt.timezone.utc)
        since -= max(dt.timedelta(0), now - max(known))
    return [path for path in paths if modified[path] is None or modified[path] >= since]


def _modified(fs, path: str) -> dt.datetime | None:
    try:
        modified = fs.modified(path)
    except (NotImplementedError, FileNotFoundError, OSError):
        return None
    return modified.replace(tzinfo=dt.timezone.utc) if modified.tzinfo is None else modified


def _not_regular(fs, path: str) -> str | None:
    """What `path` is when it is not a regular file (a FIFO would hang the read that opens it), else None."""
    try:
        if isinstance(fs, LocalFileSystem):
            mode = os.stat(path).st_mode  # follows a symlink to whatever it points at
            if stat.S_ISREG(mode):
                return None
            kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                     (stat.S_ISBLK, "a device"), (stat.S_ISDIR, "a folder"))
            return next((kind for test, kind in kinds if test(mode)), "not a regular file")
        kind = fs.info(path).get("type")
        return None if kind == "file" else f"of type {kind!r}"
    except OSError:
        return None  # gone or unreadable: opening it says which, as for any file


def _lines(handle, limits: Limits) -> Iterator[tuple[bytes, int | None]]:
    """(line, None) for each line, or (its first bytes, its length) for one longer than `limits.max_line_bytes`.

    Read `CHUNK_BYTES` at a time; a long line is dropped as it is read, never held whole. Stops
    with `_TooLarge` once the file gives more than `limits.max_file_bytes`; a line cut there is dropped."""
    parts: list[bytes] = []
    size, total, long = 0, 0, False
    while True:
        chunk = handle.read(min(CHUNK_BYTES, limits.max_file_bytes + 1 - total))
        if not chunk:
            break
        total += len(chunk)
        over = total > limits.max_file_bytes
        if over:
            chunk = chunk[: len(chunk) - (total - limits.max_file_bytes)]
        *ends, rest = chunk.split(b"\n")
        for piece in ends:
            if long or size + len(piece) > limits.max_line_bytes:
                yield (b"".join(parts) + piece)[:QUOTED_CHARACTERS * 4], size + len(piece)
            else:
                yield b"".join(parts) + piece + b"\n", None
            parts, size, long = [], 0, False
        if long or size + len(rest) > limits.max_line_bytes:
            if not long:
                parts, long = [(b"".join(parts) + rest)[:QUOTED_CHARACTERS * 4]], True
            size += len(rest)
        elif rest:
            parts.append(rest)
            size += len(rest)
        if over:
            raise _TooLarge
    if size:
        yield (parts[0], size) if long else (b"".join(parts), None)


class _TooLarge(Exception):
    """The file gave more bytes than it may."""


def read_lines(fs, path: str, report, limits: Limits) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a file's non-empty lines, gunzipped if its first bytes say gzip.

    A file whose first line is not a JSON object is listed as not telemetry and not read; a file
    that breaks while being read is listed as unreadable, and the lines before the break stand.
    A line longer than the limit is counted as a bad line and skipped; a file that expands past its
    limit is listed as too large, and the lines before the limit stand; what is not a regular file
    is listed as skipped and never opened. `report` counts `files` and `bad_lines`, and lists
    `not_telemetry_files`, `unreadable_files`, `too_large_files` and `skipped_files`."""
    kind = _not_regular(fs, path)
    if kind:
        report.skipped_files.append(f"{path}: {kind}, not a regular file: never opened")
        return
    try:
        with fs.open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            handle = gzip.open(raw) if gzipped else raw
            first = True
            for number, (line, length) in enumerate(_lines(handle, limits), 1):
                if length is None and not line.strip():
                    continue
                if first:
                    first = False
                    if not line.lstrip().startswith(b"{"):
                        report.not_telemetry_files.append(path)
                        return
                    report.files += 1
                if length is not None:
                    report.lines += 1
                    report.bytes += length
                    report.bad(f"{path}:{number}", f"a line of {length} bytes, longer than the "
                               f"{limits.max_line_bytes} CLAUDE_ASSETS_TELEMETRY_MAX_LINE_BYTES allows", line)
                    continue
                yield number, line
    except _TooLarge:
        report.too_large_files.append(f"{path}: expands past {limits.max_file_bytes} bytes "
                                      "(CLAUDE_ASSETS_TELEMETRY_MAX_FILE_BYTES); read up to there")
    except (OSError, EOFError, zlib.error) as exc:
        report.unreadable_files.append(f"{path}: {type(exc).__name__}: {exc}")
