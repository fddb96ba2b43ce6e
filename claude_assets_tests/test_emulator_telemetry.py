"""User stories for the emulator's Claude Code telemetry files: OTLP/JSON lines as a Collector's
file exporter writes them, whose totals agree with the Claude Code report served over HTTP,
except for what the seeded undercount loses (and the truth says exactly what that is)."""

from __future__ import annotations

import argparse
import gzip
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
from claude_assets.emulator.telemetry import write_telemetry

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
    """Exact files (no undercount) in both temporalities, written once for the module."""
    root = tmp_path_factory.mktemp("telemetry")
    return {t: write_telemetry(emu.org, root / t, FIRST, LAST, temporality=t, undercount=0)
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


def read_totals(files) -> dict[tuple, dict[str, float]]:
    """Totals per (UTC day of timeUnixNano, lowercased email, model, terminal).

    Delta: sum the points. Cumulative: a series is its attributes plus its start time (a restarted
    process starts a new one); its value is a running total from 0 at the start time, so each
    point adds (value - the previous distinct point's value); repeated points add nothing."""
    totals: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    series: dict[tuple, dict[int, float]] = defaultdict(dict)
    for name, temporality, attrs, start, time, value in points(files):
        if temporality == 1:
            model, field = field_of(name, attrs)
            totals[(utc_day(time), attrs["user.email"].lower(), model, attrs["terminal.type"])][field] += value
        else:
            series[(name, tuple(sorted(attrs.items())), start)][time] = value
    for (name, attrs, _), values in series.items():
        attrs = dict(attrs)
        model, field = field_of(name, attrs)
        previous = 0.0
        for time in sorted(values):
            key = (utc_day(time), attrs["user.email"].lower(), model, attrs["terminal.type"])
            totals[key][field] += values[time] - previous
            previous = values[time]
    return totals


def truth_totals(truth) -> dict[tuple, dict[str, float]]:
    """TelemetryTruth in the reader's units (USD, seconds)."""
    out = {}
    for key, totals in truth.totals.items():
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
    days = {utc_day(time) for _, _, attrs, _, time, _ in points(truth.files) if attrs["user.account_id"] == user.id}
    assert min(days) == first_claude_code_day(user, range(5))
    everyone = {attrs["user.account_id"] for _, _, attrs, _, _, _ in points(truth.files)}
    assert everyone <= {u.id for u in org.users if u.telemetry_enabled_on is not None}


def test_lines_of_code_carry_the_model_from_client_version_2_1_172_on(tmp_path):
    org = SyntheticOrg(7, 40, date(2025, 11, 1))
    truth = write_telemetry(org, tmp_path, date(2026, 8, 1), date(2026, 8, 31), undercount=0)
    with_model = set()
    for batch in batches(truth.files):
        for rm in batch["resourceMetrics"]:
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
    truth = write_telemetry(emu.org, tmp_path, FIRST, LAST, temporality=temporality, undercount=0.2)
    assert truth.dropped_batches > 0
    from_files = read_totals(truth.files)
    same(from_files, truth_totals(truth))
    exact = sum(t.input for t in written[temporality].totals.values())
    assert sum(t.input for t in truth.totals.values()) < exact


def test_the_same_seed_writes_the_same_bytes(emu, written, tmp_path):
    again = write_telemetry(emu.org, tmp_path, FIRST, LAST, undercount=0)
    assert again.files[0].read_bytes() == written["delta"].files[0].read_bytes()
    assert again.totals == written["delta"].totals


def test_some_users_send_their_email_in_mixed_case(emu, written):
    sent = {attrs["user.email"] for _, _, attrs, *_ in points(written["delta"].files)}
    mixed = {email for email in sent if email != email.lower()}
    assert mixed and mixed == {written["delta"].mixed_case_emails[email.lower()] for email in mixed}
    assert all(emu.org.user_by_email(email.lower()) for email in sent)


def test_the_file_rotates_by_size_and_rotated_files_can_be_gzipped(emu, written, tmp_path):
    truth = write_telemetry(emu.org, tmp_path, FIRST, LAST, undercount=0, max_megabytes=2, gzip_rotated=True)
    names = [p.name for p in truth.files]
    assert names[-1] == "metrics.jsonl" and len(names) > 2
    assert all(re.fullmatch(r"metrics-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.jsonl\.gz", n) for n in names[:-1])
    assert names[:-1] == sorted(names[:-1])
    assert all(p.stat().st_size <= 2 * 1024 * 1024 for p in truth.files if not p.name.endswith(".gz"))
    same(read_totals(truth.files), read_totals(written["delta"].files))


def test_writing_refuses_a_directory_that_already_holds_metrics(emu, tmp_path):
    write_telemetry(emu.org, tmp_path, FIRST, FIRST)
    with pytest.raises(FileExistsError):
        write_telemetry(emu.org, tmp_path, FIRST, FIRST)


def test_the_telemetry_command_writes_the_files_of_the_servers_organization(emu, written, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    emulator_cli.add_telemetry_arguments(parser)
    args = parser.parse_args(["--out", str(tmp_path), "--from", FIRST.isoformat(), "--to", LAST.isoformat(),
                              "--users", "40", "--now", "2026-03-10T12:00:00Z", "--undercount", "0"])
    assert emulator_cli.telemetry_main(args) == 0
    assert f"{written['delta'].lines} lines" in capsys.readouterr().out
    assert (tmp_path / "metrics.jsonl").read_bytes() == written["delta"].files[0].read_bytes()


def test_the_server_writes_its_history_of_telemetry_before_serving(tmp_path):
    command = [sys.executable, "-m", "claude_assets.emulator", "--port", "0", "--users", "5",
               "--now", "2026-03-10T12:00:00Z", "--telemetry-dir", str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        lines = [process.stdout.readline().strip() for _ in range(5)]
        assert lines[0].startswith("claude-assets emulator listening on")
        assert lines[4].startswith(f"telemetry (delta) written to {tmp_path}")
        last = max(utc_day(time) for *_, time, _ in points([tmp_path / "metrics.jsonl"]))
        assert last <= date(2026, 3, 9)
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
