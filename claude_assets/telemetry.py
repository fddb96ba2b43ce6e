"""Reading Claude Code OpenTelemetry metrics as an OpenTelemetry Collector's file exporter writes them.

Input: every file in the folder that holds OTLP JSON lines, whatever a Collector named it (`.jsonl`,
`.ndjson`, `.log`, no extension, rotated names), gzipped or not (told by its first bytes, not its
name); one export batch per line (API reference §4.5). Lines of events (`resourceLogs`) may share a
file with the metrics: they are counted apart, never as bad lines. A file that cannot be read (a
corrupt `.gz`, a permission) is named and counted, what it held before the damage is kept, and the
other files are still read; a file that is not OTLP at all (a README) is named and left alone.
Output: per UTC day and (person, model, terminal, organization, version), the same measures the
Claude Code Analytics report has, so the two can be joined.

- Delta points (Claude Code's default) are summed. Cumulative points are read per series
  (its attributes and start time): each point adds its rise over the previous value of the
  series, so re-exported and duplicated points add nothing, and a drop is a restarted process
  counting from 0.
- A point belongs to the UTC day of its `timeUnixNano`, even when its interval started the day
  before: an interval cannot be split exactly, and the end is when the client counted it.
- Each point is attributed to the first identity it carries, and the row says which
  (`identity_source`): `user.email` (lowercased: clients send it as typed), `user.account_id`,
  `user.account_uuid`, then the resource attributes an organization names for the person behind
  API-key, Bedrock, Vertex and Foundry clients (by default `enduser.id`, as Anthropic advises),
  then `user.id` (a random id per install) as an identity of its own. Only a point with none of
  these is `unattributed`, and none is ever dropped. `organization.id` and `service.version` are
  kept on every row, so another organization's clients or an old client version can be told apart.
- A line that is not valid OTLP/JSON (truncated by a crash, garbage) is skipped and counted,
  and the first few are quoted with file and line number; the rest of the file is still read.
  A point without `timeUnixNano` is skipped and counted alone; the rest of its line counts.
- `sessions` counts `session.count` points whose `start_type` is `fresh` (or absent): the
  report's distinct sessions started; resumes are counted apart, and `agents_view` (the
  `claude agents` dashboard, "not a conversational session") not at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import os
import re
import zlib
from typing import Any, Iterable, Iterator

import fsspec

NANOS_PER_DAY = 86_400 * 10**9
QUOTED_BAD_LINES = 5
_MODEL_SUFFIX = re.compile(r"\[[^\]]*\]$")
UNATTRIBUTED = "unattributed"

# metric name -> function(attributes) -> the measure column(s) a point counts in (None: ignore the point)
_TOKEN_TYPES = {"input": "input_tokens", "output": "output_tokens", "cacheRead": "cache_read_tokens",
                "cacheCreation": "cache_creation_tokens"}
_DECISIONS = {"accept": "accepted", "reject": "rejected"}
# the tools `code_edit_tool.decision` counts, named as the Claude Code report names them
EDIT_TOOLS = {"Edit": "edit_tool", "Write": "write_tool", "NotebookEdit": "notebook_edit_tool"}


def _decision(attributes: dict) -> tuple[str, ...] | None:
    """An edit decision counts in the total and, for a tool the report also counts, in that tool's column."""
    decision = _DECISIONS.get(attributes.get("decision"))
    if decision is None:
        return None
    tool = EDIT_TOOLS.get(attributes.get("tool_name"))
    return (f"edit_{decision}",) + ((f"{tool}_{decision}",) if tool else ())


_SESSION_STARTS = {"fresh": "sessions", "agents_view": None}  # resume, continue and any newer kind: resumes
MEASURES: dict[str, Any] = {
    "claude_code.session.count": lambda a: _SESSION_STARTS.get(a.get("start_type", "fresh"), "session_resumes"),
    "claude_code.lines_of_code.count": lambda a: {"added": "lines_added", "removed": "lines_removed"}.get(a.get("type")),
    "claude_code.commit.count": lambda a: "commits",
    "claude_code.pull_request.count": lambda a: "pull_requests",
    "claude_code.cost.usage": lambda a: "cost_usd",
    "claude_code.token.usage": lambda a: _TOKEN_TYPES.get(a.get("type")),
    "claude_code.code_edit_tool.decision": _decision,
    "claude_code.active_time.total": lambda a: {"user": "active_time_user_s", "cli": "active_time_cli_s"}.get(a.get("type")),
}
MEASURE_COLUMNS = ("sessions", "session_resumes", "lines_added", "lines_removed", "commits", "pull_requests",
                   "edit_accepted", "edit_rejected",
                   *(f"{tool}_{decision}" for tool in EDIT_TOOLS.values() for decision in ("accepted", "rejected")),
                   "input_tokens", "output_tokens", "cache_read_tokens",
                   "cache_creation_tokens", "cost_usd", "active_time_user_s", "active_time_cli_s")
KEY_COLUMNS = ("date", "identity_source", "identity", "email", "account_id", "model", "terminal_type",
               "organization_id", "service_version")
DEFAULT_IDENTITY_ATTRIBUTES = ("enduser.id",)
_ACCOUNT_ATTRIBUTES = ("user.account_id", "user.account_uuid")


@dataclasses.dataclass
class BadLines:
    """Lines that are not valid OTLP/JSON: counted, and the first few quoted with file and line number."""

    bad_lines: int = 0
    bad_line_examples: list[str] = dataclasses.field(default_factory=list)

    def bad(self, where: str, error: str, line: bytes) -> None:
        self.bad_lines += 1
        if len(self.bad_line_examples) < QUOTED_BAD_LINES:
            self.bad_line_examples.append(f"{where}: {error}: {line.decode('utf-8', 'replace')[:120]!r}")


@dataclasses.dataclass
class ReadReport(BadLines):
    """What reading metrics cost and what it skipped, for the materialization's metadata."""

    files: int = 0
    bytes: int = 0
    lines: int = 0
    event_lines: int = 0  # `resourceLogs` batches (Claude Code's events), not metrics
    unreadable_files: list[str] = dataclasses.field(default_factory=list)  # "path: error", kept up to the damage
    not_telemetry_files: list[str] = dataclasses.field(default_factory=list)  # files that are not OTLP JSON lines
    points: int = 0
    points_without_time: int = 0
    points_by_identity_source: dict[str, int] = dataclasses.field(default_factory=dict)
    points_by_organization: dict[str, int] = dataclasses.field(default_factory=dict)  # organization.id -> points
    other_organization_points: int = 0  # left out: another organization's clients sent to the same Collector
    ignored_points: int = 0  # metrics or attribute values this version does not map
    cumulative_resets: int = 0
    series: int = 0


def normalize_model(model: str | None) -> str | None:
    """`claude-opus-4-6[1m]` -> `claude-opus-4-6`: clients may tag the context window onto the name."""
    return _MODEL_SUFFIX.sub("", model) if model else model


def day_of(time_unix_nano: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=time_unix_nano // NANOS_PER_DAY)


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


def _attributes(items: Iterable[dict] | None) -> dict[str, Any]:
    return {item["key"]: _any_value(item["value"]) for item in items or ()}


def _any_value(value: dict) -> Any:
    """An OTLP AnyValue as Python: scalars as sent, arrays as tuples (events carry e.g. `workspace.host_paths`)."""
    for kind in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if kind in value:
            return value[kind]
    if "arrayValue" in value:
        return tuple(_any_value(v) for v in value["arrayValue"].get("values") or ())
    return None


def _value(point: dict) -> float:
    if "asDouble" in point:
        return float(point["asDouble"])
    return float(int(point.get("asInt", 0)))


def _points(batch: dict) -> Iterator[tuple[str, int, dict, int, int, float]]:
    """(metric, temporality, attributes, start ns, time ns, value) of every sum point in a batch."""
    for resource_metrics in batch["resourceMetrics"]:
        resource = _attributes((resource_metrics.get("resource") or {}).get("attributes"))
        for scope_metrics in resource_metrics.get("scopeMetrics") or ():
            for metric in scope_metrics.get("metrics") or ():
                data = metric.get("sum")
                if data is None:
                    continue
                temporality = int(data.get("aggregationTemporality", 1))
                for point in data.get("dataPoints") or ():
                    attributes = {**resource, **_attributes(point.get("attributes"))}
                    time = point.get("timeUnixNano")
                    yield (metric["name"], temporality, attributes, int(point.get("startTimeUnixNano", 0)),
                           int(time) if time is not None else None, _value(point))


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _person(value: str) -> str:
    """An e-mail is matched case-insensitively; any other id is kept as sent."""
    return value.lower() if "@" in value else value


def _identity(attributes: dict, identity_attributes: tuple[str, ...]) -> tuple:
    """The row key of a point: (identity source, identity, e-mail, account id, model, terminal, organization, version)."""
    email = _text(attributes.get("user.email"))
    account = _text(attributes.get("user.account_id")) or _text(attributes.get("user.account_uuid"))
    source, identity = "unattributed", UNATTRIBUTED
    for name in ("user.email", *_ACCOUNT_ATTRIBUTES, *identity_attributes, "user.id"):
        value = _text(attributes.get(name))
        if value:
            source, identity = name, _person(value)
            break
    if email is None and "@" in identity:
        email = identity  # an `enduser.id` that is an e-mail joins the person's other sources by it
    return (source, identity, email.lower() if email else None, account, normalize_model(attributes.get("model")),
            attributes.get("terminal.type"), _text(attributes.get("organization.id")),
            _text(attributes.get("service.version")))


def read_telemetry(fs, paths: Iterable[str], days: set[dt.date] | None = None,
                   identity_attributes: tuple[str, ...] = DEFAULT_IDENTITY_ATTRIBUTES,
                   organization_id: str | None = None) -> tuple[list[dict], ReadReport]:
    """Rows of measures per `KEY_COLUMNS` for `days` (all days if None).

    `identity_attributes`: the attributes that name the person behind clients that send no e-mail or
    account (after those, before `user.id`). `organization_id`: keep only points of this organization
    (and points that name none); by default every organization's points are kept, and counted per id."""
    report = ReadReport()
    totals: dict[tuple, dict[str, float]] = {}
    cumulative: dict[tuple, list[tuple[int, float]]] = {}

    def add(day: dt.date, identity: tuple, columns: tuple[str, ...], amount: float) -> None:
        if days is None or day in days:
            row = totals.setdefault((day, *identity), {})
            for column in columns:
                row[column] = row.get(column, 0.0) + amount

    for path in paths:
        for number, line in _lines(fs, path, report):
            report.bytes += len(line)
            report.lines += 1
            try:
                batch = json.loads(line)
                if "resourceLogs" in batch and "resourceMetrics" not in batch:
                    report.event_lines += 1
                    continue
                points = list(_points(batch))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                report.bad(f"{path}:{number}", type(exc).__name__, line)
                continue
            for name, temporality, attributes, start, time, value in points:
                report.points += 1
                if time is None:
                    report.points_without_time += 1
                    continue
                organization = _text(attributes.get("organization.id"))
                counted = organization or "none"
                report.points_by_organization[counted] = report.points_by_organization.get(counted, 0) + 1
                if organization_id and organization not in (None, organization_id):
                    report.other_organization_points += 1
                    continue
                measure = MEASURES.get(name)
                columns = measure(attributes) if measure else None
                if columns is None:
                    report.ignored_points += 1
                    continue
                columns = (columns,) if isinstance(columns, str) else columns
                identity = _identity(attributes, identity_attributes)
                report.points_by_identity_source[identity[0]] = report.points_by_identity_source.get(identity[0], 0) + 1
                if temporality == 2:
                    series = (columns, identity, tuple(sorted(attributes.items())), start)
                    cumulative.setdefault(series, []).append((time, value))
                else:
                    add(day_of(time), identity, columns, value)
    for (columns, identity, _, _), points in cumulative.items():
        report.series += 1
        previous = 0.0
        for time, value in sorted(points):
            if value < previous:
                report.cumulative_resets += 1
                previous = 0.0
            if value > previous:
                add(day_of(time), identity, columns, value - previous)
            previous = value
    rows = []
    for key, measures in sorted(totals.items(), key=lambda kv: str(kv[0])):
        row = dict(zip(KEY_COLUMNS, key))
        for column in MEASURE_COLUMNS:
            amount = measures.get(column, 0.0)
            row[column] = amount if column.endswith(("_usd", "_s")) else int(round(amount))
        rows.append(row)
    return rows, report


def _lines(fs, path: str, report: ReadReport) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a file's non-empty lines, gunzipped if its first bytes say gzip.

    A file whose first line is not a JSON object is listed as not telemetry and not read; a file
    that breaks while being read is listed as unreadable, and the lines before the break stand."""
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


def open_telemetry_dir(url: str):
    """(filesystem, root) for a local folder or an fsspec URL."""
    fs, root = fsspec.core.url_to_fs(url)
    return fs, root.rstrip("/")
