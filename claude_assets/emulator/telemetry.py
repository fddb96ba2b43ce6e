"""Claude Code OpenTelemetry metrics, as an OpenTelemetry Collector's file exporter writes them.

Telemetry assets need files that look like the real thing (API reference §4.5) and whose totals
agree with the emulator's Claude Code report, so ingestion can be checked against exact truth.

    truth = write_telemetry(org, "telemetry/", date(2026, 3, 1), date(2026, 3, 7))

Source: each `user_actor` row of `org.claude_code_records(day)` (one user, one terminal, one day)
whose user has `telemetry_enabled_on <= day`; `api_actor` rows have no telemetry. The row's
`num_sessions` sessions start at working-hours times of day. Each session is one client process,
or two when it is resumed later (same `session.id`, `start_type` resume/continue, new process). A
process exports every 60 s; the intervals with activity carry integer shares of the row's
counters that add up exactly to the row (cost: report cents as millionths of a USD), and the
session's first interval carries its `session.count` point.

Counterparts of the report's fields: `num_sessions` = `session.count` points with start_type
fresh (resumes are extra points); `tool_actions` edit_tool/write_tool/notebook_edit_tool =
`code_edit_tool.decision` with tool_name Edit/Write/NotebookEdit (`multi_edit_tool` has no OTel
counterpart, so those decisions are never emitted); `lines_of_code.count` carries `model` from
client version 2.1.172 on (clients update a few days after each release), and before that none.

Files: one export batch per line, `metrics.jsonl` rotated past `max_megabytes` into
`metrics-<UTC time of the overflowing write>.jsonl` (optionally gzip-compressed), like the file
exporter's size rotation; lines are ordered by arrival time.

Deliberate imperfections, all recorded in `TelemetryTruth`:
- undercount: a seeded share of batches never reaches the collector and is lost entirely;
- midnight: on a few days the first session starts in the last minute of the previous day, so
  its first delta interval crosses UTC midnight; points belong to the day of `timeUnixNano`;
- cumulative: every batch repeats all series of the process so far (unchanged points recur
  with a later timeUnixNano), a few batches are delivered twice (a retried export), and a
  resumed process restarts its series at 0 with a new `startTimeUnixNano`. A correct reader
  keys a series by its attributes and start time and counts, point by point in time order,
  the rise over the previous distinct value (0 at the start time) on the day of the point.
Delta files hold no duplicates (a consumer just sums). Only intervals with activity are
exported, also in cumulative mode, where a real SDK would resend every series each minute.
"""

from __future__ import annotations

import bisect
import gzip
import heapq
import json
import os
import random
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

from . import ids
from .timeutil import UTC, day_share, midnight

if TYPE_CHECKING:
    from .activity import CodeRecord
    from .org import SyntheticOrg
    from .people import User

TEMPORALITIES = {"delta": 1, "cumulative": 2}
INTERVAL_MS = 60_000  # OTEL_METRIC_EXPORT_INTERVAL default
DAY_MS = 86_400_000
RESUME_SHARE = 0.15  # sessions continued later by a second process
CROSSING_SHARE = 0.06  # user-days whose first session starts just before midnight
DUPLICATE_SHARE = 0.02  # cumulative batches delivered twice
MIXED_CASE_SHARE = 0.3  # users whose client sends their email as typed, in mixed case
RETRY_MS = 15_000  # how long after the original a duplicate delivery arrives
RELEASES = ((date(2025, 5, 22), 1, 0), (date(2025, 9, 29), 2, 0), (date(2026, 1, 7), 2, 1))
LINES_MODEL_SINCE = (2, 1, 172)
SCOPE = "com.anthropic.claude_code"

SESSION, LINES, PULL_REQUEST, COMMIT, COST, TOKEN, EDIT, ACTIVE = range(8)
METRICS = (  # name, unit, description, in the order points are grouped on a line
    ("claude_code.session.count", "count", "Count of CLI sessions started"),
    ("claude_code.lines_of_code.count", "count", "Count of lines of code modified"),
    ("claude_code.pull_request.count", "count", "Number of pull requests created"),
    ("claude_code.commit.count", "count", "Number of git commits created"),
    ("claude_code.cost.usage", "USD", "Cost of the Claude Code session"),
    ("claude_code.token.usage", "tokens", "Number of tokens used"),
    ("claude_code.code_edit_tool.decision", "count", "Count of code editing tool permission decisions"),
    ("claude_code.active_time.total", "s", "Total active time in seconds"),
)
SCALE = {"cost_micros": 1_000_000, "active_user_ms": 1000, "active_cli_ms": 1000}  # units per wire value
TOOLS = (("edit_tool", "Edit"), ("write_tool", "Write"), ("notebook_edit_tool", "NotebookEdit"))
TOKEN_TYPES = (("input", "input"), ("output", "output"), ("cache_read", "cacheRead"),
               ("cache_creation", "cacheCreation"))
LANGUAGES = ("TypeScript", "Python", "Go", "Rust", "Java", "Markdown", "YAML", "unknown")
LANGUAGE_WEIGHTS = (30, 30, 10, 6, 8, 8, 5, 3)
ACCEPT_SOURCES = ("user_temporary", "user_temporary", "user_permanent", "config", "hook")
REJECT_SOURCES = ("user_reject", "user_reject", "user_reject", "user_abort", "hook")
HOSTS = (  # os.type, host.arch, os.version, weight
    ("darwin", "arm64", "24.6.0", 55), ("darwin", "amd64", "23.6.0", 10),
    ("linux", "amd64", "6.8.0-60-generic", 22), ("linux", "arm64", "6.11.0-1012-aws", 5),
    ("windows", "amd64", "10.0.26100", 8),
)
REMOTE_HOST = ("linux", "amd64", "6.8.0-60-generic")


@dataclass(slots=True)
class TelemetryTotals:
    """What made it into the files for one (day, email, model, terminal), in integer units:
    `cost_micros` is millionths of a USD, active time is in milliseconds."""

    sessions: int = 0  # session.count start_type fresh
    resumes: int = 0  # session.count start_type resume or continue
    lines_added: int = 0
    lines_removed: int = 0
    commits: int = 0
    pull_requests: int = 0
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_creation: int = 0
    cost_micros: int = 0
    edit_tool_accepted: int = 0
    edit_tool_rejected: int = 0
    write_tool_accepted: int = 0
    write_tool_rejected: int = 0
    notebook_edit_tool_accepted: int = 0
    notebook_edit_tool_rejected: int = 0
    active_user_ms: int = 0
    active_cli_ms: int = 0

    @property
    def cost_usd(self) -> float:
        return self.cost_micros / 1_000_000


@dataclass
class TelemetryTruth:
    """Exact truth of one `write_telemetry` call.

    `totals` is keyed by (UTC day of timeUnixNano, lowercased email, model or None, terminal):
    tokens and cost are under their model, lines under their `model` attribute (None before it
    existed), everything else under None. `mixed_case_emails` maps the lowercased email of every
    telemetry user whose client sends a mixed-case one to the email as sent. `lines` and `points`
    count what is in the files (duplicate deliveries included, `duplicate_batches` of them);
    `dropped_batches` never arrived; `midnight_crossing_points` start before the UTC midnight
    of the day their timeUnixNano falls on.
    """

    temporality: str
    totals: dict[tuple[date, str, str | None, str], TelemetryTotals] = field(default_factory=dict)
    mixed_case_emails: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    lines: int = 0
    points: int = 0
    dropped_batches: int = 0
    duplicate_batches: int = 0
    midnight_crossing_points: int = 0


def write_telemetry(org: SyntheticOrg, out_dir: str | Path, start: date, end: date, temporality: str = "delta",
                    undercount: float = 0.03, max_megabytes: float = 100, gzip_rotated: bool = False) -> TelemetryTruth:
    """Write the metrics files for the UTC days `start`..`end` (inclusive) into `out_dir`, which
    must not hold metrics files yet (appending would mix two truths). Streams one day at a time."""
    if temporality not in TEMPORALITIES:
        raise ValueError(f"temporality must be one of {sorted(TEMPORALITIES)}")
    if not 0 <= undercount < 1:
        raise ValueError("undercount must be in [0, 1)")
    if max_megabytes <= 0:
        raise ValueError("max_megabytes must be positive")
    writer = _Writer(org, temporality, undercount)
    sink = _RotatingFile(Path(out_dir), max_megabytes, gzip_rotated)
    try:
        enabled = [u.telemetry_enabled_on for u in org.users if u.telemetry_enabled_on is not None]
        day = max(start, min(enabled, default=end + timedelta(days=1)))
        while day <= end:
            for time_ns, _, line in heapq.merge(*writer.day_batches(day)):
                sink.write(line, time_ns)
            day += timedelta(days=1)
    finally:
        writer.truth.files = sink.close()
    return writer.truth


# -- planning: where a report row's activity happens -----------------------------------------------
_HOUR_SHARES = [day_share(hour * 3600) for hour in range(25)]


def _time_of_day_ms(u: float) -> int:
    """The moment by which a share `u` of a day's activity has happened (inverse of day_share),
    so sessions start at working-hours times."""
    hour = min(23, bisect.bisect_right(_HOUR_SHARES, u) - 1)
    low, high = _HOUR_SHARES[hour], _HOUR_SHARES[hour + 1]
    return int((hour + (u - low) / (high - low)) * 3_600_000)


@dataclass(slots=True)
class _Tick:
    minute: int  # export number since the process started
    index: int  # position among all active intervals of the row
    user_ms: int
    cli_ms: int
    dropped: bool
    duplicated: bool


@dataclass(slots=True)
class _Process:
    start_ms: int  # after the day's midnight; negative = started the evening before
    start_type: str
    std: str  # the standard data-point attributes of its session
    edit_suffix: dict[str, str]  # truth field -> source and language attributes
    ticks: list[_Tick]


@dataclass(slots=True)
class _Row:
    """One report row with everything its processes share."""

    key: tuple[date, str, str | None, str]  # truth key with model None
    midnight_ms: int
    resource: str
    scope: str
    counters: list[tuple[int, str, str | None, str, int]]  # metric, attributes, model, field, day total
    cumulative_weights: list[int]
    processes: list[_Process]


@dataclass(slots=True)
class _Client:
    """The fixed traits of one user's Claude Code installation."""

    email: str  # as the client sends it
    account_uuid: str
    host: tuple[str, str, str]
    install_id: str
    languages: tuple[str, ...]
    update_lag: int  # days between a release and this client running it


def _version(day: date) -> tuple[int, int, int]:
    since, major, minor = RELEASES[0]
    for release in RELEASES:
        if release[0] <= day:
            since, major, minor = release
    return major, minor, max(0, (day - since).days * 4 // 5)


def _attrs(*pairs: tuple[str, str]) -> str:
    """OTLP/JSON string attributes, each preceded by a comma."""
    return "".join(f',{{"key":"{k}","value":{{"stringValue":{json.dumps(v)}}}}}' for k, v in pairs)


ACTIVE_USER, ACTIVE_CLI = _attrs(("type", "user")), _attrs(("type", "cli"))


def _spans(r: random.Random, before_midnight: bool) -> list[tuple[int, int, str]]:
    """(start ms after midnight, minutes, start_type) of a session's processes: one, or two when
    it is resumed later. Every export ends before the next midnight, so the day's points stay
    in the day; `before_midnight` starts the session in the previous day's last minute."""
    minutes = 2 + min(178, int(r.expovariate(1 / 20)))
    begin = min(_time_of_day_ms(r.random()), DAY_MS - minutes * INTERVAL_MS - 1)
    if before_midnight:
        begin = -r.randint(1_000, INTERVAL_MS - 1_000)
    spans = [(begin, minutes, "fresh")]
    if r.random() < RESUME_SHARE:
        later = begin + minutes * INTERVAL_MS + r.randint(60_000, 7_200_000)
        more = 2 + min(118, int(r.expovariate(1 / 15)))
        if later + more * INTERVAL_MS < DAY_MS:
            spans.append((later, more, r.choice(("resume", "continue"))))
    return spans


def _edit_suffix(r: random.Random, client: _Client) -> dict[str, str]:
    """A session's `source` and `language` attributes of each edit decision, by truth field."""
    language = r.choice(client.languages)
    accept, reject = r.choice(ACCEPT_SOURCES), r.choice(REJECT_SOURCES)
    suffix = {}
    for key, tool in TOOLS:
        tool_language = "Python" if tool == "NotebookEdit" else language
        suffix[f"{key}_accepted"] = _attrs(("source", accept), ("language", tool_language))
        suffix[f"{key}_rejected"] = _attrs(("source", reject), ("language", tool_language))
    return suffix


def _mixed_case(email: str) -> str:
    local, domain = email.split("@", 1)
    return ".".join(p.capitalize() for p in local.split(".")) + "@" + domain.capitalize()


class _Writer:
    def __init__(self, org: SyntheticOrg, temporality: str, undercount: float):
        self.org = org
        self.cumulative = temporality == "cumulative"
        self.undercount = undercount
        self.truth = TelemetryTruth(temporality)
        self.clients = {u.index: self._client(u) for u in org.users if u.telemetry_enabled_on is not None}
        self.truth.mixed_case_emails = {
            u.email.lower(): self.clients[u.index].email for u in org.users
            if u.index in self.clients and self.clients[u.index].email != u.email
        }
        self._heads = [
            f'{{"name":"{name}","description":"{text}","unit":"{unit}","sum":{{"dataPoints":['
            for name, unit, text in METRICS
        ]
        self._tail = f'],"aggregationTemporality":{TEMPORALITIES[temporality]},"isMonotonic":true}}}}'
        self._sequence = 0

    def _client(self, user: User) -> _Client:
        r = ids.rng(self.org.seed, "telemetry-client", user.index)
        host = r.choices([h[:3] for h in HOSTS], [h[3] for h in HOSTS])[0]
        return _Client(
            email=_mixed_case(user.email) if r.random() < MIXED_CASE_SHARE else user.email,
            account_uuid=ids.stable_uuid(self.org.seed, "account", user.index),
            host=host,
            install_id=ids.digest(self.org.seed, "install", user.index).hex(),
            languages=tuple(dict.fromkeys(r.choices(LANGUAGES, LANGUAGE_WEIGHTS, k=3))),
            update_lag=r.randrange(0, 15),
        )

    def day_batches(self, day: date):
        """One generator of (arrival ns, tiebreak, line) per client process active on `day`."""
        rows = {(r["actor"]["email_address"], r["terminal_type"]): r for r in self.org.claude_code_records(day)
                if r["actor"]["type"] == "user_actor"}
        for ud in self.org.active_user_days(day):
            user = ud.user
            if user.telemetry_enabled_on is None or day < user.telemetry_enabled_on:
                continue
            for rec in ud.code:
                row = rows.get((user.email, rec.terminal))
                if row is not None:
                    planned = self._plan(user, day, row, rec)
                    for process in planned.processes:
                        self._sequence += 1
                        yield self._batches(planned, process, self._sequence)

    def _plan(self, user: User, day: date, row: dict, rec: CodeRecord) -> _Row:
        client = self.clients[user.index]
        r = ids.rng(self.org.seed, "telemetry", user.index, day.toordinal(), rec.terminal)
        drops = ids.rng(self.org.seed, "telemetry-delivery", user.index, day.toordinal(), rec.terminal)
        version = _version(day - timedelta(days=client.update_lag))
        version_text = ".".join(map(str, version))
        os_type, arch, os_version = REMOTE_HOST if rec.is_remote else client.host
        resource = ('{"attributes":[' + _attrs(
            ("service.name", "claude-code"), ("service.version", version_text), ("os.type", os_type),
            ("os.version", os_version), ("host.arch", arch))[1:] + "]}")
        breakdown = row["model_breakdown"]
        lines_model = breakdown[0]["model"] if breakdown and version >= LINES_MODEL_SINCE else None
        crossing = day > user.telemetry_enabled_on and r.random() < CROSSING_SHARE
        processes: list[_Process] = []
        weights: list[int] = []
        for k in range(row["core_metrics"]["num_sessions"]):
            session_id = ids.stable_uuid(self.org.seed, "session", user.index, day.toordinal(), rec.terminal, k)
            std = _attrs(
                ("user.id", client.install_id), ("session.id", session_id),
                ("organization.id", row["organization_id"]), ("user.email", client.email),
                ("user.account_uuid", client.account_uuid), ("user.account_id", user.id),
                ("terminal.type", rec.terminal))[1:]
            edit_suffix = _edit_suffix(r, client)
            for start_ms, minutes, start_type in _spans(r, crossing and k == 0):
                ticks = self._ticks(r, drops, minutes, weights)
                processes.append(_Process(start_ms, start_type, std, edit_suffix, ticks))
        return _Row(
            key=(day, user.email.lower(), None, rec.terminal),
            midnight_ms=int(midnight(day).timestamp()) * 1000,
            resource=resource,
            scope=f'{{"name":"{SCOPE}","version":"{version_text}"}}',
            counters=_counters(row, lines_model, {m.model for m in rec.models if m.speed == "fast"}),
            cumulative_weights=list(accumulate(weights, initial=0)),
            processes=processes,
        )

    def _ticks(self, r: random.Random, drops: random.Random, minutes: int, weights: list[int]) -> list[_Tick]:
        """The export intervals of a process that carry activity (always its first one), each
        with its weight in the row's split appended to `weights`, and its delivery fate."""
        ticks = []
        extra = min(minutes - 1, int(r.expovariate(0.45)))
        for minute in [1, *sorted(r.sample(range(2, minutes + 1), extra))]:
            ticks.append(_Tick(minute, len(weights), r.randint(500, 40_000), r.randint(2_000, 58_000),
                               drops.random() < self.undercount, drops.random() < DUPLICATE_SHARE))
            weights.append(r.randint(1, 100))
        return ticks

    # -- writing ---------------------------------------------------------------------------------
    def _batches(self, row: _Row, process: _Process, sequence: int):
        """The lines one process's exporter delivers, in time order; the truth is settled when it ends."""
        cumulative = self.cumulative
        running: dict[tuple[int, str, str | None, str], int] = {}
        kept: dict[tuple[int, str, str | None, str], int] = {}
        weights = row.cumulative_weights
        whole = weights[-1]
        for tick in process.ticks:
            increments = []
            if tick.minute == 1:
                started = "sessions" if process.start_type == "fresh" else "resumes"
                increments.append(((SESSION, _attrs(("start_type", process.start_type)), None, started), 1))
            before, after = weights[tick.index], weights[tick.index + 1]
            for metric, attrs, model, name, total in row.counters:
                part = total * after // whole - total * before // whole
                if part:
                    if metric == EDIT:
                        attrs += process.edit_suffix[name]
                    increments.append(((metric, attrs, model, name), part))
            increments.append(((ACTIVE, ACTIVE_USER, None, "active_user_ms"), tick.user_ms))
            increments.append(((ACTIVE, ACTIVE_CLI, None, "active_cli_ms"), tick.cli_ms))
            for series, value in increments:
                running[series] = running.get(series, 0) + value
            if tick.dropped:
                self.truth.dropped_batches += 1
                continue
            time_ms = row.midnight_ms + process.start_ms + tick.minute * INTERVAL_MS
            start_ms = row.midnight_ms + process.start_ms if cumulative else time_ms - INTERVAL_MS
            points = list(running.items()) if cumulative else increments
            if cumulative:
                kept = dict(running)
            else:
                for series, value in increments:
                    kept[series] = kept.get(series, 0) + value
            line = self._line(row, process.std, start_ms, time_ms, points)
            copies = 2 if cumulative and tick.duplicated else 1
            self.truth.lines += copies
            self.truth.points += copies * len(points)
            self.truth.duplicate_batches += copies - 1
            if start_ms < row.midnight_ms:
                self.truth.midnight_crossing_points += copies * len(points)
            for copy in range(copies):
                yield (time_ms + copy * RETRY_MS) * 1_000_000, sequence, line
        day, email, _, terminal = row.key
        for (_, _, model, name), value in kept.items():
            totals = self.truth.totals.setdefault((day, email, model, terminal), TelemetryTotals())
            setattr(totals, name, getattr(totals, name) + value)

    def _line(self, row: _Row, std: str, start_ms: int, time_ms: int, points) -> bytes:
        stamps = f'"startTimeUnixNano":"{start_ms}000000","timeUnixNano":"{time_ms}000000","asDouble":'
        by_metric: dict[int, list[str]] = {}
        for (metric, attrs, _, name), value in points:
            scale = SCALE.get(name)
            number = repr(value / scale) if scale else str(value)
            by_metric.setdefault(metric, []).append(f'{{"attributes":[{std}{attrs}],{stamps}{number}}}')
        metrics = ",".join(self._heads[m] + ",".join(by_metric[m]) + self._tail for m in sorted(by_metric))
        return (f'{{"resourceMetrics":[{{"resource":{row.resource},"scopeMetrics":[{{"scope":{row.scope},'
                f'"metrics":[{metrics}]}}]}}]}}\n').encode()


def _counters(row: dict, lines_model: str | None, fast: set[str]) -> list[tuple[int, str, str | None, str, int]]:
    """Every non-zero daily total of a report row, with the metric and attributes that carry it."""
    core = row["core_metrics"]
    model_attr = _attrs(("model", lines_model)) if lines_model else ""
    counters = [
        (LINES, _attrs(("type", "added")) + model_attr, lines_model, "lines_added", core["lines_of_code"]["added"]),
        (LINES, _attrs(("type", "removed")) + model_attr, lines_model, "lines_removed",
         core["lines_of_code"]["removed"]),
        (COMMIT, "", None, "commits", core["commits_by_claude_code"]),
        (PULL_REQUEST, "", None, "pull_requests", core["pull_requests_by_claude_code"]),
    ]
    for key, tool in TOOLS:
        actions = row["tool_actions"].get(key, {})
        for decision, verdict in (("accept", "accepted"), ("reject", "rejected")):
            counters.append((EDIT, _attrs(("tool_name", tool), ("decision", decision)), None, f"{key}_{verdict}",
                             actions.get(verdict, 0)))
    for position, entry in enumerate(row["model_breakdown"]):
        model = entry["model"]
        pairs = [("model", model), ("query_source", "main" if position == 0 else "subagent")]
        if model in fast:
            pairs.append(("speed", "fast"))
        attrs = _attrs(*pairs)
        counters.append((COST, attrs, model, "cost_micros", entry["estimated_cost"]["amount"] * 10_000))
        for name, label in TOKEN_TYPES:
            counters.append((TOKEN, _attrs(("type", label)) + attrs, model, name, entry["tokens"][name]))
    return [c for c in counters if c[-1]]


class _RotatingFile:
    """`metrics.jsonl` with the file exporter's size rotation: when a line would take the file
    past the limit, the file is renamed `metrics-<UTC time>.jsonl` (the time of that write,
    millisecond precision, made unique) and a new `metrics.jsonl` starts. A line longer than
    the limit gets a file of its own. Pruning by max_backups/max_days is not modelled."""

    def __init__(self, directory: Path, max_megabytes: float, gzip_rotated: bool):
        directory.mkdir(parents=True, exist_ok=True)
        existing = sorted(p.name for p in directory.glob("metrics*.jsonl*"))
        if existing:
            raise FileExistsError(f"{directory} already holds metrics files ({', '.join(existing[:3])}); "
                                  "write telemetry into an empty directory")
        self.directory = directory
        self.path = directory / "metrics.jsonl"
        self.max_bytes = int(max_megabytes * 1024 * 1024)
        self.gzip_rotated = gzip_rotated
        self.rotated: list[Path] = []
        self.last_stamp_ms = 0
        self.handle = open(self.path, "wb", buffering=1 << 20)
        self.size = 0

    def write(self, line: bytes, time_ns: int) -> None:
        if self.size and self.size + len(line) > self.max_bytes:
            self._rotate(time_ns // 1_000_000)
        self.handle.write(line)
        self.size += len(line)

    def _rotate(self, now_ms: int) -> None:
        self.handle.close()
        self.last_stamp_ms = max(now_ms, self.last_stamp_ms + 1)
        moment = datetime.fromtimestamp(self.last_stamp_ms / 1000, UTC)
        target = self.directory / f"metrics-{moment:%Y-%m-%dT%H-%M-%S}.{self.last_stamp_ms % 1000:03d}.jsonl"
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
        self.handle.close()
        return [*self.rotated, self.path]
