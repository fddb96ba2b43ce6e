"""The Parquet lake: one Hive-style folder per asset and UTC day, replaced atomically.

Layout: `<base>/<asset>/date=YYYY-MM-DD/part-0.parquet`. A day is written whole or not at all:
on a local disk through a temporary file renamed into place, on object stores (and `memory://`)
as one PUT, which those stores make atomic. A reader never sees half a day, a re-run replaces the
day, and a crash mid-write leaves the previous version intact.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

FILE_NAME = "part-0.parquet"
META_KEY = b"claude_assets"


class Lake:
    def __init__(self, base: str):
        self.base = base
        self.fs, root = fsspec.core.url_to_fs(base)
        self.root = root.rstrip("/")
        self._local = isinstance(self.fs, LocalFileSystem)

    def __repr__(self) -> str:
        return f"Lake({self.base!r})"

    def asset_dir(self, asset: str) -> str:
        return f"{self.root}/{asset}"

    def day_path(self, asset: str, day: dt.date) -> str:
        return f"{self.root}/{asset}/date={day.isoformat()}/{FILE_NAME}"

    def location(self, asset: str, day: dt.date) -> str:
        """Where a day is: a local path, or a URL (`s3://...`) on an object store."""
        path = self.day_path(asset, day)
        return path if self._local else self.fs.unstrip_protocol(path)

    def write_day(self, asset: str, day: dt.date, table: pa.Table, info: dict) -> str:
        """Atomically replace one day of one asset; `info` is stored in the file's key-value metadata.

        Returns the day's `location`."""
        schema = table.schema.with_metadata({**(table.schema.metadata or {}), META_KEY: json.dumps(info).encode()})
        sink = pa.BufferOutputStream()
        pq.write_table(table.replace_schema_metadata(schema.metadata), sink, compression="zstd")
        data = sink.getvalue().to_pybytes()
        path = self.day_path(asset, day)
        folder = path.rsplit("/", 1)[0]
        if self._local:
            os.makedirs(folder, exist_ok=True)
            tmp = f"{folder}/.{FILE_NAME}.{uuid.uuid4().hex}.tmp"
            try:
                with open(tmp, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
        else:
            self.fs.makedirs(folder, exist_ok=True)
            self.fs.pipe_file(path, data)
        return self.location(asset, day)

    def read_day(self, asset: str, day: dt.date) -> pa.Table | None:
        path = self.day_path(asset, day)
        if not self.fs.exists(path):
            return None
        with self.fs.open(path, "rb") as handle:
            return pq.read_table(handle)

    def day_info(self, asset: str, day: dt.date) -> dict | None:
        """What `write_day` stored with the day (fetched_at, fetch_id), or None if the day is absent."""
        path = self.day_path(asset, day)
        try:
            with self.fs.open(path, "rb") as handle:
                metadata = pq.read_schema(handle).metadata or {}
        except FileNotFoundError:
            return None
        raw = metadata.get(META_KEY)
        return json.loads(raw) if raw else {}

    def day_rows(self, asset: str, day: dt.date) -> int:
        """How many rows a day holds, from its file's footer."""
        with self.fs.open(self.day_path(asset, day), "rb") as handle:
            return pq.read_metadata(handle).num_rows

    def days(self, asset: str) -> list[dt.date]:
        """Days present for an asset, oldest first."""
        folder = self.asset_dir(asset)
        self.fs.invalidate_cache(folder)  # object-store listings are cached; other processes write here too
        if not self.fs.exists(folder):
            return []
        found = []
        for entry in self.fs.ls(folder, detail=False):
            name = entry.rstrip("/").rsplit("/", 1)[-1]
            if name.startswith("date=") and self.fs.exists(f"{entry.rstrip('/')}/{FILE_NAME}"):
                found.append(dt.date.fromisoformat(name[5:]))
        return sorted(found)

    def read_asset(self, asset: str) -> pa.Table:
        """The whole asset as one table (every day), for tests and small queries."""
        tables = [self.read_day(asset, d) for d in self.days(asset)]
        tables = [t.replace_schema_metadata(None) for t in tables if t is not None]
        return pa.concat_tables(tables, promote_options="default") if tables else pa.table({})
