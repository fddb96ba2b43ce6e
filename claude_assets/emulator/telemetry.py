"""Claude Code's OpenTelemetry metrics and events, as an OpenTelemetry Collector's file exporter
writes them.

Telemetry assets need files that look like the real thing (API reference §4.5) and whose totals
agree with the emulator's Claude Code report, so ingestion can be checked against exact truth.

    truth = write_telemetry(org, "telemetry/", date(2026, 3, 1), date(2026, 3, 7))

Source: each `user_actor` row of `org.claude_code_records(day)` (one user, one terminal, one day)
whose user has `telemetry_enabled_on <= day`, and with `realistic` (the default) each `api_actor`
row. The row's `num_sessions` sessions start at working-hours times of day. Each session is one
client process, or two when it is resumed later (same `session.id`, `start_type` resume/continue,
new process). A process exports every 60 s; the intervals with activity carry integer shares of
the row's counters that add up exactly to the row (cost: report cents as millionths of a USD),
and the session's first interval carries its `session.count` point.

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

Options. The defaults (`realistic=True, events="same"`) are what real clients write through a
Collector whose metrics and logs pipelines share one file exporter; `realistic=False, events=None`
gives the plain world some tests want (every client signed in and sending its e-mail, metrics
only), byte for byte what the writer wrote before the options existed:
- `realistic`: the clients real deployments have (facts §1.2, §1.3, §1.5): count metrics with
  unit "", per-series delta start times (first measurement since the last export), clients that
  send account ids but no e-mail, API-key clients for the `api_actor` rows (`telemetry_clients`:
  `user.id` only, some with `enduser.id`), `agents_view` dashboard launches (not sessions), and
  in cumulative mode processes left open over a weekend that export again on Monday, more than
  two days after their last point. Off: every client is signed in and sends its e-mail, counts
  have unit "count", and a line's points share one start time;
- `events`: Claude Code's events as OTLP logs (`telemetry_events`), consistent with the metrics,
  in the metrics file ("same", the default: both pipelines share one file exporter) or in
  `events.jsonl` ("separate"); None writes metrics only;
- `collector_restart` (default None: a restart is a scenario, not a default): a Collector without
  a `rotation:` key (the only set-up whose file a restart truncates; nothing rotates then)
  restarts at that instant and empties its files.
"""

from __future__ import annotations

import bisect
import heapq
import random
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from itertools import accumulate, count
from pathlib import Path
from typing import TYPE_CHECKING

from . import ids, telemetry_events
from .telemetry_clients import Client, attrs, key_client, user_client
from .telemetry_files import CollectorFile
from .telemetry_truth import IdleGap, TelemetryTotals, TelemetryTruth
from .timeutil import UTC, day_share, midnight

if TYPE_CHECKING:
    from .activity import CodeRecord
    from .org import SyntheticOrg
    from .people import User

TEMPORALITIES = {"delta": 1, "cumulative": 2}
EVENTS = ("same", "separate")
INTERVAL_MS = 60_000  # OTEL_METRIC_EXPORT_INTERVAL default
DAY_MS = 86_400_000
RESUME_SHARE = 0.15  # sessions continued later by a second process
CROSSING_SHARE = 0.06  # user-days whose first session starts just before midnight
DUPLICATE_SHARE = 0.02  # cumulative batches delivered twice
RETRY_MS = 15_000  # how long after the original a duplicate delivery arrives
AGENTS_VIEW_DAY_SHARE = 0.4  # realistic: days a dashboard user opens `claude agents`
IDLE_SHARE = 0.5  # realistic cumulative: Friday processes of users back on Monday that sleep over the weekend
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
REAL_DESCRIPTIONS = {EDIT: "Count of code editing tool permission decisions (accept/reject) for Edit, Write, "
                           "and NotebookEdit tools"}
SCALE = {"cost_micros": 1_000_000, "active_user_ms": 1000, "active_cli_ms": 1000}  # units per wire value
TOOLS = (("edit_tool", "Edit"), ("write_tool", "Write"), ("notebook_edit_tool", "NotebookEdit"))
TOOL_NAMES = dict(TOOLS)
TOKEN_TYPES = (("input", "input"), ("output", "output"), ("cache_read", "cacheRead"),
               ("cache_creation", "cacheCreation"))
ACCEPT_SOURCES = ("user_temporary", "user_temporary", "user_permanent", "config", "hook")
REJECT_SOURCES = ("user_reject", "user_reject", "user_reject", "user_abort", "hook")


def write_telemetry(org: SyntheticOrg, out_dir: str | Path, start: date, end: date, temporality: str = "delta",
                    undercount: float = 0.03, max_megabytes: float = 100, gzip_rotated: bool = False, *,
                    realistic: bool = True, events: str | None = "same",
                    collector_restart: datetime | None = None) -> TelemetryTruth:
    """Write the metrics files (and, with `events`, the events) for the UTC days `start`..`end`
    (inclusive) into `out_dir`, which must not hold metrics files yet (appending would mix two
    truths). Streams one day at a time. By default the clients are realistic and their events
    share the metrics file; `realistic=False, events=None` writes the plain e-mail-only metrics.
    `collector_restart` must fall within those days; its Collector does not rotate, so
    `max_megabytes` does not apply and `gzip_rotated` is refused."""
    if temporality not in TEMPORALITIES:
        raise ValueError(f"temporality must be one of {sorted(TEMPORALITIES)}")
    if not 0 <= undercount < 1:
        raise ValueError("undercount must be in [0, 1)")
    if max_megabytes <= 0:
        raise ValueError("max_megabytes must be positive")
    if events is not None and events not in EVENTS:
        raise ValueError(f"events must be None or one of {list(EVENTS)}")
    if collector_restart is not None:
        days = (midnight(start), midnight(end) + timedelta(days=1))
        if collector_restart.tzinfo is None or not days[0] <= collector_restart < days[1]:
            raise ValueError("collector_restart must be a time with a zone within the days written")
        if gzip_rotated:
            raise ValueError("a Collector that truncates on restart has no rotation: gzip_rotated does not apply")
    writer = _Writer(org, temporality, undercount, realistic, events, collector_restart)
    restart_ns = None if writer.restart_ms is None else writer.restart_ms * 1_000_000
    metrics = CollectorFile(Path(out_dir), "metrics", max_megabytes, gzip_rotated, restart_ns)
    sinks = (metrics, metrics)
    try:
        if events == "separate":
            sinks = (metrics, CollectorFile(Path(out_dir), "events", max_megabytes, gzip_rotated, restart_ns))
        enabled = [u.telemetry_enabled_on for u in org.users if u.telemetry_enabled_on is not None]
        day = start if realistic else max(start, min(enabled, default=end + timedelta(days=1)))
        while day <= end:
            for time_ns, _, _, stream, line in heapq.merge(*writer.day_batches(day)):
                sinks[stream].write(line, time_ns)
            day += timedelta(days=1)
    finally:
        writer.truth.files = metrics.close()
        if sinks[1] is not metrics:
            writer.truth.event_files = sinks[1].close()
    writer.finish()
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
    index: int  # position among all active intervals of the row; -1: carries none of its activity
    user_ms: int
    cli_ms: int
    dropped: bool
    duplicated: bool


@dataclass(slots=True)
class _Install:
    """A client at one version, as its lines show it."""

    version: tuple[int, int, int]
    resource: str
    scope: str
    log_scope: str
    counters: list[tuple[int, str, str | None, str, int]]  # metric, attributes, model, field, day total
    models: dict[str, tuple[str, str]]  # model -> query_source and speed of its api_request events


@dataclass(slots=True)
class _Carry:
    """What a process that sleeps over a weekend keeps for the day it exports again: its running
    totals, their values last on disk and last received, and its event sequence."""

    running: dict = field(default_factory=dict)
    disk: dict = field(default_factory=dict)
    received: dict = field(default_factory=dict)
    sequence: int = 0


@dataclass(slots=True)
class _Process:
    start_ms: int  # after the day's midnight; negative = started earlier
    start_type: str  # of its session.count point; "" = continues a process from an earlier day
    session_id: str
    std: str  # the standard data-point attributes of its session
    edit_suffix: dict[str, str]  # truth field -> source and language attributes
    sources: tuple[str, str]  # source of its accept and reject decisions
    ticks: list[_Tick]
    install: _Install
    carry: _Carry | None = None


@dataclass(slots=True)
class _Row:
    """One report row with everything its processes share."""

    key: tuple[date, str | None, str | None, str]  # truth key with model None (no e-mail: an API key)
    identity: tuple[str, str]
    midnight_ms: int
    cumulative_weights: list[int]
    processes: list[_Process]


@dataclass(slots=True)
class _Sleeper:
    """A Friday process that exports again on `wake` (a Monday)."""

    wake: date
    process: _Process
    start_ms: int  # absolute


def _version(day: date) -> tuple[int, int, int]:
    since, major, minor = RELEASES[0]
    for release in RELEASES:
        if release[0] <= day:
            since, major, minor = release
    return major, minor, max(0, (day - since).days * 4 // 5)


ACTIVE_USER, ACTIVE_CLI = attrs(("type", "user")), attrs(("type", "cli"))


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


def _edit_suffix(r: random.Random, client: Client) -> tuple[dict[str, str], tuple[str, str]]:
    """A session's `source` and `language` attributes of each edit decision, by truth field, and
    its accept and reject sources."""
    language = r.choice(client.languages)
    accept, reject = r.choice(ACCEPT_SOURCES), r.choice(REJECT_SOURCES)
    suffix = {}
    for key, tool in TOOLS:
        tool_language = "Python" if tool == "NotebookEdit" else language
        suffix[f"{key}_accepted"] = attrs(("source", accept), ("language", tool_language))
        suffix[f"{key}_rejected"] = attrs(("source", reject), ("language", tool_language))
    return suffix, (accept, reject)


def _install(client: Client, row: dict, rec: CodeRecord, version: tuple[int, int, int]) -> _Install:
    text = ".".join(map(str, version))
    return _Install(version, client.resource(text, rec.is_remote), f'{{"name":"{SCOPE}","version":"{text}"}}',
                    f'{{"name":"{telemetry_events.SCOPE}","version":"{text}"}}', *_usage(row, rec, version))


def _usage(row: dict, rec: CodeRecord, version: tuple[int, int, int]):
    """The counters of a row's metrics as a client at `version` sends them, and the query_source
    and speed of each model's requests."""
    breakdown = row["model_breakdown"]
    lines_model = breakdown[0]["model"] if breakdown and version >= LINES_MODEL_SINCE else None
    fast = {m.model for m in rec.models if m.speed == "fast"}
    models = {e["model"]: ("repl_main_thread" if n == 0 else "general-purpose",
                           "fast" if e["model"] in fast else "normal") for n, e in enumerate(breakdown)}
    return _counters(row, lines_model, fast), models


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class _Writer:
    def __init__(self, org: SyntheticOrg, temporality: str, undercount: float, realistic: bool,
                 events: str | None, restart: datetime | None):
        self.org = org
        self.cumulative = temporality == "cumulative"
        self.undercount = undercount
        self.realistic = realistic
        self.events = events is not None
        self.restart_ms = None if restart is None else int(restart.timestamp() * 1000)
        self.truth = TelemetryTruth(temporality, realistic=realistic, events=events, collector_restart=restart)
        self.clients = {u.index: user_client(org, u, realistic) for u in org.users
                        if u.telemetry_enabled_on is not None}
        self.key_clients = {key.name: key_client(org, key, n) for n, key in enumerate(org.actor_keys) if realistic}
        self.truth.mixed_case_emails = {
            u.email.lower(): client.email for u in org.users
            if (client := self.clients.get(u.index)) is not None and client.email and client.email != u.email
        }
        self._heads = [
            f'{{"name":"{name}","description":"{REAL_DESCRIPTIONS.get(m, text) if realistic else text}",'
            f'"unit":"{"" if realistic and unit == "count" else unit}","sum":{{"dataPoints":['
            for m, (name, unit, text) in enumerate(METRICS)
        ]
        self._tail = f'],"aggregationTemporality":{TEMPORALITIES[temporality]},"isMonotonic":true}}}}'
        self._sequence = 0
        self._sleepers: dict[tuple[int | str, str], _Sleeper] = {}

    def day_batches(self, day: date):
        """One generator of (arrival ns, process, order, stream, line) per client process active on
        `day`; stream 0 is the metrics file, 1 the events file."""
        records = self.org.claude_code_records(day)
        rows = {(r["actor"]["email_address"], r["terminal_type"]): r for r in records
                if r["actor"]["type"] == "user_actor"}
        for ud in self.org.active_user_days(day):
            user = ud.user
            if user.telemetry_enabled_on is None or day < user.telemetry_enabled_on:
                continue
            for rec in ud.code:
                row = rows.get((user.email, rec.terminal))
                if row is not None:
                    yield from self._process_batches(self._plan(self.clients[user.index], day, row, rec, user))
        if self.realistic:
            keyed = {(r["actor"]["api_key_name"], r["terminal_type"]): r for r in records
                     if r["actor"]["type"] == "api_actor"}
            for key, rec in self.org.console_day(day).actor_code:
                row = keyed.get((key.name, rec.terminal))
                if row is not None:
                    yield from self._process_batches(self._plan(self.key_clients[key.name], day, row, rec, None))

    def _process_batches(self, planned: _Row):
        for process in planned.processes:
            self._sequence += 1
            yield self._batches(planned, process, self._sequence)

    def _plan(self, client: Client, day: date, row: dict, rec: CodeRecord, user: User | None) -> _Row:
        seed = self.org.seed
        r = ids.rng(seed, "telemetry", client.seed_key, day.toordinal(), rec.terminal)
        drops = ids.rng(seed, "telemetry-delivery", client.seed_key, day.toordinal(), rec.terminal)
        version = _version(day - timedelta(days=client.update_lag))
        install = _install(client, row, rec, version)
        crossing = day > client.enabled_on and r.random() < CROSSING_SHARE
        processes: list[_Process] = []
        weights: list[int] = []
        for k in range(row["core_metrics"]["num_sessions"]):
            session_id = ids.stable_uuid(seed, "session", client.seed_key, day.toordinal(), rec.terminal, k)
            std = client.standard(day, session_id, row["organization_id"], rec.terminal, version)
            edit_suffix, sources = _edit_suffix(r, client)
            for start_ms, minutes, start_type in _spans(r, crossing and k == 0):
                ticks = self._ticks(r, drops, minutes, weights)
                processes.append(_Process(start_ms, start_type, session_id, std, edit_suffix, sources, ticks, install))
        planned = _Row(
            key=(day, client.member_email, None, rec.terminal),
            identity=client.identity(day),
            midnight_ms=int(midnight(day).timestamp()) * 1000,
            cumulative_weights=list(accumulate(weights, initial=0)),
            processes=processes,
        )
        if self.realistic:
            self._realistic(planned, client, row, rec, user, install)
        return planned

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

    # -- realistic: weekend sleepers and dashboard launches ------------------------------------------
    def _realistic(self, planned: _Row, client: Client, row: dict, rec: CodeRecord, user: User | None,
                   install: _Install) -> None:
        """Draws from streams of their own, so the rest of the output stays as without `realistic`."""
        day = planned.key[0]
        real = ids.rng(self.org.seed, "telemetry-real", client.seed_key, day.toordinal(), rec.terminal)
        sleeper = self._sleepers.get((client.seed_key, rec.terminal))
        if sleeper is not None and sleeper.wake == day:
            del self._sleepers[(client.seed_key, rec.terminal)]
            self._wake(planned, sleeper, row, rec)
        if (self.cumulative and user is not None and day.weekday() == 4 and real.random() < IDLE_SHARE
                and (monday := self.org.user_day(user, day + timedelta(days=3))) is not None
                and any(later.terminal == rec.terminal for later in monday.code)):
            last = planned.processes[-1]
            last.carry = _Carry()
            self._sleepers[(client.seed_key, rec.terminal)] = _Sleeper(
                day + timedelta(days=3), last, planned.midnight_ms + last.start_ms)
        if client.agents_view and real.random() < AGENTS_VIEW_DAY_SHARE:
            session_id = ids.stable_uuid(self.org.seed, "agents-view", client.seed_key, day.toordinal(), rec.terminal)
            std = client.standard(day, session_id, row["organization_id"], rec.terminal, install.version)
            tick = _Tick(1, -1, 0, 0, real.random() < self.undercount, real.random() < DUPLICATE_SHARE)
            planned.processes.append(_Process(min(_time_of_day_ms(real.random()), DAY_MS - 2 * INTERVAL_MS),
                                              "agents_view", session_id, std, {}, ("", ""), [tick], install))

    def _wake(self, planned: _Row, sleeper: _Sleeper, row: dict, rec: CodeRecord) -> None:
        """The day's first session becomes the sleeping process exporting again: same session,
        resource and start time, so its series continue, and no new session.count point."""
        first, asleep = planned.processes[0], sleeper.process
        if first.start_ms < 0:  # starts before midnight: too close to Friday for a weekend gap
            return
        offset = (planned.midnight_ms + first.start_ms - sleeper.start_ms) // INTERVAL_MS
        counters, models = _usage(row, rec, asleep.install.version)
        ticks = [replace(t, minute=offset + t.minute) for t in first.ticks]
        planned.processes[0] = _Process(
            sleeper.start_ms - planned.midnight_ms, "", asleep.session_id, asleep.std, asleep.edit_suffix,
            asleep.sources, ticks, replace(asleep.install, counters=counters, models=models), asleep.carry)
        self.truth.idle_gaps.append(IdleGap(
            asleep.session_id, planned.identity, rec.terminal,
            _utc(sleeper.start_ms + asleep.ticks[-1].minute * INTERVAL_MS),
            _utc(sleeper.start_ms + ticks[0].minute * INTERVAL_MS)))

    # -- writing ---------------------------------------------------------------------------------
    def _increments(self, row: _Row, process: _Process, tick: _Tick):
        """The (series, value) a process measured in one interval; a series is (metric,
        attributes, model, truth field)."""
        increments = []
        if tick.minute == 1 and process.start_type:
            started = {"fresh": "sessions", "agents_view": "agents_view"}.get(process.start_type, "resumes")
            increments.append(((SESSION, attrs(("start_type", process.start_type)), None, started), 1))
        if tick.index < 0:
            return increments
        weights = row.cumulative_weights
        before, after, whole = weights[tick.index], weights[tick.index + 1], weights[-1]
        for metric, attributes, model, name, total in process.install.counters:
            part = total * after // whole - total * before // whole
            if part:
                if metric == EDIT:
                    attributes += process.edit_suffix[name]
                increments.append(((metric, attributes, model, name), part))
        increments.append(((ACTIVE, ACTIVE_USER, None, "active_user_ms"), tick.user_ms))
        increments.append(((ACTIVE, ACTIVE_CLI, None, "active_cli_ms"), tick.cli_ms))
        return increments

    def _batches(self, row: _Row, process: _Process, sequence: int):
        """The lines one process's exporters deliver, in time order; the truth is settled when it ends."""
        cumulative, truth, restart = self.cumulative, self.truth, self.restart_ms
        carry = process.carry
        running: dict[tuple[int, str, str | None, str], int] = dict(carry.running) if carry else {}
        kept: dict[tuple[int, str, str | None, str], int] = {}
        received: dict[tuple[int, str, str | None, str], int] = {}
        start_abs = row.midnight_ms + process.start_ms
        seeds = (self.org.seed, row.identity, row.key[0].toordinal(), row.key[3], process.start_ms)
        starts = ids.rng(*seeds, "starts") if self.realistic and not cumulative else None
        talk = self._talk(row, process, seeds) if self.events and process.ticks[0].index >= 0 else None
        log_drops = ids.rng(*seeds, "log-delivery") if talk else None
        pending: list[tuple[int, int, int, bytes]] = []  # (arrival ns, order, stream, line) not yet yielded
        order = count()
        for tick in process.ticks:
            increments = self._increments(row, process, tick)
            for series, value in increments:
                running[series] = running.get(series, 0) + value
            time_ms = start_abs + tick.minute * INTERVAL_MS
            while pending and pending[0][0] <= (time_ms - INTERVAL_MS) * 1_000_000:
                yield self._out(heapq.heappop(pending), sequence)
            if talk is not None:
                for arrival_ns, line in self._log_lines(row, talk, log_drops, tick is process.ticks[0], time_ms,
                                                        increments):
                    heapq.heappush(pending, (arrival_ns, next(order), 1, line))
            if tick.dropped:
                truth.dropped_batches += 1
                continue
            start_ms = start_abs if cumulative else time_ms - INTERVAL_MS
            points = list(running.items()) if cumulative else increments
            point_starts = None
            if starts is not None:
                lower = max(time_ms - INTERVAL_MS, start_abs)
                point_starts = [start_abs + starts.randint(5, 999) if series[0] == SESSION
                                else starts.randint(lower, time_ms - 1) for series, _ in points]
                crossing = sum(s < row.midnight_ms for s in point_starts)
            else:
                crossing = len(points) if start_ms < row.midnight_ms else 0
            line = self._line(process.install, process.std, start_ms, time_ms, points, point_starts)
            for copy in range(2 if cumulative and tick.duplicated else 1):
                arrival_ms = time_ms + copy * RETRY_MS
                if restart is not None:
                    _keep(received, points, cumulative)
                if restart is not None and arrival_ms < restart:
                    truth.lost_lines += 1
                    truth.lost_points += len(points)
                else:
                    _keep(kept, points, cumulative)
                    self._count(row, points, crossing, copy)
                heapq.heappush(pending, (arrival_ms * 1_000_000, next(order), 0, line))
        while pending:
            yield self._out(heapq.heappop(pending), sequence)
        base = carry.disk if carry else None
        self._settle(row, kept, base, truth.totals, truth.identity_totals if self.realistic else None)
        if restart is not None:
            self._settle(row, received, carry.received if carry else None, truth.received_totals, None)
        if carry:
            carry.running = running
            carry.sequence = talk.sequence if talk else 0

    @staticmethod
    def _out(item: tuple[int, int, int, bytes], sequence: int):
        time_ns, order, stream, line = item
        return time_ns, sequence, order, stream, line

    def _count(self, row: _Row, points, crossing: int, copy: int) -> None:
        truth = self.truth
        truth.lines += 1
        truth.points += len(points)
        truth.duplicate_batches += copy
        truth.midnight_crossing_points += crossing
        kind = row.identity[0]
        truth.identity_points[kind] = truth.identity_points.get(kind, 0) + len(points)
        truth.agents_view_points += sum(1 for series, _ in points if series[3] == "agents_view")

    def _settle(self, row: _Row, kept: dict, base: dict | None, totals: dict, by_identity: dict | None) -> None:
        """Book what a correct reader finds of one process on its row's day: the delta sums, or
        each cumulative series' rise over what the files held of it on an earlier day (`base`)."""
        day, email, _, terminal = row.key
        kind, identity = row.identity
        for series, value in kept.items():
            _, _, model, name = series
            if base is not None:
                value -= base.get(series, 0)
            if not value or name == "agents_view":
                continue
            books = [] if email is None else [totals.setdefault((day, email, model, terminal), TelemetryTotals())]
            if by_identity is not None:
                books.append(by_identity.setdefault((day, kind, identity, model, terminal), TelemetryTotals()))
            for book in books:
                setattr(book, name, getattr(book, name) + value)
        if base is not None:
            base.update(kept)

    def _line(self, install: _Install, std: str, start_ms: int, time_ms: int, points, starts=None) -> bytes:
        stamps = f'"timeUnixNano":"{time_ms}000000","asDouble":'
        shared = f'"startTimeUnixNano":"{start_ms}000000",' + stamps
        by_metric: dict[int, list[str]] = {}
        for n, ((metric, attributes, _, name), value) in enumerate(points):
            scale = SCALE.get(name)
            number = repr(value / scale) if scale else str(value)
            stamp = shared if starts is None else f'"startTimeUnixNano":"{starts[n]}000000",' + stamps
            by_metric.setdefault(metric, []).append(f'{{"attributes":[{std}{attributes}],{stamp}{number}}}')
        metrics = ",".join(self._heads[m] + ",".join(by_metric[m]) + self._tail for m in sorted(by_metric))
        return (f'{{"resourceMetrics":[{{"resource":{install.resource},"scopeMetrics":[{{"scope":{install.scope},'
                f'"metrics":[{metrics}]}}]}}]}}\n').encode()

    # -- events ----------------------------------------------------------------------------------
    @staticmethod
    def _talk(row: _Row, process: _Process, seeds: tuple) -> telemetry_events.EventStream:
        return telemetry_events.EventStream(
            ids.rng(*seeds, "events"), row.midnight_ms + process.start_ms, process.install.resource,
            process.install.log_scope, process.std, process.install.models, process.sources,
            process.carry.sequence if process.carry else 0)

    def _log_lines(self, row: _Row, talk: telemetry_events.EventStream, drops: random.Random, first: bool,
                   time_ms: int, increments):
        """(arrival ns, line) of the log exports of one interval's events; the truth counts what
        reaches the file and stays there."""
        cost: dict[str, int] = {}
        tokens: dict[str, dict[str, int]] = {}
        edits = []
        for (metric, _, model, name), value in increments:
            if metric == COST:
                cost[model] = value
            elif metric == TOKEN:
                tokens.setdefault(model, {})[name] = value
            elif metric == EDIT:
                key, verdict = name.rsplit("_", 1)
                edits.append((TOOL_NAMES[key], "accept" if verdict == "accepted" else "reject", value))
        lower = max(time_ms - INTERVAL_MS + 1, talk.start_ms + 1, row.midnight_ms)
        truth = self.truth
        day, _, _, terminal = row.key
        for arrival_ms, line, events in talk.interval(lower, time_ms - 1, first, cost, tokens, edits):
            if drops.random() < self.undercount:
                truth.dropped_log_batches += 1
                continue
            if self.restart_ms is not None and arrival_ms < self.restart_ms:
                truth.lost_log_lines += 1
                truth.lost_log_records += len(events)
            else:
                truth.log_lines += 1
                truth.log_records += len(events)
                for event in events:
                    truth.event_counts[(day, event.name)] = truth.event_counts.get((day, event.name), 0) + 1
                    if event.name == "api_request":
                        key = (day, *row.identity, terminal)
                        truth.event_cost_micros[key] = truth.event_cost_micros.get(key, 0) + event.cost_micros
            yield arrival_ms * 1_000_000, line

    def finish(self) -> None:
        """`lost_totals` = received − on disk, per key, where they differ."""
        truth = self.truth
        for key, got in truth.received_totals.items():
            have = truth.totals.get(key, TelemetryTotals())
            lost = TelemetryTotals(*(getattr(got, f.name) - getattr(have, f.name) for f in fields(TelemetryTotals)))
            if any(getattr(lost, f.name) for f in fields(TelemetryTotals)):
                truth.lost_totals[key] = lost


def _keep(kept: dict, points, cumulative: bool) -> None:
    """Fold a line's points into what a reader has of the process: the latest value of each
    cumulative series, or the sum of delta points."""
    for series, value in points:
        kept[series] = value if cumulative else kept.get(series, 0) + value


def _counters(row: dict, lines_model: str | None, fast: set[str]) -> list[tuple[int, str, str | None, str, int]]:
    """Every non-zero daily total of a report row, with the metric and attributes that carry it."""
    core = row["core_metrics"]
    model_attr = attrs(("model", lines_model)) if lines_model else ""
    counters = [
        (LINES, attrs(("type", "added")) + model_attr, lines_model, "lines_added", core["lines_of_code"]["added"]),
        (LINES, attrs(("type", "removed")) + model_attr, lines_model, "lines_removed",
         core["lines_of_code"]["removed"]),
        (COMMIT, "", None, "commits", core["commits_by_claude_code"]),
        (PULL_REQUEST, "", None, "pull_requests", core["pull_requests_by_claude_code"]),
    ]
    for key, tool in TOOLS:
        actions = row["tool_actions"].get(key, {})
        for decision, verdict in (("accept", "accepted"), ("reject", "rejected")):
            counters.append((EDIT, attrs(("tool_name", tool), ("decision", decision)), None, f"{key}_{verdict}",
                             actions.get(verdict, 0)))
    for position, entry in enumerate(row["model_breakdown"]):
        model = entry["model"]
        pairs = [("model", model), ("query_source", "main" if position == 0 else "subagent")]
        if model in fast:
            pairs.append(("speed", "fast"))
        attributes = attrs(*pairs)
        counters.append((COST, attributes, model, "cost_micros", entry["estimated_cost"]["amount"] * 10_000))
        for name, label in TOKEN_TYPES:
            counters.append((TOKEN, attrs(("type", label)) + attributes, model, name, entry["tokens"][name]))
    return [c for c in counters if c[-1]]
