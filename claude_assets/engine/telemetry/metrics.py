"""Claude Code's OpenTelemetry metrics, day by day, from the lines `days.DayLines` sorts out of a Collector's files.

One export batch per line (API reference §4.5); lines of events (`resourceLogs`) may share a file
with the metrics and are counted apart, never as bad lines. Output: per UTC day and (person, model,
terminal, organization, version), the same measures the Claude Code Analytics report has, so the
two can be joined.

- Delta points (Claude Code's default) are summed; a batch written twice counts once. Cumulative
  points are read per series (its attributes and start time): each point adds its rise over the
  previous value of the series, so re-exported and duplicated points add nothing, and a drop is a
  restarted process counting from 0. The previous value may come from a day read before
  (`MetricsReader`).
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
  So is a point whose value or times cannot be (NaN, Infinity, a negative count, a value past
  2^53, a time outside 1970 to 9999-12-30): it is left out and counted in `bad_values`, and its line is
  counted and quoted as a bad line once. A batch holds many measures of one process, so leaving
  out only the bad point loses less than leaving out the line. (A bad point of a metric this
  version does not map is left out uncounted, as its good points are.) A count whose day's total
  would pass 2^53 is held there, and counted in `capped_totals`.
- `sessions` counts `session.count` points whose `start_type` is `fresh` (or absent): the
  report's distinct sessions started; resumes are counted apart, and `agents_view` (the
  `claude agents` dashboard, "not a conversational session") not at all.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import json
import re
from typing import Any, Callable, Iterable, Iterator

from claude_assets.engine.lake import Lake
from claude_assets.engine.telemetry.days import DayLines, Line, LinesReport
from claude_assets.engine.telemetry.files import NANOS_PER_DAY, BadValue, amount, day_of, nanos, whole

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
MAX_VALUE = 2**53  # a point's value is summed as a double: no larger count is exact, and no client sends one
LINE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError)  # not OTLP/JSON


@dataclasses.dataclass
class ReadReport(LinesReport):
    """What reading metrics cost and what it skipped, for the materialization's metadata."""

    points: int = 0
    points_without_time: int = 0
    points_by_identity_source: dict[str, int] = dataclasses.field(default_factory=dict)
    points_by_organization: dict[str, int] = dataclasses.field(default_factory=dict)  # organization.id -> points
    other_organization_points: int = 0  # left out: another organization's clients sent to the same Collector
    ignored_points: int = 0  # metrics or attribute values this version does not map
    cumulative_resets: int = 0
    series: int = 0
    series_from_earlier_days: int = 0  # cumulative series whose previous value came from a day read before
    capped_totals: int = 0  # row counts held at 2^53: hostile points added up past what a count column holds


def normalize_model(model: str | None) -> str | None:
    """`claude-opus-4-6[1m]` -> `claude-opus-4-6`: clients may tag the context window onto the name."""
    return _MODEL_SUFFIX.sub("", model) if model else model


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
    """The point's value: every measure read is a count or an amount, never negative."""
    if "asDouble" in point:
        return amount(point["asDouble"], "asDouble", MAX_VALUE)
    return float(whole(point.get("asInt", 0), "asInt", 0, MAX_VALUE))


def _point(point: dict) -> tuple[int, int | None, float]:
    """(start ns, time ns or None, value) of a point; `BadValue` if any of them cannot be."""
    time = point.get("timeUnixNano")
    return (nanos(point.get("startTimeUnixNano", 0), "startTimeUnixNano"),
            nanos(time) if time is not None else None, _value(point))


def _points(batch: dict) -> Iterator[tuple[str, int, dict, int, int | None, float | BadValue]]:
    """(metric, temporality, attributes, start ns, time ns, value) of every sum point in a batch.

    A point whose value or times cannot be is yielded with its `BadValue` as the value (times 0)."""
    for resource_metrics in batch["resourceMetrics"]:
        resource = _attributes((resource_metrics.get("resource") or {}).get("attributes"))
        for scope_metrics in resource_metrics.get("scopeMetrics") or ():
            for metric in scope_metrics.get("metrics") or ():
                data = metric.get("sum")
                if data is None:
                    continue
                temporality = whole(data.get("aggregationTemporality", 1), "aggregationTemporality", 0, 3)
                for point in data.get("dataPoints") or ():
                    attributes = {**resource, **_attributes(point.get("attributes"))}
                    try:
                        start, time, value = _point(point)
                    except BadValue as bad:
                        yield metric["name"], temporality, attributes, 0, 0, bad
                        continue
                    yield metric["name"], temporality, attributes, start, time, value


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


def _point_times(batch: dict) -> Iterator[int]:
    return (time for *_, time, value in _points(batch) if time is not None and not isinstance(value, BadValue))


class MetricsReader:
    """Turns each day's lines into the day's rows, oldest day first, carrying cumulative series across days.

    A cumulative point counts its rise over the previous value of its series. That value is the
    series' last earlier point: on an earlier day of this read (kept in memory for `RECENT_DAYS`),
    in the day's own lines, or kept in the lake with a day read before (`earlier(day)`, looked up
    back to the day the series started, at most `MAX_IDLE_DAYS`). So a process idle over a weekend
    whose Friday file is gone counts Monday's rise, not its whole count, and memory holds a week
    of series whatever the length of the read."""

    RECENT_DAYS = 7
    MAX_IDLE_DAYS = 92
    EARLIER_CACHE = 16

    def __init__(self, report: ReadReport, identity_attributes: tuple[str, ...] = DEFAULT_IDENTITY_ATTRIBUTES,
                 organization_id: str | None = None, earlier: Callable[[dt.date], dict | None] = lambda day: None):
        self.report, self.identity_attributes, self.organization_id = report, identity_attributes, organization_id
        self.recent: dict[str, tuple[int, float]] = {}
        self._earlier, self._earlier_cache = earlier, collections.OrderedDict()

    def day(self, day: dt.date, lines: Iterable[Line], count: bool = True) -> tuple[list[dict], list[Line], dict]:
        """(rows of `day`, the lines that held its points, {series: [time, value]} of its series at the day's end).

        `count`: the day is one the read reports on (the days before a range only set cumulative series)."""
        report, low = self.report, (day - dt.date(1970, 1, 1)).days * NANOS_PER_DAY
        high = low + NANOS_PER_DAY
        totals: dict[tuple, dict[str, float]] = {}
        cumulative: dict[tuple, list[tuple[int, float]]] = {}
        read: list[Line] = []

        def add(identity: tuple, columns: tuple[str, ...], amount: float) -> None:
            row = totals.setdefault(identity, {})
            for column in columns:
                row[column] = row.get(column, 0.0) + amount

        for line in lines:
            ours = count and line.first_day in (None, day)  # a line's own counts, made once
            try:
                points = list(_points(json.loads(line.text)))
            except LINE_ERRORS as exc:
                if ours:
                    report.bad(line.where, type(exc).__name__, line.text)
                continue
            bad = [value for name, *_, value in points if isinstance(value, BadValue) and name in MEASURES]
            held = False
            if bad and ours:
                report.bad_values += len(bad)
                report.bad(line.where, f"{len(bad)} point(s) left out, the first: {bad[0]}", line.text)
            for name, temporality, attributes, start, time, value in points:
                if isinstance(value, BadValue):
                    continue
                if time is None:
                    if ours:
                        report.points += 1
                        report.points_without_time += 1
                    continue
                if time >= high:
                    continue
                on_day = time >= low
                held |= on_day
                tally = count and on_day
                organization = _text(attributes.get("organization.id"))
                if tally:
                    report.points += 1
                    counted = organization or "none"
                    report.points_by_organization[counted] = report.points_by_organization.get(counted, 0) + 1
                if self.organization_id and organization not in (None, self.organization_id):
                    report.other_organization_points += tally
                    continue
                measure = MEASURES.get(name)
                columns = measure(attributes) if measure else None
                if columns is None:
                    report.ignored_points += tally
                    continue
                columns = (columns,) if isinstance(columns, str) else columns
                identity = _identity(attributes, self.identity_attributes)
                if tally:
                    report.points_by_identity_source[identity[0]] = report.points_by_identity_source.get(identity[0], 0) + 1
                if temporality == 2:
                    cumulative.setdefault((columns, identity, tuple(sorted(attributes.items())), start), []).append(
                        (time, value))
                elif on_day:
                    add(identity, columns, value)
            if held:
                read.append(line)
        state = self._cumulative(day, low, cumulative, add, count)
        rows = []
        for identity, measures in sorted(totals.items(), key=lambda kv: str(kv[0])):
            row = dict(zip(KEY_COLUMNS, (day, *identity)))
            for column in MEASURE_COLUMNS:
                total = measures.get(column, 0.0)
                if total > MAX_VALUE:
                    total = MAX_VALUE
                    report.capped_totals += count
                row[column] = total if column.endswith(("_usd", "_s")) else int(round(total))
            rows.append(row)
        return rows, read, state

    def _cumulative(self, day: dt.date, low: int, cumulative: dict, add, count: bool) -> dict:
        """Add each series' rises on `day`; its state at the day's end."""
        ids = {series: _series_id(series) for series in cumulative}
        missing = {ids[series]: day_of(series[3]) for series, points in cumulative.items()
                   if ids[series] not in self.recent and day_of(series[3]) < day and min(points)[0] >= low}
        earlier = self._look_back(day, missing)
        state = {}
        for series, points in cumulative.items():
            key = ids[series]
            before = self.recent.get(key) or earlier.get(key)
            timeline = sorted({*points, *((before,) if before else ())})
            previous, on_day = 0.0, False
            for time, value in timeline:
                if time < low:
                    previous = value  # an earlier point only sets where the series stood
                    continue
                on_day = True
                if value < previous:
                    self.report.cumulative_resets += count
                    previous = 0.0
                if value > previous:
                    add(series[1], series[0], value - previous)
                previous = value
            if on_day and count:
                self.report.series += 1
                self.report.series_from_earlier_days += key in earlier
            state[key] = list(timeline[-1])
            self.recent[key] = timeline[-1]
        horizon = low - self.RECENT_DAYS * NANOS_PER_DAY
        self.recent = {key: last for key, last in self.recent.items() if last[0] >= horizon}
        return state

    def _look_back(self, day: dt.date, missing: dict[str, dt.date]) -> dict[str, tuple[int, float]]:
        """The last point before `day` of series not seen in this read, from the days the lake kept."""
        found: dict[str, tuple[int, float]] = {}
        earliest = day - dt.timedelta(days=self.MAX_IDLE_DAYS)
        past = day - dt.timedelta(days=1)
        while missing and past >= earliest:
            kept = self._kept(past) or {}
            for key in [key for key in missing if key in kept]:
                found[key] = tuple(kept[key])
                del missing[key]
            missing = {key: started for key, started in missing.items() if started < past}
            past -= dt.timedelta(days=1)
        return found

    def _kept(self, day: dt.date) -> dict | None:
        if day not in self._earlier_cache:
            self._earlier_cache[day] = self._earlier(day)
            if len(self._earlier_cache) > self.EARLIER_CACHE:
                self._earlier_cache.popitem(last=False)
        return self._earlier_cache[day]


def _series_id(series: tuple) -> str:
    """A cumulative series (its measure, person, attributes and start) as a short stable id, to keep with a day."""
    return hashlib.blake2b(repr(series).encode(), digest_size=12).hexdigest()


def metrics_by_day(fs, paths: list[str], days: list[dt.date] | None, report: ReadReport,
                   identity_attributes: tuple[str, ...] = DEFAULT_IDENTITY_ATTRIBUTES, organization_id: str | None = None,
                   lake: Lake | None = None, asset: str | None = None,
                   lookback: int = 0) -> Iterator[tuple[dt.date, list[dict], list[Line], dict]]:
    """(day, rows, lines read, cumulative state) for each of `days` in order (every day the files hold if None).

    With a `lake`, each day's lines are merged with those it kept for `asset`, and series
    continue from the states kept with earlier days; the caller keeps the new ones. The
    `lookback` days before the first only set where cumulative series stood."""
    earlier = (lambda day: lake.read_series(asset, day)) if lake else (lambda day: None)
    reader = MetricsReader(report, identity_attributes, organization_id, earlier)
    before = [days[0] - dt.timedelta(days=n) for n in range(lookback, 0, -1)] if days else []
    with DayLines(fs, paths, "metrics", _point_times, report, None if days is None else [*before, *days],
                  lake, asset) as source:
        wanted = days if days is not None else source.days()
        if not wanted:
            return
        for day in before:
            reader.day(day, source.read(day), count=False)
        for number, day in enumerate(wanted):
            rows, lines, state = reader.day(day, source.read(day, undated=number == 0))
            yield day, rows, lines, state


def read_telemetry(fs, paths: list[str], days: set[dt.date] | None = None,
                   identity_attributes: tuple[str, ...] = DEFAULT_IDENTITY_ATTRIBUTES,
                   organization_id: str | None = None) -> tuple[list[dict], ReadReport]:
    """Every row of `days` (all days if None) from the files alone: for small reads, tests and benchmarks."""
    report = ReadReport()
    rows = [row for _, day_rows, _, _ in metrics_by_day(fs, paths, sorted(days) if days is not None else None, report,
                                                       identity_attributes, organization_id)
            for row in day_rows]
    return rows, report
