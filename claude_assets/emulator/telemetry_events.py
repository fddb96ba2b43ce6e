"""Claude Code's events (OTLP logs), drawn from the same export intervals as the metrics, so a
reader of events can be checked against the metrics and the truth (facts §1.4, §1.5).

Per interval: a `user_prompt` (length only: the text is sent only with OTEL_LOG_USER_PROMPTS),
`api_request`s whose `cost_usd_micros` and tokens add up exactly to the interval's cost and token
increments, a `tool_decision` per edit decision counted by `code_edit_tool.decision` (plus
Read/Bash/Grep/Glob decisions the metric does not count), a `tool_result` per accepted tool, and
now and then an `api_error` (after retries, no cost). Events happen in the interval's last minute
but never before its UTC midnight, so they fall on the day of its metric point. The logs exporter
sends what happened every 5 s since the process started, one `resourceLogs` line per export.
Encoding as a Collector re-marshals it: `intValue` as a decimal string, `doubleValue` a number,
`success`, `prompt_length` and `tool_result`'s `duration_ms` as strings, no severity.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime

from .timeutil import UTC

SCOPE = "com.anthropic.claude_code.events"
LOGS_INTERVAL_MS = 5_000  # OTEL_LOGS_EXPORT_INTERVAL default
TOKEN_ATTRIBUTES = (("input", "input_tokens"), ("output", "output_tokens"), ("cache_read", "cache_read_tokens"),
                    ("cache_creation", "cache_creation_tokens"))
OTHER_TOOLS = (("Read", "config"), ("Bash", "user_temporary"), ("Grep", "config"), ("Glob", "config"))
ERRORS = ((529, "Overloaded"), (500, "Internal server error"), (429, "Rate limit exceeded"))
ERROR_SHARE = 0.05
PROMPT_SHARE = 0.6  # later intervals that start with a new prompt
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(slots=True)
class Event:
    time_ms: int
    name: str  # without the `claude_code.` prefix
    attributes: str  # its own attributes, each preceded by a comma
    cost_micros: int = 0


def _s(key: str, value: str) -> str:
    return f',{{"key":"{key}","value":{{"stringValue":{json.dumps(value)}}}}}'


def _i(key: str, value: int) -> str:
    return f',{{"key":"{key}","value":{{"intValue":"{value}"}}}}'


def _d(key: str, value: float) -> str:
    return f',{{"key":"{key}","value":{{"doubleValue":{value!r}}}}}'


def _split(total: int, weights: list[int]) -> list[int]:
    """Integer shares of `total` in proportion to `weights` that add up to it exactly."""
    whole, done, parts, before = sum(weights), 0, [], 0
    for w in weights:
        done += w
        parts.append(total * done // whole - before)
        before += parts[-1]
    return parts


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


class EventStream:
    """The events of one client process; `sequence` is its `event.sequence` counter (per process,
    0-based), kept across a process that sleeps and continues on a later day."""

    def __init__(self, r: random.Random, start_ms: int, resource: str, scope: str, std: str,
                 models: dict[str, tuple[str, str]], sources: tuple[str, str], sequence: int = 0):
        self.r = r
        self.start_ms = start_ms
        self.head = f'{{"resourceLogs":[{{"resource":{resource},"scopeLogs":[{{"scope":{scope},"logRecords":['
        self.std = std
        self.models = models  # model -> (query_source, speed) of its requests
        self.accept_source, self.reject_source = sources
        self.sequence = sequence
        self.prompt_id = ""

    def interval(self, lower_ms: int, upper_ms: int, first: bool, cost: dict[str, int],
                 tokens: dict[str, dict[str, int]], edits: list[tuple[str, str, int]]):
        """(arrival ms, line, events) of the log exports that carry one interval's events, which
        happen in [lower_ms, upper_ms]; `edits` are (tool_name, decision, count)."""
        r = self.r
        units = [*([request] for request in self._requests(cost, tokens)), *self._tools(edits)]
        if r.random() < ERROR_SHARE and self.models:
            units.append([self._error()])
        r.shuffle(units)
        body = [event for unit in units for event in unit]
        if first or r.random() < PROMPT_SHARE:
            self.prompt_id = str(uuid.UUID(int=r.getrandbits(128), version=4))
            body.insert(0, ("user_prompt", _s("prompt_length", str(r.randint(12, 2400))), 0))
        times = sorted(r.randint(lower_ms, upper_ms) for _ in body)
        events = [Event(t, name, _s("prompt.id", self.prompt_id) + extra, cost_micros)
                  for t, (name, extra, cost_micros) in zip(times, body)]
        slots: dict[int, list[Event]] = {}
        for event in events:
            slots.setdefault((event.time_ms - self.start_ms) // LOGS_INTERVAL_MS, []).append(event)
        return [(self.start_ms + (slot + 1) * LOGS_INTERVAL_MS, self._line(group), group)
                for slot, group in slots.items()]

    def _requests(self, cost: dict[str, int], tokens: dict[str, dict[str, int]]):
        r = self.r
        for model in dict.fromkeys([*cost, *tokens]):
            query_source, speed = self.models[model]
            weights = [r.randint(1, 10) for _ in range(1 + min(3, int(r.expovariate(1.0))))]
            micros = _split(cost.get(model, 0), weights)
            used = {name: _split(tokens.get(model, {}).get(name, 0), weights) for name, _ in TOKEN_ATTRIBUTES}
            for n, share in enumerate(micros):
                extra = (_s("model", model) + _d("cost_usd", share / 1_000_000) + _i("cost_usd_micros", share)
                         + _i("duration_ms", r.randint(900, 45_000))
                         + "".join(_i(key, used[name][n]) for name, key in TOKEN_ATTRIBUTES)
                         + _s("request_id", self._id("req_011", 21)) + _s("speed", speed)
                         + _s("query_source", query_source))
                yield "api_request", extra, share

    def _tools(self, edits: list[tuple[str, str, int]]):
        """Each tool call: its decision, and its result if accepted."""
        r = self.r
        calls = [(tool, decision, self.accept_source if decision == "accept" else self.reject_source)
                 for tool, decision, count in edits for _ in range(count)]
        calls += [(tool, "accept", source) for tool, source in OTHER_TOOLS for _ in range(r.randint(0, 2))]
        for tool, decision, source in calls:
            use_id = self._id("toolu_01", 22)
            call = [("tool_decision", _s("tool_name", tool) + _s("tool_use_id", use_id) + _s("decision", decision)
                     + _s("source", source), 0)]
            if decision == "accept":
                ok = tool != "Bash" or r.random() < 0.9
                call.append(("tool_result", _s("tool_name", tool) + _s("tool_use_id", use_id)
                             + _s("success", str(ok).lower()) + _s("duration_ms", str(r.randint(3, 9000)))
                             + ("" if ok else _s("error_type", "ShellError")) + _s("decision_type", "accept")
                             + _s("decision_source", source), 0))
            yield call

    def _error(self):
        r = self.r
        model = next(iter(self.models))
        query_source, speed = self.models[model]
        status, message = r.choice(ERRORS)
        return "api_error", (_s("model", model) + _s("error", message) + _i("status_code", status)
                             + _i("duration_ms", r.randint(200, 120_000)) + _i("attempt", 11)
                             + _s("request_id", self._id("req_011", 21)) + _s("speed", speed)
                             + _s("query_source", query_source)), 0

    def _id(self, prefix: str, length: int) -> str:
        return prefix + "".join(self.r.choice(_BASE62) for _ in range(length))

    def _line(self, events: list[Event]) -> bytes:
        records = []
        for event in events:
            ns = f'"{event.time_ms}000000"'
            records.append(
                f'{{"timeUnixNano":{ns},"observedTimeUnixNano":{ns},'
                f'"body":{{"stringValue":"claude_code.{event.name}"}},"attributes":[{self.std}'
                f'{_s("event.name", event.name)}{_s("event.timestamp", _iso(event.time_ms))}'
                f'{_i("event.sequence", self.sequence)}{event.attributes}]}}')
            self.sequence += 1
        return (self.head + ",".join(records) + "]}]}]}\n").encode()
