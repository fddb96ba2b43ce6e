"""The lines of a Collector's files, sorted into the UTC days they hold, and kept with the lake once read.

A Collector's file exporter empties its file when it restarts (`append: false`, its default) and
rotated files get pruned, so lines one run read can be gone at the next. Each telemetry asset
therefore keeps the lines it read for a day in the lake (`_raw/<asset>/date=D/lines.jsonl.gz`), and
reading the day again reads those back with whatever the files hold now, each line once: a line is
one export batch, and the same bytes twice are one batch delivered twice. A day is never read from
less than before.

One pass over the files sorts each line into the days its points fall on, through a spool on
local disk, so reading a year holds one day in memory at a time. A line is found a day by its
`timeUnixNano` / `observedTimeUnixNano` values (a regular expression, not a JSON parse); a line
without them is parsed, and one that still names no day goes to the first day read, where its
reader counts what it holds (a bad line, points without a time). A time no day can hold (before
1970, after 9999-12-30) names no day. The spool stops at `Limits.max_spool_bytes`: the lines after it are not
read, and the metadata says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import itertools
import json
import os
import re
import struct
import tempfile
from typing import Callable, Iterable, Iterator

from claude_assets.engine.lake import Lake
from claude_assets.engine.telemetry.files import MAX_NANOS, BadLines, Limits, day_of, read_lines

_TIMES = re.compile(rb'"(?:timeUnixNano|observedTimeUnixNano)"\s*:\s*"?(\d{1,30})(?!\d)')
_RECORD = struct.Struct("<IIiI")  # file index, line number, first day (ordinal, 0: none), length
KINDS = {"metrics": b'"resourceMetrics"', "events": b'"resourceLogs"'}


@dataclasses.dataclass
class LinesReport(BadLines):
    """What reading the files and the kept lines cost, for the materialization's metadata."""

    files: int = 0
    bytes: int = 0
    lines: int = 0
    other_kind_lines: int = 0  # events lines to the metrics reader, metrics lines to the events reader
    unreadable_files: list[str] = dataclasses.field(default_factory=list)  # "path: error", kept up to the damage
    not_telemetry_files: list[str] = dataclasses.field(default_factory=list)  # files that are not OTLP JSON lines
    too_large_files: list[str] = dataclasses.field(default_factory=list)  # "path: why", read up to their limit
    skipped_files: list[str] = dataclasses.field(default_factory=list)  # "path: what it is": FIFOs, sockets, devices
    spool_full: str = ""  # where the spool reached its limit, and what to do; empty if it did not
    bad_values: int = 0  # points or records left out for a NaN, an Infinity, an out-of-range number or time
    duplicate_lines: int = 0  # the same batch written twice (a retried export)
    kept_lines: int = 0  # lines read back from what earlier runs kept
    kept_only_lines: int = 0  # of those, lines no file holds any more (a Collector restart, a pruned rotation)


@dataclasses.dataclass(frozen=True)
class Line:
    where: str  # "file:line number", for quoting a bad line
    text: bytes
    first_day: dt.date | None  # the earliest day it holds: its line-level counts are made on that day only


def line_days(line: bytes, dates_of: Callable[[dict], Iterable[int]]) -> set[dt.date]:
    """The UTC days a line's points or records fall on; `dates_of(batch)` when the line names no time field."""
    found = {day_of(t) for t in map(int, _TIMES.findall(line)) if 0 < t < MAX_NANOS}
    if found:
        return found
    try:
        return {day_of(t) for t in dates_of(json.loads(line)) if 0 < t < MAX_NANOS}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return set()


class DayLines:
    """The lines of one kind (`metrics` or `events`) in `paths`, per UTC day, merged with what the lake kept.

    Only the `wanted` days are kept in the spool (every day if None).
    Use as a context manager (the spool is removed on leaving); `read(day)` gives the day's lines."""

    def __init__(self, fs, paths: list[str], kind: str, dates_of: Callable[[dict], Iterable[int]],
                 report: LinesReport, wanted: Iterable[dt.date] | None = None, lake: Lake | None = None,
                 asset: str | None = None, limits: Limits | None = None):
        self.report, self.wanted = report, set(wanted) if wanted is not None else None
        self.limits = limits or Limits.from_environment()
        self._spooled_bytes = 0
        self.kind, self.other = KINDS[kind], next(v for k, v in KINDS.items() if k != kind)
        self.dates_of = dates_of
        self.lake, self.asset = lake, asset
        self._spool = tempfile.TemporaryDirectory(prefix="claude-assets-telemetry-")
        self._handles: dict[dt.date | None, object] = {}
        self._paths = list(paths)
        try:
            for index, path in enumerate(self._paths):
                for number, line in read_lines(fs, path, self.report, self.limits):
                    if not self._sort(index, number, line):
                        self.report.spool_full = (
                            f"stopped reading at {path}:{number}: the lines of this run's days reached "
                            f"{self.limits.max_spool_bytes} bytes (CLAUDE_ASSETS_TELEMETRY_MAX_SPOOL_BYTES); "
                            "materialize fewer days at once, or raise the limit if the disk holds more")
                        return
        finally:
            for handle in self._handles.values():
                handle.close()

    def __enter__(self) -> DayLines:
        return self

    def __exit__(self, *exc) -> None:
        self._spool.cleanup()

    def _sort(self, index: int, number: int, line: bytes) -> bool:
        """Spool the line under each day it holds; False, spooling nothing, if that would pass the spool's limit."""
        self.report.bytes += len(line)
        self.report.lines += 1
        if self.other in line and self.kind not in line:
            self.report.other_kind_lines += 1
            return True
        days = line_days(line, self.dates_of)
        first = min(days) if days else None
        if days and self.wanted is not None:
            days &= self.wanted
            if not days:
                return True  # all its points are on days this read does not want
        record = _RECORD.pack(index, number, first.toordinal() if first else 0, len(line)) + line
        if self._spooled_bytes + len(record) * max(len(days), 1) > self.limits.max_spool_bytes:
            return False
        self._spooled_bytes += len(record) * max(len(days), 1)
        for day in days or (None,):
            handle = self._handles.get(day)
            if handle is None:
                handle = self._handles[day] = open(self._spool_path(day), "ab")
            handle.write(record)
        return True

    def _spool_path(self, day: dt.date | None) -> str:
        return os.path.join(self._spool.name, day.isoformat() if day else "undated")

    def days(self) -> list[dt.date]:
        """The days the files hold lines of, oldest first."""
        return sorted(day for day in self._handles if day is not None)

    def _spooled(self, day: dt.date | None) -> Iterator[Line]:
        path = self._spool_path(day)
        if not os.path.exists(path):
            return
        with open(path, "rb") as handle:
            while header := handle.read(_RECORD.size):
                index, number, first, length = _RECORD.unpack(header)
                yield Line(f"{self._paths[index]}:{number}", handle.read(length),
                           dt.date.fromordinal(first) if first else None)

    def read(self, day: dt.date, undated: bool = False) -> list[Line]:
        """The day's lines: those kept by earlier runs, then the files' (with the undated ones if asked), each once."""
        seen: set[bytes] = set()
        lines: list[Line] = []
        kept = self.lake.read_lines(self.asset, day) if self.lake else None
        where = self.lake.lines_location(self.asset, day) if kept else ""
        for number, text in enumerate(kept or (), 1):
            seen.add(_digest(text))
            days = line_days(text, self.dates_of)
            lines.append(Line(f"{where}:{number}", text, min(days, default=None)))
        self.report.kept_lines += len(lines)
        from_files: set[bytes] = set()
        for line in itertools.chain(self._spooled(day), self._spooled(None) if undated else ()):
            digest = _digest(line.text)
            if digest in from_files:
                self.report.duplicate_lines += 1
                continue
            from_files.add(digest)
            if digest not in seen:
                lines.append(line)
        self.report.kept_only_lines += len(seen - from_files)
        return lines


def _digest(line: bytes) -> bytes:
    return hashlib.blake2b(line.strip(), digest_size=16).digest()
