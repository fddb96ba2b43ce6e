"""The file a Collector's file exporter writes: size rotation, or truncation when it restarts.

With a `rotation:` key the exporter appends to an existing file on start; without one (then
nothing rotates) it opens the file with O_TRUNC (`append: false`, the default), so a restart
erases every line written before it (contrib `exporter/fileexporter/factory.go`, facts §1.7).
"""

from __future__ import annotations

import gzip
import os
import shutil
from datetime import datetime
from pathlib import Path

from .timeutil import UTC


class CollectorFile:
    """`<stem>.jsonl` with the file exporter's size rotation: when a line would take the file past
    the limit, the file is renamed `<stem>-<UTC time>.jsonl` (the time of that write, millisecond
    precision, made unique) and a new `<stem>.jsonl` starts. A line longer than the limit gets a
    file of its own. Pruning by max_backups/max_days is not modelled. With `restart_ns` nothing
    rotates and the file is emptied at that instant, as a Collector without `rotation:` does."""

    def __init__(self, directory: Path, stem: str, max_megabytes: float, gzip_rotated: bool,
                 restart_ns: int | None = None):
        directory.mkdir(parents=True, exist_ok=True)
        existing = sorted(p.name for p in directory.glob(f"{stem}*.jsonl*"))
        if existing:
            raise FileExistsError(f"{directory} already holds {stem} files ({', '.join(existing[:3])}); "
                                  "write telemetry into an empty directory")
        self.directory = directory
        self.stem = stem
        self.path = directory / f"{stem}.jsonl"
        self.max_bytes = int(max_megabytes * 1024 * 1024) if restart_ns is None else None
        self.gzip_rotated = gzip_rotated
        self.restart_ns = restart_ns
        self.rotated: list[Path] = []
        self.last_stamp_ms = 0
        self.handle = open(self.path, "wb", buffering=1 << 20)
        self.size = 0

    def write(self, line: bytes, time_ns: int) -> None:
        if self.restart_ns is not None and time_ns >= self.restart_ns:
            self._restart()
        if self.max_bytes is not None and self.size and self.size + len(line) > self.max_bytes:
            self._rotate(time_ns // 1_000_000)
        self.handle.write(line)
        self.size += len(line)

    def _restart(self) -> None:
        self.handle.close()
        self.handle = open(self.path, "wb", buffering=1 << 20)
        self.size = 0
        self.restart_ns = None

    def _rotate(self, now_ms: int) -> None:
        self.handle.close()
        self.last_stamp_ms = max(now_ms, self.last_stamp_ms + 1)
        moment = datetime.fromtimestamp(self.last_stamp_ms / 1000, UTC)
        target = self.directory / f"{self.stem}-{moment:%Y-%m-%dT%H-%M-%S}.{self.last_stamp_ms % 1000:03d}.jsonl"
        os.replace(self.path, target)
        if self.gzip_rotated:
            packed = target.with_name(target.name + ".gz")
            with open(target, "rb") as source, open(packed, "wb") as raw, \
                    gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
            target.unlink()
            target = packed
        self.rotated.append(target)
        self.handle = open(self.path, "wb", buffering=1 << 20)
        self.size = 0

    def close(self) -> list[Path]:
        """The files, oldest first; a restart after the last line still empties the file."""
        if self.restart_ns is not None:
            self._restart()
        self.handle.close()
        return [*self.rotated, self.path]
