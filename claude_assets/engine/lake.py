"""The Parquet lake: one Hive-style folder per asset and UTC day, replaced atomically.

Layout: `<base>/<asset>/date=YYYY-MM-DD/part-0.parquet`. A day is written whole or not at all:
on a local disk through a temporary file renamed into place, on object stores (and `memory://`)
as one PUT, which those stores make atomic. A reader never sees half a day, a re-run replaces the
day, and a crash mid-write leaves the previous version intact. Beside the tables, `_raw/` keeps
every answer the API gave (so a day can be rebuilt without asking again), and the telemetry
lines each day was read from (a Collector restart or a pruned rotation cannot take them back);
`_quarantine/` keeps the answers that would have replaced a day with something worse.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import os
import re
import time
import uuid

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

FILE_NAME = "part-0.parquet"
META_KEY = b"claude_assets"


RAW_DIR = "_raw"  # the API's answers as received, beside the tables
QUARANTINE_DIR = "_quarantine"  # answers that would have replaced a day with something worse
LINES_FILE = "lines.jsonl.gz"  # in `_raw/<telemetry asset>/date=D/`: the OTLP lines the day was read from
SERIES_FILE = "series.json.gz"  # beside it: where each cumulative series stood at the day's end

# A writer's temporary file (`.<name>.<uuid4 hex>.tmp`, beside the file it becomes) lives as long as writing and
# fsyncing one file takes: seconds, minutes on the slowest disk. One older than an hour was left by a writer that
# was killed, so the next write in its folder removes it; a younger one may be a concurrent writer's, and is kept.
TEMPORARY = re.compile(r"\..+\.[0-9a-f]{32}\.tmp")
STALE_TEMPORARY_SECONDS = 3600

# What an object store's refusal means, by the exception its client raises (botocore, google-auth, azure-identity),
# so no store's client needs importing here.
_NO_CREDENTIALS = {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError",
                   "DefaultCredentialsError", "ClientAuthenticationError", "CredentialUnavailableError"}
_UNREACHABLE = {"EndpointConnectionError", "ConnectTimeoutError", "ClientConnectorError"}


def _parquet(table: pa.Table, info: dict) -> bytes:
    schema = table.schema.with_metadata({**(table.schema.metadata or {}), META_KEY: json.dumps(info).encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table.replace_schema_metadata(schema.metadata), sink, compression="zstd")
    return sink.getvalue().to_pybytes()


class DamagedDayError(Exception):
    """A day's file exists but is not a readable Parquet file (truncated, overwritten, half-copied)."""

    def __init__(self, asset: str, day: dt.date, location: str, cause: Exception):
        super().__init__(
            f"{asset} {day.isoformat()}: the file {location} is damaged and cannot be read "
            f"({type(cause).__name__}: {cause}). Materialize {asset} for {day.isoformat()} again: a raw asset "
            "fetches the day anew and replaces the file (runs over a range do it on their own); a derived asset "
            "recomputes it from its inputs."
        )
        self.asset, self.day, self.location = asset, day, location


def _store_settings(protocol: str) -> tuple[str, str]:
    """(what signs a store's client in, what says where the store is), to name in a refusal."""
    if protocol in ("s3", "s3a"):
        return ("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
                "AWS_ENDPOINT_URL (unset for AWS itself)")
    return f"the credentials fsspec's {protocol}:// filesystem reads", "the store's address"


class StoreError(OSError):
    """An object store refused the lake's request or could not be reached; the message says what to set."""


class Lake:
    def __init__(self, base: str):
        self.base = base
        self.fs, root = fsspec.core.url_to_fs(base)
        self.root = root.rstrip("/")
        self._local = isinstance(self.fs, LocalFileSystem)

    def __repr__(self) -> str:
        return f"Lake({self.base!r})"

    @property
    def is_local(self) -> bool:
        """On this machine's disk (not an object store or memory://)."""
        return self._local

    def where(self, path: str) -> str:
        """A path in the lake as others can name it: itself on a local disk, else a URL (`s3://...`)."""
        return path if self._local else self.fs.unstrip_protocol(path)

    def check_writable(self) -> None:
        """Raise the OSError a write would meet (read-only disk, missing permission, or a `StoreError`: no
        credentials for the store, no such bucket), before the API is asked.

        On a disk a probe file is created and removed; an object store keeps its empty `.write_check`, as a
        bucket may allow writing but not deleting."""
        if not self._local:
            with self.store_errors():
                self.fs.pipe_file(f"{self.root}/.write_check", b"")
            return
        os.makedirs(self.root, exist_ok=True)
        probe = f"{self.root}/.write_check.{uuid.uuid4().hex}.tmp"
        with open(probe, "wb"):
            pass
        os.remove(probe)
        _remove_stale_temporaries(self.root)

    @contextlib.contextmanager
    def store_errors(self):
        """An object store's refusal (no credentials, access denied, no such bucket, endpoint unreachable) as a
        `StoreError` that says which, and the settings that decide it, instead of its client's own exception
        and stack."""
        try:
            yield
        except Exception as exc:
            what = self._refusal(exc)
            if what is None:
                raise
            raise StoreError(what) from None

    def _refusal(self, exc: Exception) -> str | None:
        if self._local:
            return None
        name, protocol = type(exc).__name__, self.base.split("://", 1)[0]
        credentials, address = _store_settings(protocol)
        if name in _NO_CREDENTIALS:
            return f"no credentials for {protocol}:// were found: set {credentials}"
        if isinstance(exc, PermissionError):
            return f"access denied ({exc}): use credentials allowed to list, read and write it ({credentials})"
        if isinstance(exc, FileNotFoundError) and "bucket" in str(exc).lower():
            return f"no such bucket ({exc}): create it, or point the lake at one that exists ({address})"
        if name in _UNREACHABLE:
            return f"the store could not be reached ({exc}): check {address}"
        return None

    def asset_dir(self, asset: str) -> str:
        return f"{self.root}/{asset}"

    def day_path(self, asset: str, day: dt.date) -> str:
        return f"{self.root}/{asset}/date={day.isoformat()}/{FILE_NAME}"

    def location(self, asset: str, day: dt.date) -> str:
        """Where a day is: a local path, or a URL (`s3://...`) on an object store."""
        return self.where(self.day_path(asset, day))

    def write_day(self, asset: str, day: dt.date, table: pa.Table, info: dict) -> str:
        """Atomically replace one day of one asset; `info` is stored in the file's key-value metadata.

        Returns the day's `location`."""
        path = self.day_path(asset, day)
        self._put(path, _parquet(table, info))
        return self.location(asset, day)

    def _put(self, path: str, data: bytes) -> None:
        """Write a whole file or nothing: a temporary file renamed into place, or one PUT on an object store."""
        folder = path.rsplit("/", 1)[0]
        if self._local:
            os.makedirs(folder, exist_ok=True)
            tmp = f"{folder}/.{path.rsplit('/', 1)[1]}.{uuid.uuid4().hex}.tmp"
            try:
                with open(tmp, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
            _remove_stale_temporaries(folder)
        else:
            self.fs.makedirs(folder, exist_ok=True)
            self.fs.pipe_file(path, data)

    # -- what the API said, kept beside the tables -----------------------------------------------

    def write_raw(self, endpoint: str, first: dt.date, last: dt.date, answer: dict) -> str:
        """Keep one listing's pages as received (gzip JSON), for rebuilding or auditing its days; returns its name.

        One file per listing, named by the days it covers and when it was fetched, so a month-long
        bucketed answer is kept once, not once per day."""
        stamp = answer["fetched_at"].replace(":", "").replace("-", "")[:15]
        name = f"{RAW_DIR}/{endpoint}/{first.isoformat()}_{last.isoformat()}/{stamp}_{answer['fetch_id']}.json.gz"
        self._put(f"{self.root}/{name}", gzip.compress(json.dumps(answer, separators=(",", ":")).encode(), 6))
        return name

    def read_raw(self, name: str) -> dict:
        with self.fs.open(f"{self.root}/{name}", "rb") as handle:
            return json.loads(gzip.decompress(handle.read()))

    def raw_answers(self, endpoint: str, day: dt.date) -> list[str]:
        """Names of the kept answers that cover `day`, newest fetch first."""
        folder = f"{self.root}/{RAW_DIR}/{endpoint}"
        self.fs.invalidate_cache(folder)
        if not self.fs.exists(folder):
            return []
        found = []
        for span in self.fs.ls(folder, detail=False):
            first, _, last = span.rstrip("/").rsplit("/", 1)[-1].partition("_")
            if first <= day.isoformat() <= last:
                found += [f"{RAW_DIR}/{endpoint}/{first}_{last}/{f.rsplit('/', 1)[-1]}"
                          for f in self.fs.ls(span, detail=False) if f.endswith(".json.gz")]
        return sorted(found, key=lambda name: name.rsplit("/", 1)[-1], reverse=True)

    # -- the telemetry lines a day was read from, and where its cumulative series stood ---------

    def _telemetry_path(self, asset: str, day: dt.date, name: str) -> str:
        return f"{self.root}/{RAW_DIR}/{asset}/date={day.isoformat()}/{name}"

    def lines_location(self, asset: str, day: dt.date) -> str:
        return self.where(self._telemetry_path(asset, day, LINES_FILE))

    def write_lines(self, asset: str, day: dt.date, lines: list[bytes]) -> None:
        """Keep the OTLP lines a telemetry day was read from (gzip, one batch per line), replacing the last kept."""
        data = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
        self._put(self._telemetry_path(asset, day, LINES_FILE), gzip.compress(data, 5))

    def read_lines(self, asset: str, day: dt.date) -> list[bytes] | None:
        """The lines kept for a telemetry day, or None if it was never read."""
        path = self._telemetry_path(asset, day, LINES_FILE)
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "rb") as handle:
            return [line for line in gzip.decompress(handle.read()).splitlines(keepends=True) if line.strip()]

    def write_series(self, asset: str, day: dt.date, series: dict) -> None:
        """Keep where each cumulative series stood at the end of a telemetry day: {series id: [time ns, value]}."""
        self._put(self._telemetry_path(asset, day, SERIES_FILE), gzip.compress(json.dumps(series).encode(), 5))

    def read_series(self, asset: str, day: dt.date) -> dict | None:
        path = self._telemetry_path(asset, day, SERIES_FILE)
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "rb") as handle:
            return json.loads(gzip.decompress(handle.read()))

    def quarantine(self, asset: str, day: dt.date, table: pa.Table, info: dict) -> str:
        """Keep an answer that looked worse than the day in the lake, with why, without replacing the day."""
        path = f"{self.root}/{QUARANTINE_DIR}/{asset}/date={day.isoformat()}/{info['fetch_id']}.parquet"
        self._put(path, _parquet(table, info))
        return self.where(path)

    def read_day(self, asset: str, day: dt.date) -> pa.Table | None:
        """The day's rows, or None if the day is absent; `DamagedDayError` if its file cannot be read."""
        path = self.day_path(asset, day)
        if not self.fs.exists(path):
            return None
        with self._reading(asset, day):
            with self.fs.open(path, "rb") as handle:
                return pq.read_table(handle)

    def day_info(self, asset: str, day: dt.date) -> dict | None:
        """What `write_day` stored with the day (fetched_at, fetch_id), or None if the day is absent."""
        path = self.day_path(asset, day)
        try:
            with self._reading(asset, day):
                with self.fs.open(path, "rb") as handle:
                    metadata = pq.read_schema(handle).metadata or {}
        except FileNotFoundError:
            return None
        raw = metadata.get(META_KEY)
        return json.loads(raw) if raw else {}

    def organization(self, asset: str) -> str | None:
        """The organization the asset's newest day says it came from; None for an empty asset or an older day
        written before days recorded it."""
        days = self.days(asset)
        try:
            return (self.day_info(asset, days[-1]) or {}).get("organization_id") if days else None
        except DamagedDayError:
            return None

    def day_rows(self, asset: str, day: dt.date) -> int:
        """How many rows a day holds, from its file's footer."""
        with self._reading(asset, day):
            with self.fs.open(self.day_path(asset, day), "rb") as handle:
                return pq.read_metadata(handle).num_rows

    def size(self, asset: str) -> tuple[int, int]:
        """(days, rows) the asset holds, from its files' footers; a damaged day counts as neither."""
        days = rows = 0
        for day in self.days(asset):
            with contextlib.suppress(DamagedDayError, FileNotFoundError):
                rows += self.day_rows(asset, day)
                days += 1
        return days, rows

    @contextlib.contextmanager
    def _reading(self, asset: str, day: dt.date):
        """Turn Parquet's "magic bytes not found" and the like into an error that names the day and its file."""
        try:
            yield
        except (pa.ArrowInvalid, OSError, EOFError) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise DamagedDayError(asset, day, self.location(asset, day), exc) from None

    def days(self, asset: str) -> list[dt.date]:
        """Days present for an asset, oldest first."""
        folder = self.asset_dir(asset)
        self.fs.invalidate_cache(folder)  # object-store listings are cached; other processes write here too
        found = []
        with self.store_errors():
            paths = self.fs.glob(f"{folder}/date=*/{FILE_NAME}")  # one listing, also on an object store
        for path in paths:
            with contextlib.suppress(ValueError):  # a folder named date=<not a day> is not ours
                found.append(dt.date.fromisoformat(path.rstrip("/").rsplit("/", 2)[-2][5:]))
        return sorted(found)

    def read_asset(self, asset: str) -> pa.Table:
        """The whole asset as one table (every day), for tests and small queries."""
        tables = [self.read_day(asset, d) for d in self.days(asset)]
        tables = [t.replace_schema_metadata(None) for t in tables if t is not None]
        return pa.concat_tables(tables, promote_options="default") if tables else pa.table({})


def _remove_stale_temporaries(folder: str) -> None:
    """Remove the temporary files killed writers left in `folder` (see `STALE_TEMPORARY_SECONDS`)."""
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    with os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):  # another writer removed it first, or it is not ours to remove
                if TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False) \
                        and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.remove(entry.path)
