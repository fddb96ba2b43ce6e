"""Typed table descriptions and the one flattener that turns API records into Parquet rows.

Each raw asset is a `Table`: a list of `Column`s, each naming its type and the dotted path it is
read from. Everything the API sends that no column reads is kept in the `extra` JSON column, so
schema drift is counted and visible instead of silently dropped; a value that does not parse
(the official examples carry placeholders such as "amount": "amount") becomes null and its
original is kept in `extra` under `_unparsed`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import functools
import json
from typing import Any, Callable, Iterable

import pyarrow as pa

CENTS = pa.decimal128(38, 9)  # decimal-string cents ("123.78912") kept exactly
_MISSING = object()


class Unparsable(ValueError):
    pass


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise Unparsable(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise Unparsable(value)


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise Unparsable(value)
    if isinstance(value, (int, float)):
        return float(value)
    return float(_decimal(value))


def _decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, bool):
        raise Unparsable(value)
    try:
        result = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        raise Unparsable(value) from None
    if not result.is_finite():
        raise Unparsable(value)
    return result


def _str(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise Unparsable(value)
    return str(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise Unparsable(value)


def _date(value: Any) -> dt.date:
    """Accept both `YYYY-MM-DD` and RFC 3339 midnight, as the Claude Code report's docs disagree."""
    if not isinstance(value, str):
        raise Unparsable(value)
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        return _timestamp(value).date()
    except ValueError:
        raise Unparsable(value) from None


def _timestamp(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise Unparsable(value)
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Unparsable(value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "int64": _int,
    "double": _float,
    "string": _str,
    "bool": _bool,
    "date32[day]": _date,
    "timestamp[us, tz=UTC]": _timestamp,
    str(CENTS): _decimal,
}


@dataclasses.dataclass(frozen=True)
class Column:
    """One typed column read from a dotted `path` (relative to the exploded element, if any).

    `path` may list alternatives separated by `|` where API versions disagree on a name (the
    first present wins); a column without a path takes the value the sync knows (the day).
    `scale` converts on the way in (0.01 turns cents into USD); `from_parent` copies a column of
    the parent row into a child table.
    """

    name: str
    type: pa.DataType
    path: str | None = None
    scale: float | None = None
    from_parent: bool = False
    description: str = ""
    blank_is_null: bool = False  # a grouping dimension: the live cost report sends "" for "not applicable"

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self.path.split("|")) if self.path else ()


def count(name: str, path: str | None = None, description: str = "") -> Column:
    return Column(name, pa.int64(), path, description=description)


def text(name: str, path: str | None = None, description: str = "") -> Column:
    return Column(name, pa.string(), path, description=description)


def dimension(name: str, path: str | None = None, description: str = "") -> Column:
    """A grouping dimension of a usage or cost report: text, with "" read as null (not applicable)."""
    return Column(name, pa.string(), path, description=description, blank_is_null=True)


def flag(name: str, path: str | None = None, description: str = "") -> Column:
    return Column(name, pa.bool_(), path, description=description)


def day(name: str, path: str | None = None, description: str = "") -> Column:
    return Column(name, pa.date32(), path, description=description)


def timestamp(name: str, path: str | None = None, description: str = "") -> Column:
    return Column(name, pa.timestamp("us", tz="UTC"), path, description=description)


def money_cents(prefix: str, path: str, *, exact: bool) -> tuple[Column, Column]:
    """Money as the API's original cents plus USD: exact decimals where the API sends decimal strings."""
    cents = Column(f"{prefix}_cents", CENTS if exact else pa.float64(), path, description="as the API sent it, in cents")
    usd = Column(f"{prefix}_usd", pa.float64(), path, scale=0.01, description="US dollars")
    return cents, usd


def parent(column: Column) -> Column:
    return dataclasses.replace(column, from_parent=True)


@dataclasses.dataclass(frozen=True)
class Table:
    """One Parquet table (one asset): its columns and, for child tables, the list it explodes."""

    asset: str
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...]
    description: str
    explode: str | None = None
    consumed_elsewhere: tuple[str, ...] = ()  # paths that child tables read (not drift)
    keeps_extra: bool = True  # tables read from an API keep what they do not know; derived tables have nothing to keep

    @functools.cached_property
    def schema(self) -> pa.Schema:
        fields = [pa.field(c.name, c.type, metadata={"description": c.description} if c.description else None)
                  for c in self.columns]
        if self.keeps_extra:
            fields.append(pa.field("extra", pa.string(), metadata={
                "description": "JSON of fields this version does not know yet, and values that did not parse"}))
        return pa.schema(fields)


@dataclasses.dataclass
class Flattened:
    table: pa.Table
    extra_fields: dict[str, int]  # unknown dotted path -> rows carrying it
    unparsed_values: dict[str, int]  # column -> rows whose value did not parse
    null_blocks: dict[str, int] = dataclasses.field(default_factory=dict)  # block sent as null -> rows


@dataclasses.dataclass(frozen=True)
class _Plan:
    """A table's columns compiled once: split paths and parsers, not re-derived per cell."""

    reads: tuple  # (column name, ((source, path parts), ...), parser, scale or None, blank is null)
    given: tuple[str, ...]  # columns filled from known values
    inherited: tuple[str, ...]  # columns copied from the parent row
    known: dict  # the paths the columns and child tables read, as a tree: key -> subtree, or None for a leaf
    blocks: tuple[str, ...]  # top-level keys that hold a block of fields (e.g. chat_metrics)


@functools.lru_cache(maxsize=None)
def _plan(table: Table) -> _Plan:
    own = [c for c in table.columns if not c.from_parent]
    known: dict = {}
    for path in {source for c in own for source in c.sources} | set(table.consumed_elsewhere):
        node = known
        *parents, last = path.split(".")
        for part in parents:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        node.setdefault(last, None)
    return _Plan(
        reads=tuple(
            (c.name, tuple((s, tuple(s.split("."))) for s in c.sources), _PARSERS[str(c.type)],
             decimal.Decimal(str(c.scale)) if c.scale is not None else None, c.blank_is_null)
            for c in own if c.path
        ),
        given=tuple(c.name for c in own if not c.path),
        inherited=tuple(c.name for c in table.columns if c.from_parent),
        known=known,
        blocks=tuple(key for key, subtree in known.items() if subtree is not None),
    )


def _unknown(node: dict, known: dict, prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Dotted paths and values of every field in `node` that no column reads (drift)."""
    for key, value in node.items():
        if key not in known:
            yield from _leaves(value, f"{prefix}{key}")
        elif known[key] is not None and isinstance(value, dict):
            yield from _unknown(value, known[key], f"{prefix}{key}.")


def flatten(
    table: Table, records: Iterable[dict], known_values: dict[str, Any], parent_rows: list[dict] | None = None
) -> tuple[Flattened, list[dict]]:
    """Rows for `table` from API records; also returns the row dicts so child tables can copy keys.

    `known_values` fills columns without a path (the partition's `date` for endpoints whose
    records do not carry their day), and columns whose field a record leaves out (the live per-user
    reports send undated rows: their day is the one asked for). A block of fields sent as an
    explicit null (`"chat_metrics": null`, seen on the live `/users`) gives nulls and is counted.
    """
    plan = _plan(table)
    rows: list[dict] = []
    extra_fields: dict[str, int] = {}
    unparsed: dict[str, int] = {}
    null_blocks: dict[str, int] = {}
    for index, record in enumerate(records):
        elements = [record] if table.explode is None else (_get(record, table.explode) or [])
        base = parent_rows[index] if parent_rows is not None else {}
        for element in elements if isinstance(elements, list) else []:
            row = {name: base.get(name) for name in plan.inherited}
            for name in plan.given:
                row[name] = known_values[name]
            for block in plan.blocks:
                if isinstance(element, dict) and block in element and element[block] is None:
                    null_blocks[block] = null_blocks.get(block, 0) + 1
            extra: dict[str, Any] = {}
            for name, sources, parse, scale, blank_is_null in plan.reads:
                source, raw = sources[0][0], _MISSING
                for source, parts in sources:
                    raw = _walk(element, parts)
                    if raw is not _MISSING:
                        break
                if raw is _MISSING and name in known_values:
                    row[name] = known_values[name]
                    continue
                if raw is _MISSING or raw is None or (blank_is_null and raw == ""):
                    row[name] = None
                    continue
                try:
                    value = parse(raw)
                    row[name] = float(_decimal(value) * scale) if scale is not None else value
                except Unparsable:
                    row[name] = None
                    unparsed[name] = unparsed.get(name, 0) + 1
                    extra.setdefault("_unparsed", {})[source] = raw
            for path, value in _unknown(element, plan.known):
                extra[path] = value
                extra_fields[path] = extra_fields.get(path, 0) + 1
            row["extra"] = json.dumps(extra, sort_keys=True, default=str) if extra else None
            rows.append(row)
    schema = table.schema
    arrow = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    return Flattened(arrow, extra_fields, unparsed, null_blocks), rows


def _walk(node: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _get(record: Any, path: str) -> Any:
    return _walk(record, tuple(path.split(".")))


def _leaves(node: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Dotted paths of every scalar (and every list, as one value) in a record."""
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif prefix:
        yield prefix, node


UNIQUE = "unique_natural_key"  # the per-table checks, by the names Dagster shows them under
NON_NEGATIVE = "non_negative_counts"


def day_findings(table: Table, rows: pa.Table) -> dict:
    """What the per-table checks find in one day's rows; small enough to keep for a year of days."""
    counters = [c.name for c in table.columns if c.type == pa.int64()]
    frame = rows.select(list(dict.fromkeys([*table.natural_key, *counters]))).to_pandas()
    negatives = {c: int((frame[c] < 0).sum()) for c in counters if (frame[c] < 0).any()}
    return {
        UNIQUE: int(frame.duplicated(subset=list(table.natural_key), keep=False).sum()),
        NON_NEGATIVE: negatives,
    }
