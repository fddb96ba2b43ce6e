"""Finding and reading the files an OpenTelemetry Collector's file exporter writes.

Any file in the folder that holds OTLP JSON lines is read, whatever a Collector named it
(`.jsonl`, `.ndjson`, `.log`, no extension, rotated names), gzipped or not (told by its first
bytes, not its name). A file that cannot be read (a corrupt `.gz`, a permission) is named and
counted, what it held before the damage is kept, and the other files are still read; a file that
is not OTLP at all (a README) is named and left alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import os
import zlib
from typing import Iterator

import fsspec

NANOS_PER_DAY = 86_400 * 10**9
QUOTED_BAD_LINES = 5


@dataclasses.dataclass
class BadLines:
    """Lines that are not valid OTLP/JSON: counted, and the first few quoted with file and line number."""

    bad_lines: int = 0
    bad_line_examples: list[str] = dataclasses.field(default_factory=list)

    def bad(self, where: str, error: str, line: bytes) -> None:
        self.bad_lines += 1
        if len(self.bad_line_examples) < QUOTED_BAD_LINES:
            self.bad_line_examples.append(f"{where}: {error}: {line.decode('utf-8', 'replace')[:120]!r}")


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


def read_lines(fs, path: str, report) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a file's non-empty lines, gunzipped if its first bytes say gzip.

    A file whose first line is not a JSON object is listed as not telemetry and not read; a file
    that breaks while being read is listed as unreadable, and the lines before the break stand.
    `report` counts `files` and lists `not_telemetry_files` and `unreadable_files`."""
    try:
        with fs.open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            handle = gzip.open(raw) if gzipped else raw
            first = True
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                if first:
                    first = False
                    if not line.lstrip().startswith(b"{"):
                        report.not_telemetry_files.append(path)
                        return
                    report.files += 1
                yield number, line
    except (OSError, EOFError, zlib.error) as exc:
        report.unreadable_files.append(f"{path}: {type(exc).__name__}: {exc}")
