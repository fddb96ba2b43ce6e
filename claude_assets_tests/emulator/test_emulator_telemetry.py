"""User stories for the emulator's Claude Code telemetry files: OTLP/JSON lines as a Collector's
file exporter writes them, whose totals agree with the Claude Code report served over HTTP,
except for what the seeded undercount loses (and the truth says exactly what that is)."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from claude_assets.emulator import Emulator, EmulatorConfig, SyntheticOrg
from claude_assets.emulator import cli as emulator_cli
from claude_assets.emulator.telemetry import TelemetryTotals, write_telemetry
from claude_assets_tests.stack import REPO

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
FIRST, LAST = date(2026, 2, 23), date(2026, 3, 8)
CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
STANDARD = {"session.id", "organization.id", "user.account_uuid", "user.account_id", "user.email", "terminal.type"}
METRICS = {
    "claude_code.session.count": "count", "claude_code.lines_of_code.count": "count",
    "claude_code.pull_request.count": "count", "claude_code.commit.count": "count",
    "claude_code.cost.usage": "USD", "claude_code.token.usage": "tokens",
    "claude_code.code_edit_tool.decision": "count", "claude_code.active_time.total": "s",
}
TOKEN_FIELDS = {"input": "input", "output": "output", "cacheRead": "cache_read", "cacheCreation": "cache_creation"}
TOOL_KEYS = {"Edit": "edit_tool", "Write": "write_tool", "NotebookEdit": "notebook_edit_tool"}


@pytest.fixture(scope="module")
def emu():
    emulator = Emulator(EmulatorConfig(seed=7, users=40, now=NOW, rate_limit_per_minute=0)).start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def written(emu, tmp_path_factory):
    """Exact files (no undercount) of plain clients in both temporalities, written once for the module:
    every client signed in and sending its member's e-mail, metrics only, so the stories below can
    hold them against the report row by row, by e-mail. The default, realistic clients with their
    events, are the `realistic` fixture's."""
    root = tmp_path_factory.mktemp("telemetry")
    return {t: write_telemetry(emu.org, root / t, FIRST, LAST, temporality=t, undercount=0, realistic=False,
                               events=None)
            for t in ("delta", "cumulative")}


# -- a tiny reference reader ----------------------------------------------------------------------
def batches(files):
    for path in files:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)


def points(files):
    """(metric name, temporality, attributes, start ns, time ns, value) for every data point."""
    for batch in batches(files):
        for resource_metrics in batch["resourceMetrics"]:
            for scope in resource_metrics["scopeMetrics"]:
                for metric in scope["metrics"]:
                    total = metric["sum"]
                    for p in total["dataPoints"]:
                        attrs = {a["key"]: a["value"]["stringValue"] for a in p["attributes"]}
                        yield (metric["name"], total["aggregationTemporality"], attrs,
                               int(p["startTimeUnixNano"]), int(p["timeUnixNano"]), p["asDouble"])


def utc_day(ns: int) -> date:
    return datetime.fromtimestamp(ns / 1e9, timezone.utc).date()


def field_of(name: str, attrs: dict) -> tuple[str | None, str]:
    """The report-side field a data point counts towards, and its model (None if it has none)."""
    kind = attrs.get("type")
    if name == "claude_code.session.count":
        return None, "sessions" if attrs["start_type"] == "fresh" else "resumes"
    if name == "claude_code.lines_of_code.count":
        return attrs.get("model"), f"lines_{kind}"
    if name == "claude_code.token.usage":
        return attrs["model"], TOKEN_FIELDS[kind]
    if name == "claude_code.cost.usage":
        return attrs["model"], "cost_usd"
    if name == "claude_code.code_edit_tool.decision":
        return None, f"{TOOL_KEYS[attrs['tool_name']]}_{attrs['decision']}ed"
    if name == "claude_code.active_time.total":
        return None, f"active_{kind}_seconds"
    return None, {"claude_code.commit.count": "commits", "claude_code.pull_request.count": "pull_requests"}[name]


def read_totals(files, who=lambda attrs: (attrs["user.email"].lower(),), since: int = 0) -> dict[tuple, dict[str, float]]:
    """Totals per (UTC day of timeUnixNano, *who(attributes), model, terminal), for points at or after
    `since` (ns), agents_view launches left out.

    Delta: sum the points. Cumulative: a series is its attributes plus its start time (a restarted
    process starts a new one); its value is a running total from 0 at the start time, so each
    point adds (value - the previous distinct point's value); repeated points add nothing."""
    totals: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    series: dict[tuple, dict[int, float]] = defaultdict(dict)
    for name, temporality, attrs, start, time, value in real_points(files):
        if time < since or attrs.get("start_type") == "agents_view":
            continue
        if temporality == 1:
            model, field = field_of(name, attrs)
            totals[(utc_day(time), *who(attrs), model, attrs["terminal.type"])][field] += value
        else:
            series[(name, tuple(sorted(attrs.items())), start)][time] = value
    for (name, attrs, _), seen in series.items():
        attrs = dict(attrs)
        model, field = field_of(name, attrs)
        previous = 0.0
        for time in sorted(seen):
            totals[(utc_day(time), *who(attrs), model, attrs["terminal.type"])][field] += seen[time] - previous
            previous = seen[time]
    return totals


def truth_totals(truth) -> dict[tuple, dict[str, float]]:
    """TelemetryTruth's per-member totals in the reader's units (USD, seconds)."""
    return as_read(truth.totals)


def as_read(book: dict) -> dict[tuple, dict[str, float]]:
    """Totals of the truth (TelemetryTotals per key) in the reader's units (USD, seconds)."""
    out = {}
    for key, totals in book.items():
        fields = asdict(totals)
        fields["cost_usd"] = fields.pop("cost_micros") / 1_000_000
        fields["active_user_seconds"] = fields.pop("active_user_ms") / 1000
        fields["active_cli_seconds"] = fields.pop("active_cli_ms") / 1000
        out[key] = fields
    return out


def same(a: dict[tuple, dict[str, float]], b: dict[tuple, dict[str, float]]) -> None:
    a = {k: {f: v for f, v in fields.items() if abs(v) > 1e-9} for k, fields in a.items()}
    b = {k: {f: v for f, v in fields.items() if abs(v) > 1e-9} for k, fields in b.items()}
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].keys() == b[key].keys(), key
        for name in a[key]:
            assert a[key][name] == pytest.approx(b[key][name], abs=1e-6), (key, name)


def per_user_day(totals, fields=None) -> dict[tuple, dict[str, float]]:
    """Model-level keys folded into (day, email, terminal): the report row's grain."""
    out: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (day, email, model, terminal), values in totals.items():
        for name, value in values.items():
            if fields is None or name in fields:
                out[(day, email, terminal)][name] += value
    return out


def report(emu, day: date) -> list[dict]:
    headers = {"x-api-key": emu.admin_key, "anthropic-version": "2023-06-01"}
    body = httpx.get(emu.url + CLAUDE_CODE, params={"starting_at": day.isoformat(), "limit": 1000},
                     headers=headers).json()
    assert body["has_more"] is False
    return body["data"]


def report_totals(emu) -> dict[tuple, dict[str, float]]:
    """What telemetry should say for every report row of a user with telemetry on that day."""
    out = {}
    for day in (FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)):
        for row in report(emu, day):
            if row["actor"]["type"] != "user_actor":
                continue
            user = emu.org.user_by_email(row["actor"]["email_address"])
            if user.telemetry_enabled_on is None or day < user.telemetry_enabled_on:
                continue
            core = row["core_metrics"]
            fields = {"sessions": core["num_sessions"], "lines_added": core["lines_of_code"]["added"],
                      "lines_removed": core["lines_of_code"]["removed"],
                      "commits": core["commits_by_claude_code"],
                      "pull_requests": core["pull_requests_by_claude_code"],
                      "cost_usd": sum(m["estimated_cost"]["amount"] for m in row["model_breakdown"]) / 100}
            for key in TOOL_KEYS.values():
                for verdict in ("accepted", "rejected"):
                    fields[f"{key}_{verdict}"] = row["tool_actions"].get(key, {}).get(verdict, 0)
            for entry in row["model_breakdown"]:
                for name, value in entry["tokens"].items():
                    fields[name] = fields.get(name, 0) + value
            out[(day, user.email, row["terminal_type"])] = {k: v for k, v in fields.items() if v}
    return out


REPORTED = {"sessions", "lines_added", "lines_removed", "commits", "pull_requests", "cost_usd", "input", "output",
            "cache_read", "cache_creation", *(f"{k}_{v}" for k in TOOL_KEYS.values() for v in ("accepted", "rejected"))}


# -- stories --------------------------------------------------------------------------------------
@pytest.mark.parametrize("temporality", ["delta", "cumulative"])
def test_every_line_is_one_otlp_json_batch_as_the_file_exporter_writes_it(written, temporality):
    truth = written[temporality]
    assert [p.name for p in truth.files] == ["metrics.jsonl"]
    raw = truth.files[0].read_text(encoding="utf-8")
    assert raw.endswith("\n") and raw.count("\n") == truth.lines > 100
    assert not re.search(r'"[a-z]+_[a-z_]+":', raw.replace('"key":', ""))  # camelCase field names only
    count = 0
    for line in raw.splitlines():
        batch = json.loads(line)
        assert list(batch) == ["resourceMetrics"]
        for rm in batch["resourceMetrics"]:
            resource = {a["key"]: a["value"]["stringValue"] for a in rm["resource"]["attributes"]}
            assert resource["service.name"] == "claude-code"
            assert {"service.version", "os.type", "host.arch"} <= resource.keys()
            for scope in rm["scopeMetrics"]:
                assert scope["scope"]["name"] == "com.anthropic.claude_code"
                for metric in scope["metrics"]:
                    assert METRICS[metric["name"]] == metric["unit"]
                    assert metric["sum"]["isMonotonic"] is True
                    assert metric["sum"]["aggregationTemporality"] == {"delta": 1, "cumulative": 2}[temporality]
                    for p in metric["sum"]["dataPoints"]:
                        assert isinstance(p["startTimeUnixNano"], str) and isinstance(p["timeUnixNano"], str)
                        assert int(p["startTimeUnixNano"]) < int(p["timeUnixNano"])
                        assert isinstance(p["asDouble"], (int, float)) and "asInt" not in p
                        assert all(set(a["value"]) == {"stringValue"} for a in p["attributes"])
                        assert STANDARD <= {a["key"] for a in p["attributes"]}
                        count += 1
    assert count == truth.points


def test_delta_points_each_cover_one_export_interval(written):
    for _, _, _, start, time, _ in points(written["delta"].files):
        assert time - start == 60 * 10**9


def first_claude_code_day(org, user, days):
    return next((day for day in days if (ud := org.user_day(user, day)) is not None and ud.code), None)


def test_a_users_telemetry_starts_on_their_telemetry_enabled_on_day_and_not_before(emu, tmp_path):
    org = emu.org

    def first_claude_code_day(user, offsets):
        days = (user.telemetry_enabled_on + timedelta(days=n) for n in offsets)
        return next((day for day in days if (ud := org.user_day(user, day)) is not None and ud.code), None)

    user = next(u for u in org.users if u.telemetry_enabled_on
                and first_claude_code_day(u, range(-10, 0)) and first_claude_code_day(u, range(5)))
    on = user.telemetry_enabled_on
    truth = write_telemetry(org, tmp_path, on - timedelta(days=10), on + timedelta(days=4), undercount=0)
    days = {utc_day(time) for _, _, attrs, _, time, _ in real_points(truth.files)
            if attrs.get("user.account_id") == user.id}
    assert min(days) == first_claude_code_day(user, range(5))
    everyone = {attrs["user.account_id"] for _, _, attrs, _, _, _ in real_points(truth.files)
                if "user.account_id" in attrs}  # API-key clients are nobody's member
    assert everyone <= {u.id for u in org.users if u.telemetry_enabled_on is not None}


def test_lines_of_code_carry_the_model_from_client_version_2_1_172_on(tmp_path):
    org = SyntheticOrg(7, 40, date(2025, 11, 1))
    truth = write_telemetry(org, tmp_path, date(2026, 8, 1), date(2026, 8, 31), undercount=0)
    with_model = set()
    for batch in batches(truth.files):
        for rm in batch.get("resourceMetrics", ()):  # events share the file
            version = next(a["value"]["stringValue"] for a in rm["resource"]["attributes"]
                           if a["key"] == "service.version")
            for metric in rm["scopeMetrics"][0]["metrics"]:
                if metric["name"] == "claude_code.lines_of_code.count":
                    for p in metric["sum"]["dataPoints"]:
                        has_model = any(a["key"] == "model" for a in p["attributes"])
                        assert has_model == (tuple(map(int, version.split("."))) >= (2, 1, 172))
                        with_model.add(has_model)
    assert with_model == {True, False}


def test_exact_delta_totals_equal_the_claude_code_report_over_http(emu, written):
    from_files = read_totals(written["delta"].files)
    same(per_user_day(from_files, REPORTED), report_totals(emu))
    same(from_files, truth_totals(written["delta"]))


def test_cumulative_files_read_per_series_give_the_same_totals(emu, written):
    files = written["cumulative"].files
    same(per_user_day(read_totals(files), REPORTED), report_totals(emu))
    same(read_totals(files), read_totals(written["delta"].files))
    assert written["cumulative"].duplicate_batches > 0
    naive = sum(value for name, *_, value in points(files) if name == "claude_code.session.count")
    assert naive > sum(t.sessions + t.resumes for t in written["cumulative"].totals.values())  # summing overcounts


def test_resumed_processes_restart_their_series_with_a_new_start_time(written):
    starts = defaultdict(set)
    for name, _, attrs, start, _, _ in points(written["cumulative"].files):
        if name == "claude_code.token.usage":
            starts[(attrs["session.id"], attrs["model"], attrs["type"])].add(start)
    assert any(len(s) > 1 for s in starts.values())
    resumed = sum(t.resumes for t in written["cumulative"].totals.values())
    assert resumed > 0


def test_some_intervals_cross_utc_midnight_and_count_for_the_day_they_end(written):
    truth = written["delta"]
    crossing = [(start, time) for *_, start, time, _ in points(truth.files) if utc_day(start) != utc_day(time)]
    assert len(crossing) == truth.midnight_crossing_points > 0


@pytest.mark.parametrize("temporality", ["delta", "cumulative"])
def test_undercount_loses_whole_batches_and_the_truth_says_what_remains(emu, written, tmp_path, temporality):
    """Plain clients, to compare by e-mail with the exact plain files; realistic ones: at the end."""
    truth = write_telemetry(emu.org, tmp_path, FIRST, LAST, temporality=temporality, undercount=0.2,
                            realistic=False, events=None)
    assert truth.dropped_batches > 0
    from_files = read_totals(truth.files)
    same(from_files, truth_totals(truth))
    exact = sum(t.input for t in written[temporality].totals.values())
    assert sum(t.input for t in truth.totals.values()) < exact


def test_the_same_seed_writes_the_same_bytes(emu, realistic, tmp_path):
    again = write_telemetry(emu.org, tmp_path, FIRST, LAST, undercount=0)
    assert again.files[0].read_bytes() == realistic["delta"].files[0].read_bytes()
    assert again.totals == realistic["delta"].totals and again.identity_totals == realistic["delta"].identity_totals
    assert again.event_counts == realistic["delta"].event_counts


def test_some_users_send_their_email_in_mixed_case(emu, written):
    sent = {attrs["user.email"] for _, _, attrs, *_ in points(written["delta"].files)}
    mixed = {email for email in sent if email != email.lower()}
    assert mixed and mixed == {written["delta"].mixed_case_emails[email.lower()] for email in mixed}
    assert all(emu.org.user_by_email(email.lower()) for email in sent)


def test_the_file_rotates_by_size_and_rotated_files_can_be_gzipped(emu, realistic, tmp_path):
    truth = write_telemetry(emu.org, tmp_path, FIRST, LAST, undercount=0, max_megabytes=2, gzip_rotated=True)
    names = [p.name for p in truth.files]
    assert names[-1] == "metrics.jsonl" and len(names) > 2
    assert all(re.fullmatch(r"metrics-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.jsonl\.gz", n) for n in names[:-1])
    assert names[:-1] == sorted(names[:-1])
    assert all(p.stat().st_size <= 2 * 1024 * 1024 for p in truth.files if not p.name.endswith(".gz"))
    same(read_identity_totals(truth.files), read_identity_totals(realistic["delta"].files))
    assert sum(1 for _ in log_records(truth.files)) == truth.log_records == realistic["delta"].log_records


def test_writing_refuses_a_directory_that_already_holds_metrics(emu, tmp_path):
    write_telemetry(emu.org, tmp_path, FIRST, FIRST)
    with pytest.raises(FileExistsError):
        write_telemetry(emu.org, tmp_path, FIRST, FIRST)


def telemetry_command(out: Path, *options: str) -> int:
    """`claude-assets telemetry` for the module's organization and days, exact (no undercount)."""
    parser = argparse.ArgumentParser()
    emulator_cli.add_telemetry_arguments(parser)
    return emulator_cli.telemetry_main(parser.parse_args([
        "--out", str(out), "--from", FIRST.isoformat(), "--to", LAST.isoformat(), "--users", "40",
        "--now", "2026-03-10T12:00:00Z", "--undercount", "0", *options]))


def test_the_telemetry_command_writes_the_files_of_the_servers_organization(realistic, tmp_path, capsys):
    assert telemetry_command(tmp_path) == 0
    said = capsys.readouterr().out
    assert f"{realistic['delta'].lines} lines" in said and f"{realistic['delta'].log_records} events" in said
    assert (tmp_path / "metrics.jsonl").read_bytes() == realistic["delta"].files[0].read_bytes()


def test_the_telemetry_command_can_write_plain_metrics_without_events(written, tmp_path, capsys):
    assert telemetry_command(tmp_path, "--no-realistic", "--events", "none") == 0
    said = capsys.readouterr().out
    assert f"{written['delta'].lines} lines" in said and "log lines" not in said
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.jsonl"]
    assert (tmp_path / "metrics.jsonl").read_bytes() == written["delta"].files[0].read_bytes()


@pytest.mark.subprocess
def test_the_server_writes_its_history_of_telemetry_before_serving(tmp_path):
    command = [sys.executable, "-m", "claude_assets.emulator", "--port", "0", "--users", "5",
               "--now", "2026-03-10T12:00:00Z", "--telemetry-dir", str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        lines = [process.stdout.readline().strip() for _ in range(5)]
        assert lines[0].startswith("claude-assets emulator listening on")
        assert lines[4].startswith(f"telemetry (delta) written to {tmp_path}")
        last = max(utc_day(time) for *_, time, _ in real_points([tmp_path / "metrics.jsonl"]))
        assert any(True for _ in log_records([tmp_path / "metrics.jsonl"])), "with the events, as by default"
        assert last <= date(2026, 3, 9)
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


# -- options: realistic clients, events, a Collector restart ------------------------------------------
# Realistic clients with their events in the metrics file are the default; a restart is a scenario
# one asks for. A small reader of their own checks each against the truth: resource attributes
# merged under point attributes, identity by the ladder a reader should use.
RESTART = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
WEEKEND = (date(2026, 2, 27), date(2026, 3, 2))  # the Friday and Monday inside FIRST..LAST
KINDS = ("email", "account_id", "enduser.id", "user.id")
METRIC_ATTRIBUTES = {"type", "model", "query_source", "speed", "tool_name", "decision", "source", "language",
                     "start_type"}


@pytest.fixture(scope="module")
def realistic(emu, tmp_path_factory):
    """Exact files of the default clients in both temporalities: realistic, with events in the metrics file."""
    root = tmp_path_factory.mktemp("realistic")
    return {t: write_telemetry(emu.org, root / t, FIRST, LAST, temporality=t, undercount=0)
            for t in ("delta", "cumulative")}


def values(attributes: list[dict]) -> dict:
    """OTLP/JSON attributes as Python values: intValue (a string from a Collector) as int."""
    out = {}
    for a in attributes:
        (kind, value), = a["value"].items()
        out[a["key"]] = int(value) if kind == "intValue" else value
    return out


def real_points(files):
    """(metric, temporality, attributes with the resource's under them, start ns, time ns, value)."""
    for batch in batches(files):
        for rm in batch.get("resourceMetrics", ()):
            resource = values(rm["resource"]["attributes"])
            for scope in rm["scopeMetrics"]:
                for metric in scope["metrics"]:
                    for p in metric["sum"]["dataPoints"]:
                        yield (metric["name"], metric["sum"]["aggregationTemporality"],
                               {**resource, **values(p["attributes"])}, int(p["startTimeUnixNano"]),
                               int(p["timeUnixNano"]), p["asDouble"])


def log_records(files):
    """(resource attributes, scope, record) of every event."""
    for batch in batches(files):
        for rl in batch.get("resourceLogs", ()):
            for scope in rl["scopeLogs"]:
                for record in scope["logRecords"]:
                    yield values(rl["resource"]["attributes"]), scope["scope"], record


def identity(attrs: dict) -> tuple[str, str]:
    """The reader's ladder: e-mail, account id, enduser.id, user.id."""
    if "user.email" in attrs:
        return "email", attrs["user.email"].lower()
    if "user.account_id" in attrs:
        return "account_id", attrs["user.account_id"]
    if "enduser.id" in attrs:
        return "enduser.id", attrs["enduser.id"]
    return "user.id", attrs["user.id"]


def read_identity_totals(files, since: int = 0) -> dict[tuple, dict[str, float]]:
    """Totals per (day, kind, identity, model, terminal): see `read_totals`."""
    return read_totals(files, identity, since)


def shares(totals, grain, fields=None) -> dict[tuple, dict[str, float]]:
    """Totals folded onto `grain(key)`."""
    out: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for key, named in totals.items():
        for name, value in named.items():
            if fields is None or name in fields:
                out[grain(key)][name] += value
    return out


def report_api_totals(emu) -> dict[tuple, dict[str, float]]:
    """Per day, what the report's api_actor rows say, in the reader's field names."""
    out: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for day in (FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)):
        for row in report(emu, day):
            if row["actor"]["type"] == "api_actor":
                core, fields = row["core_metrics"], out[(day,)]
                fields["sessions"] += core["num_sessions"]
                fields["lines_added"] += core["lines_of_code"]["added"]
                fields["commits"] += core["commits_by_claude_code"]
                for entry in row["model_breakdown"]:
                    fields["cost_usd"] += entry["estimated_cost"]["amount"] / 100
                    fields["output"] += entry["tokens"]["output"]
    return out


PLAIN_SHA256 = {  # the output before the options existed: realistic=False, events=None must not move a byte of it
    # (taken again when the organization gained its weekday regular, emulator.people.WEEKDAY_REGULAR)
    "delta": "97d89a936fcc696031a2a6a3f6d76f501b6b59d41235f5514675190c1a7c3aaa",
    "cumulative": "07de0e1f707eb703e7f5f4e6b92f2384781d71aa024b18b7e763569689cb5de9",
}


@pytest.mark.parametrize("temporality", ["delta", "cumulative"])
def test_plain_clients_without_events_write_byte_for_byte_what_the_writer_wrote_before_its_options(
        written, temporality):
    plain = written[temporality]
    assert hashlib.sha256(plain.files[0].read_bytes()).hexdigest() == PLAIN_SHA256[temporality]
    assert (plain.realistic, plain.events, plain.collector_restart, plain.identity_totals) == (False, None, None, {})
    assert plain.identity_points == {"email": plain.points} and plain.log_lines == 0


@pytest.mark.parametrize("temporality", ["delta", "cumulative"])
def test_by_default_the_clients_are_realistic_and_their_events_share_the_metrics_file(realistic, temporality):
    truth = realistic[temporality]
    assert (truth.realistic, truth.events, truth.collector_restart) == (True, "same", None)
    assert [p.name for p in truth.files] == ["metrics.jsonl"] and truth.event_files == []
    assert truth.log_lines > 0 and set(truth.identity_points) == set(KINDS)


def test_realistic_points_are_encoded_and_stamped_as_real_clients_send_them(realistic):
    truth = realistic["delta"]
    starts_per_line, counts = [], defaultdict(int)
    for batch in batches(truth.files):
        for rm in batch.get("resourceMetrics", ()):
            resource = values(rm["resource"]["attributes"])
            assert {"service.name", "service.version", "os.type", "os.version", "host.arch"} <= resource.keys()
            starts = set()
            for metric in rm["scopeMetrics"][0]["metrics"]:
                assert metric["unit"] == {"USD": "USD", "tokens": "tokens", "s": "s"}.get(METRICS[metric["name"]], "")
                if metric["name"] == "claude_code.code_edit_tool.decision":
                    assert metric["description"].endswith("for Edit, Write, and NotebookEdit tools")
                for p in metric["sum"]["dataPoints"]:
                    assert set(p) == {"attributes", "startTimeUnixNano", "timeUnixNano", "asDouble"}
                    assert isinstance(p["asDouble"], (int, float))
                    start, time = int(p["startTimeUnixNano"]), int(p["timeUnixNano"])
                    assert time - 60 * 10**9 <= start < time and start % 10**6 == 0
                    starts.add(start)
                    attrs = values(p["attributes"])
                    signed_in = "user.account_id" in attrs
                    assert signed_in == ("organization.id" in attrs) == ("user.account_uuid" in attrs)
                    if not signed_in:  # an API key: user.id and session.id, nothing of the person
                        assert set(attrs) - METRIC_ATTRIBUTES - {"enduser.id"} == {"user.id", "session.id",
                                                                                   "terminal.type"}
                    kind = identity({**resource, **attrs})[0]
                    counts[kind] += 1
                    counts["agents_view"] += attrs.get("start_type") == "agents_view"
            starts_per_line.append(len(starts))
    assert max(starts_per_line) > 1, "delta start times are per series, not per export"
    assert truth.identity_points == {k: counts[k] for k in KINDS} and all(counts[k] for k in KINDS)
    assert truth.agents_view_points == counts["agents_view"] > 0


API_FIELDS = {"sessions", "lines_added", "commits", "cost_usd", "output"}


def member_email(emu, who: tuple[str, str]) -> str:
    """The e-mail of the member behind a signed-in client's identity."""
    kind, value = who
    return value if kind == "email" else emu.org.user_by_id(value).email


def read_totals_by_member(emu, files) -> dict[tuple, dict[str, float]]:
    """Identity totals of signed-in clients, mapped to the member's e-mail through the account id."""
    out: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (day, kind, who, model, terminal), fields in read_identity_totals(files).items():
        if kind in ("email", "account_id"):
            for name, value in fields.items():
                out[(day, member_email(emu, (kind, who)), model, terminal)][name] += value
    return out


@pytest.mark.parametrize("temporality", ["delta", "cumulative"])
def test_realistic_truth_says_what_a_reader_should_attribute_to_whom(emu, realistic, temporality):
    truth = realistic[temporality]
    from_files = read_identity_totals(truth.files)
    same(from_files, as_read(truth.identity_totals))
    by_member = read_totals_by_member(emu, truth.files)
    same(by_member, truth_totals(truth))
    expected = report_totals(emu)
    for gap in truth.idle_gaps:  # a process back from the weekend starts no session
        expected[(gap.next_export.date(), member_email(emu, gap.identity), gap.terminal)]["sessions"] -= 1
    same(per_user_day(by_member, REPORTED), expected)
    api_keys = {k: v for k, v in from_files.items() if k[1] in ("enduser.id", "user.id")}
    same(shares(api_keys, lambda k: (k[0],), API_FIELDS), report_api_totals(emu))


def day_who_terminal(key: tuple) -> tuple:
    return key[0], key[2], key[4]


def test_a_process_idle_over_a_weekend_is_booked_right_only_by_a_reader_that_remembers(realistic):
    truth = realistic["cumulative"]
    friday, monday = WEEKEND
    assert truth.idle_gaps
    for gap in truth.idle_gaps:
        assert (gap.last_export.date(), gap.next_export.date()) == WEEKEND
        assert gap.next_export - gap.last_export > timedelta(days=2)
        on_monday = [start for _, _, attrs, start, time, _ in real_points(truth.files)
                     if attrs["session.id"] == gap.session_id and utc_day(time) == monday]
        assert on_monday and all(utc_day(start) <= friday for start in on_monday), "Friday's series go on"
    right = shares(read_identity_totals(truth.files), day_who_terminal)
    booked = shares(as_read(truth.identity_totals), day_who_terminal)
    since = int(datetime.combine(monday - timedelta(days=2), datetime.min.time(), timezone.utc).timestamp()) * 10**9
    two_days = shares(read_identity_totals(truth.files, since=since), day_who_terminal)
    for gap in truth.idle_gaps:
        here = (monday, gap.identity[1], gap.terminal)
        wakes = sum(1 for g in truth.idle_gaps if (g.identity[1], g.terminal) == here[1:])
        same({here: right[here]}, {here: booked[here]})
        assert two_days[here]["sessions"] == right[here]["sessions"] + wakes, "a 2-day look-back counts Friday again"
        assert two_days[here]["cost_usd"] > right[here]["cost_usd"]


EVENT_NAMES = {"user_prompt", "api_request", "api_error", "tool_decision", "tool_result"}
TOKEN_KEYS = {"input_tokens": "input", "output_tokens": "output", "cache_read_tokens": "cache_read",
              "cache_creation_tokens": "cache_creation"}


@pytest.fixture(scope="module")
def plain_events(emu, tmp_path_factory):
    """Plain clients (every one sending its e-mail) with their events in a file of their own."""
    return write_telemetry(emu.org, tmp_path_factory.mktemp("events"), FIRST, LAST, undercount=0, realistic=False,
                           events="separate")


def test_events_are_log_records_as_claude_code_sends_them_through_a_collector(realistic):
    truth = realistic["delta"]
    shapes = [list(batch) for batch in batches(truth.files)]
    assert shapes.count(["resourceLogs"]) == truth.log_lines > 0, "one file exporter for metrics and logs"
    assert shapes.count(["resourceMetrics"]) == truth.lines
    names, sequences = defaultdict(int), defaultdict(list)
    for resource, scope, record in log_records(truth.files):
        assert scope == {"name": "com.anthropic.claude_code.events", "version": resource["service.version"]}
        assert set(record) == {"timeUnixNano", "observedTimeUnixNano", "body", "attributes"}, "no severity"
        raw = {a["key"]: a["value"] for a in record["attributes"]}
        attrs = values(record["attributes"])
        name = attrs["event.name"]
        names[name] += 1
        assert record["body"] == {"stringValue": f"claude_code.{name}"}
        moment = datetime.fromtimestamp(int(record["timeUnixNano"]) // 10**6 / 1000, timezone.utc)
        assert attrs["event.timestamp"] == moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        assert "prompt" not in attrs and {"session.id", "user.id", "prompt.id"} <= attrs.keys()
        assert all(list(v) != ["intValue"] or isinstance(v["intValue"], str) for v in raw.values())
        if name == "api_request":
            assert isinstance(raw["cost_usd"]["doubleValue"], float)
            assert round(attrs["cost_usd"] * 1_000_000) == attrs["cost_usd_micros"]
            assert {"model", "duration_ms", "request_id", "speed", "query_source", *TOKEN_KEYS} <= attrs.keys()
        elif name == "api_error":
            assert attrs["status_code"] in (429, 500, 529) and attrs["error"] and attrs["attempt"] >= 1
        elif name == "tool_result":
            assert raw["success"]["stringValue"] in ("true", "false") and "stringValue" in raw["duration_ms"]
        elif name == "user_prompt":
            assert int(raw["prompt_length"]["stringValue"]) > 0
        elif name == "tool_decision":
            assert attrs["decision"] in ("accept", "reject") and attrs["source"]
        sequences[attrs["session.id"]].append(attrs["event.sequence"])
    assert EVENT_NAMES == set(names) and sum(names.values()) == truth.log_records
    counts = defaultdict(int)
    for (_, name), n in truth.event_counts.items():
        counts[name] += n
    assert counts == names
    for seen in sequences.values():  # 0-based per process; a resumed session has two processes
        tally = defaultdict(int)
        for n in seen:
            tally[n] += 1
        assert tally[0] >= 1 and all(tally[n] <= tally[n - 1] for n in tally if n)


def event_totals(files) -> dict[tuple, dict[str, int]]:
    """Per (day, kind, identity, terminal): exact cost, tokens and edit decisions from the events."""
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for resource, _, record in log_records(files):
        attrs = {**resource, **values(record["attributes"])}
        fields = out[(utc_day(int(record["timeUnixNano"])), *identity(attrs), attrs["terminal.type"])]
        if attrs["event.name"] == "api_request":
            fields["cost_micros"] += attrs["cost_usd_micros"]
            for key, name in TOKEN_KEYS.items():
                fields[name] += attrs[key]
        elif attrs["event.name"] == "tool_decision" and attrs["tool_name"] in TOOL_KEYS:
            fields[f"{TOOL_KEYS[attrs['tool_name']]}_{attrs['decision']}ed"] += 1
    return out


@pytest.mark.parametrize("which", ["plain", "realistic"])
def test_events_add_up_to_the_metrics_per_user_day_to_the_micro_dollar(realistic, plain_events, which):
    truth = plain_events if which == "plain" else realistic["delta"]
    metrics = truth.identity_totals if which == "realistic" else {
        (day, "email", email, model, terminal): t for (day, email, model, terminal), t in truth.totals.items()}
    wanted = {"cost_micros", *TOKEN_FIELDS.values(), *(f"{k}_{v}" for k in TOOL_KEYS.values()
                                                       for v in ("accepted", "rejected"))}
    expected: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (day, kind, who, _, terminal), totals in metrics.items():
        for name in wanted:
            expected[(day, kind, who, terminal)][name] += getattr(totals, name)
    found = event_totals(truth.files + truth.event_files)
    assert {k: {f: v for f, v in d.items() if v} for k, d in found.items()} == \
           {k: {f: v for f, v in d.items() if v} for k, d in expected.items()}
    assert truth.event_cost_micros == {k: d["cost_micros"] for k, d in found.items() if "cost_micros" in d}


def test_separate_events_leave_the_metrics_file_as_it_was(written, plain_events):
    assert [p.name for p in plain_events.event_files] == ["events.jsonl"]
    assert plain_events.files[0].read_bytes() == written["delta"].files[0].read_bytes()
    assert all(list(batch) == ["resourceLogs"] for batch in batches(plain_events.event_files))
    assert plain_events.log_lines == sum(1 for _ in batches(plain_events.event_files))


@pytest.mark.parametrize("options", [{"realistic": False}, {"temporality": "cumulative", "events": "separate"}],
                         ids=["plain clients, events in the metrics file", "the default clients, events apart"])
def test_a_collector_restart_erases_its_files_and_the_truth_says_what_is_left(emu, tmp_path, options):
    whole = write_telemetry(emu.org, tmp_path / "whole", FIRST, LAST, undercount=0, **options)
    cut = write_telemetry(emu.org, tmp_path / "cut", FIRST, LAST, undercount=0, collector_restart=RESTART, **options)
    assert cut.collector_restart == RESTART
    erased = 0
    for full, left in zip(whole.files + whole.event_files, cut.files + cut.event_files, strict=True):
        lines, kept = full.read_bytes().splitlines(True), left.read_bytes().splitlines(True)
        assert 0 < len(kept) < len(lines) and lines[len(lines) - len(kept):] == kept, "only the tail is left"
        erased += len(lines) - len(kept)
    assert erased == cut.lost_lines + cut.lost_log_lines > 0
    assert (cut.lines + cut.lost_lines, cut.log_lines + cut.lost_log_lines) == (whole.lines, whole.log_lines)
    restart_ns = int(RESTART.timestamp()) * 10**9
    assert min(time for *_, time, _ in real_points(cut.files)) >= restart_ns - 15 * 10**9  # a retry arrives 15 s late
    assert min(int(r["timeUnixNano"]) for *_, r in log_records(cut.files + cut.event_files)) >= restart_ns - 5 * 10**9
    same(read_totals_by_member(emu, cut.files), truth_totals(cut))
    assert cut.received_totals == whole.totals
    for key, got in cut.received_totals.items():
        have = asdict(cut.totals.get(key, TelemetryTotals()))
        lost = {name: value - have[name] for name, value in asdict(got).items()}
        assert (asdict(cut.lost_totals[key]) if key in cut.lost_totals else dict.fromkeys(lost, 0)) == lost
    assert sum(t.input for t in cut.lost_totals.values()) > 0
    found = defaultdict(int)
    for *_, record in log_records(cut.files + cut.event_files):
        found[(utc_day(int(record["timeUnixNano"])), values(record["attributes"])["event.name"])] += 1
    assert found == cut.event_counts


def test_options_are_checked_before_anything_is_written(emu, tmp_path):
    outside = (datetime(2026, 2, 22, 23, 59, tzinfo=timezone.utc), datetime(2026, 3, 9, tzinfo=timezone.utc),
               datetime(2026, 3, 4, 12))  # before, after, no zone
    for moment in outside:
        with pytest.raises(ValueError):
            write_telemetry(emu.org, tmp_path, FIRST, LAST, collector_restart=moment)
    with pytest.raises(ValueError, match="rotation"):
        write_telemetry(emu.org, tmp_path, FIRST, LAST, collector_restart=RESTART, gzip_rotated=True)
    with pytest.raises(ValueError, match="events"):
        write_telemetry(emu.org, tmp_path, FIRST, LAST, events="both")
    assert not any(tmp_path.iterdir())


def test_the_telemetry_command_takes_the_options(emu, tmp_path, capsys):
    direct = write_telemetry(emu.org, tmp_path / "direct", FIRST, LAST, undercount=0, events="separate",
                             collector_restart=RESTART)
    assert telemetry_command(tmp_path / "cli", "--realistic", "--events", "separate",
                             "--collector-restart", "2026-03-04T12:00:00Z") == 0
    said = capsys.readouterr().out
    assert f"{direct.log_records} events in {direct.log_lines} log lines" in said
    assert f"{direct.lost_lines + direct.lost_log_lines} lines erased by the Collector restart" in said
    for name in ("metrics.jsonl", "events.jsonl"):
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "direct" / name).read_bytes()


@pytest.mark.parametrize("temporality", ["delta", "cumulative"])
def test_with_undercount_the_truth_is_still_what_the_files_hold(emu, tmp_path, temporality):
    truth = write_telemetry(emu.org, tmp_path, FIRST, LAST, temporality=temporality, undercount=0.2,
                            events="separate")
    assert truth.dropped_batches > 0 and truth.dropped_log_batches > 0
    same(read_identity_totals(truth.files), as_read(truth.identity_totals))
    same(read_totals_by_member(emu, truth.files), truth_totals(truth))
    found = event_totals(truth.event_files)
    assert truth.event_cost_micros == {k: d["cost_micros"] for k, d in found.items() if "cost_micros" in d}
    assert sum(1 for _ in log_records(truth.event_files)) == truth.log_records
